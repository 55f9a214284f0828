// ember-exporter: Prometheus text exposition of a snapshot (metrics.hpp).
#include "metrics.hpp"

#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace ember_exporter {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

struct Sample {
  Labels labels;
  std::string value;
};

struct Family {
  std::string_view name;
  std::string_view type;  // "gauge" or "counter"
  std::string_view help;
  std::vector<Sample> samples;
};

// HELP text: \ -> \\, newline -> \n (the format's escaping for HELP).
std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void append_family(std::string &out, const Family &family) {
  if (family.samples.empty()) {
    return;
  }
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", family.name,
                 escape_help(family.help), family.name, family.type);
  for (const Sample &sample : family.samples) {
    out += family.name;
    bool first = true;
    for (const auto &[key, value] : sample.labels) {
      if (value.empty()) {
        continue;
      }
      out += first ? '{' : ',';
      first = false;
      fmt::format_to(std::back_inserter(out), "{}=\"{}\"", key, escape_label_value(value));
    }
    if (!first) {
      out += '}';
    }
    out += ' ';
    out += sample.value;
    out += '\n';
  }
}

Labels device_labels(const DeviceSample &d) { return {{"device", d.device}, {"bdf", d.bdf}}; }

Labels dbc_labels(const DeviceSample &d, const DbcSample &dbc) {
  return {{"device", d.device}, {"bdf", d.bdf}, {"dbc", fmt::format("{}", dbc.index)}};
}

// A family with one sample per present device that has |field|.
template <typename Get>
Family device_family(const Snapshot &s, std::string_view name, std::string_view type,
                     std::string_view help, Get get) {
  Family f{name, type, help, {}};
  for (const DeviceSample &d : s.devices) {
    if (!d.present) {
      continue;
    }
    if (const std::optional<std::string> v = get(d)) {
      f.samples.push_back({device_labels(d), *v});
    }
  }
  return f;
}

// A family with one sample per DBC of every present device.
template <typename Get>
Family dbc_family(const Snapshot &s, std::string_view name, std::string_view type,
                  std::string_view help, Get get) {
  Family f{name, type, help, {}};
  for (const DeviceSample &d : s.devices) {
    if (!d.present) {
      continue;
    }
    for (const DbcSample &dbc : d.dbcs) {
      f.samples.push_back({dbc_labels(d, dbc), fmt::format("{}", get(dbc))});
    }
  }
  return f;
}

template <typename T>
std::optional<std::string> integer(const std::optional<T> &v) {
  if (!v) {
    return std::nullopt;
  }
  return fmt::format("{}", *v);
}

// |v| / |divisor| (a unit change such as milli- to base unit).
template <typename T>
std::optional<std::string> scaled(const std::optional<T> &v, double divisor) {
  if (!v) {
    return std::nullopt;
  }
  return format_value(static_cast<double>(*v) / divisor);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  // fmt's "{}" is the shortest round-trip form ("45", "0.0125", "1e+21").
  return fmt::format("{}", value);
}

std::string format_major_minor(std::uint32_t packed) {
  return fmt::format("{}.{}", packed >> 16U, packed & 0xffffU);
}

