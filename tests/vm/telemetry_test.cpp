// In-guest tests of libember's telemetry and monitoring API (ember.h
// "Telemetry and monitoring") against the real driver and device: the
// values equal the driver's sysfs and hwmon files and GET_INFO; a DBC
// activated through libember shows as owned by this process and free
// again after close; real copy jobs move the DBC's counters by exactly
// their number; the process list shows this process and a forked child
// with the busy time and memory of their open files (compared with the
// fdinfo files themselves). Works in interrupt and polling mode
// (datapath_polling=1). Run as root.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember/ember.h"
#include "ember/ember.hpp"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::ContainsSubstring;

constexpr std::uint64_t kRegion = 1ULL << 20;
constexpr std::uint32_t kRing = 256;

// A whole file, trimmed of its final newline; "" if unreadable.
std::string Read(const fs::path &path) {
  std::ifstream f(path);
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::uint64_t ReadU64(const fs::path &path) {
  const std::string s = Read(path);
  INFO(path.string() << ": '" << s << "'");
  REQUIRE(!s.empty());
  return std::stoull(s);
}

// The ember device of the VM, as discovery reports it.
struct Target {
  std::string bdf;
  fs::path sysfs;  // /sys/bus/pci/devices/<bdf>
  fs::path hwmon;  // its hwmon directory named "ember"
  ember::Info info{};
};

const Target &Dev() {
  static const std::optional<Target> target = []() -> std::optional<Target> {
    const auto devs = ember::list_devices();
    if (!devs || devs->empty() || (*devs)[0].status != EMBER_OK) {
      return std::nullopt;
    }
    Target t;
    t.bdf = (*devs)[0].bdf;
    t.info = (*devs)[0].info;
    t.sysfs = fs::path("/sys/bus/pci/devices") / t.bdf;
    std::error_code ec;
    for (fs::directory_iterator it(t.sysfs / "hwmon", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (Read(it->path() / "name") == "ember") {
        t.hwmon = it->path();
      }
    }
    return t;
  }();
  if (!target) {
    FAIL("no usable ember device (ember::list_devices)");
  }
  return *target;
}

// datapath_polling=1: DBC responses are serviced by polling, never by
// interrupts (GET_INFO's irq_mode still names the vectors).
bool Polling() { return Read("/sys/module/ember/parameters/datapath_polling") == "Y"; }

ember::Device Open() {
  auto dev = ember::Device::open_bdf(Dev().bdf);
  if (!dev) {
    FAIL("ember::Device::open_bdf(" << Dev().bdf << "): " << dev.error().what());
  }
  return std::move(dev).value();
}

std::vector<ember::DbcTelemetry> Dbcs() {
  auto dbcs = ember::read_dbc_telemetry(Dev().bdf);
  if (!dbcs) {
    FAIL("read_dbc_telemetry: " << dbcs.error().what());
  }
  REQUIRE(dbcs->size() == Dev().info.num_dbcs);
  return std::move(dbcs).value();
}

std::vector<ember::ProcessUsage> Processes() {
  auto procs = ember::list_processes(Dev().bdf);
  if (!procs) {
    FAIL("list_processes: " << procs.error().what());
  }
  return std::move(procs).value();
}

std::optional<ember::ProcessUsage> FindProcess(const std::vector<ember::ProcessUsage> &procs,
                                               pid_t pid) {
  const auto it = std::find_if(procs.begin(), procs.end(),
                               [pid](const ember::ProcessUsage &p) { return p.pid == pid; });
  if (it == procs.end()) {
    return std::nullopt;
  }
  return *it;
}

// What the test reads from one fdinfo file itself, to compare with the
// library's sums: busy ns over the drm-engine-* keys and drm-total-memory
// in bytes.
struct FdinfoSums {
  std::uint64_t busy_ns = 0;
  std::uint64_t total = 0;
};

FdinfoSums ReadFdinfo(int fd) {
  std::ifstream f("/proc/self/fdinfo/" + std::to_string(fd));
  REQUIRE(f.good());
  FdinfoSums s;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string key;
    std::uint64_t value = 0;
    std::string unit;
    in >> key >> value >> unit;
    if (key.starts_with("drm-engine-")) {
      s.busy_ns += value;
    } else if (key == "drm-total-memory:") {
      s.total = value * (unit == "KiB" ? 1024 : unit == "MiB" ? 1024 * 1024 : 1);
    }
  }
  return s;
}

int DeviceFd(const ember::Device &dev) {
  const auto fd = dev.fd();
  REQUIRE(fd);
  return *fd;
}

// A device with a workload (one scratch region) and an active DBC.
struct Client {
  ember::Device dev = Open();
  ember::Workload workload;
  ember::Dbc dbc;
  std::uint64_t scratch = 0;

  Client() {
    ember::WorkloadBuilder builder("telemetry-test");
    const auto region = builder.add_region(kRegion);
    builder.fill(region, 0);
    auto loaded = dev.load(builder.build().value());
    if (!loaded) {
      FAIL("load: " << loaded.error().what());
    }
    workload = std::move(loaded).value();
    scratch = workload.region_offsets()[0];
    auto activated = dev.activate_dbc(kRing);
    if (!activated) {
      FAIL("activate_dbc: " << activated.error().what());
    }
    dbc = std::move(activated).value();
  }
  [[nodiscard]] ember::Buffer Buffer(std::uint64_t size) const {
    auto buf = dev.create_buffer(size);
    if (!buf) {
      FAIL("create_buffer(" << size << "): " << buf.error().what());
    }
    return std::move(buf).value();
  }
};

// |v| lies between two samples of the same file taken around it.
template <typename T>
void CheckBetween(const char *what, T v, std::uint64_t before, std::uint64_t after) {
  INFO(what << ": " << v << " read between " << before << " and " << after);
  CHECK(static_cast<std::uint64_t>(v) >= std::min(before, after));
  CHECK(static_cast<std::uint64_t>(v) <= std::max(before, after));
}

}  // namespace

