// ember-smi collect layer: libember discovery and telemetry -> Snapshot.
#include "collect.hpp"

#include <ember/ember_accel.h>
#include <fmt/format.h>

namespace ember_smi {

namespace {

Failure FailureOf(const ember::Error &e, std::string_view what) {
  return Failure{ExitCodeOf(e.code()), fmt::format("{}: {}", what, e.what())};
}

// Telemetry of one device; UNSUPPORTED (a driver without the telemetry
// files) and NOENT (the device went away) are reported by the caller.
DeviceView ReadDevice(std::size_t index, const ember::DeviceDesc &desc, bool processes) {
  const auto telemetry = ember::read_telemetry(desc.bdf);
  const auto dbcs = ember::read_dbc_telemetry(desc.bdf);
  const auto procs = processes ? ember::list_processes(desc.bdf)
                               : ember::Result<std::vector<ember::ProcessUsage>>(
                                     ember::Error(EMBER_ERR_UNSUPPORTED, "not read"));
  return MakeView(index, desc, telemetry, dbcs, procs);
}

std::optional<Failure> DeviceProblem(const DeviceView &v) {
  // A driver older than the telemetry files: libember cannot find
  // dbc_status / dbc_counters.
  if (v.dbc_status == EMBER_ERR_UNSUPPORTED) {
    return Failure{kExitNotSupported,
                   fmt::format("{}: the loaded ember driver does not provide the DBC telemetry "
                               "files (driver older than this ember-smi): {}",
                               v.bdf, v.dbc_error)};
  }
  for (const ember_status st : {v.telemetry_status, v.dbc_status}) {
    if (st == EMBER_OK) {
      continue;
    }
    if (st == EMBER_ERR_UNSUPPORTED) {
      return Failure{kExitNotSupported,
                     fmt::format("{}: the loaded ember driver does not provide telemetry "
                                 "(driver too old for this ember-smi?)",
                                 v.bdf)};
    }
    if (st == EMBER_ERR_NOENT) {
      return Failure{kExitNotFound, fmt::format("{}: device is gone", v.bdf)};
    }
    return Failure{ExitCodeOf(st),
                   fmt::format("{}: cannot read telemetry: {}", v.bdf, ember_strerror(st))};
  }
  return std::nullopt;
}

}  // namespace

std::variant<ember::DriverStatus, Failure> ReadDriver() {
  auto drv = ember::driver_status();
  if (!drv) {
    return FailureOf(drv.error(), "cannot read the ember driver's status");
  }
  return *drv;
}

std::optional<Failure> CheckDriver(const ember::DriverStatus &drv) {
  if (!drv.loaded) {
    return Failure{kExitDriverNotLoaded,
                   "the ember driver is not loaded (load it with: modprobe ember)"};
  }
  if (drv.abi_major != EMBER_ABI_MAJOR) {
    return Failure{kExitNotSupported,
                   fmt::format("the loaded ember driver has ABI {}.{}.{}, this ember-smi "
                               "supports ABI major {}: install matching versions",
                               drv.abi_major, drv.abi_minor, drv.abi_patch, EMBER_ABI_MAJOR)};
  }
  return std::nullopt;
}

std::variant<Collected, Failure> Collect(const ember::DriverStatus &drv, const Options &opts,
                                         bool processes) {
  auto list = ember::list_devices();
  if (!list) {
    return FailureOf(list.error(), "device discovery failed");
  }
  if (list->empty()) {
    return Failure{kExitNotFound, "no ember devices found (the driver is loaded, no device bound)"};
  }
  // -i matches serials, which need the telemetry of every device (or its
  // GET_INFO): read the cheap part first.
  std::vector<DeviceId> ids;
  for (const auto &d : *list) {
    DeviceId id{d.bdf, std::nullopt};
    if (d.status == EMBER_OK) {
      id.serial = fmt::format("{:016x}", d.info.serial);
    } else if (!opts.ids.empty()) {
      if (auto t = ember::read_telemetry(d.bdf); t && t->serial) {
        id.serial = t->serial;
      }
    }
    ids.push_back(std::move(id));
  }
  const Selection sel = SelectDevices(ids, opts.ids);
  if (sel.failure) {
    return *sel.failure;
  }
  Collected out;
  out.snap.driver = drv;
  for (const std::size_t i : sel.indices) {
    DeviceView v = ReadDevice(i, (*list)[i], processes);
    if (auto problem = DeviceProblem(v)) {
      if (problem->code == kExitNotFound) {
        return *problem;
      }
      out.warnings.push_back(std::move(*problem));
    }
    if (NeedsInfo(opts) && v.open_status != EMBER_OK) {
      out.warnings.push_back(Failure{
          ExitCodeOf(v.open_status),
          fmt::format("{}: cannot open {}: {} (fields read through the node are N/A; run as "
                      "root or a member of the device's group)",
                      v.bdf, v.node, ember_strerror(v.open_status))});
    }
    out.snap.devices.push_back(std::move(v));
  }
  return out;
}

std::variant<Snapshot, Failure> Refresh(const Snapshot &snap) {
  Snapshot next;
  next.driver = snap.driver;
  for (const auto &old : snap.devices) {
    ember::DeviceDesc desc;
    desc.node = old.node;
    desc.bdf = old.bdf;
    desc.minor = old.minor;
    desc.status = old.open_status;
    if (old.info) {
      desc.info = *old.info;
    }
    DeviceView v = ReadDevice(old.index, desc, false);
    if (auto problem = DeviceProblem(v)) {
      return *problem;
    }
    next.devices.push_back(std::move(v));
  }
  return next;
}

}  // namespace ember_smi
