// ember-smi output: every text and JSON view, as pure functions of a Snapshot.
#include <fmt/format.h>

#include <algorithm>

#include "smi.hpp"

namespace ember_smi {

namespace {

using Json = nlohmann::ordered_json;

constexpr double kMiB = 1024.0 * 1024.0;

std::string Cell(const std::optional<std::string> &s) { return s ? *s : "N/A"; }

std::string MiB(std::uint64_t bytes) {
  return fmt::format("{:.0f}MiB", static_cast<double>(bytes) / kMiB);
}

// A grid with "+---+" rules, columns padded to their widest cell.
std::string Grid(const std::vector<std::string> &headers,
                 const std::vector<std::vector<std::string>> &rows) {
  std::vector<std::size_t> width(headers.size());
  for (std::size_t c = 0; c < headers.size(); ++c) {
    width[c] = headers[c].size();
    for (const auto &r : rows) {
      width[c] = std::max(width[c], r[c].size());
    }
  }
  std::string rule = "+";
  for (const std::size_t w : width) {
    rule += std::string(w + 2, '-') + "+";
  }
  rule += '\n';
  const auto line = [&width](const std::vector<std::string> &cells) {
    std::string s = "|";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      s += fmt::format(" {:<{}} |", cells[c], width[c]);
    }
    return s + '\n';
  };
  std::string out = rule + line(headers) + rule;
  for (const auto &r : rows) {
    out += line(r);
  }
  return out + rule;
}

std::string DriverLine(const Snapshot &snap) {
  if (!snap.driver.loaded) {
    return "Driver: not loaded\n";
  }
  return fmt::format("Driver Version: {}    Driver ABI: {}.{}.{}\n",
                     snap.driver.version.empty() ? "N/A" : snap.driver.version,
                     snap.driver.abi_major, snap.driver.abi_minor, snap.driver.abi_patch);
}

Json ProcessJson(const ember::ProcessUsage &p) {
  return Json{{"pid", p.pid},
              {"name", p.comm},
              {"clients", p.clients},
              {"busy_ns", p.busy_ns},
              {"memory_total_bytes", p.memory_total},
              {"memory_resident_bytes", p.memory_resident}};
}

Json DbcJson(const ember::DbcTelemetry &d) {
  return Json{{"index", d.index},
              {"active", d.active != 0},
              {"owner_pid", d.active != 0 ? Json(d.owner_pid) : Json(nullptr)},
              {"interrupts", d.interrupts},
              {"polls", d.polls},
              {"responses", d.responses},
              {"completions", d.completions},
              {"cancelled", d.cancelled},
              {"timeouts", d.timeouts}};
}

Json DriverJson(const ember::DriverStatus &drv) {
  Json j{{"loaded", drv.loaded}, {"version", nullptr}, {"abi", nullptr}};
  if (drv.loaded) {
    if (!drv.version.empty()) {
      j["version"] = drv.version;
    }
    j["abi"] = fmt::format("{}.{}.{}", drv.abi_major, drv.abi_minor, drv.abi_patch);
  }
  return j;
}

std::string OptNum(const std::optional<std::uint64_t> &v, int width) {
  return v ? fmt::format("{:>{}}", *v, width) : fmt::format("{:>{}}", "-", width);
}
std::string OptReal(const std::optional<double> &v, int width, int decimals) {
  return v ? fmt::format("{:>{}.{}f}", *v, width, decimals) : fmt::format("{:>{}}", "-", width);
}

}  // namespace

