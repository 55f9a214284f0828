// libember C ABI: status codes map errnos one to one, every entry point
// refuses NULL with EMBER_ERR_INVALID (and a message) without crashing or
// writing anything, and the library version matches the project VERSION.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "device.hpp"
#include "ember/ember.h"
#include "ember/ember.hpp"
#include "ember_accel.h"

namespace {

using Catch::Matchers::ContainsSubstring;

// Every status of ember.h with the errno it stands for.
struct Row {
  ember_status status;
  int err;
};
const std::vector<Row> kRows = {
    {EMBER_ERR_INVALID, EINVAL},
    {EMBER_ERR_FAULT, EFAULT},
    {EMBER_ERR_NOENT, ENOENT},
    {EMBER_ERR_PERM, EPERM},
    {EMBER_ERR_BUSY, EBUSY},
    {EMBER_ERR_AGAIN, EAGAIN},
    {EMBER_ERR_TIMEDOUT, ETIMEDOUT},
    {EMBER_ERR_INTR, EINTR},
    {EMBER_ERR_NOMEM, ENOMEM},
    {EMBER_ERR_NOSPC, ENOSPC},
    {EMBER_ERR_IO, EIO},
    {EMBER_ERR_NODEV, ENODEV},
    {EMBER_ERR_UNSUPPORTED, EOPNOTSUPP},
    {EMBER_ERR_NOTTY, ENOTTY},
    {EMBER_ERR_ACCESS, EACCES},
    {EMBER_ERR_NOT_RUN, ECANCELED},
};

// A device whose ioctls must never be reached by these tests.
class UnreachableBackend final : public ember::detail::Backend {
 public:
  int Manage(drm_ember_manage_msg & /*msg*/) override {
    ++calls;
    return ENOTTY;
  }
  int GetInfo(drm_ember_get_info & /*info*/) override {
    ++calls;
    return ENOTTY;
  }
  [[nodiscard]] int Fd() const override { return -1; }
  int calls = 0;
};

// Checks the last call failed with EMBER_ERR_INVALID naming NULL.
void CheckNull(ember_status st) {
  CHECK(st == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("is NULL"));
}

}  // namespace

TEST_CASE("every status stands for one errno and back", "[c-abi][status]") {
  std::set<int> errnos;
  std::set<std::string> texts;
  CHECK(ember_status_to_errno(EMBER_OK) == 0);
  CHECK(ember_status_from_errno(0) == EMBER_OK);
  for (const auto &row : kRows) {
    INFO("status " << row.status);
    CHECK(ember_status_to_errno(row.status) == row.err);
    CHECK(ember_status_from_errno(row.err) == row.status);
    CHECK(ember_status_from_errno(-row.err) == row.status);
    errnos.insert(row.err);
    texts.insert(ember_strerror(row.status));
  }
  CHECK(errnos.size() == kRows.size());
  CHECK(texts.size() == kRows.size());
  CHECK(std::string(ember_strerror(EMBER_OK)) == "success");
}

TEST_CASE("errnos outside the vocabulary and unknown statuses", "[c-abi][status]") {
  CHECK(ember_status_from_errno(E2BIG) == EMBER_ERR_UNKNOWN);
  CHECK(ember_status_from_errno(512) == EMBER_ERR_INTR);  // ERESTARTSYS
  CHECK(ember_status_from_errno(ENXIO) == EMBER_ERR_NODEV);
  CHECK(ember_status_to_errno(EMBER_ERR_UNKNOWN) == EIO);
  CHECK(ember_status_to_errno(static_cast<ember_status>(999)) == EIO);
  CHECK(std::string(ember_strerror(static_cast<ember_status>(999))) == "unknown ember status");
  CHECK(std::string(ember_strerror(static_cast<ember_status>(-1))) == "unknown ember status");
}

