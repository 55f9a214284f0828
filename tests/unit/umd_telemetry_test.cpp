// libember telemetry and monitoring (ember.h "Telemetry and monitoring")
// against a fake sysfs and procfs tree in a temporary directory
// (EMBER_SYSFS_ROOT, EMBER_PROC_ROOT): every field parsed from the files
// of docs/sysfs.md, unreadable telemetry files leave their valid bit clear,
// fdinfo files summed per process, and the C ABI's argument and capacity
// rules. The parsers are also checked on their own.
#include <sys/stat.h>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "ember/ember.hpp"
#include "telemetry.hpp"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::ContainsSubstring;

constexpr const char *kBdf = "0000:00:03.0";

void Write(const fs::path &path, const std::string &text) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path);
  f << text;
  REQUIRE(f.good());
}

// A temporary tree shaped like sysfs and procfs:
//   sys/bus/pci/drivers/<driver>/ember_ioctl_version
//   sys/module/ember/version
//   sys/devices/pci0000:00/<bdf>/{driver -> drivers/<driver>, attributes, hwmon/hwmonN/}
//   sys/bus/pci/devices/<bdf> -> sys/devices/pci0000:00/<bdf>
//   proc/<pid>/{comm, fdinfo/<fd>}
class FakeTree {
 public:
  FakeTree() {
    std::string tmpl = (fs::temp_directory_path() / "ember-tel-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    root_ = tmpl;
    fs::create_directories(sys() / "bus" / "pci" / "devices");
    fs::create_directories(proc());
    ::setenv("EMBER_SYSFS_ROOT", sys().c_str(), 1);
    ::setenv("EMBER_PROC_ROOT", proc().c_str(), 1);
  }
  ~FakeTree() {
    ::unsetenv("EMBER_SYSFS_ROOT");
    ::unsetenv("EMBER_PROC_ROOT");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeTree(const FakeTree &) = delete;
  FakeTree &operator=(const FakeTree &) = delete;
  FakeTree(FakeTree &&) = delete;
  FakeTree &operator=(FakeTree &&) = delete;

  [[nodiscard]] fs::path sys() const { return root_ / "sys"; }
  [[nodiscard]] fs::path proc() const { return root_ / "proc"; }
  [[nodiscard]] ember::detail::MonitorRoots roots() const { return {sys(), proc()}; }
  [[nodiscard]] fs::path Dev(const std::string &bdf = kBdf) const {
    return sys() / "devices" / "pci0000:00" / bdf;
  }

  // ember.ko loaded: its driver directory and module files.
  void LoadModule() const {
    Write(sys() / "bus" / "pci" / "drivers" / "ember" / "ember_ioctl_version", "1.4.2\n");
    Write(sys() / "module" / "ember" / "version", "0.1.0\n");
  }

  // A PCI function bound to |driver| with every attribute of docs/sysfs.md.
  void AddDevice(const std::string &bdf = kBdf, const std::string &driver = "ember") const {
    const fs::path dev = Dev(bdf);
    fs::create_directories(dev);
    const fs::path drv = sys() / "bus" / "pci" / "drivers" / driver;
    fs::create_directories(drv);
    fs::create_directory_symlink(drv, dev / "driver");
    fs::create_directory_symlink(dev, sys() / "bus" / "pci" / "devices" / bdf);
    Write(dev / "serial_number", "454d000000000001\n");
    Write(dev / "devmem_total_bytes", "268435456\n");
    Write(dev / "devmem_used_bytes", "12288\n");
    Write(dev / "reset_count", "3\n");
    Write(dev / "state", "online\n");
    Write(dev / "core_clk_mhz", "1400\n");
    Write(dev / "mem_clk_mhz", "1600\n");
    Write(dev / "ecc_ce_count", "7\n");
    Write(dev / "ecc_ue_count", "1\n");
    Write(dev / "dbc_status", "0 active 4242\n1 free 0\n2 active 17\n3 free 0\n");
    Write(dev / "dbc_counters",
          "0 interrupts=10 polls=2 responses=12 completions=11 cancelled=1 timeouts=0\n"
          "1 interrupts=0 polls=0 responses=0 completions=0 cancelled=0 timeouts=0\n"
          "2 interrupts=5 polls=7 responses=9 completions=9 cancelled=0 timeouts=2\n"
          "3 interrupts=0 polls=0 responses=0 completions=0 cancelled=0 timeouts=0\n");
    // Another chip's hwmon first: only the one named "ember" counts.
    Write(dev / "hwmon" / "hwmon1" / "name", "nvme\n");
    Write(dev / "hwmon" / "hwmon1" / "temp1_input", "1000\n");
    const fs::path hw = dev / "hwmon" / "hwmon4";
    Write(hw / "name", "ember\n");
    Write(hw / "temp1_input", "52500\n");
    Write(hw / "temp1_crit", "95000\n");
    Write(hw / "power1_average", "35000000\n");
    Write(hw / "power1_cap", "75000000\n");
  }

  // A file that cannot be read, as a telemetry attribute whose read fails
  // (ENODATA on the real driver): a directory in its place.
  void MakeUnreadable(const fs::path &path) const {
    fs::remove(path);
    fs::create_directories(path);
  }

  void AddProcess(int pid, const std::string &comm) const {
    Write(proc() / std::to_string(pid) / "comm", comm + "\n");
    fs::create_directories(proc() / std::to_string(pid) / "fdinfo");
  }
  void AddFd(int pid, int fd, const std::string &text) const {
    Write(proc() / std::to_string(pid) / "fdinfo" / std::to_string(fd), text);
  }

 private:
  fs::path root_;
};

// An ember file's fdinfo, as the kernel prints it (tabs after the keys).
std::string EmberFdinfo(int client, const std::string &pdev, const std::string &busy0,
                        const std::string &busy1, const std::string &total,
                        const std::string &resident) {
  return "pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t1047\n"
         "drm-driver:\tember\n"
         "drm-client-id:\t" +
         std::to_string(client) + "\ndrm-pdev:\t" + pdev + "\ndrm-engine-dbc0:\t" + busy0 +
         " ns\ndrm-engine-dbc1:\t" + busy1 + " ns\ndrm-total-memory:\t" + total +
         "\ndrm-shared-memory:\t0\ndrm-active-memory:\t0\ndrm-resident-memory:\t" + resident +
         "\ndrm-purgeable-memory:\t0\n";
}

void CheckFailed(ember_status st, ember_status want, const std::string &text) {
  INFO(ember_strerror(st) << ": " << ember_last_error_message());
  CHECK(st == want);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring(text));
}

}  // namespace

