// libember data path against a fake kernel: slices are checked on the
// host by the documented rules (naming the slice and the rule), the C ABI
// builds the data-path ioctls exactly as the kernel expects them, cleans
// up after partial failures, maps every errno to its status with a hint,
// never retries EAGAIN, and the C++ Buffer unmaps and closes its BO
// exactly once across moves.
#include <sys/mman.h>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "buffer.hpp"
#include "device.hpp"
#include "ember/ember.h"
#include "ember/ember.hpp"
#include "ember_accel.h"

namespace {

using Catch::Matchers::ContainsSubstring;
using ember::detail::CheckSlice;

constexpr std::uint64_t kDevmem = 1 << 20;

// What the fake kernel saw, and knobs; outlives the device handle.
struct KernelState {
  std::mutex mu;
  std::uint32_t next_handle = 1;
  std::map<std::uint32_t, std::uint64_t> bos;  // handle -> size asked
  std::vector<std::uint32_t> closed;
  std::vector<std::pair<std::uint64_t, std::size_t>> maps;  // offset, size
  std::vector<std::span<std::byte>> unmapped;
  std::vector<drm_ember_attach_slice_bo> attaches;
  std::vector<std::vector<drm_ember_slice>> slices;
  std::vector<std::pair<bool, std::vector<drm_ember_execute_entry>>> executes;
  std::vector<drm_ember_execute_bo> execute_args;  // flags, timeout_ms, pad
  std::vector<drm_ember_wait_bo> waits;
  int perf_calls = 0;
  std::vector<std::uint32_t> detached;

  // Knobs: the errno the next call of that kind fails with.
  int create_errno = 0;
  int mmap_bo_errno = 0;
  int map_errno = 0;
  int attach_errno = 0;
  int execute_errno = 0;
  int wait_errno = 0;
  int perf_errno = 0;
  int detach_errno = 0;

  int CallsOf(const std::vector<std::uint32_t> &v, std::uint32_t h) {
    int n = 0;
    for (const auto x : v) {
      n += x == h ? 1 : 0;
    }
    return n;
  }
};

class FakeKernel final : public ember::detail::Backend {
 public:
  explicit FakeKernel(std::shared_ptr<KernelState> st) : st_(std::move(st)) {}
  int Manage(drm_ember_manage_msg & /*msg*/) override { return ENOTTY; }
  int GetInfo(drm_ember_get_info &info) override {
    info = drm_ember_get_info{};
    return 0;
  }
  [[nodiscard]] int Fd() const override { return -1; }

  int CreateBo(drm_ember_create_bo &args) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    if (const int err = std::exchange(st_->create_errno, 0); err != 0) {
      return err;
    }
    args.handle = st_->next_handle++;
    st_->bos[args.handle] = args.size;
    return 0;
  }
  int MmapBo(drm_ember_mmap_bo &args) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    if (const int err = std::exchange(st_->mmap_bo_errno, 0); err != 0) {
      return err;
    }
    if (st_->bos.count(args.handle) == 0) {
      return ENOENT;
    }
    args.offset = std::uint64_t{args.handle} << 32;
    return 0;
  }
  int CloseBo(std::uint32_t handle) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    st_->closed.push_back(handle);
    return st_->bos.erase(handle) == 1 ? 0 : EINVAL;
  }
  int Map(std::uint64_t offset, std::size_t size, std::span<std::byte> &out) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    if (const int err = std::exchange(st_->map_errno, 0); err != 0) {
      return err;
    }
    void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return errno;
    }
    st_->maps.emplace_back(offset, size);
    out = {static_cast<std::byte *>(p), size};
    return 0;
  }
  void Unmap(std::span<std::byte> mapping) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    if (!mapping.empty()) {
      ::munmap(mapping.data(), mapping.size());
      st_->unmapped.push_back(mapping);
    }
  }
  int AttachSliceBo(drm_ember_attach_slice_bo &args) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    st_->attaches.push_back(args);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the kernel gets a user pointer too
    const auto *s = reinterpret_cast<const drm_ember_slice *>(args.slices);
    st_->slices.emplace_back(s, s + args.count);
    return std::exchange(st_->attach_errno, 0);
  }
  int ExecuteBo(drm_ember_execute_bo &args, bool partial) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the kernel gets a user pointer too
    const auto *e = reinterpret_cast<const drm_ember_execute_entry *>(args.entries);
    st_->executes.emplace_back(partial, std::vector<drm_ember_execute_entry>(e, e + args.count));
    st_->execute_args.push_back(args);
    return std::exchange(st_->execute_errno, 0);
  }
  int WaitBo(drm_ember_wait_bo &args) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    st_->waits.push_back(args);
    return std::exchange(st_->wait_errno, 0);
  }
  int PerfStatsBo(drm_ember_perf_stats_bo &args) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    ++st_->perf_calls;
    if (const int err = std::exchange(st_->perf_errno, 0); err != 0) {
      return err;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the kernel gets a user pointer too
    auto *e = reinterpret_cast<drm_ember_perf_stats_entry *>(args.entries);
    for (std::uint32_t i = 0; i < args.count; ++i) {
      e[i].submit_ts = 1000 + e[i].handle;
      e[i].device_ns = 20;
      e[i].done_ts = 3000;
      e[i].queue_level = 4;
    }
    return 0;
  }
  int DetachSliceBo(drm_ember_detach_slice_bo &args) override {
    const std::lock_guard<std::mutex> lock(st_->mu);
    st_->detached.push_back(args.handle);
    return std::exchange(st_->detach_errno, 0);
  }

 private:
  std::shared_ptr<KernelState> st_;
};

std::unique_ptr<ember_device> MakeDevice(const std::shared_ptr<KernelState> &st,
                                         std::uint32_t abi_minor = EMBER_ABI_MINOR) {
  ember_info info{};
  info.abi_major = EMBER_ABI_MAJOR;
  info.abi_minor = abi_minor;
  info.devmem_size = kDevmem;
  return std::make_unique<ember_device>(std::make_unique<FakeKernel>(st),
                                        ember::detail::Candidate{}, info);
}