std::string FormatTable(const Snapshot &snap) {
  std::string out = DriverLine(snap);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<std::string>> procs;
  for (const auto &d : snap.devices) {
    std::string temp = "N/A";
    std::string power = "N/A";
    std::string mem = "N/A";
    std::string state = "N/A";
    if (d.telemetry) {
      const auto &t = *d.telemetry;
      if (t.temp_mc) {
        temp = fmt::format("{:.0f}C", static_cast<double>(*t.temp_mc) / 1000.0);
      }
      if (t.power_uw) {
        power = fmt::format("{:.1f}W", static_cast<double>(*t.power_uw) / 1e6);
      }
      power += " / ";
      power += t.power_cap_uw ? fmt::format("{:.0f}W", static_cast<double>(*t.power_cap_uw) / 1e6)
                              : std::string("N/A");
      if (t.devmem_used && t.devmem_total) {
        mem = MiB(*t.devmem_used) + " / " + MiB(*t.devmem_total);
      }
      if (t.state != EMBER_STATE_UNKNOWN) {
        state = ember::state_name(t.state);
      }
    }
    const std::string dbcs =
        d.dbcs ? fmt::format("{} / {}", *d.active_dbcs(), d.dbcs->size()) : std::string("N/A");
    const std::string nprocs = d.processes ? fmt::format("{}", d.processes->size()) : "N/A";
    rows.push_back({fmt::format("{}", d.index), d.bdf, Cell(d.serial()), state, temp, power, mem,
                    dbcs, nprocs});
    if (d.processes) {
      for (const auto &p : *d.processes) {
        procs.push_back({fmt::format("{}", d.index), fmt::format("{}", p.pid), p.comm,
                         fmt::format("{}", p.clients),
                         fmt::format("{:.1f}", static_cast<double>(p.busy_ns) / 1e6),
                         MiB(p.memory_total)});
      }
    }
  }
  out += Grid({"Idx", "Bus-Id", "Serial", "State", "Temp", "Power / Cap", "Memory Used / Total",
               "DBCs Busy", "Procs"},
              rows);
  out += "Processes:\n";
  if (procs.empty()) {
    out += "  No running processes found\n";
  } else {
    out += Grid({"Idx", "PID", "Name", "Clients", "Busy ms", "Memory"}, procs);
  }
  return out;
}

std::string FormatList(const Snapshot &snap) {
  std::string out;
  for (const auto &d : snap.devices) {
    const Value name = FindField("name")->get(snap, d);
    const auto *n = std::get_if<std::string>(&name);
    out += fmt::format("Device {}: {} ({}) (UUID: {})\n", d.index, n != nullptr ? *n : "ember",
                       d.bdf, Cell(d.uuid()));
  }
  return out;
}

std::string FormatReport(const Snapshot &snap) {
  std::string out = "==============ember-smi log==============\n";
  out += DriverLine(snap);
  out += fmt::format("Attached Devices: {}\n", snap.devices.size());
  for (const auto &d : snap.devices) {
    out += fmt::format("\nDevice {}\n", d.bdf);
    for (const Field &f : Fields()) {
      out += fmt::format("    {:<26}: {}\n", f.name, FormatValue(f, f.get(snap, d), false));
    }
    out += "    DBCs\n";
    if (!d.dbcs) {
      out += fmt::format("        N/A ({})\n", ember_strerror(d.dbc_status));
    } else {
      for (const auto &c : *d.dbcs) {
        out += fmt::format(
            "        DBC {:<3}: {:<6} owner {:<7} jobs {} interrupts {} polls {} responses {} "
            "cancelled {} timeouts {}\n",
            c.index, c.active != 0 ? "active" : "free",
            c.active != 0 ? fmt::format("{}", c.owner_pid) : std::string("-"), c.completions,
            c.interrupts, c.polls, c.responses, c.cancelled, c.timeouts);
      }
    }
    out += "    Processes\n";
    if (!d.processes) {
      out += fmt::format("        N/A ({})\n", ember_strerror(d.process_status));
    } else if (d.processes->empty()) {
      out += "        None\n";
    } else {
      for (const auto &p : *d.processes) {
        out +=
            fmt::format("        PID {:<8}: {} clients {} busy {} ns memory {} B resident {} B\n",
                        p.pid, p.comm, p.clients, p.busy_ns, p.memory_total, p.memory_resident);
      }
    }
  }
  return out;
}

