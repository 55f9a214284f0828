// In-guest tests of the data path (docs/datapath.md) against the emulated
// device, with raw ioctls: BOs created, mmapped and filled, sliced for a
// DBC activated through MANAGE, executed and waited for; results compared
// with a host computation (copy, fill, CRC-32, int8 GEMM); partial
// execution; WAIT_BO timeout on a hung DBC (debugfs "fault" dbc_hang),
// detach and re-execute while queued; close with executions in flight;
// every ioctl's bad inputs; another process's DBC.
//
// Run as root (debugfs "fault").
#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "accel_test_util.hpp"
#include "ember_accel.h"

namespace {

namespace fs = std::filesystem;
using ember_test::Dev;
using ember_test::Fault;
using ember_test::Fd;

// Returns 0 or the errno of the ioctl.
template <class T>
int Ioctl(int fd, unsigned long request, T *arg) {
  return ::ioctl(fd, request, arg) == 0 ? 0 : errno;
}

drm_ember_get_info Info(int fd) {
  drm_ember_get_info info{};
  REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_GET_INFO, &info) == 0);
  return info;
}

// ACTIVATE one DBC with rings of @ring entries through MANAGE.
std::uint32_t Activate(int fd, std::uint32_t ring = 1024) {
  drm_ember_manage_trans_activate act{};
  act.hdr.type = EMBER_MANAGE_TRANS_ACTIVATE;
  act.hdr.len = sizeof(act);
  act.ring_size = ring;
  drm_ember_manage_msg m{};
  m.len = sizeof(act);
  m.count = 1;
  m.data = reinterpret_cast<std::uintptr_t>(&act);
  REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_MANAGE, &m) == 0);
  REQUIRE(act.status == EMBER_MANAGE_STATUS_OK);
  return act.dbc_id;
}

// A BO without a mapping: returns its handle.
std::uint32_t CreateBo(int fd, std::uint64_t size) {
  drm_ember_create_bo c{};
  c.size = size;
  REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_CREATE_BO, &c) == 0);
  return c.handle;
}

void Deactivate(int fd, std::uint32_t id) {
  drm_ember_manage_trans_deactivate d{};
  d.hdr.type = EMBER_MANAGE_TRANS_DEACTIVATE;
  d.hdr.len = sizeof(d);
  d.dbc_id = id;
  drm_ember_manage_msg m{};
  m.len = sizeof(d);
  m.count = 1;
  m.data = reinterpret_cast<std::uintptr_t>(&d);
  REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_MANAGE, &m) == 0);
  REQUIRE(d.status == EMBER_MANAGE_STATUS_OK);
}

// A BO of a file, mapped into this process.
class Bo {
 public:
  Bo(int fd, std::uint64_t size) : fd_(fd), size_(size) {
    drm_ember_create_bo c{};
    c.size = size;
    REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_CREATE_BO, &c) == 0);
    handle_ = c.handle;
    drm_ember_mmap_bo m{};
    m.handle = handle_;
    REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_MMAP_BO, &m) == 0);
    void *p =
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(m.offset));
    REQUIRE(p != MAP_FAILED);
    map_ = static_cast<std::uint8_t *>(p);
  }
  ~Bo() {
    ::munmap(map_, size_);
    Close();
  }
  Bo(const Bo &) = delete;
  Bo &operator=(const Bo &) = delete;
  [[nodiscard]] std::uint32_t handle() const { return handle_; }
  [[nodiscard]] std::uint8_t *data() const { return map_; }
  // Drop the handle (the mapping stays).
  void Close() {
    if (handle_ != 0) {
      drm_gem_close c{};
      c.handle = handle_;
      CHECK(Ioctl(fd_, DRM_IOCTL_GEM_CLOSE, &c) == 0);
      handle_ = 0;
    }
  }

 private:
  int fd_;
  std::uint64_t size_;
  std::uint32_t handle_ = 0;
  std::uint8_t *map_ = nullptr;
};

