// ember-smi collect layer: the only code that calls libember's discovery
// and telemetry functions.
#ifndef EMBER_SMI_COLLECT_HPP_
#define EMBER_SMI_COLLECT_HPP_

#include <variant>

#include "smi.hpp"

namespace ember_smi {

// Problems found while collecting that do not stop the output: each is
// printed on stderr after it, and the first one's code is the exit status.
struct Collected {
  Snapshot snap;
  std::vector<Failure> warnings;
};

// The driver's status, or why ember-smi cannot use it (not loaded: 9; an
// ABI major other than libember's: 3).
[[nodiscard]] std::variant<ember::DriverStatus, Failure> ReadDriver();
[[nodiscard]] std::optional<Failure> CheckDriver(const ember::DriverStatus &drv);

// Discovery, -i selection, then each device's telemetry (DBCs and, when
// |processes|, the process list).
[[nodiscard]] std::variant<Collected, Failure> Collect(const ember::DriverStatus &drv,
                                                       const Options &opts, bool processes);

// A fresh sample of the devices of |snap| for dmon (same devices, same
// order); a device that went away is a Failure.
[[nodiscard]] std::variant<Snapshot, Failure> Refresh(const Snapshot &snap);

}  // namespace ember_smi

#endif  // EMBER_SMI_COLLECT_HPP_
