// In-guest tests of the data path (docs/datapath.md) against the emulated
// device, with raw ioctls: BOs created, mmapped and filled, sliced for a
// DBC activated through MANAGE, executed and waited for; results compared
// with a host computation (copy, fill, CRC-32, int8 GEMM); partial
// execution; WAIT_BO timeout on a hung DBC (debugfs "test/fault" dbc_hang),
// detach and re-execute while queued; close with executions in flight;
// EXECUTE_BO that waits (EMBER_EXECUTE_BO_WAIT: bytes, several BOs,
// timeout, signal, deactivation, a 16-byte ABI 1.3 caller); every ioctl's
// bad inputs; another process's DBC.
//
// Device memory comes from workloads the test LOADs through MANAGE: slices
// only inside the caller's regions (and not across two), another process's
// region refused and left unchanged, UNLOAD refused while a sliced BO pins
// the workload, the records dropped by UNLOAD and by a device reset (FLR),
// a BO shared through PRIME not run by another client.
//
// Run as root (debugfs "test/fault", FLR through sysfs).
#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "accel_test_util.hpp"
#include "ember_accel.h"
#include "ember_fwcmd.h"
#include "ember_raw.hpp"

namespace {

namespace fs = std::filesystem;
using ember_test::Activate;
using ember_test::ActivateRaw;
using ember_test::AddPt;
using ember_test::Attach;
using ember_test::Bo;
using ember_test::ClientLine;
using ember_test::Copy;
using ember_test::Crc;
using ember_test::Crc32;
using ember_test::CreateBo;
using ember_test::CreateBoRaw;
using ember_test::Deactivate;
using ember_test::Detach;
using ember_test::Dev;
using ember_test::DoQuery;
using ember_test::Execute;
using ember_test::Fault;
using ember_test::Fd;
using ember_test::FillBo;
using ember_test::FillDev;
using ember_test::FwCmd;
using ember_test::Gemm;
using ember_test::Info;
using ember_test::Ioctl;
using ember_test::LoadWorkload;
using ember_test::ModuleParam;
using ember_test::Msg;
using ember_test::Random;
using ember_test::Reap;
using ember_test::Run;
using ember_test::UnloadCmd;
using ember_test::UnloadWorkload;
using ember_test::Wait;
using ember_test::Workload;
using ember_test::WriteModuleParam;

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kBlk = 65536;         // GEMM operand spacing
constexpr std::uint64_t kDevSize = 4 * kMiB;  // device memory a test loads

// Device memory for the client of @fd: the one region of a workload it
// loads (slices may touch only regions of the caller's workloads).
std::uint64_t Devmem(int fd, std::uint64_t size = kDevSize) {
  Workload wl;
  REQUIRE(LoadWorkload(fd, {size}, &wl) == 0);
  return wl.offsets.at(0);
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
  const auto dev = Devmem(fd.get());
  // Several MiB: the BO spans many DMA segments.
  const std::uint64_t size = (3 * kMiB) + (std::uint64_t{4096} * 3) + 512;
  const auto src = Random(size, 1);
  const Bo in(fd.get(), size);
  const Bo out(fd.get(), size);
  std::memcpy(in.data(), src.data(), size);

  // Two slices, to device memory in swapped order.
  const std::uint64_t half = size / 2;
  Run(fd.get(), in, dbc,
      {Copy(0, half, dev + (size - half), EMBER_SLICE_TO_DEV),
       Copy(half, size - half, dev, EMBER_SLICE_TO_DEV)});
  Run(fd.get(), out, dbc,
      {Copy(0, half, dev + (size - half), EMBER_SLICE_FROM_DEV),
       Copy(half, size - half, dev, EMBER_SLICE_FROM_DEV)});
  CHECK(std::memcmp(out.data(), src.data(), size) == 0);
}

TEST_CASE("FILL and CRC32 match a host computation") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const auto dev = Devmem(fd.get());
  const std::uint64_t n = 100000;
  const auto data = Random(n, 2);
  const Bo bo(fd.get(), 2 * kMiB);
  std::memcpy(bo.data(), data.data(), n);