drm_ember_slice Copy(std::uint64_t off, std::uint64_t size, std::uint64_t dev, std::uint32_t dir) {
  drm_ember_slice s{};
  s.op = EMBER_SLICE_OP_COPY;
  s.dir = dir;
  s.offset = off;
  s.size = size;
  s.dev_offset = dev;
  return s;
}

int Attach(int fd, std::uint32_t handle, std::uint32_t dbc, const std::vector<drm_ember_slice> &s) {
  drm_ember_attach_slice_bo a{};
  a.handle = handle;
  a.dbc_id = dbc;
  a.count = static_cast<std::uint32_t>(s.size());
  a.slices = reinterpret_cast<std::uintptr_t>(s.data());
  return Ioctl(fd, DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &a);
}

int Detach(int fd, std::uint32_t handle) {
  drm_ember_detach_slice_bo d{};
  d.handle = handle;
  return Ioctl(fd, DRM_IOCTL_EMBER_DETACH_SLICE_BO, &d);
}

int Execute(int fd, const std::vector<drm_ember_execute_entry> &e, bool partial = false) {
  drm_ember_execute_bo x{};
  x.count = static_cast<std::uint32_t>(e.size());
  x.entries = reinterpret_cast<std::uintptr_t>(e.data());
  return Ioctl(fd, partial ? DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO : DRM_IOCTL_EMBER_EXECUTE_BO, &x);
}

int Execute(int fd, std::uint32_t handle) { return Execute(fd, {{handle, 0}}); }

int Wait(int fd, std::uint32_t handle, std::uint32_t timeout_ms = 0) {
  drm_ember_wait_bo w{};
  w.handle = handle;
  w.timeout_ms = timeout_ms;
  return Ioctl(fd, DRM_IOCTL_EMBER_WAIT_BO, &w);
}

// Run the slices of a fresh attachment of @bo once and detach them.
void Run(int fd, const Bo &bo, std::uint32_t dbc, const std::vector<drm_ember_slice> &s) {
  REQUIRE(Attach(fd, bo.handle(), dbc, s) == 0);
  REQUIRE(Execute(fd, bo.handle()) == 0);
  REQUIRE(Wait(fd, bo.handle()) == 0);
  REQUIRE(Detach(fd, bo.handle()) == 0);
}

std::vector<std::uint8_t> Random(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(0, 255);
  std::vector<std::uint8_t> v(n);
  for (auto &b : v) {
    b = static_cast<std::uint8_t>(d(gen));
  }
  return v;
}

// zlib crc32()
std::uint32_t Crc32(const std::uint8_t *p, std::size_t n) {
  std::uint32_t c = 0xffffffffU;
  for (std::size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int b = 0; b < 8; b++) {
      c = (c & 1U) != 0 ? (c >> 1) ^ 0xedb88320U : c >> 1;
    }
  }
  return c ^ 0xffffffffU;
}

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kBlk = 65536;      // GEMM operand spacing
constexpr std::uint64_t kDev = 16 * kMiB;  // device memory the tests use

int Reap(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return st;
}

}  // namespace

TEST_CASE("CREATE_BO and MMAP_BO: mapped memory is shared and zeroed; handles are per file") {
  Fd fd;
  drm_ember_create_bo c{};
  c.size = (3 * kPage) + 100;
  REQUIRE(Ioctl(fd.get(), DRM_IOCTL_EMBER_CREATE_BO, &c) == 0);
  CHECK(c.handle != 0);
  drm_ember_mmap_bo m{};
  m.handle = c.handle;
  REQUIRE(Ioctl(fd.get(), DRM_IOCTL_EMBER_MMAP_BO, &m) == 0);
  const std::size_t len = std::size_t{4} * 4096;
  void *p1 = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(),
                    static_cast<off_t>(m.offset));
  REQUIRE(p1 != MAP_FAILED);
  void *p2 = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), static_cast<off_t>(m.offset));
  REQUIRE(p2 != MAP_FAILED);
  auto *a = static_cast<std::uint8_t *>(p1);
  const auto *b = static_cast<const std::uint8_t *>(p2);
  CHECK(a[0] == 0);
  CHECK(a[len - 1] == 0);
  std::memset(a, 0x3c, len);
  CHECK(b[12345] == 0x3c);
  ::munmap(p1, len);
  ::munmap(p2, len);

  // Another file does not see the handle.
  Fd other;
  drm_ember_mmap_bo mo{};
  mo.handle = c.handle;
  CHECK(Ioctl(other.get(), DRM_IOCTL_EMBER_MMAP_BO, &mo) == ENOENT);
}

