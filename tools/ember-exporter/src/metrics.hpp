// ember-exporter: the metrics of one scrape and their Prometheus text
// exposition (format 0.0.4). Pure: no I/O, no libember, so that the output
// of any fabricated snapshot can be tested on the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember_exporter {

// The Content-Type of the text exposition format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Labels of ember_device_info; an empty value is left out of the label set
// (in Prometheus an empty label value is the same as no label).
struct DeviceInfo {
  std::string serial;
  std::string driver_version;
  std::string fw_mgmt_version;
  std::string fw_dbc_version;
  std::string fw_boot_version;
  std::string hw_version;
  std::string irq_mode;
  std::optional<std::uint32_t> num_dbcs;
};

// One DBC's owner state and counters (the driver's dbc_status and
// dbc_counters).
struct DbcSample {
  std::uint32_t index = 0;
  bool active = false;
  std::uint64_t jobs_completed = 0;
  std::uint64_t interrupts = 0;
  std::uint64_t polls = 0;
  std::uint64_t responses = 0;
  std::uint64_t jobs_cancelled = 0;
  std::uint64_t job_timeouts = 0;
};

// One process's use of a device (DRM fdinfo).
struct ProcessSample {
  std::int32_t pid = 0;
  std::string comm;
  std::uint64_t busy_ns = 0;
  std::uint64_t memory_bytes = 0;
};

// One device as the exporter sees it now. A device that was seen earlier in
// the exporter's lifetime and is gone now has present == false: only its
// ember_up 0 is exported. An unavailable value is empty and its series is
// left out of the scrape.
struct DeviceSample {
  std::string device;  // "accel0"
  std::string bdf;     // "0000:00:03.0"
  bool present = false;
  bool up = false;
  DeviceInfo info;
  std::optional<std::int64_t> temp_mc;
  std::optional<std::int64_t> temp_crit_mc;
  std::optional<std::uint64_t> power_uw;
  std::optional<std::uint64_t> power_cap_uw;
  std::optional<std::uint32_t> core_clk_mhz;
  std::optional<std::uint32_t> mem_clk_mhz;
  std::optional<std::uint64_t> memory_used_bytes;
  std::optional<std::uint64_t> memory_total_bytes;
  std::optional<std::uint64_t> ecc_corrected;
  std::optional<std::uint64_t> ecc_uncorrected;
  std::optional<std::uint64_t> resets;
  std::vector<DbcSample> dbcs;
  std::vector<ProcessSample> processes;
};

// Everything one scrape exports.
struct Snapshot {
  std::vector<DeviceSample> devices;
  std::optional<bool> driver_loaded;  // empty: could not be determined
  std::string exporter_version;       // ember_exporter_build_info{version}
  double scrape_duration_seconds = 0;
  std::uint64_t scrape_errors_total = 0;
};

// A label value escaped for the exposition format: \ -> \\, " -> \",
// newline -> \n.
[[nodiscard]] std::string escape_label_value(std::string_view value);

// A sample value: integers exactly, other numbers in the shortest form that
// reads back to the same double.
[[nodiscard]] std::string format_value(double value);

// "major.minor" of a version packed major << 16 | minor.
[[nodiscard]] std::string format_major_minor(std::uint32_t packed);

// The text exposition of |snapshot|: every family with at least one sample,
// in a fixed order, its HELP and TYPE lines once, then its samples.
[[nodiscard]] std::string render(const Snapshot &snapshot);

}  // namespace ember_exporter
