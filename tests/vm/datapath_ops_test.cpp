// In-guest tests that every execution op of the data path (docs/datapath.md,
// docs/hardware.md §5.3) produces the right bytes: COPY both ways, FILL of a
// BO range and of device memory, CRC32 and GEMM_I8, for sizes from 1 byte to
// 64 MiB (and one request's maximum, EMBER_REQ_MAX_LEN), at odd and
// page-crossing offsets, with guard bytes around every destination; BOs of
// several slices of mixed ops, several BOs in one EXECUTE_BO on one and on
// two DBCs, more requests than a ring holds queued in the scheduler, the
// ring-size limit of ATTACH_SLICE_BO, re-execution, and
// PARTIAL_EXECUTE_BO against docs/datapath.md "Partial execution". Results
// are compared byte for byte with a host computation.
//
// Device memory is only ever the regions of a workload the test LOADs
// through MANAGE PASSTHROUGH (docs/nnc.md §15.3): every device offset a
// slice names lies inside one of them. A test that needs more device memory
// than the function has is skipped.
//
// Random data comes from Catch2's seed (printed at start; --rng-seed N
// repeats a run). Nothing here depends on the interrupt mode or on timing.
// Run as root (debugfs "regs" for the request counts printed as notes).
#include <catch2/catch_get_random_seed.hpp>
#include <catch2/catch_test_macros.hpp>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "accel_test_util.hpp"
#include "ember_accel.h"
#include "ember_fwcmd.h"
#include "ember_raw.hpp"

namespace {

using ember_test::Attach;
using ember_test::Bo;
using ember_test::Copy;
using ember_test::Crc;
using ember_test::Crc32;
using ember_test::Detach;
using ember_test::Dev;
using ember_test::Execute;
using ember_test::Fd;
using ember_test::FillBo;
using ember_test::FillDev;
using ember_test::FillRandom;
using ember_test::Gemm;
using ember_test::Info;
using ember_test::Random;
using ember_test::ReadFile;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kPage = 4096;
// EMBER_REQ_MAX_LEN (docs/hardware.md §5.3): the most bytes one request moves.
constexpr std::uint64_t kReqMax = (64 * kMiB) + (4 * kKiB);
// Bytes checked on each side of a destination.
constexpr std::uint64_t kGuard = kPage;
// WAIT_BO bound: large enough for 64 MiB under TCG on a loaded host; a
// hang fails, slowness does not.
constexpr std::uint32_t kWaitMs = 120000;
// Rings big enough for a 64 MiB range in 4 KiB pages (16385 requests).
constexpr std::uint32_t kBigRing = 32768;

std::uint64_t RoundUp(std::uint64_t v, std::uint64_t to) { return (v + to - 1) / to * to; }

// ---- data and references ----

// A seed of this run for the data of one use (@salt).
std::uint64_t Seed(std::uint64_t salt) {
  return (std::uint64_t{Catch::getSeed()} << 32U) ^ (salt * 0x2545f4914f6cdd1dULL);
}

// An int8 operand byte as a signed value.
std::int32_t S8(std::uint8_t v) { return v < 128 ? std::int32_t{v} : std::int32_t{v} - 256; }

// C = A x B (docs/hardware.md §5.3): A m x k, B k x n int8 row-major, C
// m x n int32 LE, sums modulo 2^32.
std::vector<std::uint8_t> HostGemm(const std::uint8_t *a, const std::uint8_t *b, std::uint32_t m,
                                   std::uint32_t n, std::uint32_t k) {
  std::vector<std::uint8_t> c(std::size_t{m} * n * 4);
  std::vector<std::uint32_t> acc(n);
  for (std::size_t i = 0; i < m; i++) {
    std::fill(acc.begin(), acc.end(), 0U);
    for (std::size_t x = 0; x < k; x++) {
      const std::int32_t av = S8(a[(i * k) + x]);
      const std::uint8_t *brow = b + (x * n);
      for (std::size_t j = 0; j < n; j++) {
        acc[j] += static_cast<std::uint32_t>(av * S8(brow[j]));
      }
    }
    for (std::size_t j = 0; j < n; j++) {
      const std::uint32_t v = acc[j];
      for (std::size_t byte = 0; byte < 4; byte++) {
        c[(((i * n) + j) * 4) + byte] = static_cast<std::uint8_t>(v >> (8U * byte));
      }
    }
  }
  return c;
}

// "" when equal, else where and how @got differs from @want.
std::string Diff(const std::uint8_t *got, const std::uint8_t *want, std::size_t n) {
  if (std::memcmp(got, want, n) == 0) {
    return "";
  }
  std::size_t first = n;
  std::size_t last = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; i++) {
    if (got[i] != want[i]) {
      first = std::min(first, i);
      last = i;
      count++;
    }
  }
  std::ostringstream s;
  s << count << " of " << n << " bytes differ in [" << first << ", " << last + 1 << "); at "
    << first << " got 0x" << std::hex << int{got[first]} << " want 0x" << int{want[first]};
  return s.str();
}

std::string DiffByte(const std::uint8_t *got, std::uint8_t want, std::size_t n) {
  static std::array<std::uint8_t, 65536> pat{};
  for (std::size_t done = 0; done < n;) {
    const std::size_t chunk = std::min(pat.size(), n - done);
    if (pat[0] != want || pat[pat.size() - 1] != want) {
      pat.fill(want);
    }
    if (std::memcmp(got + done, pat.data(), chunk) != 0) {
      return Diff(got + done, pat.data(), chunk) + " (+" + std::to_string(done) + ")";
    }
    done += chunk;
  }
  return "";
}

// ---- ioctls ----

// One firmware command through MANAGE PASSTHROUGH: the reply data.
std::vector<std::uint8_t> Passthrough(int fd, const std::vector<std::uint8_t> &cmd,
                                      std::uint32_t *status) {
  std::vector<std::uint8_t> reply;
  const int err = ember_test::Passthrough(fd, cmd, &reply, status);
  if (err != 0 && *status == EMBER_MANAGE_STATUS_OK) {
    FAIL("MANAGE PASSTHROUGH: errno " << err);
  }
  return reply;
}

std::uint32_t ActivateDbc(int fd, std::uint32_t ring) {
  std::uint32_t id = 0;
  const int err = ember_test::ActivateRaw(fd, &id, ring);
  INFO("ACTIVATE ring " << ring << ": errno " << err);
  REQUIRE(err == 0);
  return id;
}

