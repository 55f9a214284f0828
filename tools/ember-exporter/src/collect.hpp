// ember-exporter: reading the devices through libember into a Snapshot.
// Thin on purpose: what is exported and how is metrics.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "metrics.hpp"

namespace ember_exporter {

struct CollectOptions {
  bool processes = false;
  std::chrono::seconds discovery_interval{60};
  std::string exporter_version;
};

// Reads every device's telemetry for one scrape. Discovery
// (ember::list_devices, which opens each accel node for GET_INFO) runs at
// start, when the module is loaded or unloaded, when a known device is
// gone or was reset, and at most discovery_interval apart otherwise; a
// scrape in between only reads sysfs, hwmon and (with processes) fdinfo,
// which the driver answers without waiting for the device. Thread-safe:
// concurrent scrapes are serialized.
class Collector {
 public:
  explicit Collector(CollectOptions options) : options_(std::move(options)) {}

  [[nodiscard]] Snapshot collect();

 private:
  struct Known {
    std::string device;  // "accel0"
    bool present = false;
    DeviceInfo info;  // from discovery (GET_INFO) and the driver
    std::optional<std::uint64_t> resets;
  };

  void discover(const std::string &driver_version);
  DeviceSample read_device(const std::string &bdf, Known &known);

  CollectOptions options_;
  std::mutex mutex_;
  std::map<std::string, Known> known_;  // by PCI address
  std::optional<std::chrono::steady_clock::time_point> last_discovery_;
  std::optional<bool> last_loaded_;
  bool rediscover_ = true;
  std::uint64_t errors_ = 0;
};

}  // namespace ember_exporter