// A backend that keeps Backend's data-path defaults.
class ControlOnly final : public ember::detail::Backend {
 public:
  int Manage(drm_ember_manage_msg & /*msg*/) override { return ENOTTY; }
  int GetInfo(drm_ember_get_info & /*info*/) override { return ENOTTY; }
  [[nodiscard]] int Fd() const override { return -1; }
};

ember_slice Copy(std::uint64_t off, std::uint64_t size, std::uint64_t dev, std::uint32_t dir) {
  ember_slice s{};
  s.op = EMBER_SLICE_OP_COPY;
  s.dir = dir;
  s.offset = off;
  s.size = size;
  s.dev_offset = dev;
  return s;
}

struct BoDeleter {
  void operator()(ember_bo *bo) const { ember_bo_destroy(bo); }
};
using CBo = std::unique_ptr<ember_bo, BoDeleter>;

CBo Create(ember_device *dev, std::uint64_t size) {
  ember_bo *bo = nullptr;
  REQUIRE(ember_bo_create(dev, size, 0, &bo) == EMBER_OK);
  return CBo(bo);
}

std::uint32_t Handle(ember_bo *bo) {
  std::uint32_t h = 0;
  REQUIRE(ember_bo_handle(bo, &h) == EMBER_OK);
  return h;
}

}  // namespace

TEST_CASE("data-path structs and limits mirror the uAPI", "[buffer]") {
  STATIC_REQUIRE(sizeof(ember_slice) == sizeof(drm_ember_slice));
  STATIC_REQUIRE(sizeof(ember_slice) == 64);
  STATIC_REQUIRE(sizeof(ember_perf_stats) == 56);
  STATIC_REQUIRE(sizeof(ember_execute_entry) == 16);
  STATIC_REQUIRE(EMBER_BO_SIZE_MAX == EMBER_BO_MAX_SIZE);
  STATIC_REQUIRE(EMBER_BO_SLICES_MAX == EMBER_SLICE_MAX);
  STATIC_REQUIRE(EMBER_EXECUTE_MAX == EMBER_EXEC_MAX);
  // libember 0.1's spellings, deprecated aliases with the uAPI's values.
  STATIC_REQUIRE(EMBER_DIR_TO_DEV == EMBER_SLICE_TO_DEV);
  STATIC_REQUIRE(EMBER_DIR_FROM_DEV == EMBER_SLICE_FROM_DEV);
  STATIC_REQUIRE(EMBER_OP_COPY == EMBER_SLICE_OP_COPY);
  STATIC_REQUIRE(EMBER_OP_FILL == EMBER_SLICE_OP_FILL);
  STATIC_REQUIRE(EMBER_OP_CRC32 == EMBER_SLICE_OP_CRC32);
  STATIC_REQUIRE(EMBER_OP_GEMM_I8 == EMBER_SLICE_OP_GEMM_I8);
  STATIC_REQUIRE(EMBER_ERR_CANCELED == EMBER_ERR_NOT_RUN);
  CHECK(ember_status_to_errno(EMBER_ERR_CANCELED) == ECANCELED);

  ember_slice s{};
  s.offset = 1;
  s.size = 2;
  s.dev_offset = 3;
  s.dev_aux = 4;
  s.dev_out = 5;
  s.op = 6;
  s.dir = 7;
  s.m = 8;
  s.n = 9;
  s.k = 10;
  s.reserved = 11;
  const drm_ember_slice u = ember::detail::ToUapi(s);
  CHECK(u.offset == 1);
  CHECK(u.size == 2);
  CHECK(u.dev_offset == 3);
  CHECK(u.dev_aux == 4);
  CHECK(u.dev_out == 5);
  CHECK(u.op == 6);
  CHECK(u.dir == 7);
  CHECK(u.m == 8);
  CHECK(u.n == 9);
  CHECK(u.k == 10);
  CHECK(u.pad == 11);
}

TEST_CASE("slices: every op's valid forms pass", "[buffer][slice]") {
  const std::uint64_t bo = 8192;
  CHECK(CheckSlice(Copy(0, bo, kDevmem - bo, EMBER_SLICE_TO_DEV), bo, kDevmem).empty());
  CHECK(CheckSlice(Copy(4096, 4096, 0, EMBER_SLICE_FROM_DEV), bo, kDevmem).empty());
  CHECK(CheckSlice(ember::slice::fill_device(0, kDevmem, 0xff), bo, kDevmem).empty());
  CHECK(CheckSlice(ember::slice::fill_buffer(100, bo - 100, 0), bo, kDevmem).empty());
  CHECK(CheckSlice(ember::slice::crc32(bo - 4, kDevmem - 10, 10), bo, kDevmem).empty());
  CHECK(CheckSlice(ember::slice::gemm_i8(0, 100, 200, 1, 1, 1), bo, kDevmem).empty());
  // The largest GEMM whose C fits; devmem 0 means "not known".
  CHECK(CheckSlice(ember::slice::gemm_i8(0, 0, 0, 4096, 4096, 4096), bo, 0).empty());
  CHECK(CheckSlice(ember::slice::crc32(0, 0, EMBER_CRC32_LEN_MAX), bo, 0).empty());
}

