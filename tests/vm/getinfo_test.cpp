// In-guest tests of DRM_IOCTL_EMBER_GET_INFO against the device the VM
// runner created. Expected values come from the environment, set by
// tests/vm/suite.sh from the QEMU properties it passed:
//   EMBER_EXPECT_DBCS, EMBER_EXPECT_MEM (bytes), EMBER_EXPECT_IRQ (msix|single)
#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "ember_accel.h"
#include "ember_raw.hpp"

namespace {

namespace fs = std::filesystem;

// A sysfs file without its trailing newline.
std::string ReadFile(const fs::path &path) {
  return ember_test::TrimEnd(ember_test::ReadText(path).value_or(""));
}

std::uint64_t EnvU64(const char *name) {
  const char *v = std::getenv(name);
  if (v == nullptr) {
    FAIL("environment variable " << name << " is not set");
  }
  return std::strtoull(v, nullptr, 0);
}

// An open accel node of the ember driver (fd -1 if there is none); closes
// on destruction.
class AccelFd {
 public:
  AccelFd() {
    if (const auto dev = ember_test::FindEmber()) {
      fd_ = ::open(dev->node.c_str(), O_RDWR | O_CLOEXEC);
      sysfs_ = dev->sysfs;
    }
  }
  ~AccelFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  AccelFd(const AccelFd &) = delete;
  AccelFd &operator=(const AccelFd &) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const fs::path &sysfs() const { return sysfs_; }

 private:
  int fd_ = -1;
  fs::path sysfs_;
};

// Issues GET_INFO with any argument pointer and returns 0 or the errno.
int GetInfo(int fd, void *arg) { return ember_test::Ioctl(fd, DRM_IOCTL_EMBER_GET_INFO, arg); }

}  // namespace

TEST_CASE("an ember accel node exists and answers DRM_IOCTL_VERSION", "[getinfo]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  CHECK(fs::exists(dev.sysfs() / "device" / "fw_informations"));
}

TEST_CASE("get_info reports the device QEMU was given", "[getinfo]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  drm_ember_get_info info{};
  std::memset(&info, 0xa5, sizeof(info));
  info.flags = 0;
  info.pad = 0;
  REQUIRE(GetInfo(dev.fd(), &info) == 0);

  CHECK(info.num_dbcs == EnvU64("EMBER_EXPECT_DBCS"));
  CHECK(info.devmem_size == EnvU64("EMBER_EXPECT_MEM"));
  CHECK(info.abi_major == EMBER_ABI_MAJOR);
  CHECK(info.abi_minor == EMBER_ABI_MINOR);
  CHECK(info.abi_patch == EMBER_ABI_PATCH);
  CHECK(info.pci_vendor == 0x1234);
  CHECK(info.pci_device == 0xeb01);
  CHECK(info.hw_version == 0x00010000);
  CHECK(info.fw_mgmt_version == ((1u << 24) | (2u << 16) | 0));
  CHECK(info.fw_dbc_version == ((1u << 24) | (0u << 16) | 3));
  CHECK(info.fw_boot_version == ((0u << 24) | (9u << 16) | 1));
  CHECK(info.nnc_version == (1u << 16));
  CHECK(info.vf_index == 0xffffffffu);
  CHECK(info.num_vfs == 0);
  CHECK((info.caps & EMBER_INFO_CAP_VF) == 0);
  CHECK((info.caps & EMBER_INFO_CAP_TELEMETRY) != 0);
  CHECK(info.serial != 0);
  for (const auto r : info.reserved) {
    CHECK(r == 0);
  }

  const char *irq = std::getenv("EMBER_EXPECT_IRQ");
  REQUIRE(irq != nullptr);
  if (std::string(irq) == "msix") {
    CHECK(info.irq_mode == EMBER_INFO_IRQ_MSIX);
    CHECK(info.num_irq_vectors == info.num_dbcs + 1);
    CHECK((info.caps & EMBER_INFO_CAP_MSIX) != 0);
  } else {
    CHECK(info.irq_mode == EMBER_INFO_IRQ_SINGLE);
    CHECK(info.num_irq_vectors == 1);
  }
}

