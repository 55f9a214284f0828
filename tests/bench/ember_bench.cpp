// make bench: the ember data-path workload (tests/bench/guest-bench.sh runs
// it under bench.py measure). One client, one DBC, `depth` BOs kept in
// flight (depth 1: a lone job at a time, the QD1 latency loop), each job a
// COPY of `bytes` bytes from device memory that is checked after every
// completion (tests/vm/ember_load.hpp). Runs for ramp + runtime seconds
// and writes one JSON object (bench.py --parser json): ops_per_s and the
// latency percentiles (EXECUTE_BO to WAIT_BO's return) of the jobs that
// completed after the ramp, and the DBC's debugfs counters over the run.
// At depth 1 a job is one call, EXECUTE_BO that waits for it
// (EMBER_EXECUTE_BO_WAIT), as a synchronous read is for a disk;
// --execute-wait 0 makes it EXECUTE_BO and then WAIT_BO.
//
// --api chooses what the loop calls: the raw ioctls (ember_load's), or
// libember's C API (ember_bo_execute_wait() at depth 1, else
// ember_bo_execute() and ember_bo_wait() / ember_bo_wait_flags()) or its
// C++ API (ember::Buffer::execute_wait(), or execute() and wait()). The loop itself
// (ember_load::BasicStream) is the same code for all three: same BOs, slices, byte checks and
// timing points; only the calls differ, so the difference is libember's overhead. Setup
// (LOAD_WORKLOAD, ACTIVATE, CREATE_BO, ATTACH) goes through the same API
// and is not timed. --api mix runs all three on one client, job by job in
// turn (raw ioctls on libember's descriptor, the C API, the C++ API, on
// the same BOs and DBC) and adds each one's percentiles under "by_api".
//
// --alternate-param PATH=A,B compares two values of a run-time module
// parameter in one loop: it writes one of them before job 0, job N
// (--alternate-every, default 256), job 2N and so on, between jobs and
// outside their timed span. Blocks of N jobs go in pairs, one block of
// each value, in an order drawn for each pair (a fixed hash of the pair's
// index, the same in every run: B A, B A, A B, B A, ...), so that a
// disturbance that repeats every two blocks or so cannot fall on one
// value only, as it could on A B A B. It reports each value's share of the
// run under "by_param" ("a": A's, "b": B's; A and B may be the same value,
// a control); the parameter's value from before the run is restored. A
// job counts for the value it was submitted under (its latency
// percentiles). Each write also closes a window: the time, the guest's
// busy CPU time (all CPUs' wall time less their idle and iowait,
// /proc/stat) and the DBC's completions and interrupts (debugfs datapath)
// since the last write go to the value written then, and each value's
// ops_per_s, cpu_us_per_op and irqs_per_op are those of its windows after
// the ramp (the last, unfinished window is not counted). At depth > 1 the
// jobs in flight at a switch complete under the next value; there are as
// many switches from A to B as from B to A, give or take one, so the
// carry-over enters both sides alike. Blocks of milliseconds (QD1) to a
// fraction of a second (a stream of 1024-job blocks) alternate dozens to
// hundreds of times in a run, so the host's drift and the CPU its
// hypervisor steals in spells of seconds (docs/performance.md), which
// move separate rows of the same loop by up to a third, enter both values
// alike.
//
// usage: ember_bench [--api raw|c|cpp|mix] [--depth N] [--bytes N] [--seconds S]
//                    [--ramp S] [--service-ns NS] [--wait-poll 0|1]
//                    [--execute-wait 0|1] [--alternate-param PATH=A,B]
//                    [--alternate-every N] [--cpu N] [--out FILE]
//   --api A          raw (default), c, cpp or mix
//   --seconds S      total run time, ramp included (default 5)
//   --ramp S         completions before S are not counted (default 1)
//   --service-ns NS  set the DBC's service time per job for the run
//                    (debugfs test/dbc_service_ns), restored afterwards
//   --wait-poll 1    wait with EMBER_WAIT_BO_POLL (the waiter polls)
//   --execute-wait B 1: EXECUTE_BO waits (EMBER_EXECUTE_BO_WAIT; depth 1
//                    only, its default), 0: EXECUTE_BO, then WAIT_BO
//   --alternate-param PATH=A,B
//                    write A and B to the file PATH (a module parameter)
//                    in turn, every N jobs
//   --alternate-every N  jobs per block of --alternate-param (default 256)
//   --cpu N          pin to CPU N
//   --out FILE       write the JSON there (default stdout)
// Exit status: 0, 1 if a job failed or returned wrong bytes, 2 bad usage.

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/ember.h"
#include "ember/ember.hpp"
#include "ember_load.hpp"

