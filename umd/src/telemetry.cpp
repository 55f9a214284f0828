// Telemetry and monitoring: the driver's sysfs, hwmon and DRM fdinfo files
// (docs/sysfs.md), each read with one bounded read(); no device node is
// ever opened, so a hung device cannot hang a monitoring tool (the driver
// answers these files without waiting for it).
#include "telemetry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <system_error>
#include <utility>

#include "discovery.hpp"
#include "status.hpp"
#include "unique_fd.hpp"

namespace ember::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSpace = " \t\r\n";

// The white-space separated words of |line|.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = line.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    const std::size_t end = line.find_first_of(kSpace, pos);
    out.push_back(line.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = line.find_first_not_of(kSpace, end);
  }
  return out;
}

// Calls |fn| for every line of |text| (without its '\n').
template <typename Fn>
bool ForEachLine(std::string_view text, Fn &&fn) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    if (!fn(line)) {
      return false;
    }
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return true;
}

template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  s = Trim(s);
  T v{};
  const char *end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return v;
}

std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return b > std::numeric_limits<std::uint64_t>::max() - a
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

// |s| into a fixed char array, truncated, NUL-terminated.
void CopyTo(std::string_view s, std::span<char> dst) {
  const std::size_t n = std::min(s.size(), dst.size() - 1);
  std::copy_n(s.begin(), n, dst.begin());
  std::fill(dst.begin() + static_cast<std::ptrdiff_t>(n), dst.end(), '\0');
}

// "<path>: <strerror>".
std::string PathError(const fs::path &path, int err) {
  return path.string() + ": " + ErrnoText(err);
}

// The sysfs directory of the ember device at |bdf|: EMBER_ERR_INVALID for
// a malformed address, EMBER_ERR_NOENT when no ember device is bound there.
ember_status FindDevice(const MonitorRoots &roots, std::string_view bdf, std::string &norm,
                        fs::path &dir) {
  const auto n = NormalizeBdf(bdf);
  if (!n) {
    return Fail(EMBER_ERR_INVALID, "'" + std::string(bdf) + "' is not a PCI address");
  }
  norm = *n;
  dir = roots.sysfs / "bus" / "pci" / "devices" / norm;
  std::error_code ec;
  const fs::path driver = fs::canonical(dir / "driver", ec);
  if (ec || driver.filename() != kDriverName) {
    return Fail(EMBER_ERR_NOENT,
                "no ember device at " + norm + " (" + dir.string() +
                    (ec ? ": no bound driver)" : ": bound to " + driver.filename().string() + ")"));
  }
  return EMBER_OK;
}

// A device's telemetry file as a number, or nothing if it cannot be read
// now (ENODATA while the device cannot answer, absent, malformed).
template <typename T>
std::optional<T> ReadNumber(const fs::path &path, std::string &buf) {
  if (ReadBounded(path, buf) != 0) {
    return std::nullopt;
  }
  return ParseNumber<T>(buf);
}

// <dev>/hwmon/hwmonN whose "name" is "ember", or "".
fs::path FindHwmon(const fs::path &dev, std::string &buf) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(dev / "hwmon", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().filename().string().starts_with("hwmon")) {
      dirs.push_back(it->path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path &d : dirs) {
    if (ReadBounded(d / "name", buf) == 0 && Trim(buf) == kDriverName) {
      return d;
    }
  }
  return {};
}

// One process's ember files on the device, being summed.
struct Usage {
  std::uint32_t clients = 0;
  std::uint64_t busy_ns = 0;
  std::uint64_t memory_total = 0;
  std::uint64_t memory_resident = 0;
};

// Sums the fdinfo files of |pid_dir| that belong to ember device |bdf|;
// a DRM file open through several descriptors (dup, SCM_RIGHTS) is one
// client, told apart by drm-client-id.
Usage ScanProcess(const fs::path &pid_dir, const std::string &bdf, std::string &buf) {
  Usage u;
  std::set<std::uint64_t> seen;
  std::error_code ec;
  for (fs::directory_iterator it(pid_dir / "fdinfo", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (ReadBounded(it->path(), buf) != 0 || buf.find("drm-driver") == std::string::npos) {
      continue;
    }
    const auto rec = ParseFdinfo(buf);
    if (!rec || rec->driver != kDriverName || NormalizeBdf(rec->pdev) != bdf) {
      continue;
    }
    if (rec->client_id && !seen.insert(*rec->client_id).second) {
      continue;
    }
    ++u.clients;
    u.busy_ns = SaturatingAdd(u.busy_ns, rec->busy_ns);
    u.memory_total = SaturatingAdd(u.memory_total, rec->memory_total);
    u.memory_resident = SaturatingAdd(u.memory_resident, rec->memory_resident);
  }
  return u;
}

}  // namespace