TEST_CASE("driver status: loaded, with the ABI of GET_INFO and the module's version") {
  const auto st = ember::driver_status();
  REQUIRE(st);
  CHECK(st->loaded);
  CHECK(st->abi_major == Dev().info.abi_major);
  CHECK(st->abi_minor == Dev().info.abi_minor);
  CHECK(st->abi_patch == Dev().info.abi_patch);
  CHECK(st->version == Read("/sys/module/ember/version"));
  CHECK(!st->version.empty());
}

TEST_CASE("telemetry equals the sysfs and hwmon files and GET_INFO") {
  const Target &d = Dev();
  REQUIRE(!d.hwmon.empty());
  const auto temp0 = ReadU64(d.hwmon / "temp1_input");
  const auto power0 = ReadU64(d.hwmon / "power1_average");
  const auto core0 = ReadU64(d.sysfs / "core_clk_mhz");
  const auto tel = ember::read_telemetry(d.bdf);
  const auto temp1 = ReadU64(d.hwmon / "temp1_input");
  const auto power1 = ReadU64(d.hwmon / "power1_average");
  const auto core1 = ReadU64(d.sysfs / "core_clk_mhz");
  if (!tel) {
    FAIL("read_telemetry: " << tel.error().what());
  }
  ember_telemetry raw{};
  REQUIRE(ember_telemetry_read(d.bdf.c_str(), &raw) == EMBER_OK);
  CHECK(raw.valid == (EMBER_TEL_TEMP | EMBER_TEL_TEMP_CRIT | EMBER_TEL_POWER | EMBER_TEL_POWER_CAP |
                      EMBER_TEL_CORE_CLK | EMBER_TEL_MEM_CLK | EMBER_TEL_ECC | EMBER_TEL_DEVMEM |
                      EMBER_TEL_RESET_COUNT | EMBER_TEL_SERIAL | EMBER_TEL_STATE));

  CHECK(tel->state == EMBER_STATE_ONLINE);
  CHECK(Read(d.sysfs / "state") == "online");
  // Load-dependent values: between the samples around the read, and in
  // the model's range (idle 40 C .. busy 85 C, 15 W .. 70 W, 300 .. 1400 MHz).
  REQUIRE(tel->temp_mc);
  CheckBetween("temp_mc", *tel->temp_mc, temp0, temp1);
  CHECK(*tel->temp_mc >= 40000);
  CHECK(*tel->temp_mc <= 85000);
  REQUIRE(tel->power_uw);
  CheckBetween("power_uw", *tel->power_uw, power0, power1);
  CHECK(*tel->power_uw >= 15000000);
  CHECK(*tel->power_uw <= 70000000);
  REQUIRE(tel->core_clk_mhz);
  CheckBetween("core_clk_mhz", *tel->core_clk_mhz, core0, core1);
  // Fixed ones: equal.
  CHECK(tel->temp_crit_mc == static_cast<std::int64_t>(ReadU64(d.hwmon / "temp1_crit")));
  CHECK(tel->temp_crit_mc == 95000);
  CHECK(tel->power_cap_uw == ReadU64(d.hwmon / "power1_cap"));
  CHECK(tel->mem_clk_mhz == ReadU64(d.sysfs / "mem_clk_mhz"));
  CHECK(tel->ecc_ce == ReadU64(d.sysfs / "ecc_ce_count"));
  CHECK(tel->ecc_ue == ReadU64(d.sysfs / "ecc_ue_count"));
  CHECK(tel->reset_count == ReadU64(d.sysfs / "reset_count"));
  CHECK(tel->serial == Read(d.sysfs / "serial_number"));
  CHECK(tel->devmem_total == d.info.devmem_size);
  CHECK(tel->devmem_total == ReadU64(d.sysfs / "devmem_total_bytes"));
  CHECK(tel->devmem_used == ReadU64(d.sysfs / "devmem_used_bytes"));

  // The short PCI address names the same device; another one none.
  const auto short_form = ember::read_telemetry(d.bdf.substr(5));
  REQUIRE(short_form);
  CHECK(short_form->serial == tel->serial);
  ember_telemetry none{};
  CHECK(ember_telemetry_read("0000:7f:1f.7", &none) == EMBER_ERR_NOENT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("0000:7f:1f.7"));
}

