// ember-exporter: reading the devices through libember (collect.hpp).
#include "collect.hpp"

#include <fmt/format.h>
#include <ember/ember.hpp>

namespace ember_exporter {

void Collector::discover(const std::string &driver_version) {
  last_discovery_ = std::chrono::steady_clock::now();
  rediscover_ = false;
  for (auto &[bdf, known] : known_) {
    known.present = false;
  }
  auto devices = ember::list_devices();
  if (!devices) {
    ++errors_;
    rediscover_ = true;
    return;
  }
  for (const ember::DeviceDesc &d : *devices) {
    if (d.bdf.empty()) {
      continue;
    }
    Known &k = known_[d.bdf];
    k.device = fmt::format("accel{}", d.minor);
    k.present = true;
    k.info = DeviceInfo{};
    k.info.driver_version = driver_version;
    // GET_INFO needs the node: without access to it (not root, not in the
    // node's group) the firmware and hardware labels stay out.
    if (d.status == EMBER_OK) {
      const ember::Info &i = d.info;
      k.info.serial = fmt::format("{:016x}", i.serial);
      k.info.fw_mgmt_version = ember::fw_version_string(i.fw_mgmt_version);
      k.info.fw_dbc_version = ember::fw_version_string(i.fw_dbc_version);
      k.info.fw_boot_version = ember::fw_version_string(i.fw_boot_version);
      k.info.hw_version = format_major_minor(i.hw_version);
      // An unknown mode leaves the label off (irq_mode empty).
      if (const std::string_view m = ember::irq_mode_name(i.irq_mode); m != "unknown") {
        k.info.irq_mode = std::string(m);
      }
      k.info.num_dbcs = i.num_dbcs;
    }
  }
}

DeviceSample Collector::read_device(const std::string &bdf, Known &known) {
  DeviceSample d;
  d.device = known.device;
  d.bdf = bdf;
  if (!known.present) {
    return d;
  }
  auto tel = ember::read_telemetry(bdf);
  if (!tel) {
    if (tel.error().code() == EMBER_ERR_NOENT) {
      // Gone since the last discovery: ember_up 0 now, rediscover next time.
      known.present = false;
      rediscover_ = true;
    } else {
      ++errors_;
    }
    return d;
  }
  d.present = true;
  d.info = known.info;
  if (tel->serial) {  // sysfs serial_number, readable without the node
    d.info.serial = *tel->serial;
  }
  d.up = tel->state == EMBER_STATE_ONLINE;
  d.temp_mc = tel->temp_mc;
  d.temp_crit_mc = tel->temp_crit_mc;
  d.power_uw = tel->power_uw;
  d.power_cap_uw = tel->power_cap_uw;
  d.core_clk_mhz = tel->core_clk_mhz;
  d.mem_clk_mhz = tel->mem_clk_mhz;
  d.memory_used_bytes = tel->devmem_used;
  d.memory_total_bytes = tel->devmem_total;
  d.ecc_corrected = tel->ecc_ce;
  d.ecc_uncorrected = tel->ecc_ue;
  d.resets = tel->reset_count;
  // After a reset the firmware may be another one: refresh GET_INFO.
  if (known.resets && tel->reset_count && *known.resets != *tel->reset_count) {
    rediscover_ = true;
  }
  known.resets = tel->reset_count;

  if (auto dbcs = ember::read_dbc_telemetry(bdf)) {
    for (const ember::DbcTelemetry &b : *dbcs) {
      d.dbcs.push_back(DbcSample{b.index, b.active != 0, b.completions, b.interrupts, b.polls,
                                 b.responses, b.cancelled, b.timeouts});
    }
  } else if (dbcs.error().code() != EMBER_ERR_NOENT) {
    ++errors_;
  }
  if (options_.processes) {
    if (auto procs = ember::list_processes(bdf)) {
      for (const ember::ProcessUsage &p : *procs) {
        d.processes.push_back(ProcessSample{p.pid, p.comm, p.busy_ns, p.memory_total});
      }
    } else if (procs.error().code() != EMBER_ERR_NOENT) {
      ++errors_;
    }
  }
  return d;
}

Snapshot Collector::collect() {
  const std::scoped_lock lock(mutex_);
  const auto start = std::chrono::steady_clock::now();
  Snapshot s;
  s.exporter_version = options_.exporter_version;

  std::string driver_version;
  bool loaded = false;
  if (auto st = ember::driver_status()) {
    loaded = st->loaded;
    driver_version = st->version;
    s.driver_loaded = loaded;
  } else {
    ++errors_;
    loaded = true;  // unknown: let discovery decide
  }
  if (last_loaded_ != loaded) {
    rediscover_ = true;
  }
  last_loaded_ = loaded;

  if (!loaded) {
    for (auto &[bdf, known] : known_) {
      known.present = false;
    }
  } else if (rediscover_ || !last_discovery_ ||
             start - *last_discovery_ >= options_.discovery_interval) {
    discover(driver_version);
  }
  for (auto &[bdf, known] : known_) {
    s.devices.push_back(read_device(bdf, known));
  }
  s.scrape_duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.scrape_errors_total = errors_;
  return s;
}

}  // namespace ember_exporter
