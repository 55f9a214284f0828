// Load generation for the ember data path, shared by the storm test
// (tests/vm/storm_test.cpp) and the benchmark program
// (tests/bench/ember_bench.cpp). Raw ioctls on the accel node through the
// core of the raw-ioctl tests (ember_raw.hpp), no test framework: failures
// throw ember_load::Error. The loop is a template over the calls it makes
// (RawApi below; the benchmark also runs it through libember).
//
// A Stream is one client (open file) that LOADs a workload with one
// region (docs/nnc.md §15.3: slices may only name device memory inside the
// regions of the caller's workloads), ACTIVATEs a DBC, fills a small area
// of the region once, then keeps `depth` BOs in flight: every BO is sliced
// with one COPY FROM_DEV of `bytes` bytes of that area (one request, one
// response per job), cleared before each execution and checked after it,
// and executed again as soon as its WAIT_BO returns. depth 1 is a lone
// job at a time (QD1 latency).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ember_accel.h"
#include "ember_raw.hpp"

namespace ember_load {

using ember_test::Device;
using ember_test::ErrnoText;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline std::string ReadText(const fs::path &path) {
  auto text = ember_test::ReadText(path);
  if (!text) {
    throw Error("cannot read " + path.string());
  }
  return std::move(*text);
}

inline void WriteText(const fs::path &path, const std::string &value) {
  if (!ember_test::WriteText(path, value)) {
    throw Error("cannot write '" + value + "' to " + path.string());
  }
}

// Pins the calling thread to one CPU; false if that CPU is not usable.
inline bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

// The ember device of this machine (ember_test::FindEmber).
inline Device FindDevice() {
  std::string why;
  auto dev = ember_test::FindEmber(&why);
  if (!dev) {
    throw Error(why);
  }
  return std::move(*dev);
}

// ---- module parameters and debugfs ----

inline std::string Param(const std::string &name) {
  return ember_test::TrimEnd(ReadText(ember_test::ModuleParamPath(name)));
}

inline void SetParam(const std::string &name, const std::string &value) {
  WriteText(ember_test::ModuleParamPath(name), value);
}

// Sets a runtime-writable module parameter for a scope and restores it.
class ParamGuard {
 public:
  ParamGuard(std::string name, const std::string &value)
      : name_(std::move(name)), saved_(Param(name_)) {
    SetParam(name_, value);
  }
  ~ParamGuard() {
    try {
      SetParam(name_, saved_);
    } catch (const Error &) {  // the module went away: nothing to restore
    }
  }
  ParamGuard(const ParamGuard &) = delete;
  ParamGuard &operator=(const ParamGuard &) = delete;
  ParamGuard(ParamGuard &&) = delete;
  ParamGuard &operator=(ParamGuard &&) = delete;
  void Set(const std::string &value) const { SetParam(name_, value); }

 private:
  std::string name_;
  std::string saved_;
};

// debugfs "datapath": the header lines ("key: value") and the counters of
// every DBC ("dbc<i> key=N ...").
struct Datapath {
  std::map<std::string, std::string> header;
  std::vector<std::map<std::string, std::uint64_t>> dbcs;

