// In-guest tests of libember's data path (C ABI and C++ API) against the
// real driver and device: BOs created, mapped, written and read back;
// slices executed and waited for with the results compared byte for byte
// with a host computation (copy, fill, CRC-32, int8 GEMM); partial
// execution; WAIT timeout on a hung DBC (debugfs "test/fault" dbc_hang) and
// what is busy meanwhile; waits that poll in the waiter (EMBER_WAIT_POLL);
// perf stats; errors mapped to the errno of
// docs/datapath.md; ember::Buffer's RAII and move semantics.
//
// Every device-memory offset lies inside a region of a workload the same
// client loaded (the driver is about to enforce it). Run as root (debugfs).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <ctime>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "accel_test_util.hpp"
#include "ember/ember.h"
#include "ember/ember.hpp"
#include "ember_accel.h"

namespace {

using Catch::Matchers::ContainsSubstring;
using ember_test::Fault;

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kRegion = 4ULL << 20;  // the scratch region of every test
constexpr std::uint32_t kRing = 1024;

std::vector<std::byte> Random(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(0, 255);
  std::vector<std::byte> v(n);
  for (auto &b : v) {
    b = static_cast<std::byte>(d(gen));
  }
  return v;
}

// zlib crc32()
std::uint32_t Crc32(const std::byte *p, std::size_t n) {
  std::uint32_t c = 0xffffffffU;
  for (std::size_t i = 0; i < n; i++) {
    c ^= std::to_integer<std::uint32_t>(p[i]);
    for (int b = 0; b < 8; b++) {
      c = (c & 1U) != 0 ? (c >> 1) ^ 0xedb88320U : c >> 1;
    }
  }
  return c ^ 0xffffffffU;
}

std::uint32_t Le32(const std::byte *p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

std::uint64_t MonotonicNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return (static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL) +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Checks |st| is |want| and stands for |err|, with a message.
void CheckStatus(ember_status st, ember_status want, int err) {
  INFO("status " << ember_strerror(st) << ": " << ember_last_error_message());
  CHECK(st == want);
  CHECK(ember_status_to_errno(st) == err);
  if (st != EMBER_OK) {
    CHECK(std::string(ember_last_error_message()).size() > 0);
  }
}

// ---- C ABI fixtures ----

struct BoDeleter {
  void operator()(ember_bo *bo) const { CHECK(ember_bo_destroy(bo) == EMBER_OK); }
};
using CBo = std::unique_ptr<ember_bo, BoDeleter>;

// One client through the C ABI: a workload with one scratch region and
// an active DBC. BOs must go before it (ember.h).
class CClient {
 public:
  CClient() {
    REQUIRE(ember_device_open(0, &dev_) == EMBER_OK);
    const std::array<std::uint64_t, 1> regions = {kRegion};
    ember_step step{};
    step.op = EMBER_SLICE_OP_FILL;
    step.dst_kind = EMBER_OPERAND_REGION;
    ember_workload_desc desc{};
    desc.name = "umd-data-c";
    desc.region_sizes = regions.data();
    desc.nregions = 1;
    desc.steps = &step;
    desc.nsteps = 1;
    REQUIRE(ember_workload_load(dev_, &desc, &workload_) == EMBER_OK);
    REQUIRE(ember_dbc_activate(dev_, kRing, &dbc_) == EMBER_OK);
  }
  ~CClient() {
    ember_dbc_deactivate(dev_, dbc_);  // may be gone already
    ember_workload_unload(dev_, workload_.workload_id);
    ember_device_close(dev_);
  }
  CClient(const CClient &) = delete;
  CClient &operator=(const CClient &) = delete;
  CClient(CClient &&) = delete;
  CClient &operator=(CClient &&) = delete;

  [[nodiscard]] ember_device *dev() const { return dev_; }
  [[nodiscard]] std::uint32_t dbc() const { return dbc_; }
  // Device-memory offset |off| inside the scratch region.
  [[nodiscard]] std::uint64_t Dev(std::uint64_t off = 0) const {
    return workload_.region_offset[0] + off;
  }
  [[nodiscard]] CBo Bo(std::uint64_t size) const {
    ember_bo *bo = nullptr;
    REQUIRE(ember_bo_create(dev_, size, 0, &bo) == EMBER_OK);
    return CBo(bo);
  }

 private:
  ember_device *dev_ = nullptr;
  ember_workload_info workload_{};
  std::uint32_t dbc_ = 0;
};

std::span<std::byte> Map(ember_bo *bo) {
  void *addr = nullptr;
  std::uint64_t size = 0;
  REQUIRE(ember_bo_mapping(bo, &addr, &size) == EMBER_OK);
  return {static_cast<std::byte *>(addr), static_cast<std::size_t>(size)};
}

ember_slice Copy(std::uint64_t off, std::uint64_t size, std::uint64_t dev, std::uint32_t dir) {
  ember_slice s{};
  s.op = EMBER_SLICE_OP_COPY;
  s.dir = dir;
  s.offset = off;
  s.size = size;
  s.dev_offset = dev;
  return s;
}

ember_status Attach(ember_bo *bo, std::uint32_t dbc, const std::vector<ember_slice> &s) {
  return ember_bo_attach_slices(bo, dbc, s.data(), static_cast<std::uint32_t>(s.size()));
}

// Attach, execute, wait, detach.
void Run(ember_bo *bo, std::uint32_t dbc, const std::vector<ember_slice> &s) {
  REQUIRE(Attach(bo, dbc, s) == EMBER_OK);
  REQUIRE(ember_bo_execute(bo) == EMBER_OK);
  REQUIRE(ember_bo_wait(bo, 5000) == EMBER_OK);
  REQUIRE(ember_bo_detach_slices(bo) == EMBER_OK);
}

// ---- C++ fixtures ----

ember::Device OpenCpp() {
  auto dev = ember::Device::open(0);
  if (!dev) {
    FAIL("ember::Device::open(0): " << dev.error().what());
  }
  return std::move(dev).value();
}

// A client through the C++ API: a workload whose regions hold a GEMM's
// A, B and C plus a scratch region, and an active DBC.
struct CppClient {
  static constexpr std::uint32_t kM = 40;
  static constexpr std::uint32_t kN = 24;
  static constexpr std::uint32_t kK = 72;
  ember::Device dev = OpenCpp();
  ember::Workload workload;
  ember::Dbc dbc;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::uint64_t c = 0;
  std::uint64_t scratch = 0;

  CppClient() {
    ember::WorkloadBuilder builder("umd-data-cpp");
    const auto ra = builder.add_region(std::uint64_t{kM} * kK);
    const auto rb = builder.add_region(std::uint64_t{kK} * kN);
    const auto rc = builder.add_region(std::uint64_t{kM} * kN * 4);
    const auto rs = builder.add_region(kRegion);
    builder.gemm_i8(rc, ra, rb, kM, kN, kK);
    workload = dev.load(builder.build().value()).value();
    const auto off = workload.region_offsets();
    a = off[ra.index()];
    b = off[rb.index()];
    c = off[rc.index()];
    scratch = off[rs.index()];
    dbc = dev.activate_dbc(kRing).value();
  }
  [[nodiscard]] ember::Buffer Buffer(std::uint64_t size) const {
    auto buf = dev.create_buffer(size);
    if (!buf) {
      FAIL("create_buffer(" << size << "): " << buf.error().what());
    }
    return std::move(buf).value();
  }
};

// MMAP_BO of a GEM handle on |fd|: 0 or the errno.
int RawMmapBo(int fd, std::uint32_t handle) {
  drm_ember_mmap_bo m{};
  m.handle = handle;
  return ::ioctl(fd, DRM_IOCTL_EMBER_MMAP_BO, &m) == 0 ? 0 : errno;
}

}  // namespace

// ==== C ABI ====

TEST_CASE("C: a BO is mapped zeroed, written through the mapping and read back") {
  const CClient cl;
  const CBo bo = cl.Bo((3 * kPage) + 100);
  const auto map = Map(bo.get());
  REQUIRE(map.size() == 4 * kPage);  // rounded up to pages
  bool zero = true;
  for (const auto b : map) {
    zero = zero && b == std::byte{0};
  }
  CHECK(zero);
  const auto data = Random(map.size(), 11);
  std::memcpy(map.data(), data.data(), data.size());

  // The same BO through its GEM handle: a second mapping shows the bytes.
  int fd = -1;
  std::uint32_t handle = 0;
  REQUIRE(ember_device_fd(cl.dev(), &fd) == EMBER_OK);
  REQUIRE(ember_bo_handle(bo.get(), &handle) == EMBER_OK);
  CHECK(handle != 0);
  drm_ember_mmap_bo m{};
  m.handle = handle;
  REQUIRE(::ioctl(fd, DRM_IOCTL_EMBER_MMAP_BO, &m) == 0);
  void *p = ::mmap(nullptr, map.size(), PROT_READ, MAP_SHARED, fd, static_cast<off_t>(m.offset));
  REQUIRE(p != MAP_FAILED);
  CHECK(std::memcmp(p, data.data(), data.size()) == 0);
  ::munmap(p, map.size());

  // And through the device: copied into device memory and back into
  // another BO.
  const CBo back = cl.Bo(map.size());
  Run(bo.get(), cl.dbc(), {Copy(0, map.size(), cl.Dev(), EMBER_SLICE_TO_DEV)});
  Run(back.get(), cl.dbc(), {Copy(0, map.size(), cl.Dev(), EMBER_SLICE_FROM_DEV)});
  CHECK(std::memcmp(Map(back.get()).data(), data.data(), data.size()) == 0);
}

TEST_CASE("C: two BOs executed in one call run in order; the bytes come back") {
  const CClient cl;
  // Many pages: the BOs span many DMA segments.
  const std::uint64_t size = (300 * 1024) + 123;
  const auto data = Random(size, 12);
  const CBo in = cl.Bo(size);
  const CBo out = cl.Bo(size);
  std::memcpy(Map(in.get()).data(), data.data(), size);
  // The halves land in device memory swapped and are read back in place.
  const std::uint64_t half = size / 2;
  REQUIRE(Attach(in.get(), cl.dbc(),
                 {Copy(0, half, cl.Dev(size - half), EMBER_SLICE_TO_DEV),
                  Copy(half, size - half, cl.Dev(), EMBER_SLICE_TO_DEV)}) == EMBER_OK);
  REQUIRE(Attach(out.get(), cl.dbc(),
                 {Copy(0, half, cl.Dev(size - half), EMBER_SLICE_FROM_DEV),
                  Copy(half, size - half, cl.Dev(), EMBER_SLICE_FROM_DEV)}) == EMBER_OK);
  for (int run = 0; run < 3; ++run) {
    std::memset(Map(out.get()).data(), 0xee, size);
    const std::array<ember_execute_entry, 2> entries = {{{in.get(), 0, 0}, {out.get(), 0, 0}}};
    REQUIRE(ember_execute(cl.dev(), entries.data(), 2) == EMBER_OK);
    REQUIRE(ember_bo_wait(out.get(), 5000) == EMBER_OK);
    REQUIRE(ember_bo_wait(in.get(), 5000) == EMBER_OK);
    CHECK(std::memcmp(Map(out.get()).data(), data.data(), size) == 0);
  }
  CHECK(ember_bo_detach_slices(in.get()) == EMBER_OK);
  CHECK(ember_bo_detach_slices(out.get()) == EMBER_OK);
}

TEST_CASE("C: a wait with EMBER_WAIT_POLL completes each job with the right bytes") {
  const CClient cl;
  const std::uint64_t size = 3000;
  const auto data = Random(size, 21);
  const CBo in = cl.Bo(size);
  const CBo out = cl.Bo(size);
  std::memcpy(Map(in.get()).data(), data.data(), size);
  REQUIRE(Attach(in.get(), cl.dbc(), {Copy(0, size, cl.Dev(), EMBER_SLICE_TO_DEV)}) == EMBER_OK);
  REQUIRE(Attach(out.get(), cl.dbc(), {Copy(0, size, cl.Dev(), EMBER_SLICE_FROM_DEV)}) == EMBER_OK);
  REQUIRE(ember_bo_execute(in.get()) == EMBER_OK);
  REQUIRE(ember_bo_wait_flags(in.get(), 5000, EMBER_WAIT_POLL) == EMBER_OK);
  for (int run = 0; run < 20; ++run) {  // lone jobs: the waiter finds each completion
    std::memset(Map(out.get()).data(), 0xee, size);
    REQUIRE(ember_bo_execute(out.get()) == EMBER_OK);
    REQUIRE(ember_bo_wait_flags(out.get(), 5000, EMBER_WAIT_POLL) == EMBER_OK);
    REQUIRE(std::memcmp(Map(out.get()).data(), data.data(), size) == 0);
    CHECK(Map(out.get())[size] == std::byte{0});  // nothing past the slice
  }
  // A finished BO: returns at once, with or without the flag.
  CHECK(ember_bo_wait_flags(out.get(), 5000, EMBER_WAIT_POLL) == EMBER_OK);
  CHECK(ember_bo_wait_flags(out.get(), 5000, 0) == EMBER_OK);
  // An unknown flag is refused by libember.
  CHECK(ember_bo_wait_flags(out.get(), 5000, 1U << 7) == EMBER_ERR_INVALID);
  CHECK(ember_bo_detach_slices(in.get()) == EMBER_OK);
  CHECK(ember_bo_detach_slices(out.get()) == EMBER_OK);
}

TEST_CASE("C: execute_wait returns with the bytes in place, one BO or two, polling or not") {
  const CClient cl;
  const std::uint64_t size = 5000;
  const CBo in = cl.Bo(size);
  const CBo out = cl.Bo(size);
  REQUIRE(Attach(in.get(), cl.dbc(), {Copy(0, size, cl.Dev(), EMBER_SLICE_TO_DEV)}) == EMBER_OK);
  REQUIRE(Attach(out.get(), cl.dbc(), {Copy(0, size, cl.Dev(), EMBER_SLICE_FROM_DEV)}) == EMBER_OK);
  for (const std::uint32_t flags : {0U, static_cast<std::uint32_t>(EMBER_WAIT_POLL)}) {
    for (int run = 0; run < 5; ++run) {
      const auto data = Random(size, 40 + run);
      std::memcpy(Map(in.get()).data(), data.data(), size);
      std::memset(Map(out.get()).data(), 0xee, size);
      REQUIRE(ember_bo_execute_wait(in.get(), 5000, flags) == EMBER_OK);
      REQUIRE(ember_bo_execute_wait(out.get(), 5000, flags) == EMBER_OK);
      REQUIRE(std::memcmp(Map(out.get()).data(), data.data(), size) == 0);
      // Both in one call, in order.
      std::memset(Map(out.get()).data(), 0xee, size);
      const std::array<ember_execute_entry, 2> entries = {{{in.get(), 0, 0}, {out.get(), 0, 0}}};
      REQUIRE(ember_execute_wait(cl.dev(), entries.data(), 2, 5000, flags) == EMBER_OK);
      REQUIRE(std::memcmp(Map(out.get()).data(), data.data(), size) == 0);
    }
  }
  // Nothing left queued.
  CHECK(ember_bo_detach_slices(in.get()) == EMBER_OK);
  CHECK(ember_bo_detach_slices(out.get()) == EMBER_OK);
  // An unsliced BO: nothing was queued, execute's error.
  CHECK(ember_bo_execute_wait(in.get(), 5000, 0) == EMBER_ERR_INVALID);
}

TEST_CASE("C: FILL of device memory and of a BO, and CRC32, match the host") {
  const CClient cl;
  const std::uint64_t n = 50000;
  const auto data = Random(n, 13);
  const CBo bo = cl.Bo(std::uint64_t{256} * 1024);
  const auto map = Map(bo.get());
  std::memcpy(map.data(), data.data(), n);

  std::vector<ember_slice> s;
  s.push_back(Copy(0, n, cl.Dev(), EMBER_SLICE_TO_DEV));
  ember_slice crc{};
  crc.op = EMBER_SLICE_OP_CRC32;
  crc.dir = EMBER_SLICE_FROM_DEV;
  crc.offset = 100000;
  crc.size = 4;
  crc.dev_offset = cl.Dev();
  crc.dev_aux = n;
  s.push_back(crc);
  ember_slice fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dir = EMBER_SLICE_TO_DEV;
  fill.size = 7000;
  fill.dev_offset = cl.Dev(kPage * 64);
  fill.dev_aux = 0x5a;
  s.push_back(fill);
  s.push_back(Copy(120000, 7000, cl.Dev(kPage * 64), EMBER_SLICE_FROM_DEV));
  ember_slice fill_bo{};
  fill_bo.op = EMBER_SLICE_OP_FILL;
  fill_bo.dir = EMBER_SLICE_FROM_DEV;
  fill_bo.offset = 200000;
  fill_bo.size = 3000;
  fill_bo.dev_aux = 0xa5;
  s.push_back(fill_bo);
  Run(bo.get(), cl.dbc(), s);

  CHECK(Le32(map.data() + 100000) == Crc32(data.data(), n));
  bool fill_ok = true;
  for (std::uint64_t i = 0; i < 7000; ++i) {
    fill_ok = fill_ok && map[120000 + i] == std::byte{0x5a};
  }
  CHECK(fill_ok);
  CHECK(map[127000] == std::byte{0});
  bool fill_bo_ok = true;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    fill_bo_ok = fill_bo_ok && map[200000 + i] == std::byte{0xa5};
  }
  CHECK(fill_bo_ok);
  CHECK(map[203000] == std::byte{0});
  CHECK(std::memcmp(map.data(), data.data(), n) == 0);
}

