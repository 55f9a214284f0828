// SPDX-License-Identifier: MIT
//
// libember C++20 API: header-only RAII wrappers over the C ABI of
// <ember/ember.h> (so no C++ type crosses the shared-library boundary).
//
// Errors: every operation that can fail returns ember::Result<T>, in the
// style of C++23 std::expected: test it with `if (r)` / has_value(), read
// value() or error(). value() on a failed result throws
// ember::BadResultAccess (carrying the Error), the only exception the API
// throws apart from std::bad_alloc. An ember::Error holds the ember_status,
// its errno and the detail message libember recorded for the failure.
//
// Ownership: ember::Device owns one client of the driver (one open of
// the accel node). ember::Workload, ember::Dbc and ember::Buffer are RAII:
// they unload / deactivate / unmap and close on destruction, and keep the
// client open until they are gone (they share the device handle), so
// destroying the Device first is safe. All types are move-only; a
// moved-from object is empty and its operations fail with
// EMBER_ERR_INVALID.
//
// Data path: Device::create_buffer() gives a mapped ember::Buffer
// (bytes() is a std::span<std::byte>); attach_slices() binds it to a Dbc
// with ember::slice::copy_to_device() & co., execute() queues it, wait()
// waits for it, perf_stats() times it (docs/datapath.md).
//
// Threads: a Device may be used from several threads at once (the C ABI
// is thread-safe), and so may a Buffer; a single Workload / Dbc / Buffer
// object must not be unloaded, destroyed or moved concurrently with other
// uses of the same object.
#ifndef EMBER_EMBER_HPP_
#define EMBER_EMBER_HPP_

#if __cplusplus < 202002L
#error "<ember/ember.hpp> needs C++20"
#endif

#include <ember/ember.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ember {

// ---- errors ----

// A failed libember call.
class Error {
 public:
  Error() = default;
  explicit Error(ember_status code, std::string message = {})
      : code_(code), message_(std::move(message)) {}

  // The error recorded by the C ABI on this thread for a call that just
  // returned |code|.
  [[nodiscard]] static Error Last(ember_status code) {
    return Error(code, ember_last_error_message());
  }

  [[nodiscard]] ember_status code() const noexcept { return code_; }
  // The errno |code| stands for (ember_status_to_errno()).
  [[nodiscard]] int errno_value() const noexcept { return ember_status_to_errno(code_); }
  // Detail, e.g. "ACTIVATE: ring size 3 is not a power of two in 2..65536".
  [[nodiscard]] const std::string &message() const noexcept { return message_; }
  // "<ember_strerror(code)>: <message>".
  [[nodiscard]] std::string what() const {
    std::string s = ember_strerror(code_);
    if (!message_.empty()) {
      s += ": ";
      s += message_;
    }
    return s;
  }

 private:
  ember_status code_ = EMBER_OK;
  std::string message_;
};

// Thrown by Result<T>::value() when the result holds an error.
class BadResultAccess : public std::exception {
 public:
  explicit BadResultAccess(Error error) : error_(std::move(error)), what_(error_.what()) {}
  [[nodiscard]] const char *what() const noexcept override { return what_.c_str(); }
  [[nodiscard]] const Error &error() const noexcept { return error_; }

 private:
  Error error_;
  std::string what_;
};

namespace detail {
inline const Error &NoError() {
  static const Error kNone;
  return kNone;
}
}  // namespace detail

// A value or an Error (std::expected-style).
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value or an Error, like std::expected.
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // The value; throws BadResultAccess if this holds an error.
  [[nodiscard]] T &value() & {
    Check();
    return std::get<0>(v_);
  }
  [[nodiscard]] const T &value() const & {
    Check();
    return std::get<0>(v_);
  }
  [[nodiscard]] T &&value() && {
    Check();
    return std::get<0>(std::move(v_));
  }
  // The value, or |fallback| if this holds an error.
  template <typename U>
  [[nodiscard]] T value_or(U &&fallback) const & {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }
  // The error; an EMBER_OK Error if this holds a value.
  [[nodiscard]] const Error &error() const noexcept {
    const Error *e = std::get_if<1>(&v_);
    return e != nullptr ? *e : detail::NoError();
  }
  // Unchecked access, as std::expected's (precondition: has_value());
  // never throws.
  [[nodiscard]] T &operator*() & { return *std::get_if<0>(&v_); }
  [[nodiscard]] const T &operator*() const & { return *std::get_if<0>(&v_); }
  [[nodiscard]] T *operator->() { return std::get_if<0>(&v_); }
  [[nodiscard]] const T *operator->() const { return std::get_if<0>(&v_); }

 private:
  void Check() const {
    if (!has_value()) {
      throw BadResultAccess(std::get<1>(v_));
    }
  }

  std::variant<T, Error> v_;
};