TEST_CASE("MANAGE transaction statuses map as in nnc.md 7.3", "[c-abi][status]") {
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_OK) == EMBER_OK);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_INVAL) == EMBER_ERR_INVALID);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_NOENT) == EMBER_ERR_NOENT);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_PERM) == EMBER_ERR_PERM);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_BUSY) == EMBER_ERR_BUSY);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_NOSPC) == EMBER_ERR_NOSPC);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_NOMEM) == EMBER_ERR_NOMEM);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_UNSUPPORTED) == EMBER_ERR_UNSUPPORTED);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_IO) == EMBER_ERR_IO);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_BADCRC) == EMBER_ERR_IO);
  CHECK(ember_status_from_manage(EMBER_MANAGE_STATUS_NOT_RUN) == EMBER_ERR_NOT_RUN);
  CHECK(ember_status_from_manage(11) == EMBER_ERR_IO);
}

TEST_CASE("ember.h constants mirror the uAPI", "[c-abi]") {
  STATIC_REQUIRE(EMBER_DEV_CAP_MSIX == EMBER_INFO_CAP_MSIX);
  STATIC_REQUIRE(EMBER_DEV_CAP_SRIOV == EMBER_INFO_CAP_SRIOV);
  STATIC_REQUIRE(EMBER_DEV_CAP_MBOX == EMBER_INFO_CAP_MBOX);
  STATIC_REQUIRE(EMBER_DEV_CAP_TELEMETRY == EMBER_INFO_CAP_TELEMETRY);
  STATIC_REQUIRE(EMBER_DEV_CAP_FAULT == EMBER_INFO_CAP_FAULT);
  STATIC_REQUIRE(EMBER_DEV_CAP_GEMM == EMBER_INFO_CAP_GEMM);
  STATIC_REQUIRE(EMBER_DEV_CAP_VF == EMBER_INFO_CAP_VF);
  STATIC_REQUIRE(EMBER_DEV_IRQ_MSIX == EMBER_INFO_IRQ_MSIX);
  STATIC_REQUIRE(EMBER_DEV_IRQ_SINGLE == EMBER_INFO_IRQ_SINGLE);
  STATIC_REQUIRE(EMBER_DEV_IRQ_POLL == EMBER_INFO_IRQ_POLL);
  STATIC_REQUIRE(EMBER_NNC_FEATURE_CRC == EMBER_MANAGE_FEAT_CRC);
  STATIC_REQUIRE(EMBER_DMA_MAX == EMBER_MANAGE_DMA_MAX);
  STATIC_REQUIRE(EMBER_ECHO_MAX + 8 == EMBER_MANAGE_PT_MAX);
  // Output structs keep their size within ABI 0.
  STATIC_REQUIRE(sizeof(ember_info) == 112);
  STATIC_REQUIRE(sizeof(ember_step) == 24);
  STATIC_REQUIRE(sizeof(ember_resources) == 56);
  STATIC_REQUIRE(sizeof(ember_workload_info) == 96);
  STATIC_REQUIRE(sizeof(ember_nnc_version) == 16);
}

TEST_CASE("the library version is the project VERSION", "[c-abi]") {
  std::uint32_t major = 99;
  std::uint32_t minor = 99;
  std::uint32_t patch = 99;
  REQUIRE(ember_library_version(&major, &minor, &patch) == EMBER_OK);
  CHECK(major == EMBER_VERSION_MAJOR);
  CHECK(minor == EMBER_VERSION_MINOR);
  CHECK(patch == EMBER_VERSION_PATCH);
  const std::string v =
      std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  CHECK(v == ember_version_string());
  CHECK(v == EMBER_VERSION_STRING);
  CHECK(v == EMBER_TEST_PROJECT_VERSION);
  CHECK(ember::version() == v);
}