// A client (open file) with one workload LOADed: its regions are the
// device memory the test may use (docs/nnc.md §15.2-15.3).
class Client {
 public:
  // Regions of these sizes (multiples of 4 KiB, so requested and
  // allocated sizes agree). SKIPs when the function has less memory.
  explicit Client(const std::vector<std::uint64_t> &sizes) : info_(Info(fd_.get())) {
    std::uint64_t need = 0;
    for (const auto s : sizes) {
      REQUIRE(s % kPage == 0);
      need += s;
    }
    std::uint32_t st = 0;
    const auto q = Passthrough(fd_.get(), ember_test::QueryCmd(), &st);
    REQUIRE(st == EMBER_MANAGE_STATUS_OK);
    REQUIRE(q.size() == EMBER_FW_QUERY_LEN);
    const auto total = ember_fw_get64(q.data(), EMBER_FW_QUERY_DEVMEM_TOTAL);
    const auto free = ember_fw_get64(q.data(), EMBER_FW_QUERY_DEVMEM_FREE);
    if (need > total) {
      SKIP("needs " << (need + kMiB - 1) / kMiB << " MiB of device memory, the function has "
                    << total / kMiB << " MiB");
    }
    // One step (a CRC32 of region 0), which the firmware requires; the
    // tests' own slices do the work.
    ember_test::LoadSpec spec;
    spec.sizes = sizes;
    spec.name = "datapath-ops";
    spec.steps.at(0).len = 4;
    const auto load = ember_test::LoadCmd(spec);
    const std::size_t n = sizes.size();
    const auto r = Passthrough(fd_.get(), load, &st);
    INFO("LOAD_WORKLOAD of " << need << " bytes, " << free << " of " << total << " free");
    REQUIRE(st == EMBER_MANAGE_STATUS_OK);
    REQUIRE(r.size() == load.size());
    REQUIRE(ember_test::FwCmdOf(r.data()) == ember_test::FwReply(EMBER_FW_CMD_LOAD_WORKLOAD));
    REQUIRE(ember_fw_get32(r.data(), EMBER_FW_LOAD_RSP_NREGIONS) == n);
    for (std::size_t i = 0; i < n; i++) {
      const auto off =
          ember_fw_get64(r.data(), EMBER_FW_LOAD_RSP_OFFSETS + (EMBER_FW_REGION_ENTRY_LEN * i));
      REQUIRE(off % kPage == 0);
      REQUIRE(off + sizes[i] <= info_.devmem_size);
      regions_.emplace_back(off, sizes[i]);
    }
  }
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const drm_ember_get_info &info() const { return info_; }
  [[nodiscard]] std::uint32_t Activate(std::uint32_t ring) const {
    return ActivateDbc(fd_.get(), ring);
  }
  // Device offset of byte @off of region @r; [off, off + len) must lie in
  // the region.
  [[nodiscard]] std::uint64_t Dev(std::size_t r, std::uint64_t off, std::uint64_t len = 1) const {
    REQUIRE(r < regions_.size());
    REQUIRE(off + len <= regions_[r].second);
    return regions_[r].first + off;
  }
  [[nodiscard]] std::uint64_t RegionSize(std::size_t r) const { return regions_.at(r).second; }

 private:
  Fd fd_;
  drm_ember_get_info info_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> regions_;  // offset, size
};

// WAIT_BO up to kWaitMs: 0 or the errno.
int WaitLong(int fd, std::uint32_t handle) { return ember_test::Wait(fd, handle, kWaitMs); }

// Slice @bo with @s, execute it once, wait (up to kWaitMs) and detach.
void RunLong(int fd, const Bo &bo, std::uint32_t dbc, const std::vector<drm_ember_slice> &s) {
  ember_test::Run(fd, bo, dbc, s, kWaitMs);
}

// Device memory [dev, dev + n) through a BO (COPY FROM_DEV).
std::vector<std::uint8_t> ReadDev(int fd, std::uint32_t dbc, std::uint64_t dev, std::uint64_t n) {
  const Bo bo(fd, n);
  RunLong(fd, bo, dbc, {Copy(0, n, dev, EMBER_SLICE_FROM_DEV)});
  return {bo.data(), bo.data() + n};
}

// Device memory [dev, dev + data.size()) = @data through a BO (COPY TO_DEV).
void WriteDev(int fd, std::uint32_t dbc, std::uint64_t dev, const std::vector<std::uint8_t> &data) {
  const Bo bo(fd, data.size());
  std::memcpy(bo.data(), data.data(), data.size());
  RunLong(fd, bo, dbc, {Copy(0, data.size(), dev, EMBER_SLICE_TO_DEV)});
}

// Requests DBC @dbc completed so far (EMBER_DBC_COMPLETED in debugfs
// "regs"), for notes only; nullopt when it cannot be read.
std::optional<std::uint64_t> Completed(std::uint32_t dbc) {
  std::istringstream in(ReadFile(Dev().debugfs / "regs"));
  const std::string lo = "EMBER_DBC_COMPLETED_LO(" + std::to_string(dbc) + ")";
  const std::string hi = "EMBER_DBC_COMPLETED_HI(" + std::to_string(dbc) + ")";
  std::optional<std::uint64_t> l;
  std::optional<std::uint64_t> h;
  std::string name;
  std::string off;
  std::string val;
  while (in >> name >> off >> val) {
    if (name == lo) {
      l = std::stoull(val, nullptr, 16);
    } else if (name == hi) {
      h = std::stoull(val, nullptr, 16);
    }
  }
  if (!l || !h) {
    return std::nullopt;
  }
  return (*h << 32U) | *l;
}

// BO bytes of a slice's range [off, off + size) that take part with
// @resize (docs/datapath.md "Partial execution"; 0 = the whole BO).
std::uint64_t Part(std::uint64_t off, std::uint64_t size, std::uint64_t resize) {
  if (resize == 0) {
    return size;
  }
  return off >= resize ? 0 : std::min(size, resize - off);
}

// Host model of device memory (spans of it) under slices, as
// docs/datapath.md "Slices" and "Partial execution" describe them.
class Model {
 public:
  Model() = default;
  Model(std::uint64_t base, std::vector<std::uint8_t> bytes) { Add(base, std::move(bytes)); }
  void Add(std::uint64_t base, std::vector<std::uint8_t> bytes) {
    spans_.emplace_back(base, std::move(bytes));
  }
  // Model bytes of device memory [dev_off, dev_off + len), inside one span.
  std::uint8_t *At(std::uint64_t dev_off, std::uint64_t len) {
    for (auto &[base, bytes] : spans_) {
      if (dev_off >= base && dev_off - base + len <= bytes.size()) {
        return bytes.data() + (dev_off - base);
      }
    }
    FAIL("model: device range " << dev_off << " + " << len << " outside the model");
    return nullptr;
  }
  [[nodiscard]] const std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> &spans()
      const {
    return spans_;
  }
  void Apply(const drm_ember_slice &s, std::vector<std::uint8_t> &bo, std::uint64_t resize = 0) {
    const bool to_dev = s.dir == EMBER_SLICE_TO_DEV;
    const std::uint64_t n = Part(s.offset, s.size, resize);
    switch (s.op) {
      case EMBER_SLICE_OP_COPY:
        if (n == 0) {
          break;
        }
        if (to_dev) {
          std::memcpy(At(s.dev_offset, n), bo.data() + s.offset, n);
        } else {
          std::memcpy(bo.data() + s.offset, At(s.dev_offset, n), n);
        }
        break;
      case EMBER_SLICE_OP_FILL:
        if (to_dev) {
          std::memset(At(s.dev_offset, s.size), static_cast<int>(s.dev_aux), s.size);
        } else {
          std::memset(bo.data() + s.offset, static_cast<int>(s.dev_aux), n);
        }
        break;
      case EMBER_SLICE_OP_CRC32:
        if (resize == 0 || s.offset + 4 <= resize) {
          const std::uint32_t c = Crc32::Of(At(s.dev_offset, s.dev_aux), s.dev_aux);
          for (std::size_t i = 0; i < 4; i++) {
            bo[s.offset + i] = static_cast<std::uint8_t>(c >> (8U * i));
          }
        }
        break;
      case EMBER_SLICE_OP_GEMM_I8: {
        const auto c = HostGemm(At(s.dev_offset, std::uint64_t{s.m} * s.k),
                                At(s.dev_aux, std::uint64_t{s.k} * s.n), s.m, s.n, s.k);
        std::memcpy(At(s.dev_out, c.size()), c.data(), c.size());
        break;
      }
      default:
        FAIL("model: op " << s.op);
    }
  }
  // Does anything of @slices run with @resize?
  static bool Runs(const std::vector<drm_ember_slice> &slices, std::uint64_t resize) {
    return std::any_of(slices.begin(), slices.end(), [&](const drm_ember_slice &s) {
      if (s.op == EMBER_SLICE_OP_GEMM_I8 ||
          (s.op == EMBER_SLICE_OP_FILL && s.dir == EMBER_SLICE_TO_DEV)) {
        return true;
      }
      if (s.op == EMBER_SLICE_OP_CRC32) {
        return resize == 0 || s.offset + 4 <= resize;
      }
      return Part(s.offset, s.size, resize) > 0;
    });
  }

