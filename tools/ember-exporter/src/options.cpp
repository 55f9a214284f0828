// ember-exporter: command-line options (CLI11).
#include "options.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace ember_exporter {

std::variant<Options, Exit> parse_options(int argc, const char *const *argv) {
  Options o;
  CLI::App app{
      "Prometheus exporter for ember accelerators: serves the devices' health, usage and\n"
      "per-DBC counters on http://ADDR:PORT/metrics (text exposition format 0.0.4).",
      "ember-exporter"};
  app.get_formatter()->column_width(34);
  app.add_option("--listen", o.listen, "Address to listen on")
      ->type_name("ADDR")
      ->default_str(o.listen);
  app.add_option("-p,--port", o.port, "TCP port to listen on")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535))
      ->default_str(fmt::format("{}", kDefaultPort));
  CLI::Option *textfile =
      app.add_option("--textfile", o.textfile,
                     "Write one snapshot to PATH atomically (for node_exporter's textfile "
                     "collector) and exit")
          ->type_name("PATH");
  CLI::Option *once =
      app.add_flag("--once", o.once, "Print one snapshot to standard output and exit");
  textfile->excludes(once);
  app.add_flag("--processes", o.processes,
               "Also export per-process metrics (labels pid and comm; see CARDINALITY in "
               "ember-exporter(1))");
  app.add_option("--discovery-interval", o.discovery_interval_s,
                 "Rediscover devices at least every SECONDS (0: on every scrape)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0U, 86400U))
      ->default_str("60");
  app.add_flag("-v,--version", o.version, "Print the version and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &) {
    return Exit{0, app.help(), {}};
  } catch (const CLI::ParseError &e) {
    std::string what = e.what();
    if (const auto nl = what.find('\n'); nl != std::string::npos) {
      what.resize(nl);
    }
    return Exit{2, {}, fmt::format("ember-exporter: {} (see --help)\n", what)};
  }
  if (o.listen.empty()) {
    return Exit{2, {}, "ember-exporter: --listen: empty address (see --help)\n"};
  }
  if (!o.textfile.empty() && o.textfile.back() == '/') {
    return Exit{2, {}, "ember-exporter: --textfile: PATH names a directory (see --help)\n"};
  }
  return o;
}

}  // namespace ember_exporter