// Success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  // Implicit from an Error.
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  // Throws BadResultAccess if this holds an error.
  void value() const {
    if (failed_) {
      throw BadResultAccess(error_);
    }
  }
  [[nodiscard]] const Error &error() const noexcept { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

namespace detail {
// Result<void> of a C call that returned |st|.
inline Result<void> Check(ember_status st) {
  if (st != EMBER_OK) {
    return Error::Last(st);
  }
  return {};
}

inline std::string FromArray(const char *s) { return {s}; }

// A non-negative timeout in whole milliseconds, saturated to 32 bits.
inline std::uint32_t ClampMs(std::chrono::milliseconds timeout) noexcept {
  return static_cast<std::uint32_t>(std::min<std::chrono::milliseconds::rep>(
      timeout.count(), std::numeric_limits<std::uint32_t>::max()));
}

// Shared handle: Device, Workload and Dbc keep the client open.
using Handle = std::shared_ptr<ember_device>;
inline Handle Adopt(ember_device *raw) {
  return {raw, [](ember_device *d) {
            if (d != nullptr) {
              ember_device_close(d);
            }
          }};
}
}  // namespace detail

// ---- library and discovery ----

// "MAJOR.MINOR.PATCH" of the libember that is running.
[[nodiscard]] inline std::string_view version() { return ember_version_string(); }

using Info = ember_info;
using Resources = ember_resources;
using NncVersion = ember_nnc_version;
using Step = ember_step;

// One discovered device (ember_device_desc).
struct DeviceDesc {
  std::string node;   // "/dev/accel/accel0"
  std::string sysfs;  // "/sys/class/accel/accel0"
  std::string bdf;    // "0000:00:03.0"
  std::uint32_t minor = 0;
  ember_status status = EMBER_OK;  // EMBER_OK if the device can be opened
  Info info{};                     // GET_INFO (zero unless status is EMBER_OK)

  static DeviceDesc From(const ember_device_desc &d) {
    return DeviceDesc{detail::FromArray(d.node),
                      detail::FromArray(d.sysfs),
                      detail::FromArray(d.bdf),
                      d.minor,
                      d.status,
                      d.info};
  }
};

// All ember devices, in the order Device::open(index) uses.
[[nodiscard]] inline Result<std::vector<DeviceDesc>> list_devices() {
  std::size_t count = 0;
  if (const ember_status st = ember_device_count(&count); st != EMBER_OK) {
    return Error::Last(st);
  }
  // A device may appear between the two calls: retry with more room.
  std::vector<ember_device_desc> raw(std::max<std::size_t>(count, 1));
  for (;;) {
    if (const ember_status st = ember_device_list(raw.data(), raw.size(), &count); st != EMBER_OK) {
      return Error::Last(st);
    }
    if (count <= raw.size()) {
      break;
    }
    raw.resize(count);
  }
  std::vector<DeviceDesc> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(DeviceDesc::From(raw[i]));
  }
  return out;
}

// ---- telemetry and monitoring (sysfs, hwmon, fdinfo; no device node) ----

// The loaded ember.ko (ember_driver_status).
struct DriverStatus {
  bool loaded = false;
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  std::uint32_t abi_patch = 0;
  std::string version;  // "" if unknown

  static DriverStatus From(const ember_driver_status &d) {
    return DriverStatus{d.loaded != 0, d.abi_major, d.abi_minor, d.abi_patch,
                        detail::FromArray(d.version)};
  }
};

[[nodiscard]] inline Result<DriverStatus> driver_status() {
  ember_driver_status raw{};
  if (const ember_status st = ember_driver_status_read(&raw); st != EMBER_OK) {
    return Error::Last(st);
  }
  return DriverStatus::From(raw);
}

// A device's telemetry (ember_telemetry): an unavailable value is empty.
struct Telemetry {
  std::uint32_t state = EMBER_STATE_UNKNOWN;  // EMBER_STATE_*
  std::optional<std::int64_t> temp_mc;
  std::optional<std::int64_t> temp_crit_mc;
  std::optional<std::uint64_t> power_uw;
  std::optional<std::uint64_t> power_cap_uw;
  std::optional<std::uint32_t> core_clk_mhz;
  std::optional<std::uint32_t> mem_clk_mhz;
  std::optional<std::uint64_t> ecc_ce;
  std::optional<std::uint64_t> ecc_ue;
  std::optional<std::uint64_t> devmem_used;
  std::optional<std::uint64_t> devmem_total;
  std::optional<std::uint64_t> reset_count;
  std::optional<std::string> serial;

  static Telemetry From(const ember_telemetry &t) {
    const auto has = [&t](std::uint32_t bit) { return (t.valid & bit) != 0; };
    Telemetry out;
    out.state = has(EMBER_TEL_STATE) ? t.state : EMBER_STATE_UNKNOWN;
    if (has(EMBER_TEL_TEMP)) {
      out.temp_mc = t.temp_mc;
    }
    if (has(EMBER_TEL_TEMP_CRIT)) {
      out.temp_crit_mc = t.temp_crit_mc;
    }
    if (has(EMBER_TEL_POWER)) {
      out.power_uw = t.power_uw;
    }
    if (has(EMBER_TEL_POWER_CAP)) {
      out.power_cap_uw = t.power_cap_uw;
    }
    if (has(EMBER_TEL_CORE_CLK)) {
      out.core_clk_mhz = t.core_clk_mhz;
    }
    if (has(EMBER_TEL_MEM_CLK)) {
      out.mem_clk_mhz = t.mem_clk_mhz;
    }
    if (has(EMBER_TEL_ECC)) {
      out.ecc_ce = t.ecc_ce;
      out.ecc_ue = t.ecc_ue;
    }
    if (has(EMBER_TEL_DEVMEM)) {
      out.devmem_used = t.devmem_used;
      out.devmem_total = t.devmem_total;
    }
    if (has(EMBER_TEL_RESET_COUNT)) {
      out.reset_count = t.reset_count;
    }
    if (has(EMBER_TEL_SERIAL)) {
      out.serial = detail::FromArray(t.serial);
    }
    return out;
  }
};

