// The typed control-path operations behind the C ABI (ember.h). Arguments
// are already checked for NULL; each returns an ember_status and records
// the reason of a failure (status.hpp).
#ifndef EMBER_SRC_OPS_HPP_
#define EMBER_SRC_OPS_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "device.hpp"
#include "discovery.hpp"
#include "ember/ember.h"

namespace ember::detail {

// Opens the node of |where| and checks it is an ember device.
ember_status OpenDevice(const Candidate &where, std::unique_ptr<ember_device> &out);

// Fills a public description of a discovered device.
void FillDesc(const Found &found, ember_device_desc &out);

ember_status NncStatus(ember_device &dev, ember_nnc_version &out);
ember_status Echo(ember_device &dev, std::span<const std::uint8_t> payload,
                  std::span<std::uint8_t> reply);
ember_status DmaTransfer(ember_device &dev, std::uint32_t tag, const void *data, std::size_t size,
                         std::uint64_t &received);
// |image| empty: no image (image_tag 0).
ember_status LoadWorkload(ember_device &dev, const ember_workload_desc &desc,
                          std::span<const std::uint8_t> image, ember_workload_info &out);
ember_status UnloadWorkload(ember_device &dev, std::uint32_t workload_id);
ember_status Query(ember_device &dev, ember_resources &out);
ember_status ActivateDbc(ember_device &dev, std::uint32_t ring_size, std::uint32_t &dbc_id);
ember_status DeactivateDbc(ember_device &dev, std::uint32_t dbc_id);

}  // namespace ember::detail

#endif  // EMBER_SRC_OPS_HPP_