MonitorRoots MonitorRoots::FromEnv() {
  const char *sysfs = std::getenv("EMBER_SYSFS_ROOT");
  const char *proc = std::getenv("EMBER_PROC_ROOT");
  return MonitorRoots{(sysfs != nullptr && *sysfs != '\0') ? fs::path(sysfs) : fs::path("/sys"),
                      (proc != nullptr && *proc != '\0') ? fs::path(proc) : fs::path("/proc")};
}

int ReadBounded(const fs::path &path, std::string &out, std::size_t limit) {
  out.clear();
  const UniqueFd fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd.Valid()) {
    return errno;
  }
  struct stat st {};
  if (::fstat(fd.Get(), &st) != 0) {
    return errno;
  }
  if (!S_ISREG(st.st_mode)) {
    return ENXIO;
  }
  out.resize(limit);
  ssize_t n = 0;
  do {
    n = ::read(fd.Get(), out.data(), limit);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    out.clear();
    return err;
  }
  out.resize(static_cast<std::size_t>(n));
  if (static_cast<std::size_t>(n) >= limit) {
    out.clear();
    return EFBIG;
  }
  return 0;
}

std::string_view Trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::optional<std::uint64_t> ParseU64(std::string_view s) { return ParseNumber<std::uint64_t>(s); }

std::optional<std::int64_t> ParseI64(std::string_view s) { return ParseNumber<std::int64_t>(s); }

std::optional<std::array<std::uint32_t, 3>> ParseVersion3(std::string_view s) {
  s = Trim(s);
  const std::size_t d1 = s.find('.');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : s.find('.', d1 + 1);
  if (d2 == std::string_view::npos) {
    return std::nullopt;
  }
  const auto major = ParseNumber<std::uint32_t>(s.substr(0, d1));
  const auto minor = ParseNumber<std::uint32_t>(s.substr(d1 + 1, d2 - d1 - 1));
  const auto patch = ParseNumber<std::uint32_t>(s.substr(d2 + 1));
  // Trim() inside ParseNumber would accept "1. 2.3": no space allowed.
  if (!major || !minor || !patch || s.find_first_of(kSpace) != std::string_view::npos) {
    return std::nullopt;
  }
  return std::array<std::uint32_t, 3>{*major, *minor, *patch};
}

std::optional<std::uint32_t> ParseState(std::string_view s) {
  s = Trim(s);
  if (s == "online") {
    return EMBER_STATE_ONLINE;
  }
  if (s == "resetting") {
    return EMBER_STATE_RESETTING;
  }
  if (s == "failed") {
    return EMBER_STATE_FAILED;
  }
  if (s == "offline") {
    return EMBER_STATE_OFFLINE;
  }
  return std::nullopt;
}

std::optional<std::vector<ember_dbc_telemetry>> ParseDbcStatus(std::string_view text) {
  std::vector<ember_dbc_telemetry> out;
  const bool ok = ForEachLine(text, [&out](std::string_view line) {
    const auto w = Words(line);
    if (w.empty()) {
      return true;
    }
    if (w.size() != 3 || (w[1] != "active" && w[1] != "free")) {
      return false;
    }
    const auto index = ParseNumber<std::uint32_t>(w[0]);
    const auto pid = ParseNumber<std::int32_t>(w[2]);
    if (!index || !pid || *pid < 0) {
      return false;
    }
    if (std::any_of(out.begin(), out.end(),
                    [&](const ember_dbc_telemetry &d) { return d.index == *index; })) {
      return false;
    }
    ember_dbc_telemetry d{};
    d.index = *index;
    d.active = w[1] == "active" ? 1 : 0;
    d.owner_pid = d.active != 0 ? *pid : 0;
    out.push_back(d);
    return true;
  });
  if (!ok) {
    return std::nullopt;
  }
  std::sort(out.begin(), out.end(), [](const ember_dbc_telemetry &a, const ember_dbc_telemetry &b) {
    return a.index < b.index;
  });
  return out;
}

