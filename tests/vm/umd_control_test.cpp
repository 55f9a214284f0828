// In-guest tests of libember's control path (C++ API over the C ABI)
// against the real driver and firmware: STATUS, ECHO, QUERY accounting,
// workload load/unload with an image, DBC activate/deactivate, RAII
// cleanup, client isolation and TERMINATE on close.
//
// Needs DRM_IOCTL_EMBER_MANAGE in the kernel and the §15 firmware commands
// in the device model (docs/nnc.md). Optional expectations from
// tests/vm/guest-suite.sh: EMBER_EXPECT_DBCS, EMBER_EXPECT_MEM (bytes).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ember/ember.hpp"
#include "ember_accel.h"

namespace {

constexpr std::uint64_t kGranule = 4096;

std::optional<std::uint64_t> Env(const char *name) {
  const char *v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::strtoull(v, nullptr, 0);
}

std::uint64_t RoundUp(std::uint64_t v) { return (v + kGranule - 1) / kGranule * kGranule; }

ember::Device Open() {
  auto dev = ember::Device::open(0);
  if (!dev) {
    FAIL("ember::Device::open(0): " << dev.error().what());
  }
  return std::move(dev).value();
}

ember::Resources Query(const ember::Device &dev) {
  auto r = dev.query();
  if (!r) {
    FAIL("QUERY: " << r.error().what());
  }
  return *r;
}

std::vector<std::byte> Pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> v(n);
  std::uint32_t x = 0x9e3779b9U ^ seed;
  for (auto &b : v) {
    x = x * 1664525U + 1013904223U;
    b = static_cast<std::byte>(x >> 24);
  }
  return v;
}

// C (output 0) = A (input 0) x B (region 0: the k x n weights); the CRC of
// C goes to region 1.
struct Gemm {
  static constexpr std::uint32_t kM = 8;
  static constexpr std::uint32_t kN = 16;
  static constexpr std::uint32_t kK = 32;
  ember::WorkloadSpec spec;
  std::vector<std::byte> weights = Pattern(std::size_t{kK} * kN, 1);

  Gemm() {
    ember::WorkloadBuilder b("umd-gemm");
    const auto a = b.add_input();
    const auto c = b.add_output();
    const auto w = b.add_region(std::uint64_t{kK} * kN);
    const auto s = b.add_region(4);
    b.gemm_i8(c, a, w, kM, kN, kK).crc32(c, s);
    spec = b.build().value();
  }
  [[nodiscard]] std::uint64_t Allocated() const {
    std::uint64_t n = 0;
    for (const auto size : spec.regions()) {
      n += RoundUp(size);
    }
    return n;
  }
};

// A PASSTHROUGH transaction (uAPI layout) with |n| bytes of command data.
class RawPassthrough {
 public:
  explicit RawPassthrough(std::size_t n) : bytes_(16 + n, 0) {
    drm_ember_manage_trans_passthrough pt{};
    pt.hdr.type = EMBER_MANAGE_TRANS_PASSTHROUGH;
    pt.hdr.len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &pt, sizeof(pt));
  }
  void Put32(std::size_t off, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) {
      bytes_.at(16 + off + i) = static_cast<std::uint8_t>(v >> (8 * i));
    }
  }
  void Put8(std::size_t off, std::uint8_t v) { bytes_.at(16 + off) = v; }
  [[nodiscard]] std::uint32_t Get32(std::size_t off) const {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes_.data() + 16 + off, sizeof(v));
    return v;
  }
  [[nodiscard]] std::uint8_t Get8(std::size_t off) const { return bytes_.at(16 + off); }
  [[nodiscard]] drm_ember_manage_trans_passthrough Header() const {
    drm_ember_manage_trans_passthrough pt{};
    std::memcpy(&pt, bytes_.data(), sizeof(pt));
    return pt;
  }
  // Raw MANAGE of this one transaction.
  ember_status Send(const ember::Device &dev) {
    return ember_manage(dev.handle(), bytes_.data(), static_cast<std::uint32_t>(bytes_.size()), 1);
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

// LOAD_WORKLOAD (docs/nnc.md 15.3) of one 4 KiB region filled from
// |image_tag|'s transfer, with one step: FILL 4096 bytes of that region.
RawPassthrough MakeRawLoad(std::uint32_t image_tag) {
  RawPassthrough t(48 + 8 + 32);
  t.Put32(0, 2);            // cmd LOAD_WORKLOAD, flags 0
  t.Put32(4, 48 + 8 + 32);  // len
  t.Put32(24, image_tag);
  t.Put32(28, 1);     // nregions
  t.Put32(32, 1);     // nsteps
  t.Put32(48, 4096);  // region_size[0]
  t.Put8(56, EMBER_SLICE_OP_FILL);
  t.Put8(58, EMBER_OPERAND_REGION);  // dst region 0
  t.Put32(64, 4096);                 // len
  return t;
}

void CheckSame(const ember::Resources &a, const ember::Resources &b) {
  CHECK(a.dbcs_total == b.dbcs_total);
  CHECK(a.dbcs_free == b.dbcs_free);
  CHECK(a.devmem_total == b.devmem_total);
  CHECK(a.devmem_free == b.devmem_free);
  CHECK(a.workloads == b.workloads);
  CHECK(a.dbcs_owned == b.dbcs_owned);
  CHECK(a.staged_bytes == b.staged_bytes);
}

}  // namespace

