// device_info: list ember devices and print what GET_INFO reports.
// Usage: device_info [--json]
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xf86drm.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ember_accel.h"

namespace {

namespace fs = std::filesystem;

struct Device {
  std::string node;
  std::string pci;
  drm_ember_get_info info{};
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

std::string Fw(std::uint32_t v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xff) + "." +
         std::to_string(v & 0xffff);
}

const char *IrqMode(std::uint32_t mode) {
  switch (mode) {
    case EMBER_INFO_IRQ_MSIX:
      return "msix";
    case EMBER_INFO_IRQ_SINGLE:
      return "single";
    case EMBER_INFO_IRQ_POLL:
      return "poll";
    default:
      return "unknown";
  }
}

std::vector<Device> Discover() {
  std::vector<Device> out;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/sys/class/accel", ec)) {
    Device d;
    d.node = "/dev/accel/" + entry.path().filename().string();
    d.pci = fs::canonical(entry.path() / "device", ec).filename().string();
    const Fd fd(::open(d.node.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0) {
      std::fprintf(stderr, "%s: %s\n", d.node.c_str(), std::strerror(errno));
      continue;
    }
    const std::unique_ptr<drmVersion, decltype(&drmFreeVersion)> ver(drmGetVersion(fd.get()),
                                                                     drmFreeVersion);
    if (!ver || std::string_view(ver->name, ver->name_len) != "ember") {
      continue;
    }
    if (::ioctl(fd.get(), DRM_IOCTL_EMBER_GET_INFO, &d.info) != 0) {
      std::fprintf(stderr, "%s: GET_INFO: %s\n", d.node.c_str(), std::strerror(errno));
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  const bool json = argc > 1 && std::string_view(argv[1]) == "--json";
  const auto devices = Discover();
  if (json) {
    std::printf("[");
  }
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto &d = devices[i];
    const auto &n = d.info;
    if (json) {
      std::printf(
          "%s{\"node\":\"%s\",\"pci\":\"%s\",\"abi\":\"%u.%u.%u\",\"dbcs\":%u,"
          "\"devmem_bytes\":%llu,\"fw_mgmt\":\"%s\",\"fw_dbc\":\"%s\",\"fw_boot\":\"%s\","
          "\"irq_mode\":\"%s\",\"irq_vectors\":%u,\"serial\":\"%016llx\"}",
          i ? "," : "", d.node.c_str(), d.pci.c_str(), n.abi_major, n.abi_minor, n.abi_patch,
          n.num_dbcs, static_cast<unsigned long long>(n.devmem_size), Fw(n.fw_mgmt_version).c_str(),
          Fw(n.fw_dbc_version).c_str(), Fw(n.fw_boot_version).c_str(), IrqMode(n.irq_mode),
          n.num_irq_vectors, static_cast<unsigned long long>(n.serial));
      continue;
    }
    std::printf("%s  (PCI %s, %04x:%04x, hw %u.%u, serial %016llx)\n", d.node.c_str(),
                d.pci.c_str(), n.pci_vendor, n.pci_device, n.hw_version >> 16,
                n.hw_version & 0xffff, static_cast<unsigned long long>(n.serial));
    std::printf("  ioctl ABI       %u.%u.%u\n", n.abi_major, n.abi_minor, n.abi_patch);
    std::printf("  DMA channels    %u\n", n.num_dbcs);
    std::printf("  device memory   %llu MiB\n",
                static_cast<unsigned long long>(n.devmem_size >> 20));
    std::printf("  firmware        mgmt %s, dbc %s, boot %s, NNC %u.%u\n",
                Fw(n.fw_mgmt_version).c_str(), Fw(n.fw_dbc_version).c_str(),
                Fw(n.fw_boot_version).c_str(), n.nnc_version >> 16, n.nnc_version & 0xffff);
    std::printf("  interrupts      %s, %u vector(s)\n", IrqMode(n.irq_mode), n.num_irq_vectors);
  }
  if (json) {
    std::printf("]\n");
  }
  if (devices.empty()) {
    std::fprintf(stderr, "no ember device found\n");
    return 1;
  }
  return 0;
}