TEST_CASE("get_info is repeatable and identical across opens", "[getinfo]") {
  AccelFd a;
  AccelFd b;
  REQUIRE(a.fd() >= 0);
  REQUIRE(b.fd() >= 0);
  drm_ember_get_info x{};
  drm_ember_get_info y{};
  REQUIRE(GetInfo(a.fd(), &x) == 0);
  REQUIRE(GetInfo(b.fd(), &y) == 0);
  CHECK(std::memcmp(&x, &y, sizeof(x)) == 0);
}

TEST_CASE("get_info rejects a non-zero pad with EINVAL", "[getinfo][errors]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  for (const __u32 pad : {1u, 0x80000000u, 0xffffffffu}) {
    drm_ember_get_info info{};
    info.pad = pad;
    CHECK(GetInfo(dev.fd(), &info) == EINVAL);
    CHECK(info.num_dbcs == 0);  // nothing filled in on error
  }
}

TEST_CASE("get_info rejects every unknown flag with EINVAL", "[getinfo][errors]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  for (int bit = 0; bit < 32; ++bit) {
    drm_ember_get_info info{};
    info.flags = 1u << bit;
    CHECK(GetInfo(dev.fd(), &info) == EINVAL);
    CHECK(info.abi_major == 0);
  }
}

TEST_CASE("get_info with a bad pointer fails with EFAULT", "[getinfo][errors]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  CHECK(GetInfo(dev.fd(), nullptr) == EFAULT);
  CHECK(GetInfo(dev.fd(), reinterpret_cast<void *>(8)) == EFAULT);

  // A pointer whose struct straddles into an unmapped page.
  const long page = ::sysconf(_SC_PAGESIZE);
  void *map = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(map != MAP_FAILED);
  auto *base = static_cast<char *>(map);
  REQUIRE(::munmap(base + page, page) == 0);
  std::memset(base, 0, page);
  CHECK(GetInfo(dev.fd(), base + page - 16) == EFAULT);

  // A read-only page: the kernel can read the input but not write results.
  REQUIRE(::mprotect(base, page, PROT_READ) == 0);
  CHECK(GetInfo(dev.fd(), base) == EFAULT);
  ::munmap(base, page);
}

TEST_CASE("an unknown driver ioctl number is rejected", "[getinfo][errors]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  const unsigned long bad_nr = DRM_IOWR(DRM_COMMAND_BASE + 0x3f, struct drm_ember_get_info);
  drm_ember_get_info info{};
  CHECK(::ioctl(dev.fd(), bad_nr, &info) == -1);
  CHECK((errno == EINVAL || errno == ENOTTY));
}

TEST_CASE("sysfs reports the module, ioctl and firmware versions", "[getinfo][sysfs]") {
  AccelFd dev;
  REQUIRE(dev.fd() >= 0);
  const std::string abi = std::to_string(EMBER_ABI_MAJOR) + "." + std::to_string(EMBER_ABI_MINOR) +
                          "." + std::to_string(EMBER_ABI_PATCH);
  CHECK(ReadFile("/sys/module/ember/drivers/pci:ember/ember_ioctl_version") == abi);
  CHECK(ReadFile(dev.sysfs() / "device" / "ember_ioctl_version") == abi);

  const char *version = std::getenv("EMBER_EXPECT_VERSION");
  REQUIRE(version != nullptr);
  CHECK(ReadFile("/sys/module/ember/version") == version);

  const std::string fw = ReadFile(dev.sysfs() / "device" / "fw_informations");
  CHECK(fw.find("1.2.0") != std::string::npos);
  CHECK(fw.find("1.0.3") != std::string::npos);
  CHECK(fw.find("0.9.1") != std::string::npos);
}