 private:
  std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> spans_;  // base, bytes
};

// Device memory equals the model, every span read back through a BO.
void CheckDevice(int fd, std::uint32_t dbc, const Model &model) {
  for (const auto &[base, bytes] : model.spans()) {
    INFO("device memory [" << base << ", +" << bytes.size() << ")");
    const auto got = ReadDev(fd, dbc, base, bytes.size());
    CHECK(Diff(got.data(), bytes.data(), bytes.size()).empty());
  }
}

void Note(const std::string &what) {
  std::printf("note: %s\n", what.c_str());
  std::fflush(stdout);
}

}  // namespace

TEST_CASE("host CRC-32 and GEMM references agree with known answers") {
  const std::string s = "123456789";
  const auto *p = reinterpret_cast<const std::uint8_t *>(s.data());
  CHECK(Crc32::Of(p, s.size()) == 0xcbf43926U);
  Crc32 c;
  c.Update(p, 4);
  c.Update(p + 4, 5);
  CHECK(c.Value() == 0xcbf43926U);
  CHECK(Crc32::Of(p, 0) == 0);
  const std::array<std::uint8_t, 4> a{1, 2, 0xff, 0x80};  // [[1, 2], [-1, -128]]
  const std::array<std::uint8_t, 2> b{3, 0xfe};           // [[3], [-2]]
  const auto out = HostGemm(a.data(), b.data(), 2, 1, 2);
  std::int32_t c0 = 0;
  std::int32_t c1 = 0;
  std::memcpy(&c0, out.data(), 4);
  std::memcpy(&c1, out.data() + 4, 4);
  CHECK(c0 == (1 * 3) + (2 * -2));
  CHECK(c1 == (-1 * 3) + (-128 * -2));
}

TEST_CASE("COPY to device memory and back, 1 B to 64 MiB at odd offsets: every byte, guards") {
  struct Row {
    std::uint64_t size;
    std::uint64_t bo_off;   // in the source BO
    std::uint64_t dev_off;  // in the region, after the device guard
    std::uint64_t dst_off;  // in the destination BO
  };
  const std::vector<Row> rows = {
      {1, 0, 0, 0},
      {1, 4095, 1, 4095},  // last byte of a page
      {2, 4095, 4095, 1},  // crosses a page in both BOs and on the device
      {3, 4094, 5, 4094},
      {4095, 1, 4097, 2},
      {4096, 0, 0, 0},
      {4096, 2049, 7, 3},
      {4097, 4095, 4095, 4095},
      {8191, 4097, 1, 0},
      {kMiB - 1, 1, 3, 4095},
      {kMiB + 1, 4095, 0, 1},
      {(16 * kMiB) + 5, 12345, 4097, 777},
      {64 * kMiB, 4095, 3, 1},
  };
  const std::uint64_t region = RoundUp((64 * kMiB) + (2 * kGuard) + kPage + 8, kPage);
  const Client c({region});
  const auto dbc = c.Activate(kBigRing);
  std::uint64_t salt = 100;
  for (const auto &r : rows) {
    INFO("size " << r.size << ", source BO offset " << r.bo_off << ", device offset +" << r.dev_off
                 << ", destination BO offset " << r.dst_off << "; rng seed " << Catch::getSeed());
    const std::uint64_t dev = c.Dev(0, kGuard + r.dev_off, r.size + kGuard);
    const std::uint8_t dev_guard = 0xd5;

    // Source: random everywhere, the payload at bo_off.
    const Bo src(c.fd(), r.bo_off + r.size + kPage);
    FillRandom(src.data(), src.size(), Seed(salt++));
    const std::vector<std::uint8_t> want(src.data() + r.bo_off, src.data() + r.bo_off + r.size);
    // Guard the device range first (slices run in order), then copy in.
    const auto before = Completed(dbc);
    RunLong(c.fd(), src, dbc,
            {FillDev(dev - kGuard, r.size + (2 * kGuard), dev_guard),
             Copy(r.bo_off, r.size, dev, EMBER_SLICE_TO_DEV)});
    const auto after_in = Completed(dbc);

    // Destination: random guard bytes around the payload.
    const Bo dst(c.fd(), r.dst_off + r.size + kGuard);
    FillRandom(dst.data(), dst.size(), Seed(salt++));
    const std::vector<std::uint8_t> head(dst.data(), dst.data() + r.dst_off);
    const std::uint64_t tail_off = r.dst_off + r.size;
    const std::vector<std::uint8_t> tail(dst.data() + tail_off, dst.data() + dst.size());
    RunLong(c.fd(), dst, dbc, {Copy(r.dst_off, r.size, dev, EMBER_SLICE_FROM_DEV)});

    CHECK(Diff(dst.data() + r.dst_off, want.data(), r.size).empty());
    CHECK(Diff(dst.data(), head.data(), head.size()).empty());
    CHECK(Diff(dst.data() + tail_off, tail.data(), tail.size()).empty());
    CHECK(Diff(src.data() + r.bo_off, want.data(), r.size).empty());  // source not written
    // Device bytes on each side of the payload still hold the guard.
    const auto below = ReadDev(c.fd(), dbc, dev - kGuard, kGuard);
    const auto above = ReadDev(c.fd(), dbc, dev + r.size, kGuard);
    CHECK(DiffByte(below.data(), dev_guard, kGuard).empty());
    CHECK(DiffByte(above.data(), dev_guard, kGuard).empty());
    const std::uint64_t fill_reqs = (r.size + (2 * kGuard) + kReqMax - 1) / kReqMax;
    if (r.size >= kMiB && before && after_in) {
      Note("COPY of " + std::to_string(r.size) + " bytes to the device: " +
           std::to_string(*after_in - *before - fill_reqs) + " requests (DMA segment pieces)");
    }
  }

  // Whole BOs created with sizes that are not page multiples: the ranges
  // end at the page-rounded end of the BO; then its last bytes alone.
  for (const std::uint64_t size : {std::uint64_t{5000}, 3 * kPage, kMiB + 1}) {
    INFO("whole BO of " << size << " bytes; rng seed " << Catch::getSeed());
    const Bo src(c.fd(), size);
    const std::uint64_t whole = src.size();
    REQUIRE(whole == RoundUp(size, kPage));
    const std::uint64_t dev = c.Dev(0, 1, whole);
    FillRandom(src.data(), whole, Seed(salt++));
    RunLong(c.fd(), src, dbc, {Copy(0, whole, dev, EMBER_SLICE_TO_DEV)});
    const Bo dst(c.fd(), size);
    FillRandom(dst.data(), whole, Seed(salt++));
    RunLong(c.fd(), dst, dbc, {Copy(0, whole, dev, EMBER_SLICE_FROM_DEV)});
    CHECK(Diff(dst.data(), src.data(), whole).empty());
    std::vector<std::uint8_t> want(dst.data(), dst.data() + whole);
    want[whole - 4] = src.data()[0];
    std::memset(want.data() + whole - 3, 0xff, 3);
    RunLong(c.fd(), dst, dbc,
            {Copy(whole - 4, 1, dev, EMBER_SLICE_FROM_DEV), FillBo(whole - 3, 3, 0xff)});
    CHECK(Diff(dst.data(), want.data(), whole).empty());
  }
}

