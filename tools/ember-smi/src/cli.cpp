// ember-smi command line: argv -> Options, with CLI11.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "smi.hpp"

namespace ember_smi {

namespace {

std::vector<std::string> SplitCommas(const std::string &s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = s.find(',', pos);
    out.push_back(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) {
      return out;
    }
    pos = comma + 1;
  }
}

ParseExit Invalid(std::string message) {
  return ParseExit{kExitInvalidArgument, {}, std::move(message)};
}

// CLI11 reports "--opt: message" or a sentence; keep it to one line.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s;
}

}  // namespace

std::variant<Options, ParseExit> ParseArgs(std::span<const std::string> args) {
  CLI::App app{
      "ember-smi: show the state, telemetry and users of ember accelerators.\n"
      "Exit status: 0 ok, 2 invalid argument, 3 not supported, 4 permission denied,\n"
      "6 device not found, 9 driver not loaded, 15 device inaccessible, 255 other.",
      "ember-smi"};
  bool list = false;
  bool report = false;
  bool help_query = false;
  bool dmon_flag = false;
  bool version = false;
  bool json = false;
  std::vector<std::string> ids;
  std::string query;
  std::string format;
  std::string loop;
  std::string count;
  app.add_flag("-L,--list-devices", list, "One line per device: index, name, PCI address, UUID");
  app.add_flag("-q,--query-full", report, "Full report of every field, DBC and process");
  app.add_option("-i,--id", ids,
                 "Devices to show: index, PCI address (0000:01:00.0 or 01:00.0), serial or "
                 "UUID; comma-separated")
      ->delimiter(',');
  app.add_option("--query", query, "Fields to print, comma-separated (see --help-query)");
  app.add_option("--format", format, "With --query: csv[,noheader][,nounits]");
  app.add_flag("--help-query", help_query, "List the --query fields with units and descriptions");
  app.add_flag("-j,--json", json, "JSON output (schema_version 1; see ember-smi(1))");
  app.add_flag("-d,--dmon", dmon_flag, "Same as the dmon subcommand");
  app.add_option("-l,--loop", loop, "dmon: seconds between rows (fractions allowed; default 1)");
  app.add_option("-c,--count", count, "dmon: rows per device, then exit (default: until killed)");
  app.add_flag("-v,--version", version, "ember-smi, libember and driver versions");
  CLI::App *dmon = app.add_subcommand(
      "dmon", "Per-interval rows: jobs, interrupts, polls (deltas), temperature, power");
  CLI::App *pmon = app.add_subcommand("pmon", "Processes using each device (DRM fdinfo)");
  dmon->fallthrough();
  pmon->fallthrough();
  app.require_subcommand(0, 1);

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp &) {
    return ParseExit{kExitOk, app.help(), {}};
  } catch (const CLI::CallForAllHelp &) {
    return ParseExit{kExitOk, app.help("", CLI::AppFormatMode::All), {}};
  } catch (const CLI::ParseError &e) {
    return Invalid(OneLine(e.what()));
  }

  Options opts;
  opts.json = json;
  for (const auto &id : ids) {
    if (id.empty()) {
      return Invalid("-i: empty device id");
    }
    opts.ids.push_back(id);
  }

  std::vector<std::string> commands;
  if (list) {
    commands.emplace_back("-L");
    opts.command = Command::kList;
  }
  if (report) {
    commands.emplace_back("-q");
    opts.command = Command::kReport;
  }
  if (app.count("--query") != 0) {
    commands.emplace_back("--query");
    opts.command = Command::kQuery;
  }
  if (help_query) {
    commands.emplace_back("--help-query");
    opts.command = Command::kHelpQuery;
  }
  if (dmon_flag || dmon->parsed()) {
    commands.emplace_back("dmon");
    opts.command = Command::kDmon;
  }
  if (pmon->parsed()) {
    commands.emplace_back("pmon");
    opts.command = Command::kPmon;
  }
  if (version) {
    commands.emplace_back("-v");
    opts.command = Command::kVersion;
  }
  if (commands.size() > 1) {
    return Invalid(fmt::format("{} and {} cannot be combined", commands[0], commands[1]));
  }

  if (opts.command == Command::kQuery) {
    auto parsed = ParseFieldList(query);
    if (auto *f = std::get_if<Failure>(&parsed)) {
      return ParseExit{f->code, {}, f->message};
    }
    opts.fields = std::get<std::vector<const Field *>>(std::move(parsed));
  }
  if (app.count("--format") != 0) {
    if (opts.command != Command::kQuery) {
      return Invalid("--format applies to --query only");
    }
    if (json) {
      return Invalid("--format and --json cannot be combined");
    }
    const auto words = SplitCommas(format);
    if (words.empty() || words[0] != "csv") {
      return Invalid(fmt::format("--format: \"{}\": expected csv[,noheader][,nounits]", format));
    }
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (words[i] == "noheader") {
        opts.csv.header = false;
      } else if (words[i] == "nounits") {
        opts.csv.units = false;
      } else {
        return Invalid(
            fmt::format("--format: unknown option \"{}\" (noheader, nounits)", words[i]));
      }
    }
  }
  if (app.count("--loop") != 0 || app.count("--count") != 0) {
    if (opts.command != Command::kDmon) {
      return Invalid("-l/--loop and -c/--count apply to dmon only");
    }
  }
  if (app.count("--loop") != 0) {
    double seconds = 0;
    std::size_t used = 0;
    try {
      seconds = std::stod(loop, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (used != loop.size() || !std::isfinite(seconds) || seconds < 0.01 || seconds > 86400) {
      return Invalid(fmt::format("-l/--loop: \"{}\": expected seconds from 0.01 to 86400", loop));
    }
    opts.loop_seconds = seconds;
  }
  if (app.count("--count") != 0) {
    std::uint64_t n = 0;
    const auto *end = count.data() + count.size();
    const auto [ptr, ec] = std::from_chars(count.data(), end, n);
    if (count.empty() || ec != std::errc() || ptr != end || n == 0) {
      return Invalid(fmt::format("-c/--count: \"{}\": expected a positive integer", count));
    }
    opts.count = n;
  }
  return opts;
}

bool NeedsInfo(const Options &opts) {
  switch (opts.command) {
    case Command::kReport:
      return true;
    case Command::kQuery:
      return std::any_of(opts.fields.begin(), opts.fields.end(),
                         [](const Field *f) { return f->needs_info; });
    default:
      return false;
  }
}

}  // namespace ember_smi