  // Copy in, CRC of device memory into the BO, fill device memory,
  // copy it back, fill a BO range: in order, in one execution.
  std::vector<drm_ember_slice> s;
  s.push_back(Copy(0, n, dev, EMBER_SLICE_TO_DEV));
  drm_ember_slice crc{};
  crc.op = EMBER_SLICE_OP_CRC32;
  crc.dir = EMBER_SLICE_FROM_DEV;
  crc.offset = 200000;
  crc.size = 4;
  crc.dev_offset = dev;
  crc.dev_aux = n;
  s.push_back(crc);
  drm_ember_slice fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dir = EMBER_SLICE_TO_DEV;
  fill.size = 70000;
  fill.dev_offset = dev + kMiB;
  fill.dev_aux = 0x5a;
  s.push_back(fill);
  s.push_back(Copy(kMiB, 70000, dev + kMiB, EMBER_SLICE_FROM_DEV));
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
  CHECK(got == Crc32::Of(data.data(), n));
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
  const auto dev = Devmem(fd.get());
  constexpr std::uint32_t m = 37;
  constexpr std::uint32_t n = 29;
  constexpr std::uint32_t k = 51;
  const auto a = Random(std::size_t{m} * k, 3);
  const auto b = Random(std::size_t{k} * n, 4);
  const Bo bo(fd.get(), 3 * kBlk);
  std::memcpy(bo.data(), a.data(), a.size());
  std::memcpy(bo.data() + kBlk, b.data(), b.size());

  const std::uint64_t da = dev;
  const std::uint64_t db = dev + kBlk;
  const std::uint64_t dc = dev + 2 * kBlk;
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
  const auto dev = Devmem(fd.get());
  const Bo filler(fd.get(), 4096);
  drm_ember_slice fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dir = EMBER_SLICE_TO_DEV;
  fill.size = 3 * kPage;
  fill.dev_offset = dev;
  fill.dev_aux = 0x77;
  Run(fd.get(), filler, dbc, {fill});

  const Bo bo(fd.get(), 3 * kPage);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 3 * kPage, dev, EMBER_SLICE_FROM_DEV)}) == 0);
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
  const auto dev = Devmem(fd.get());
  const Bo bo(fd.get(), 4096);
  const Bo other(fd.get(), 4096);
  Bo closed(fd.get(), 4096);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, dev, EMBER_SLICE_TO_DEV)}) == 0);
  REQUIRE(Attach(fd.get(), other.handle(), dbc,
                 {Copy(0, 2048, dev, EMBER_SLICE_TO_DEV),
                  Copy(2048, 2048, dev + 2048, EMBER_SLICE_TO_DEV)}) == 0);
  REQUIRE(Attach(fd.get(), closed.handle(), dbc, {Copy(0, 4096, dev, EMBER_SLICE_FROM_DEV)}) == 0);
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

// A client with a DBC and two 64 KiB BOs sliced for it: |in| copies its
// bytes to device memory, |out| copies them back.
struct CopyPair {
  static constexpr std::uint64_t kSize = std::uint64_t{64} * 1024;
  Fd fd;
  std::uint32_t dbc = Activate(fd.get());
  std::uint64_t dev = Devmem(fd.get());
  Bo in{fd.get(), kSize};
  Bo out{fd.get(), kSize};
  CopyPair() {
    REQUIRE(Attach(fd.get(), in.handle(), dbc, {Copy(0, kSize, dev, EMBER_SLICE_TO_DEV)}) == 0);
    REQUIRE(Attach(fd.get(), out.handle(), dbc, {Copy(0, kSize, dev, EMBER_SLICE_FROM_DEV)}) == 0);
  }
};

TEST_CASE(
    "WAIT_BO with EMBER_WAIT_BO_POLL: the waiter polls; bytes, errors and timeouts as without") {
  const CopyPair pair;
  const int fd = pair.fd.get();
  const std::string budget = ModuleParam("datapath_busy_poll_us");
  REQUIRE_FALSE(budget.empty());
  // With the default budget, with none (the flag then only sleeps) and
  // with a long one: every round trip returns the bytes written.
  for (const char *us : {"", "0", "5000"}) {
    if (*us != '\0') {
      REQUIRE(WriteModuleParam("datapath_busy_poll_us", us));
    }
    for (std::uint32_t i = 0; i < 8; ++i) {
      const auto src = Random(CopyPair::kSize, 100 + i);
      std::memcpy(pair.in.data(), src.data(), CopyPair::kSize);
      std::memset(pair.out.data(), 0, CopyPair::kSize);
      REQUIRE(Execute(fd, pair.in.handle()) == 0);
      REQUIRE(Wait(fd, pair.in.handle(), 5000, EMBER_WAIT_BO_POLL) == 0);
      REQUIRE(Execute(fd, pair.out.handle()) == 0);
      REQUIRE(Wait(fd, pair.out.handle(), 5000, EMBER_WAIT_BO_POLL) == 0);
      CHECK(std::memcmp(pair.out.data(), src.data(), CopyPair::kSize) == 0);
    }
  }
  // A hung DBC: the poll gives up and the wait still times out, then
  // completes once the DBC runs again.
  {
    const Fault hang("dbc_hang", 1U << pair.dbc);
    REQUIRE(Execute(fd, pair.in.handle()) == 0);
    CHECK(Wait(fd, pair.in.handle(), 100, EMBER_WAIT_BO_POLL) == ETIMEDOUT);
  }
  CHECK(Wait(fd, pair.in.handle(), 5000, EMBER_WAIT_BO_POLL) == 0);
  REQUIRE(WriteModuleParam("datapath_busy_poll_us", budget));
}