TEST_CASE("FILL of a BO range (FROM_DEV): all 256 pattern bytes in one BO of 256 slices") {
  const Client c({kPage});  // FILL FROM_DEV touches no device memory
  const auto dbc = c.Activate(kBigRing);
  INFO("rng seed " << Catch::getSeed());
  const std::vector<std::uint64_t> sizes = {1, 2, 3, 5, 7, 8, 63, 4095, 4096, 4097, 5000, 8193};
  std::vector<drm_ember_slice> slices;
  std::uint64_t off = 1;
  for (std::uint32_t p = 0; p < 256; p++) {
    const std::uint64_t size = sizes[p % sizes.size()];
    slices.push_back(FillBo(off, size, static_cast<std::uint8_t>(p)));
    off += size + 1 + (p % 5);  // gaps of 1..5 guard bytes
  }
  const Bo bo(c.fd(), off + kGuard);
  FillRandom(bo.data(), bo.size(), Seed(1));
  std::vector<std::uint8_t> want(bo.data(), bo.data() + bo.size());
  Model none;
  for (const auto &s : slices) {
    none.Apply(s, want);
  }
  RunLong(c.fd(), bo, dbc, slices);
  CHECK(Diff(bo.data(), want.data(), want.size()).empty());
}

TEST_CASE("FILL of a BO range (FROM_DEV), 1 MiB - 1 to 64 MiB: every byte, guards untouched") {
  const Client c({kPage});  // FILL FROM_DEV touches no device memory
  const auto dbc = c.Activate(kBigRing);
  INFO("rng seed " << Catch::getSeed());
  struct Row {
    std::uint64_t size;
    std::uint64_t off;
    std::uint8_t pattern;
  };
  const std::vector<Row> rows = {
      {kMiB - 1, 4095, 0xa5},  {kMiB + 1, 1, 0x01},  {(16 * kMiB) + 5, 4097, 0x5a},
      {64 * kMiB, 4093, 0x00}, {64 * kMiB, 0, 0xff},
  };
  for (const auto &r : rows) {
    INFO("size " << r.size << " at BO offset " << r.off << ", pattern " << int{r.pattern});
    const Bo bo(c.fd(), r.off + r.size + kGuard);
    const auto guard = static_cast<std::uint8_t>(~r.pattern);
    std::memset(bo.data(), guard, bo.size());
    RunLong(c.fd(), bo, dbc, {FillBo(r.off, r.size, r.pattern)});
    CHECK(DiffByte(bo.data(), guard, r.off).empty());
    CHECK(DiffByte(bo.data() + r.off, r.pattern, r.size).empty());
    CHECK(DiffByte(bo.data() + r.off + r.size, guard, bo.size() - r.off - r.size).empty());
  }
}

TEST_CASE("FILL of device memory (TO_DEV): all 256 pattern bytes, 256 slices over random data") {
  const Client c({2 * kMiB});
  const auto dbc = c.Activate(4096);
  INFO("rng seed " << Catch::getSeed());
  const std::vector<std::uint64_t> sizes = {1, 2, 3, 5, 7, 8, 63, 4095, 4096, 4097, 5000, 8193};
  const std::uint64_t base = c.Dev(0, 0, c.RegionSize(0));
  const auto initial = Random(c.RegionSize(0), Seed(2));
  WriteDev(c.fd(), dbc, base, initial);
  Model model(base, initial);
  std::vector<drm_ember_slice> slices;
  std::uint64_t off = 3;
  for (std::uint32_t p = 0; p < 256; p++) {
    const std::uint64_t size = sizes[(std::size_t{p} * 7) % sizes.size()];
    slices.push_back(FillDev(c.Dev(0, off, size), size, static_cast<std::uint8_t>(255 - p)));
    off += size + 1 + (p % 3);
  }
  std::vector<std::uint8_t> unused(kPage);
  for (const auto &s : slices) {
    model.Apply(s, unused);
  }
  const Bo bo(c.fd(), kPage);  // not touched by FILL TO_DEV
  RunLong(c.fd(), bo, dbc, slices);
  CheckDevice(c.fd(), dbc, model);
  CHECK(DiffByte(bo.data(), 0, kPage).empty());
}

TEST_CASE("FILL of device memory (TO_DEV), 1 MiB + 1 to EMBER_REQ_MAX_LEN + 1: guards kept") {
  struct Row {
    std::uint64_t size;
    std::uint64_t off;
    std::uint8_t pattern;
  };
  const std::vector<Row> rows = {
      {kMiB + 1, 1, 0x00}, {(16 * kMiB) + 5, 4095, 0xff}, {64 * kMiB, 0, 0x3c},
      {kReqMax, 7, 0x00},  {kReqMax + 1, 4097, 0xff},
  };
  const std::uint64_t region = RoundUp(kReqMax + 1 + kPage + (2 * kGuard), kPage);
  const Client c({region});
  const auto dbc = c.Activate(kBigRing);
  const Bo back(c.fd(), region);
  for (const auto &r : rows) {
    INFO("size " << r.size << " at device offset +" << r.off << ", pattern " << int{r.pattern});
    const auto guard = static_cast<std::uint8_t>(~r.pattern);
    const std::uint64_t span = r.off + r.size + (2 * kGuard);
    const Bo bo(c.fd(), kPage);
    RunLong(c.fd(), bo, dbc,
            {FillDev(c.Dev(0, 0, span), span, guard),
             FillDev(c.Dev(0, kGuard + r.off, r.size), r.size, r.pattern)});
    std::memset(back.data(), 0x77, span);
    RunLong(c.fd(), back, dbc, {Copy(0, span, c.Dev(0, 0, span), EMBER_SLICE_FROM_DEV)});
    CHECK(DiffByte(back.data(), guard, kGuard + r.off).empty());
    CHECK(DiffByte(back.data() + kGuard + r.off, r.pattern, r.size).empty());
    CHECK(DiffByte(back.data() + kGuard + r.off + r.size, guard, kGuard).empty());
  }
}