TEST_CASE("a loaded workload shows in devmem_used; an activated DBC is ours until close") {
  const Target &d = Dev();
  const auto used0 = ember::read_telemetry(d.bdf);
  REQUIRE(used0);
  REQUIRE(used0->devmem_used);
  std::uint32_t id = 0;
  {
    const Client c;
    id = c.dbc.id();
    const auto tel = ember::read_telemetry(d.bdf);
    REQUIRE(tel);
    CHECK(tel->devmem_used >= *used0->devmem_used + kRegion);
    CHECK(tel->devmem_used == ReadU64(d.sysfs / "devmem_used_bytes"));

    const auto dbcs = Dbcs();
    for (const auto &x : dbcs) {
      INFO("DBC " << x.index);
      CHECK(x.index == static_cast<std::uint32_t>(&x - dbcs.data()));
      if (x.index == id) {
        CHECK(x.active == 1);
        CHECK(x.owner_pid == ::getpid());
      }
    }
    // The same as the sysfs file, line for line.
    std::ostringstream want;
    for (const auto &x : dbcs) {
      want << x.index << (x.active != 0 ? " active " : " free ") << x.owner_pid << '\n';
    }
    CHECK(want.str() == Read(d.sysfs / "dbc_status") + "\n");
  }
  // Closed: the DBC is free and the workload's memory released.
  const auto after = Dbcs();
  CHECK(after[id].active == 0);
  CHECK(after[id].owner_pid == 0);
  const auto tel = ember::read_telemetry(d.bdf);
  REQUIRE(tel);
  CHECK(tel->devmem_used == used0->devmem_used);
}

