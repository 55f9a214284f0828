// Host tests of ember-exporter: rendering of fabricated snapshots, option
// parsing and bad input, atomic snapshot files (ctest unit.ember_exporter.*).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "exporter_fixture.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "textfile.hpp"

using namespace ember_exporter;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

// Lines of |text| that start with |prefix|.
std::vector<std::string> grep(const std::string &text, const std::string &prefix) {
  std::vector<std::string> out;
  for (const std::string &l : lines(text)) {
    if (l.rfind(prefix, 0) == 0) {
      out.push_back(l);
    }
  }
  return out;
}

std::variant<Options, Exit> parse(std::vector<const char *> args) {
  args.insert(args.begin(), "ember-exporter");
  return parse_options(static_cast<int>(args.size()), args.data());
}

// A fresh directory under the build tree's temporary area, removed after.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "ember-exporter-test.XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("render: the fabricated snapshot, exactly", "[render]") {
  const std::string expected =
      slurp(fs::path(EMBER_SOURCE_DIR) / "tests/unit/data/exporter_fixture.prom");
  REQUIRE(!expected.empty());
  CHECK(render(exporter_test::fixture()) == expected);
}

TEST_CASE("render: HELP and TYPE once per family, before its samples", "[render]") {
  const std::string text = render(exporter_test::fixture());
  std::map<std::string, int> help;
  std::map<std::string, int> type;
  std::string current;  // family of the last TYPE line
  for (const std::string &l : lines(text)) {
    if (l.rfind("# HELP ", 0) == 0) {
      ++help[l.substr(7, l.find(' ', 7) - 7)];
    } else if (l.rfind("# TYPE ", 0) == 0) {
      current = l.substr(7, l.find(' ', 7) - 7);
      ++type[current];
      const std::string kind = l.substr(l.rfind(' ') + 1);
      CHECK((kind == "gauge" || kind == "counter"));
      // Counters, and only counters, end in _total.
      CHECK((kind == "counter") == current.ends_with("_total"));
    } else {
      INFO(l);
      const std::string name = l.substr(0, l.find_first_of("{ "));
      CHECK(name == current);
    }
  }
  CHECK(help.size() == 26);
  for (const auto &[name, n] : help) {
    INFO(name);
    CHECK(n == 1);
    CHECK(type[name] == 1);
  }
}

TEST_CASE("render: label values escape backslash, double quote and newline", "[render]") {
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_label_value("a\\b") == "a\\\\b");
  CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escape_label_value("two\nlines") == "two\\nlines");
  CHECK(escape_label_value("\\n") == "\\\\n");  // a backslash then n, not a newline

  Snapshot s;
  DeviceSample d;
  d.device = "accel0";
  d.bdf = "0000:00:03.0";
  d.present = true;
  d.up = true;
  d.processes = {ProcessSample{7, "x\"\\\ny", 0, 0}};
  s.devices = {d};
  const auto busy = grep(render(s), "ember_process_memory_bytes{");
  REQUIRE(busy.size() == 1);
  CHECK(
      busy[0] ==
      R"(ember_process_memory_bytes{device="accel0",bdf="0000:00:03.0",pid="7",comm="x\"\\\ny"} 0)");
}

TEST_CASE("render: an unavailable value is left out, never NaN or a string", "[render]") {
  const std::string text = render(exporter_test::fixture());
  // accel1 has only its total memory: no temperature, power, clock, ECC
  // or reset series, and no DBC series.
  for (const std::string &l : lines(text)) {
    if (l.find("device=\"accel1\"") == std::string::npos) {
      continue;
    }
    INFO(l);
    const bool allowed = l.rfind("ember_up{", 0) == 0 || l.rfind("ember_device_info{", 0) == 0 ||
                         l.rfind("ember_memory_total_bytes{", 0) == 0;
    CHECK(allowed);
  }
  CHECK(text.find("NaN") == std::string::npos);
  CHECK(text.find("N/A") == std::string::npos);
  // A family without any sample has no HELP/TYPE either.
  Snapshot empty;
  const std::string none = render(empty);
  CHECK(none.find("ember_temperature_celsius") == std::string::npos);
  CHECK(none.find("ember_up") == std::string::npos);
  CHECK(grep(none, "ember_exporter_scrape_errors_total ").size() == 1);
}

TEST_CASE("render: a vanished device keeps only ember_up 0", "[render]") {
  const std::string text = render(exporter_test::fixture());
  std::vector<std::string> accel2;
  for (const std::string &l : lines(text)) {
    if (l.find("device=\"accel2\"") != std::string::npos) {
      accel2.push_back(l);
    }
  }
  REQUIRE(accel2.size() == 1);
  CHECK(accel2[0] == R"(ember_up{device="accel2",bdf="0000:00:05.0"} 0)");
}