TEST_CASE("CRC32 of device memory equals the host CRC-32 for 1 B to EMBER_REQ_MAX_LEN") {
  const std::uint64_t region = RoundUp(kReqMax + (16 * kKiB), kPage);
  const Client c({region});
  const auto dbc = c.Activate(kBigRing);
  INFO("rng seed " << Catch::getSeed());

  // Random data in the whole region, copied in once.
  const Bo data(c.fd(), region);
  FillRandom(data.data(), region, Seed(3));
  RunLong(c.fd(), data, dbc, {Copy(0, region, c.Dev(0, 0, region), EMBER_SLICE_TO_DEV)});

  // (device offset in the region, bytes): prefixes from 1 byte to the
  // maximum, small ranges at odd offsets, two more below.
  const std::vector<std::uint64_t> prefix = {
      1,         2,      3, 4, 5, 7, 8, 9, 4095, 4096, 4097, kMiB - 1, kMiB + 1, (16 * kMiB) + 5,
      64 * kMiB, kReqMax};
  const std::vector<std::uint64_t> odd_offsets = {1, 3, 4095, 4097};
  const std::vector<std::uint64_t> odd_lens = {1, 3, 4096, 65537};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  ranges.reserve(prefix.size() + (odd_offsets.size() * odd_lens.size()) + 2);
  for (const auto len : prefix) {
    ranges.emplace_back(0, len);
  }
  for (const auto off : odd_offsets) {
    for (const auto len : odd_lens) {
      ranges.emplace_back(off, len);
    }
  }
  ranges.emplace_back(12287, (16 * kMiB) + 3);
  ranges.emplace_back(region - 5, 5);  // the region's last bytes

  // One BO of CRC32 slices, results 8 bytes apart over a random BO.
  std::vector<drm_ember_slice> slices;
  for (std::size_t i = 0; i < ranges.size(); i++) {
    const auto [off, len] = ranges[i];
    slices.push_back(Crc(8 * i, c.Dev(0, off, len), len));
  }
  // And one result in the BO's last 4 bytes.
  const std::uint64_t res_size = RoundUp(8 * ranges.size(), kPage);
  slices.push_back(Crc(res_size - 4, c.Dev(0, 4095, 4097), 4097));
  const Bo res(c.fd(), res_size);
  FillRandom(res.data(), res.size(), Seed(4));
  std::vector<std::uint8_t> want(res.data(), res.data() + res.size());
  RunLong(c.fd(), res, dbc, slices);
  const std::uint32_t last = Crc32::Of(data.data() + 4095, 4097);
  for (std::size_t b = 0; b < 4; b++) {
    want[res_size - 4 + b] = static_cast<std::uint8_t>(last >> (8U * b));
  }

  // Host CRCs: the ranges at offset 0 in one pass, the others directly.
  const std::uint8_t *d = data.data();
  Crc32 run;
  std::uint64_t done = 0;
  for (std::size_t i = 0; i < ranges.size(); i++) {
    const auto [off, len] = ranges[i];
    std::uint32_t v = 0;
    if (off == 0) {
      REQUIRE(len >= done);  // listed in increasing order
      run.Update(d + done, len - done);
      done = len;
      v = run.Value();
    } else {
      v = Crc32::Of(d + off, len);
    }
    for (std::size_t b = 0; b < 4; b++) {
      want[(8 * i) + b] = static_cast<std::uint8_t>(v >> (8U * b));
    }
  }
  for (std::size_t i = 0; i < ranges.size(); i++) {
    INFO("CRC32 of " << ranges[i].second << " bytes at region offset " << ranges[i].first);
    CHECK(Diff(res.data() + (8 * i), want.data() + (8 * i), 8).empty());
  }
  CHECK(Diff(res.data(), want.data(), want.size()).empty());

  // dev_aux is bounded by EMBER_REQ_MAX_LEN (docs/datapath.md "Slices").
  const Bo bad(c.fd(), kPage);
  CHECK(Attach(c.fd(), bad.handle(), dbc, {Crc(0, c.Dev(0, 0, kReqMax + 1), kReqMax + 1)}) ==
        EINVAL);
  CHECK(Attach(c.fd(), bad.handle(), dbc, {Crc(0, c.Dev(0, 0), 0)}) == EINVAL);
}

TEST_CASE("GEMM_I8 equals a host int8 GEMM for 1x1x1, non-square and large shapes") {
  struct Shape {
    std::uint32_t m, n, k;
    std::uint64_t skew;  // odd device offsets of A, B and C when non-zero
  };
  const std::vector<Shape> shapes = {
      {1, 1, 1, 0},    {1, 1, 1, 1},       {1, 7, 3, 0},     {5, 1, 9, 3},
      {3, 5, 7, 1},    {4096, 1, 1, 0},    {1, 4096, 1, 5},  {1, 1, 4096, 0},
      {17, 33, 65, 7}, {256, 128, 512, 0}, {64, 300, 96, 1}, {1024, 1024, 1, 0},
  };
  const std::uint64_t region = 8 * kMiB;
  const Client c({region});
  const auto dbc = c.Activate(4096);
  INFO("rng seed " << Catch::getSeed());
  std::uint64_t salt = 10;
  for (const auto &sh : shapes) {
    INFO("m " << sh.m << " n " << sh.n << " k " << sh.k << " skew " << sh.skew);
    const std::uint64_t as = std::uint64_t{sh.m} * sh.k;
    const std::uint64_t bs = std::uint64_t{sh.k} * sh.n;
    const std::uint64_t cs = std::uint64_t{sh.m} * sh.n * 4;
    const std::uint64_t a_dev = sh.skew;
    const std::uint64_t b_dev = a_dev + as + sh.skew;
    const std::uint64_t c_dev = RoundUp(b_dev + bs, 64) + sh.skew;
    // BO: A, B, then room for C and a guard read back from the device.
    const std::uint64_t b_bo = RoundUp(as, kPage);
    const std::uint64_t c_bo = b_bo + RoundUp(bs, kPage);
    const Bo bo(c.fd(), c_bo + cs + kGuard);
    FillRandom(bo.data(), c_bo, Seed(salt++));
    std::memset(bo.data() + c_bo, 0x99, cs + kGuard);
    const std::vector<std::uint8_t> a(bo.data(), bo.data() + as);
    const std::vector<std::uint8_t> b(bo.data() + b_bo, bo.data() + b_bo + bs);
    RunLong(c.fd(), bo, dbc,
            {Copy(0, as, c.Dev(0, a_dev, as), EMBER_SLICE_TO_DEV),
             Copy(b_bo, bs, c.Dev(0, b_dev, bs), EMBER_SLICE_TO_DEV),
             FillDev(c.Dev(0, c_dev, cs + kGuard), cs + kGuard, 0x6b),
             Gemm(c.Dev(0, a_dev, as), c.Dev(0, b_dev, bs), c.Dev(0, c_dev, cs), sh.m, sh.n, sh.k),
             Copy(c_bo, cs + kGuard, c.Dev(0, c_dev, cs + kGuard), EMBER_SLICE_FROM_DEV)});
    const auto want = HostGemm(a.data(), b.data(), sh.m, sh.n, sh.k);
    CHECK(Diff(bo.data() + c_bo, want.data(), cs).empty());
    CHECK(DiffByte(bo.data() + c_bo + cs, 0x6b, kGuard).empty());  // nothing past C
  }

  {  // Extreme operands: sums of 4096 products of -128 and 127.
    constexpr std::uint32_t m = 2;
    constexpr std::uint32_t n = 3;
    constexpr std::uint32_t k = 4096;
    std::vector<std::uint8_t> a(std::size_t{m} * k);
    std::vector<std::uint8_t> b(std::size_t{k} * n);
    for (std::size_t x = 0; x < k; x++) {
      a[x] = 0x80;            // -128
      a[k + x] = 0x7f;        // 127
      b[(x * n) + 0] = 0x80;  // -128
      b[(x * n) + 1] = 0x7f;  // 127
      b[(x * n) + 2] = (x % 2) != 0 ? 0x80 : 0x7f;
    }
    const Bo bo(c.fd(), 3 * kPage * 4);
    std::memcpy(bo.data(), a.data(), a.size());
    std::memcpy(bo.data() + (4 * kPage), b.data(), b.size());
    const auto da = c.Dev(0, 0, a.size());
    const auto db = c.Dev(0, 4 * kPage, b.size());
    const auto dc = c.Dev(0, 8 * kPage, 24);
    RunLong(c.fd(), bo, dbc,
            {Copy(0, a.size(), da, EMBER_SLICE_TO_DEV),
             Copy(4 * kPage, b.size(), db, EMBER_SLICE_TO_DEV), Gemm(da, db, dc, m, n, k),
             Copy(8 * kPage, 24, dc, EMBER_SLICE_FROM_DEV)});
    std::array<std::int32_t, 6> got{};
    std::memcpy(got.data(), bo.data() + (8 * kPage), 24);
    const std::int32_t kk = k;
    CHECK(got[0] == kk * 128 * 128);
    CHECK(got[1] == kk * -128 * 127);
    CHECK(got[2] == (kk / 2) * ((-128 * 127) + (-128 * -128)));
    CHECK(got[3] == kk * 127 * -128);
    CHECK(got[4] == kk * 127 * 127);
    CHECK(got[5] == (kk / 2) * ((127 * 127) + (127 * -128)));
  }
}