bool MergeDbcCounters(std::string_view text, std::vector<ember_dbc_telemetry> &dbcs) {
  return ForEachLine(text, [&dbcs](std::string_view line) {
    const auto w = Words(line);
    if (w.empty()) {
      return true;
    }
    const auto index = ParseNumber<std::uint32_t>(w[0]);
    if (!index) {
      return false;
    }
    const auto d = std::find_if(dbcs.begin(), dbcs.end(),
                                [&](const ember_dbc_telemetry &x) { return x.index == *index; });
    if (d == dbcs.end()) {
      return false;
    }
    const std::array<std::pair<std::string_view, std::uint64_t *>, 6> fields = {{
        {"interrupts", &d->interrupts},
        {"polls", &d->polls},
        {"responses", &d->responses},
        {"completions", &d->completions},
        {"cancelled", &d->cancelled},
        {"timeouts", &d->timeouts},
    }};
    for (std::size_t i = 1; i < w.size(); ++i) {
      const std::size_t eq = w[i].find('=');
      if (eq == std::string_view::npos) {
        return false;
      }
      const std::string_view key = w[i].substr(0, eq);
      const auto value = ParseU64(w[i].substr(eq + 1));
      if (!value) {
        return false;
      }
      for (const auto &[name, dst] : fields) {
        if (name == key) {
          *dst = *value;
        }
      }
    }
    return true;
  });
}

std::optional<std::uint64_t> ParseMemorySize(std::string_view s) {
  const auto w = Words(s);
  if (w.empty() || w.size() > 2) {
    return std::nullopt;
  }
  const auto n = ParseU64(w[0]);
  if (!n) {
    return std::nullopt;
  }
  std::uint64_t unit = 1;
  if (w.size() == 2) {
    if (w[1] == "KiB") {
      unit = 1ULL << 10;
    } else if (w[1] == "MiB") {
      unit = 1ULL << 20;
    } else if (w[1] == "GiB") {
      unit = 1ULL << 30;
    } else if (w[1] != "B") {
      return std::nullopt;
    }
  }
  if (*n > std::numeric_limits<std::uint64_t>::max() / unit) {
    return std::nullopt;
  }
  return *n * unit;
}

std::optional<FdinfoRecord> ParseFdinfo(std::string_view text) {
  FdinfoRecord r;
  bool drm = false;
  ForEachLine(text, [&](std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return true;
    }
    const std::string_view key = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (key == "drm-driver") {
      drm = true;
      r.driver = value;
    } else if (key == "drm-pdev") {
      r.pdev = value;
    } else if (key == "drm-client-id") {
      r.client_id = ParseU64(value);
    } else if (key.starts_with("drm-engine-dbc")) {
      const auto w = Words(value);
      if (w.size() == 2 && w[1] == "ns") {
        r.busy_ns = SaturatingAdd(r.busy_ns, ParseU64(w[0]).value_or(0));
      }
    } else if (key == "drm-total-memory") {
      r.memory_total = ParseMemorySize(value).value_or(0);
    } else if (key == "drm-resident-memory") {
      r.memory_resident = ParseMemorySize(value).value_or(0);
    }
    return true;
  });
  if (!drm) {
    return std::nullopt;
  }
  return r;
}

ember_status ReadDriverStatus(const MonitorRoots &roots, ember_driver_status &out) {
  out = ember_driver_status{};
  const fs::path drv = roots.sysfs / "bus" / "pci" / "drivers" / kDriverName;
  std::error_code ec;
  if (!fs::is_directory(drv, ec)) {
    return EMBER_OK;  // not loaded
  }
  std::string buf;
  const fs::path abi_file = drv / "ember_ioctl_version";
  if (const int err = ReadBounded(abi_file, buf); err != 0) {
    if (!fs::is_directory(drv, ec)) {
      return EMBER_OK;  // unloaded meanwhile
    }
    return Fail(EMBER_ERR_IO, PathError(abi_file, err));
  }
  const auto abi = ParseVersion3(buf);
  if (!abi) {
    return Fail(EMBER_ERR_IO,
                abi_file.string() + ": not major.minor.patch: '" + std::string(Trim(buf)) + "'");
  }
  out.loaded = 1;
  out.abi_major = (*abi)[0];
  out.abi_minor = (*abi)[1];
  out.abi_patch = (*abi)[2];
  // The version file exists only for a module built with MODULE_VERSION.
  if (ReadBounded(roots.sysfs / "module" / kDriverName / "version", buf) == 0) {
    CopyTo(Trim(buf), out.version);
  }
  return EMBER_OK;
}