TEST_CASE("libember discovers the ember device", "[umd]") {
  const auto list = ember::list_devices();
  REQUIRE(list);
  REQUIRE_FALSE(list->empty());
  const auto &d = list->front();
  CHECK(d.status == EMBER_OK);
  CHECK_THAT(d.node, Catch::Matchers::StartsWith("/dev/accel/accel"));
  CHECK(d.bdf.size() == 12);
  CHECK(d.info.abi_major == EMBER_ABI_MAJOR);
  if (const auto dbcs = Env("EMBER_EXPECT_DBCS")) {
    CHECK(d.info.num_dbcs == *dbcs);
  }
  if (const auto mem = Env("EMBER_EXPECT_MEM")) {
    CHECK(d.info.devmem_size == *mem);
  }

  const auto by_bdf = ember::Device::open_bdf(d.bdf);
  REQUIRE(by_bdf);
  CHECK(by_bdf->describe()->node == d.node);
  const auto by_path = ember::Device::open_path(d.node);
  REQUIRE(by_path);
  CHECK(by_path->describe()->bdf == d.bdf);
  CHECK(by_path->info()->serial == d.info.serial);
  const auto fd = by_path->fd();
  REQUIRE(fd);
  CHECK(*fd >= 0);
}

TEST_CASE("STATUS and ECHO reach the firmware", "[umd]") {
  const auto dev = Open();
  const auto nnc = dev.nnc_status();
  REQUIRE(nnc);
  CHECK(nnc->major == 1);
  CHECK(nnc->minor == 0);
  CHECK((nnc->features & ~EMBER_NNC_FEATURE_CRC) == 0);
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{13}, std::size_t{EMBER_ECHO_MAX}}) {
    const auto payload = Pattern(n, static_cast<unsigned>(n));
    const auto reply = dev.echo(payload);
    REQUIRE(reply);
    CHECK(*reply == payload);
  }
}

TEST_CASE("a fresh client's QUERY matches GET_INFO", "[umd]") {
  const auto dev = Open();
  const auto info = dev.info().value();
  const auto q = Query(dev);
  CHECK(q.dbcs_total == info.num_dbcs);
  CHECK(q.dbcs_free == q.dbcs_total);
  CHECK(q.devmem_total == info.devmem_size);
  CHECK(q.devmem_free == q.devmem_total);
  CHECK(q.workloads == 0);
  CHECK(q.dbcs_owned == 0);
  CHECK(q.staged_bytes == 0);
}

TEST_CASE("a workload with an image is loaded, accounted and unloaded", "[umd]") {
  const auto dev = Open();
  const Gemm g;
  const auto start = Query(dev);
  {
    auto wl = dev.load(g.spec, g.weights);
    REQUIRE(wl);
    CHECK(wl->id() != 0);
    CHECK(wl->image_bytes() == g.weights.size());
    const auto offs = wl->region_offsets();
    REQUIRE(offs.size() == 2);
    for (std::size_t r = 0; r < offs.size(); ++r) {
      CHECK(offs[r] % kGranule == 0);
      CHECK(offs[r] + RoundUp(g.spec.regions()[r]) <= start.devmem_total);
    }
    CHECK(offs[0] != offs[1]);

    const auto loaded = Query(dev);
    CHECK(loaded.workloads == start.workloads + 1);
    CHECK(loaded.devmem_free + g.Allocated() == start.devmem_free);
    CHECK(loaded.staged_bytes == start.staged_bytes);  // the load consumed the image

    // A second workload gets other device memory.
    auto wl2 = dev.load(g.spec);
    REQUIRE(wl2);
    CHECK(wl2->id() != wl->id());
    CHECK(wl2->image_bytes() == 0);
    for (const auto a : wl->region_offsets()) {
      for (const auto b : wl2->region_offsets()) {
        CHECK(a != b);
      }
    }
    CHECK(Query(dev).workloads == start.workloads + 2);
    REQUIRE(wl2->unload());
  }
  CheckSame(Query(dev), start);
}