TEST_CASE("N copy jobs move the DBC's completions by N; busy time and memory in the process list") {
  constexpr int kJobs = 24;
  constexpr std::uint64_t kBo = 64ULL * 1024;
  const Client c;
  ember::Buffer a = c.Buffer(kBo);
  ember::Buffer b = c.Buffer(2 * kBo);
  REQUIRE(a.attach_slices(c.dbc, {ember::slice::copy_to_device(0, kBo, c.scratch)}));
  const auto before = Dbcs();
  for (int i = 0; i < kJobs; ++i) {
    a.bytes()[0] = static_cast<std::byte>(i);
    REQUIRE(a.execute());
    REQUIRE(a.wait(std::chrono::seconds(5)));
  }
  const auto after = Dbcs();
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("DBC " << i << (Polling() ? " (polling)" : " (interrupts)"));
    const auto &x0 = before[i];
    const auto &x1 = after[i];
    if (i != c.dbc.id()) {
      CHECK(x1.completions == x0.completions);
      continue;
    }
    CHECK(x1.active == 1);
    CHECK(x1.owner_pid == ::getpid());
    CHECK(x1.completions - x0.completions == kJobs);
    CHECK(x1.responses - x0.responses >= kJobs);
    CHECK(x1.cancelled == x0.cancelled);
    CHECK(x1.timeouts == x0.timeouts);
    if (Polling()) {
      CHECK(x1.polls > x0.polls);
      CHECK(x1.interrupts == x0.interrupts);
    } else {
      CHECK(x1.interrupts > x0.interrupts);
    }
  }

  const auto procs = Processes();
  const auto me = FindProcess(procs, ::getpid());
  REQUIRE(me);
  CHECK(me->clients == 1);
  CHECK(me->comm == Read("/proc/self/comm"));
  CHECK(me->busy_ns > 0);
  CHECK(me->memory_total >= a.size() + b.size());
  CHECK(me->memory_resident <= me->memory_total);
  // The same sums as the fdinfo file of the device (nothing runs now).
  const FdinfoSums own = ReadFdinfo(DeviceFd(c.dev));
  CHECK(me->busy_ns == own.busy_ns);
  CHECK(me->memory_total == own.total);
  CHECK(a.detach_slices());
}

TEST_CASE("a second file of the process is a second client; a dup'd one is not") {
  const ember::Device one = Open();
  const ember::Device two = Open();
  const int dup_fd = ::dup(DeviceFd(one));
  REQUIRE(dup_fd >= 0);
  const auto procs = Processes();
  ::close(dup_fd);
  const auto me = FindProcess(procs, ::getpid());
  REQUIRE(me);
  CHECK(me->clients == 2);
}

TEST_CASE("a forked child holding the device is listed with its own pid until it exits") {
  // Nothing of this process holds the device.
  REQUIRE_FALSE(FindProcess(Processes(), ::getpid()));
  std::array<int, 2> ready{};
  std::array<int, 2> go{};
  REQUIRE(::pipe(ready.data()) == 0);
  REQUIRE(::pipe(go.data()) == 0);
  constexpr std::uint64_t kBo = 128ULL * 1024;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    ::close(go[1]);
    int rc = 1;
    {
      auto dev = ember::Device::open_bdf(Dev().bdf);
      if (dev) {
        auto bo = dev->create_buffer(kBo);
        if (bo) {
          const char byte = 1;
          char reply = 0;
          if (::write(ready[1], &byte, 1) == 1 && ::read(go[0], &reply, 1) >= 0) {
            rc = 0;
          }
        }
      }
    }
    ::_exit(rc);
  }
  ::close(ready[1]);
  ::close(go[0]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  const auto procs = Processes();
  const auto kid = FindProcess(procs, child);
  CHECK_FALSE(FindProcess(procs, ::getpid()));
  ::close(go[1]);  // the child exits
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::close(ready[0]);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(kid);
  CHECK(kid->clients == 1);
  CHECK(kid->memory_total >= kBo);
  CHECK(kid->busy_ns == 0);
  CHECK_FALSE(FindProcess(Processes(), child));
}
