// Device discovery (docs/uapi.md "Device discovery"): a sysfs scan that
// touches no device node, then a probe of each node. The two are separate
// so the scan is tested against a fake sysfs tree and the probe is
// replaced by a double on the host.
#ifndef EMBER_SRC_DISCOVERY_HPP_
#define EMBER_SRC_DISCOVERY_HPP_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/ember.h"

namespace ember::detail {

// Where sysfs and /dev are: $EMBER_SYSFS_ROOT (default /sys) and
// $EMBER_DEV_ROOT (default /dev).
struct Roots {
  std::filesystem::path sysfs;
  std::filesystem::path dev;

  static Roots FromEnv();
};

// One accel device as sysfs shows it.
struct Candidate {
  std::string name;             // "accel0"
  std::uint32_t minor = 0;      // 0
  std::filesystem::path sysfs;  // <sysfs>/class/accel/accel0
  std::filesystem::path node;   // <dev>/accel/accel0
  std::string bdf;              // "0000:00:03.0" (device link), or ""
  std::string driver;           // PCI driver (device/driver link), or ""
};

// The PCI driver name that marks an ember function in sysfs.
inline constexpr std::string_view kDriverName = "ember";

// N of "accelN", or nothing if |name| is not of that form.
std::optional<std::uint32_t> ParseAccelName(std::string_view name);

// Every <sysfs>/class/accel/accelN, ordered by N, except those whose PCI
// driver is known and is not "ember" (they are never opened).
std::vector<Candidate> ScanSysfs(const Roots &roots);

// The Candidate for an accel node given by path: sysfs entry of the same
// basename (it may not exist).
Candidate CandidateForNode(const Roots &roots, const std::filesystem::path &node);

// "01:00.0" or "0000:01:00.0" (any case) → "0000:01:00.0"; nothing if
// malformed.
std::optional<std::string> NormalizeBdf(std::string_view bdf);

// What opening a candidate's node showed.
struct Probe {
  enum class Verdict : std::uint8_t { kEmber, kNotEmber, kUnverified };
  Verdict verdict = Verdict::kUnverified;
  ember_status status = EMBER_ERR_IO;  // EMBER_OK if usable
  ember_info info{};
};
using Prober = std::function<Probe(const Candidate &)>;

// The real prober: open + DRM_IOCTL_VERSION + GET_INFO, then close.
Probe ProbeNode(const Candidate &candidate);

// A discovered device.
struct Found {
  Candidate where;
  ember_status status = EMBER_ERR_IO;
  ember_info info{};
};

// ScanSysfs + |probe| of each candidate. Kept: every kEmber candidate, and
// kUnverified ones (node could not be opened) whose sysfs driver is
// "ember"; dropped: kNotEmber, and kUnverified without an ember driver.
std::vector<Found> Enumerate(const Roots &roots, const Prober &probe);

}  // namespace ember::detail

#endif  // EMBER_SRC_DISCOVERY_HPP_