// ---- parsers ----

TEST_CASE("numbers, versions and states are parsed strictly", "[telemetry]") {
  using namespace ember::detail;
  CHECK(ParseU64("42\n") == 42U);
  CHECK(ParseU64(" 18446744073709551615 ") == 18446744073709551615ULL);
  CHECK_FALSE(ParseU64("18446744073709551616"));
  CHECK_FALSE(ParseU64(""));
  CHECK_FALSE(ParseU64("-1"));
  CHECK_FALSE(ParseU64("12abc"));
  CHECK(ParseI64("-5000\n") == -5000);

  using V = std::array<std::uint32_t, 3>;
  CHECK(ParseVersion3("1.1.0\n") == V{1, 1, 0});
  CHECK(ParseVersion3("10.20.30") == V{10, 20, 30});
  CHECK_FALSE(ParseVersion3("1.1"));
  CHECK_FALSE(ParseVersion3("1.1.0.1"));
  CHECK_FALSE(ParseVersion3("1. 1.0"));
  CHECK_FALSE(ParseVersion3("a.b.c"));

  CHECK(ParseState("online\n") == EMBER_STATE_ONLINE);
  CHECK(ParseState("resetting") == EMBER_STATE_RESETTING);
  CHECK(ParseState("failed") == EMBER_STATE_FAILED);
  CHECK(ParseState("offline") == EMBER_STATE_OFFLINE);
  CHECK_FALSE(ParseState("sleeping"));
}