TEST_CASE("C: partial execute moves only the first resize bytes") {
  const CClient cl;
  const CBo filler = cl.Bo(kPage);
  ember_slice fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dir = EMBER_SLICE_TO_DEV;
  fill.size = 3 * kPage;
  fill.dev_offset = cl.Dev();
  fill.dev_aux = 0x77;
  Run(filler.get(), cl.dbc(), {fill});

  const CBo bo = cl.Bo(3 * kPage);
  const auto map = Map(bo.get());
  REQUIRE(Attach(bo.get(), cl.dbc(), {Copy(0, 3 * kPage, cl.Dev(), EMBER_SLICE_FROM_DEV)}) ==
          EMBER_OK);
  // resize belongs to partial execute, and must fit the BO.
  std::array<ember_execute_entry, 1> e = {{{bo.get(), 5000, 0}}};
  CheckStatus(ember_execute(cl.dev(), e.data(), 1), EMBER_ERR_INVALID, EINVAL);
  CheckStatus(ember_bo_partial_execute(bo.get(), (3 * kPage) + 1), EMBER_ERR_INVALID, EINVAL);

  REQUIRE(ember_partial_execute(cl.dev(), e.data(), 1) == EMBER_OK);
  REQUIRE(ember_bo_wait(bo.get(), 5000) == EMBER_OK);
  CHECK(map[0] == std::byte{0x77});
  CHECK(map[4999] == std::byte{0x77});
  CHECK(map[5000] == std::byte{0});
  CHECK(map[(3 * kPage) - 1] == std::byte{0});
  // resize 0: the whole BO.
  REQUIRE(ember_bo_partial_execute(bo.get(), 0) == EMBER_OK);
  REQUIRE(ember_bo_wait(bo.get(), 5000) == EMBER_OK);
  CHECK(map[5000] == std::byte{0x77});
  CHECK(map[(3 * kPage) - 1] == std::byte{0x77});
}