namespace {

using ember_load::Percentile;

// ---- libember's C API as a Stream's Api (ember_load.hpp) ----

ember_slice ToSlice(const drm_ember_slice &u) {
  ember_slice s{};
  s.offset = u.offset;
  s.size = u.size;
  s.dev_offset = u.dev_offset;
  s.dev_aux = u.dev_aux;
  s.dev_out = u.dev_out;
  s.op = u.op;
  s.dir = u.dir;
  s.m = u.m;
  s.n = u.n;
  s.k = u.k;
  return s;
}

std::vector<ember_slice> ToSlices(const std::vector<drm_ember_slice> &u) {
  std::vector<ember_slice> v;
  v.reserve(u.size());
  for (const auto &x : u) {
    v.push_back(ToSlice(x));
  }
  return v;
}

// Throws for a failed libember C call.
void CheckC(ember_status st, const std::string &what) {
  if (st != EMBER_OK) {
    throw ember_load::Error(what + ": " + ember_strerror(st) + ": " + ember_last_error_message());
  }
}

struct CApi {
  static constexpr const char *kName = "c";

  // A wait through the C API: 0 or the errno; ember_bo_wait() unless
  // there are flags.
  static int Wait(ember_bo *bo, std::uint32_t timeout_ms, std::uint32_t flags) {
    return ember_status_to_errno(flags == 0 ? ember_bo_wait(bo, timeout_ms)
                                            : ember_bo_wait_flags(bo, timeout_ms, flags));
  }
  static int ExecuteWait(ember_bo *bo, std::uint32_t timeout_ms, std::uint32_t flags) {
    return ember_status_to_errno(ember_bo_execute_wait(bo, timeout_ms, flags));
  }

  class Client {
   public:
    explicit Client(const ember_load::Device &dev) {
      CheckC(ember_device_open_path(dev.node.c_str(), &dev_), "ember_device_open_path");
    }
    ~Client() { ember_device_close(dev_); }  // frees the workload and the DBC
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    Client(Client &&) = delete;
    Client &operator=(Client &&) = delete;
    [[nodiscard]] ember_device *get() const { return dev_; }

    [[nodiscard]] std::uint64_t LoadWorkload(std::uint64_t region) const {
      const std::array<std::uint64_t, 1> regions = {region};
      ember_step step{};  // libember needs a step: fill the region
      step.op = EMBER_SLICE_OP_FILL;
      step.dst_kind = EMBER_OPERAND_REGION;
      ember_workload_desc desc{};
      desc.name = "ember-bench-c";
      desc.region_sizes = regions.data();
      desc.nregions = 1;
      desc.steps = &step;
      desc.nsteps = 1;
      ember_workload_info info{};
      CheckC(ember_workload_load(dev_, &desc, &info), "ember_workload_load");
      return info.region_offset[0];
    }
    [[nodiscard]] std::uint32_t Activate(std::uint32_t ring) const {
      std::uint32_t id = 0;
      CheckC(ember_dbc_activate(dev_, ring, &id), "ember_dbc_activate");
      return id;
    }

   private:
    ember_device *dev_ = nullptr;
  };

