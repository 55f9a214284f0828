// Telemetry and monitoring (ember.h "Telemetry and monitoring", docs/uapi.md
// "Telemetry"): the driver's sysfs, hwmon and DRM fdinfo files read with
// one bounded read() each, never the device node. The parsers are pure
// functions and the readers take their roots as arguments, so both are
// tested on the host against a fake sysfs/proc tree.
#ifndef EMBER_SRC_TELEMETRY_HPP_
#define EMBER_SRC_TELEMETRY_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/ember.h"

namespace ember::detail {

// Where sysfs and procfs are: $EMBER_SYSFS_ROOT (default /sys) and
// $EMBER_PROC_ROOT (default /proc).
struct MonitorRoots {
  std::filesystem::path sysfs;
  std::filesystem::path proc;

  static MonitorRoots FromEnv();
};

// Largest file read: sysfs attributes are at most a page; an fdinfo file
// holds one line per DBC. A file that fills the buffer counts as too large.
inline constexpr std::size_t kMaxMonitorFile = std::size_t{64} * 1024;

// One open() + one read() of at most |limit| - 1 bytes into |out| (never a
// device node: anything but a regular file is refused with ENXIO). Returns
// 0 or the errno (EFBIG if the file has |limit| bytes or more).
int ReadBounded(const std::filesystem::path &path, std::string &out,
                std::size_t limit = kMaxMonitorFile);

// |s| without leading and trailing white space.
std::string_view Trim(std::string_view s);

// A whole (trimmed) decimal number, or nothing.
std::optional<std::uint64_t> ParseU64(std::string_view s);
std::optional<std::int64_t> ParseI64(std::string_view s);

// "M.m.p" (trimmed), or nothing.
std::optional<std::array<std::uint32_t, 3>> ParseVersion3(std::string_view s);

// sysfs "state" word → EMBER_STATE_*, or nothing for another word.
std::optional<std::uint32_t> ParseState(std::string_view s);

// sysfs dbc_status: "<i> active|free <pid>" lines, in any order; each
// index once. The result holds index, active and owner_pid, counters zero.
// Nothing if a line is malformed.
std::optional<std::vector<ember_dbc_telemetry>> ParseDbcStatus(std::string_view text);

// sysfs dbc_counters: "<i> interrupts=N polls=N responses=N completions=N
// cancelled=N timeouts=N" lines merged into |dbcs| (from ParseDbcStatus)
// by index. Unknown keys are ignored (newer drivers may add some). False
// if a line is malformed or names an index |dbcs| does not have.
bool MergeDbcCounters(std::string_view text, std::vector<ember_dbc_telemetry> &dbcs);

// An fdinfo memory size: "<n>", "<n> B", "<n> KiB" or "<n> MiB"
// (Documentation/gpu/drm-usage-stats.rst), in bytes; nothing if malformed.
std::optional<std::uint64_t> ParseMemorySize(std::string_view s);

// What one DRM fdinfo file says (only the keys used here).
struct FdinfoRecord {
  std::string driver;                      // drm-driver
  std::string pdev;                        // drm-pdev
  std::optional<std::uint64_t> client_id;  // drm-client-id
  std::uint64_t busy_ns = 0;               // sum of drm-engine-dbc<i>
  std::uint64_t memory_total = 0;          // drm-total-memory, bytes
  std::uint64_t memory_resident = 0;       // drm-resident-memory, bytes
};

// The keys of one fdinfo file; nothing if it is not a DRM file (no
// drm-driver key). Malformed values of the summed keys count as 0.
std::optional<FdinfoRecord> ParseFdinfo(std::string_view text);

// The readers. Each returns EMBER_OK or a status with the thread's last
// error message set. |bdf| is any form NormalizeBdf() accepts.
ember_status ReadDriverStatus(const MonitorRoots &roots, ember_driver_status &out);
ember_status ReadTelemetry(const MonitorRoots &roots, std::string_view bdf, ember_telemetry &out);
ember_status ReadDbcTelemetry(const MonitorRoots &roots, std::string_view bdf,
                              std::vector<ember_dbc_telemetry> &out);
ember_status ListProcesses(const MonitorRoots &roots, std::string_view bdf,
                           std::vector<ember_process_usage> &out);

}  // namespace ember::detail

#endif  // EMBER_SRC_TELEMETRY_HPP_