// "online", "resetting", "failed", "offline" or "unknown".
[[nodiscard]] inline std::string_view state_name(std::uint32_t state) {
  switch (state) {
    case EMBER_STATE_ONLINE:
      return "online";
    case EMBER_STATE_RESETTING:
      return "resetting";
    case EMBER_STATE_FAILED:
      return "failed";
    case EMBER_STATE_OFFLINE:
      return "offline";
    default:
      return "unknown";
  }
}

// "msix", "single", "poll" (EMBER_DEV_IRQ_*) or "unknown".
[[nodiscard]] inline std::string_view irq_mode_name(std::uint32_t mode) {
  switch (mode) {
    case EMBER_DEV_IRQ_MSIX:
      return "msix";
    case EMBER_DEV_IRQ_SINGLE:
      return "single";
    case EMBER_DEV_IRQ_POLL:
      return "poll";
    default:
      return "unknown";
  }
}

// A firmware version of ember_info (major << 24 | minor << 16 | patch) as
// "major.minor.patch".
[[nodiscard]] inline std::string fw_version_string(std::uint32_t packed) {
  return std::to_string(packed >> 24U) + "." + std::to_string((packed >> 16U) & 0xffU) + "." +
         std::to_string(packed & 0xffffU);
}

[[nodiscard]] inline Result<Telemetry> read_telemetry(const std::string &bdf) {
  ember_telemetry raw{};
  if (const ember_status st = ember_telemetry_read(bdf.c_str(), &raw); st != EMBER_OK) {
    return Error::Last(st);
  }
  return Telemetry::From(raw);
}

using DbcTelemetry = ember_dbc_telemetry;

// Every DBC's owner and counters, by index.
[[nodiscard]] inline Result<std::vector<DbcTelemetry>> read_dbc_telemetry(const std::string &bdf) {
  std::size_t count = 0;
  std::vector<DbcTelemetry> out;
  for (;;) {
    if (const ember_status st =
            ember_dbc_telemetry_read(bdf.c_str(), out.data(), out.size(), &count);
        st != EMBER_OK) {
      return Error::Last(st);
    }
    if (count <= out.size()) {
      out.resize(count);
      return out;
    }
    out.resize(count);
  }
}

// One process's use of a device (ember_process_usage).
struct ProcessUsage {
  std::int32_t pid = 0;
  std::uint32_t clients = 0;
  std::string comm;
  std::uint64_t busy_ns = 0;
  std::uint64_t memory_total = 0;
  std::uint64_t memory_resident = 0;

  static ProcessUsage From(const ember_process_usage &p) {
    return ProcessUsage{p.pid,     p.clients,      detail::FromArray(p.comm),
                        p.busy_ns, p.memory_total, p.memory_resident};
  }
};

// The processes that have the device at |bdf| open, by pid.
[[nodiscard]] inline Result<std::vector<ProcessUsage>> list_processes(const std::string &bdf) {
  std::size_t count = 0;
  std::vector<ember_process_usage> raw;
  for (;;) {
    if (const ember_status st = ember_process_list(bdf.c_str(), raw.data(), raw.size(), &count);
        st != EMBER_OK) {
      return Error::Last(st);
    }
    if (count <= raw.size()) {
      break;
    }
    raw.resize(count);
  }
  std::vector<ProcessUsage> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(ProcessUsage::From(raw[i]));
  }
  return out;
}

// ---- workload programs ----

// A step operand: an input or output slice, a region, or nothing.
class Operand {
 public:
  [[nodiscard]] static constexpr Operand none() { return {EMBER_OPERAND_NONE, 0}; }
  [[nodiscard]] static constexpr Operand input(std::uint8_t i) { return {EMBER_OPERAND_INPUT, i}; }
  [[nodiscard]] static constexpr Operand output(std::uint8_t i) {
    return {EMBER_OPERAND_OUTPUT, i};
  }
  [[nodiscard]] static constexpr Operand region(std::uint8_t i) {
    return {EMBER_OPERAND_REGION, i};
  }

  [[nodiscard]] constexpr ember_operand_kind kind() const { return kind_; }
  [[nodiscard]] constexpr std::uint8_t index() const { return index_; }
  constexpr bool operator==(const Operand &) const = default;

 private:
  constexpr Operand(ember_operand_kind kind, std::uint8_t index) : kind_(kind), index_(index) {}

  ember_operand_kind kind_;
  std::uint8_t index_;
};

// A validated workload: name, regions and program. Made by
// WorkloadBuilder::build(); loaded by Device::load().
class WorkloadSpec {
 public:
  [[nodiscard]] const std::string &name() const { return name_; }
  [[nodiscard]] std::span<const std::uint64_t> regions() const { return regions_; }
  [[nodiscard]] std::span<const Step> steps() const { return steps_; }
  [[nodiscard]] std::uint32_t inputs() const { return inputs_; }
  [[nodiscard]] std::uint32_t outputs() const { return outputs_; }

  // The C description; it points into this object.
  [[nodiscard]] ember_workload_desc desc() const {
    ember_workload_desc d{};
    d.name = name_.c_str();
    d.region_sizes = regions_.data();
    d.steps = steps_.data();
    d.nregions = static_cast<std::uint32_t>(regions_.size());
    d.nsteps = static_cast<std::uint32_t>(steps_.size());
    d.ninputs = inputs_;
    d.noutputs = outputs_;
    return d;
  }

 private:
  friend class WorkloadBuilder;

  std::string name_;
  std::vector<std::uint64_t> regions_;
  std::vector<Step> steps_;
  std::uint32_t inputs_ = 0;
  std::uint32_t outputs_ = 0;
};