TEST_CASE("C: WAIT times out on a hung DBC; detach and execute are busy until it completes") {
  const CClient cl;
  const CBo bo = cl.Bo(kPage);
  const auto map = Map(bo.get());
  std::memset(map.data(), 0x3c, kPage);
  const CBo back = cl.Bo(kPage);
  REQUIRE(Attach(bo.get(), cl.dbc(), {Copy(0, kPage, cl.Dev(), EMBER_SLICE_TO_DEV)}) == EMBER_OK);
  REQUIRE(Attach(back.get(), cl.dbc(), {Copy(0, kPage, cl.Dev(), EMBER_SLICE_FROM_DEV)}) ==
          EMBER_OK);
  {
    const Fault hang("dbc_hang", 1U << cl.dbc());
    REQUIRE(ember_bo_execute(bo.get()) == EMBER_OK);
    REQUIRE(ember_bo_execute(back.get()) == EMBER_OK);
    CheckStatus(ember_bo_wait(bo.get(), 200), EMBER_ERR_TIMEDOUT, ETIMEDOUT);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("200 ms"));
    CheckStatus(ember_bo_detach_slices(bo.get()), EMBER_ERR_BUSY, EBUSY);
    CheckStatus(ember_bo_execute(bo.get()), EMBER_ERR_BUSY, EBUSY);
    CheckStatus(ember_bo_wait(back.get(), 100), EMBER_ERR_TIMEDOUT, ETIMEDOUT);
  }
  // Released: both complete, in order.
  CHECK(ember_bo_wait(bo.get(), 5000) == EMBER_OK);
  CHECK(ember_bo_wait(back.get(), 5000) == EMBER_OK);
  CHECK(Map(back.get())[kPage - 1] == std::byte{0x3c});
  CHECK(ember_bo_detach_slices(bo.get()) == EMBER_OK);
}