TEST_CASE("dbc_status and dbc_counters are parsed and merged by index", "[telemetry]") {
  using namespace ember::detail;
  auto dbcs = ParseDbcStatus("1 free 0\n0 active 99\n");
  REQUIRE(dbcs);
  REQUIRE(dbcs->size() == 2);
  CHECK((*dbcs)[0].index == 0);
  CHECK((*dbcs)[0].active == 1);
  CHECK((*dbcs)[0].owner_pid == 99);
  CHECK((*dbcs)[1].index == 1);
  CHECK((*dbcs)[1].active == 0);
  CHECK((*dbcs)[1].owner_pid == 0);

  // Unknown keys (a newer driver) are skipped; the known ones land.
  REQUIRE(MergeDbcCounters(
      "1 interrupts=1 polls=2 responses=3 completions=4 cancelled=5 timeouts=6 rearms=9\n", *dbcs));
  CHECK((*dbcs)[1].interrupts == 1);
  CHECK((*dbcs)[1].polls == 2);
  CHECK((*dbcs)[1].responses == 3);
  CHECK((*dbcs)[1].completions == 4);
  CHECK((*dbcs)[1].cancelled == 5);
  CHECK((*dbcs)[1].timeouts == 6);
  CHECK((*dbcs)[0].completions == 0);

  CHECK_FALSE(MergeDbcCounters("2 interrupts=1\n", *dbcs));  // no DBC 2
  CHECK_FALSE(MergeDbcCounters("0 interrupts=x\n", *dbcs));
  CHECK_FALSE(MergeDbcCounters("0 interrupts\n", *dbcs));
  CHECK_FALSE(ParseDbcStatus("0 busy 1\n"));
  CHECK_FALSE(ParseDbcStatus("0 active\n"));
  CHECK_FALSE(ParseDbcStatus("0 free 0\n0 free 0\n"));  // an index twice
  CHECK_FALSE(ParseDbcStatus("x free 0\n"));
  REQUIRE(ParseDbcStatus(""));
  CHECK(ParseDbcStatus("")->empty());
}

TEST_CASE("fdinfo sizes carry B, KiB or MiB; DRM keys are collected", "[telemetry]") {
  using namespace ember::detail;
  CHECK(ParseMemorySize("0") == 0U);
  CHECK(ParseMemorySize("512") == 512U);
  CHECK(ParseMemorySize("512 B") == 512U);
  CHECK(ParseMemorySize("12 KiB") == 12ULL * 1024);
  CHECK(ParseMemorySize("3 MiB") == 3ULL * 1024 * 1024);
  CHECK(ParseMemorySize("2 GiB") == 2ULL << 30);
  CHECK_FALSE(ParseMemorySize("3 kB"));
  CHECK_FALSE(ParseMemorySize("KiB"));
  CHECK_FALSE(ParseMemorySize("1 KiB extra"));
  CHECK_FALSE(ParseMemorySize("18446744073709551615 KiB"));

  const auto rec = ParseFdinfo(EmberFdinfo(7, kBdf, "1500", "250", "12 KiB", "8 KiB"));
  REQUIRE(rec);
  CHECK(rec->driver == "ember");
  CHECK(rec->pdev == kBdf);
  CHECK(rec->client_id == 7U);
  CHECK(rec->busy_ns == 1750);
  CHECK(rec->memory_total == 12ULL * 1024);
  CHECK(rec->memory_resident == 8ULL * 1024);

  CHECK_FALSE(ParseFdinfo("pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t7\n"));  // not DRM
  const auto old = ParseFdinfo("drm-driver:\tember\ndrm-pdev:\t0000:00:03.0\n");
  REQUIRE(old);
  CHECK_FALSE(old->client_id);
  CHECK(old->memory_total == 0);
}

