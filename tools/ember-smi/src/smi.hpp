// ember-smi: the pieces of the tool that do not touch the driver.
//
// model:   DeviceView / Snapshot, built from libember's types.
// fields:  the one table of --query fields (names, units, types, docs).
// format:  table, -L, -q, CSV, JSON, dmon and pmon output, pure functions.
// cli:     argv -> Options (or an exit code and a message).
// exit:    ember_status -> exit code.
// collect.cpp (not here) fills a Snapshot through libember.
#ifndef EMBER_SMI_SMI_HPP_
#define EMBER_SMI_SMI_HPP_

#include <ember/ember.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ember_smi {

// ---- exit codes (nvidia-smi's values where they fit) ----
enum ExitCode : int {
  kExitOk = 0,
  kExitInvalidArgument = 2,
  kExitNotSupported = 3,
  kExitNoPermission = 4,
  kExitNotFound = 6,
  kExitDriverNotLoaded = 9,
  kExitInaccessible = 15,
  kExitOther = 255,
};

// The exit code of a failed libember call.
[[nodiscard]] int ExitCodeOf(ember_status status);

// A failure: an exit code and its one-line message (without "ember-smi: ").
struct Failure {
  int code = kExitOther;
  std::string message;
};

// ---- model ----

// One device as ember-smi shows it. Every part the driver could not give
// is empty; the *_status members say why.
struct DeviceView {
  std::size_t index = 0;  // position in discovery order (-i N)
  std::string node;       // "/dev/accel/accel0"
  std::string bdf;        // "0000:00:03.0"
  std::uint32_t minor = 0;
  ember_status open_status = EMBER_OK;  // GET_INFO through the node
  std::optional<ember::Info> info;
  ember_status telemetry_status = EMBER_OK;
  std::optional<ember::Telemetry> telemetry;
  ember_status dbc_status = EMBER_OK;
  std::string dbc_error;  // libember's message when dbc_status is not EMBER_OK
  std::optional<std::vector<ember::DbcTelemetry>> dbcs;
  ember_status process_status = EMBER_OK;
  std::optional<std::vector<ember::ProcessUsage>> processes;

  // Serial: telemetry's, else GET_INFO's, as 16 hex digits.
  [[nodiscard]] std::optional<std::string> serial() const;
  // "EMBER-<serial>", the stable id -L prints and -i accepts.
  [[nodiscard]] std::optional<std::string> uuid() const;
  [[nodiscard]] std::optional<std::uint64_t> active_dbcs() const;
  // Sum of one dbc counter over every DBC.
  [[nodiscard]] std::optional<std::uint64_t> dbc_sum(
      std::uint64_t ember_dbc_telemetry::*member) const;
};

// The driver as seen once, and every selected device.
struct Snapshot {
  ember::DriverStatus driver;
  std::vector<DeviceView> devices;
};

// Builds a view from discovery and the telemetry calls' results.
[[nodiscard]] DeviceView MakeView(std::size_t index, const ember::DeviceDesc &desc,
                                  const ember::Result<ember::Telemetry> &telemetry,
                                  const ember::Result<std::vector<ember::DbcTelemetry>> &dbcs,
                                  const ember::Result<std::vector<ember::ProcessUsage>> &procs);

// Which devices -i selects: each id is an index, a BDF ("0000:00:03.0" or
// "00:03.0", case-insensitive), a serial (16 hex digits) or "EMBER-<serial>".
// An id that matches nothing is a Failure with kExitNotFound; an empty id
// list selects every device.
struct Selection {
  std::vector<std::size_t> indices;  // into the discovered list, in order
  std::optional<Failure> failure;
};
struct DeviceId {  // what -i is matched against
  std::string bdf;
  std::optional<std::string> serial;
};
[[nodiscard]] Selection SelectDevices(std::span<const DeviceId> devices,
                                      std::span<const std::string> ids);

// ---- fields ----

// A value: unavailable, text, integer or real number.
using Value = std::variant<std::monostate, std::string, std::int64_t, std::uint64_t, double>;

enum class FieldType { kString, kInteger, kNumber };

struct Field {
  std::string_view name;         // "temperature.current"
  std::string_view unit;         // "C", "W", "B", "MHz" or ""
  FieldType type;                // the JSON type (null when unavailable)
  int decimals;                  // digits after the point for kNumber text
  bool needs_info;               // read through the node (GET_INFO)
  std::string_view description;  // one line
  Value (*get)(const Snapshot &, const DeviceView &);
};