TEST_CASE("slices: each broken rule is named", "[buffer][slice]") {
  const std::uint64_t bo = 8192;
  const auto ok = Copy(0, 4096, 0, EMBER_SLICE_TO_DEV);
  auto why = [&](auto change) {
    ember_slice s = ok;
    change(s);
    return CheckSlice(s, bo, kDevmem);
  };
  CHECK_THAT(why([](ember_slice &s) { s.op = 0; }), ContainsSubstring("op 0"));
  CHECK_THAT(why([](ember_slice &s) { s.op = 5; }), ContainsSubstring("op 5"));
  CHECK_THAT(why([](ember_slice &s) { s.dir = 0; }), ContainsSubstring("dir 0"));
  CHECK_THAT(why([](ember_slice &s) { s.dir = 3; }), ContainsSubstring("dir 3"));
  CHECK_THAT(why([](ember_slice &s) { s.reserved = 1; }), ContainsSubstring("reserved"));
  CHECK_THAT(why([](ember_slice &s) { s.k = 1; }), ContainsSubstring("GEMM_I8's"));
  CHECK_THAT(why([](ember_slice &s) { s.size = 0; }), ContainsSubstring("size is 0"));
  CHECK_THAT(why([](ember_slice &s) { s.offset = 4097; }), ContainsSubstring("do not fit"));
  CHECK_THAT(why([](ember_slice &s) { s.offset = ~0ULL - 10; }), ContainsSubstring("overflows"));
  CHECK_THAT(why([](ember_slice &s) { s.dev_aux = 1; }), ContainsSubstring("dev_aux"));
  CHECK_THAT(why([](ember_slice &s) { s.dev_out = 1; }), ContainsSubstring("dev_out"));
  CHECK_THAT(why([](ember_slice &s) { s.dev_offset = kDevmem - 4095; }),
             ContainsSubstring("outside the device memory"));
  CHECK_THAT(why([](ember_slice &s) { s.dev_offset = ~0ULL - 10; }),
             ContainsSubstring("overflows"));

  auto fill = [&](auto change) {
    ember_slice s = ember::slice::fill_device(0, 4096, 1);
    change(s);
    return CheckSlice(s, bo, kDevmem);
  };
  CHECK(fill([](ember_slice &s) { s.size = bo * 4; }).empty());  // not bounded by the BO
  CHECK_THAT(fill([](ember_slice &s) { s.dev_aux = 256; }), ContainsSubstring("not a byte"));
  CHECK_THAT(fill([](ember_slice &s) { s.offset = 8; }), ContainsSubstring("offset must be 0"));
  CHECK_THAT(fill([](ember_slice &s) { s.size = kDevmem + 1; }),
             ContainsSubstring("outside the device memory"));
  CHECK_THAT(fill([](ember_slice &s) {
               s.dir = EMBER_SLICE_FROM_DEV;
               s.dev_offset = 8;
             }),
             ContainsSubstring("dev_offset must be 0"));
  CHECK_THAT(fill([](ember_slice &s) {
               s.dir = EMBER_SLICE_FROM_DEV;
               s.dev_offset = 0;
               s.size = bo + 1;
             }),
             ContainsSubstring("do not fit"));

  auto crc = [&](auto change) {
    ember_slice s = ember::slice::crc32(0, 0, 64);
    change(s);
    return CheckSlice(s, bo, kDevmem);
  };
  CHECK_THAT(crc([](ember_slice &s) { s.dir = EMBER_SLICE_TO_DEV; }),
             ContainsSubstring("FROM_DEV"));
  CHECK_THAT(crc([](ember_slice &s) { s.offset = 2; }), ContainsSubstring("multiple of 4"));
  CHECK_THAT(crc([](ember_slice &s) { s.size = 8; }), ContainsSubstring("size 4"));
  CHECK_THAT(crc([](ember_slice &s) { s.dev_aux = 0; }), ContainsSubstring("length"));
  CHECK_THAT(crc([](ember_slice &s) { s.dev_aux = EMBER_CRC32_LEN_MAX + 1; }),
             ContainsSubstring("length"));
  CHECK_THAT(crc([](ember_slice &s) { s.dev_offset = kDevmem - 63; }),
             ContainsSubstring("outside the device memory"));

  auto gemm = [&](auto change) {
    ember_slice s = ember::slice::gemm_i8(0, 4096, 8192, 16, 16, 16);
    change(s);
    return CheckSlice(s, bo, kDevmem);
  };
  CHECK_THAT(gemm([](ember_slice &s) { s.dir = EMBER_SLICE_FROM_DEV; }),
             ContainsSubstring("TO_DEV"));
  CHECK_THAT(gemm([](ember_slice &s) { s.size = 4; }), ContainsSubstring("offset and size"));
  CHECK_THAT(gemm([](ember_slice &s) { s.m = 0; }), ContainsSubstring("shape 0x16x16"));
  CHECK_THAT(gemm([](ember_slice &s) { s.k = 4097; }), ContainsSubstring("shape"));
  CHECK_THAT(gemm([](ember_slice &s) { s.dev_aux = kDevmem - 100; }), ContainsSubstring("B ["));
  CHECK_THAT(gemm([](ember_slice &s) { s.dev_out = kDevmem - 100; }), ContainsSubstring("C ["));
  CHECK_THAT(gemm([](ember_slice &s) { s.dev_offset = kDevmem - 100; }), ContainsSubstring("A ["));
}

TEST_CASE("create maps the page-rounded BO; destroy unmaps and closes once", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const std::uint64_t page = ember::detail::PageSize();
  ember_bo *bo = nullptr;
  REQUIRE(ember_bo_create(dev.get(), page + 1, 0, &bo) == EMBER_OK);
  const std::uint32_t h = Handle(bo);
  CHECK(st->bos.at(h) == page + 1);  // the kernel rounds itself
  REQUIRE(st->maps.size() == 1);
  CHECK(st->maps[0].first == std::uint64_t{h} << 32);  // MMAP_BO's offset
  CHECK(st->maps[0].second == 2 * page);
  void *addr = nullptr;
  std::uint64_t size = 0;
  REQUIRE(ember_bo_mapping(bo, &addr, &size) == EMBER_OK);
  CHECK(size == 2 * page);
  std::memset(addr, 0x5a, size);  // it is the memory

  REQUIRE(ember_bo_destroy(bo) == EMBER_OK);
  REQUIRE(st->unmapped.size() == 1);
  CHECK(st->unmapped[0].data() == addr);
  CHECK(st->closed == std::vector<std::uint32_t>{h});
}