TEST_CASE("DMA transfers are staged for the client", "[umd]") {
  const auto start = Query(Open());
  {
    const auto dev = Open();
    const auto data = Pattern(3000, 7);
    const auto received = dev.dma_transfer(0x42, data);
    REQUIRE(received);
    CHECK(*received == data.size());
    CHECK(Query(dev).staged_bytes == data.size());

    // LOAD_WORKLOAD naming the tag consumes the transfer.
    RawPassthrough load = MakeRawLoad(0x42);
    REQUIRE(load.Send(dev) == EMBER_OK);
    CHECK(load.Header().status == EMBER_MANAGE_STATUS_OK);
    REQUIRE(load.Header().rsp_len >= 32);
    CHECK(load.Get8(0) == 0x02);
    CHECK(load.Get8(1) == 0x80);
    const std::uint32_t id = load.Get32(8);
    CHECK(id != 0);
    CHECK(load.Get32(16) == data.size());  // image_bytes (low word)
    const auto q = Query(dev);
    CHECK(q.staged_bytes == 0);
    CHECK(q.workloads == 1);
    REQUIRE(ember_workload_unload(dev.handle(), id) == EMBER_OK);

    // The tag is gone now: a second LOAD naming it finds nothing.
    RawPassthrough again = MakeRawLoad(0x42);
    CHECK(again.Send(dev) == EMBER_ERR_NOENT);
    CHECK(again.Header().status == EMBER_MANAGE_STATUS_NOENT);

    // Staged again, then left to TERMINATE.
    REQUIRE(dev.dma_transfer(0x43, data));
    CHECK(Query(dev).staged_bytes == data.size());
  }
  // Closing the client (TERMINATE) dropped the transfer; a new client
  // starts with nothing staged and the function's accounting is whole.
  CheckSame(Query(Open()), start);
}

TEST_CASE("DBCs: activate up to the limit, then NOSPC; RAII gives them back", "[umd]") {
  const auto dev = Open();
  const auto start = Query(dev);
  {
    std::vector<ember::Dbc> dbcs;
    std::set<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < start.dbcs_total; ++i) {
      auto dbc = dev.activate_dbc(i % 2 == 0 ? 16 : 1024);
      REQUIRE(dbc);
      CHECK(dbc->id() < start.dbcs_total);
      ids.insert(dbc->id());
      dbcs.push_back(std::move(dbc).value());
    }
    CHECK(ids.size() == start.dbcs_total);
    const auto full = Query(dev);
    CHECK(full.dbcs_free == 0);
    CHECK(full.dbcs_owned == start.dbcs_total);
    const auto more = dev.activate_dbc(16);
    REQUIRE_FALSE(more);
    CHECK(more.error().code() == EMBER_ERR_NOSPC);

    REQUIRE(dbcs.back().deactivate());
    CHECK(Query(dev).dbcs_free == 1);
  }
  CheckSame(Query(dev), start);
}

TEST_CASE("errors come back with the documented codes", "[umd]") {
  const auto dev = Open();
  const auto start = Query(dev);
  CHECK(ember_workload_unload(dev.handle(), 0xdeadbeefU) == EMBER_ERR_NOENT);
  CHECK(ember_dbc_deactivate(dev.handle(), 0) == EMBER_ERR_NOENT);  // never activated
  CHECK(dev.activate_dbc(3).error().code() == EMBER_ERR_INVALID);

  // The kernel's own checks, through raw MANAGE.
  drm_ember_manage_trans_activate act{};
  act.hdr.type = EMBER_MANAGE_TRANS_ACTIVATE;
  act.hdr.len = sizeof(act);
  act.ring_size = 3;
  CHECK(ember_manage(dev.handle(), &act, sizeof(act), 1) == EMBER_ERR_INVALID);
  drm_ember_manage_trans_status st{};
  st.hdr.type = EMBER_MANAGE_TRANS_STATUS;
  st.hdr.len = sizeof(st);
  st.pad = 1;
  CHECK(ember_manage(dev.handle(), &st, sizeof(st), 1) == EMBER_ERR_INVALID);

  // An unknown firmware command in a PASSTHROUGH: UNSUPPORTED.
  RawPassthrough cmd(16);
  cmd.Put32(0, 99);  // cmd 99
  cmd.Put32(4, 16);  // len 16
  CHECK(cmd.Send(dev) == EMBER_ERR_UNSUPPORTED);
  CHECK(cmd.Header().status == EMBER_MANAGE_STATUS_UNSUPPORTED);

  // A LOAD naming a transfer that does not exist: NOENT, nothing allocated.
  RawPassthrough load = MakeRawLoad(0x7777);
  CHECK(load.Send(dev) == EMBER_ERR_NOENT);
  CHECK(load.Header().status == EMBER_MANAGE_STATUS_NOENT);
  CheckSame(Query(dev), start);
}