TEST_CASE("C: perf stats of an execution are plausible") {
  const CClient cl;
  const CBo bo = cl.Bo(kPage);
  ember_perf_stats st{};
  st.reserved0 = 1;
  REQUIRE(ember_bo_perf_stats(bo.get(), &st) == EMBER_OK);
  CHECK(st.submit_ts == 0);  // never executed
  CHECK(st.done_ts == 0);
  CHECK(st.device_ns == 0);
  CHECK(st.reserved0 == 0);

  // One request on an idle DBC.
  REQUIRE(Attach(bo.get(), cl.dbc(), {Copy(0, kPage, cl.Dev(), EMBER_SLICE_TO_DEV)}) == EMBER_OK);
  ember_perf_stats prev{};
  for (int run = 0; run < 2; ++run) {
    const std::uint64_t before = MonotonicNs();
    REQUIRE(ember_bo_execute(bo.get()) == EMBER_OK);
    const std::uint64_t after = MonotonicNs();
    REQUIRE(ember_bo_wait(bo.get(), 5000) == EMBER_OK);
    REQUIRE(ember_bo_perf_stats(bo.get(), &st) == EMBER_OK);
    CHECK(st.submit_ts >= before);  // the host clock at EXECUTE
    CHECK(st.submit_ts <= after);
    CHECK(st.done_ts != 0);  // the device clock
    CHECK(st.device_ns <= st.done_ts);
    CHECK(st.queue_level == 0);  // nothing else was in the ring
    CHECK(st.reserved0 == 0);
    CHECK(st.reserved[0] == 0);
    if (run > 0) {
      CHECK(st.submit_ts > prev.submit_ts);
      CHECK(st.done_ts >= prev.done_ts);
    }
    prev = st;
  }
}