TEST_CASE("CREATE_BO and MMAP_BO refuse bad input") {
  Fd fd;
  drm_ember_create_bo c{};
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_CREATE_BO, &c) == EINVAL);  // size 0
  c.size = EMBER_BO_MAX_SIZE + 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_CREATE_BO, &c) == EINVAL);
  c.size = ~0ULL;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_CREATE_BO, &c) == EINVAL);
  c.size = 4096;
  c.flags = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_CREATE_BO, &c) == EINVAL);

  drm_ember_mmap_bo m{};
  m.handle = 0x7777;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_MMAP_BO, &m) == ENOENT);
  const Bo bo(fd.get(), 4096);
  m.handle = bo.handle();
  m.pad = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_MMAP_BO, &m) == EINVAL);
}

TEST_CASE("COPY to device memory and back returns the same bytes") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  // Several MiB: the BO spans many DMA segments.
  const std::uint64_t size = (3 * kMiB) + (std::uint64_t{4096} * 3) + 512;
  const auto src = Random(size, 1);
  const Bo in(fd.get(), size);
  const Bo out(fd.get(), size);
  std::memcpy(in.data(), src.data(), size);

  // Two slices, to device memory in swapped order.
  const std::uint64_t half = size / 2;
  Run(fd.get(), in, dbc,
      {Copy(0, half, kDev + (size - half), EMBER_SLICE_TO_DEV),
       Copy(half, size - half, kDev, EMBER_SLICE_TO_DEV)});
  Run(fd.get(), out, dbc,
      {Copy(0, half, kDev + (size - half), EMBER_SLICE_FROM_DEV),
       Copy(half, size - half, kDev, EMBER_SLICE_FROM_DEV)});
  CHECK(std::memcmp(out.data(), src.data(), size) == 0);
}

TEST_CASE("FILL and CRC32 match a host computation") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const std::uint64_t n = 100000;
  const auto data = Random(n, 2);
  const Bo bo(fd.get(), 2 * kMiB);
  std::memcpy(bo.data(), data.data(), n);

  // Copy in, CRC of device memory into the BO, fill device memory,
  // copy it back, fill a BO range: in order, in one execution.
  std::vector<drm_ember_slice> s;
  s.push_back(Copy(0, n, kDev, EMBER_SLICE_TO_DEV));
  drm_ember_slice crc{};
  crc.op = EMBER_SLICE_OP_CRC32;
  crc.dir = EMBER_SLICE_FROM_DEV;
  crc.offset = 200000;
  crc.size = 4;
  crc.dev_offset = kDev;
  crc.dev_aux = n;
  s.push_back(crc);
  drm_ember_slice fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dir = EMBER_SLICE_TO_DEV;
  fill.size = 70000;
  fill.dev_offset = kDev + kMiB;
  fill.dev_aux = 0x5a;
  s.push_back(fill);
  s.push_back(Copy(kMiB, 70000, kDev + kMiB, EMBER_SLICE_FROM_DEV));
  drm_ember_slice fill_bo{};
  fill_bo.op = EMBER_SLICE_OP_FILL;
  fill_bo.dir = EMBER_SLICE_FROM_DEV;
  fill_bo.offset = 300000;
  fill_bo.size = 9000;
  fill_bo.dev_aux = 0xa5;
  s.push_back(fill_bo);
  Run(fd.get(), bo, dbc, s);

  std::uint32_t got = 0;
  std::memcpy(&got, bo.data() + 200000, 4);
  CHECK(got == Crc32(data.data(), n));
  bool fill_ok = true;
  for (std::uint64_t i = 0; i < 70000; i++) {
    fill_ok = fill_ok && bo.data()[kMiB + i] == 0x5a;
  }
  CHECK(fill_ok);
  CHECK(bo.data()[kMiB + 70000] == 0);
  bool fill_bo_ok = true;
  for (std::uint64_t i = 0; i < 9000; i++) {
    fill_bo_ok = fill_bo_ok && bo.data()[300000 + i] == 0xa5;
  }
  CHECK(fill_bo_ok);
  CHECK(bo.data()[309000] == 0);
  CHECK(std::memcmp(bo.data(), data.data(), n) == 0);
}