TEST_CASE("create cleans up after a failed step and reports it", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  ember_bo *bo = nullptr;

  st->create_errno = ENOMEM;
  CHECK(ember_bo_create(dev.get(), 4096, 0, &bo) == EMBER_ERR_NOMEM);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("CREATE_BO of 4096 bytes"));

  st->mmap_bo_errno = ENOMEM;
  CHECK(ember_bo_create(dev.get(), 4096, 0, &bo) == EMBER_ERR_NOMEM);
  CHECK(st->closed.size() == 1);  // the handle was closed again

  st->map_errno = ENOMEM;
  CHECK(ember_bo_create(dev.get(), 4096, 0, &bo) == EMBER_ERR_NOMEM);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("mmap"));
  CHECK(st->closed.size() == 2);
  CHECK(st->bos.empty());
  CHECK(bo == nullptr);

  // Refused before any ioctl.
  const std::size_t calls = st->closed.size() + st->maps.size();
  CHECK(ember_bo_create(dev.get(), 0, 0, &bo) == EMBER_ERR_INVALID);
  CHECK(ember_bo_create(dev.get(), EMBER_BO_SIZE_MAX + 1, 0, &bo) == EMBER_ERR_INVALID);
  CHECK(ember_bo_create(dev.get(), 4096, 1, &bo) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("flags"));
  CHECK(st->closed.size() + st->maps.size() == calls);
  CHECK(st->next_handle == 3);  // two handles were made, both closed
  CHECK(bo == nullptr);
}

TEST_CASE("a driver without the data path is named in the error", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st, 1);  // ioctl ABI 1.1
  st->create_errno = EINVAL;
  ember_bo *bo = nullptr;
  CHECK(ember_bo_create(dev.get(), 4096, 0, &bo) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("ioctl ABI 1.1"));

  // A test double keeps Backend's defaults.
  auto plain = std::make_unique<ember_device>(std::make_unique<ControlOnly>(),
                                              ember::detail::Candidate{}, ember_info{});
  CHECK(ember_bo_create(plain.get(), 4096, 0, &bo) == EMBER_ERR_NOTTY);
  CHECK(bo == nullptr);
}

TEST_CASE("attach passes the slices in the uAPI format, after the host checks", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const CBo bo = Create(dev.get(), 8192);
  const std::vector<ember_slice> s = {Copy(0, 4096, 64, EMBER_SLICE_TO_DEV),
                                      ember::slice::gemm_i8(0, 4096, 8192, 2, 3, 4),
                                      ember::slice::crc32(4096, 8192, 24)};
  REQUIRE(ember_bo_attach_slices(bo.get(), 3, s.data(), 3) == EMBER_OK);
  REQUIRE(st->attaches.size() == 1);
  CHECK(st->attaches[0].handle == Handle(bo.get()));
  CHECK(st->attaches[0].dbc_id == 3);
  CHECK(st->attaches[0].count == 3);
  CHECK(st->attaches[0].pad == 0);
  REQUIRE(st->slices[0].size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const drm_ember_slice want = ember::detail::ToUapi(s[i]);
    CHECK(std::memcmp(&st->slices[0][i], &want, sizeof(want)) == 0);
  }

  // A malformed slice or a bad count never reaches the kernel.
  const std::vector<ember_slice> bad = {s[0], ember::slice::fill_device(0, 16, 0),
                                        ember::slice::fill_buffer(0, 8193, 1)};
  CHECK(ember_bo_attach_slices(bo.get(), 3, bad.data(), 3) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("slice 2 (FILL FROM_DEV)"));
  CHECK(ember_bo_attach_slices(bo.get(), 3, s.data(), 0) == EMBER_ERR_INVALID);
  const std::vector<ember_slice> many(EMBER_BO_SLICES_MAX + 1, s[0]);
  CHECK(ember_bo_attach_slices(bo.get(), 3, many.data(), EMBER_BO_SLICES_MAX + 1) ==
        EMBER_ERR_INVALID);
  CHECK(st->attaches.size() == 1);
  const std::vector<ember_slice> most(EMBER_BO_SLICES_MAX, s[0]);
  CHECK(ember_bo_attach_slices(bo.get(), 3, most.data(), EMBER_BO_SLICES_MAX) == EMBER_OK);

  // The kernel's errnos, with what they mean here.
  const std::array<std::pair<int, ember_status>, 6> errs = {{{EINVAL, EMBER_ERR_INVALID},
                                                             {ENOENT, EMBER_ERR_NOENT},
                                                             {EPERM, EMBER_ERR_PERM},
                                                             {EBUSY, EMBER_ERR_BUSY},
                                                             {ENODEV, EMBER_ERR_NODEV},
                                                             {ENOMEM, EMBER_ERR_NOMEM}}};
  for (const auto &[err, status] : errs) {
    st->attach_errno = err;
    CHECK(ember_bo_attach_slices(bo.get(), 7, s.data(), 1) == status);
  }
  st->attach_errno = EBUSY;
  ember_bo_attach_slices(bo.get(), 7, s.data(), 1);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("already sliced"));
  st->attach_errno = EPERM;
  ember_bo_attach_slices(bo.get(), 7, s.data(), 1);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("DBC 7 belongs to another client"));
}

