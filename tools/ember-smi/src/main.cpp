// ember-smi: nvidia-smi-style state, telemetry and process view of ember
// accelerators, read through libember (docs: ember-smi(1)).
#include <ember/ember_accel.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "collect.hpp"
#include "smi.hpp"
#include "version.hpp"

namespace {

using ember_smi::Failure;

int Fail(const Failure &f) {
  fmt::print(stderr, "ember-smi: {}\n", f.message);
  return f.code;
}

void Out(const std::string &s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

void OutJson(const nlohmann::ordered_json &j) { Out(j.dump(2) + "\n"); }

int Dmon(const ember_smi::Options &opts, ember_smi::Snapshot snap) {
  using ember_smi::DmonDelta;
  using ember_smi::SampleOf;
  std::vector<ember_smi::DmonSample> before;
  for (const auto &d : snap.devices) {
    before.push_back(SampleOf(d));
  }
  if (!opts.json) {
    Out(ember_smi::DmonHeader());
  }
  const auto period = std::chrono::duration<double>(opts.loop_seconds);
  auto next = std::chrono::steady_clock::now();
  for (std::uint64_t n = 1; !opts.count || n <= *opts.count; ++n) {
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
    std::this_thread::sleep_until(next);
    auto fresh = ember_smi::Refresh(snap);
    if (auto *f = std::get_if<Failure>(&fresh)) {
      return Fail(*f);
    }
    snap = std::get<ember_smi::Snapshot>(std::move(fresh));
    std::string rows;
    for (std::size_t i = 0; i < snap.devices.size(); ++i) {
      const auto after = SampleOf(snap.devices[i]);
      const auto row = DmonDelta(before[i], after);
      rows +=
          opts.json ? ember_smi::JsonDmonRow(row, n).dump() + "\n" : ember_smi::FormatDmonRow(row);
      before[i] = after;
    }
    Out(rows);
  }
  return 0;
}

int Run(const std::vector<std::string> &args) {
  using ember_smi::Command;
  auto parsed = ember_smi::ParseArgs(args);
  if (auto *e = std::get_if<ember_smi::ParseExit>(&parsed)) {
    Out(e->out);
    if (!e->message.empty()) {
      fmt::print(stderr, "ember-smi: {}\n", e->message);
    }
    return e->code;
  }
  const auto &opts = std::get<ember_smi::Options>(parsed);

  if (opts.command == Command::kHelpQuery) {
    if (opts.json) {
      OutJson(ember_smi::JsonHelpQuery());
    } else {
      Out(ember_smi::FormatHelpQuery());
    }
    return 0;
  }
  auto drv = ember_smi::ReadDriver();
  if (auto *f = std::get_if<Failure>(&drv)) {
    return Fail(*f);
  }
  const auto &driver = std::get<ember::DriverStatus>(drv);
  if (opts.command == Command::kVersion) {
    const ember_smi::ToolVersion tool{EMBER_SMI_VERSION, std::string(ember::version()),
                                      EMBER_ABI_MAJOR};
    if (opts.json) {
      OutJson(ember_smi::JsonVersion(tool, driver));
    } else {
      Out(ember_smi::FormatVersion(tool, driver));
    }
    return 0;
  }
  if (auto f = ember_smi::CheckDriver(driver)) {
    return Fail(*f);
  }
  const bool processes = opts.command != Command::kDmon;
  auto collected = ember_smi::Collect(driver, opts, processes);
  if (auto *f = std::get_if<Failure>(&collected)) {
    return Fail(*f);
  }
  auto &c = std::get<ember_smi::Collected>(collected);
  const auto &snap = c.snap;
  if (opts.command == Command::kDmon) {
    for (const auto &w : c.warnings) {
      return Fail(w);
    }
    return Dmon(opts, c.snap);
  }
  switch (opts.command) {
    case Command::kList:
      if (opts.json) {
        std::vector<const ember_smi::Field *> fields;
        for (const char *name : {"index", "name", "pci.bus_id", "uuid", "serial"}) {
          fields.push_back(ember_smi::FindField(name));
        }
        OutJson(ember_smi::JsonQuery(snap, fields));
      } else {
        Out(ember_smi::FormatList(snap));
      }
      break;
    case Command::kReport:
      opts.json ? OutJson(ember_smi::JsonDevices(snap)) : Out(ember_smi::FormatReport(snap));
      break;
    case Command::kQuery:
      opts.json ? OutJson(ember_smi::JsonQuery(snap, opts.fields))
                : Out(ember_smi::FormatCsv(snap, opts.fields, opts.csv));
      break;
    case Command::kPmon:
      opts.json ? OutJson(ember_smi::JsonPmon(snap)) : Out(ember_smi::FormatPmon(snap));
      break;
    default:
      opts.json ? OutJson(ember_smi::JsonDevices(snap)) : Out(ember_smi::FormatTable(snap));
      break;
  }
  int code = 0;
  for (const auto &w : c.warnings) {
    fmt::print(stderr, "ember-smi: {}\n", w.message);
    if (code == 0) {
      code = w.code;
    }
  }
  return code;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return Run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception &e) {
    fmt::print(stderr, "ember-smi: {}\n", e.what());
    return ember_smi::kExitOther;
  }
}