// Builds a workload step by step (docs/nnc.md §15.3). Nothing is checked
// until build(), which applies all of libember's rules and reports the
// first broken one (e.g. "step 1 (gemm_i8): aux (B) region 0: 4096 bytes
// do not fit its 1024 bytes").
class WorkloadBuilder {
 public:
  explicit WorkloadBuilder(std::string name = {}) : name_(std::move(name)) {}

  // Declare one more input slice / output slice / region and return it.
  Operand add_input() { return Operand::input(Next(inputs_)); }
  Operand add_output() { return Operand::output(Next(outputs_)); }
  Operand add_region(std::uint64_t bytes) {
    regions_.push_back(bytes);
    return Operand::region(Index(regions_.size() - 1));
  }

  // COPY |len| bytes (0: the whole source operand) from |src| to |dst|.
  WorkloadBuilder &copy(Operand dst, Operand src, std::uint32_t len = 0) {
    return Add(EMBER_SLICE_OP_COPY, src, dst, Operand::none(), len);
  }
  // FILL |len| bytes (0: the whole destination) of |dst| with |pattern|.
  WorkloadBuilder &fill(Operand dst, std::uint8_t pattern, std::uint32_t len = 0) {
    Step s = Make(EMBER_SLICE_OP_FILL, Operand::none(), dst, Operand::none(), len);
    s.aux_index = pattern;
    steps_.push_back(s);
    return *this;
  }
  // CRC32 of |len| bytes (0: all) of |src|, stored at |dst| if not none.
  WorkloadBuilder &crc32(Operand src, Operand dst = Operand::none(), std::uint32_t len = 0) {
    return Add(EMBER_SLICE_OP_CRC32, src, dst, Operand::none(), len);
  }
  // C (m x n int32) = A (m x k int8) x B (k x n int8).
  WorkloadBuilder &gemm_i8(Operand c, Operand a, Operand b, std::uint32_t m, std::uint32_t n,
                           std::uint32_t k) {
    Step s = Make(EMBER_SLICE_OP_GEMM_I8, a, c, b, 0);
    s.m = m;
    s.n = n;
    s.k = k;
    steps_.push_back(s);
    return *this;
  }
  // Any step, as given.
  WorkloadBuilder &step(const Step &raw) {
    steps_.push_back(raw);
    return *this;
  }

  // Validates (ember_workload_validate()) and returns the workload.
  [[nodiscard]] Result<WorkloadSpec> build() const {
    WorkloadSpec spec;
    spec.name_ = name_;
    spec.regions_ = regions_;
    spec.steps_ = steps_;
    spec.inputs_ = inputs_;
    spec.outputs_ = outputs_;
    const ember_workload_desc d = spec.desc();
    if (const ember_status st = ember_workload_validate(&d); st != EMBER_OK) {
      return Error::Last(st);
    }
    return spec;
  }

 private:
  static std::uint8_t Index(std::size_t i) {
    return static_cast<std::uint8_t>(std::min<std::size_t>(i, 0xff));
  }
  static std::uint8_t Next(std::uint32_t &count) { return Index(count++); }

  static Step Make(std::uint8_t op, Operand src, Operand dst, Operand aux, std::uint32_t len) {
    Step s{};
    s.op = op;
    s.src_kind = static_cast<std::uint8_t>(src.kind());
    s.src_index = src.index();
    s.dst_kind = static_cast<std::uint8_t>(dst.kind());
    s.dst_index = dst.index();
    s.aux_kind = static_cast<std::uint8_t>(aux.kind());
    s.aux_index = aux.index();
    s.len = len;
    return s;
  }
  WorkloadBuilder &Add(std::uint8_t op, Operand src, Operand dst, Operand aux, std::uint32_t len) {
    steps_.push_back(Make(op, src, dst, aux, len));
    return *this;
  }

  std::string name_;
  std::vector<std::uint64_t> regions_;
  std::vector<Step> steps_;
  std::uint32_t inputs_ = 0;
  std::uint32_t outputs_ = 0;
};

// ---- RAII objects of a client ----

// A loaded workload; unloaded on destruction (errors there are ignored:
// call unload() to see them).
class Workload {
 public:
  Workload() = default;
  Workload(const Workload &) = delete;
  Workload &operator=(const Workload &) = delete;
  Workload(Workload &&other) noexcept
      : dev_(std::move(other.dev_)), info_(std::exchange(other.info_, {})) {}
  Workload &operator=(Workload &&other) noexcept {
    if (this != &other) {
      reset();
      dev_ = std::move(other.dev_);
      info_ = std::exchange(other.info_, {});
    }
    return *this;
  }
  ~Workload() { reset(); }

  explicit operator bool() const noexcept { return dev_ != nullptr; }
  [[nodiscard]] std::uint32_t id() const noexcept { return info_.workload_id; }
  // Device-memory offset of each region.
  [[nodiscard]] std::span<const std::uint64_t> region_offsets() const noexcept {
    return {info_.region_offset, info_.nregions};
  }
  [[nodiscard]] std::uint64_t image_bytes() const noexcept { return info_.image_bytes; }
  [[nodiscard]] const ember_workload_info &info() const noexcept { return info_; }

  // Unloads now and reports the outcome; the object is empty afterwards
  // (also on failure: the destructor does not retry).
  Result<void> unload() {
    if (!dev_) {
      return Error(EMBER_ERR_INVALID, "Workload::unload: empty workload");
    }
    const detail::Handle dev = std::move(dev_);
    return detail::Check(ember_workload_unload(dev.get(), std::exchange(info_, {}).workload_id));
  }
  // Gives up ownership without unloading (the device frees the workload
  // when the client closes); returns the id.
  std::uint32_t release() noexcept {
    dev_.reset();
    return std::exchange(info_, {}).workload_id;
  }