  class Bo {
   public:
    Bo(const Client &client, std::uint64_t size) {
      CheckC(ember_bo_create(client.get(), size, 0, &bo_), "ember_bo_create");
      void *addr = nullptr;
      std::uint64_t mapped = 0;
      if (const ember_status st = ember_bo_mapping(bo_, &addr, &mapped); st != EMBER_OK) {
        ember_bo_destroy(bo_);
        CheckC(st, "ember_bo_mapping");
      }
      data_ = static_cast<std::uint8_t *>(addr);
    }
    ~Bo() { ember_bo_destroy(bo_); }
    Bo(const Bo &) = delete;
    Bo &operator=(const Bo &) = delete;
    Bo(Bo &&) = delete;
    Bo &operator=(Bo &&) = delete;
    [[nodiscard]] std::uint8_t *data() const { return data_; }

    void Attach(std::uint32_t dbc, const std::vector<drm_ember_slice> &slices) const {
      const auto s = ToSlices(slices);
      CheckC(ember_bo_attach_slices(bo_, dbc, s.data(), static_cast<std::uint32_t>(s.size())),
             "ember_bo_attach_slices");
    }
    void Execute() const { CheckC(ember_bo_execute(bo_), "ember_bo_execute"); }
    [[nodiscard]] int Wait(std::uint32_t timeout_ms, std::uint32_t flags) const {
      return CApi::Wait(bo_, timeout_ms, flags);
    }
    [[nodiscard]] int ExecuteWait(std::uint32_t timeout_ms, std::uint32_t flags) const {
      return CApi::ExecuteWait(bo_, timeout_ms, flags);
    }

   private:
    ember_bo *bo_ = nullptr;
    std::uint8_t *data_ = nullptr;
  };
};

// ---- libember's C++ API as a Stream's Api ----

template <class T>
T Value(ember::Result<T> r, const std::string &what) {
  if (!r) {
    throw ember_load::Error(what + ": " + r.error().what());
  }
  return std::move(r).value();
}

void CheckCpp(const ember::Result<void> &r, const std::string &what) {
  if (!r) {
    throw ember_load::Error(what + ": " + r.error().what());
  }
}

struct CppApi {
  static constexpr const char *kName = "cpp";

  // 0 or the errno of a C++ call.
  static int Errno(const ember::Result<void> &r) { return r ? 0 : r.error().errno_value(); }
  // A wait through the C++ API: Buffer::wait(timeout) unless there are flags.
  static int Wait(const ember::Buffer &b, std::uint32_t timeout_ms, std::uint32_t flags) {
    const std::chrono::milliseconds t(timeout_ms);
    return Errno(flags == 0 ? b.wait(t) : b.wait(t, static_cast<ember::WaitFlags>(flags)));
  }
  static int ExecuteWait(const ember::Buffer &b, std::uint32_t timeout_ms, std::uint32_t flags) {
    return Errno(b.execute_wait(std::chrono::milliseconds(timeout_ms),
                                static_cast<ember::WaitFlags>(flags)));
  }

  class Client {
   public:
    explicit Client(const ember_load::Device &dev)
        : dev_(Value(ember::Device::open_path(dev.node), "ember::Device::open_path")) {}
    [[nodiscard]] const ember::Device &device() const { return dev_; }

    // The workload and the DBC live as long as the client.
    [[nodiscard]] std::uint64_t LoadWorkload(std::uint64_t region) {
      ember::WorkloadBuilder b("ember-bench-cpp");
      const auto r = b.add_region(region);
      b.fill(r, 0);  // libember needs a step: fill the region
      workload_ = Value(dev_.load(Value(b.build(), "WorkloadBuilder::build")), "Device::load");
      return workload_.region_offsets()[r.index()];
    }
    [[nodiscard]] std::uint32_t Activate(std::uint32_t ring) {
      dbc_ = Value(dev_.activate_dbc(ring), "Device::activate_dbc");
      return dbc_.id();
    }

   private:
    ember::Device dev_;
    ember::Workload workload_;
    ember::Dbc dbc_;
  };

  class Bo {
   public:
    Bo(const Client &client, std::uint64_t size)
        : buf_(Value(client.device().create_buffer(size), "Device::create_buffer")) {}
    [[nodiscard]] std::uint8_t *data() {
      return reinterpret_cast<std::uint8_t *>(buf_.bytes().data());
    }

