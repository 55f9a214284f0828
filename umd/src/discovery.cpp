// Device discovery through sysfs, then DRM_IOCTL_VERSION.
#include "discovery.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <system_error>

#include "device.hpp"

namespace ember::detail {
namespace {

namespace fs = std::filesystem;

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
  });
}

// Basename of what |link| resolves to, or "" if it does not resolve.
std::string ResolvedName(const fs::path &link) {
  std::error_code ec;
  const fs::path target = fs::canonical(link, ec);
  if (ec) {
    return {};
  }
  return target.filename().string();
}

Candidate Describe(const Roots &roots, const std::string &name, std::uint32_t minor) {
  Candidate c;
  c.name = name;
  c.minor = minor;
  c.sysfs = roots.sysfs / "class" / "accel" / name;
  c.node = roots.dev / "accel" / name;
  c.bdf = NormalizeBdf(ResolvedName(c.sysfs / "device")).value_or("");
  c.driver = ResolvedName(c.sysfs / "device" / "driver");
  return c;
}

}  // namespace

Roots Roots::FromEnv() {
  const char *sysfs = std::getenv("EMBER_SYSFS_ROOT");
  const char *dev = std::getenv("EMBER_DEV_ROOT");
  return Roots{(sysfs != nullptr && *sysfs != '\0') ? fs::path(sysfs) : fs::path("/sys"),
               (dev != nullptr && *dev != '\0') ? fs::path(dev) : fs::path("/dev")};
}

std::optional<std::uint32_t> ParseAccelName(std::string_view name) {
  constexpr std::string_view kPrefix = "accel";
  if (!name.starts_with(kPrefix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; })) {
    return std::nullopt;
  }
  std::uint32_t v = 0;
  for (const char ch : digits) {
    v = (v * 10) + static_cast<std::uint32_t>(ch - '0');
  }
  return v;
}

std::vector<Candidate> ScanSysfs(const Roots &roots) {
  std::vector<Candidate> out;
  std::error_code ec;
  fs::directory_iterator it(roots.sysfs / "class" / "accel", ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto minor = ParseAccelName(name);
    if (!minor) {
      continue;
    }
    Candidate c = Describe(roots, name, *minor);
    if (!c.driver.empty() && c.driver != kDriverName) {
      continue;
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate &a, const Candidate &b) { return a.minor < b.minor; });
  return out;
}

Candidate CandidateForNode(const Roots &roots, const fs::path &node) {
  const std::string name = node.filename().string();
  Candidate c = Describe(roots, name, ParseAccelName(name).value_or(0));
  c.node = node;
  return c;
}

std::optional<std::string> NormalizeBdf(std::string_view bdf) {
  std::string s(bdf);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (std::count(s.begin(), s.end(), ':') == 1) {
    s.insert(0, "0000:");
  }
  // domain:bus:dev.fn
  const auto c1 = s.find(':');
  const auto c2 = s.find(':', c1 + 1);
  const auto dot = s.find('.', c2 == std::string::npos ? 0 : c2);
  if (c1 == std::string::npos || c2 == std::string::npos || dot == std::string::npos) {
    return std::nullopt;
  }
  const std::string_view view(s);
  const auto domain = view.substr(0, c1);
  const auto bus = view.substr(c1 + 1, c2 - c1 - 1);
  const auto dev = view.substr(c2 + 1, dot - c2 - 1);
  const auto fn = view.substr(dot + 1);
  if (domain.size() < 4 || domain.size() > 8 || !IsHex(domain) || bus.size() != 2 || !IsHex(bus) ||
      dev.size() != 2 || !IsHex(dev) || fn.size() != 1 || fn[0] < '0' || fn[0] > '7') {
    return std::nullopt;
  }
  return s;
}

Probe ProbeNode(const Candidate &candidate) {
  OpenResult r = OpenNode(candidate.node.string());
  Probe p;
  p.status = r.status;
  p.info = r.info;
  switch (r.verdict) {
    case OpenResult::Verdict::kEmber:
      p.verdict = Probe::Verdict::kEmber;
      break;
    case OpenResult::Verdict::kNotEmber:
      p.verdict = Probe::Verdict::kNotEmber;
      break;
    case OpenResult::Verdict::kUnverified:
      p.verdict = Probe::Verdict::kUnverified;
      break;
  }
  return p;
}

std::vector<Found> Enumerate(const Roots &roots, const Prober &probe) {
  std::vector<Found> out;
  for (Candidate &c : ScanSysfs(roots)) {
    const Probe p = probe(c);
    const bool keep = p.verdict == Probe::Verdict::kEmber ||
                      (p.verdict == Probe::Verdict::kUnverified && c.driver == kDriverName);
    if (!keep) {
      continue;
    }
    Found f;
    f.where = std::move(c);
    f.status = p.status;
    if (p.verdict == Probe::Verdict::kEmber && p.status == EMBER_OK) {
      f.info = p.info;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ember::detail