TEST_CASE("one BO of mixed slices, both directions, runs in order in one EXECUTE_BO") {
  const Client c({kMiB, 64 * kKiB});
  const auto dbc = c.Activate(4096);
  INFO("rng seed " << Catch::getSeed());
  // Both regions of the workload hold random data to start with.
  Model model;
  for (std::size_t r = 0; r < 2; r++) {
    const auto base = c.Dev(r, 0, c.RegionSize(r));
    const auto initial = Random(c.RegionSize(r), Seed(50 + r));
    WriteDev(c.fd(), dbc, base, initial);
    model.Add(base, initial);
  }

  constexpr std::uint64_t kBoSize = 24 * kPage;
  const std::uint64_t x = c.Dev(0, 4099, 9000);    // part A goes here
  const std::uint64_t y = c.Dev(0, 65537, 5001);   // filled on the device
  const std::uint64_t g = c.Dev(0, 200003, 4096);  // GEMM operands and result
  const std::uint64_t z = c.Dev(1, 5, 9000);       // part A again, in region 1
  const std::vector<drm_ember_slice> slices = {
      Copy(1, 9000, x, EMBER_SLICE_TO_DEV),                   // A to the device
      Copy(20000, 9000, x, EMBER_SLICE_FROM_DEV),             // and back at once
      FillDev(y, 5001, 0x00),                                 // device fill
      Copy(30001, 5003, y - 1, EMBER_SLICE_FROM_DEV),         // read with a byte each side
      FillBo(40000, 6000, 0xff),                              // BO fill
      Crc(46000, x, 9000),                                    // CRC of what slice 0 wrote
      FillBo(20010, 7, 0x42),                                 // overwrites slice 1's bytes
      Copy(50001, 70, g, EMBER_SLICE_TO_DEV),                 // GEMM operands A 5x7, B 7x3
      Gemm(g, g + 35, g + 1000, 5, 3, 7),                     //
      Copy(60000, 60, g + 1000, EMBER_SLICE_FROM_DEV),        // C 5x3 int32
      Copy(70001, 4096, x + 4000, EMBER_SLICE_FROM_DEV),      // part of A again
      Copy(kBoSize - 100, 100, y + 100, EMBER_SLICE_TO_DEV),  // overwrites the fill's bytes
      Crc(80000, y, 5001),                                    // CRC of fill and overwrite
      Copy(20000, 9000, z, EMBER_SLICE_TO_DEV),               // slices 1 and 6's result
      FillDev(z + 3000, 1000, 0xff),                          //
      Crc(80004, z, 9000),                                    //
      Copy(84001, 9000, z, EMBER_SLICE_FROM_DEV),             //
  };
  const Bo bo(c.fd(), kBoSize);
  FillRandom(bo.data(), kBoSize, Seed(6));
  std::vector<std::uint8_t> want(bo.data(), bo.data() + kBoSize);
  for (const auto &s : slices) {
    model.Apply(s, want);
  }
  RunLong(c.fd(), bo, dbc, slices);
  CHECK(Diff(bo.data(), want.data(), kBoSize).empty());
  CheckDevice(c.fd(), dbc, model);
}

TEST_CASE("several BOs in one EXECUTE_BO, on one DBC and on two DBCs") {
  const Client c({2 * kMiB});
  if (c.info().num_dbcs < 2) {
    SKIP("needs two DBCs, the function has " << c.info().num_dbcs);
  }
  const std::array<std::uint32_t, 2> dbcs = {c.Activate(4096), c.Activate(4096)};
  INFO("rng seed " << Catch::getSeed());
  const std::uint64_t base = c.Dev(0, 0, 2 * kMiB);
  const auto initial = Random(2 * kMiB, Seed(7));
  WriteDev(c.fd(), dbcs[0], base, initial);
  Model model(base, initial);

  for (const std::size_t spread : {1U, 2U}) {
    INFO("BOs spread over " << spread << " DBC(s)");
    // EMBER_EXEC_MAX BOs, each with its own device window.
    constexpr std::size_t kBos = EMBER_EXEC_MAX;
    std::vector<std::unique_ptr<Bo>> bos;
    std::vector<std::vector<std::uint8_t>> want;
    std::vector<drm_ember_execute_entry> ents;
    for (std::size_t i = 0; i < kBos; i++) {
      const std::uint64_t len = 1 + ((i * 977) % 6000);
      const std::uint64_t w = c.Dev(0, (i * 16 * kKiB) + (i % 7), 16000);
      const std::vector<drm_ember_slice> slices = {
          Copy(i % 5, len, w, EMBER_SLICE_TO_DEV),
          Crc(RoundUp(len + 8, 4), w, len),
          FillDev(w + len, 300, static_cast<std::uint8_t>(i)),
          Copy(8192 + (i % 3), len + 300, w, EMBER_SLICE_FROM_DEV),
          FillBo(16384 + i, 100 + i, static_cast<std::uint8_t>(0xff - i)),
      };
      bos.push_back(std::make_unique<Bo>(c.fd(), 20 * kKiB));
      const auto &bo = *bos.back();
      FillRandom(bo.data(), bo.size(), Seed(1000 + (spread * kBos) + i));
      want.emplace_back(bo.data(), bo.data() + bo.size());
      for (const auto &s : slices) {
        model.Apply(s, want.back());
      }
      REQUIRE(Attach(c.fd(), bo.handle(), dbcs.at(i % spread), slices) == 0);
      ents.push_back({bo.handle(), 0});
    }
    REQUIRE(Execute(c.fd(), ents) == 0);
    for (std::size_t i = 0; i < kBos; i++) {
      INFO("BO " << i);
      REQUIRE(WaitLong(c.fd(), bos[i]->handle()) == 0);
      CHECK(Diff(bos[i]->data(), want[i].data(), want[i].size()).empty());
    }
    CheckDevice(c.fd(), dbcs[1], model);
  }
}