TEST_CASE("every entry point refuses NULL with EMBER_ERR_INVALID", "[c-abi]") {
  auto owned = std::make_unique<UnreachableBackend>();
  UnreachableBackend *backend = owned.get();
  auto dev =
      std::make_unique<ember_device>(std::move(owned), ember::detail::Candidate{}, ember_info{});
  ember_device *d = dev.get();

  std::uint32_t u32 = 0xdead;
  std::uint64_t u64 = 0xdead;
  std::size_t size = 0xdead;
  int fd = 0xdead;
  ember_device *out = nullptr;
  ember_device_desc desc{};
  ember_info info{};
  ember_nnc_version nnc{};
  ember_resources res{};
  ember_workload_info wl{};
  std::uint8_t bytes[16] = {};
  ember_step step{};
  step.op = EMBER_SLICE_OP_FILL;
  step.dst_kind = EMBER_OPERAND_OUTPUT;
  ember_workload_desc wd{};
  wd.name = "x";
  wd.steps = &step;
  wd.nsteps = 1;
  wd.noutputs = 1;

  CheckNull(ember_library_version(nullptr, &u32, &u32));
  CheckNull(ember_library_version(&u32, nullptr, &u32));
  CheckNull(ember_library_version(&u32, &u32, nullptr));
  CheckNull(ember_device_count(nullptr));
  CheckNull(ember_device_list(nullptr, 4, &size));
  CheckNull(ember_device_list(&desc, 1, nullptr));
  CheckNull(ember_device_open(0, nullptr));
  CheckNull(ember_device_open_bdf(nullptr, &out));
  CheckNull(ember_device_open_bdf("0000:00:03.0", nullptr));
  CheckNull(ember_device_open_path(nullptr, &out));
  CheckNull(ember_device_open_path("/dev/accel/accel0", nullptr));
  CheckNull(ember_device_close(nullptr));
  CheckNull(ember_device_describe(nullptr, &desc));
  CheckNull(ember_device_describe(d, nullptr));
  CheckNull(ember_device_get_info(nullptr, &info));
  CheckNull(ember_device_get_info(d, nullptr));
  CheckNull(ember_device_fd(nullptr, &fd));
  CheckNull(ember_device_fd(d, nullptr));
  CheckNull(ember_manage(nullptr, bytes, 16, 1));
  CheckNull(ember_manage(d, nullptr, 16, 1));
  CheckNull(ember_nnc_status(nullptr, &nnc));
  CheckNull(ember_nnc_status(d, nullptr));
  CheckNull(ember_echo(nullptr, bytes, bytes, 8));
  CheckNull(ember_echo(d, nullptr, bytes, 8));
  CheckNull(ember_echo(d, bytes, nullptr, 8));
  CheckNull(ember_dma_transfer(nullptr, 1, bytes, 8, &u64));
  CheckNull(ember_dma_transfer(d, 1, nullptr, 8, &u64));
  CheckNull(ember_dma_transfer(d, 1, bytes, 8, nullptr));
  CheckNull(ember_workload_validate(nullptr));
  CheckNull(ember_workload_load(nullptr, &wd, &wl));
  CheckNull(ember_workload_load(d, nullptr, &wl));
  CheckNull(ember_workload_load(d, &wd, nullptr));
  CheckNull(ember_workload_load_image(nullptr, &wd, bytes, 8, &wl));
  CheckNull(ember_workload_load_image(d, nullptr, bytes, 8, &wl));
  CheckNull(ember_workload_load_image(d, &wd, nullptr, 8, &wl));
  CheckNull(ember_workload_load_image(d, &wd, bytes, 8, nullptr));
  CheckNull(ember_workload_unload(nullptr, 1));
  CheckNull(ember_query(nullptr, &res));
  CheckNull(ember_query(d, nullptr));
  CheckNull(ember_dbc_activate(nullptr, 256, &u32));
  CheckNull(ember_dbc_activate(d, 256, nullptr));
  CheckNull(ember_dbc_deactivate(nullptr, 1));

  // Nothing was written and no ioctl was issued.
  CHECK(u32 == 0xdead);
  CHECK(u64 == 0xdead);
  CHECK(size == 0xdead);
  CHECK(fd == 0xdead);
  CHECK(out == nullptr);
  CHECK(backend->calls == 0);

  // Functions without pointer arguments never return NULL.
  CHECK(ember_strerror(EMBER_OK) != nullptr);
  CHECK(ember_last_error_message() != nullptr);
  CHECK(ember_version_string() != nullptr);
}