    void Attach(std::uint32_t dbc, const std::vector<drm_ember_slice> &slices) const {
      CheckCpp(buf_.attach_slices(dbc, ToSlices(slices)), "Buffer::attach_slices");
    }
    void Execute() const { CheckCpp(buf_.execute(), "Buffer::execute"); }
    [[nodiscard]] int Wait(std::uint32_t timeout_ms, std::uint32_t flags) const {
      return CppApi::Wait(buf_, timeout_ms, flags);
    }
    [[nodiscard]] int ExecuteWait(std::uint32_t timeout_ms, std::uint32_t flags) const {
      return CppApi::ExecuteWait(buf_, timeout_ms, flags);
    }

   private:
    ember::Buffer buf_;
  };
};

// ---- all three, job by job, on one client (--api mix) ----

// The paths of --api mix, in the order jobs rotate through them.
constexpr std::array<const char *, 3> kMixPaths = {"raw", "c", "cpp"};

// One client through the C++ API (its workload, DBC and buffers); each
// BO's executions take the three paths in turn: raw ioctls on the
// client's descriptor with the BO's GEM handle, the C API on its
// ember_bo, the C++ API on its ember::Buffer. Same client, DBC, BOs and
// interrupt vector for all three, interleaved job by job, so that drift
// of the emulator between rows does not enter their comparison.
struct MixApi {
  static constexpr const char *kName = "mix";

  class Client : public CppApi::Client {
   public:
    explicit Client(const ember_load::Device &dev)
        : CppApi::Client(dev), fd_(Value(device().fd(), "Device::fd")) {}
    [[nodiscard]] int fd() const { return fd_; }

   private:
    int fd_;
  };

  class Bo {
   public:
    Bo(const Client &client, std::uint64_t size)
        : fd_(client.fd()),
          buf_(Value(client.device().create_buffer(size), "Device::create_buffer")),
          gem_(buf_.gem_handle()) {}
    [[nodiscard]] std::uint8_t *data() {
      return reinterpret_cast<std::uint8_t *>(buf_.bytes().data());
    }

    void Attach(std::uint32_t dbc, const std::vector<drm_ember_slice> &slices) const {
      CheckCpp(buf_.attach_slices(dbc, ToSlices(slices)), "Buffer::attach_slices");
    }
    // The path of the next execution, which its wait takes too.
    void Execute() const {
      switch (path_) {
        case 0:
          ember_load::Check(ember_test::Execute(fd_, gem_), "EXECUTE_BO");
          break;
        case 1:
          CheckC(ember_bo_execute(buf_.handle()), "ember_bo_execute");
          break;
        default:
          CheckCpp(buf_.execute(), "Buffer::execute");
          break;
      }
    }
    [[nodiscard]] int Wait(std::uint32_t timeout_ms, std::uint32_t flags) {
      return Rotate([&] { return ember_test::Wait(fd_, gem_, timeout_ms, flags); },
                    [&] { return CApi::Wait(buf_.handle(), timeout_ms, flags); },
                    [&] { return CppApi::Wait(buf_, timeout_ms, flags); });
    }
    // The same three paths, one call a job.
    [[nodiscard]] int ExecuteWait(std::uint32_t timeout_ms, std::uint32_t flags) {
      return Rotate([&] { return ember_test::ExecuteWait(fd_, gem_, timeout_ms, flags); },
                    [&] { return CApi::ExecuteWait(buf_.handle(), timeout_ms, flags); },
                    [&] { return CppApi::ExecuteWait(buf_, timeout_ms, flags); });
    }

   private:
    // Calls the current path's function, then moves to the next path.
    template <class Raw, class C, class Cpp>
    int Rotate(const Raw &raw, const C &c, const Cpp &cpp) {
      const int err = path_ == 0 ? raw() : path_ == 1 ? c() : cpp();
      path_ = (path_ + 1) % kMixPaths.size();
      return err;
    }