TEST_CASE("C: errors map to the documented errno") {
  const CClient cl;
  const CBo bo = cl.Bo(kPage);
  const CBo unsliced = cl.Bo(kPage);
  const std::vector<ember_slice> ok = {Copy(0, kPage, cl.Dev(), EMBER_SLICE_TO_DEV)};

  SECTION("a BO that is not sliced") {
    CheckStatus(ember_bo_execute(unsliced.get()), EMBER_ERR_INVALID, EINVAL);
    CheckStatus(ember_bo_wait(unsliced.get(), 100), EMBER_ERR_INVALID, EINVAL);
    CheckStatus(ember_bo_detach_slices(unsliced.get()), EMBER_ERR_INVALID, EINVAL);
    CheckStatus(ember_bo_partial_execute(unsliced.get(), 100), EMBER_ERR_INVALID, EINVAL);
    // A failed call queues nothing: the sliced BO of the pair is idle.
    REQUIRE(Attach(bo.get(), cl.dbc(), ok) == EMBER_OK);
    const std::array<ember_execute_entry, 2> e = {{{bo.get(), 0, 0}, {unsliced.get(), 0, 0}}};
    CheckStatus(ember_execute(cl.dev(), e.data(), 2), EMBER_ERR_INVALID, EINVAL);
    CHECK(ember_bo_detach_slices(bo.get()) == EMBER_OK);
  }
  SECTION("slicing: bad DBC, already sliced, malformed slices, bad counts") {
    CheckStatus(Attach(bo.get(), 0xffffU, ok), EMBER_ERR_NOENT, ENOENT);
    REQUIRE(Attach(bo.get(), cl.dbc(), ok) == EMBER_OK);
    CheckStatus(Attach(bo.get(), cl.dbc(), ok), EMBER_ERR_BUSY, EBUSY);
    CheckStatus(ember_bo_attach_slices(unsliced.get(), cl.dbc(), ok.data(), 0), EMBER_ERR_INVALID,
                EINVAL);
    CheckStatus(
        Attach(unsliced.get(), cl.dbc(), {Copy(0, kPage + 1, cl.Dev(), EMBER_SLICE_TO_DEV)}),
        EMBER_ERR_INVALID, EINVAL);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("slice 0 (COPY TO_DEV)"));
    ember_info info{};
    REQUIRE(ember_device_get_info(cl.dev(), &info) == EMBER_OK);
    CheckStatus(Attach(unsliced.get(), cl.dbc(),
                       {ok[0], Copy(0, kPage, info.devmem_size - 100, EMBER_SLICE_TO_DEV)}),
                EMBER_ERR_INVALID, EINVAL);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("slice 1"));
    // More requests than the ring holds: only the driver knows.
    std::vector<ember_slice> many(kRing, Copy(0, 64, cl.Dev(), EMBER_SLICE_TO_DEV));
    CheckStatus(Attach(unsliced.get(), cl.dbc(), many), EMBER_ERR_INVALID, EINVAL);
    CHECK(ember_bo_detach_slices(bo.get()) == EMBER_OK);
  }
  SECTION("a handle the kernel does not know") {
    // Close the GEM handle behind libember's back.
    int fd = -1;
    std::uint32_t handle = 0;
    REQUIRE(ember_device_fd(cl.dev(), &fd) == EMBER_OK);
    ember_bo *raw = nullptr;
    REQUIRE(ember_bo_create(cl.dev(), kPage, 0, &raw) == EMBER_OK);
    REQUIRE(ember_bo_handle(raw, &handle) == EMBER_OK);
    drm_gem_close close{};
    close.handle = handle;
    REQUIRE(::ioctl(fd, DRM_IOCTL_GEM_CLOSE, &close) == 0);
    CheckStatus(ember_bo_wait(raw, 100), EMBER_ERR_NOENT, ENOENT);
    CheckStatus(ember_bo_execute(raw), EMBER_ERR_NOENT, ENOENT);
    CheckStatus(Attach(raw, cl.dbc(), ok), EMBER_ERR_NOENT, ENOENT);
    CheckStatus(ember_bo_detach_slices(raw), EMBER_ERR_NOENT, ENOENT);
    ember_perf_stats st{};
    CheckStatus(ember_bo_perf_stats(raw, &st), EMBER_ERR_NOENT, ENOENT);
    // GEM_CLOSE fails now, and the BO is released anyway.
    CheckStatus(ember_bo_destroy(raw), EMBER_ERR_INVALID, EINVAL);
  }
  SECTION("a BO of another device handle, twice in one call, bad create arguments") {
    ember_device *other = nullptr;
    REQUIRE(ember_device_open(0, &other) == EMBER_OK);
    ember_bo *theirs = nullptr;
    REQUIRE(ember_bo_create(other, kPage, 0, &theirs) == EMBER_OK);
    const std::array<ember_execute_entry, 1> e = {{{theirs, 0, 0}}};
    CheckStatus(ember_execute(cl.dev(), e.data(), 1), EMBER_ERR_INVALID, EINVAL);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("another device handle"));
    CHECK(ember_bo_destroy(theirs) == EMBER_OK);
    CHECK(ember_device_close(other) == EMBER_OK);

    REQUIRE(Attach(bo.get(), cl.dbc(), ok) == EMBER_OK);
    const std::array<ember_execute_entry, 2> twice = {{{bo.get(), 0, 0}, {bo.get(), 0, 0}}};
    CheckStatus(ember_execute(cl.dev(), twice.data(), 2), EMBER_ERR_INVALID, EINVAL);
    CheckStatus(ember_execute(cl.dev(), twice.data(), 0), EMBER_ERR_INVALID, EINVAL);
    CHECK(ember_bo_detach_slices(bo.get()) == EMBER_OK);

    ember_bo *none = nullptr;
    CheckStatus(ember_bo_create(cl.dev(), 0, 0, &none), EMBER_ERR_INVALID, EINVAL);
    CheckStatus(ember_bo_create(cl.dev(), kPage, 1, &none), EMBER_ERR_INVALID, EINVAL);
    CheckStatus(ember_bo_create(cl.dev(), EMBER_BO_SIZE_MAX + 1, 0, &none), EMBER_ERR_INVALID,
                EINVAL);
    CHECK(none == nullptr);
  }
  SECTION("another client's DBC is EPERM") {
    ember_device *other = nullptr;
    REQUIRE(ember_device_open(0, &other) == EMBER_OK);
    std::uint32_t theirs = 0;
    REQUIRE(ember_dbc_activate(other, 64, &theirs) == EMBER_OK);
    CheckStatus(Attach(bo.get(), theirs, ok), EMBER_ERR_PERM, EPERM);
    CHECK(ember_dbc_deactivate(other, theirs) == EMBER_OK);
    CHECK(ember_device_close(other) == EMBER_OK);
  }
  SECTION("deactivating the DBC cancels a queued execution") {
    REQUIRE(Attach(bo.get(), cl.dbc(), ok) == EMBER_OK);
    {
      const Fault hang("dbc_hang", 1U << cl.dbc());
      REQUIRE(ember_bo_execute(bo.get()) == EMBER_OK);
      REQUIRE(ember_dbc_deactivate(cl.dev(), cl.dbc()) == EMBER_OK);
    }
    CheckStatus(ember_bo_wait(bo.get(), 5000), EMBER_ERR_CANCELED, ECANCELED);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("deactivated or reset"));
    CheckStatus(ember_bo_execute(bo.get()), EMBER_ERR_NOENT, ENOENT);
    CHECK(ember_bo_detach_slices(bo.get()) == EMBER_OK);
  }
}

