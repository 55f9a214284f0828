// libember: device discovery against a fake sysfs/dev tree in a temporary
// directory (EMBER_SYSFS_ROOT, EMBER_DEV_ROOT). The sysfs scan is checked
// on its own, the probe (open + DRM_IOCTL_VERSION + GET_INFO) through a
// double and, where a host can do it, for real: a regular file is not a
// DRM node, a missing node cannot be opened.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "discovery.hpp"
#include "ember/ember.h"
#include "ember/ember.hpp"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::ContainsSubstring;
using ember::detail::Candidate;
using ember::detail::Probe;

// A temporary tree shaped like sysfs and /dev:
//   sys/devices/pci0000:00/<bdf>/driver -> sys/bus/pci/drivers/<driver>
//   sys/class/accel/<name>/device -> sys/devices/pci0000:00/<bdf>
//   dev/accel/<name>
class FakeTree {
 public:
  FakeTree() {
    std::string tmpl = (fs::temp_directory_path() / "ember-umd-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    root_ = tmpl;
    fs::create_directories(sys() / "class" / "accel");
    fs::create_directories(dev() / "accel");
    ::setenv("EMBER_SYSFS_ROOT", sys().c_str(), 1);
    ::setenv("EMBER_DEV_ROOT", dev().c_str(), 1);
  }
  ~FakeTree() {
    ::unsetenv("EMBER_SYSFS_ROOT");
    ::unsetenv("EMBER_DEV_ROOT");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeTree(const FakeTree &) = delete;
  FakeTree &operator=(const FakeTree &) = delete;
  FakeTree(FakeTree &&) = delete;
  FakeTree &operator=(FakeTree &&) = delete;

  [[nodiscard]] fs::path sys() const { return root_ / "sys"; }
  [[nodiscard]] fs::path dev() const { return root_ / "dev"; }
  [[nodiscard]] ember::detail::Roots roots() const { return {sys(), dev()}; }

  // An accel class entry for PCI function |bdf| bound to |driver| ("" for
  // none); with |node| a regular file stands in for /dev/accel/<name>.
  void Add(const std::string &name, const std::string &bdf, const std::string &driver,
           bool node = true) {
    const fs::path pci = sys() / "devices" / "pci0000:00" / bdf;
    fs::create_directories(pci);
    if (!driver.empty()) {
      const fs::path drv = sys() / "bus" / "pci" / "drivers" / driver;
      fs::create_directories(drv);
      fs::create_directory_symlink(drv, pci / "driver");
    }
    const fs::path cls = sys() / "class" / "accel" / name;
    fs::create_directories(cls);
    fs::create_directory_symlink(pci, cls / "device");
    if (node) {
      std::ofstream(dev() / "accel" / name) << "not a DRM node\n";
    }
  }

 private:
  fs::path root_;
};

std::vector<std::string> Names(const std::vector<Candidate> &cs) {
  std::vector<std::string> out;
  out.reserve(cs.size());
  for (const auto &c : cs) {
    out.push_back(c.name);
  }
  return out;
}

}  // namespace

TEST_CASE("accel names and PCI addresses are parsed strictly", "[discovery]") {
  using ember::detail::NormalizeBdf;
  using ember::detail::ParseAccelName;
  CHECK(ParseAccelName("accel0") == 0U);
  CHECK(ParseAccelName("accel17") == 17U);
  CHECK_FALSE(ParseAccelName("accel"));
  CHECK_FALSE(ParseAccelName("accel1a"));
  CHECK_FALSE(ParseAccelName("card0"));
  CHECK_FALSE(ParseAccelName("xaccel0"));

  CHECK(NormalizeBdf("0000:00:03.0") == "0000:00:03.0");
  CHECK(NormalizeBdf("00:03.0") == "0000:00:03.0");
  CHECK(NormalizeBdf("0000:AF:1F.7") == "0000:af:1f.7");
  CHECK(NormalizeBdf("10000:01:00.0") == "10000:01:00.0");
  CHECK_FALSE(NormalizeBdf(""));
  CHECK_FALSE(NormalizeBdf("0000:00:03"));
  CHECK_FALSE(NormalizeBdf("0000:00:03.8"));
  CHECK_FALSE(NormalizeBdf("0000:0:03.0"));
  CHECK_FALSE(NormalizeBdf("000g:00:03.0"));
  CHECK_FALSE(NormalizeBdf("accel0"));
}

TEST_CASE("the sysfs scan orders by minor and skips other drivers' devices", "[discovery]") {
  FakeTree t;
  t.Add("accel0", "0000:00:03.0", "ember");
  t.Add("accel1", "0000:00:04.0", "qaic");  // another accel driver: never opened
  t.Add("accel10", "0000:00:05.0", "ember");
  t.Add("accel2", "0000:00:06.0", "");  // unbound in sysfs: left to the probe
  fs::create_directories(t.sys() / "class" / "accel" / "not-an-accel");

  const auto cs = ember::detail::ScanSysfs(t.roots());
  REQUIRE(Names(cs) == std::vector<std::string>{"accel0", "accel2", "accel10"});
  CHECK(cs[0].minor == 0);
  CHECK(cs[0].bdf == "0000:00:03.0");
  CHECK(cs[0].driver == "ember");
  CHECK(cs[0].node == t.dev() / "accel" / "accel0");
  CHECK(cs[0].sysfs == t.sys() / "class" / "accel" / "accel0");
  CHECK(cs[1].driver.empty());
  CHECK(cs[1].bdf == "0000:00:06.0");
  CHECK(cs[2].minor == 10);
}

TEST_CASE("the sysfs scan of a machine without accel devices is empty", "[discovery]") {
  ember::detail::Roots roots{fs::path("/nonexistent/ember-sys"), fs::path("/nonexistent/dev")};
  CHECK(ember::detail::ScanSysfs(roots).empty());
}

TEST_CASE("enumeration keeps confirmed devices and unopenable ember ones", "[discovery]") {
  FakeTree t;
  t.Add("accel0", "0000:00:03.0", "ember");
  t.Add("accel1", "0000:00:04.0", "qaic");
  t.Add("accel2", "0000:00:06.0", "");
  t.Add("accel3", "0000:00:07.0", "ember");
  t.Add("accel4", "0000:00:08.0", "");

  std::vector<std::string> probed;
  const auto found = ember::detail::Enumerate(t.roots(), [&](const Candidate &c) {
    probed.push_back(c.name);
    Probe p;
    if (c.name == "accel0" || c.name == "accel2") {  // DRM_IOCTL_VERSION said "ember"
      p.verdict = Probe::Verdict::kEmber;
      p.status = EMBER_OK;
      p.info.num_dbcs = c.name == "accel0" ? 4 : 8;
    } else {
      // open() failed: kept for accel3 (sysfs says ember), dropped for
      // accel4 (nothing says it is ember).
      p.verdict = Probe::Verdict::kUnverified;
      p.status = EMBER_ERR_ACCESS;
    }
    return p;
  });
  CHECK(probed == std::vector<std::string>{"accel0", "accel2", "accel3", "accel4"});
  REQUIRE(found.size() == 3);
  CHECK(found[0].where.name == "accel0");
  CHECK(found[0].status == EMBER_OK);
  CHECK(found[0].info.num_dbcs == 4);
  CHECK(found[1].where.name == "accel2");
  CHECK(found[1].info.num_dbcs == 8);
  CHECK(found[2].where.name == "accel3");
  CHECK(found[2].status == EMBER_ERR_ACCESS);
  CHECK(found[2].info.num_dbcs == 0);
}

TEST_CASE("a node that is not a DRM device is dropped by the real probe", "[discovery]") {
  FakeTree t;
  t.Add("accel0", "0000:00:03.0", "ember");            // regular file: VERSION fails
  t.Add("accel1", "0000:00:04.0", "ember", false);     // no node at all
  t.Add("accel2", "0000:00:05.0", "", false);          // no node, driver unknown
  t.Add("accel3", "0000:00:06.0", "other-npu", true);  // never opened

  const auto found = ember::detail::Enumerate(t.roots(), ember::detail::ProbeNode);
  REQUIRE(found.size() == 1);
  CHECK(found[0].where.name == "accel1");
  CHECK(found[0].status == EMBER_ERR_NOENT);

  // The same through the C ABI and the C++ API.
  std::size_t count = 99;
  REQUIRE(ember_device_count(&count) == EMBER_OK);
  CHECK(count == 1);
  std::vector<ember_device_desc> descs(2);
  REQUIRE(ember_device_list(descs.data(), descs.size(), &count) == EMBER_OK);
  REQUIRE(count == 1);
  CHECK(std::string(descs[0].node) == (t.dev() / "accel" / "accel1").string());
  CHECK(std::string(descs[0].sysfs) == (t.sys() / "class" / "accel" / "accel1").string());
  CHECK(std::string(descs[0].bdf) == "0000:00:04.0");
  CHECK(descs[0].minor == 1);
  CHECK(descs[0].status == EMBER_ERR_NOENT);

  const auto list = ember::list_devices();
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).bdf == "0000:00:04.0");

  ember_device *dev = nullptr;
  CHECK(ember_device_open(0, &dev) == EMBER_ERR_NOENT);
  CHECK(dev == nullptr);
  CHECK(ember_device_open(1, &dev) == EMBER_ERR_NOENT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("no ember device with index 1"));
}