    int fd_;
    ember::Buffer buf_;
    std::uint32_t gem_;
    std::size_t path_ = 0;
  };
};

enum class Api : std::uint8_t { kRaw, kC, kCpp, kMix };

struct Options {
  Api api = Api::kRaw;
  std::uint32_t depth = 8;
  std::uint32_t bytes = 64;
  double seconds = 5;
  double ramp = 1;
  std::optional<std::uint32_t> service_ns;
  bool wait_poll = false;
  std::optional<bool> execute_wait;  // default: at depth 1
  std::optional<int> cpu;
  std::string out;
  std::string alt_path;                   // --alternate-param: the file
  std::array<std::string, 2> alt_values;  // its two values, in turn
  std::uint32_t alt_every = 256;          // jobs per block
};

// --alternate-param's file: Set() writes a value; the value it held before
// is written back when the switch goes away.
class ParamSwitch {
 public:
  explicit ParamSwitch(std::string path) : path_(std::move(path)) {
    std::ifstream f(path_);
    if (!std::getline(f, old_)) {
      throw ember_load::Error("cannot read " + path_);
    }
  }
  ParamSwitch(const ParamSwitch &) = delete;
  ParamSwitch &operator=(const ParamSwitch &) = delete;
  ParamSwitch(ParamSwitch &&) = delete;
  ParamSwitch &operator=(ParamSwitch &&) = delete;
  ~ParamSwitch() {
    try {
      Set(old_);
    } catch (const std::exception &e) {
      std::cerr << "ember_bench: " << e.what() << "\n";
    }
  }

  void Set(const std::string &v) const {
    std::ofstream f(path_);
    f << v << "\n";
    if (!f.flush()) {
      throw ember_load::Error("cannot write '" + v + "' to " + path_);
    }
  }

 private:
  std::string path_;
  std::string old_;
};

// All CPUs' idle and iowait seconds (the "cpu" line of /proc/stat): exact
// under NO_HZ, unlike the busy fields, which are sampled at each tick.
double IdleSeconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  std::array<unsigned long long, 5> v{};  // user nice system idle iowait
  if (!(f >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4]) || cpu != "cpu") {
    throw ember_load::Error("cannot read the cpu line of /proc/stat");
  }
  static const long hz = sysconf(_SC_CLK_TCK);
  return static_cast<double>(v[3] + v[4]) / static_cast<double>(hz);
}

// Where a window of --alternate-param starts: taken at each switch.
struct Mark {
  ember_load::Clock::time_point t;
  double idle_s = 0;            // IdleSeconds()
  ember_load::DbcCounters dbc;  // the DBC's debugfs counters
};

Mark TakeMark(const ember_load::Device &dev, std::uint32_t dbc) {
  Mark m;
  m.t = ember_load::Clock::now();
  m.idle_s = IdleSeconds();
  m.dbc = ember_load::ReadCounters(dev, dbc);
  return m;
}

// The value (0: A, 1: B) of block @block of --alternate-param: each pair
// of blocks holds one of each, in the order a hash (splitmix64's
// finaliser) of the pair's index picks.
std::size_t BlockValue(std::uint64_t block) {
  std::uint64_t x = (block / 2) + 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  x ^= x >> 31U;
  return (block % 2) ^ (x & 1U);
}

// One value's windows after the ramp, summed.
struct ValueWindows {
  std::uint64_t windows = 0;
  double seconds = 0;
  double busy_s = 0;  // guest CPU time: wall time x CPUs less idle
  std::uint64_t completions = 0;
  std::uint64_t interrupts = 0;

  void Add(const Mark &from, const Mark &to, long ncpu) {
    const double dt = std::chrono::duration<double>(to.t - from.t).count();
    windows++;
    seconds += dt;
    busy_s += (dt * static_cast<double>(ncpu)) - (to.idle_s - from.idle_s);
    const auto d = to.dbc - from.dbc;
    completions += d.completions;
    interrupts += d.interrupts;
  }
  [[nodiscard]] double PerOp(double x) const {
    return completions ? x / static_cast<double>(completions) : 0;
  }
};