 private:
  friend class Device;
  Workload(detail::Handle dev, const ember_workload_info &info)
      : dev_(std::move(dev)), info_(info) {}
  void reset() noexcept {
    if (dev_) {
      ember_workload_unload(dev_.get(), info_.workload_id);
      dev_.reset();
      info_ = {};
    }
  }

  detail::Handle dev_;
  ember_workload_info info_{};
};

// An activated DMA bridge channel; deactivated on destruction (errors
// there are ignored: call deactivate() to see them).
class Dbc {
 public:
  Dbc() = default;
  Dbc(const Dbc &) = delete;
  Dbc &operator=(const Dbc &) = delete;
  Dbc(Dbc &&other) noexcept
      : dev_(std::move(other.dev_)),
        id_(std::exchange(other.id_, 0)),
        ring_size_(std::exchange(other.ring_size_, 0)) {}
  Dbc &operator=(Dbc &&other) noexcept {
    if (this != &other) {
      reset();
      dev_ = std::move(other.dev_);
      id_ = std::exchange(other.id_, 0);
      ring_size_ = std::exchange(other.ring_size_, 0);
    }
    return *this;
  }
  ~Dbc() { reset(); }

  explicit operator bool() const noexcept { return dev_ != nullptr; }
  [[nodiscard]] std::uint32_t id() const noexcept { return id_; }
  [[nodiscard]] std::uint32_t ring_size() const noexcept { return ring_size_; }

  // Deactivates now and reports the outcome; the object is empty afterwards.
  Result<void> deactivate() {
    if (!dev_) {
      return Error(EMBER_ERR_INVALID, "Dbc::deactivate: empty DBC");
    }
    const detail::Handle dev = std::move(dev_);
    ring_size_ = 0;
    return detail::Check(ember_dbc_deactivate(dev.get(), std::exchange(id_, 0)));
  }
  // Gives up ownership without deactivating; returns the id.
  std::uint32_t release() noexcept {
    dev_.reset();
    ring_size_ = 0;
    return std::exchange(id_, 0);
  }

 private:
  friend class Device;
  Dbc(detail::Handle dev, std::uint32_t id, std::uint32_t ring_size)
      : dev_(std::move(dev)), id_(id), ring_size_(ring_size) {}
  void reset() noexcept {
    if (dev_) {
      ember_dbc_deactivate(dev_.get(), id_);
      dev_.reset();
      id_ = 0;
      ring_size_ = 0;
    }
  }

  detail::Handle dev_;
  std::uint32_t id_ = 0;
  std::uint32_t ring_size_ = 0;
};

// ---- data path: buffers, slices, execution (docs/datapath.md) ----

using Slice = ember_slice;
using PerfStats = ember_perf_stats;

// Flags of Buffer::wait() (EMBER_WAIT_* of ember_bo_wait_flags()); combine
// with |.
enum class WaitFlags : std::uint32_t {
  none = 0,
  // The waiting thread polls the DBC's response ring for its completion
  // (hybrid: sleeps about half a job, then busy-polls); ioctl ABI 1.3.
  poll = EMBER_WAIT_POLL,
};
[[nodiscard]] constexpr WaitFlags operator|(WaitFlags a, WaitFlags b) noexcept {
  return static_cast<WaitFlags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}

// Makers of the slices of ember.h (struct ember_slice). |offset| is a byte
// offset in the buffer; |dev_*| are device-memory offsets, which must lie
// inside the regions of a workload this client loaded
// (Workload::region_offsets()).
namespace slice {

// COPY |size| buffer bytes at |offset| to device memory at |dev_offset|.
[[nodiscard]] constexpr Slice copy_to_device(std::uint64_t offset, std::uint64_t size,
                                             std::uint64_t dev_offset) {
  Slice s{};
  s.op = EMBER_SLICE_OP_COPY;
  s.dir = EMBER_SLICE_TO_DEV;
  s.offset = offset;
  s.size = size;
  s.dev_offset = dev_offset;
  return s;
}
// COPY |size| bytes of device memory at |dev_offset| into the buffer at |offset|.
[[nodiscard]] constexpr Slice copy_from_device(std::uint64_t offset, std::uint64_t size,
                                               std::uint64_t dev_offset) {
  Slice s = copy_to_device(offset, size, dev_offset);
  s.dir = EMBER_SLICE_FROM_DEV;
  return s;
}
// FILL |size| bytes of device memory at |dev_offset| with |pattern|.
[[nodiscard]] constexpr Slice fill_device(std::uint64_t dev_offset, std::uint64_t size,
                                          std::uint8_t pattern) {
  Slice s{};
  s.op = EMBER_SLICE_OP_FILL;
  s.dir = EMBER_SLICE_TO_DEV;
  s.size = size;
  s.dev_offset = dev_offset;
  s.dev_aux = pattern;
  return s;
}
// FILL |size| buffer bytes at |offset| with |pattern|.
[[nodiscard]] constexpr Slice fill_buffer(std::uint64_t offset, std::uint64_t size,
                                          std::uint8_t pattern) {
  Slice s{};
  s.op = EMBER_SLICE_OP_FILL;
  s.dir = EMBER_SLICE_FROM_DEV;
  s.offset = offset;
  s.size = size;
  s.dev_aux = pattern;
  return s;
}
// CRC-32 (zlib's) of |len| bytes of device memory at |dev_offset|, stored
// as 4 bytes little-endian in the buffer at |offset| (a multiple of 4).
[[nodiscard]] constexpr Slice crc32(std::uint64_t offset, std::uint64_t dev_offset,
                                    std::uint64_t len) {
  Slice s{};
  s.op = EMBER_SLICE_OP_CRC32;
  s.dir = EMBER_SLICE_FROM_DEV;
  s.offset = offset;
  s.size = 4;
  s.dev_offset = dev_offset;
  s.dev_aux = len;
  return s;
}
// C (m x n int32 at |dev_c|) = A (m x k int8 at |dev_a|) x B (k x n int8
// at |dev_b|), in device memory.
[[nodiscard]] constexpr Slice gemm_i8(std::uint64_t dev_a, std::uint64_t dev_b, std::uint64_t dev_c,
                                      std::uint32_t m, std::uint32_t n, std::uint32_t k) {
  Slice s{};
  s.op = EMBER_SLICE_OP_GEMM_I8;
  s.dir = EMBER_SLICE_TO_DEV;
  s.dev_offset = dev_a;
  s.dev_aux = dev_b;
  s.dev_out = dev_c;
  s.m = m;
  s.n = n;
  s.k = k;
  return s;
}

}  // namespace slice