TEST_CASE("argument checks that need no device call", "[c-abi]") {
  auto owned = std::make_unique<UnreachableBackend>();
  UnreachableBackend *backend = owned.get();
  auto dev =
      std::make_unique<ember_device>(std::move(owned), ember::detail::Candidate{}, ember_info{});
  std::uint8_t bytes[8] = {};
  std::uint32_t id = 0;
  std::uint64_t received = 0;
  CHECK(ember_manage(dev.get(), bytes, 0, 1) == EMBER_ERR_INVALID);
  CHECK(ember_manage(dev.get(), bytes, 8, 0) == EMBER_ERR_INVALID);
  CHECK(ember_dbc_activate(dev.get(), 3, &id) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("ring size 3 is not a power of two"));
  CHECK(ember_dbc_activate(dev.get(), 1, &id) == EMBER_ERR_INVALID);
  CHECK(ember_dbc_activate(dev.get(), 0, &id) == EMBER_ERR_INVALID);
  CHECK(ember_dbc_activate(dev.get(), 131072, &id) == EMBER_ERR_INVALID);
  CHECK(ember_dma_transfer(dev.get(), 0, bytes, 8, &received) == EMBER_ERR_INVALID);
  CHECK(ember_dma_transfer(dev.get(), 0x80000000U, bytes, 8, &received) == EMBER_ERR_INVALID);
  CHECK(ember_dma_transfer(dev.get(), 1, bytes, 0, &received) == EMBER_ERR_INVALID);
  CHECK(ember_dma_transfer(dev.get(), 1, bytes, EMBER_DMA_MAX + 1, &received) == EMBER_ERR_INVALID);
  std::vector<std::uint8_t> big(EMBER_ECHO_MAX + 1);
  CHECK(ember_echo(dev.get(), big.data(), big.data(), big.size()) == EMBER_ERR_INVALID);
  int fd = 0;
  CHECK(ember_device_fd(dev.get(), &fd) == EMBER_ERR_UNSUPPORTED);
  CHECK(backend->calls == 0);
}

TEST_CASE("ember::Result behaves like std::expected", "[c-abi][cpp]") {
  const ember::Result<int> ok = 7;
  CHECK(ok);
  CHECK(ok.value() == 7);
  CHECK(*ok == 7);
  CHECK(ok.error().code() == EMBER_OK);

  const ember::Result<int> bad = ember::Error(EMBER_ERR_NOSPC, "no DBC left");
  CHECK_FALSE(bad);
  CHECK(bad.value_or(3) == 3);
  CHECK(bad.error().code() == EMBER_ERR_NOSPC);
  CHECK(bad.error().errno_value() == ENOSPC);
  CHECK(bad.error().what() == "no free device resource: no DBC left");
  try {
    (void)bad.value();
    FAIL("value() of an error did not throw");
  } catch (const ember::BadResultAccess &e) {
    CHECK(e.error().code() == EMBER_ERR_NOSPC);
    CHECK_THAT(e.what(), ContainsSubstring("no DBC left"));
  }

  const ember::Result<void> done;
  CHECK(done);
  CHECK_NOTHROW(done.value());
  const ember::Result<void> failed = ember::Error(EMBER_ERR_IO);
  CHECK_FALSE(failed);
  CHECK_THROWS_AS(failed.value(), ember::BadResultAccess);

  // A moved-from (empty) Device fails cleanly through the NULL checks.
  auto dev = ember::Device::adopt(nullptr);
  CHECK_FALSE(dev);
  const auto q = dev.query();
  REQUIRE_FALSE(q);
  CHECK(q.error().code() == EMBER_ERR_INVALID);
}