TEST_CASE("a bounded read refuses a file as large as the bound and a non-regular file",
          "[telemetry]") {
  using ember::detail::ReadBounded;
  FakeTree t;
  const fs::path f = t.sys() / "f";
  Write(f, std::string(100, 'x'));
  std::string buf;
  CHECK(ReadBounded(f, buf, 101) == 0);
  CHECK(buf.size() == 100);
  CHECK(ReadBounded(f, buf, 100) == EFBIG);
  CHECK(buf.empty());
  CHECK(ReadBounded(t.sys() / "missing", buf) == ENOENT);
  CHECK(ReadBounded(t.sys(), buf) == ENXIO);  // a directory
  REQUIRE(::mkfifo((t.sys() / "fifo").c_str(), 0600) == 0);
  CHECK(ReadBounded(t.sys() / "fifo", buf) == ENXIO);  // never blocks on it
}

// ---- the C ABI over a fake tree ----

TEST_CASE("driver status: loaded with its ABI and version, or not loaded", "[telemetry]") {
  FakeTree t;
  ember_driver_status st{};
  st.loaded = 7;
  REQUIRE(ember_driver_status_read(&st) == EMBER_OK);
  CHECK(st.loaded == 0);
  CHECK(st.abi_major == 0);
  CHECK(std::string(st.version).empty());

  t.LoadModule();
  REQUIRE(ember_driver_status_read(&st) == EMBER_OK);
  CHECK(st.loaded == 1);
  CHECK(st.abi_major == 1);
  CHECK(st.abi_minor == 4);
  CHECK(st.abi_patch == 2);
  CHECK(std::string(st.version) == "0.1.0");

  const auto cpp = ember::driver_status();
  REQUIRE(cpp);
  CHECK(cpp->loaded);
  CHECK(cpp->version == "0.1.0");

  // No version file (a module without MODULE_VERSION): still loaded.
  fs::remove(t.sys() / "module" / "ember" / "version");
  REQUIRE(ember_driver_status_read(&st) == EMBER_OK);
  CHECK(st.loaded == 1);
  CHECK(std::string(st.version).empty());

  Write(t.sys() / "bus" / "pci" / "drivers" / "ember" / "ember_ioctl_version", "garbage\n");
  CheckFailed(ember_driver_status_read(&st), EMBER_ERR_IO, "ember_ioctl_version");
  CheckFailed(ember_driver_status_read(nullptr), EMBER_ERR_INVALID, "NULL");
}

TEST_CASE("telemetry: every field from sysfs and hwmon", "[telemetry]") {
  FakeTree t;
  t.LoadModule();
  t.AddDevice();
  ember_telemetry tel{};
  REQUIRE(ember_telemetry_read("00:03.0", &tel) == EMBER_OK);  // short form
  constexpr std::uint32_t kAll = EMBER_TEL_TEMP | EMBER_TEL_TEMP_CRIT | EMBER_TEL_POWER |
                                 EMBER_TEL_POWER_CAP | EMBER_TEL_CORE_CLK | EMBER_TEL_MEM_CLK |
                                 EMBER_TEL_ECC | EMBER_TEL_DEVMEM | EMBER_TEL_RESET_COUNT |
                                 EMBER_TEL_SERIAL | EMBER_TEL_STATE;
  CHECK(tel.valid == kAll);
  CHECK(tel.state == EMBER_STATE_ONLINE);
  CHECK(tel.temp_mc == 52500);
  CHECK(tel.temp_crit_mc == 95000);
  CHECK(tel.power_uw == 35000000U);
  CHECK(tel.power_cap_uw == 75000000U);
  CHECK(tel.core_clk_mhz == 1400U);
  CHECK(tel.mem_clk_mhz == 1600U);
  CHECK(tel.ecc_ce == 7U);
  CHECK(tel.ecc_ue == 1U);
  CHECK(tel.devmem_total == 268435456U);
  CHECK(tel.devmem_used == 12288U);
  CHECK(tel.reset_count == 3U);
  CHECK(std::string(tel.serial) == "454d000000000001");

  const auto cpp = ember::read_telemetry(kBdf);
  REQUIRE(cpp);
  CHECK(cpp->temp_mc == 52500);
  CHECK(cpp->serial == "454d000000000001");
  CHECK(ember::state_name(cpp->state) == "online");
}