TEST_CASE("render: units are converted to base units", "[render]") {
  Snapshot s;
  DeviceSample d;
  d.device = "accel0";
  d.bdf = "0000:00:03.0";
  d.present = true;
  d.temp_mc = -1250;
  d.power_uw = 1;
  d.core_clk_mhz = 4294967295U;  // no overflow into 32 bits
  d.processes = {ProcessSample{1, "p", 2500000, 0}};
  s.devices = {d};
  const std::string text = render(s);
  CHECK(grep(text, "ember_temperature_celsius{")[0].ends_with("} -1.25"));
  CHECK(grep(text, "ember_power_watts{")[0].ends_with("} 1e-06"));
  CHECK(grep(text, "ember_core_clock_hertz{")[0].ends_with("} 4294967295000000"));
  CHECK(grep(text, "ember_process_device_busy_seconds_total{")[0].ends_with("} 0.0025"));
  CHECK(format_major_minor(0x00010002U) == "1.2");
}

TEST_CASE("options: defaults and every option", "[options]") {
  auto r = parse({});
  REQUIRE(std::holds_alternative<Options>(r));
  const Options d = std::get<Options>(r);
  CHECK(d.listen == "0.0.0.0");
  CHECK(d.port == kDefaultPort);
  CHECK(d.textfile.empty());
  CHECK(!d.once);
  CHECK(!d.processes);
  CHECK(d.discovery_interval_s == 60);

  r = parse({"--listen", "127.0.0.1", "-p", "19855", "--processes", "--discovery-interval", "0"});
  REQUIRE(std::holds_alternative<Options>(r));
  const Options o = std::get<Options>(r);
  CHECK(o.listen == "127.0.0.1");
  CHECK(o.port == 19855);
  CHECK(o.processes);
  CHECK(o.discovery_interval_s == 0);

  r = parse({"--textfile", "/tmp/ember.prom"});
  REQUIRE(std::holds_alternative<Options>(r));
  CHECK(std::get<Options>(r).textfile == "/tmp/ember.prom");
  r = parse({"--once"});
  REQUIRE(std::holds_alternative<Options>(r));
  CHECK(std::get<Options>(r).once);
  r = parse({"-v"});
  REQUIRE(std::holds_alternative<Options>(r));
  CHECK(std::get<Options>(r).version);
}

TEST_CASE("options: --help prints the usage and exits 0", "[options]") {
  const auto r = parse({"--help"});
  REQUIRE(std::holds_alternative<Exit>(r));
  const Exit &e = std::get<Exit>(r);
  CHECK(e.code == 0);
  CHECK(e.out.find("--textfile") != std::string::npos);
  CHECK(e.err.empty());
}

TEST_CASE("options: bad input exits 2 with one line", "[options]") {
  const std::vector<std::vector<const char *>> bad = {
      {"--bogus"},
      {"--port", "0"},
      {"--port", "65536"},
      {"--port", "http"},
      {"--port"},
      {"--listen", ""},
      {"--once", "--textfile", "/tmp/x.prom"},
      {"--textfile", "/tmp/"},
      {"--discovery-interval", "-1"},
      {"stray"},
  };
  for (const auto &args : bad) {
    std::string joined;
    for (const char *a : args) {
      joined += std::string(a) + " ";
    }
    INFO(joined);
    const auto r = parse(args);
    REQUIRE(std::holds_alternative<Exit>(r));
    const Exit &e = std::get<Exit>(r);
    CHECK(e.code == 2);
    CHECK(e.out.empty());
    CHECK(e.err.rfind("ember-exporter: ", 0) == 0);
    CHECK(e.err.ends_with("\n"));
    CHECK(e.err.find('\n') == e.err.size() - 1);  // exactly one line
  }
}

TEST_CASE("textfile: written atomically, mode 0644, no temporary left", "[textfile]") {
  const TempDir dir;
  const fs::path target = dir.path / "ember.prom";
  {
    std::ofstream old(target);
    old << "old\n";
  }
  REQUIRE(write_atomic(target.string(), "ember_up 1\n").empty());
  CHECK(slurp(target) == "ember_up 1\n");
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir.path)) {
    names.push_back(e.path().filename().string());
  }
  CHECK(names == std::vector<std::string>{"ember.prom"});
}

TEST_CASE("textfile: a failed write leaves the old file and no temporary", "[textfile]") {
  const TempDir dir;
  // The target is a non-empty directory: rename(2) over it fails.
  const fs::path target = dir.path / "busy.prom";
  fs::create_directory(target);
  { std::ofstream keep(target / "keep"); }
  const std::string err = write_atomic(target.string(), "ember_up 1\n");
  CHECK(err.find("cannot rename") != std::string::npos);
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir.path)) {
    names.push_back(e.path().filename().string());
  }
  CHECK(names == std::vector<std::string>{"busy.prom"});
  CHECK(fs::exists(target / "keep"));

  CHECK(write_atomic((dir.path / "missing" / "x.prom").string(), "x")
            .find("cannot create a temporary file") == 0);
}