// ==== C++ API ====

TEST_CASE("C++: Buffer maps the BO as a span; GEMM and CRC-32 of random data match the host") {
  CppClient cl;
  constexpr std::uint32_t m = CppClient::kM;
  constexpr std::uint32_t n = CppClient::kN;
  constexpr std::uint32_t k = CppClient::kK;
  const std::uint64_t c_bytes = std::uint64_t{m} * n * 4;
  ember::Buffer in = cl.Buffer(kPage * 2);
  ember::Buffer out = cl.Buffer(c_bytes + 4);
  const std::span<std::byte> bytes = in.bytes();
  REQUIRE(bytes.size() == in.size());
  REQUIRE(in.size() == kPage * 2);
  CHECK(in.gem_handle() != 0);
  CHECK(in.handle() != nullptr);
  const auto a = Random(std::size_t{m} * k, 21);
  const auto b = Random(std::size_t{k} * n, 22);
  std::memcpy(bytes.data(), a.data(), a.size());
  std::memcpy(bytes.data() + kPage, b.data(), b.size());

  REQUIRE(in.attach_slices(cl.dbc, {ember::slice::copy_to_device(0, a.size(), cl.a),
                                    ember::slice::copy_to_device(kPage, b.size(), cl.b),
                                    ember::slice::gemm_i8(cl.a, cl.b, cl.c, m, n, k)}));
  const std::array<ember::Slice, 2> back = {ember::slice::copy_from_device(0, c_bytes, cl.c),
                                            ember::slice::crc32(c_bytes, cl.c, c_bytes)};
  REQUIRE(out.attach_slices(cl.dbc, back));
  REQUIRE(cl.dev.execute({in, out}));
  REQUIRE(out.wait(std::chrono::seconds(5)));
  REQUIRE(in.wait(std::chrono::seconds(5)));

  std::vector<std::byte> expect(c_bytes);
  for (std::uint32_t i = 0; i < m; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) {
      std::uint32_t sum = 0;
      for (std::uint32_t x = 0; x < k; ++x) {
        sum += static_cast<std::uint32_t>(static_cast<std::int8_t>(a[(i * k) + x]) *
                                          static_cast<std::int8_t>(b[(x * n) + j]));
      }
      std::memcpy(&expect[((std::size_t{i} * n) + j) * 4], &sum, 4);
    }
  }
  CHECK(std::memcmp(out.bytes().data(), expect.data(), c_bytes) == 0);
  CHECK(Le32(out.bytes().data() + c_bytes) == Crc32(expect.data(), c_bytes));

  const auto st = out.perf_stats();
  REQUIRE(st);
  CHECK(st->submit_ts != 0);
  CHECK(st->done_ts != 0);
  CHECK(in.detach_slices());
  CHECK(out.detach_slices());
}