TEST_CASE("two handles are two isolated clients", "[umd]") {
  const auto alice = Open();
  const auto bob = Open();
  const Gemm g;
  const auto start = Query(bob);
  auto wl = alice.load(g.spec, g.weights).value();
  auto dbc = alice.activate_dbc(64).value();

  // Bob can neither unload Alice's workload nor deactivate her DBC.
  CHECK(ember_workload_unload(bob.handle(), wl.id()) == EMBER_ERR_PERM);
  CHECK(ember_dbc_deactivate(bob.handle(), dbc.id()) == EMBER_ERR_PERM);
  const auto seen_by_bob = Query(bob);
  CHECK(seen_by_bob.workloads == 0);
  CHECK(seen_by_bob.dbcs_owned == 0);
  CHECK(seen_by_bob.dbcs_free + 1 == start.dbcs_free);
  CHECK(seen_by_bob.devmem_free + g.Allocated() == start.devmem_free);
  const auto seen_by_alice = Query(alice);
  CHECK(seen_by_alice.workloads == 1);
  CHECK(seen_by_alice.dbcs_owned == 1);

  // Alice's objects are intact and hers to release.
  REQUIRE(dbc.deactivate());
  REQUIRE(wl.unload());
  CheckSame(Query(bob), start);
}

TEST_CASE("closing a client frees what it did not release", "[umd]") {
  const auto observer = Open();
  const auto start = Query(observer);
  {
    const auto dev = Open();
    const Gemm g;
    auto wl = dev.load(g.spec, g.weights).value();
    auto dbc = dev.activate_dbc(16).value();
    wl.release();  // leave them to TERMINATE
    dbc.release();
    CHECK(Query(observer).dbcs_free + 1 == start.dbcs_free);
  }
  // TERMINATE is sent on close; allow the driver a moment if it is
  // asynchronous.
  auto now = Query(observer);
  for (int i = 0; i < 50 && now.dbcs_free != start.dbcs_free; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    now = Query(observer);
  }
  CheckSame(now, start);
}

TEST_CASE("RAII objects outlive their Device safely", "[umd]") {
  const auto observer = Open();
  const auto start = Query(observer);
  ember::Workload wl;
  ember::Dbc dbc;
  {
    auto dev = Open();
    const Gemm g;
    wl = dev.load(g.spec, g.weights).value();
    dbc = dev.activate_dbc(32).value();
  }
  CHECK(Query(observer).dbcs_free + 1 == start.dbcs_free);
  REQUIRE(wl.unload());
  REQUIRE(dbc.deactivate());
  CheckSame(Query(observer), start);
}

TEST_CASE("one handle used from several threads", "[umd][threads]") {
  const auto dev = Open();
  const auto start = Query(dev);
  const Gemm g;
  constexpr int kThreads = 4;
  constexpr int kIterations = 10;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        const auto payload = Pattern(64, static_cast<unsigned>((t * 100) + i));
        auto wl = dev.load(g.spec, g.weights);
        const auto echo = dev.echo(payload);
        auto dbc = dev.activate_dbc(16);
        const bool dbc_ok = dbc || dbc.error().code() == EMBER_ERR_NOSPC;
        if (!wl || !echo || *echo != payload || !dbc_ok || !dev.query() || !wl->unload()) {
          ++failures[t];
        }
      }
    });
  }
  for (auto &th : threads) {
    th.join();
  }
  for (const int f : failures) {
    CHECK(f == 0);
  }
  CheckSame(Query(dev), start);
}