ember_status ReadTelemetry(const MonitorRoots &roots, std::string_view bdf, ember_telemetry &out) {
  out = ember_telemetry{};
  std::string norm;
  fs::path dir;
  if (const ember_status st = FindDevice(roots, bdf, norm, dir); st != EMBER_OK) {
    return st;
  }
  std::string buf;
  if (ReadBounded(dir / "state", buf) == 0) {
    if (const auto state = ParseState(buf)) {
      out.state = *state;
      out.valid |= EMBER_TEL_STATE;
    }
  }
  if (ReadBounded(dir / "serial_number", buf) == 0) {
    const std::string_view serial = Trim(buf);
    if (!serial.empty() && serial.size() < sizeof(out.serial) &&
        std::all_of(serial.begin(), serial.end(),
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
      CopyTo(serial, out.serial);
      out.valid |= EMBER_TEL_SERIAL;
    }
  }
  const auto total = ReadNumber<std::uint64_t>(dir / "devmem_total_bytes", buf);
  const auto used = ReadNumber<std::uint64_t>(dir / "devmem_used_bytes", buf);
  if (total && used) {
    out.devmem_total = *total;
    out.devmem_used = *used;
    out.valid |= EMBER_TEL_DEVMEM;
  }
  if (const auto resets = ReadNumber<std::uint64_t>(dir / "reset_count", buf)) {
    out.reset_count = *resets;
    out.valid |= EMBER_TEL_RESET_COUNT;
  }
  if (const auto core = ReadNumber<std::uint32_t>(dir / "core_clk_mhz", buf)) {
    out.core_clk_mhz = *core;
    out.valid |= EMBER_TEL_CORE_CLK;
  }
  if (const auto mem = ReadNumber<std::uint32_t>(dir / "mem_clk_mhz", buf)) {
    out.mem_clk_mhz = *mem;
    out.valid |= EMBER_TEL_MEM_CLK;
  }
  const auto ce = ReadNumber<std::uint64_t>(dir / "ecc_ce_count", buf);
  const auto ue = ReadNumber<std::uint64_t>(dir / "ecc_ue_count", buf);
  if (ce && ue) {
    out.ecc_ce = *ce;
    out.ecc_ue = *ue;
    out.valid |= EMBER_TEL_ECC;
  }
  const fs::path hwmon = FindHwmon(dir, buf);
  if (!hwmon.empty()) {
    if (const auto temp = ReadNumber<std::int64_t>(hwmon / "temp1_input", buf)) {
      out.temp_mc = *temp;
      out.valid |= EMBER_TEL_TEMP;
    }
    if (const auto crit = ReadNumber<std::int64_t>(hwmon / "temp1_crit", buf)) {
      out.temp_crit_mc = *crit;
      out.valid |= EMBER_TEL_TEMP_CRIT;
    }
    if (const auto power = ReadNumber<std::uint64_t>(hwmon / "power1_average", buf)) {
      out.power_uw = *power;
      out.valid |= EMBER_TEL_POWER;
    }
    if (const auto cap = ReadNumber<std::uint64_t>(hwmon / "power1_cap", buf)) {
      out.power_cap_uw = *cap;
      out.valid |= EMBER_TEL_POWER_CAP;
    }
  }
  return EMBER_OK;
}

ember_status ReadDbcTelemetry(const MonitorRoots &roots, std::string_view bdf,
                              std::vector<ember_dbc_telemetry> &out) {
  out.clear();
  std::string norm;
  fs::path dir;
  if (const ember_status st = FindDevice(roots, bdf, norm, dir); st != EMBER_OK) {
    return st;
  }
  std::string buf;
  const fs::path status_file = dir / "dbc_status";
  if (const int err = ReadBounded(status_file, buf); err != 0) {
    // A driver older than the file (ABI < 1.3 of libember 0.2): not an I/O error.
    return Fail(err == ENOENT ? EMBER_ERR_UNSUPPORTED : EMBER_ERR_IO, PathError(status_file, err));
  }
  auto dbcs = ParseDbcStatus(buf);
  if (!dbcs) {
    return Fail(EMBER_ERR_IO, status_file.string() + ": malformed");
  }
  const fs::path counters_file = dir / "dbc_counters";
  if (const int err = ReadBounded(counters_file, buf); err != 0) {
    return Fail(err == ENOENT ? EMBER_ERR_UNSUPPORTED : EMBER_ERR_IO,
                PathError(counters_file, err));
  }
  if (!MergeDbcCounters(buf, *dbcs)) {
    return Fail(EMBER_ERR_IO, counters_file.string() + ": malformed, or a DBC not in dbc_status");
  }
  out = std::move(*dbcs);
  return EMBER_OK;
}

ember_status ListProcesses(const MonitorRoots &roots, std::string_view bdf,
                           std::vector<ember_process_usage> &out) {
  out.clear();
  std::string norm;
  fs::path dir;
  if (const ember_status st = FindDevice(roots, bdf, norm, dir); st != EMBER_OK) {
    return st;
  }
  std::string buf;
  std::error_code ec;
  fs::directory_iterator it(roots.proc, ec);
  if (ec) {
    return Fail(EMBER_ERR_IO, PathError(roots.proc, ec.value()));
  }
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto pid = ParseNumber<std::int32_t>(it->path().filename().string());
    if (!pid || *pid <= 0) {
      continue;
    }
    const Usage u = ScanProcess(it->path(), norm, buf);
    if (u.clients == 0) {
      continue;
    }
    ember_process_usage p{};
    p.pid = *pid;
    p.clients = u.clients;
    p.busy_ns = u.busy_ns;
    p.memory_total = u.memory_total;
    p.memory_resident = u.memory_resident;
    if (const int err = ReadBounded(it->path() / "comm", buf); err == 0) {
      std::string_view comm = buf;
      if (comm.ends_with('\n')) {
        comm.remove_suffix(1);
      }
      CopyTo(comm, p.comm);
    } else if (err == ENOENT || err == ESRCH) {
      continue;  // exited during the scan
    }
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const ember_process_usage &a, const ember_process_usage &b) {
    return a.pid < b.pid;
  });
  return EMBER_OK;
}

}  // namespace ember::detail