TEST_CASE("execute passes the BOs in order; refusals need no ioctl", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const auto other_dev = MakeDevice(st);
  const CBo a = Create(dev.get(), 4096);
  const CBo b = Create(dev.get(), 8192);
  const CBo theirs = Create(other_dev.get(), 4096);

  const std::array<ember_execute_entry, 2> both = {{{b.get(), 0, 0}, {a.get(), 0, 0}}};
  REQUIRE(ember_execute(dev.get(), both.data(), 2) == EMBER_OK);
  const std::array<ember_execute_entry, 2> resized = {{{a.get(), 100, 0}, {b.get(), 8192, 0}}};
  REQUIRE(ember_partial_execute(dev.get(), resized.data(), 2) == EMBER_OK);
  REQUIRE(ember_bo_execute(a.get()) == EMBER_OK);
  REQUIRE(ember_bo_partial_execute(b.get(), 7) == EMBER_OK);
  REQUIRE(st->executes.size() == 4);
  CHECK_FALSE(st->executes[0].first);
  REQUIRE(st->executes[0].second.size() == 2);
  CHECK(st->executes[0].second[0].handle == Handle(b.get()));
  CHECK(st->executes[0].second[1].handle == Handle(a.get()));
  CHECK(st->executes[1].first);
  CHECK(st->executes[1].second[0].resize == 100);
  CHECK(st->executes[1].second[1].resize == 8192);
  CHECK_FALSE(st->executes[2].first);
  CHECK(st->executes[2].second.size() == 1);
  CHECK(st->executes[3].first);
  CHECK(st->executes[3].second[0].resize == 7);

  CHECK(ember_execute(dev.get(), resized.data(), 1) == EMBER_ERR_INVALID);  // resize, not partial
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("partial"));
  CHECK(ember_bo_partial_execute(a.get(), 4097) == EMBER_ERR_INVALID);
  const std::array<ember_execute_entry, 2> twice = {{{a.get(), 0, 0}, {a.get(), 0, 0}}};
  CHECK(ember_execute(dev.get(), twice.data(), 2) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("also entry 0"));
  const std::array<ember_execute_entry, 1> foreign = {{{theirs.get(), 0, 0}}};
  CHECK(ember_execute(dev.get(), foreign.data(), 1) == EMBER_ERR_INVALID);
  const std::array<ember_execute_entry, 1> null_bo = {{{nullptr, 0, 0}}};
  CHECK(ember_execute(dev.get(), null_bo.data(), 1) == EMBER_ERR_INVALID);
  const std::array<ember_execute_entry, 1> reserved = {{{a.get(), 0, 1}}};
  CHECK(ember_execute(dev.get(), reserved.data(), 1) == EMBER_ERR_INVALID);
  CHECK(ember_execute(dev.get(), both.data(), 0) == EMBER_ERR_INVALID);
  std::vector<ember_execute_entry> lots(EMBER_EXECUTE_MAX + 1, ember_execute_entry{a.get(), 0, 0});
  CHECK(ember_execute(dev.get(), lots.data(), EMBER_EXECUTE_MAX + 1) == EMBER_ERR_INVALID);
  CHECK(st->executes.size() == 4);
}

TEST_CASE("execute's errnos; EAGAIN is returned, not retried", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const CBo bo = Create(dev.get(), 4096);
  const std::array<std::pair<int, ember_status>, 7> errs = {{{EINVAL, EMBER_ERR_INVALID},
                                                             {ENOENT, EMBER_ERR_NOENT},
                                                             {EPERM, EMBER_ERR_PERM},
                                                             {EBUSY, EMBER_ERR_BUSY},
                                                             {EAGAIN, EMBER_ERR_AGAIN},
                                                             {ENOMEM, EMBER_ERR_NOMEM},
                                                             {ENODEV, EMBER_ERR_NODEV}}};
  for (const auto &[err, status] : errs) {
    st->execute_errno = err;
    const std::size_t before = st->executes.size();
    CHECK(ember_bo_execute(bo.get()) == status);
    CHECK(st->executes.size() == before + 1);
  }
  st->execute_errno = EBUSY;
  ember_bo_execute(bo.get());
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("still queued"));
  st->execute_errno = EAGAIN;
  ember_bo_execute(bo.get());
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("ring is full"));
}

TEST_CASE("wait, detach and perf stats: arguments, errnos and results", "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const CBo bo = Create(dev.get(), 4096);
  const std::uint32_t h = Handle(bo.get());

  REQUIRE(ember_bo_wait(bo.get(), 250) == EMBER_OK);
  REQUIRE(ember_bo_wait(bo.get(), EMBER_WAIT_DEFAULT) == EMBER_OK);
  REQUIRE(st->waits.size() == 2);
  CHECK(st->waits[0].handle == h);
  CHECK(st->waits[0].timeout_ms == 250);
  CHECK(st->waits[0].flags == 0);
  CHECK(st->waits[1].timeout_ms == 0);

  st->wait_errno = ETIMEDOUT;
  CHECK(ember_bo_wait(bo.get(), 250) == EMBER_ERR_TIMEDOUT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("still queued after 250 ms"));
  st->wait_errno = ECANCELED;
  CHECK(ember_bo_wait(bo.get(), 250) == EMBER_ERR_CANCELED);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("deactivated or reset"));
  st->wait_errno = EIO;
  CHECK(ember_bo_wait(bo.get(), 250) == EMBER_ERR_IO);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("failed on the device"));
  st->wait_errno = EINTR;
  CHECK(ember_bo_wait(bo.get(), 250) == EMBER_ERR_INTR);
  st->wait_errno = EINVAL;
  CHECK(ember_bo_wait(bo.get(), 250) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("not sliced"));

  REQUIRE(ember_bo_detach_slices(bo.get()) == EMBER_OK);
  CHECK(st->detached == std::vector<std::uint32_t>{h});
  st->detach_errno = EBUSY;
  CHECK(ember_bo_detach_slices(bo.get()) == EMBER_ERR_BUSY);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("wait for it first"));

  ember_perf_stats p{};
  p.reserved[2] = 9;
  REQUIRE(ember_bo_perf_stats(bo.get(), &p) == EMBER_OK);
  CHECK(p.submit_ts == 1000 + h);
  CHECK(p.device_ns == 20);
  CHECK(p.done_ts == 3000);
  CHECK(p.queue_level == 4);
  CHECK(p.reserved[2] == 0);
  st->perf_errno = ENOENT;
  p = ember_perf_stats{};
  CHECK(ember_bo_perf_stats(bo.get(), &p) == EMBER_ERR_NOENT);
  CHECK(p.done_ts == 0);  // Out fields only on success
}