TEST_CASE("C++: fill_device, fill_buffer, partial_execute and wait's errors") {
  CppClient cl;
  ember::Buffer bo = cl.Buffer(3 * kPage);
  REQUIRE(bo.attach_slices(cl.dbc, {ember::slice::fill_device(cl.scratch, 3 * kPage, 0x42),
                                    ember::slice::copy_from_device(0, 3 * kPage, cl.scratch),
                                    ember::slice::fill_buffer(kPage, 16, 0x99)}));
  REQUIRE(bo.partial_execute(100));
  REQUIRE(bo.wait());
  CHECK(bo.bytes()[99] == std::byte{0x42});
  CHECK(bo.bytes()[100] == std::byte{0});
  CHECK(bo.bytes()[kPage] == std::byte{0});  // the fill lies beyond the resize
  REQUIRE(cl.dev.partial_execute({{bo, 0}}));
  REQUIRE(bo.wait(std::chrono::milliseconds(5000)));
  CHECK(bo.bytes()[100] == std::byte{0x42});
  CHECK(bo.bytes()[kPage] == std::byte{0x99});
  CHECK(bo.bytes()[kPage + 16] == std::byte{0x42});

  const auto negative = bo.wait(std::chrono::milliseconds(-1));
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code() == EMBER_ERR_INVALID);
  {
    const Fault hang("dbc_hang", 1U << cl.dbc.id());
    REQUIRE(bo.execute());
    const auto late = bo.wait(std::chrono::milliseconds(150));
    REQUIRE_FALSE(late);
    CHECK(late.error().errno_value() == ETIMEDOUT);
    const auto busy = bo.detach_slices();
    REQUIRE_FALSE(busy);
    CHECK(busy.error().errno_value() == EBUSY);
    CHECK_THAT(busy.error().what(), ContainsSubstring("still queued"));
  }
  CHECK(bo.wait(std::chrono::seconds(5)));
  CHECK(bo.detach_slices());
  const auto unsliced = bo.execute();
  REQUIRE_FALSE(unsliced);
  CHECK(unsliced.error().errno_value() == EINVAL);
}

TEST_CASE("C++: wait(timeout, WaitFlags::poll) completes jobs with the right bytes") {
  CppClient cl;
  const std::uint64_t size = 2 * kPage;
  const auto data = Random(size, 22);
  ember::Buffer in = cl.Buffer(size);
  ember::Buffer out = cl.Buffer(size);
  std::memcpy(in.bytes().data(), data.data(), size);
  REQUIRE(in.attach_slices(cl.dbc, {ember::slice::copy_to_device(0, size, cl.scratch)}));
  REQUIRE(out.attach_slices(cl.dbc, {ember::slice::copy_from_device(0, size, cl.scratch)}));
  for (int run = 0; run < 10; ++run) {
    std::memset(out.bytes().data(), 0xee, size);
    REQUIRE(cl.dev.execute({in, out}));
    REQUIRE(out.wait(std::chrono::seconds(5), ember::WaitFlags::poll));
    REQUIRE(in.wait(std::chrono::seconds(5), ember::WaitFlags::poll));
    REQUIRE(std::memcmp(out.bytes().data(), data.data(), size) == 0);
  }
}

TEST_CASE("C++: execute_wait on a Buffer and on the Device returns with the bytes in place") {
  CppClient cl;
  const std::uint64_t size = 2 * kPage;
  ember::Buffer in = cl.Buffer(size);
  ember::Buffer out = cl.Buffer(size);
  REQUIRE(in.attach_slices(cl.dbc, {ember::slice::copy_to_device(0, size, cl.scratch)}));
  REQUIRE(out.attach_slices(cl.dbc, {ember::slice::copy_from_device(0, size, cl.scratch)}));
  for (int run = 0; run < 5; ++run) {
    const auto data = Random(size, 50 + run);
    std::memcpy(in.bytes().data(), data.data(), size);
    std::memset(out.bytes().data(), 0xee, size);
    REQUIRE(in.execute_wait(std::chrono::seconds(5)));
    REQUIRE(out.execute_wait(std::chrono::seconds(5), ember::WaitFlags::poll));
    REQUIRE(std::memcmp(out.bytes().data(), data.data(), size) == 0);
    std::memset(out.bytes().data(), 0xee, size);
    REQUIRE(cl.dev.execute_wait({in, out}));
    REQUIRE(std::memcmp(out.bytes().data(), data.data(), size) == 0);
  }
  REQUIRE(in.detach_slices());
  const auto unsliced = in.execute_wait();
  REQUIRE_FALSE(unsliced);
  CHECK(unsliced.error().errno_value() == EINVAL);
}

