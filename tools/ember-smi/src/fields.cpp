// ember-smi --query fields: the single table behind --query, --help-query,
// the JSON "fields" of -q and the man page's field list.
#include <fmt/format.h>

#include <array>

#include "smi.hpp"

namespace ember_smi {

namespace {

using S = const Snapshot &;
using D = const DeviceView &;

template <typename T>
Value Opt(const std::optional<T> &v) {
  if (!v) {
    return std::monostate{};
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return *v;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(*v);
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<std::int64_t>(*v);
  } else {
    return static_cast<std::uint64_t>(*v);
  }
}

template <typename F>
Value FromInfo(D d, F f) {
  if (!d.info) {
    return std::monostate{};
  }
  return f(*d.info);
}

template <typename F>
Value FromTelemetry(D d, F f) {
  if (!d.telemetry) {
    return std::monostate{};
  }
  return f(*d.telemetry);
}

Value Milli(const std::optional<std::int64_t> &v) {
  return v ? Value{static_cast<double>(*v) / 1000.0} : Value{};
}
Value Micro(const std::optional<std::uint64_t> &v) {
  return v ? Value{static_cast<double>(*v) / 1e6} : Value{};
}

constexpr FieldType kStr = FieldType::kString;
constexpr FieldType kInt = FieldType::kInteger;
constexpr FieldType kNum = FieldType::kNumber;

const std::array kFields{
    Field{"index", "", kInt, 0, false,
          "Position of the device in discovery order (what -i N takes).",
          [](S, D d) -> Value { return static_cast<std::uint64_t>(d.index); }},
    Field{"name", "", kStr, 0, true, "Product name with the hardware version (GET_INFO).",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return fmt::format("ember hw{}.{}", i.hw_version >> 16U, i.hw_version & 0xffffU);
            });
          }},
    Field{"uuid", "", kStr, 0, false, "Stable device id: EMBER-<serial>.",
          [](S, D d) { return Opt(d.uuid()); }},
    Field{"serial", "", kStr, 0, false, "Board serial number, 16 hex digits.",
          [](S, D d) { return Opt(d.serial()); }},
    Field{"pci.bus_id", "", kStr, 0, false, "PCI address, domain:bus:device.function.",
          [](S, D d) -> Value { return d.bdf; }},
    Field{"pci.vendor_id", "", kStr, 0, true, "PCI vendor ID, 0xVVVV.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return fmt::format("0x{:04x}", i.pci_vendor);
            });
          }},
    Field{"pci.device_id", "", kStr, 0, true, "PCI device ID, 0xDDDD.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return fmt::format("0x{:04x}", i.pci_device);
            });
          }},
    Field{"node", "", kStr, 0, false, "Accel device node.", [](S, D d) -> Value { return d.node; }},
    Field{"minor", "", kInt, 0, false, "Accel minor number (N of accelN).",
          [](S, D d) -> Value { return static_cast<std::uint64_t>(d.minor); }},
    Field{"access", "", kStr, 0, false,
          "Whether the node could be opened: 'ok' or the error (e.g. 'permission denied').",
          [](S, D d) -> Value {
            return d.open_status == EMBER_OK ? std::string("ok")
                                             : std::string(ember_strerror(d.open_status));
          }},
    Field{"state", "", kStr, 0, false, "Driver state: online, resetting, failed, offline.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) -> Value {
              if (t.state == EMBER_STATE_UNKNOWN) {
                return std::monostate{};
              }
              return std::string(ember::state_name(t.state));
            });
          }},
    Field{"driver_version", "", kStr, 0, false, "Version of the loaded ember.ko.",
          [](S s, D) -> Value {
            return s.driver.version.empty() ? Value{} : Value{s.driver.version};
          }},
    Field{"driver_abi", "", kStr, 0, false, "ioctl ABI of the loaded ember.ko, major.minor.patch.",
          [](S s, D) -> Value {
            if (!s.driver.loaded) {
              return std::monostate{};
            }
            return fmt::format("{}.{}.{}", s.driver.abi_major, s.driver.abi_minor,
                               s.driver.abi_patch);
          }},
    Field{"hw_version", "", kStr, 0, true, "Hardware version, major.minor.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return fmt::format("{}.{}", i.hw_version >> 16U, i.hw_version & 0xffffU);
            });
          }},
    Field{"fw.mgmt", "", kStr, 0, true, "Management firmware version.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return ember::fw_version_string(i.fw_mgmt_version);
            });
          }},
    Field{"fw.dbc", "", kStr, 0, true, "DMA bridge firmware version.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return ember::fw_version_string(i.fw_dbc_version);
            });
          }},
    Field{"fw.boot", "", kStr, 0, true, "Boot firmware version.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return ember::fw_version_string(i.fw_boot_version);
            });
          }},
    Field{"fw.nnc", "", kStr, 0, true, "NNC protocol version the firmware speaks, major.minor.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return fmt::format("{}.{}", i.nnc_version >> 16U, i.nnc_version & 0xffffU);
            });
          }},
    Field{"irq.mode", "", kStr, 0, true, "Interrupt mode: msix, single or poll.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return std::string(ember::irq_mode_name(i.irq_mode));
            });
          }},
    Field{"irq.vectors", "", kInt, 0, true, "Interrupt vectors the driver uses.",
          [](S, D d) {
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return static_cast<std::uint64_t>(i.num_irq_vectors);
            });
          }},
    Field{"dbc.count", "", kInt, 0, false, "DMA bridge channels (DBCs) of the function.",
          [](S, D d) -> Value {
            if (d.dbcs) {
              return static_cast<std::uint64_t>(d.dbcs->size());
            }
            return FromInfo(d, [](const ember::Info &i) -> Value {
              return static_cast<std::uint64_t>(i.num_dbcs);
            });
          }},
    Field{"dbc.active", "", kInt, 0, false, "DBCs a client's activation owns now.",
          [](S, D d) { return Opt(d.active_dbcs()); }},
    Field{"temperature.current", "C", kNum, 1, false, "Die temperature (hwmon temp1_input).",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Milli(t.temp_mc); });
          }},
    Field{"temperature.crit", "C", kNum, 1, false, "Critical temperature (hwmon temp1_crit).",
          [](S, D d) {
            return FromTelemetry(d,
                                 [](const ember::Telemetry &t) { return Milli(t.temp_crit_mc); });
          }},
    Field{"power.draw", "W", kNum, 2, false, "Board power, 100 ms average (hwmon power1_average).",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Micro(t.power_uw); });
          }},
    Field{"power.limit", "W", kNum, 2, false, "Power cap (hwmon power1_cap).",
          [](S, D d) {
            return FromTelemetry(d,
                                 [](const ember::Telemetry &t) { return Micro(t.power_cap_uw); });
          }},
    Field{"clocks.core", "MHz", kInt, 0, false, "Core clock.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.core_clk_mhz); });
          }},
    Field{"clocks.mem", "MHz", kInt, 0, false, "Memory clock.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.mem_clk_mhz); });
          }},
    Field{"memory.total", "B", kInt, 0, false, "Device memory of the function.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.devmem_total); });
          }},
    Field{"memory.used", "B", kInt, 0, false, "Device memory held by loaded workloads.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.devmem_used); });
          }},
    Field{"memory.free", "B", kInt, 0, false, "memory.total - memory.used.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) -> Value {
              if (!t.devmem_total || !t.devmem_used) {
                return std::monostate{};
              }
              return *t.devmem_total - std::min(*t.devmem_used, *t.devmem_total);
            });
          }},
    Field{"ecc.errors.corrected", "", kInt, 0, false, "Corrected memory errors since power-on.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.ecc_ce); });
          }},
    Field{"ecc.errors.uncorrected", "", kInt, 0, false, "Uncorrected memory errors since power-on.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.ecc_ue); });
          }},
    Field{"reset_count", "", kInt, 0, false, "Resets the driver handled since it bound the device.",
          [](S, D d) {
            return FromTelemetry(d, [](const ember::Telemetry &t) { return Opt(t.reset_count); });
          }},
    Field{"processes.count", "", kInt, 0, false,
          "Processes with the device open (those whose fdinfo this user can read).",
          [](S, D d) -> Value {
            if (!d.processes) {
              return std::monostate{};
            }
            return static_cast<std::uint64_t>(d.processes->size());
          }},
    Field{"counters.jobs", "", kInt, 0, false, "Jobs the device completed, all DBCs, since bind.",
          [](S, D d) { return Opt(d.dbc_sum(&ember_dbc_telemetry::completions)); }},
    Field{"counters.interrupts", "", kInt, 0, false, "Response interrupts handled, all DBCs.",
          [](S, D d) { return Opt(d.dbc_sum(&ember_dbc_telemetry::interrupts)); }},
    Field{"counters.polls", "", kInt, 0, false, "Response-ring services by polling, all DBCs.",
          [](S, D d) { return Opt(d.dbc_sum(&ember_dbc_telemetry::polls)); }},
    Field{"counters.responses", "", kInt, 0, false, "Response-ring entries consumed, all DBCs.",
          [](S, D d) { return Opt(d.dbc_sum(&ember_dbc_telemetry::responses)); }},
    Field{"counters.cancelled", "", kInt, 0, false,
          "Jobs ended without a device response (reset, close), all DBCs.",
          [](S, D d) { return Opt(d.dbc_sum(&ember_dbc_telemetry::cancelled)); }},
    Field{"counters.timeouts", "", kInt, 0, false, "Jobs the scheduler timed out, all DBCs.",
          [](S, D d) { return Opt(d.dbc_sum(&ember_dbc_telemetry::timeouts)); }},
};

}  // namespace