std::string FormatCsv(const Snapshot &snap, std::span<const Field *const> fields, CsvOptions opts) {
  std::string out;
  const auto join = [&out](const std::vector<std::string> &cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += i == 0 ? "" : ", ";
      out += cells[i];
    }
    out += '\n';
  };
  if (opts.header) {
    std::vector<std::string> h;
    for (const Field *f : fields) {
      h.push_back(opts.units && !f->unit.empty() ? fmt::format("{} [{}]", f->name, f->unit)
                                                 : std::string(f->name));
    }
    join(h);
  }
  for (const auto &d : snap.devices) {
    std::vector<std::string> row;
    for (const Field *f : fields) {
      row.push_back(FormatValue(*f, f->get(snap, d), !opts.units));
    }
    join(row);
  }
  return out;
}

std::string_view TypeName(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "string";
    case FieldType::kInteger:
      return "integer";
    case FieldType::kNumber:
      return "number";
  }
  return "string";
}

std::string FormatHelpQuery() {
  std::string out =
      "Fields for --query=FIELD,... (--format=csv[,noheader][,nounits]).\n"
      "Unavailable values print as [N/A] (null in --json).\n\n";
  out += fmt::format("{:<24} {:<5} {:<8} {}\n", "FIELD", "UNIT", "TYPE", "DESCRIPTION");
  for (const Field &f : Fields()) {
    out += fmt::format("{:<24} {:<5} {:<8} {}{}\n", f.name, f.unit.empty() ? "-" : f.unit,
                       TypeName(f.type), f.description,
                       f.needs_info ? " (needs access to the node)" : "");
  }
  return out;
}

std::string FormatPmon(const Snapshot &snap) {
  std::string out = "# idx      pid  clients     busy_ms     mem_KiB  command\n";
  for (const auto &d : snap.devices) {
    if (!d.processes) {
      out += fmt::format("{:>5}  {}\n", d.index, "-  (process list unavailable)");
      continue;
    }
    for (const auto &p : *d.processes) {
      out += fmt::format("{:>5} {:>8} {:>8} {:>11.1f} {:>11}  {}\n", d.index, p.pid, p.clients,
                         static_cast<double>(p.busy_ns) / 1e6, p.memory_total / 1024, p.comm);
    }
  }
  return out;
}

std::string FormatVersion(const ToolVersion &tool, const ember::DriverStatus &drv) {
  std::string out = fmt::format("ember-smi version: {}\nlibember version: {} (ABI major {})\n",
                                tool.tool, tool.library, tool.compiled_abi_major);
  if (drv.loaded) {
    out += fmt::format("driver version: {}\ndriver ABI: {}.{}.{}\n",
                       drv.version.empty() ? "N/A" : drv.version, drv.abi_major, drv.abi_minor,
                       drv.abi_patch);
  } else {
    out += "driver version: not loaded\n";
  }
  return out;
}

Json JsonDevice(const Snapshot &snap, const DeviceView &dev) {
  Json j = Json::object();
  for (const Field &f : Fields()) {
    j[std::string(f.name)] = JsonValue(f, f.get(snap, dev));
  }
  j["dbcs"] = nullptr;
  if (dev.dbcs) {
    j["dbcs"] = Json::array();
    for (const auto &c : *dev.dbcs) {
      j["dbcs"].push_back(DbcJson(c));
    }
  }
  j["processes"] = nullptr;
  if (dev.processes) {
    j["processes"] = Json::array();
    for (const auto &p : *dev.processes) {
      j["processes"].push_back(ProcessJson(p));
    }
  }
  return j;
}

Json JsonDevices(const Snapshot &snap) {
  Json j{{"schema_version", kJsonSchemaVersion},
         {"driver", DriverJson(snap.driver)},
         {"devices", Json::array()}};
  for (const auto &d : snap.devices) {
    j["devices"].push_back(JsonDevice(snap, d));
  }
  return j;
}

Json JsonQuery(const Snapshot &snap, std::span<const Field *const> fields) {
  Json j{{"schema_version", kJsonSchemaVersion}, {"devices", Json::array()}};
  for (const auto &d : snap.devices) {
    Json dev = Json::object();
    for (const Field *f : fields) {
      dev[std::string(f->name)] = JsonValue(*f, f->get(snap, d));
    }
    j["devices"].push_back(std::move(dev));
  }
  return j;
}