// EXECUTE_BO with EMBER_EXECUTE_BO_WAIT of @handles (flags besides WAIT:
// @flags): 0 or the errno, not retried after EINTR (ExecuteWait()'s rule).
int ExecuteWaitAll(int fd, const std::vector<std::uint32_t> &handles, std::uint32_t timeout_ms,
                   std::uint32_t flags = 0) {
  std::vector<drm_ember_execute_entry> e(handles.size());
  for (std::size_t i = 0; i < handles.size(); ++i) {
    e[i].handle = handles[i];
  }
  drm_ember_execute_bo x{};
  x.count = static_cast<std::uint32_t>(e.size());
  x.entries = reinterpret_cast<std::uintptr_t>(e.data());
  x.flags = EMBER_EXECUTE_BO_WAIT | flags;
  x.timeout_ms = timeout_ms;
  return ::ioctl(fd, DRM_IOCTL_EMBER_EXECUTE_BO, &x) == 0 ? 0 : errno;
}

void OnAlarm(int /*sig*/) {}

TEST_CASE("EXECUTE_BO with EMBER_EXECUTE_BO_WAIT: results in place on return, in one call") {
  const CopyPair pair;
  const int fd = pair.fd.get();

  SECTION("one BO a call, sleeping and polling: the bytes are there without WAIT_BO") {
    for (const std::uint32_t flags : {0U, static_cast<std::uint32_t>(EMBER_EXECUTE_BO_POLL)}) {
      for (std::uint32_t i = 0; i < 8; ++i) {
        INFO("flags " << flags << ", round " << i);
        const auto src = Random(CopyPair::kSize, 300 + i);
        std::memcpy(pair.in.data(), src.data(), CopyPair::kSize);
        std::memset(pair.out.data(), 0, CopyPair::kSize);
        REQUIRE(ExecuteWaitAll(fd, {pair.in.handle()}, 5000, flags) == 0);
        REQUIRE(ExecuteWaitAll(fd, {pair.out.handle()}, 5000, flags) == 0);
        CHECK(std::memcmp(pair.out.data(), src.data(), CopyPair::kSize) == 0);
        // Done: WAIT_BO returns at once, and the BOs can run again.
        CHECK(Wait(fd, pair.out.handle(), 1) == 0);
      }
    }
  }

  SECTION("two BOs in one call: both complete, in order, before it returns") {
    const auto src = Random(CopyPair::kSize, 400);
    std::memcpy(pair.in.data(), src.data(), CopyPair::kSize);
    std::memset(pair.out.data(), 0, CopyPair::kSize);
    REQUIRE(ExecuteWaitAll(fd, {pair.in.handle(), pair.out.handle()}, 5000) == 0);
    CHECK(std::memcmp(pair.out.data(), src.data(), CopyPair::kSize) == 0);
    CHECK(Detach(fd, pair.in.handle()) == 0);  // not queued
  }

  SECTION("a caller of ABI 1.3 passes 16 bytes: no wait, as before") {
    struct ExecuteBo13 {
      std::uint32_t count;
      std::uint32_t flags;
      std::uint64_t entries;
    };
    static_assert(sizeof(ExecuteBo13) == 16);
    drm_ember_execute_entry e{};
    e.handle = pair.in.handle();
    ExecuteBo13 x{1, 0, reinterpret_cast<std::uintptr_t>(&e)};
    REQUIRE(Ioctl(fd, DRM_IOW(DRM_COMMAND_BASE + DRM_EMBER_EXECUTE_BO, ExecuteBo13), &x) == 0);
    CHECK(Wait(fd, pair.in.handle(), 5000) == 0);
  }

  SECTION("bad flags, a timeout or POLL without WAIT, a pad: EINVAL, nothing queued") {
    drm_ember_execute_entry e{};
    e.handle = pair.in.handle();
    drm_ember_execute_bo x{};
    x.count = 1;
    x.entries = reinterpret_cast<std::uintptr_t>(&e);
    x.flags = EMBER_EXECUTE_BO_POLL;  // without WAIT
    CHECK(Ioctl(fd, DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
    x.flags = EMBER_EXECUTE_BO_WAIT | (EMBER_EXECUTE_BO_POLL << 1);
    CHECK(Ioctl(fd, DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
    x.flags = 0;
    x.timeout_ms = 100;  // a timeout, with nothing to wait
    CHECK(Ioctl(fd, DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
    x.flags = EMBER_EXECUTE_BO_WAIT;
    x.pad = 1;
    CHECK(Ioctl(fd, DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO, &x) == EINVAL);
    CHECK(Ioctl(fd, DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
    CHECK(Detach(fd, pair.in.handle()) == 0);  // never queued
  }

  SECTION("a hung DBC: ETIMEDOUT, the BOs stay queued and complete later") {
    {
      const Fault hang("dbc_hang", 1U << pair.dbc);
      CHECK(ExecuteWaitAll(fd, {pair.in.handle(), pair.out.handle()}, 100) == ETIMEDOUT);
      CHECK(Execute(fd, pair.in.handle()) == EBUSY);
      CHECK(ExecuteWaitAll(fd, {pair.out.handle()}, 100) == EBUSY);
    }
    CHECK(Wait(fd, pair.in.handle(), 5000) == 0);
    CHECK(Wait(fd, pair.out.handle(), 5000) == 0);
  }

  SECTION("a signal: EINTR, not restarted, the BO stays queued") {
    struct sigaction sa {};
    struct sigaction old {};
    sa.sa_handler = OnAlarm;  // no SA_RESTART
    REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
    {
      const Fault hang("dbc_hang", 1U << pair.dbc);
      itimerval t{};
      t.it_value.tv_usec = 100000;
      REQUIRE(setitimer(ITIMER_REAL, &t, nullptr) == 0);
      CHECK(ExecuteWaitAll(fd, {pair.in.handle()}, 5000) == EINTR);
      CHECK(Execute(fd, pair.in.handle()) == EBUSY);
    }
    REQUIRE(sigaction(SIGALRM, &old, nullptr) == 0);
    CHECK(Wait(fd, pair.in.handle(), 5000) == 0);
  }

  SECTION("the DBC deactivated by another thread while the call waits: ECANCELED") {
    const Fault hang("dbc_hang", 1U << pair.dbc);
    int deactivated = -1;  // no Catch2 assertion in the other thread
    std::thread other([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      deactivated = ember_test::DeactivateRaw(fd, pair.dbc);
    });
    CHECK(ExecuteWaitAll(fd, {pair.in.handle()}, 5000) == ECANCELED);
    other.join();
    CHECK(deactivated == 0);
    CHECK(Execute(fd, pair.in.handle()) == ENOENT);  // its DBC is gone
  }
}

TEST_CASE("closing a file or deactivating its DBC with executions in flight") {
  Fd keep;
  const Bo survivor(keep.get(), 4096);
  {
    Fd fd;
    const auto dbc = Activate(fd.get());
    const auto dev = Devmem(fd.get());
    const auto bo = CreateBo(fd.get(), 4096);
    REQUIRE(Attach(fd.get(), bo, dbc, {Copy(0, 4096, dev, EMBER_SLICE_TO_DEV)}) == 0);
    const Fault hang("dbc_hang", 1U << dbc);
    REQUIRE(Execute(fd.get(), bo) == 0);
    // DEACTIVATE: the execution is cancelled; the BO can be used again.
    Deactivate(fd.get(), dbc);
    CHECK(Wait(fd.get(), bo, 5000) == ECANCELED);
    CHECK(Execute(fd.get(), bo) == ENOENT);
    CHECK(Detach(fd.get(), bo) == 0);

    const auto dbc2 = Activate(fd.get());
    const Fault hang2("dbc_hang", 1U << dbc2);
    REQUIRE(Attach(fd.get(), bo, dbc2, {Copy(0, 4096, dev, EMBER_SLICE_TO_DEV)}) == 0);
    REQUIRE(Execute(fd.get(), bo) == 0);
    // Close (TERMINATE) with the execution queued and the DBC hung; the
    // handle goes with the file, the execution keeps the BO.
    fd.Close();
  }
  // The device still works for others.
  const auto dbc = Activate(keep.get());
  Run(keep.get(), survivor, dbc, {Copy(0, 4096, Devmem(keep.get()), EMBER_SLICE_TO_DEV)});
}

TEST_CASE("ATTACH_SLICE_BO refuses bad input") {
  Fd fd;
  const auto info = Info(fd.get());
  const auto dbc = Activate(fd.get(), 64);
  const auto dev = Devmem(fd.get());
  const Bo bo(fd.get(), 8192);
  const auto ok = Copy(0, 4096, dev, EMBER_SLICE_TO_DEV);
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
          s.dev_aux = dev;
          s.dev_out = info.devmem_size - 4;  // C does not fit
        }) == EINVAL);
  // More requests than the ring holds (64 entries, 63 usable).
  std::vector<drm_ember_slice> many(64, Copy(0, 64, dev, EMBER_SLICE_TO_DEV));
  CHECK(Attach(fd.get(), bo.handle(), dbc, many) == EINVAL);

  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {ok}) == 0);
  CHECK(Attach(fd.get(), bo.handle(), dbc, {ok}) == EBUSY);  // already sliced
}

TEST_CASE("EXECUTE_BO, WAIT_BO, PERF_STATS_BO and DETACH_SLICE_BO refuse bad input") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const auto dev = Devmem(fd.get());
  const Bo bo(fd.get(), 4096);
  const Bo unsliced(fd.get(), 4096);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, dev, EMBER_SLICE_TO_DEV)}) == 0);

  std::array<drm_ember_execute_entry, EMBER_EXEC_MAX + 1> ents{};
  drm_ember_execute_bo x{};
  x.entries = reinterpret_cast<std::uintptr_t>(ents.data());
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);  // count 0
  x.count = EMBER_EXEC_MAX + 1;
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_EXECUTE_BO, &x) == EINVAL);
  x.count = 1;
  ents[0].handle = bo.handle();
  x.flags = EMBER_EXECUTE_BO_POLL << 1;  // an unknown flag
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
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, dev, EMBER_SLICE_TO_DEV)}) == 0);

  drm_ember_wait_bo w{};
  w.handle = bo.handle();
  w.flags = EMBER_WAIT_BO_POLL << 1;  // an unknown flag
  CHECK(Ioctl(fd.get(), DRM_IOCTL_EMBER_WAIT_BO, &w) == EINVAL);
  w.flags = ~0U;
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
  const auto dev = Devmem(fd.get());
  const Bo first(fd.get(), 4096);
  const Bo bo(fd.get(), 4096);  // a handle the child's first BO does not get
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, 4096, dev, EMBER_SLICE_TO_DEV)}) == 0);
  const std::uint32_t handle = bo.handle();

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    std::uint32_t own_bo = 0;
    Workload own;
    int code = 0;
    if (cfd < 0 || CreateBoRaw(cfd, 4096, &own_bo) != 0 || LoadWorkload(cfd, {4096}, &own) != 0) {
      code = 1;
    } else if (Attach(cfd, own_bo, dbc, {Copy(0, 4096, own.offsets[0], EMBER_SLICE_TO_DEV)}) !=
               EPERM) {
      code = 2;
    } else if (own_bo != handle && Execute(cfd, handle) != ENOENT) {
      code = 3;
    } else if (own_bo != handle && Wait(cfd, handle) != ENOENT) {
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

// ---- device memory: workload regions (docs/datapath.md, "Device memory") ----

namespace {

// Attach @s to @bo alone (and with @run execute it once) and detach it
// again: 0 or the errno of ATTACH, -1 if a later step failed. No Catch2
// assertions (children of fork() use it).
int TryAttachRaw(int fd, std::uint32_t bo, std::uint32_t dbc, const drm_ember_slice &s,
                 bool run = false) {
  const int err = Attach(fd, bo, dbc, {s});
  if (err == 0 && run && (Execute(fd, bo) != 0 || Wait(fd, bo) != 0)) {
    return -1;
  }
  if (err == 0 && Detach(fd, bo) != 0) {
    return -1;
  }
  return err;
}

int TryAttach(int fd, std::uint32_t bo, std::uint32_t dbc, const drm_ember_slice &s) {
  const int err = TryAttachRaw(fd, bo, dbc, s);
  REQUIRE(err >= 0);
  return err;
}

// Workloads the firmware holds for the client of @fd (QUERY, docs/nnc.md §15.5).
std::uint32_t FwWorkloads(int fd) { return DoQuery(fd).workloads; }

bool HasWorkloads(const std::string &ids) {
  return ClientLine(::getpid()).find(" workloads=" + ids) != std::string::npos;
}

}  // namespace

TEST_CASE("device memory: slices only inside a region of the caller's workloads") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const Bo bo(fd.get(), 4 * kPage);
  const auto h = bo.handle();

  // No workload: no device memory at all. A FILL of the BO touches none.
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 16, 0, EMBER_SLICE_TO_DEV)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, FillDev(0, 16, 1)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, FillBo(0, 16, 1)) == 0);
  CHECK(HasWorkloads("-"));

  // A region whose size is not a multiple of 4 KiB: the firmware rounds
  // the allocation up, slices are bounded by the requested size.
  constexpr std::uint64_t kSize = 10000;
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kSize}, &wl) == 0);
  const auto r = wl.offsets[0];
  CHECK(HasWorkloads(std::to_string(wl.id)));

  // Each kind of range: inside (the whole region, its last bytes) is
  // fine, one byte more is EINVAL.
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, kSize, r, EMBER_SLICE_TO_DEV)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, kSize + 1, r, EMBER_SLICE_TO_DEV)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 16, r + kSize - 16, EMBER_SLICE_FROM_DEV)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 16, r + kSize - 15, EMBER_SLICE_FROM_DEV)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 16, r + kSize, EMBER_SLICE_TO_DEV)) == EINVAL);
  if (r >= 16) {
    CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 16, r - 1, EMBER_SLICE_TO_DEV)) == EINVAL);
  }
  CHECK(TryAttach(fd.get(), h, dbc, FillDev(r, kSize, 1)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, FillDev(r + 1, kSize, 1)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Crc(0, r, kSize)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Crc(0, r + 8, kSize)) == EINVAL);
  // GEMM 2×2×2: A and B 4 bytes, C 16 bytes; each operand is checked.
  const auto end = r + kSize;
  CHECK(TryAttach(fd.get(), h, dbc, Gemm(r, r + 8, end - 16, 2, 2, 2)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Gemm(end - 3, r, r + 16, 2, 2, 2)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Gemm(r, end - 3, r + 16, 2, 2, 2)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Gemm(r, r + 8, end - 15, 2, 2, 2)) == EINVAL);
  // One bad slice among good ones fails the whole ATTACH.
  CHECK(Attach(fd.get(), h, dbc,
               {Copy(0, 16, r, EMBER_SLICE_TO_DEV), Copy(16, 16, end, EMBER_SLICE_TO_DEV)}) ==
        EINVAL);
  CHECK(Detach(fd.get(), h) == EINVAL);  // not sliced
}