// ---- the C ABI (ember.h "Telemetry and monitoring") ----

using ember::detail::Fail;
using ember::detail::Guarded;
using ember::detail::MonitorRoots;

namespace {

ember_status NullArgument(const char *function, const char *argument) {
  return Fail(EMBER_ERR_INVALID, std::string(function) + ": " + argument + " is NULL");
}

// Copies |items| into |out| (room for |capacity|) and sets |count|.
template <typename T>
void Publish(const std::vector<T> &items, T *out, std::size_t capacity, std::size_t *count) {
  if (out != nullptr) {
    const std::span<T> dst(out, capacity);
    std::copy_n(items.begin(), std::min(capacity, items.size()), dst.begin());
  }
  *count = items.size();
}

}  // namespace

extern "C" {

ember_status ember_driver_status_read(ember_driver_status *out) {
  if (out == nullptr) {
    return NullArgument(__func__, "out");
  }
  return Guarded(__func__,
                 [&] { return ember::detail::ReadDriverStatus(MonitorRoots::FromEnv(), *out); });
}

ember_status ember_telemetry_read(const char *bdf, ember_telemetry *out) {
  if (bdf == nullptr || out == nullptr) {
    return NullArgument(__func__, "bdf or out");
  }
  return Guarded(__func__,
                 [&] { return ember::detail::ReadTelemetry(MonitorRoots::FromEnv(), bdf, *out); });
}

ember_status ember_dbc_telemetry_read(const char *bdf, ember_dbc_telemetry *out,
                                      std::size_t capacity, std::size_t *count) {
  if (bdf == nullptr || count == nullptr || (out == nullptr && capacity != 0)) {
    return NullArgument(__func__, "bdf, count or out");
  }
  return Guarded(__func__, [&] {
    std::vector<ember_dbc_telemetry> dbcs;
    const ember_status st = ember::detail::ReadDbcTelemetry(MonitorRoots::FromEnv(), bdf, dbcs);
    if (st == EMBER_OK) {
      Publish(dbcs, out, capacity, count);
    }
    return st;
  });
}

ember_status ember_process_list(const char *bdf, ember_process_usage *out, std::size_t capacity,
                                std::size_t *count) {
  if (bdf == nullptr || count == nullptr || (out == nullptr && capacity != 0)) {
    return NullArgument(__func__, "bdf, count or out");
  }
  return Guarded(__func__, [&] {
    std::vector<ember_process_usage> procs;
    const ember_status st = ember::detail::ListProcesses(MonitorRoots::FromEnv(), bdf, procs);
    if (st == EMBER_OK) {
      Publish(procs, out, capacity, count);
    }
    return st;
  });
}

}  // extern "C"
