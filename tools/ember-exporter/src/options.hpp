// ember-exporter: command-line options.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace ember_exporter {

// The default TCP port (ember-exporter(1), docs/admin-guide.md).
inline constexpr std::uint16_t kDefaultPort = 9855;

struct Options {
  std::string listen = "0.0.0.0";
  std::uint16_t port = kDefaultPort;
  std::string textfile;                // non-empty: write one snapshot there and exit
  bool once = false;                   // print one snapshot to stdout and exit
  bool processes = false;              // per-process metrics (pid, comm labels)
  unsigned discovery_interval_s = 60;  // full discovery at most this often
  bool version = false;
};

// What the command line asks for when it does not run the exporter: help
// text (exit 0) or an error (exit 2, one line on stderr).
struct Exit {
  int code = 0;
  std::string out;  // for stdout
  std::string err;  // for stderr
};

// Parses argv (argv[0] is the program name).
[[nodiscard]] std::variant<Options, Exit> parse_options(int argc, const char *const *argv);

}  // namespace ember_exporter