// A buffer object (BO), mapped into this process: allocated by
// Device::create_buffer(), unmapped and closed on destruction. A buffer
// that is still queued then is freed by the driver when its execution
// ends. Movable, not copyable; a moved-from buffer is empty (no bytes, its
// operations fail with EMBER_ERR_INVALID).
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  Buffer(Buffer &&other) noexcept
      : dev_(std::move(other.dev_)),
        bo_(std::move(other.bo_)),
        bytes_(std::exchange(other.bytes_, {})) {}
  Buffer &operator=(Buffer &&other) noexcept {
    if (this != &other) {
      reset();  // the BO goes before the device reference it needs
      dev_ = std::move(other.dev_);
      bo_ = std::move(other.bo_);
      bytes_ = std::exchange(other.bytes_, {});
    }
    return *this;
  }
  ~Buffer() { reset(); }

  explicit operator bool() const noexcept { return bo_ != nullptr; }
  // The C handle, for calls the C++ API does not wrap (owned by this).
  [[nodiscard]] ember_bo *handle() const noexcept { return bo_.get(); }
  // The GEM handle on the device's descriptor.
  [[nodiscard]] std::uint32_t gem_handle() const noexcept {
    std::uint32_t h = 0;
    if (bo_) {
      ember_bo_handle(bo_.get(), &h);
    }
    return h;
  }

  // The mapping: the whole BO (the requested size rounded up to pages).
  // The device reads and writes it: leave the bytes a queued execution
  // uses alone until wait() returned.
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return bytes_; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return bytes_.size(); }

  // Slices the buffer for |dbc| (ATTACH_SLICE_BO); the slices run in this
  // order on every execution, until detach_slices().
  Result<void> attach_slices(const Dbc &dbc, std::span<const Slice> slices) const {
    return attach_slices(dbc.id(), slices);
  }
  Result<void> attach_slices(const Dbc &dbc, std::initializer_list<Slice> slices) const {
    return attach_slices(dbc.id(), std::span<const Slice>(slices.begin(), slices.size()));
  }
  Result<void> attach_slices(std::uint32_t dbc_id, std::span<const Slice> slices) const {
    const Slice none{};  // ember_bo_attach_slices() takes no NULL, even for 0 slices
    return detail::Check(ember_bo_attach_slices(bo_.get(), dbc_id,
                                                slices.empty() ? &none : slices.data(),
                                                static_cast<std::uint32_t>(slices.size())));
  }
  // Removes the slicing of an idle buffer (DETACH_SLICE_BO).
  Result<void> detach_slices() const { return detail::Check(ember_bo_detach_slices(bo_.get())); }

  // Queues the buffer on its DBC (EXECUTE_BO); does not block.
  Result<void> execute() const { return detail::Check(ember_bo_execute(bo_.get())); }
  // Queues it with only bytes [0, resize) taking part; 0 = all.
  Result<void> partial_execute(std::uint32_t resize) const {
    return detail::Check(ember_bo_partial_execute(bo_.get(), resize));
  }
  // Waits for the last execution (WAIT_BO); a zero |timeout| uses the
  // driver's default (wait_exec_default_timeout_ms). Errors: TIMEDOUT
  // (still queued), IO, CANCELED, INTR (see ember_bo_wait()).
  Result<void> wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const {
    if (timeout.count() < 0) {
      return Error(EMBER_ERR_INVALID, "Buffer::wait: negative timeout");
    }
    return detail::Check(ember_bo_wait(bo_.get(), detail::ClampMs(timeout)));
  }
  // The same with |flags| (ember_bo_wait_flags()): WaitFlags::poll polls
  // in the waiter. Also INVALID (an unknown flag) and UNSUPPORTED (a
  // driver older than ioctl ABI 1.3: wait without the flag). It calls
  // ember_bo_wait_flags() (new after libember 0.1.0); the other wait()
  // calls ember_bo_wait() and runs on any libember.so.0.
  Result<void> wait(std::chrono::milliseconds timeout, WaitFlags flags) const {
    if (timeout.count() < 0) {
      return Error(EMBER_ERR_INVALID, "Buffer::wait: negative timeout");
    }
    return detail::Check(ember_bo_wait_flags(bo_.get(), detail::ClampMs(timeout),
                                             static_cast<std::uint32_t>(flags)));
  }
  // Queues the buffer and waits for it in one call (ember_bo_execute_wait(),
  // new after libember 0.2.0): execute() then wait(timeout, flags), with
  // the errors of both; after TIMEDOUT or INTR the buffer is queued.
  Result<void> execute_wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::zero(),
                            WaitFlags flags = WaitFlags::none) const {
    if (timeout.count() < 0) {
      return Error(EMBER_ERR_INVALID, "Buffer::execute_wait: negative timeout");
    }
    return detail::Check(ember_bo_execute_wait(bo_.get(), detail::ClampMs(timeout),
                                               static_cast<std::uint32_t>(flags)));
  }
  // Timing of the last execution (PERF_STATS_BO).
  [[nodiscard]] Result<PerfStats> perf_stats() const {
    PerfStats p{};
    if (const ember_status st = ember_bo_perf_stats(bo_.get(), &p); st != EMBER_OK) {
      return Error::Last(st);
    }
    return p;
  }

 private:
  friend class Device;
  struct Destroy {
    void operator()(ember_bo *bo) const noexcept { ember_bo_destroy(bo); }
  };
  Buffer(detail::Handle dev, ember_bo *bo, std::span<std::byte> bytes)
      : dev_(std::move(dev)), bo_(bo), bytes_(bytes) {}
  void reset() noexcept {
    bo_.reset();
    bytes_ = {};
    dev_.reset();
  }
  detail::Handle dev_;  // keeps the client open while the BO lives
  std::unique_ptr<ember_bo, Destroy> bo_;
  std::span<std::byte> bytes_;
};