TEST_CASE("telemetry: a file the device cannot answer leaves its valid bit clear", "[telemetry]") {
  FakeTree t;
  t.LoadModule();
  t.AddDevice();
  const fs::path dev = t.Dev();
  t.MakeUnreadable(dev / "core_clk_mhz");
  t.MakeUnreadable(dev / "ecc_ue_count");  // one of the pair: ECC unavailable
  t.MakeUnreadable(dev / "hwmon" / "hwmon4" / "temp1_input");
  fs::remove(dev / "hwmon" / "hwmon4" / "power1_cap");
  Write(dev / "state", "resetting\n");
  Write(dev / "mem_clk_mhz", "fast\n");  // malformed counts as unavailable
  ember_telemetry tel{};
  REQUIRE(ember_telemetry_read(kBdf, &tel) == EMBER_OK);
  CHECK((tel.valid & EMBER_TEL_CORE_CLK) == 0);
  CHECK(tel.core_clk_mhz == 0);
  CHECK((tel.valid & EMBER_TEL_MEM_CLK) == 0);
  CHECK((tel.valid & EMBER_TEL_ECC) == 0);
  CHECK(tel.ecc_ce == 0);
  CHECK((tel.valid & EMBER_TEL_TEMP) == 0);
  CHECK((tel.valid & EMBER_TEL_POWER_CAP) == 0);
  // The rest is still there.
  CHECK((tel.valid & EMBER_TEL_TEMP_CRIT) != 0);
  CHECK((tel.valid & EMBER_TEL_POWER) != 0);
  CHECK((tel.valid & EMBER_TEL_DEVMEM) != 0);
  CHECK(tel.state == EMBER_STATE_RESETTING);

  const auto cpp = ember::read_telemetry(kBdf);
  REQUIRE(cpp);
  CHECK_FALSE(cpp->core_clk_mhz);
  CHECK_FALSE(cpp->temp_mc);
  CHECK(cpp->power_uw == 35000000U);

  // No ember hwmon at all (a device without EMBER_CAP_TELEMETRY).
  fs::remove_all(dev / "hwmon" / "hwmon4");
  REQUIRE(ember_telemetry_read(kBdf, &tel) == EMBER_OK);
  CHECK((tel.valid &
         (EMBER_TEL_TEMP | EMBER_TEL_TEMP_CRIT | EMBER_TEL_POWER | EMBER_TEL_POWER_CAP)) == 0);
}

TEST_CASE("telemetry: no ember device at the address, a malformed address, NULL arguments",
          "[telemetry]") {
  FakeTree t;
  t.LoadModule();
  t.AddDevice();
  t.AddDevice("0000:00:04.0", "nvme");
  ember_telemetry tel{};
  CheckFailed(ember_telemetry_read("0000:00:09.0", &tel), EMBER_ERR_NOENT, "0000:00:09.0");
  CheckFailed(ember_telemetry_read("0000:00:04.0", &tel), EMBER_ERR_NOENT, "nvme");
  CheckFailed(ember_telemetry_read("accel0", &tel), EMBER_ERR_INVALID, "accel0");
  CheckFailed(ember_telemetry_read(nullptr, &tel), EMBER_ERR_INVALID, "NULL");
  CheckFailed(ember_telemetry_read(kBdf, nullptr), EMBER_ERR_INVALID, "NULL");
  const auto cpp = ember::read_telemetry("0000:00:09.0");
  REQUIRE_FALSE(cpp);
  CHECK(cpp.error().code() == EMBER_ERR_NOENT);

  std::size_t count = 0;
  std::vector<ember_dbc_telemetry> dbcs(4);
  CheckFailed(ember_dbc_telemetry_read("0000:00:09.0", dbcs.data(), 4, &count), EMBER_ERR_NOENT,
              "no ember device");
  std::vector<ember_process_usage> procs(4);
  CheckFailed(ember_process_list("0000:00:09.0", procs.data(), 4, &count), EMBER_ERR_NOENT,
              "no ember device");
  // The module unloaded: its devices are gone with it.
  fs::remove(t.Dev() / "driver");
  CheckFailed(ember_telemetry_read(kBdf, &tel), EMBER_ERR_NOENT, kBdf);
}