Json JsonHelpQuery() {
  Json j{{"schema_version", kJsonSchemaVersion}, {"fields", Json::array()}};
  for (const Field &f : Fields()) {
    j["fields"].push_back(Json{{"name", f.name},
                               {"unit", f.unit.empty() ? Json(nullptr) : Json(f.unit)},
                               {"type", TypeName(f.type)},
                               {"needs_node_access", f.needs_info},
                               {"description", f.description}});
  }
  return j;
}

Json JsonPmon(const Snapshot &snap) {
  Json j{{"schema_version", kJsonSchemaVersion}, {"processes", Json::array()}};
  for (const auto &d : snap.devices) {
    if (!d.processes) {
      continue;
    }
    for (const auto &p : *d.processes) {
      Json e = ProcessJson(p);
      e["index"] = d.index;
      e["pci.bus_id"] = d.bdf;
      j["processes"].push_back(std::move(e));
    }
  }
  return j;
}

Json JsonVersion(const ToolVersion &tool, const ember::DriverStatus &drv) {
  return Json{{"schema_version", kJsonSchemaVersion},
              {"ember_smi_version", tool.tool},
              {"libember_version", tool.library},
              {"libember_abi_major", tool.compiled_abi_major},
              {"driver", DriverJson(drv)}};
}

DmonSample SampleOf(const DeviceView &dev) {
  DmonSample s;
  s.index = dev.index;
  s.jobs = dev.dbc_sum(&ember_dbc_telemetry::completions);
  s.interrupts = dev.dbc_sum(&ember_dbc_telemetry::interrupts);
  s.polls = dev.dbc_sum(&ember_dbc_telemetry::polls);
  if (dev.telemetry) {
    if (dev.telemetry->temp_mc) {
      s.temp_c = static_cast<double>(*dev.telemetry->temp_mc) / 1000.0;
    }
    if (dev.telemetry->power_uw) {
      s.power_w = static_cast<double>(*dev.telemetry->power_uw) / 1e6;
    }
  }
  return s;
}

DmonRow DmonDelta(const DmonSample &before, const DmonSample &after) {
  // A counter that went backwards (the device was unbound and bound
  // again in between) gives no delta rather than a huge one.
  const auto delta = [](const std::optional<std::uint64_t> &a,
                        const std::optional<std::uint64_t> &b) -> std::optional<std::uint64_t> {
    if (!a || !b || *b < *a) {
      return std::nullopt;
    }
    return *b - *a;
  };
  return DmonRow{after.index,
                 delta(before.jobs, after.jobs),
                 delta(before.interrupts, after.interrupts),
                 delta(before.polls, after.polls),
                 after.temp_c,
                 after.power_w};
}

std::string DmonHeader() {
  return "# idx      jobs      irqs     polls    temp     pwr\n"
         "# Idx         n         n         n       C       W\n";
}

std::string FormatDmonRow(const DmonRow &row) {
  return fmt::format("{:>5} {} {} {} {} {}\n", row.index, OptNum(row.jobs, 9),
                     OptNum(row.interrupts, 9), OptNum(row.polls, 9), OptReal(row.temp_c, 7, 1),
                     OptReal(row.power_w, 7, 2));
}

Json JsonDmonRow(const DmonRow &row, std::uint64_t sample) {
  const auto opt = [](const auto &v) { return v ? Json(*v) : Json(nullptr); };
  return Json{{"schema_version", kJsonSchemaVersion},
              {"sample", sample},
              {"index", row.index},
              {"jobs", opt(row.jobs)},
              {"interrupts", opt(row.interrupts)},
              {"polls", opt(row.polls)},
              {"temperature", opt(row.temp_c)},
              {"power", opt(row.power_w)}};
}

}  // namespace ember_smi

namespace ember_smi {

std::string FormatFieldsScd() {
  std::string out;
  for (const Field &f : Fields()) {
    out += fmt::format("*{}* ({}{}{})\n\t{}{}\n\n", f.name, TypeName(f.type),
                       f.unit.empty() ? "" : ", ", f.unit, f.description,
                       f.needs_info ? " Needs access to the device node." : "");
  }
  return out;
}

}  // namespace ember_smi