TEST_CASE("GEMM_I8 matches a host computation") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  constexpr std::uint32_t m = 37;
  constexpr std::uint32_t n = 29;
  constexpr std::uint32_t k = 51;
  const auto a = Random(std::size_t{m} * k, 3);
  const auto b = Random(std::size_t{k} * n, 4);
  const Bo bo(fd.get(), 3 * kBlk);
  std::memcpy(bo.data(), a.data(), a.size());
  std::memcpy(bo.data() + kBlk, b.data(), b.size());

  const std::uint64_t da = kDev;
  const std::uint64_t db = kDev + kBlk;
  const std::uint64_t dc = kDev + 2 * kBlk;
  drm_ember_slice g{};
  g.op = EMBER_SLICE_OP_GEMM_I8;
  g.dir = EMBER_SLICE_TO_DEV;
  g.dev_offset = da;
  g.dev_aux = db;
  g.dev_out = dc;
  g.m = m;
  g.n = n;
  g.k = k;
  Run(fd.get(), bo, dbc,
      {Copy(0, a.size(), da, EMBER_SLICE_TO_DEV), Copy(kBlk, b.size(), db, EMBER_SLICE_TO_DEV), g,
       Copy(2 * kBlk, std::uint64_t{m} * n * 4, dc, EMBER_SLICE_FROM_DEV)});

  bool ok = true;
  for (std::uint32_t i = 0; i < m; i++) {
    for (std::uint32_t j = 0; j < n; j++) {
      std::uint32_t sum = 0;
      for (std::uint32_t x = 0; x < k; x++) {
        sum += static_cast<std::uint32_t>(static_cast<std::int8_t>(a[(i * k) + x]) *
                                          static_cast<std::int8_t>(b[(x * n) + j]));
      }
      std::uint32_t got = 0;
      std::memcpy(&got, bo.data() + (2 * kBlk) + (std::size_t{(i * n) + j} * 4), 4);
      ok = ok && got == sum;
    }
  }
  CHECK(ok);
}