TEST_CASE("DBC telemetry: owner and counters by index; capacity and NULL rules", "[telemetry]") {
  FakeTree t;
  t.LoadModule();
  t.AddDevice();
  std::size_t count = 0;
  REQUIRE(ember_dbc_telemetry_read(kBdf, nullptr, 0, &count) == EMBER_OK);
  CHECK(count == 4);
  std::vector<ember_dbc_telemetry> two(2);
  REQUIRE(ember_dbc_telemetry_read(kBdf, two.data(), two.size(), &count) == EMBER_OK);
  CHECK(count == 4);  // larger than the room: call again with more
  CHECK(two[1].index == 1);

  const auto all = ember::read_dbc_telemetry(kBdf);
  REQUIRE(all);
  REQUIRE(all->size() == 4);
  const auto &d0 = (*all)[0];
  CHECK(d0.active == 1);
  CHECK(d0.owner_pid == 4242);
  CHECK(d0.interrupts == 10);
  CHECK(d0.polls == 2);
  CHECK(d0.responses == 12);
  CHECK(d0.completions == 11);
  CHECK(d0.cancelled == 1);
  CHECK(d0.timeouts == 0);
  CHECK((*all)[1].active == 0);
  CHECK((*all)[1].owner_pid == 0);
  CHECK((*all)[2].owner_pid == 17);
  CHECK((*all)[2].timeouts == 2);
  CHECK((*all)[3].index == 3);

  CheckFailed(ember_dbc_telemetry_read(kBdf, nullptr, 1, &count), EMBER_ERR_INVALID, "NULL");
  CheckFailed(ember_dbc_telemetry_read(kBdf, two.data(), 2, nullptr), EMBER_ERR_INVALID, "NULL");
  CheckFailed(ember_dbc_telemetry_read(nullptr, two.data(), 2, &count), EMBER_ERR_INVALID, "NULL");

  Write(t.Dev() / "dbc_counters", "7 interrupts=1\n");
  CheckFailed(ember_dbc_telemetry_read(kBdf, two.data(), 2, &count), EMBER_ERR_IO, "dbc_counters");
  Write(t.Dev() / "dbc_status", "0 maybe 1\n");
  CheckFailed(ember_dbc_telemetry_read(kBdf, two.data(), 2, &count), EMBER_ERR_IO, "dbc_status");
  // A driver older than the files: not supported, not an I/O error.
  Write(t.Dev() / "dbc_status", "0 free 0\n");
  std::filesystem::remove(t.Dev() / "dbc_counters");
  CheckFailed(ember_dbc_telemetry_read(kBdf, two.data(), 2, &count), EMBER_ERR_UNSUPPORTED,
              "dbc_counters");
  std::filesystem::remove(t.Dev() / "dbc_status");
  CheckFailed(ember_dbc_telemetry_read(kBdf, two.data(), 2, &count), EMBER_ERR_UNSUPPORTED,
              "dbc_status");
}