TEST_CASE("wait flags: EMBER_WAIT_POLL reaches WAIT_BO; bad flags and old drivers need no ioctl",
          "[buffer]") {
  STATIC_REQUIRE(EMBER_WAIT_POLL == EMBER_WAIT_BO_POLL);
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const CBo bo = Create(dev.get(), 4096);
  const std::uint32_t h = Handle(bo.get());

  REQUIRE(ember_bo_wait_flags(bo.get(), 250, EMBER_WAIT_POLL) == EMBER_OK);
  REQUIRE(ember_bo_wait_flags(bo.get(), EMBER_WAIT_DEFAULT, 0) == EMBER_OK);
  REQUIRE(st->waits.size() == 2);
  CHECK(st->waits[0].handle == h);
  CHECK(st->waits[0].timeout_ms == 250);
  CHECK(st->waits[0].flags == EMBER_WAIT_BO_POLL);
  CHECK(st->waits[1].timeout_ms == 0);
  CHECK(st->waits[1].flags == 0);

  // Unknown bits: refused on the host, naming them.
  for (const std::uint32_t bad : {2u, 0x80000000u, EMBER_WAIT_POLL | 4u}) {
    CHECK(ember_bo_wait_flags(bo.get(), 250, bad) == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("unknown flags"));
  }
  CHECK(ember_bo_wait_flags(bo.get(), 250, 6) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("0x6"));
  CHECK(ember_bo_wait_flags(nullptr, 250, EMBER_WAIT_POLL) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("is NULL"));
  CHECK(st->waits.size() == 2);

  // The kernel's answers map as ember_bo_wait()'s do.
  st->wait_errno = ETIMEDOUT;
  CHECK(ember_bo_wait_flags(bo.get(), 250, EMBER_WAIT_POLL) == EMBER_ERR_TIMEDOUT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("still queued after 250 ms"));
  st->wait_errno = EINVAL;
  CHECK(ember_bo_wait_flags(bo.get(), 250, EMBER_WAIT_POLL) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("refuses the flags"));
  CHECK(st->waits.size() == 4);

  // ioctl ABI 1.2 had a zero pad where the flags are: not asked at all.
  const auto st12 = std::make_shared<KernelState>();
  const auto old = MakeDevice(st12, 2);
  const CBo old_bo = Create(old.get(), 4096);
  CHECK(ember_bo_wait_flags(old_bo.get(), 250, EMBER_WAIT_POLL) == EMBER_ERR_UNSUPPORTED);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("ioctl ABI 1.2"));
  CHECK(st12->waits.empty());
  CHECK(ember_bo_wait_flags(old_bo.get(), 250, 0) == EMBER_OK);  // no flags: a plain wait
  CHECK(ember_bo_wait(old_bo.get(), 250) == EMBER_OK);
  REQUIRE(st12->waits.size() == 2);
  CHECK(st12->waits[0].flags == 0);
  CHECK(st12->waits[1].flags == 0);
}

TEST_CASE("C++ Buffer::wait with WaitFlags", "[buffer][cpp]") {
  STATIC_REQUIRE(static_cast<std::uint32_t>(ember::WaitFlags::poll) == EMBER_WAIT_BO_POLL);
  STATIC_REQUIRE(static_cast<std::uint32_t>(ember::WaitFlags::none) == 0);
  STATIC_REQUIRE((ember::WaitFlags::none | ember::WaitFlags::poll) == ember::WaitFlags::poll);
  const auto st = std::make_shared<KernelState>();
  auto dev = ember::Device::adopt(MakeDevice(st).release());
  const ember::Buffer b = dev.create_buffer(10).value();

  CHECK(b.wait(std::chrono::milliseconds(40), ember::WaitFlags::poll));
  REQUIRE(st->waits.size() == 1);
  CHECK(st->waits.back().timeout_ms == 40);
  CHECK(st->waits.back().flags == EMBER_WAIT_BO_POLL);
  CHECK(b.wait(std::chrono::hours(24 * 365 * 1000), ember::WaitFlags::none));
  CHECK(st->waits.back().timeout_ms == std::numeric_limits<std::uint32_t>::max());
  CHECK(st->waits.back().flags == 0);
  CHECK(b.wait());
  CHECK(st->waits.back().flags == 0);
  REQUIRE(st->waits.size() == 3);

  const auto negative = b.wait(std::chrono::milliseconds(-5), ember::WaitFlags::poll);
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code() == EMBER_ERR_INVALID);
  const auto unknown = b.wait(std::chrono::milliseconds(5), static_cast<ember::WaitFlags>(8));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code() == EMBER_ERR_INVALID);
  CHECK_THAT(unknown.error().message(), ContainsSubstring("unknown flags"));
  CHECK(st->waits.size() == 3);

  st->wait_errno = ETIMEDOUT;
  const auto late = b.wait(std::chrono::milliseconds(5), ember::WaitFlags::poll);
  REQUIRE_FALSE(late);
  CHECK(late.error().code() == EMBER_ERR_TIMEDOUT);

  const auto st12 = std::make_shared<KernelState>();
  auto old = ember::Device::adopt(MakeDevice(st12, 2).release());
  const ember::Buffer ob = old.create_buffer(10).value();
  const auto refused = ob.wait(std::chrono::milliseconds(5), ember::WaitFlags::poll);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == EMBER_ERR_UNSUPPORTED);
  CHECK(st12->waits.empty());
}