// One buffer of Device::execute() / partial_execute(), with its resize
// (partial execute only; 0 = the whole buffer). Refers to the buffer.
struct ExecuteEntry {
  // Implicit, so that a buffer is an entry: dev.execute({a, b}).
  ExecuteEntry(const Buffer &b, std::uint32_t r = 0) : buffer(&b), resize(r) {}
  const Buffer *buffer;  // not owned
  std::uint32_t resize;
};

// An open ember device: one client of the driver.
class Device {
 public:
  // The index-th device of list_devices().
  [[nodiscard]] static Result<Device> open(std::size_t index = 0) {
    ember_device *raw = nullptr;
    if (const ember_status st = ember_device_open(index, &raw); st != EMBER_OK) {
      return Error::Last(st);
    }
    return Device(detail::Adopt(raw));
  }
  // The device at a PCI address ("0000:00:03.0" or "00:03.0").
  [[nodiscard]] static Result<Device> open_bdf(const std::string &bdf) {
    ember_device *raw = nullptr;
    if (const ember_status st = ember_device_open_bdf(bdf.c_str(), &raw); st != EMBER_OK) {
      return Error::Last(st);
    }
    return Device(detail::Adopt(raw));
  }
  // An accel node by path ("/dev/accel/accel0").
  [[nodiscard]] static Result<Device> open_path(const std::string &node) {
    ember_device *raw = nullptr;
    if (const ember_status st = ember_device_open_path(node.c_str(), &raw); st != EMBER_OK) {
      return Error::Last(st);
    }
    return Device(detail::Adopt(raw));
  }
  // Takes ownership of a handle from the C ABI.
  [[nodiscard]] static Device adopt(ember_device *handle) { return Device(detail::Adopt(handle)); }

  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;
  Device(Device &&) noexcept = default;
  Device &operator=(Device &&) noexcept = default;
  ~Device() = default;

  explicit operator bool() const noexcept { return handle_ != nullptr; }
  // The C handle, for calls the C++ API does not wrap (owned by this).
  [[nodiscard]] ember_device *handle() const noexcept { return handle_.get(); }

  // Node, sysfs, PCI address and the GET_INFO of open time.
  [[nodiscard]] Result<DeviceDesc> describe() const {
    ember_device_desc d{};
    if (const ember_status st = ember_device_describe(handle(), &d); st != EMBER_OK) {
      return Error::Last(st);
    }
    return DeviceDesc::From(d);
  }
  // GET_INFO now.
  [[nodiscard]] Result<Info> info() const {
    Info i{};
    if (const ember_status st = ember_device_get_info(handle(), &i); st != EMBER_OK) {
      return Error::Last(st);
    }
    return i;
  }
  // The accel node's descriptor (owned by the device).
  [[nodiscard]] Result<int> fd() const {
    int v = -1;
    if (const ember_status st = ember_device_fd(handle(), &v); st != EMBER_OK) {
      return Error::Last(st);
    }
    return v;
  }