TEST_CASE("BOs needing more requests together than their ring holds all run, in order") {
  // docs/datapath.md "Flow control" (ABI 1.2.1): a full ring is not an
  // error, the jobs wait in the DBC's scheduler entity and run in the
  // order they were queued. Each BO reads what the one before it wrote.
  const Client c({kMiB});
  constexpr std::uint32_t kRing = 64;  // 63 requests in flight at most
  const auto dbc = c.Activate(kRing);
  const auto io = c.Activate(4096);  // setup and readback
  INFO("rng seed " << Catch::getSeed());
  const std::uint64_t base = c.Dev(0, 0, kMiB);
  const auto initial = Random(kMiB, Seed(16));
  WriteDev(c.fd(), io, base, initial);
  Model model(base, initial);
  const std::uint64_t w = c.Dev(0, 4093, 3000);  // the baton
  constexpr std::size_t kBos = 12;
  constexpr std::uint64_t kPad = 20;  // device-only requests per BO
  std::vector<std::unique_ptr<Bo>> bos;
  std::vector<std::vector<drm_ember_slice>> slices(kBos);
  for (std::size_t i = 0; i < kBos; i++) {
    auto &s = slices[i];
    s.push_back(Crc(0, w, 3000));                               // what the previous BO left
    s.push_back(Copy(4, 3000, w, EMBER_SLICE_FROM_DEV));        // and its bytes
    s.push_back(Copy(kPage + 1, 3000, w, EMBER_SLICE_TO_DEV));  // this BO's own
    for (std::uint64_t j = 0; j < kPad; j++) {
      const std::uint64_t at = c.Dev(0, (64 * kKiB) + (((i * kPad) + j) * 1000), 999);
      s.push_back(FillDev(at, 999 - j, static_cast<std::uint8_t>(i + j)));
    }
    bos.push_back(std::make_unique<Bo>(c.fd(), 2 * kPage));
    REQUIRE(Attach(c.fd(), bos.back()->handle(), dbc, s) == 0);
  }
  for (const bool one_call : {true, false}) {
    INFO((one_call ? "one EXECUTE_BO of all BOs" : "one EXECUTE_BO per BO, no wait between"));
    std::vector<std::vector<std::uint8_t>> want;
    std::vector<drm_ember_execute_entry> ents;
    for (std::size_t i = 0; i < kBos; i++) {
      const auto &bo = *bos[i];
      FillRandom(bo.data(), bo.size(), Seed(40 + (one_call ? 0 : kBos) + i));
      want.emplace_back(bo.data(), bo.data() + bo.size());
      for (const auto &sl : slices[i]) {
        model.Apply(sl, want.back());
      }
      ents.push_back({bo.handle(), 0});
    }
    if (one_call) {
      REQUIRE(Execute(c.fd(), ents) == 0);
    } else {
      for (const auto &e : ents) {
        REQUIRE(Execute(c.fd(), {e}) == 0);
      }
    }
    for (std::size_t i = 0; i < kBos; i++) {
      INFO("BO " << i);
      REQUIRE(WaitLong(c.fd(), bos[i]->handle()) == 0);
      CHECK(Diff(bos[i]->data(), want[i].data(), want[i].size()).empty());
    }
    CheckDevice(c.fd(), io, model);
  }
}

TEST_CASE("ATTACH_SLICE_BO counts requests against the ring: ring - 1 fit, one more is EINVAL") {
  // Requests per slice are known here: FILL TO_DEV one per
  // EMBER_REQ_MAX_LEN, CRC32 and GEMM one, a COPY within one page one.
  const std::uint64_t big = kReqMax + 1;  // a FILL of two requests
  const std::uint64_t window = 64 * kKiB;
  const std::uint64_t region = RoundUp(big + window, kPage);
  const Client c({region});
  constexpr std::uint32_t kRing = 64;  // 63 requests fit
  const auto dbc = c.Activate(kRing);
  INFO("rng seed " << Catch::getSeed());
  const std::uint64_t small = c.Dev(0, big, window);  // after the big fill

  // The two-request fill, 58 small slices of mixed ops, a GEMM and two
  // CRC32s over the big fill: 62 slices, 63 requests.
  std::vector<drm_ember_slice> slices;
  slices.push_back(FillDev(c.Dev(0, 0, big), big, 0x81));
  for (std::uint64_t i = 0; i < 58; i++) {
    const std::uint64_t at = small + (i * 97);
    switch (i % 4) {
      case 0:
        slices.push_back(FillDev(at, 1 + i, static_cast<std::uint8_t>(i)));
        break;
      case 1:
        slices.push_back(Copy((i * 64) % kPage, 64, at, EMBER_SLICE_TO_DEV));
        break;
      case 2:
        slices.push_back(Crc(kPage + (i * 4), at - 97, 97));
        break;
      default:
        slices.push_back(Copy((2 * kPage) + i, 50, at - 50, EMBER_SLICE_FROM_DEV));
        break;
    }
  }
  slices.push_back(Gemm(small, small + 10, small + 8000, 2, 2, 3));
  slices.push_back(Crc(3 * kPage, c.Dev(0, 0, kReqMax), kReqMax));
  slices.push_back(Crc((3 * kPage) + 4, c.Dev(0, kReqMax - 3, 4), 4));  // the second request's
  REQUIRE(slices.size() == 62);

  const Bo bo(c.fd(), 4 * kPage);
  auto over = slices;  // 63 slices, 64 requests
  over.push_back(FillDev(small, 1, 0));
  CHECK(Attach(c.fd(), bo.handle(), dbc, over) == EINVAL);
  over = slices;  // 62 slices, 64 requests: requests count, not slices
  over[1] = FillDev(c.Dev(0, 0, big), big, 0x18);
  CHECK(Attach(c.fd(), bo.handle(), dbc, over) == EINVAL);

  // The refused ATTACHes left the BO unsliced; 63 requests fit and run.
  const auto initial = Random(window, Seed(8));
  WriteDev(c.fd(), dbc, small, initial);
  Model model(small, initial);
  model.Add(c.Dev(0, 0, big), std::vector<std::uint8_t>(big));  // filled whole
  FillRandom(bo.data(), bo.size(), Seed(9));
  std::vector<std::uint8_t> want(bo.data(), bo.data() + bo.size());
  for (const auto &s : slices) {
    model.Apply(s, want);
  }
  RunLong(c.fd(), bo, dbc, slices);
  CHECK(Diff(bo.data(), want.data(), want.size()).empty());  // includes both CRCs of the fill
  const auto dev = ReadDev(c.fd(), dbc, small, window);
  CHECK(Diff(dev.data(), model.At(small, window), window).empty());
}

TEST_CASE("the same BO executed again and again after each wait keeps producing right results") {
  const Client c({64 * kKiB});
  // A small ring that wraps many times; then the BO sliced for another DBC.
  const std::array<std::uint32_t, 2> dbcs = {c.Activate(256), c.Activate(64)};
  INFO("rng seed " << Catch::getSeed());
  const std::uint64_t x = c.Dev(0, 4097, 3001);
  const Bo bo(c.fd(), 4 * kPage);
  const std::vector<drm_ember_slice> slices = {
      Copy(1, 3001, x, EMBER_SLICE_TO_DEV), Crc(4096, x, 3001),
      Copy(5001, 3001, x, EMBER_SLICE_FROM_DEV), FillBo(9000, 100, 0x00), FillBo(9100, 4000, 0xff)};
  constexpr int kRounds = 300;
  int bad = 0;
  for (int i = 0; i < kRounds + 20 && bad < 3; i++) {
    INFO("execution " << i);
    if (i == 0 || i == kRounds) {
      if (i == kRounds) {
        REQUIRE(Detach(c.fd(), bo.handle()) == 0);
      }
      REQUIRE(Attach(c.fd(), bo.handle(), dbcs.at(i == 0 ? 0 : 1), slices) == 0);
    }
    // New input, and the outputs poisoned, every time.
    FillRandom(bo.data(), bo.size(), Seed(20000 + i));
    const std::vector<std::uint8_t> in(bo.data() + 1, bo.data() + 3002);
    // Every third one through PARTIAL_EXECUTE_BO with resize 0 (the whole BO).
    REQUIRE(Execute(c.fd(), {{bo.handle(), 0}}, i % 3 == 2) == 0);
    REQUIRE(WaitLong(c.fd(), bo.handle()) == 0);
    std::uint32_t crc = 0;
    std::memcpy(&crc, bo.data() + 4096, 4);
    const bool ok = crc == Crc32::Of(in.data(), in.size()) &&
                    Diff(bo.data() + 5001, in.data(), in.size()).empty() &&
                    DiffByte(bo.data() + 9000, 0x00, 100).empty() &&
                    DiffByte(bo.data() + 9100, 0xff, 4000).empty();
    CHECK(ok);
    bad += ok ? 0 : 1;
  }
  CHECK(Detach(c.fd(), bo.handle()) == 0);
}