TEST_CASE("processes: fdinfo summed per pid, dup'd files once, other files ignored",
          "[telemetry]") {
  FakeTree t;
  t.LoadModule();
  t.AddDevice();
  // pid 100: client 5 open twice (dup), client 6, a socket, another DRM
  // driver's file, and an ember file of another device.
  t.AddProcess(100, "trainer");
  t.AddFd(100, 3, EmberFdinfo(5, kBdf, "1000", "500", "12 KiB", "8 KiB"));
  t.AddFd(100, 4, EmberFdinfo(5, kBdf, "1000", "500", "12 KiB", "8 KiB"));
  t.AddFd(100, 5, EmberFdinfo(6, "0000:00:03.0", "0", "2000", "1 MiB", "1 MiB"));
  t.AddFd(100, 0, "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t7\n");
  t.AddFd(100, 7,
          "pos:\t0\ndrm-driver:\ti915\ndrm-client-id:\t5\ndrm-pdev:\t0000:00:03.0\n"
          "drm-engine-render:\t99 ns\ndrm-total-memory:\t4 KiB\n");
  t.AddFd(100, 8, EmberFdinfo(40, "0000:00:05.0", "777", "0", "4 KiB", "4 KiB"));
  // pid 42: one client, sizes in bytes.
  t.AddProcess(42, "serve with spaces");
  t.AddFd(42, 9, EmberFdinfo(9, kBdf, "0", "0", "4096", "0"));
  // No ember file; a process whose fdinfo is unreadable; non-pid entries.
  t.AddProcess(7, "bash");
  t.AddFd(7, 1, "pos:\t0\nflags:\t02\n");
  Write(t.proc() / "300" / "comm", "hidden\n");  // no fdinfo directory
  fs::create_directories(t.proc() / "sys");
  Write(t.proc() / "self" / "fdinfo" / "3", EmberFdinfo(11, kBdf, "1", "1", "4 KiB", "4 KiB"));

  std::size_t count = 0;
  std::vector<ember_process_usage> out(8);
  REQUIRE(ember_process_list(kBdf, out.data(), out.size(), &count) == EMBER_OK);
  REQUIRE(count == 2);
  CHECK(out[0].pid == 42);
  CHECK(out[0].clients == 1);
  CHECK(std::string(out[0].comm) == "serve with spaces");
  CHECK(out[0].busy_ns == 0);
  CHECK(out[0].memory_total == 4096);
  CHECK(out[0].memory_resident == 0);
  CHECK(out[1].pid == 100);
  CHECK(out[1].clients == 2);
  CHECK(std::string(out[1].comm) == "trainer");
  CHECK(out[1].busy_ns == 1500 + 2000);
  CHECK(out[1].memory_total == (12ULL * 1024) + (1ULL << 20));
  CHECK(out[1].memory_resident == (8ULL * 1024) + (1ULL << 20));

  // Too little room: the count says how many there are.
  std::vector<ember_process_usage> one(1);
  REQUIRE(ember_process_list("00:03.0", one.data(), one.size(), &count) == EMBER_OK);
  CHECK(count == 2);
  CHECK(one[0].pid == 42);
  REQUIRE(ember_process_list(kBdf, nullptr, 0, &count) == EMBER_OK);
  CHECK(count == 2);

  const auto cpp = ember::list_processes(kBdf);
  REQUIRE(cpp);
  REQUIRE(cpp->size() == 2);
  CHECK((*cpp)[1].comm == "trainer");
  CHECK((*cpp)[1].busy_ns == 3500);

  CheckFailed(ember_process_list(kBdf, nullptr, 1, &count), EMBER_ERR_INVALID, "NULL");
  CheckFailed(ember_process_list(kBdf, out.data(), 1, nullptr), EMBER_ERR_INVALID, "NULL");
  CheckFailed(ember_process_list(nullptr, out.data(), 1, &count), EMBER_ERR_INVALID, "NULL");
  CheckFailed(ember_process_list("bogus", out.data(), 1, &count), EMBER_ERR_INVALID, "bogus");

  // No process has it open: an empty list.
  fs::remove_all(t.proc() / "100");
  fs::remove_all(t.proc() / "42");
  REQUIRE(ember_process_list(kBdf, out.data(), out.size(), &count) == EMBER_OK);
  CHECK(count == 0);
}
