// ember-smi host tests: command line, field list, CSV / JSON / dmon
// formatting, -i matching and exit codes, on fabricated devices (no
// driver: the collect layer is the only code that calls libember).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <set>
#include <string>
#include <vector>

#include "smi.hpp"

using Catch::Matchers::ContainsSubstring;
using ember_smi::Command;
using ember_smi::Options;
using ember_smi::ParseExit;

namespace {

std::variant<Options, ParseExit> Parse(std::vector<std::string> args) {
  return ember_smi::ParseArgs(args);
}

Options ParseOk(std::vector<std::string> args) {
  auto r = Parse(std::move(args));
  if (const auto *e = std::get_if<ParseExit>(&r)) {
    FAIL("parse failed: " << e->message);
  }
  return std::get<Options>(r);
}

// An argument error: exit 2 and a one-line message that mentions |what|.
void ExpectInvalid(const std::vector<std::string> &args, const std::string &what) {
  auto r = Parse(args);
  REQUIRE(std::holds_alternative<ParseExit>(r));
  const auto &e = std::get<ParseExit>(r);
  INFO(e.message);
  CHECK(e.code == ember_smi::kExitInvalidArgument);
  CHECK_FALSE(e.message.empty());
  CHECK(e.message.find('\n') == std::string::npos);
  CHECK_THAT(e.message, ContainsSubstring(what));
}

ember::DeviceDesc Desc(std::uint32_t minor, std::string bdf, std::uint64_t serial) {
  ember::DeviceDesc d;
  d.node = "/dev/accel/accel" + std::to_string(minor);
  d.sysfs = "/sys/class/accel/accel" + std::to_string(minor);
  d.bdf = std::move(bdf);
  d.minor = minor;
  d.status = EMBER_OK;
  d.info.abi_major = 1;
  d.info.hw_version = 1U << 16U;
  d.info.pci_vendor = 0x1ed5;
  d.info.pci_device = 0x0001;
  d.info.fw_mgmt_version = (1U << 24U) | (2U << 16U) | 0U;
  d.info.fw_dbc_version = (1U << 24U) | (0U << 16U) | 3U;
  d.info.fw_boot_version = (0U << 24U) | (9U << 16U) | 1U;
  d.info.nnc_version = 1U << 16U;
  d.info.num_dbcs = 2;
  d.info.devmem_size = 256ULL << 20U;
  d.info.serial = serial;
  d.info.irq_mode = EMBER_DEV_IRQ_MSIX;
  d.info.num_irq_vectors = 3;
  return d;
}

ember::Telemetry FullTelemetry() {
  ember::Telemetry t;
  t.state = EMBER_STATE_ONLINE;
  t.temp_mc = 45250;
  t.temp_crit_mc = 95000;
  t.power_uw = 12345000;
  t.power_cap_uw = 75000000;
  t.core_clk_mhz = 1000;
  t.mem_clk_mhz = 1600;
  t.ecc_ce = 1;
  t.ecc_ue = 0;
  t.devmem_used = 8192;
  t.devmem_total = 256ULL << 20U;
  t.reset_count = 0;
  t.serial = "454d000000000001";
  return t;
}

std::vector<ember::DbcTelemetry> Dbcs(std::uint64_t jobs, std::uint64_t irqs) {
  ember::DbcTelemetry a{};
  a.index = 0;
  a.active = 1;
  a.owner_pid = 4242;
  a.completions = jobs;
  a.interrupts = irqs;
  a.responses = jobs;
  a.polls = 1;
  ember::DbcTelemetry b{};
  b.index = 1;
  b.completions = 1;
  b.interrupts = 1;
  b.responses = 1;
  return {a, b};
}

std::vector<ember::ProcessUsage> Procs() {
  return {ember::ProcessUsage{4242, 1, "run_workload", 1500000, 2097152, 2097152}};
}

// Device 0: everything available. Device 1: node not openable, no
// telemetry values, no process list.
ember_smi::Snapshot Fabricated() {
  ember_smi::Snapshot s;
  s.driver = ember::DriverStatus{true, 1, 2, 0, "0.1.0"};
  s.devices.push_back(ember_smi::MakeView(0, Desc(0, "0000:00:03.0", 0x454d000000000001ULL),
                                          FullTelemetry(), Dbcs(10, 9), Procs()));
  auto d1 = Desc(1, "0000:00:04.0", 0x454d000000000002ULL);
  d1.status = EMBER_ERR_ACCESS;
  d1.info = {};
  ember::Telemetry empty;  // nothing valid
  s.devices.push_back(ember_smi::MakeView(
      1, d1, empty, ember::Error(EMBER_ERR_IO, "x"),
      ember::Result<std::vector<ember::ProcessUsage>>(ember::Error(EMBER_ERR_ACCESS, "x"))));
  return s;
}

std::vector<std::string> Lines(const std::string &s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t nl = s.find('\n', pos);
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("cli: every command and option parses", "[ember_smi][cli]") {
  CHECK(ParseOk({}).command == Command::kTable);
  CHECK(ParseOk({"-L"}).command == Command::kList);
  CHECK(ParseOk({"--list-devices"}).command == Command::kList);
  CHECK(ParseOk({"-q"}).command == Command::kReport);
  CHECK(ParseOk({"--query-full"}).command == Command::kReport);
  CHECK(ParseOk({"--help-query"}).command == Command::kHelpQuery);
  CHECK(ParseOk({"-v"}).command == Command::kVersion);
  CHECK(ParseOk({"--version"}).command == Command::kVersion);
  CHECK(ParseOk({"pmon"}).command == Command::kPmon);
  CHECK(ParseOk({"dmon"}).command == Command::kDmon);
  CHECK(ParseOk({"-d"}).command == Command::kDmon);
  CHECK(ParseOk({"--dmon"}).command == Command::kDmon);
  CHECK(ParseOk({"--json"}).json);
  CHECK(ParseOk({"-j", "-L"}).json);
  CHECK(ParseOk({"pmon", "--json"}).json);
  CHECK_FALSE(ParseOk({}).json);

  const auto q = ParseOk({"--query=index,temperature.current", "--format=csv,noheader,nounits"});
  CHECK(q.command == Command::kQuery);
  REQUIRE(q.fields.size() == 2);
  CHECK(q.fields[0]->name == "index");
  CHECK(q.fields[1]->name == "temperature.current");
  CHECK_FALSE(q.csv.header);
  CHECK_FALSE(q.csv.units);
  const auto q2 = ParseOk({"--query", "serial", "--format", "csv"});
  CHECK(q2.csv.header);
  CHECK(q2.csv.units);
  CHECK(ParseOk({"--query=serial", "--format=csv,nounits"}).csv.header);
  CHECK_FALSE(ParseOk({"--query=serial", "--format=csv,nounits"}).csv.units);
  CHECK(ParseOk({"--query=serial", "--json"}).json);

  const auto i = ParseOk({"-i", "0,00:03.0", "--id", "454d000000000001"});
  CHECK(i.ids == std::vector<std::string>{"0", "00:03.0", "454d000000000001"});
  CHECK(ParseOk({"-q", "-i", "1"}).ids == std::vector<std::string>{"1"});

  const auto d = ParseOk({"dmon", "-l", "0.25", "-c", "3", "-i", "0"});
  CHECK(d.command == Command::kDmon);
  CHECK(d.loop_seconds == 0.25);
  REQUIRE(d.count);
  CHECK(*d.count == 3);
  CHECK(d.ids == std::vector<std::string>{"0"});
  const auto d2 = ParseOk({"-d", "--loop", "2", "--count", "1"});
  CHECK(d2.loop_seconds == 2.0);
  CHECK(*d2.count == 1);
  CHECK(ParseOk({"dmon"}).loop_seconds == 1.0);
  CHECK_FALSE(ParseOk({"dmon"}).count);
}

TEST_CASE("cli: --help prints usage and exits 0", "[ember_smi][cli]") {
  auto r = Parse({"--help"});
  REQUIRE(std::holds_alternative<ParseExit>(r));
  const auto &e = std::get<ParseExit>(r);
  CHECK(e.code == 0);
  CHECK(e.message.empty());
  CHECK_THAT(e.out, ContainsSubstring("--query"));
  CHECK_THAT(e.out, ContainsSubstring("dmon"));
}

TEST_CASE("cli: bad input is exit 2 with a one-line message", "[ember_smi][cli]") {
  ExpectInvalid({"--bogus"}, "--bogus");
  ExpectInvalid({"-Z"}, "-Z");
  ExpectInvalid({"extra"}, "extra");
  ExpectInvalid({"-i"}, "-i");
  ExpectInvalid({"-i", ""}, "-i");
  ExpectInvalid({"--query=nosuchfield"}, "nosuchfield");
  ExpectInvalid({"--query=index,,serial"}, "empty field");
  ExpectInvalid({"--query="}, "--query");
  ExpectInvalid({"--query=index", "--format=xml"}, "--format");
  ExpectInvalid({"--query=index", "--format=csv,noheaders"}, "noheaders");
  ExpectInvalid({"--format=csv"}, "--format");
  ExpectInvalid({"--query=index", "--format=csv", "--json"}, "--json");
  ExpectInvalid({"-L", "-q"}, "cannot be combined");
  ExpectInvalid({"-q", "dmon"}, "cannot be combined");
  ExpectInvalid({"dmon", "pmon"}, "pmon");
  ExpectInvalid({"dmon", "-l", "0"}, "--loop");
  ExpectInvalid({"dmon", "-l", "-1"}, "-l");
  ExpectInvalid({"dmon", "-l", "abc"}, "--loop");
  ExpectInvalid({"dmon", "-l", "1s"}, "--loop");
  ExpectInvalid({"dmon", "-l", "nan"}, "--loop");
  ExpectInvalid({"dmon", "-c", "0"}, "--count");
  ExpectInvalid({"dmon", "-c", "x"}, "--count");
  ExpectInvalid({"dmon", "-c", "-2"}, "-c");
  ExpectInvalid({"-l", "1"}, "dmon only");
  ExpectInvalid({"-q", "-c", "1"}, "dmon only");
}

TEST_CASE("fields: one table, unique names, parse and lookup", "[ember_smi][fields]") {
  std::set<std::string_view> names;
  for (const auto &f : ember_smi::Fields()) {
    CHECK(names.insert(f.name).second);
    CHECK_FALSE(f.description.empty());
    CHECK(f.get != nullptr);
  }
  for (const char *required : {"index",
                               "name",
                               "uuid",
                               "serial",
                               "pci.bus_id",
                               "state",
                               "temperature.current",
                               "power.draw",
                               "power.limit",
                               "memory.total",
                               "memory.used",
                               "dbc.count",
                               "dbc.active",
                               "fw.mgmt",
                               "fw.dbc",
                               "fw.boot",
                               "irq.mode",
                               "processes.count",
                               "counters.jobs",
                               "counters.interrupts",
                               "counters.polls",
                               "driver_version"}) {
    INFO(required);
    CHECK(ember_smi::FindField(required) != nullptr);
  }
  CHECK(ember_smi::FindField("temperature") == nullptr);

  auto ok = ember_smi::ParseFieldList("index, serial ,power.draw");
  REQUIRE(std::holds_alternative<std::vector<const ember_smi::Field *>>(ok));
  CHECK(std::get<0>(ok).size() == 3);
  auto bad = ember_smi::ParseFieldList("index,Index");
  REQUIRE(std::holds_alternative<ember_smi::Failure>(bad));
  CHECK(std::get<ember_smi::Failure>(bad).code == 2);

  // --help-query lists every field with its unit and type.
  const std::string help = ember_smi::FormatHelpQuery();
  for (const auto &f : ember_smi::Fields()) {
    CHECK_THAT(help, ContainsSubstring(std::string(f.name)));
  }
  const auto hj = ember_smi::JsonHelpQuery();
  CHECK(hj["schema_version"] == 1);
  CHECK(hj["fields"].size() == ember_smi::Fields().size());
  CHECK(hj["fields"][0]["unit"].is_null());
}

TEST_CASE("csv: header, units, noheader, nounits, [N/A]", "[ember_smi][csv]") {
  const auto snap = Fabricated();
  std::vector<const ember_smi::Field *> f;
  for (const char *n : {"index", "pci.bus_id", "temperature.current", "power.draw", "memory.used",
                        "fw.mgmt", "counters.jobs", "serial"}) {
    f.push_back(ember_smi::FindField(n));
  }
  const auto full = Lines(ember_smi::FormatCsv(snap, f, {true, true}));
  REQUIRE(full.size() == 3);
  CHECK(full[0] ==
        "index, pci.bus_id, temperature.current [C], power.draw [W], memory.used [B], fw.mgmt, "
        "counters.jobs, serial");
  CHECK(full[1] == "0, 0000:00:03.0, 45.2 C, 12.35 W, 8192 B, 1.2.0, 11, 454d000000000001");
  CHECK(full[2] == "1, 0000:00:04.0, [N/A], [N/A], [N/A], [N/A], [N/A], [N/A]");

  const auto bare = Lines(ember_smi::FormatCsv(snap, f, {false, false}));
  REQUIRE(bare.size() == 2);
  CHECK(bare[0] == "0, 0000:00:03.0, 45.2, 12.35, 8192, 1.2.0, 11, 454d000000000001");
  CHECK(bare[1] == "1, 0000:00:04.0, [N/A], [N/A], [N/A], [N/A], [N/A], [N/A]");

  const auto noheader = Lines(ember_smi::FormatCsv(snap, f, {false, true}));
  REQUIRE(noheader.size() == 2);
  CHECK(noheader[0] == full[1]);
  const auto nounits = Lines(ember_smi::FormatCsv(snap, f, {true, false}));
  CHECK(nounits[0] ==
        "index, pci.bus_id, temperature.current, power.draw, memory.used, fw.mgmt, "
        "counters.jobs, serial");
}

TEST_CASE("json: schema version, null for unavailable, one type per field", "[ember_smi][json]") {
  const auto snap = Fabricated();
  const auto j = ember_smi::JsonDevices(snap);
  CHECK(j["schema_version"] == ember_smi::kJsonSchemaVersion);
  CHECK(j["driver"]["loaded"] == true);
  CHECK(j["driver"]["abi"] == "1.2.0");
  REQUIRE(j["devices"].size() == 2);
  const auto &d0 = j["devices"][0];
  const auto &d1 = j["devices"][1];
  // No "N/A" strings anywhere in the document.
  CHECK(j.dump().find("N/A") == std::string::npos);
  for (const auto &f : ember_smi::Fields()) {
    const std::string name(f.name);
    INFO(name);
    for (const auto *dev : {&d0, &d1}) {
      REQUIRE(dev->contains(name));
      const auto &v = (*dev)[name];
      if (v.is_null()) {
        continue;
      }
      switch (f.type) {
        case ember_smi::FieldType::kString:
          CHECK(v.is_string());
          break;
        case ember_smi::FieldType::kInteger:
          CHECK(v.is_number_integer());
          break;
        case ember_smi::FieldType::kNumber:
          CHECK(v.is_number_float());
          break;
      }
    }
    // The fully equipped device has every field.
    CHECK_FALSE(d0[name].is_null());
  }
  CHECK(d0["temperature.current"] == 45.25);
  CHECK(d0["power.draw"] == 12.345);
  CHECK(d0["memory.used"] == 8192);
  CHECK(d0["memory.free"] == (256ULL << 20U) - 8192);
  CHECK(d0["counters.jobs"] == 11);
  CHECK(d0["counters.interrupts"] == 10);
  CHECK(d0["dbc.active"] == 1);
  CHECK(d0["dbcs"][0]["owner_pid"] == 4242);
  CHECK(d0["dbcs"][1]["owner_pid"].is_null());
  CHECK(d0["processes"][0]["pid"] == 4242);
  CHECK(d0["processes"][0]["name"] == "run_workload");
  CHECK(d0["access"] == "ok");
  CHECK(d1["temperature.current"].is_null());
  CHECK(d1["fw.mgmt"].is_null());
  CHECK(d1["serial"].is_null());
  CHECK(d1["dbcs"].is_null());
  CHECK(d1["processes"].is_null());
  CHECK(d1["access"].is_string());
  CHECK(d1["index"] == 1);

  // A query has just the asked fields, same types.
  std::vector<const ember_smi::Field *> f{ember_smi::FindField("temperature.current"),
                                          ember_smi::FindField("index")};
  const auto q = ember_smi::JsonQuery(snap, f);
  CHECK(q["schema_version"] == 1);
  CHECK(q["devices"][0].size() == 2);
  CHECK(q["devices"][0]["temperature.current"].is_number_float());
  CHECK(q["devices"][1]["temperature.current"].is_null());

  // A whole-degree temperature is still a JSON float, not an integer.
  auto snap2 = Fabricated();
  snap2.devices[0].telemetry->temp_mc = 45000;
  const auto j2 = ember_smi::JsonDevices(snap2);
  CHECK(j2["devices"][0]["temperature.current"].is_number_float());

  const auto p = ember_smi::JsonPmon(snap);
  CHECK(p["processes"].size() == 1);
  CHECK(p["processes"][0]["pci.bus_id"] == "0000:00:03.0");
  const auto v = ember_smi::JsonVersion({"0.1.0", "0.1.0", 1}, ember::DriverStatus{});
  CHECK(v["driver"]["loaded"] == false);
  CHECK(v["driver"]["version"].is_null());
  CHECK(v["driver"]["abi"].is_null());
}

TEST_CASE("text views: table, -L, -q, pmon, version", "[ember_smi][text]") {
  const auto snap = Fabricated();
  const auto table = ember_smi::FormatTable(snap);
  CHECK_THAT(table, ContainsSubstring("0000:00:03.0"));
  CHECK_THAT(table, ContainsSubstring("45C"));
  CHECK_THAT(table, ContainsSubstring("12.3W / 75W"));
  CHECK_THAT(table, ContainsSubstring("0MiB / 256MiB"));
  CHECK_THAT(table, ContainsSubstring("1 / 2"));
  CHECK_THAT(table, ContainsSubstring("run_workload"));
  CHECK_THAT(table, ContainsSubstring("4242"));

  const auto list = Lines(ember_smi::FormatList(snap));
  REQUIRE(list.size() == 2);
  CHECK(list[0] == "Device 0: ember hw1.0 (0000:00:03.0) (UUID: EMBER-454d000000000001)");
  CHECK(list[1] == "Device 1: ember (0000:00:04.0) (UUID: N/A)");

  const auto report = ember_smi::FormatReport(snap);
  for (const auto &f : ember_smi::Fields()) {
    CHECK_THAT(report, ContainsSubstring(std::string(f.name)));
  }
  CHECK_THAT(report, ContainsSubstring("owner 4242"));
  CHECK_THAT(report, ContainsSubstring("PID 4242"));

  const auto pmon = Lines(ember_smi::FormatPmon(snap));
  REQUIRE(pmon.size() == 3);
  CHECK(pmon[1] == "    0     4242        1         1.5        2048  run_workload");
  CHECK_THAT(pmon[2], ContainsSubstring("unavailable"));

  const auto ver = ember_smi::FormatVersion({"0.1.0", "0.1.0", 1}, snap.driver);
  CHECK_THAT(ver, ContainsSubstring("ember-smi version: 0.1.0"));
  CHECK_THAT(ver, ContainsSubstring("driver ABI: 1.2.0"));
}

TEST_CASE("dmon: deltas and fixed-width rows", "[ember_smi][dmon]") {
  auto before = Fabricated();
  auto after = Fabricated();
  after.devices[0].dbcs = Dbcs(25, 21);  // 15 more jobs, 12 more interrupts
  after.devices[0].telemetry->temp_mc = 50000;
  const auto row = ember_smi::DmonDelta(ember_smi::SampleOf(before.devices[0]),
                                        ember_smi::SampleOf(after.devices[0]));
  CHECK(*row.jobs == 15);
  CHECK(*row.interrupts == 12);
  CHECK(*row.polls == 0);
  CHECK(*row.temp_c == 50.0);
  const std::string text = ember_smi::FormatDmonRow(row);
  CHECK(text == "    0        15        12         0    50.0   12.35\n");
  const auto header = Lines(ember_smi::DmonHeader());
  REQUIRE(header.size() == 2);
  CHECK(header[0].size() == text.size() - 1);
  CHECK(header[1].size() == text.size() - 1);

  // A device without values: dashes, same width.
  const auto empty = ember_smi::DmonDelta(ember_smi::SampleOf(before.devices[1]),
                                          ember_smi::SampleOf(after.devices[1]));
  const std::string dash = ember_smi::FormatDmonRow(empty);
  CHECK(dash == "    1         -         -         -       -       -\n");
  const auto j = ember_smi::JsonDmonRow(empty, 3);
  CHECK(j["sample"] == 3);
  CHECK(j["jobs"].is_null());
  CHECK(j["temperature"].is_null());
  CHECK(ember_smi::JsonDmonRow(row, 1)["jobs"] == 15);

  // A counter that went backwards gives no delta.
  const auto back = ember_smi::DmonDelta(ember_smi::SampleOf(after.devices[0]),
                                         ember_smi::SampleOf(before.devices[0]));
  CHECK_FALSE(back.jobs);
}

TEST_CASE("select: -i by index, short and long BDF, serial, UUID; no match is 6",
          "[ember_smi][select]") {
  const std::vector<ember_smi::DeviceId> devs{{"0000:00:03.0", "454d000000000001"},
                                              {"0000:01:00.0", std::nullopt}};
  const auto sel = [&devs](std::vector<std::string> ids) {
    return ember_smi::SelectDevices(devs, ids);
  };
  CHECK(sel({}).indices == std::vector<std::size_t>{0, 1});
  CHECK(sel({"1"}).indices == std::vector<std::size_t>{1});
  CHECK(sel({"0000:01:00.0"}).indices == std::vector<std::size_t>{1});
  CHECK(sel({"01:00.0"}).indices == std::vector<std::size_t>{1});
  CHECK(sel({"00:03.0"}).indices == std::vector<std::size_t>{0});
  CHECK(sel({"0000:00:03.0"}).indices == std::vector<std::size_t>{0});
  CHECK(sel({"454D000000000001"}).indices == std::vector<std::size_t>{0});
  CHECK(sel({"EMBER-454d000000000001"}).indices == std::vector<std::size_t>{0});
  CHECK(sel({"1", "0", "1"}).indices == std::vector<std::size_t>{1, 0});
  for (const char *bad :
       {"2", "99", "00:05.0", "0001:00:03.0", "454d000000000009", "gpu0", "-1", "0x1"}) {
    INFO(bad);
    const auto s = sel({bad});
    REQUIRE(s.failure);
    CHECK(s.failure->code == ember_smi::kExitNotFound);
    CHECK_THAT(s.failure->message, ContainsSubstring(bad));
    CHECK(s.indices.empty());
  }
}

TEST_CASE("exit codes from ember_status", "[ember_smi][exit]") {
  CHECK(ember_smi::ExitCodeOf(EMBER_OK) == 0);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_INVALID) == 2);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_UNSUPPORTED) == 3);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_NOTTY) == 3);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_ACCESS) == 4);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_PERM) == 4);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_NOENT) == 6);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_NODEV) == 15);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_TIMEDOUT) == 15);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_IO) == 255);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_NOMEM) == 255);
  CHECK(ember_smi::ExitCodeOf(EMBER_ERR_UNKNOWN) == 255);

  Options report;
  report.command = Command::kReport;
  CHECK(ember_smi::NeedsInfo(report));
  Options table;
  CHECK_FALSE(ember_smi::NeedsInfo(table));
  Options q = ParseOk({"--query=temperature.current"});
  CHECK_FALSE(ember_smi::NeedsInfo(q));
  q = ParseOk({"--query=temperature.current,fw.mgmt"});
  CHECK(ember_smi::NeedsInfo(q));
}

TEST_CASE("model: views from ember types", "[ember_smi][model]") {
  const auto snap = Fabricated();
  const auto &d0 = snap.devices[0];
  CHECK(d0.info.has_value());
  CHECK(*d0.serial() == "454d000000000001");
  CHECK(*d0.uuid() == "EMBER-454d000000000001");
  CHECK(*d0.active_dbcs() == 1);
  const auto &d1 = snap.devices[1];
  CHECK_FALSE(d1.info);
  CHECK(d1.open_status == EMBER_ERR_ACCESS);
  CHECK(d1.dbc_status == EMBER_ERR_IO);
  CHECK(d1.process_status == EMBER_ERR_ACCESS);
  CHECK_FALSE(d1.serial());
  CHECK(ember::fw_version_string((1U << 24U) | (2U << 16U) | 3U) == "1.2.3");
  CHECK(ember::fw_version_string(0x01020003U) == "1.2.3");
  CHECK(ember::irq_mode_name(EMBER_DEV_IRQ_POLL) == "poll");
  CHECK(ember::irq_mode_name(0) == "unknown");
}