TEST_CASE("PARTIAL_EXECUTE_BO moves only the first resize bytes") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const Bo filler(fd.get(), 4096);
  drm_ember_slice fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dir = EMBER_SLICE_TO_DEV;
  fill.size = 3 * kPage;
  fill.dev_offset = kDev;
  fill.dev_aux = 0x77;
  Run(fd.get(), filler, dbc, {fill});

  const Bo bo(fd.get(), 3 * kPage);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 3 * kPage, kDev, EMBER_SLICE_FROM_DEV)}) ==
          0);
  CHECK(Execute(fd.get(), {{bo.handle(), 5000}}, false) == EINVAL);  // resize without PARTIAL
  CHECK(Execute(fd.get(), {{bo.handle(), 3 * kPage + 1}}, true) == EINVAL);  // over the BO
  REQUIRE(Execute(fd.get(), {{bo.handle(), 5000}}, true) == 0);
  REQUIRE(Wait(fd.get(), bo.handle()) == 0);
  CHECK(bo.data()[0] == 0x77);
  CHECK(bo.data()[4999] == 0x77);
  CHECK(bo.data()[5000] == 0);
  CHECK(bo.data()[3 * kPage - 1] == 0);
  // resize 0: the whole BO.
  REQUIRE(Execute(fd.get(), {{bo.handle(), 0}}, true) == 0);
  REQUIRE(Wait(fd.get(), bo.handle()) == 0);
  CHECK(bo.data()[3 * kPage - 1] == 0x77);

  drm_ember_perf_stats_entry e{};
  e.handle = bo.handle();
  drm_ember_perf_stats_bo ps{};
  ps.count = 1;
  ps.entries = reinterpret_cast<std::uintptr_t>(&e);
  REQUIRE(Ioctl(fd.get(), DRM_IOCTL_EMBER_PERF_STATS_BO, &ps) == 0);
  CHECK(e.submit_ts != 0);
  CHECK(e.done_ts != 0);
}

TEST_CASE("a hung DBC: WAIT_BO times out and the BO stays queued until the DBC runs") {
  Fd fd;
  const auto dbc = Activate(fd.get(), 4);  // 3 requests fit
  const Bo bo(fd.get(), 4096);
  const Bo other(fd.get(), 4096);
  Bo closed(fd.get(), 4096);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) == 0);
  REQUIRE(Attach(fd.get(), other.handle(), dbc,
                 {Copy(0, 2048, kDev, EMBER_SLICE_TO_DEV),
                  Copy(2048, 2048, kDev + 2048, EMBER_SLICE_TO_DEV)}) == 0);
  REQUIRE(Attach(fd.get(), closed.handle(), dbc, {Copy(0, 4096, kDev, EMBER_SLICE_FROM_DEV)}) == 0);
  {
    const Fault hang("dbc_hang", 1U << dbc);
    REQUIRE(Execute(fd.get(), bo.handle()) == 0);
    CHECK(Wait(fd.get(), bo.handle(), 200) == ETIMEDOUT);
    CHECK(Detach(fd.get(), bo.handle()) == EBUSY);
    CHECK(Execute(fd.get(), bo.handle()) == EBUSY);
    REQUIRE(Execute(fd.get(), other.handle()) == 0);  // the ring is full now
    // No room in the ring: the execution waits in the DBC's scheduler.
    REQUIRE(Execute(fd.get(), closed.handle()) == 0);
    CHECK(Wait(fd.get(), closed.handle(), 100) == ETIMEDOUT);
    CHECK(Wait(fd.get(), bo.handle(), 100) == ETIMEDOUT);
  }
  // Released: everything completes, in order.
  REQUIRE(Wait(fd.get(), bo.handle(), 5000) == 0);
  REQUIRE(Wait(fd.get(), other.handle(), 5000) == 0);
  REQUIRE(Wait(fd.get(), closed.handle(), 5000) == 0);
  CHECK(Detach(fd.get(), bo.handle()) == 0);

  // A BO whose handle is closed while queued completes safely.
  {
    const Fault hang("dbc_hang", 1U << dbc);
    REQUIRE(Execute(fd.get(), closed.handle()) == 0);
    closed.Close();
  }
  REQUIRE(Execute(fd.get(), other.handle()) == 0);
  REQUIRE(Wait(fd.get(), other.handle(), 5000) == 0);
}

