// ember-smi model: DeviceView from libember's types, -i matching, exit codes.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "smi.hpp"

namespace ember_smi {

int ExitCodeOf(ember_status status) {
  switch (status) {
    case EMBER_OK:
      return kExitOk;
    case EMBER_ERR_INVALID:
      return kExitInvalidArgument;
    case EMBER_ERR_UNSUPPORTED:
    case EMBER_ERR_NOTTY:
      return kExitNotSupported;
    case EMBER_ERR_ACCESS:
    case EMBER_ERR_PERM:
      return kExitNoPermission;
    case EMBER_ERR_NOENT:
      return kExitNotFound;
    case EMBER_ERR_NODEV:
    case EMBER_ERR_TIMEDOUT:
    case EMBER_ERR_BUSY:
      return kExitInaccessible;
    default:
      return kExitOther;
  }
}

std::optional<std::string> DeviceView::serial() const {
  if (telemetry && telemetry->serial && !telemetry->serial->empty()) {
    return telemetry->serial;
  }
  if (info) {
    return fmt::format("{:016x}", info->serial);
  }
  return std::nullopt;
}

std::optional<std::string> DeviceView::uuid() const {
  auto s = serial();
  if (!s) {
    return std::nullopt;
  }
  return "EMBER-" + *s;
}

std::optional<std::uint64_t> DeviceView::active_dbcs() const {
  if (!dbcs) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(
      std::count_if(dbcs->begin(), dbcs->end(), [](const auto &d) { return d.active != 0; }));
}

std::optional<std::uint64_t> DeviceView::dbc_sum(std::uint64_t ember_dbc_telemetry::*member) const {
  if (!dbcs) {
    return std::nullopt;
  }
  std::uint64_t sum = 0;
  for (const auto &d : *dbcs) {
    sum += d.*member;
  }
  return sum;
}

DeviceView MakeView(std::size_t index, const ember::DeviceDesc &desc,
                    const ember::Result<ember::Telemetry> &telemetry,
                    const ember::Result<std::vector<ember::DbcTelemetry>> &dbcs,
                    const ember::Result<std::vector<ember::ProcessUsage>> &procs) {
  DeviceView v;
  v.index = index;
  v.node = desc.node;
  v.bdf = desc.bdf;
  v.minor = desc.minor;
  v.open_status = desc.status;
  if (desc.status == EMBER_OK) {
    v.info = desc.info;
  }
  v.telemetry_status = telemetry.error().code();
  if (telemetry) {
    v.telemetry = *telemetry;
  }
  v.dbc_status = dbcs.error().code();
  v.dbc_error = dbcs.error().message();
  if (dbcs) {
    v.dbcs = *dbcs;
  }
  v.process_status = procs.error().code();
  if (procs) {
    v.processes = *procs;
  }
  return v;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsIndex(std::string_view s, std::size_t *out) {
  if (s.empty() || s.size() > 6) {
    return false;
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool Matches(const DeviceId &dev, std::string_view id) {
  const std::string want = Lower(id);
  const std::string bdf = Lower(dev.bdf);
  if (want == bdf) {
    return true;
  }
  // "BB:DD.F" is domain 0000.
  if (want.size() == 7 && bdf == "0000:" + want) {
    return true;
  }
  if (dev.serial) {
    const std::string serial = Lower(*dev.serial);
    if (want == serial || want == "ember-" + serial) {
      return true;
    }
  }
  return false;
}

}  // namespace

Selection SelectDevices(std::span<const DeviceId> devices, std::span<const std::string> ids) {
  Selection sel;
  if (ids.empty()) {
    for (std::size_t i = 0; i < devices.size(); ++i) {
      sel.indices.push_back(i);
    }
    return sel;
  }
  for (const auto &id : ids) {
    std::optional<std::size_t> found;
    std::size_t index = 0;
    if (IsIndex(id, &index)) {
      if (index < devices.size()) {
        found = index;
      }
    } else {
      for (std::size_t i = 0; i < devices.size(); ++i) {
        if (Matches(devices[i], id)) {
          found = i;
          break;
        }
      }
    }
    if (!found) {
      sel.failure = Failure{kExitNotFound, fmt::format("no ember device matches -i {} ({} found)",
                                                       id, devices.size())};
      sel.indices.clear();
      return sel;
    }
    if (std::find(sel.indices.begin(), sel.indices.end(), *found) == sel.indices.end()) {
      sel.indices.push_back(*found);
    }
  }
  return sel;
}

}  // namespace ember_smi