// Every field, in --help-query order.
[[nodiscard]] std::span<const Field> Fields();
[[nodiscard]] const Field *FindField(std::string_view name);
// "a,b,c" -> fields; an unknown or empty name is a Failure (kExitInvalidArgument).
[[nodiscard]] std::variant<std::vector<const Field *>, Failure> ParseFieldList(
    std::string_view list);

// Text of a value ("[N/A]" when unavailable), with " <unit>" unless |nounits|.
[[nodiscard]] std::string FormatValue(const Field &field, const Value &value, bool nounits);
// JSON of a value (null when unavailable).
[[nodiscard]] nlohmann::ordered_json JsonValue(const Field &field, const Value &value);

// ---- output ----

constexpr int kJsonSchemaVersion = 1;

struct ToolVersion {
  std::string tool;     // ember-smi (project VERSION)
  std::string library;  // libember running
  std::uint32_t compiled_abi_major = 0;
};

struct CsvOptions {
  bool header = true;
  bool units = true;
};

[[nodiscard]] std::string FormatTable(const Snapshot &snap);
[[nodiscard]] std::string FormatList(const Snapshot &snap);
[[nodiscard]] std::string FormatReport(const Snapshot &snap);
[[nodiscard]] std::string FormatCsv(const Snapshot &snap, std::span<const Field *const> fields,
                                    CsvOptions opts);
[[nodiscard]] std::string FormatHelpQuery();
// The field list in scdoc markup, for the man page (gen_man.cpp).
[[nodiscard]] std::string FormatFieldsScd();
[[nodiscard]] std::string_view TypeName(FieldType type);
[[nodiscard]] std::string FormatPmon(const Snapshot &snap);
[[nodiscard]] std::string FormatVersion(const ToolVersion &tool, const ember::DriverStatus &drv);

// JSON documents: {"schema_version": 1, ...}.
[[nodiscard]] nlohmann::ordered_json JsonDevice(const Snapshot &snap, const DeviceView &dev);
[[nodiscard]] nlohmann::ordered_json JsonDevices(const Snapshot &snap);  // default, -L and -q
[[nodiscard]] nlohmann::ordered_json JsonQuery(const Snapshot &snap,
                                               std::span<const Field *const> fields);
[[nodiscard]] nlohmann::ordered_json JsonHelpQuery();
[[nodiscard]] nlohmann::ordered_json JsonPmon(const Snapshot &snap);
[[nodiscard]] nlohmann::ordered_json JsonVersion(const ToolVersion &tool,
                                                 const ember::DriverStatus &drv);

// dmon: one sample of a device's counters; a row is the difference of two.
struct DmonSample {
  std::size_t index = 0;
  std::optional<std::uint64_t> jobs;        // completions, all DBCs
  std::optional<std::uint64_t> interrupts;  // all DBCs
  std::optional<std::uint64_t> polls;       // all DBCs
  std::optional<double> temp_c;
  std::optional<double> power_w;
};
[[nodiscard]] DmonSample SampleOf(const DeviceView &dev);
struct DmonRow {
  std::size_t index = 0;
  std::optional<std::uint64_t> jobs;
  std::optional<std::uint64_t> interrupts;
  std::optional<std::uint64_t> polls;
  std::optional<double> temp_c;
  std::optional<double> power_w;
};
[[nodiscard]] DmonRow DmonDelta(const DmonSample &before, const DmonSample &after);
[[nodiscard]] std::string DmonHeader();  // two "# ..." lines
[[nodiscard]] std::string FormatDmonRow(const DmonRow &row);
[[nodiscard]] nlohmann::ordered_json JsonDmonRow(const DmonRow &row, std::uint64_t sample);

// ---- command line ----

enum class Command { kTable, kList, kReport, kQuery, kHelpQuery, kDmon, kPmon, kVersion };

struct Options {
  Command command = Command::kTable;
  std::vector<std::string> ids;  // -i
  std::vector<const Field *> fields;
  CsvOptions csv;
  bool json = false;
  double loop_seconds = 1.0;           // dmon -l
  std::optional<std::uint64_t> count;  // dmon -c
};

// What parsing produced: options to run, or text to print and an exit
// code (--help: usage on stdout, 0; an error: message on stderr, 2).
struct ParseExit {
  int code = kExitOk;
  std::string out;      // stdout
  std::string message;  // stderr line, without "ember-smi: "
};
[[nodiscard]] std::variant<Options, ParseExit> ParseArgs(std::span<const std::string> args);

// Whether a command reads GET_INFO (so a node it cannot open fails it with
// kExitNoPermission after printing what it could).
[[nodiscard]] bool NeedsInfo(const Options &opts);

}  // namespace ember_smi

#endif  // EMBER_SMI_SMI_HPP_