TEST_CASE("ember_device_list with less room than devices", "[discovery]") {
  FakeTree t;
  t.Add("accel0", "0000:00:03.0", "ember", false);
  t.Add("accel1", "0000:00:04.0", "ember", false);
  ember_device_desc one{};
  std::size_t count = 0;
  REQUIRE(ember_device_list(&one, 1, &count) == EMBER_OK);
  CHECK(count == 2);
  CHECK(one.minor == 0);
  REQUIRE(ember_device_list(&one, 0, &count) == EMBER_OK);
  CHECK(count == 2);
}

TEST_CASE("opening by PCI address and by path", "[discovery]") {
  FakeTree t;
  t.Add("accel0", "0000:00:03.0", "ember");
  t.Add("accel1", "0000:00:04.0", "qaic");
  t.Add("accel2", "0000:00:05.0", "ember", false);
  ember_device *dev = nullptr;

  // A regular file answers DRM_IOCTL_VERSION with ENOTTY.
  CHECK(ember_device_open_bdf("00:03.0", &dev) == EMBER_ERR_NOTTY);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("not a DRM node"));
  // Another driver's device is not an ember device, whatever its node is.
  CHECK(ember_device_open_bdf("0000:00:04.0", &dev) == EMBER_ERR_NOENT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("no ember accel device at PCI"));
  CHECK(ember_device_open_bdf("0000:00:05.0", &dev) == EMBER_ERR_NOENT);
  CHECK(ember_device_open_bdf("0000:00:09.0", &dev) == EMBER_ERR_NOENT);
  CHECK(ember_device_open_bdf("00:03", &dev) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("is not a PCI address"));

  CHECK(ember_device_open_path((t.dev() / "accel" / "accel0").c_str(), &dev) == EMBER_ERR_NOTTY);
  CHECK(ember_device_open_path((t.dev() / "accel" / "accel9").c_str(), &dev) == EMBER_ERR_NOENT);
  CHECK(dev == nullptr);

  const auto r = ember::Device::open_bdf("00:03.0");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == EMBER_ERR_NOTTY);
  CHECK(r.error().errno_value() == ENOTTY);
}

TEST_CASE("a character device that is not a DRM node is refused", "[discovery]") {
  // /dev/null is a character device but not DRM: DRM_IOCTL_VERSION fails.
  ember_device *dev = nullptr;
  const ember_status st = ember_device_open_path("/dev/null", &dev);
  CHECK(st == EMBER_ERR_NOTTY);
  CHECK(dev == nullptr);
}