TEST_CASE("device memory: another client's workload region is EINVAL and stays unchanged") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  constexpr std::uint64_t kSize = 16 * kPage;
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kSize}, &wl) == 0);
  const auto r = wl.offsets[0];
  const auto pattern = Random(kSize, 11);
  const Bo in(fd.get(), kSize);
  std::memcpy(in.data(), pattern.data(), kSize);
  Run(fd.get(), in, dbc, {Copy(0, kSize, r, EMBER_SLICE_TO_DEV)});

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Another client with a DBC and a workload of its own. What it may
    // slice it also runs, so a slice wrongly accepted would change the
    // region.
    const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    std::uint32_t cdbc = 0;
    Workload own;
    std::uint32_t handle = 0;
    if (cfd < 0 || ActivateRaw(cfd, &cdbc) != 0 || LoadWorkload(cfd, {kSize}, &own) != 0 ||
        CreateBoRaw(cfd, kSize, &handle) != 0) {
      ::_exit(1);
    }
    const auto o = own.offsets[0];
    const std::vector<std::pair<int, drm_ember_slice>> tries = {
        {EINVAL, Copy(0, kSize, r, EMBER_SLICE_TO_DEV)},  // overwrite it
        {EINVAL, Copy(0, 16, r + 4096, EMBER_SLICE_TO_DEV)},
        {EINVAL, FillDev(r, kSize, 0)},
        {EINVAL, Copy(0, kSize, r, EMBER_SLICE_FROM_DEV)},  // read it
        {EINVAL, Crc(0, r, kSize)},
        {EINVAL, Gemm(o, o + 64, r, 4, 4, 4)},  // GEMM output into it
        {EINVAL, Gemm(r, o + 64, o + 128, 4, 4, 4)},
        {0, Copy(0, kSize, o, EMBER_SLICE_TO_DEV)},  // its own region works
    };
    int code = 2;
    for (const auto &[want, s] : tries) {
      if (TryAttachRaw(cfd, handle, cdbc, s, true) != want) {
        ::_exit(code);
      }
      ++code;
    }
    // UNLOAD of the other client's workload: the firmware's PERM.
    std::uint32_t st = 0;
    if (UnloadWorkload(cfd, wl.id, &st) != EPERM || st != EMBER_MANAGE_STATUS_PERM) {
      ::_exit(code);
    }
    ::_exit(0);
  }
  const int st = Reap(pid);
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);

  // The owner reads its region back: unchanged.
  const Bo out(fd.get(), kSize);
  Run(fd.get(), out, dbc, {Copy(0, kSize, r, EMBER_SLICE_FROM_DEV)});
  CHECK(std::memcmp(out.data(), pattern.data(), kSize) == 0);
  CHECK(HasWorkloads(std::to_string(wl.id)));
}