TEST_CASE("C++: Buffer is movable, not copyable, and closes its BO exactly once") {
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<ember::Buffer>);
  STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<ember::Buffer>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<ember::Buffer>);
  STATIC_REQUIRE(std::is_nothrow_move_assignable_v<ember::Buffer>);

  CppClient cl;
  const int fd = cl.dev.fd().value();
  ember::Buffer a = cl.Buffer(kPage);
  std::memset(a.bytes().data(), 0x11, kPage);
  const std::byte *where = a.bytes().data();
  const std::uint32_t handle = a.gem_handle();

  // Move construction: the BO and its mapping move; the source is empty.
  ember::Buffer b(std::move(a));
  CHECK(b.bytes().data() == where);
  CHECK(b.gem_handle() == handle);
  CHECK_FALSE(a);                  // NOLINT(bugprone-use-after-move): testing the moved-from state
  CHECK(a.bytes().empty());        // NOLINT(bugprone-use-after-move)
  CHECK(a.size() == 0);            // NOLINT(bugprone-use-after-move)
  const auto empty = a.execute();  // NOLINT(bugprone-use-after-move)
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code() == EMBER_ERR_INVALID);
  CHECK(RawMmapBo(fd, handle) == 0);  // still open

  // Move assignment closes the BO it replaces.
  ember::Buffer c = cl.Buffer(kPage);
  const std::uint32_t replaced = c.gem_handle();
  c = std::move(b);
  CHECK(RawMmapBo(fd, replaced) == ENOENT);
  CHECK(c.gem_handle() == handle);
  CHECK(c.bytes()[kPage - 1] == std::byte{0x11});
  REQUIRE(c.attach_slices(cl.dbc, {ember::slice::copy_to_device(0, kPage, cl.scratch)}));
  REQUIRE(c.execute());
  REQUIRE(c.wait());

  // Destruction closes it.
  { const ember::Buffer gone = std::move(c); }
  CHECK(RawMmapBo(fd, handle) == ENOENT);

  // A buffer keeps the client open after its Device object is gone.
  ember::Buffer last = cl.Buffer(kPage);
  { const ember::Device dropped = std::move(cl.dev); }
  REQUIRE(last.attach_slices(cl.dbc, {ember::slice::copy_from_device(0, kPage, cl.scratch)}));
  REQUIRE(last.execute());
  REQUIRE(last.wait());
  CHECK(last.bytes()[0] == std::byte{0x11});
}

TEST_CASE("C++: a buffer destroyed while queued, then the device still works") {
  CppClient cl;
  {
    ember::Buffer queued = cl.Buffer(kPage);
    REQUIRE(queued.attach_slices(cl.dbc, {ember::slice::copy_to_device(0, kPage, cl.scratch)}));
    const Fault hang("dbc_hang", 1U << cl.dbc.id());
    REQUIRE(queued.execute());
  }  // destroyed while queued; then the DBC runs again
  ember::Buffer bo = cl.Buffer(kPage);
  REQUIRE(bo.attach_slices(cl.dbc, {ember::slice::fill_buffer(0, kPage, 0x66)}));
  REQUIRE(bo.execute());
  REQUIRE(bo.wait(std::chrono::seconds(5)));
  CHECK(bo.bytes()[kPage - 1] == std::byte{0x66});
}

TEST_CASE("C++: several threads submit on one device at once") {
  CppClient cl;
  constexpr int kThreads = 3;
  constexpr int kRuns = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cl, &failures, t] {
      auto in = cl.dev.create_buffer(kPage);
      auto out = cl.dev.create_buffer(kPage);
      const std::uint64_t dev = cl.scratch + (kPage * static_cast<std::uint64_t>(t));
      if (!in || !out ||
          !in->attach_slices(cl.dbc, {ember::slice::copy_to_device(0, kPage, dev)}) ||
          !out->attach_slices(cl.dbc, {ember::slice::copy_from_device(0, kPage, dev)})) {
        ++failures;
        return;
      }
      for (int run = 0; run < kRuns; ++run) {
        const auto value = static_cast<std::byte>((t * 50) + run);
        std::memset(in->bytes().data(), std::to_integer<int>(value), kPage);
        if (!cl.dev.execute({*in, *out}) || !out->wait(std::chrono::seconds(5)) ||
            !in->wait(std::chrono::seconds(5)) || out->bytes()[kPage - 1] != value) {
          ++failures;
        }
      }
    });
  }
  for (auto &th : threads) {
    th.join();
  }
  CHECK(failures.load() == 0);
}

TEST_CASE("C++: slice makers fill the documented fields") {
  constexpr ember::Slice g = ember::slice::gemm_i8(1, 2, 3, 4, 5, 6);
  STATIC_REQUIRE(g.op == EMBER_SLICE_OP_GEMM_I8);
  STATIC_REQUIRE(g.dir == EMBER_SLICE_TO_DEV);
  STATIC_REQUIRE(g.dev_offset == 1);
  STATIC_REQUIRE(g.dev_aux == 2);
  STATIC_REQUIRE(g.dev_out == 3);
  STATIC_REQUIRE(g.offset == 0);
  STATIC_REQUIRE(g.size == 0);
  constexpr ember::Slice c = ember::slice::crc32(8, 4096, 100);
  STATIC_REQUIRE(c.size == 4);
  STATIC_REQUIRE(c.dir == EMBER_SLICE_FROM_DEV);
  STATIC_REQUIRE(c.dev_aux == 100);
  // And the driver agrees: none of them is refused for its shape.
  CppClient cl;
  ember::Buffer bo = cl.Buffer(kPage);
  REQUIRE(bo.attach_slices(
      cl.dbc,
      {ember::slice::copy_to_device(0, 64, cl.scratch),
       ember::slice::copy_from_device(64, 64, cl.scratch),
       ember::slice::fill_device(cl.scratch, 64, 1), ember::slice::fill_buffer(128, 64, 2),
       ember::slice::crc32(192, cl.scratch, 64),
       ember::slice::gemm_i8(cl.a, cl.b, cl.c, CppClient::kM, CppClient::kN, CppClient::kK)}));
  REQUIRE(bo.execute());
  REQUIRE(bo.wait());
}