  [[nodiscard]] std::string Get(const std::string &key) const {
    const auto it = header.find(key);
    return it == header.end() ? std::string() : it->second;
  }
  [[nodiscard]] std::uint64_t Count(std::uint32_t dbc, const std::string &key) const {
    if (dbc >= dbcs.size()) {
      throw Error("debugfs datapath has no line for dbc" + std::to_string(dbc));
    }
    const auto it = dbcs[dbc].find(key);
    if (it == dbcs[dbc].end()) {
      throw Error("debugfs datapath has no counter " + key);
    }
    return it->second;
  }
  [[nodiscard]] bool Polling() const { return Get("service") == "polling"; }
};

inline Datapath ReadDatapath(const Device &dev) {
  Datapath d;
  std::istringstream in(ReadText(dev.debugfs / "datapath"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("dbc", 0) == 0) {
      std::istringstream words(line);
      std::string word;
      words >> word;  // dbc<i>
      const auto idx = std::stoul(word.substr(3));
      if (d.dbcs.size() <= idx) {
        d.dbcs.resize(idx + 1);
      }
      while (words >> word) {
        const auto eq = word.find('=');
        if (eq != std::string::npos) {
          d.dbcs[idx][word.substr(0, eq)] = std::stoull(word.substr(eq + 1));
        }
      }
    } else if (const auto colon = line.find(": "); colon != std::string::npos) {
      d.header[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  if (d.header.find("service") == d.header.end()) {
    throw Error("debugfs datapath: no 'service:' line");
  }
  return d;
}

// The per-DBC counters of debugfs datapath that the load generator uses.
struct DbcCounters {
  std::uint64_t interrupts = 0;
  std::uint64_t polls = 0;
  std::uint64_t responses = 0;
  std::uint64_t completions = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t rearms = 0;
  std::uint64_t gap_ns = 0;  // a level, not a counter

  DbcCounters operator-(const DbcCounters &o) const {
    DbcCounters d;
    d.interrupts = interrupts - o.interrupts;
    d.polls = polls - o.polls;
    d.responses = responses - o.responses;
    d.completions = completions - o.completions;
    d.cancelled = cancelled - o.cancelled;
    d.timeouts = timeouts - o.timeouts;
    d.rearms = rearms - o.rearms;
    d.gap_ns = gap_ns;
    return d;
  }
  [[nodiscard]] std::string Text() const {
    return "interrupts=" + std::to_string(interrupts) + " polls=" + std::to_string(polls) +
           " responses=" + std::to_string(responses) +
           " completions=" + std::to_string(completions) +
           " cancelled=" + std::to_string(cancelled) + " timeouts=" + std::to_string(timeouts) +
           " rearms=" + std::to_string(rearms) + " gap_ns=" + std::to_string(gap_ns);
  }
};

inline DbcCounters ReadCounters(const Device &dev, std::uint32_t dbc) {
  const auto d = ReadDatapath(dev);
  DbcCounters c;
  c.interrupts = d.Count(dbc, "interrupts");
  c.polls = d.Count(dbc, "polls");
  c.responses = d.Count(dbc, "responses");
  c.completions = d.Count(dbc, "completions");
  c.cancelled = d.Count(dbc, "cancelled");
  c.timeouts = d.Count(dbc, "timeouts");
  c.rearms = d.Count(dbc, "rearms");
  c.gap_ns = d.Count(dbc, "gap_ns");
  return c;
}

// EMBER_DBC_SERVICE_NS of a DBC through debugfs "test/dbc_service_ns" (BAR0
// cannot be mapped while the driver owns it). ACTIVATE does not reset it
// (docs/nnc.md §15.3), so it may be set before or after activation.
inline std::uint32_t ServiceNs(const Device &dev, std::uint32_t dbc) {
  const auto path = dev.debugfs / "test" / "dbc_service_ns";
  if (!fs::exists(path)) {
    throw Error(path.string() + " does not exist: this ember.ko cannot set the service time");
  }
  std::istringstream in(ReadText(path));
  std::string line;
  const std::string key = "dbc" + std::to_string(dbc) + ": ";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      return static_cast<std::uint32_t>(std::stoul(line.substr(key.size())));
    }
  }
  throw Error("no dbc" + std::to_string(dbc) + " in " + path.string());
}

inline void SetServiceNs(const Device &dev, std::uint32_t dbc, std::uint32_t ns) {
  WriteText(dev.debugfs / "test" / "dbc_service_ns",
            std::to_string(dbc) + " " + std::to_string(ns) + "\n");
}

// Sets a DBC's service time for a scope and restores the old one.
class ServiceNsGuard {
 public:
  ServiceNsGuard(const Device &dev, std::uint32_t dbc, std::uint32_t ns)
      : dev_(dev), dbc_(dbc), saved_(ServiceNs(dev, dbc)) {
    SetServiceNs(dev_, dbc_, ns);
  }
  ~ServiceNsGuard() {
    try {
      SetServiceNs(dev_, dbc_, saved_);
    } catch (const Error &) {  // device gone: nothing to restore
    }
  }
  ServiceNsGuard(const ServiceNsGuard &) = delete;
  ServiceNsGuard &operator=(const ServiceNsGuard &) = delete;
  ServiceNsGuard(ServiceNsGuard &&) = delete;
  ServiceNsGuard &operator=(ServiceNsGuard &&) = delete;

 private:
  Device dev_;
  std::uint32_t dbc_;
  std::uint32_t saved_;
};

// ---- ioctls ----

// Throws for a non-zero errno @err of @what.
inline void Check(int err, const std::string &what) {
  if (err != 0) {
    throw Error(what + ": " + ErrnoText(err));
  }
}

// One client: an open file of the accel node. Closing it TERMINATEs the
// client: the firmware frees its workloads and DBCs.
class Client {
 public:
  explicit Client(const Device &dev) : fd_(::open(dev.node.c_str(), O_RDWR | O_CLOEXEC)) {
    if (fd_ < 0) {
      throw Error("open " + dev.node + ": " + ErrnoText(errno));
    }
  }
  ~Client() { ::close(fd_); }
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  Client(Client &&) = delete;
  Client &operator=(Client &&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

  // ACTIVATE a DBC with rings of `ring` entries; returns its id.
  [[nodiscard]] std::uint32_t Activate(std::uint32_t ring) const {
    std::uint32_t id = 0;
    Check(ember_test::ActivateRaw(fd_, &id, ring), "MANAGE ACTIVATE");
    return id;
  }

  // PASSTHROUGH LOAD_WORKLOAD (docs/nnc.md §15.3) of a workload with one
  // region of `region` bytes and no image; returns the region's
  // device-memory offset.
  [[nodiscard]] std::uint64_t LoadWorkload(std::uint64_t region) const {
    ember_test::Workload wl;
    std::uint32_t status = 0;
    const int err = ember_test::LoadWorkload(fd_, {region}, &wl, "ember-load", &status);
    if (err == EPROTO) {
      throw Error("LOAD_WORKLOAD: status " + std::to_string(status));
    }
    Check(err, "MANAGE LOAD_WORKLOAD");
    return wl.offsets.at(0);
  }

 private:
  int fd_;
};

// A BO of a client, mapped.
class Bo {
 public:
  Bo(const Client &client, std::uint64_t size) : fd_(client.fd()), size_(size) {
    Check(ember_test::CreateBoRaw(fd_, size, &handle_), "CREATE_BO");
    const char *what = "";
    if (const int err = ember_test::MapBoRaw(fd_, handle_, size, &map_, &what); err != 0) {
      ember_test::GemClose(fd_, handle_);
      throw Error(std::string(what) + ": " + ErrnoText(err));
    }
  }
  ~Bo() {
    ::munmap(map_, size_);
    ember_test::GemClose(fd_, handle_);
  }
  Bo(const Bo &) = delete;
  Bo &operator=(const Bo &) = delete;
  Bo(Bo &&) = delete;
  Bo &operator=(Bo &&) = delete;
  [[nodiscard]] std::uint32_t handle() const { return handle_; }
  [[nodiscard]] std::uint8_t *data() const { return map_; }

  void Attach(std::uint32_t dbc, const std::vector<drm_ember_slice> &slices) const {
    Check(ember_test::Attach(fd_, handle_, dbc, slices), "ATTACH_SLICE_BO");
  }
  void Execute() const { Check(ember_test::Execute(fd_, handle_), "EXECUTE_BO"); }
  // Returns 0 or WAIT_BO's errno.
  [[nodiscard]] int Wait(std::uint32_t timeout_ms, std::uint32_t flags = 0) const {
    return ember_test::Wait(fd_, handle_, timeout_ms, flags);
  }
  // Returns 0 or the errno of EXECUTE_BO with EMBER_EXECUTE_BO_WAIT.
  [[nodiscard]] int ExecuteWait(std::uint32_t timeout_ms, std::uint32_t flags = 0) const {
    return ember_test::ExecuteWait(fd_, handle_, timeout_ms, flags);
  }

 private:
  int fd_;
  std::uint64_t size_;
  std::uint32_t handle_ = 0;
  std::uint8_t *map_ = nullptr;
};

// ---- the workload ----

// The interface a Stream drives the device through. RawApi is the raw
// ioctls above; the benchmark adds libember's C and C++ APIs
// (tests/bench/ember_bench.cpp). An Api has
//   Api::kName                         "raw", ...
//   Api::Client(const Device &)        one client (an open of the node)
//     std::uint64_t LoadWorkload(std::uint64_t region)  a workload with one
//                                      region; its device-memory offset
//     std::uint32_t Activate(std::uint32_t ring)         ACTIVATE; the DBC
//   Api::Bo(const Client &, std::uint64_t size)          a mapped BO
//     std::uint8_t *data()
//     void Attach(std::uint32_t dbc, const std::vector<drm_ember_slice> &)
//     void Execute()                   EXECUTE_BO of this BO
//     int Wait(std::uint32_t timeout_ms, std::uint32_t flags)  0 or the errno
//     int ExecuteWait(std::uint32_t timeout_ms, std::uint32_t flags)  both in
//                                      one EXECUTE_BO (EMBER_EXECUTE_BO_WAIT)
// and throws Error for a failure other than Wait's and ExecuteWait's.
struct RawApi {
  static constexpr const char *kName = "raw";
  using Client = ember_load::Client;
  using Bo = ember_load::Bo;
};

struct StreamConfig {
  std::uint32_t depth = 8;        // BOs kept in flight
  std::uint32_t bytes = 64;       // COPY size of a job
  std::uint32_t ring = 256;       // ring entries of the DBC
  std::uint32_t wait_ms = 10000;  // WAIT_BO timeout
  std::uint32_t wait_flags = 0;   // WAIT_BO flags (EMBER_WAIT_BO_POLL)
  // depth 1 only: each job is one EXECUTE_BO that waits for it
  // (EMBER_EXECUTE_BO_WAIT, with wait_ms and wait_flags), not EXECUTE_BO
  // and then WAIT_BO.
  bool execute_wait = false;
  // If set, called with a job's index before the job is prepared and
  // submitted, outside its timed span (ember_bench --alternate-param
  // switches a module parameter between blocks of jobs there).
  std::function<void(std::uint64_t)> before_job;
};

struct RunResult {
  std::uint64_t jobs = 0;       // completed and checked
  std::uint64_t bad_jobs = 0;   // completed with wrong bytes
  std::uint64_t first_bad = 0;  // index of the first bad job (if any)
  double seconds = 0;           // first submission to last completion
  std::vector<double> done_s;   // per job: completion time since the start
  std::vector<double> lat_us;   // per job: EXECUTE_BO to WAIT_BO's return
};

// The p-quantile (0..1) of unsorted values, nearest rank.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  const auto k = static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

template <class Api>
class BasicStream {
 public:
  using Client = typename Api::Client;
  using Bo = typename Api::Bo;

  BasicStream(const Device &dev, StreamConfig cfg) : dev_(dev), cfg_(std::move(cfg)), client_(dev) {
    // One ATTACH fills every BO's area; the byte after a job's bytes is
    // checked too.
    if (cfg_.depth == 0 || cfg_.depth > EMBER_SLICE_MAX || cfg_.depth * kArea > kRegion ||
        cfg_.bytes == 0 || cfg_.bytes >= kPage || (cfg_.execute_wait && cfg_.depth != 1)) {
      throw Error("bad stream configuration (depth 1.." + std::to_string(EMBER_SLICE_MAX) +
                  ", bytes 1.." + std::to_string(kPage - 1) + ", execute_wait with depth 1 only)");
    }
    region_ = client_.LoadWorkload(kRegion);
    dbc_ = client_.Activate(cfg_.ring);
    // One execution fills an area of the region per BO, each with its own
    // byte, which that BO's jobs then copy back.
    init_ = std::make_unique<Bo>(client_, kPage);
    std::vector<drm_ember_slice> fills;
    for (std::uint32_t i = 0; i < cfg_.depth; i++) {
      fills.push_back(ember_test::FillDev(Area(i), cfg_.bytes, Pattern(i)));
    }
    init_->Attach(dbc_, fills);
    init_->Execute();
    if (const int err = init_->Wait(cfg_.wait_ms, cfg_.wait_flags); err != 0) {
      throw Error("WAIT_BO of the fill job: " + ErrnoText(err));
    }
    for (std::uint32_t i = 0; i < cfg_.depth; i++) {
      bos_.push_back(std::make_unique<Bo>(client_, kPage));
      bos_.back()->Attach(dbc_, {ember_test::Copy(0, cfg_.bytes, Area(i), EMBER_SLICE_FROM_DEV)});
    }
  }

  [[nodiscard]] std::uint32_t dbc() const { return dbc_; }
  [[nodiscard]] const Device &device() const { return dev_; }
  [[nodiscard]] const StreamConfig &config() const { return cfg_; }

  // Submits until `jobs` jobs were submitted (0: no limit) or `seconds`
  // have passed (0: no limit), then waits for the jobs in flight.
  RunResult Run(std::uint64_t jobs, double seconds = 0) {
    if (jobs == 0 && seconds <= 0) {
      throw Error("Stream::Run needs a job count or a duration");
    }
    RunResult r;
    const std::uint32_t q = cfg_.depth;
    std::vector<Clock::time_point> submitted(q);
    const auto start = Clock::now();
    const auto stop =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    auto more = [&](std::uint64_t n) {
      return (jobs == 0 || n < jobs) && (seconds <= 0 || Clock::now() < stop);
    };
    if (jobs != 0) {
      r.done_s.reserve(jobs);
      r.lat_us.reserve(jobs);
    }
    std::uint64_t issued = 0;
    // With execute_wait (depth 1), the job's EXECUTE_BO has waited: its
    // result is kept for the completion loop, which has nothing to wait.
    int waited = 0;
    auto submit = [&](std::uint32_t i) {
      if (cfg_.before_job) {
        cfg_.before_job(issued);  // issued: this job's index
      }
      Prepare(i);
      submitted[i] = Clock::now();
      if (cfg_.execute_wait) {
        waited = bos_[i]->ExecuteWait(cfg_.wait_ms, cfg_.wait_flags);
      } else {
        bos_[i]->Execute();
      }
    };
    for (std::uint32_t i = 0; i < q && more(issued); i++, issued++) {
      submit(i);
    }
    for (std::uint64_t done = 0; done < issued; done++) {
      const auto i = static_cast<std::uint32_t>(done % q);
      if (const int err = cfg_.execute_wait ? waited : bos_[i]->Wait(cfg_.wait_ms, cfg_.wait_flags);
          err != 0) {
        throw Error(std::string(cfg_.execute_wait ? "EXECUTE_BO (waiting)" : "WAIT_BO") +
                    " of job " + std::to_string(done) + ": " + ErrnoText(err));
      }
      const auto now = Clock::now();
      r.done_s.push_back(std::chrono::duration<double>(now - start).count());
      r.lat_us.push_back(std::chrono::duration<double, std::micro>(now - submitted[i]).count());
      if (!Check(i)) {
        if (r.bad_jobs++ == 0) {
          r.first_bad = done;
        }
      }
      if (more(issued)) {
        submit(i);
        issued++;
      }
    }
    r.jobs = issued;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
  }

  // The byte BO i's jobs copy.
  static std::uint8_t Pattern(std::uint32_t i) {
    return static_cast<std::uint8_t>(0x40 + (i * 0x3b) % 0xbf);
  }

 private:
  static constexpr std::uint64_t kPage = 4096;
  static constexpr std::uint64_t kArea = 4096;  // region bytes per BO
  static constexpr std::uint64_t kRegion = 1 << 20;

  [[nodiscard]] std::uint64_t Area(std::uint32_t i) const { return region_ + (i * kArea); }
  // Clear what the job will write, so that a job that did not run shows.
  void Prepare(std::uint32_t i) const { std::memset(bos_[i]->data(), 0, cfg_.bytes); }
  [[nodiscard]] bool Check(std::uint32_t i) const {
    const std::uint8_t *p = bos_[i]->data();
    const std::uint8_t want = Pattern(i);
    for (std::uint32_t b = 0; b < cfg_.bytes; b++) {
      if (p[b] != want) {
        return false;
      }
    }
    return p[cfg_.bytes] == 0;  // and nothing past the slice
  }

  Device dev_;
  StreamConfig cfg_;
  Client client_;
  std::uint64_t region_ = 0;
  std::uint32_t dbc_ = 0;
  std::unique_ptr<Bo> init_;
  std::vector<std::unique_ptr<Bo>> bos_;
};

// The load generator on raw ioctls (the storm test's, the benchmark's default).
using Stream = BasicStream<RawApi>;

}  // namespace ember_load