  // Raw MANAGE of |count| uAPI transactions at |transactions| (ember_manage()).
  [[nodiscard]] Result<void> manage(std::span<std::byte> transactions, std::uint32_t count) const {
    return detail::Check(ember_manage(handle(), transactions.data(),
                                      static_cast<std::uint32_t>(transactions.size()), count));
  }
  // The firmware's NNC version and features.
  [[nodiscard]] Result<NncVersion> nnc_status() const {
    NncVersion v{};
    if (const ember_status st = ember_nnc_status(handle(), &v); st != EMBER_OK) {
      return Error::Last(st);
    }
    return v;
  }
  // ECHO: what the firmware sent back.
  [[nodiscard]] Result<std::vector<std::byte>> echo(std::span<const std::byte> payload) const {
    std::vector<std::byte> reply(payload.size());
    // ember_echo() takes no NULL, even for 0 bytes.
    std::byte none{};
    const void *in = payload.empty() ? &none : payload.data();
    void *out = reply.empty() ? &none : reply.data();
    if (const ember_status st = ember_echo(handle(), in, out, payload.size()); st != EMBER_OK) {
      return Error::Last(st);
    }
    return reply;
  }
  // DMA_XFER of |data| under |tag| (1..0x7fffffff); returns bytes received.
  [[nodiscard]] Result<std::uint64_t> dma_transfer(std::uint32_t tag,
                                                   std::span<const std::byte> data) const {
    std::uint64_t received = 0;
    if (const ember_status st =
            ember_dma_transfer(handle(), tag, data.data(), data.size(), &received);
        st != EMBER_OK) {
      return Error::Last(st);
    }
    return received;
  }
  // QUERY: resource accounting of the function and of this client.
  [[nodiscard]] Result<Resources> query() const {
    Resources r{};
    if (const ember_status st = ember_query(handle(), &r); st != EMBER_OK) {
      return Error::Last(st);
    }
    return r;
  }
  // Loads |spec|, filling its regions from |image| if not empty.
  [[nodiscard]] Result<Workload> load(const WorkloadSpec &spec,
                                      std::span<const std::byte> image = {}) const {
    const ember_workload_desc d = spec.desc();
    ember_workload_info info{};
    const ember_status st =
        image.empty() ? ember_workload_load(handle(), &d, &info)
                      : ember_workload_load_image(handle(), &d, image.data(), image.size(), &info);
    if (st != EMBER_OK) {
      return Error::Last(st);
    }
    return Workload(handle_, info);
  }
  // Allocates a buffer of |size| bytes (rounded up to pages), mapped.
  [[nodiscard]] Result<Buffer> create_buffer(std::uint64_t size) const {
    ember_bo *raw = nullptr;
    if (const ember_status st = ember_bo_create(handle(), size, 0, &raw); st != EMBER_OK) {
      return Error::Last(st);
    }
    Buffer b(handle_, raw, {});
    void *addr = nullptr;
    std::uint64_t bytes = 0;
    if (const ember_status st = ember_bo_mapping(raw, &addr, &bytes); st != EMBER_OK) {
      return Error::Last(st);
    }
    b.bytes_ = {static_cast<std::byte *>(addr), static_cast<std::size_t>(bytes)};
    return b;
  }
  // Queues several sliced buffers of this device at once, in order; all
  // or nothing (EXECUTE_BO). At most EMBER_EXECUTE_MAX.
  Result<void> execute(std::span<const ExecuteEntry> entries) const {
    return Execute(entries, false);
  }
  Result<void> execute(std::initializer_list<ExecuteEntry> entries) const {
    return Execute({entries.begin(), entries.size()}, false);
  }
  // The same with each entry's resize (PARTIAL_EXECUTE_BO).
  Result<void> partial_execute(std::span<const ExecuteEntry> entries) const {
    return Execute(entries, true);
  }
  Result<void> partial_execute(std::initializer_list<ExecuteEntry> entries) const {
    return Execute({entries.begin(), entries.size()}, true);
  }
  // Queues them and waits for all of them in one call (ember_execute_wait(),
  // new after libember 0.2.0; resizes must be 0); errors as
  // Buffer::execute_wait().
  Result<void> execute_wait(std::span<const ExecuteEntry> entries,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds::zero(),
                            WaitFlags flags = WaitFlags::none) const {
    if (timeout.count() < 0) {
      return Error(EMBER_ERR_INVALID, "Device::execute_wait: negative timeout");
    }
    const Wait wait{detail::ClampMs(timeout), static_cast<std::uint32_t>(flags)};
    return Execute(entries, false, &wait);
  }
  Result<void> execute_wait(std::initializer_list<ExecuteEntry> entries,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds::zero(),
                            WaitFlags flags = WaitFlags::none) const {
    return execute_wait({entries.begin(), entries.size()}, timeout, flags);
  }
  // Activates a DBC with rings of |ring_size| entries.
  [[nodiscard]] Result<Dbc> activate_dbc(std::uint32_t ring_size) const {
    std::uint32_t id = 0;
    if (const ember_status st = ember_dbc_activate(handle(), ring_size, &id); st != EMBER_OK) {
      return Error::Last(st);
    }
    return Dbc(handle_, id, ring_size);
  }

 private:
  explicit Device(detail::Handle handle) : handle_(std::move(handle)) {}

  struct Wait {
    std::uint32_t timeout_ms;
    std::uint32_t flags;
  };

  Result<void> Execute(std::span<const ExecuteEntry> entries, bool partial,
                       const Wait *wait = nullptr) const {
    if (entries.size() > EMBER_EXECUTE_MAX) {
      return Error(EMBER_ERR_INVALID, "Device::execute: more than EMBER_EXECUTE_MAX buffers");
    }
    std::array<ember_execute_entry, EMBER_EXECUTE_MAX> raw{};
    for (std::size_t i = 0; i < entries.size(); ++i) {
      raw[i].bo = entries[i].buffer != nullptr ? entries[i].buffer->handle() : nullptr;
      raw[i].resize = entries[i].resize;
    }
    const auto count = static_cast<std::uint32_t>(entries.size());
    if (wait != nullptr) {
      return detail::Check(
          ember_execute_wait(handle(), raw.data(), count, wait->timeout_ms, wait->flags));
    }
    return detail::Check(partial ? ember_partial_execute(handle(), raw.data(), count)
                                 : ember_execute(handle(), raw.data(), count));
  }

  detail::Handle handle_;
};

}  // namespace ember

#endif  // EMBER_EMBER_HPP_