TEST_CASE("closing a file or deactivating its DBC with executions in flight") {
  Fd keep;
  const Bo survivor(keep.get(), 4096);
  {
    Fd fd;
    const auto dbc = Activate(fd.get());
    const auto bo = CreateBo(fd.get(), 4096);
    REQUIRE(Attach(fd.get(), bo, dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) == 0);
    const Fault hang("dbc_hang", 1U << dbc);
    REQUIRE(Execute(fd.get(), bo) == 0);
    // DEACTIVATE: the execution is cancelled; the BO can be used again.
    Deactivate(fd.get(), dbc);
    CHECK(Wait(fd.get(), bo, 5000) == ECANCELED);
    CHECK(Execute(fd.get(), bo) == ENOENT);
    CHECK(Detach(fd.get(), bo) == 0);

    const auto dbc2 = Activate(fd.get());
    const Fault hang2("dbc_hang", 1U << dbc2);
    REQUIRE(Attach(fd.get(), bo, dbc2, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) == 0);
    REQUIRE(Execute(fd.get(), bo) == 0);
    // Close (TERMINATE) with the execution queued and the DBC hung; the
    // handle goes with the file, the execution keeps the BO.
    fd.Close();
  }
  // The device still works for others.
  const auto dbc = Activate(keep.get());
  Run(keep.get(), survivor, dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)});
}

TEST_CASE("ATTACH_SLICE_BO refuses bad input") {
  Fd fd;
  const auto info = Info(fd.get());
  const auto dbc = Activate(fd.get(), 64);
  const Bo bo(fd.get(), 8192);
  const auto ok = Copy(0, 4096, 0, EMBER_SLICE_TO_DEV);
  auto with = [&](auto change) {
    auto s = ok;
    change(s);
    return Attach(fd.get(), bo.handle(), dbc, {s});
  };

  drm_ember_attach_slice_bo a{};
  a.handle = bo.handle();
  a.dbc_id = dbc;
  a.count = 1;
  a.slices = reinterpret_cast<std::uintptr_t>(&ok);
  a.pad = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &a) == EINVAL);
  a.pad = 0;
  a.count = 0;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &a) == EINVAL);
  a.count = EMBER_SLICE_MAX + 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &a) == EINVAL);
  a.count = 1;
  a.slices = 8;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &a) == EFAULT);

  CHECK(Attach(fd.get(), 0x7777, dbc, {ok}) == ENOENT);
  CHECK(Attach(fd.get(), bo.handle(), info.num_dbcs, {ok}) == ENOENT);
  CHECK(Attach(fd.get(), bo.handle(), 0xffffffffU, {ok}) == ENOENT);
  CHECK(with([](drm_ember_slice &s) { s.pad = 1; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.op = 0; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.op = 99; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.dir = 0; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.size = 0; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.offset = 4097; }) == EINVAL);         // past the BO
  CHECK(with([](drm_ember_slice &s) { s.offset = ~0ULL - 100; }) == EINVAL);  // overflow
  CHECK(with([&](drm_ember_slice &s) { s.dev_offset = info.devmem_size - 100; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.dev_offset = ~0ULL - 100; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.m = 1; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) { s.dev_aux = 1; }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) {
          s.op = EMBER_SLICE_OP_CRC32;
          s.dir = EMBER_SLICE_FROM_DEV;
          s.size = 4;
          s.offset = 2;  // unaligned result
          s.dev_aux = 16;
        }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) {
          s.op = EMBER_SLICE_OP_FILL;
          s.dev_aux = 256;  // not a byte
        }) == EINVAL);
  CHECK(with([](drm_ember_slice &s) {
          s.op = EMBER_SLICE_OP_GEMM_I8;
          s.offset = 0;
          s.size = 0;
          s.m = 4097;
          s.n = 1;
          s.k = 1;
        }) == EINVAL);
  CHECK(with([&](drm_ember_slice &s) {
          s.op = EMBER_SLICE_OP_GEMM_I8;
          s.size = 0;
          s.m = 4096;
          s.n = 4096;
          s.k = 1;
          s.dev_out = info.devmem_size - 4;  // C does not fit
        }) == EINVAL);
  // More requests than the ring holds (64 entries, 63 usable).
  std::vector<drm_ember_slice> many(64, Copy(0, 64, 0, EMBER_SLICE_TO_DEV));
  CHECK(Attach(fd.get(), bo.handle(), dbc, many) == EINVAL);

  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {ok}) == 0);
  CHECK(Attach(fd.get(), bo.handle(), dbc, {ok}) == EBUSY);  // already sliced
}