std::string render(const Snapshot &s) {
  std::vector<Family> families;

  // ember_up: every device seen in the exporter's lifetime.
  {
    Family up{"ember_up",
              "gauge",
              "1 if the device is bound to ember, online and answering; 0 if it is absent, "
              "offline, resetting or failed.",
              {}};
    for (const DeviceSample &d : s.devices) {
      up.samples.push_back({device_labels(d), d.up ? "1" : "0"});
    }
    families.push_back(std::move(up));
  }
  {
    Family info{"ember_device_info",
                "gauge",
                "Identity and versions of the device (always 1; the labels carry the values).",
                {}};
    for (const DeviceSample &d : s.devices) {
      if (!d.present) {
        continue;
      }
      const DeviceInfo &i = d.info;
      Labels labels = device_labels(d);
      labels.emplace_back("serial", i.serial);
      labels.emplace_back("driver_version", i.driver_version);
      labels.emplace_back("fw_mgmt_version", i.fw_mgmt_version);
      labels.emplace_back("fw_dbc_version", i.fw_dbc_version);
      labels.emplace_back("fw_boot_version", i.fw_boot_version);
      labels.emplace_back("hw_version", i.hw_version);
      labels.emplace_back("irq_mode", i.irq_mode);
      labels.emplace_back("num_dbcs", i.num_dbcs ? fmt::format("{}", *i.num_dbcs) : "");
      info.samples.push_back({std::move(labels), "1"});
    }
    families.push_back(std::move(info));
  }
  families.push_back(device_family(s, "ember_temperature_celsius", "gauge",
                                   "Die temperature, degrees Celsius.",
                                   [](const DeviceSample &d) { return scaled(d.temp_mc, 1e3); }));
  families.push_back(
      device_family(s, "ember_temperature_critical_celsius", "gauge",
                    "Critical die temperature, degrees Celsius.",
                    [](const DeviceSample &d) { return scaled(d.temp_crit_mc, 1e3); }));
  families.push_back(device_family(s, "ember_power_watts", "gauge",
                                   "Board power averaged over 100 ms, watts.",
                                   [](const DeviceSample &d) { return scaled(d.power_uw, 1e6); }));
  families.push_back(
      device_family(s, "ember_power_cap_watts", "gauge", "Board power cap, watts.",
                    [](const DeviceSample &d) { return scaled(d.power_cap_uw, 1e6); }));
  families.push_back(device_family(
      s, "ember_core_clock_hertz", "gauge", "Core clock, hertz.",
      [](const DeviceSample &d) -> std::optional<std::string> {
        if (!d.core_clk_mhz) {
          return std::nullopt;
        }
        return fmt::format("{}", static_cast<std::uint64_t>(*d.core_clk_mhz) * 1000000U);
      }));
  families.push_back(device_family(
      s, "ember_memory_clock_hertz", "gauge", "Device memory clock, hertz.",
      [](const DeviceSample &d) -> std::optional<std::string> {
        if (!d.mem_clk_mhz) {
          return std::nullopt;
        }
        return fmt::format("{}", static_cast<std::uint64_t>(*d.mem_clk_mhz) * 1000000U);
      }));
  families.push_back(device_family(
      s, "ember_memory_used_bytes", "gauge", "Device memory held by loaded workloads, bytes.",
      [](const DeviceSample &d) { return integer(d.memory_used_bytes); }));
  families.push_back(
      device_family(s, "ember_memory_total_bytes", "gauge", "Device memory of the function, bytes.",
                    [](const DeviceSample &d) { return integer(d.memory_total_bytes); }));
  families.push_back(device_family(s, "ember_ecc_corrected_errors_total", "counter",
                                   "Corrected device-memory errors since power-on.",
                                   [](const DeviceSample &d) { return integer(d.ecc_corrected); }));
  families.push_back(
      device_family(s, "ember_ecc_uncorrected_errors_total", "counter",
                    "Uncorrected device-memory errors since power-on.",
                    [](const DeviceSample &d) { return integer(d.ecc_uncorrected); }));
  families.push_back(device_family(s, "ember_resets_total", "counter",
                                   "Device resets the driver handled since the device was bound.",
                                   [](const DeviceSample &d) { return integer(d.resets); }));

  families.push_back(dbc_family(s, "ember_dbc_active", "gauge",
                                "1 if a client's activation owns the DBC, 0 if it is free.",
                                [](const DbcSample &b) { return b.active ? 1U : 0U; }));
  families.push_back(dbc_family(s, "ember_dbc_jobs_completed_total", "counter",
                                "Jobs the device completed on the DBC since the device was bound.",
                                [](const DbcSample &b) { return b.jobs_completed; }));
  families.push_back(dbc_family(s, "ember_dbc_interrupts_total", "counter",
                                "Response interrupts the driver handled for the DBC.",
                                [](const DbcSample &b) { return b.interrupts; }));
  families.push_back(dbc_family(s, "ember_dbc_polls_total", "counter",
                                "Response-ring services of the DBC by the polling path.",
                                [](const DbcSample &b) { return b.polls; }));
  families.push_back(dbc_family(s, "ember_dbc_responses_total", "counter",
                                "Response-ring entries of the DBC the driver consumed.",
                                [](const DbcSample &b) { return b.responses; }));
  families.push_back(dbc_family(s, "ember_dbc_jobs_cancelled_total", "counter",
                                "Jobs of the DBC that ended without a device response (reset, "
                                "close).",
                                [](const DbcSample &b) { return b.jobs_cancelled; }));
  families.push_back(dbc_family(s, "ember_dbc_job_timeouts_total", "counter",
                                "Jobs of the DBC the scheduler timed out.",
                                [](const DbcSample &b) { return b.job_timeouts; }));

  {
    Family busy{"ember_process_device_busy_seconds_total",
                "counter",
                "Device time the process's jobs took on all DBCs, seconds (DRM fdinfo).",
                {}};
    Family mem{"ember_process_memory_bytes",
               "gauge",
               "Buffer objects the process holds on the device, bytes (DRM fdinfo).",
               {}};
    for (const DeviceSample &d : s.devices) {
      if (!d.present) {
        continue;
      }
      for (const ProcessSample &p : d.processes) {
        Labels labels = device_labels(d);
        labels.emplace_back("pid", fmt::format("{}", p.pid));
        labels.emplace_back("comm", p.comm);
        busy.samples.push_back({labels, format_value(static_cast<double>(p.busy_ns) / 1e9)});
        mem.samples.push_back({std::move(labels), fmt::format("{}", p.memory_bytes)});
      }
    }
    families.push_back(std::move(busy));
    families.push_back(std::move(mem));
  }

  if (s.driver_loaded) {
    families.push_back({"ember_driver_loaded",
                        "gauge",
                        "1 if the ember kernel module is loaded.",
                        {{{}, *s.driver_loaded ? "1" : "0"}}});
  }
  if (!s.exporter_version.empty()) {
    families.push_back({"ember_exporter_build_info",
                        "gauge",
                        "Version of ember-exporter (always 1).",
                        {{{{"version", s.exporter_version}}, "1"}}});
  }
  families.push_back({"ember_exporter_scrape_duration_seconds",
                      "gauge",
                      "Time this scrape took to read the devices, seconds.",
                      {{{}, format_value(s.scrape_duration_seconds)}}});
  families.push_back({"ember_exporter_scrape_errors_total",
                      "counter",
                      "libember reads that failed since the exporter started.",
                      {{{}, fmt::format("{}", s.scrape_errors_total)}}});

  std::string out;
  for (const Family &f : families) {
    append_family(out, f);
  }
  return out;
}

}  // namespace ember_exporter