std::span<const Field> Fields() { return kFields; }

const Field *FindField(std::string_view name) {
  for (const Field &f : kFields) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

std::variant<std::vector<const Field *>, Failure> ParseFieldList(std::string_view list) {
  std::vector<const Field *> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = list.find(',', pos);
    std::string_view name =
        list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!name.empty() && name.front() == ' ') {
      name.remove_prefix(1);
    }
    while (!name.empty() && name.back() == ' ') {
      name.remove_suffix(1);
    }
    if (name.empty()) {
      return Failure{kExitInvalidArgument,
                     fmt::format("--query: empty field name in \"{}\"", list)};
    }
    const Field *f = FindField(name);
    if (f == nullptr) {
      return Failure{kExitInvalidArgument,
                     fmt::format("--query: unknown field \"{}\" (see --help-query)", name)};
    }
    out.push_back(f);
    if (comma == std::string_view::npos) {
      break;
    }
    pos = comma + 1;
  }
  return out;
}

std::string FormatValue(const Field &field, const Value &value, bool nounits) {
  std::string text;
  if (std::holds_alternative<std::monostate>(value)) {
    return "[N/A]";
  }
  if (const auto *s = std::get_if<std::string>(&value)) {
    text = *s;
  } else if (const auto *i = std::get_if<std::int64_t>(&value)) {
    text = fmt::format("{}", *i);
  } else if (const auto *u = std::get_if<std::uint64_t>(&value)) {
    text = fmt::format("{}", *u);
  } else {
    text = fmt::format("{:.{}f}", std::get<double>(value), field.decimals);
  }
  if (!nounits && !field.unit.empty()) {
    text += ' ';
    text += field.unit;
  }
  return text;
}

nlohmann::ordered_json JsonValue(const Field &field, const Value &value) {
  if (std::holds_alternative<std::monostate>(value)) {
    return nullptr;
  }
  switch (field.type) {
    case FieldType::kString:
      if (const auto *s = std::get_if<std::string>(&value)) {
        return *s;
      }
      break;
    case FieldType::kInteger:
      if (const auto *i = std::get_if<std::int64_t>(&value)) {
        return *i;
      }
      if (const auto *u = std::get_if<std::uint64_t>(&value)) {
        return *u;
      }
      break;
    case FieldType::kNumber:
      if (const auto *d = std::get_if<double>(&value)) {
        return *d;
      }
      break;
  }
  // A getter that disagrees with its declared type is a bug: never let it
  // change the JSON type of the field.
  return nullptr;
}

}  // namespace ember_smi