TEST_CASE("PARTIAL_EXECUTE_BO applies each entry's own resize") {
  const Client c({64 * kKiB});
  const auto dbc = c.Activate(1024);
  INFO("rng seed " << Catch::getSeed());
  const std::uint64_t base = c.Dev(0, 0, c.RegionSize(0));
  const auto initial = Random(c.RegionSize(0), Seed(14));
  WriteDev(c.fd(), dbc, base, initial);
  // The same device bytes into several BOs, each cut at its own resize.
  const std::vector<drm_ember_slice> slices = {Copy(0, 10000, base + 3, EMBER_SLICE_FROM_DEV),
                                               Crc(10000, base + 3, 10000),
                                               FillBo(10004, 2000, 0x00)};
  const std::vector<std::uint32_t> resizes = {1, 4097, 10003, 10004, 11000, 0};
  Model model(base, initial);
  std::vector<std::unique_ptr<Bo>> bos;
  std::vector<std::vector<std::uint8_t>> want;
  std::vector<drm_ember_execute_entry> ents;
  for (std::size_t i = 0; i < resizes.size(); i++) {
    bos.push_back(std::make_unique<Bo>(c.fd(), 3 * kPage));
    const auto &bo = *bos.back();
    FillRandom(bo.data(), bo.size(), Seed(15 + i));
    want.emplace_back(bo.data(), bo.data() + bo.size());
    for (const auto &s : slices) {
      model.Apply(s, want.back(), resizes[i]);
    }
    REQUIRE(Attach(c.fd(), bo.handle(), dbc, slices) == 0);
    ents.push_back({bo.handle(), resizes[i]});
  }
  REQUIRE(Execute(c.fd(), ents, true) == 0);
  for (std::size_t i = 0; i < resizes.size(); i++) {
    INFO("resize " << resizes[i]);
    REQUIRE(WaitLong(c.fd(), bos[i]->handle()) == 0);
    CHECK(Diff(bos[i]->data(), want[i].data(), want[i].size()).empty());
  }
}

TEST_CASE("PARTIAL_EXECUTE_BO on a multi-slice BO follows docs/datapath.md for every resize") {
  const Client c({256 * kKiB});
  const auto dbc = c.Activate(1024);
  INFO("rng seed " << Catch::getSeed());
  const auto initial_dev = Random(c.RegionSize(0), Seed(11));
  const std::uint64_t base = c.Dev(0, 0, c.RegionSize(0));
  const std::uint64_t f = base + 1001;          // device fill
  const std::uint64_t p = base + 20001;         // device data copied to the BO
  const std::uint64_t q = base + 40003;         // BO data copied to the device
  const std::uint64_t g = base + 60000;         // GEMM
  constexpr std::uint64_t kBoSize = 5 * kPage;  // 20480
  const std::vector<drm_ember_slice> slices = {
      FillDev(f, 3000, 0x3c),                      // always runs
      Copy(0, 10000, p, EMBER_SLICE_FROM_DEV),     // BO [0, 10000)
      Crc(12000, p, 777),                          // BO [12000, 12004)
      FillBo(10001, 1999, 0xe1),                   // BO [10001, 12000)
      Copy(12004, 5000, q, EMBER_SLICE_TO_DEV),    // BO [12004, 17004)
      Gemm(g, g + 100, g + 200, 2, 3, 4),          // always runs
      Crc(17004, q, 5000),                         // BO [17004, 17008)
      Copy(17008, 3000, f, EMBER_SLICE_FROM_DEV),  // BO [17008, 20008)
  };
  const auto initial_bo = Random(kBoSize, Seed(12));
  const Bo bo(c.fd(), kBoSize);
  REQUIRE(Attach(c.fd(), bo.handle(), dbc, slices) == 0);

  CHECK(Execute(c.fd(), {{bo.handle(), kBoSize + 1}}, true) == EINVAL);  // past the BO
  CHECK(Execute(c.fd(), {{bo.handle(), 1}}, false) == EINVAL);           // resize without PARTIAL

  for (const std::uint32_t resize : {1U,     100U,   4095U,  4096U,  4097U,  9999U,  10000U, 10001U,
                                     10002U, 12000U, 12003U, 12004U, 12005U, 15000U, 17003U, 17004U,
                                     17007U, 17008U, 17009U, 20007U, 20008U, 20009U, 20480U, 0U}) {
    INFO("resize " << resize);
    WriteDev(c.fd(), dbc, base, initial_dev);
    std::memcpy(bo.data(), initial_bo.data(), kBoSize);
    Model model(base, initial_dev);
    std::vector<std::uint8_t> want = initial_bo;
    for (const auto &s : slices) {
      model.Apply(s, want, resize);
    }
    REQUIRE(Execute(c.fd(), {{bo.handle(), resize}}, true) == 0);
    REQUIRE(WaitLong(c.fd(), bo.handle()) == 0);
    CHECK(Diff(bo.data(), want.data(), kBoSize).empty());
    CheckDevice(c.fd(), dbc, model);
  }
}

TEST_CASE("PARTIAL_EXECUTE_BO with a resize that leaves no request is EINVAL and queues nothing") {
  const Client c({64 * kKiB});
  const auto dbc = c.Activate(64);
  const std::uint64_t p = c.Dev(0, 20001, 100);
  WriteDev(c.fd(), dbc, p, Random(100, Seed(13)));
  const Bo late(c.fd(), 3 * kPage);
  const std::vector<drm_ember_slice> s = {Copy(8192, 100, p, EMBER_SLICE_FROM_DEV),
                                          Crc(4096, p, 10)};
  REQUIRE(Attach(c.fd(), late.handle(), dbc, s) == 0);
  for (const std::uint32_t r : {1U, 4096U, 4099U}) {
    INFO("resize " << r);
    REQUIRE_FALSE(Model::Runs(s, r));
    CHECK(Execute(c.fd(), {{late.handle(), r}}, true) == EINVAL);
  }
  CHECK(Detach(c.fd(), late.handle()) == 0);  // not queued
  REQUIRE(Attach(c.fd(), late.handle(), dbc, s) == 0);
  // 4100: the CRC result fits, the copy does not take part.
  std::memset(late.data(), 0x55, late.size());
  REQUIRE(Model::Runs(s, 4100));
  REQUIRE(Execute(c.fd(), {{late.handle(), 4100}}, true) == 0);
  REQUIRE(WaitLong(c.fd(), late.handle()) == 0);
  const auto src = ReadDev(c.fd(), dbc, p, 10);
  std::uint32_t crc = 0;
  std::memcpy(&crc, late.data() + 4096, 4);
  CHECK(crc == Crc32::Of(src.data(), src.size()));
  CHECK(DiffByte(late.data() + 8192, 0x55, 100).empty());
}