TEST_CASE("execute_wait: one EXECUTE_BO that waits; old drivers get EXECUTE_BO and WAIT_BO",
          "[buffer]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const CBo a = Create(dev.get(), 4096);
  const CBo b = Create(dev.get(), 4096);

  REQUIRE(ember_bo_execute_wait(a.get(), 250, 0) == EMBER_OK);
  REQUIRE(ember_bo_execute_wait(a.get(), EMBER_WAIT_DEFAULT, EMBER_WAIT_POLL) == EMBER_OK);
  const std::array<ember_execute_entry, 2> both{{{a.get(), 0, 0}, {b.get(), 0, 0}}};
  REQUIRE(ember_execute_wait(dev.get(), both.data(), 2, 40, 0) == EMBER_OK);
  REQUIRE(st->execute_args.size() == 3);
  CHECK(st->waits.empty());  // the driver waited
  CHECK(st->execute_args[0].flags == EMBER_EXECUTE_BO_WAIT);
  CHECK(st->execute_args[0].timeout_ms == 250);
  CHECK(st->execute_args[1].flags == (EMBER_EXECUTE_BO_WAIT | EMBER_EXECUTE_BO_POLL));
  CHECK(st->execute_args[1].timeout_ms == 0);
  CHECK(st->execute_args[2].count == 2);
  REQUIRE(st->executes[2].second.size() == 2);
  CHECK(st->executes[2].second[1].handle == Handle(b.get()));
  CHECK(st->execute_args[2].pad == 0);
  // A plain execute still asks for no wait.
  REQUIRE(ember_bo_execute(a.get()) == EMBER_OK);
  CHECK(st->execute_args.back().flags == 0);
  CHECK(st->execute_args.back().timeout_ms == 0);

  // Unknown flags: refused on the host.
  CHECK(ember_bo_execute_wait(a.get(), 250, 2) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("unknown wait flags 0x2"));
  CHECK(ember_execute_wait(nullptr, both.data(), 2, 0, 0) == EMBER_ERR_INVALID);
  CHECK(ember_bo_execute_wait(nullptr, 0, 0) == EMBER_ERR_INVALID);
  CHECK(st->execute_args.size() == 4);

  // The wait's errors say that the BOs are queued.
  st->execute_errno = ETIMEDOUT;
  CHECK(ember_bo_execute_wait(a.get(), 250, 0) == EMBER_ERR_TIMEDOUT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("250 ms passed: the BOs are queued"));
  st->execute_errno = EINTR;
  CHECK(ember_bo_execute_wait(a.get(), 250, 0) == EMBER_ERR_INTR);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("a signal came while waiting"));
  st->execute_errno = EIO;
  CHECK(ember_execute_wait(dev.get(), both.data(), 2, 0, 0) == EMBER_ERR_IO);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("tells which"));
  st->execute_errno = EBUSY;  // nothing queued: the error of execute
  CHECK(ember_bo_execute_wait(a.get(), 250, 0) == EMBER_ERR_BUSY);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("wait for it first"));

  // ioctl ABI 1.3: EXECUTE_BO without flags, then WAIT_BO on each BO.
  const auto st13 = std::make_shared<KernelState>();
  const auto old = MakeDevice(st13, 3);
  const CBo oa = Create(old.get(), 4096);
  const CBo ob = Create(old.get(), 4096);
  const std::array<ember_execute_entry, 2> old_both{{{oa.get(), 0, 0}, {ob.get(), 0, 0}}};
  REQUIRE(ember_execute_wait(old.get(), old_both.data(), 2, 70, EMBER_WAIT_POLL) == EMBER_OK);
  REQUIRE(st13->execute_args.size() == 1);
  CHECK(st13->execute_args[0].flags == 0);
  CHECK(st13->execute_args[0].timeout_ms == 0);
  REQUIRE(st13->waits.size() == 2);
  CHECK(st13->waits[0].handle == Handle(oa.get()));
  CHECK(st13->waits[1].handle == Handle(ob.get()));
  CHECK(st13->waits[1].timeout_ms == 70);
  CHECK(st13->waits[1].flags == EMBER_WAIT_BO_POLL);
  st13->wait_errno = ETIMEDOUT;  // the first BO still queued: the second is not waited for
  CHECK(ember_execute_wait(old.get(), old_both.data(), 2, 70, 0) == EMBER_ERR_TIMEDOUT);
  CHECK(st13->waits.size() == 3);

  // ioctl ABI 1.2 has no wait flags: refused before anything is queued.
  const auto st12 = std::make_shared<KernelState>();
  const auto old12 = MakeDevice(st12, 2);
  const CBo b12 = Create(old12.get(), 4096);
  CHECK(ember_bo_execute_wait(b12.get(), 70, EMBER_WAIT_POLL) == EMBER_ERR_UNSUPPORTED);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("nothing was queued"));
  CHECK(st12->executes.empty());
  CHECK(ember_bo_execute_wait(b12.get(), 70, 0) == EMBER_OK);
  CHECK(st12->executes.size() == 1);
  CHECK(st12->waits.size() == 1);
}

TEST_CASE("C++ execute_wait: Buffer and Device", "[buffer][cpp]") {
  const auto st = std::make_shared<KernelState>();
  auto dev = ember::Device::adopt(MakeDevice(st).release());
  const ember::Buffer a = dev.create_buffer(10).value();
  const ember::Buffer b = dev.create_buffer(10).value();

  CHECK(a.execute_wait());
  CHECK(a.execute_wait(std::chrono::milliseconds(30), ember::WaitFlags::poll));
  CHECK(dev.execute_wait({a, b}, std::chrono::milliseconds(20)));
  REQUIRE(st->execute_args.size() == 3);
  CHECK(st->execute_args[0].flags == EMBER_EXECUTE_BO_WAIT);
  CHECK(st->execute_args[0].timeout_ms == 0);
  CHECK(st->execute_args[1].flags == (EMBER_EXECUTE_BO_WAIT | EMBER_EXECUTE_BO_POLL));
  CHECK(st->execute_args[1].timeout_ms == 30);
  CHECK(st->execute_args[2].count == 2);
  CHECK(st->execute_args[2].timeout_ms == 20);

  const auto negative = a.execute_wait(std::chrono::milliseconds(-1));
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code() == EMBER_ERR_INVALID);
  CHECK_FALSE(dev.execute_wait({a}, std::chrono::milliseconds(-1)));
  CHECK(st->execute_args.size() == 3);
  st->execute_errno = ECANCELED;
  const auto canceled = a.execute_wait();
  REQUIRE_FALSE(canceled);
  CHECK(canceled.error().code() == EMBER_ERR_CANCELED);
}