TEST_CASE("device memory: a slice spanning two regions is EINVAL") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  const Bo bo(fd.get(), 4 * kPage);
  const auto h = bo.handle();
  constexpr std::uint64_t kSize = 2 * kPage;
  Workload two;
  Workload next;
  REQUIRE(LoadWorkload(fd.get(), {kSize, kSize}, &two) == 0);
  REQUIRE(LoadWorkload(fd.get(), {kSize}, &next) == 0);
  const auto a = two.offsets[0];
  const auto b = two.offsets[1];
  const auto c = next.offsets[0];
  // The model's first-fit allocator puts them next to each other, so the
  // spanning ranges below are the caller's memory on both sides.
  CHECK(b == a + kSize);
  CHECK(c == b + kSize);

  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, kSize, a, EMBER_SLICE_TO_DEV)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, kSize, b, EMBER_SLICE_TO_DEV)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 32, b - 16, EMBER_SLICE_TO_DEV)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Copy(0, 2 * kSize, a, EMBER_SLICE_FROM_DEV)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, FillDev(a, 2 * kSize, 7)) == EINVAL);
  CHECK(TryAttach(fd.get(), h, dbc, Crc(0, b + kSize - 8, 16)) == EINVAL);  // into `next`
  // Operands in different regions and workloads are fine, each inside one.
  CHECK(TryAttach(fd.get(), h, dbc, Gemm(a, b, c, 8, 8, 8)) == 0);
  CHECK(TryAttach(fd.get(), h, dbc, Gemm(b - 32, b, c, 8, 8, 8)) == EINVAL);
}