[[noreturn]] void Usage(const std::string &why) {
  std::cerr << "ember_bench: " << why
            << "\nusage: ember_bench [--api raw|c|cpp|mix] [--depth N] [--bytes N] [--seconds S] "
               "[--ramp S] [--service-ns NS] [--wait-poll 0|1] [--execute-wait 0|1] "
               "[--alternate-param PATH=A,B] [--alternate-every N] [--cpu N] [--out FILE]\n";
  std::exit(2);
}

double ToDouble(const std::string &s, const std::string &opt) {
  char *end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || v < 0) {
    Usage(opt + " needs a non-negative number, not '" + s + "'");
  }
  return v;
}

std::uint32_t ToU32(const std::string &s, const std::string &opt) {
  char *end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (end == s.c_str() || *end != '\0' || v > UINT32_MAX || s[0] == '-') {
    Usage(opt + " needs a number, not '" + s + "'");
  }
  return static_cast<std::uint32_t>(v);
}

Options Parse(int argc, char **argv) {
  Options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); i++) {
    const std::string &a = args[i];
    if (a == "-h" || a == "--help") {
      Usage("help");
    }
    if (i + 1 >= args.size()) {
      Usage("unknown option or missing value: " + a);
    }
    const std::string &v = args[++i];
    if (a == "--api") {
      if (v == "raw") {
        o.api = Api::kRaw;
      } else if (v == "c") {
        o.api = Api::kC;
      } else if (v == "cpp") {
        o.api = Api::kCpp;
      } else if (v == "mix") {
        o.api = Api::kMix;
      } else {
        Usage("--api takes raw, c, cpp or mix, not '" + v + "'");
      }
    } else if (a == "--depth") {
      o.depth = ToU32(v, a);
    } else if (a == "--bytes") {
      o.bytes = ToU32(v, a);
    } else if (a == "--seconds") {
      o.seconds = ToDouble(v, a);
    } else if (a == "--ramp") {
      o.ramp = ToDouble(v, a);
    } else if (a == "--service-ns") {
      o.service_ns = ToU32(v, a);
    } else if (a == "--wait-poll") {
      if (v != "0" && v != "1") {
        Usage("--wait-poll takes 0 or 1, not '" + v + "'");
      }
      o.wait_poll = v == "1";
    } else if (a == "--execute-wait") {
      if (v != "0" && v != "1") {
        Usage("--execute-wait takes 0 or 1, not '" + v + "'");
      }
      o.execute_wait = v == "1";
    } else if (a == "--alternate-param") {
      const auto eq = v.rfind('=');
      const auto comma = eq == std::string::npos ? eq : v.find(',', eq);
      if (eq == 0 || comma == std::string::npos || comma == eq + 1 || comma + 1 == v.size()) {
        Usage("--alternate-param takes PATH=A,B, not '" + v + "'");
      }
      o.alt_path = v.substr(0, eq);
      o.alt_values = {v.substr(eq + 1, comma - eq - 1), v.substr(comma + 1)};
    } else if (a == "--alternate-every") {
      o.alt_every = ToU32(v, a);
      if (o.alt_every == 0) {
        Usage("--alternate-every needs at least 1 job");
      }
    } else if (a == "--cpu") {
      o.cpu = static_cast<int>(ToU32(v, a));
    } else if (a == "--out") {
      o.out = v;
    } else {
      Usage("unknown option " + a);
    }
  }
  if (o.ramp >= o.seconds) {
    Usage("--ramp must be shorter than --seconds");
  }
  if (o.execute_wait.value_or(false) && o.depth != 1) {
    Usage("--execute-wait 1 needs --depth 1");
  }
  // In a block shorter than the jobs in flight, no job would both start
  // and end under the block's value.
  if (!o.alt_path.empty() && o.alt_every < o.depth) {
    Usage("--alternate-every must be at least --depth");
  }
  return o;
}

std::string Json(const std::string &s) {
  std::string r = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      r += '\\';
    }
    r += c;
  }
  return r + "\"";
}