TEST_CASE("every data-path entry point refuses NULL", "[buffer][c-abi]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = MakeDevice(st);
  const CBo bo = Create(dev.get(), 4096);
  ember_bo *out = nullptr;
  void *addr = nullptr;
  std::uint64_t size = 0;
  std::uint32_t handle = 0;
  const ember_slice s = Copy(0, 16, 0, EMBER_SLICE_TO_DEV);
  const ember_execute_entry e{bo.get(), 0, 0};
  ember_perf_stats p{};
  auto null = [](ember_status status) {
    CHECK(status == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("is NULL"));
  };
  null(ember_bo_create(nullptr, 4096, 0, &out));
  null(ember_bo_create(dev.get(), 4096, 0, nullptr));
  null(ember_bo_destroy(nullptr));
  null(ember_bo_mapping(nullptr, &addr, &size));
  null(ember_bo_mapping(bo.get(), nullptr, &size));
  null(ember_bo_mapping(bo.get(), &addr, nullptr));
  null(ember_bo_handle(nullptr, &handle));
  null(ember_bo_handle(bo.get(), nullptr));
  null(ember_bo_attach_slices(nullptr, 0, &s, 1));
  null(ember_bo_attach_slices(bo.get(), 0, nullptr, 1));
  null(ember_bo_detach_slices(nullptr));
  null(ember_execute(nullptr, &e, 1));
  null(ember_execute(dev.get(), nullptr, 1));
  null(ember_partial_execute(nullptr, &e, 1));
  null(ember_partial_execute(dev.get(), nullptr, 1));
  null(ember_bo_execute(nullptr));
  null(ember_bo_partial_execute(nullptr, 0));
  null(ember_bo_wait(nullptr, 0));
  null(ember_bo_wait_flags(nullptr, 0, 0));
  null(ember_bo_perf_stats(nullptr, &p));
  null(ember_bo_perf_stats(bo.get(), nullptr));
  CHECK(out == nullptr);
  CHECK(addr == nullptr);
  CHECK(size == 0);
  CHECK(handle == 0);
  CHECK(st->attaches.empty());
  CHECK(st->executes.empty());
  CHECK(st->waits.empty());
  CHECK(st->detached.empty());
  CHECK(st->perf_calls == 0);
}

TEST_CASE("C++ Buffer: a span over the mapping, moves, closes exactly once", "[buffer][cpp]") {
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<ember::Buffer>);
  STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<ember::Buffer>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<ember::Buffer>);
  STATIC_REQUIRE(std::is_nothrow_move_assignable_v<ember::Buffer>);

  const auto st = std::make_shared<KernelState>();
  auto dev = ember::Device::adopt(MakeDevice(st).release());
  const std::uint64_t page = ember::detail::PageSize();
  auto made = dev.create_buffer(10);
  REQUIRE(made);
  ember::Buffer a = std::move(made).value();
  REQUIRE(a);
  CHECK(a.size() == page);
  CHECK(a.bytes().size() == page);
  const std::uint32_t ha = a.gem_handle();
  std::byte *where = a.bytes().data();
  a.bytes()[page - 1] = std::byte{7};
  CHECK(std::as_const(a).bytes()[page - 1] == std::byte{7});

  ember::Buffer b(std::move(a));
  CHECK_FALSE(a);              // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(a.bytes().empty());    // NOLINT(bugprone-use-after-move)
  CHECK(a.gem_handle() == 0);  // NOLINT(bugprone-use-after-move)
  const auto r = a.execute();  // NOLINT(bugprone-use-after-move)
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == EMBER_ERR_INVALID);
  CHECK(b.bytes().data() == where);
  CHECK(b.gem_handle() == ha);
  CHECK(st->closed.empty());

  ember::Buffer c = dev.create_buffer(10).value();
  const std::uint32_t hc = c.gem_handle();
  c = std::move(b);  // closes c's own BO
  CHECK(st->closed == std::vector<std::uint32_t>{hc});
  CHECK(st->unmapped.size() == 1);
  CHECK(c.gem_handle() == ha);

  // The buffer keeps the client: the Device object may go first.
  { const ember::Device gone = std::move(dev); }
  CHECK(c.execute());
  CHECK(c.wait(std::chrono::milliseconds(40)));
  CHECK(st->waits.back().timeout_ms == 40);
  CHECK(c.wait(std::chrono::hours(24 * 365 * 1000)));
  CHECK(st->waits.back().timeout_ms == std::numeric_limits<std::uint32_t>::max());
  const std::size_t waits = st->waits.size();
  const auto negative = c.wait(std::chrono::milliseconds(-5));
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code() == EMBER_ERR_INVALID);
  CHECK(st->waits.size() == waits);
  const auto stats = c.perf_stats();
  REQUIRE(stats);
  CHECK(stats->submit_ts == 1000 + ha);
  { const ember::Buffer last = std::move(c); }
  CHECK(st->closed == std::vector<std::uint32_t>{hc, ha});
  CHECK(st->unmapped.size() == 2);
  CHECK(st->bos.empty());
}

TEST_CASE("C++ Device::execute and attach_slices marshal their lists", "[buffer][cpp]") {
  const auto st = std::make_shared<KernelState>();
  const auto dev = ember::Device::adopt(MakeDevice(st).release());
  const ember::Buffer a = dev.create_buffer(4096).value();
  const ember::Buffer b = dev.create_buffer(8192).value();

  REQUIRE(dev.execute({a, b}));
  REQUIRE(dev.partial_execute({{b, 16}, {a, 0}}));
  REQUIRE(st->executes.size() == 2);
  CHECK(st->executes[0].second[0].handle == a.gem_handle());
  CHECK(st->executes[0].second[1].handle == b.gem_handle());
  CHECK(st->executes[1].first);
  CHECK(st->executes[1].second[0].handle == b.gem_handle());
  CHECK(st->executes[1].second[0].resize == 16);
  const std::vector<ember::ExecuteEntry> many(EMBER_EXECUTE_MAX + 1, ember::ExecuteEntry(a));
  CHECK(dev.execute(many).error().code() == EMBER_ERR_INVALID);
  CHECK(dev.execute(std::span<const ember::ExecuteEntry>{}).error().code() == EMBER_ERR_INVALID);
  CHECK(st->executes.size() == 2);

  REQUIRE(a.attach_slices(5, std::vector<ember::Slice>{ember::slice::fill_device(0, 64, 9)}));
  REQUIRE(st->attaches.size() == 1);
  CHECK(st->attaches[0].dbc_id == 5);
  CHECK(st->slices[0][0].op == EMBER_SLICE_OP_FILL);
  CHECK(st->slices[0][0].dev_aux == 9);
  const auto none = a.attach_slices(5, std::span<const ember::Slice>{});
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message(), ContainsSubstring("0 slices"));
  CHECK(st->attaches.size() == 1);
}