TEST_CASE("device memory: UNLOAD of a workload a sliced BO uses is BUSY until DETACH or free") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {4 * kPage}, &wl) == 0);
  const auto r = wl.offsets[0];
  const Bo bo(fd.get(), kPage);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, kPage, r, EMBER_SLICE_TO_DEV)}) == 0);

  std::uint32_t st = 0;
  CHECK(UnloadWorkload(fd.get(), wl.id, &st) == EBUSY);
  CHECK(st == EMBER_MANAGE_STATUS_BUSY);
  // Refused by the kernel: the firmware still holds it, the BO still runs.
  CHECK(FwWorkloads(fd.get()) == 1);
  REQUIRE(Execute(fd.get(), bo.handle()) == 0);
  REQUIRE(Wait(fd.get(), bo.handle()) == 0);

  // In a call with other transactions nothing is sent: the UNLOAD is
  // BUSY, the others NOT_RUN.
  {
    Msg m;
    const auto e = AddPt(m, FwCmd(EMBER_FW_CMD_ECHO, 16));
    const auto u = AddPt(m, UnloadCmd(wl.id));
    CHECK(m.Send(fd.get()) == EBUSY);
    CHECK(m.At<drm_ember_manage_trans_passthrough>(e)->status == EMBER_MANAGE_STATUS_NOT_RUN);
    CHECK(m.At<drm_ember_manage_trans_passthrough>(e)->rsp_len == 0);
    CHECK(m.At<drm_ember_manage_trans_passthrough>(u)->status == EMBER_MANAGE_STATUS_BUSY);
    CHECK(m.At<drm_ember_manage_trans_passthrough>(u)->rsp_len == 0);
  }

  // Queued on a hung DBC: cannot be detached, still pinned.
  {
    const Fault hang("dbc_hang", 1U << dbc);
    REQUIRE(Execute(fd.get(), bo.handle()) == 0);
    CHECK(Detach(fd.get(), bo.handle()) == EBUSY);
    CHECK(UnloadWorkload(fd.get(), wl.id) == EBUSY);
  }
  REQUIRE(Wait(fd.get(), bo.handle(), 5000) == 0);

  // A second BO (unmapped, so closing its handle frees it) pins it too.
  const auto other = CreateBo(fd.get(), kPage);
  REQUIRE(Attach(fd.get(), other, dbc, {Copy(0, kPage, r + kPage, EMBER_SLICE_FROM_DEV)}) == 0);
  REQUIRE(Detach(fd.get(), bo.handle()) == 0);
  CHECK(UnloadWorkload(fd.get(), wl.id, &st) == EBUSY);
  drm_gem_close close{};
  close.handle = other;
  REQUIRE(Ioctl(fd.get(), DRM_IOCTL_GEM_CLOSE, &close) == 0);

  // Unpinned: UNLOAD goes through, and the region is no longer the
  // client's.
  CHECK(UnloadWorkload(fd.get(), wl.id, &st) == 0);
  CHECK(st == EMBER_MANAGE_STATUS_OK);
  CHECK(FwWorkloads(fd.get()) == 0);
  CHECK(HasWorkloads("-"));
  CHECK(TryAttach(fd.get(), bo.handle(), dbc, Copy(0, kPage, r, EMBER_SLICE_TO_DEV)) == EINVAL);
  // Unknown (already unloaded) workload: the firmware's NOENT.
  CHECK(UnloadWorkload(fd.get(), wl.id, &st) == ENOENT);
  CHECK(st == EMBER_MANAGE_STATUS_NOENT);
}