template <class A>
int Run(const Options &o, const ember_load::Device &dev) {
  ember_load::StreamConfig cfg;
  cfg.depth = o.depth;
  cfg.bytes = o.bytes;
  cfg.wait_flags = o.wait_poll ? EMBER_WAIT_BO_POLL : 0;
  cfg.execute_wait = o.execute_wait.value_or(o.depth == 1);
  // --alternate-param: job j runs with value BlockValue(j / alt_every);
  // window k, from marks[k] to marks[k + 1], with BlockValue(k).
  std::unique_ptr<ParamSwitch> param;
  std::vector<Mark> marks;
  std::uint32_t dbc = 0;  // the stream's, set before the first job
  if (!o.alt_path.empty()) {
    param = std::make_unique<ParamSwitch>(o.alt_path);
    cfg.before_job = [&o, &dev, &dbc, &marks, p = param.get()](std::uint64_t job) {
      if (job % o.alt_every == 0) {
        marks.push_back(TakeMark(dev, dbc));
        p->Set(o.alt_values.at(BlockValue(job / o.alt_every)));
      }
    };
  }
  ember_load::BasicStream<A> stream(dev, cfg);
  dbc = stream.dbc();
  std::unique_ptr<ember_load::ServiceNsGuard> service;
  if (o.service_ns) {
    service = std::make_unique<ember_load::ServiceNsGuard>(dev, stream.dbc(), *o.service_ns);
  }
  const auto dp = ember_load::ReadDatapath(dev);
  const auto service_ns = ember_load::ServiceNs(dev, stream.dbc());
  const auto before = ember_load::ReadCounters(dev, stream.dbc());
  const auto r = stream.Run(0, o.seconds);
  const auto delta = ember_load::ReadCounters(dev, stream.dbc()) - before;

  // The steady state: jobs that completed after the ramp.
  std::vector<double> lat;
  std::array<std::vector<double>, kMixPaths.size()> by_path;  // --api mix
  std::array<std::vector<double>, 2> by_value;                // --alternate-param
  std::uint64_t counted = 0;
  double first = -1;
  double last = 0;
  for (std::size_t i = 0; i < r.done_s.size(); i++) {
    if (r.done_s[i] < o.ramp) {
      continue;
    }
    if (first < 0) {
      first = r.done_s[i];
    }
    last = r.done_s[i];
    lat.push_back(r.lat_us[i]);
    // Job i is execution i / depth of BO i % depth (jobs complete in
    // order), which took path (i / depth) % 3.
    by_path.at((i / o.depth) % kMixPaths.size()).push_back(r.lat_us[i]);
    // Job i was submitted under value BlockValue(i / alt_every).
    by_value.at(BlockValue(i / o.alt_every)).push_back(r.lat_us[i]);
    counted++;
  }
  std::array<ValueWindows, 2> windows;  // --alternate-param
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  for (std::size_t k = 0; k + 1 < marks.size(); k++) {
    if (std::chrono::duration<double>(marks[k].t - marks[0].t).count() >= o.ramp) {
      windows.at(BlockValue(k)).Add(marks[k], marks[k + 1], ncpu);
    }
  }
  const double span = last - o.ramp;
  const double ops_per_s = span > 0 ? static_cast<double>(counted) / span : 0;
  double mean = 0;
  for (const double l : lat) {
    mean += l;
  }
  mean = lat.empty() ? 0 : mean / static_cast<double>(lat.size());

  std::ostringstream js;
  js.precision(6);
  js << "{\"api\": " << Json(A::kName) << ", \"ops_per_s\": " << ops_per_s
     << ", \"p50_us\": " << Percentile(lat, 0.50) << ", \"p90_us\": " << Percentile(lat, 0.90)
     << ", \"p99_us\": " << Percentile(lat, 0.99) << ", \"max_us\": " << Percentile(lat, 1.0)
     << ", \"mean_us\": " << mean << ", \"ops\": " << counted << ", \"jobs_total\": " << r.jobs
     << ", \"run_seconds\": " << r.seconds << ", \"bad_jobs\": " << r.bad_jobs
     << ", \"depth\": " << o.depth << ", \"execute_wait\": " << (cfg.execute_wait ? 1 : 0)
     << ", \"bytes\": " << o.bytes << ", \"service_ns\": " << service_ns
     << ", \"dbc\": " << stream.dbc() << ", \"service\": " << Json(dp.Get("service"))
     << ", \"irq_mode\": " << Json(dp.Get("irq_mode"))
     << ", \"irq_mitigation\": " << Json(dp.Get("irq_mitigation"))
     << ", \"dbc_interrupts\": " << delta.interrupts << ", \"dbc_polls\": " << delta.polls
     << ", \"dbc_completions\": " << delta.completions << ", \"dbc_rearms\": " << delta.rearms
     << ", \"dbc_gap_ns\": " << delta.gap_ns << ", \"dbc_interrupts_per_job\": "
     << (r.jobs ? static_cast<double>(delta.interrupts) / static_cast<double>(r.jobs) : 0);
  if constexpr (std::is_same_v<A, MixApi>) {
    // Each path's own latencies: the libember/raw comparison of one run.
    js << ", \"by_api\": {";
    for (std::size_t p = 0; p < kMixPaths.size(); p++) {
      const auto &v = by_path.at(p);
      js << (p ? ", " : "") << Json(kMixPaths.at(p)) << ": {\"ops\": " << v.size()
         << ", \"p50_us\": " << Percentile(v, 0.50) << ", \"p90_us\": " << Percentile(v, 0.90)
         << ", \"p99_us\": " << Percentile(v, 0.99) << "}";
    }
    js << "}";
  }
  if (param) {
    // Each value's own latencies and windows, e.g. mitigation on / off of
    // one run.
    js << ", \"alternate_param\": " << Json(o.alt_path) << ", \"alternate_every\": " << o.alt_every
       << ", \"by_param\": {";
    for (std::size_t k = 0; k < by_value.size(); k++) {
      const auto &v = by_value.at(k);
      const auto &w = windows.at(k);
      js << (k ? ", " : "") << (k ? "\"b\"" : "\"a\"")
         << ": {\"value\": " << Json(o.alt_values.at(k)) << ", \"ops\": " << v.size()
         << ", \"p50_us\": " << Percentile(v, 0.50) << ", \"p90_us\": " << Percentile(v, 0.90)
         << ", \"p99_us\": " << Percentile(v, 0.99) << ", \"windows\": " << w.windows
         << ", \"seconds\": " << w.seconds << ", \"completions\": " << w.completions
         << ", \"ops_per_s\": "
         << (w.seconds > 0 ? static_cast<double>(w.completions) / w.seconds : 0)
         << ", \"cpu_us_per_op\": " << w.PerOp(w.busy_s * 1e6)
         << ", \"irqs_per_op\": " << w.PerOp(static_cast<double>(w.interrupts)) << "}";
    }
    js << "}";
  }
  js << "}\n";
  if (o.out.empty()) {
    std::cout << js.str();
  } else {
    std::ofstream f(o.out);
    f << js.str();
    if (!f.flush()) {
      throw ember_load::Error("cannot write " + o.out);
    }
  }
  if (r.bad_jobs != 0) {
    std::cerr << "ember_bench: " << r.bad_jobs << " jobs returned wrong bytes (first: job "
              << r.first_bad << ")\n";
    return 1;
  }
  return 0;
}

int Run(const Options &o) {
  if (o.cpu && !ember_load::PinTo(*o.cpu)) {
    throw ember_load::Error("cannot pin to CPU " + std::to_string(*o.cpu));
  }
  const auto dev = ember_load::FindDevice();
  switch (o.api) {
    case Api::kC:
      return Run<CApi>(o, dev);
    case Api::kCpp:
      return Run<CppApi>(o, dev);
    case Api::kMix:
      return Run<MixApi>(o, dev);
    case Api::kRaw:
      break;
  }
  return Run<ember_load::RawApi>(o, dev);
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = Parse(argc, argv);
  try {
    return Run(o);
  } catch (const std::exception &e) {
    std::cerr << "ember_bench: " << e.what() << "\n";
    return 1;
  }
}
