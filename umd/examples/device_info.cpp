// device_info: list ember devices and print what GET_INFO reports.
// Usage: device_info [--json]
//
// Uses libember's discovery (sysfs + DRM_IOCTL_VERSION, see ember.h).
#include <ember/ember.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The usable devices; the others are reported on stderr.
std::vector<ember::DeviceDesc> Discover() {
  std::vector<ember::DeviceDesc> out;
  auto all = ember::list_devices();
  if (!all) {
    std::fprintf(stderr, "device discovery: %s\n", all.error().what().c_str());
    return out;
  }
  for (auto &d : *all) {
    if (d.status != EMBER_OK) {
      std::fprintf(stderr, "%s: %s\n", d.node.c_str(),
                   std::strerror(ember_status_to_errno(d.status)));
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

int Run(bool json) {
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
          i ? "," : "", d.node.c_str(), d.bdf.c_str(), n.abi_major, n.abi_minor, n.abi_patch,
          n.num_dbcs, static_cast<unsigned long long>(n.devmem_size),
          ember::fw_version_string(n.fw_mgmt_version).c_str(),
          ember::fw_version_string(n.fw_dbc_version).c_str(),
          ember::fw_version_string(n.fw_boot_version).c_str(),
          ember::irq_mode_name(n.irq_mode).data(), n.num_irq_vectors,
          static_cast<unsigned long long>(n.serial));
      continue;
    }
    std::printf("%s  (PCI %s, %04x:%04x, hw %u.%u, serial %016llx)\n", d.node.c_str(),
                d.bdf.c_str(), n.pci_vendor, n.pci_device, n.hw_version >> 16,
                n.hw_version & 0xffff, static_cast<unsigned long long>(n.serial));
    std::printf("  ioctl ABI       %u.%u.%u\n", n.abi_major, n.abi_minor, n.abi_patch);
    std::printf("  DMA channels    %u\n", n.num_dbcs);
    std::printf("  device memory   %llu MiB\n",
                static_cast<unsigned long long>(n.devmem_size >> 20));
    std::printf("  firmware        mgmt %s, dbc %s, boot %s, NNC %u.%u\n",
                ember::fw_version_string(n.fw_mgmt_version).c_str(),
                ember::fw_version_string(n.fw_dbc_version).c_str(),
                ember::fw_version_string(n.fw_boot_version).c_str(), n.nnc_version >> 16,
                n.nnc_version & 0xffff);
    std::printf("  interrupts      %s, %u vector(s)\n", ember::irq_mode_name(n.irq_mode).data(),
                n.num_irq_vectors);
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

}  // namespace

int main(int argc, char **argv) {
  const bool json = argc > 1 && std::string_view(argv[1]) == "--json";
  try {
    return Run(json);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "device_info: %s\n", e.what());
    return 1;
  }
}