TEST_CASE("EXECUTE_BO, WAIT_BO, PERF_STATS_BO and DETACH_SLICE_BO refuse bad input") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const Bo bo(fd.get(), 4096);
  const Bo unsliced(fd.get(), 4096);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) == 0);

  std::array<drm_ember_execute_entry, EMBER_EXEC_MAX + 1> ents{};
  drm_ember_execute_bo x{};
  x.entries = reinterpret_cast<std::uintptr_t>(ents.data());
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);  // count 0
  x.count = EMBER_EXEC_MAX + 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
  x.count = 1;
  ents[0].handle = bo.handle();
  x.flags = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
  x.flags = 0;
  x.entries = 8;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EFAULT);
  CHECK(Execute(fd.get(), 0x7777) == ENOENT);
  CHECK(Execute(fd.get(), unsliced.handle()) == EINVAL);
  CHECK(Execute(fd.get(), {{bo.handle(), 0}, {bo.handle(), 0}}) == EINVAL);  // duplicate
  // A failed call changes nothing: bo is not queued.
  CHECK(Execute(fd.get(), {{bo.handle(), 0}, {unsliced.handle(), 0}}) == EINVAL);
  CHECK(Detach(fd.get(), bo.handle()) == 0);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) == 0);

  drm_ember_wait_bo w{};
  w.handle = bo.handle();
  w.pad = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_WAIT_BO, &w) == EINVAL);
  CHECK(Wait(fd.get(), 0x7777) == ENOENT);
  CHECK(Wait(fd.get(), unsliced.handle()) == EINVAL);
  CHECK(Wait(fd.get(), bo.handle()) == 0);  // never executed

  drm_ember_perf_stats_entry e{};
  e.handle = 0x7777;
  drm_ember_perf_stats_bo ps{};
  ps.entries = reinterpret_cast<std::uintptr_t>(&e);
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_PERF_STATS_BO, &ps) == EINVAL);  // count 0
  ps.count = 1;
  ps.pad = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_PERF_STATS_BO, &ps) == EINVAL);
  ps.pad = 0;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_PERF_STATS_BO, &ps) == ENOENT);
  ps.entries = 8;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_PERF_STATS_BO, &ps) == EFAULT);

  drm_ember_detach_slice_bo d{};
  d.handle = bo.handle();
  d.pad = 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_DETACH_SLICE_BO, &d) == EINVAL);
  CHECK(Detach(fd.get(), 0x7777) == ENOENT);
  CHECK(Detach(fd.get(), unsliced.handle()) == EINVAL);
}

TEST_CASE("another process's DBC is EPERM, its BOs are not visible") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const Bo first(fd.get(), 4096);
  const Bo bo(fd.get(), 4096);  // a handle the child's first BO does not get
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) == 0);
  const std::uint32_t handle = bo.handle();

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    drm_ember_create_bo c{};
    c.size = 4096;
    int code = 0;
    if (cfd < 0 || ::ioctl(cfd, DRM_IOCTL_EMBER_CREATE_BO, &c) != 0) {
      code = 1;
    } else if (Attach(cfd, c.handle, dbc, {Copy(0, 4096, kDev, EMBER_SLICE_TO_DEV)}) != EPERM) {
      code = 2;
    } else if (c.handle != handle && Execute(cfd, handle) != ENOENT) {
      code = 3;
    } else if (c.handle != handle && Wait(cfd, handle) != ENOENT) {
      code = 4;
    }
    ::_exit(code);
  }
  const int st = Reap(pid);
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  REQUIRE(Execute(fd.get(), bo.handle()) == 0);
  REQUIRE(Wait(fd.get(), bo.handle()) == 0);
}