TEST_CASE("device memory: a device reset forgets the workloads; BOs sliced into them do not run") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kPage}, &wl) == 0);
  const auto r = wl.offsets[0];
  const Bo bo(fd.get(), kPage);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc, {Copy(0, kPage, r, EMBER_SLICE_TO_DEV)}) == 0);

  ember_test::ResetDevice();
  CHECK(HasWorkloads("-"));
  // The same DBC again (the firmware hands out the first free one): only
  // the workload check stands between the stale slicing and memory the
  // firmware may give to anybody now.
  const auto again = Activate(fd.get());
  CHECK(again == dbc);
  CHECK(Execute(fd.get(), bo.handle()) == ENODEV);
  REQUIRE(Detach(fd.get(), bo.handle()) == 0);
  // A slice into the workload the reset destroyed: ENODEV, not EINVAL
  // (docs/uapi.md: state a reset destroyed is ENODEV).
  CHECK(TryAttach(fd.get(), bo.handle(), again, Copy(0, kPage, r, EMBER_SLICE_TO_DEV)) == ENODEV);
  Run(fd.get(), bo, again, {Copy(0, kPage, Devmem(fd.get()), EMBER_SLICE_TO_DEV)});
}

TEST_CASE("device memory: a BO shared with another client does not run on its DBC") {
  Fd a;
  Fd b;
  const auto dbc = Activate(a.get());
  Workload wl;
  REQUIRE(LoadWorkload(a.get(), {kPage}, &wl) == 0);
  const auto bo = CreateBo(a.get(), kPage);
  REQUIRE(Attach(a.get(), bo, dbc, {Copy(0, kPage, wl.offsets[0], EMBER_SLICE_TO_DEV)}) == 0);
  int prime = -1;
  // The 6.12 accel core exports GEM shmem BOs: a failure is a bug, not a
  // missing feature.
  const int exported = drmPrimeHandleToFD(a.get(), bo, DRM_CLOEXEC | DRM_RDWR, &prime);
  INFO("PRIME export of an ember BO: " << std::strerror(errno));
  REQUIRE(exported == 0);
  std::uint32_t hb = 0;
  const int imported = drmPrimeFDToHandle(b.get(), prime, &hb);
  ::close(prime);
  REQUIRE(imported == 0);
  // b gets a's DBC id once a deactivated it: the slicing still names a's
  // workload.
  Deactivate(a.get(), dbc);
  const auto bdbc = Activate(b.get());
  REQUIRE(bdbc == dbc);
  CHECK(Execute(b.get(), hb) == EPERM);
  // a's close forgets its workloads: still EPERM.
  a.Close();
  CHECK(Execute(b.get(), hb) == EPERM);
}
