// In-guest tests of DRM_IOCTL_EMBER_MANAGE (docs/nnc.md §14) against the
// emulated device, with raw ioctls: NNC negotiation, passthrough commands
// (ECHO, QUERY, LOAD/UNLOAD_WORKLOAD), ACTIVATE/DEACTIVATE and client
// isolation between processes, DMA_XFER continuation, every malformed
// argument, SIGKILL cleanup, the mailbox fault knobs, FLR and accounting
// over 1000 activation cycles.
//
// Run as root (debugfs, including its "fault" file for the mailbox fault
// knobs; BAR2 through sysfs to check device memory).
// Test cases tagged [timeout] need the module loaded with
// control_resp_timeout_s of at most 5 (tests/vm/kmd/test-manage.sh does
// that); the others work with any value.
#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>
#include <csignal>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "accel_test_util.hpp"
#include "ember_accel.h"
#include "ember_fwcmd.h"
#include "ember_raw.hpp"

namespace {

namespace fs = std::filesystem;
using ember_test::ActivateRaw;
using ember_test::AddActivate;
using ember_test::AddDeactivate;
using ember_test::AddDma;
using ember_test::AddPt;
using ember_test::AddStatus;
using ember_test::ClientLine;
using ember_test::DeactivateRaw;
using ember_test::Dev;
using ember_test::DoQuery;
using ember_test::Fault;
using ember_test::Fd;
using ember_test::FwCmd;
using ember_test::FwCmdOf;
using ember_test::FwReply;
using ember_test::LoadCmd;
using ember_test::Msg;
using ember_test::Query;
using ember_test::QueryErr;
using ember_test::ReadFile;
using ember_test::Reap;
using ember_test::UnloadCmd;
using Clock = std::chrono::steady_clock;

// docs/hardware.md §2.7 (fault injection), names of debugfs "test/fault"
constexpr const char *kFiMboxDrop = "mbox_drop";
constexpr const char *kFiMboxDelayMs = "mbox_delay_ms";
constexpr const char *kFiMboxCorrupt = "mbox_corrupt";

// "key: value" of a debugfs file.
std::uint64_t Stat(const char *file, const std::string &key) {
  std::istringstream in(ReadFile(Dev().debugfs / file));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ": ", 0) == 0) {
      return std::strtoull(line.c_str() + key.size() + 2, nullptr, 0);
    }
  }
  FAIL("no '" << key << "' in debugfs " << file);
  return 0;
}

// handle of a process's (only) client.
std::uint32_t HandleOf(pid_t pid) {
  const auto line = ClientLine(pid);
  REQUIRE(line.rfind("handle=", 0) == 0);
  return static_cast<std::uint32_t>(std::strtoul(line.c_str() + 7, nullptr, 10));
}

// debugfs dbcs: DBC index -> owner handle (0 = free).
std::map<unsigned, std::uint32_t> Owners() {
  std::map<unsigned, std::uint32_t> owners;
  std::istringstream in(ReadFile(Dev().debugfs / "dbcs"));
  std::string line;
  while (std::getline(in, line)) {
    unsigned idx = 0;
    std::uint32_t owner = 0;
    if (std::sscanf(line.c_str(), "dbc%u: owner=%u", &idx, &owner) == 2) {
      owners[idx] = owner;
    } else if (std::sscanf(line.c_str(), "dbc%u: free", &idx) == 1) {
      owners[idx] = 0;
    }
  }
  return owners;
}

// Blocking pipe helpers for parent/child handshakes.
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    r = p[0];
    w = p[1];
  }
  ~Pipe() {
    ::close(r);
    ::close(w);
  }
  // After fork: the reader keeps only the read end, the writer only the
  // write end, so a reader sees EOF when the writer dies.
  void Reader() {
    ::close(w);
    w = -1;
  }
  void Writer() {
    ::close(r);
    r = -1;
  }
  void Send(std::uint32_t v) const { (void)!::write(w, &v, sizeof(v)); }
  bool Recv(std::uint32_t *v) const { return ::read(r, v, sizeof(*v)) == sizeof(*v); }
};

// Everything the accounting tests compare.
struct Accounting {
  Query q;
  std::map<unsigned, std::uint32_t> owners;
  std::uint64_t ring_bytes;
  std::uint64_t in_flight;
  bool operator==(const Accounting &) const = default;
};

Accounting Snapshot(int fd) {
  return Accounting{DoQuery(fd), Owners(), Stat("dbcs", "ring_bytes"), Stat("mbox", "in_flight")};
}

}  // namespace

TEST_CASE("STATUS reports NNC 1.x and the CRC feature") {
  Fd fd;
  Msg m;
  const auto off = AddStatus(m);
  REQUIRE(m.Send(fd.get()) == 0);
  const auto *s = m.At<drm_ember_manage_trans_status>(off);
  CHECK(s->status == EMBER_MANAGE_STATUS_OK);
  CHECK(s->major == 1);
  CHECK((s->features & EMBER_MANAGE_FEAT_CRC) != 0);
  CHECK(ReadFile(Dev().debugfs / "mbox").find("crc: on\n") != std::string::npos);
  CHECK(ReadFile(Dev().debugfs / "mbox").find("state: ready\n") != std::string::npos);
}

TEST_CASE("ECHO passthrough round trip") {
  Fd fd;
  for (const std::size_t len : {8UL, 64UL, 4048UL}) {
    auto cmd = FwCmd(EMBER_FW_CMD_ECHO, len);
    for (std::size_t i = 8; i < len; ++i) {
      cmd[i] = static_cast<std::uint8_t>(i * 7 + len);
    }
    Msg m;
    const auto off = AddPt(m, cmd);
    REQUIRE(m.Send(fd.get()) == 0);
    const auto *pt = m.At<drm_ember_manage_trans_passthrough>(off);
    CHECK(pt->status == EMBER_MANAGE_STATUS_OK);
    REQUIRE(pt->rsp_len == len);
    auto want = cmd;
    ember_fw_put16(want.data(), EMBER_FW_HDR_CMD, FwReply(EMBER_FW_CMD_ECHO));
    CHECK(std::memcmp(pt->data, want.data(), len) == 0);
  }
}

TEST_CASE("QUERY reports the function's resources") {
  Fd fd;
  const Query q = DoQuery(fd.get());
  const auto dbcs = std::strtoul(std::getenv("EMBER_EXPECT_DBCS") ?: "0", nullptr, 0);
  const auto mem = std::strtoull(std::getenv("EMBER_EXPECT_MEM") ?: "0", nullptr, 0);
  if (dbcs) {
    CHECK(q.dbcs_total == dbcs);
  }
  if (mem) {
    CHECK(q.devmem_total == mem);
  }
  CHECK(q.dbcs_free == q.dbcs_total);
  CHECK(q.devmem_free == q.devmem_total);
  CHECK(q.workloads == 0);
  CHECK(q.dbcs_owned == 0);
  CHECK(q.staged == 0);
}

TEST_CASE("ACTIVATE hands out distinct DBCs until ENOSPC") {
  Fd fd;
  const Query before = DoQuery(fd.get());
  const std::uint32_t me = HandleOf(::getpid());
  std::set<std::uint32_t> ids;
  std::uint32_t id = 0, status = 0;
  int err = 0;
  for (unsigned i = 0; i <= before.dbcs_total; ++i) {
    err = ActivateRaw(fd.get(), &id, 64, &status);
    if (err) {
      break;
    }
    CHECK(status == EMBER_MANAGE_STATUS_OK);
    CHECK(id < before.dbcs_total);
    CHECK(ids.insert(id).second);
  }
  CHECK(err == ENOSPC);
  CHECK(status == EMBER_MANAGE_STATUS_NOSPC);
  CHECK(ids.size() == before.dbcs_total);

  const Query full = DoQuery(fd.get());
  CHECK(full.dbcs_free == 0);
  CHECK(full.dbcs_owned == before.dbcs_total);
  for (const auto &[idx, owner] : Owners()) {
    CHECK(owner == me);
  }
  CHECK(ClientLine(::getpid()).find(" pending=0 dead=0") != std::string::npos);

  for (const auto i : ids) {
    std::uint32_t st = 99;
    CHECK(DeactivateRaw(fd.get(), i, &st) == 0);
    CHECK(st == EMBER_MANAGE_STATUS_OK);
  }
  CHECK(DoQuery(fd.get()) == before);
  CHECK(Stat("dbcs", "ring_bytes") == 0);
}

TEST_CASE("a failing transaction stops the call and every status is written") {
  Fd fd;
  const Query before = DoQuery(fd.get());
  // More ACTIVATEs than DBCs in one call: the first ones take effect.
  Msg m;
  std::vector<std::size_t> acts;
  for (unsigned i = 0; i < before.dbcs_total + 2; ++i) {
    acts.push_back(AddActivate(m, 16));
  }
  CHECK(m.Send(fd.get()) == ENOSPC);
  for (unsigned i = 0; i < acts.size(); ++i) {
    const auto *a = m.At<drm_ember_manage_trans_activate>(acts[i]);
    if (i < before.dbcs_total) {
      CHECK(a->status == EMBER_MANAGE_STATUS_OK);
    } else if (i == before.dbcs_total) {
      CHECK(a->status == EMBER_MANAGE_STATUS_NOSPC);
    } else {
      CHECK(a->status == EMBER_MANAGE_STATUS_NOT_RUN);
    }
  }
  CHECK(DoQuery(fd.get()).dbcs_owned == before.dbcs_total);
  for (unsigned i = 0; i < before.dbcs_total; ++i) {
    CHECK(DeactivateRaw(fd.get(), m.At<drm_ember_manage_trans_activate>(acts[i])->dbc_id) == 0);
  }

  // An unknown firmware command in the middle.
  Msg m2;
  const auto s1 = AddStatus(m2);
  const auto pt = AddPt(m2, FwCmd(0x77, 16) /* no such command */);
  const auto s2 = AddStatus(m2);
  CHECK(m2.Send(fd.get()) == EOPNOTSUPP);
  CHECK(m2.At<drm_ember_manage_trans_status>(s1)->status == EMBER_MANAGE_STATUS_OK);
  CHECK(m2.At<drm_ember_manage_trans_status>(s1)->major == 1);
  CHECK(m2.At<drm_ember_manage_trans_passthrough>(pt)->status == EMBER_MANAGE_STATUS_UNSUPPORTED);
  CHECK(m2.At<drm_ember_manage_trans_status>(s2)->status == EMBER_MANAGE_STATUS_NOT_RUN);
  CHECK(DoQuery(fd.get()) == before);
}

TEST_CASE("DEACTIVATE of an own DBC works; never activated is ENOENT; another process's is EPERM") {
  Pipe to_parent, to_child;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    to_parent.Writer();
    to_child.Reader();
    // The child: one DBC of its own, released only when the parent says so.
    const int fd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    std::uint32_t id = 0, go = 0, st = 99;
    if (fd < 0 || ActivateRaw(fd, &id, 32) != 0) {
      _exit(2);
    }
    to_parent.Send(id);
    if (!to_child.Recv(&go)) {
      _exit(3);
    }
    const int err = DeactivateRaw(fd, id, &st);
    to_parent.Send(static_cast<std::uint32_t>(err));
    to_parent.Send(st);
    _exit(0);
  }

  to_parent.Reader();
  to_child.Writer();
  std::uint32_t child_dbc = 0;
  REQUIRE(to_parent.Recv(&child_dbc));
  Fd fd;
  const Query q0 = DoQuery(fd.get());
  CHECK(q0.dbcs_free == q0.dbcs_total - 1);
  const auto child_handle = HandleOf(child);
  CHECK(Owners()[child_dbc] == child_handle);

  // Another client's DBC: EPERM, nothing sent, the DBC stays the child's.
  const auto sent = Stat("mbox", "sent");
  CHECK(DeactivateRaw(fd.get(), child_dbc) == EPERM);
  CHECK(Stat("mbox", "sent") == sent);
  CHECK(Owners()[child_dbc] == child_handle);

  // Never activated: ENOENT, also for ids the device does not have.
  std::uint32_t free_dbc = (child_dbc + 1) % q0.dbcs_total;
  CHECK(DeactivateRaw(fd.get(), free_dbc) == ENOENT);
  CHECK(DeactivateRaw(fd.get(), 1000) == ENOENT);
  CHECK(DeactivateRaw(fd.get(), 0xffffffffU) == ENOENT);

  // Our own: works.
  std::uint32_t mine = 0;
  REQUIRE(ActivateRaw(fd.get(), &mine, 8) == 0);
  CHECK(mine != child_dbc);
  CHECK(DeactivateRaw(fd.get(), mine) == 0);
  CHECK(DeactivateRaw(fd.get(), mine) == ENOENT);

  // The child's DBC was never touched: it is still active and the child
  // can release it.
  const Query q1 = DoQuery(fd.get());
  CHECK(q1.dbcs_free == q0.dbcs_total - 1);
  CHECK(q1.dbcs_owned == 0);
  to_child.Send(1);
  std::uint32_t err = 99, st = 99;
  REQUIRE(to_parent.Recv(&err));
  REQUIRE(to_parent.Recv(&st));
  CHECK(err == 0);
  CHECK(st == EMBER_MANAGE_STATUS_OK);
  const int ws = Reap(child);
  CHECK(WIFEXITED(ws));
  CHECK(WEXITSTATUS(ws) == 0);
  CHECK(DoQuery(fd.get()).dbcs_free == q0.dbcs_total);
}

TEST_CASE("DMA_XFER across messages and LOAD_WORKLOAD of the image") {
  Fd fd;
  const Query before = DoQuery(fd.get());

  // 768 KiB of small pages, faulted in out of order so that they are not
  // physically contiguous: many DMA segments.
  constexpr std::size_t kImage = std::size_t{768} * 1024;
  const long page = ::sysconf(_SC_PAGESIZE);
  void *mem = ::mmap(nullptr, kImage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  ::madvise(mem, kImage, MADV_NOHUGEPAGE);
  auto *image = static_cast<std::uint8_t *>(mem);
  for (std::size_t first : {1UL, 0UL}) {
    for (std::size_t p = first; p < kImage / page; p += 2) {
      image[p * page] = 1;
    }
  }
  for (std::size_t i = 0; i < kImage; ++i) {
    image[i] = static_cast<std::uint8_t>((i * 2654435761U) >> 13);
  }

  // A 3000-byte ECHO first leaves room for ~60 segments in the first
  // message: the transfer continues in the next ones.
  Msg m;
  auto echo = FwCmd(EMBER_FW_CMD_ECHO, 3000);
  const auto pt = AddPt(m, echo);
  constexpr std::uint32_t kTag = 0x5eed;
  const auto dma = AddDma(m, kTag, image, kImage);
  const auto sent0 = Stat("mbox", "sent");
  REQUIRE(m.Send(fd.get()) == 0);
  const auto messages = Stat("mbox", "sent") - sent0;
  CHECK(messages >= 2);
  CHECK(m.At<drm_ember_manage_trans_passthrough>(pt)->status == EMBER_MANAGE_STATUS_OK);
  CHECK(m.At<drm_ember_manage_trans_passthrough>(pt)->rsp_len == 3000);
  const auto *d = m.At<drm_ember_manage_trans_dma_xfer>(dma);
  CHECK(d->status == EMBER_MANAGE_STATUS_OK);
  CHECK(d->received == kImage);
  CHECK(DoQuery(fd.get()).staged == kImage);

  // LOAD_WORKLOAD: one 1 MiB region filled from the image, one step.
  constexpr std::uint64_t kRegion = 1 << 20;
  ember_test::LoadSpec spec;
  spec.sizes = {kRegion};
  spec.name = "manage-test";
  spec.image_tag = kTag;
  const auto load = LoadCmd(spec);
  Msg l;
  const auto lo = AddPt(l, load);
  REQUIRE(l.Send(fd.get()) == 0);
  const auto *lr = l.At<drm_ember_manage_trans_passthrough>(lo);
  REQUIRE(lr->status == EMBER_MANAGE_STATUS_OK);
  REQUIRE(lr->rsp_len == load.size());
  CHECK(FwCmdOf(lr->data) == FwReply(EMBER_FW_CMD_LOAD_WORKLOAD));
  const auto workload = ember_fw_get32(lr->data, EMBER_FW_LOAD_RSP_ID);
  CHECK(workload != 0);
  CHECK(ember_fw_get32(lr->data, EMBER_FW_LOAD_RSP_NREGIONS) == 1);
  CHECK(ember_fw_get64(lr->data, EMBER_FW_LOAD_RSP_IMAGE_BYTES) == kImage);
  const auto region_off = ember_fw_get64(lr->data, EMBER_FW_LOAD_RSP_OFFSETS);
  CHECK(region_off % 4096 == 0);

  const Query loaded = DoQuery(fd.get());
  CHECK(loaded.devmem_free == before.devmem_free - kRegion);
  CHECK(loaded.workloads == 1);
  CHECK(loaded.staged == 0);

  // The image is in device memory, byte for byte (BAR2).
  {
    const auto path = "/sys/bus/pci/devices/" + Dev().bdf + "/resource2";
    const int bar = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(bar >= 0);
    void *p = ::mmap(nullptr, kImage, PROT_READ, MAP_SHARED, bar, static_cast<off_t>(region_off));
    REQUIRE(p != MAP_FAILED);
    CHECK(std::memcmp(p, image, kImage) == 0);
    ::munmap(p, kImage);
    ::close(bar);
  }

  // The driver recorded the workload for the client (docs/datapath.md).
  CHECK(ClientLine(::getpid()).find(" workloads=" + std::to_string(workload)) != std::string::npos);
  {
    std::ostringstream want;
    want << "workload " << workload << ": owner=" << HandleOf(::getpid())
         << " name=\"manage-test\" pins=0 regions=0x" << std::hex << region_off << "+0x" << kRegion
         << "\n";
    CHECK(ReadFile(Dev().debugfs / "workloads").find(want.str()) != std::string::npos);
  }

  Msg u;
  const auto uo = AddPt(u, UnloadCmd(workload));
  REQUIRE(u.Send(fd.get()) == 0);
  CHECK(u.At<drm_ember_manage_trans_passthrough>(uo)->status == EMBER_MANAGE_STATUS_OK);
  CHECK(DoQuery(fd.get()) == before);
  CHECK(ClientLine(::getpid()).find(" workloads=-") != std::string::npos);
  ::munmap(mem, kImage);
}

TEST_CASE("malformed MANAGE calls are refused and change nothing") {
  Fd fd;
  const int f = fd.get();
  std::vector<std::uint8_t> buf(64);
  const Accounting before = Snapshot(f);
  const auto sent = Stat("mbox", "sent");

  auto status_msg = [] {
    Msg m;
    AddStatus(m);
    return m;
  };

  SECTION("bad pointers") {
    CHECK(::ioctl(f, DRM_IOCTL_EMBER_MANAGE, nullptr) == -1);
    CHECK(errno == EFAULT);
    drm_ember_manage_msg m{};
    m.len = 24;
    m.count = 1;
    m.data = 8;  // unmapped
    CHECK(::ioctl(f, DRM_IOCTL_EMBER_MANAGE, &m) == -1);
    CHECK(errno == EFAULT);
    // The user memory of a DMA_XFER.
    Msg d;
    AddDma(d, 1, reinterpret_cast<void *>(0x1000), 4096);
    CHECK(d.Send(f) == EFAULT);
  }
  SECTION("flags and pad") {
    Msg m = status_msg();
    drm_ember_manage_msg a{};
    a.len = 24;
    a.count = 1;
    a.data = reinterpret_cast<std::uintptr_t>(m.bytes().data());
    a.flags = 1;
    CHECK(::ioctl(f, DRM_IOCTL_EMBER_MANAGE, &a) == -1);
    CHECK(errno == EINVAL);
    a.flags = 0;
    a.pad = 1;
    CHECK(::ioctl(f, DRM_IOCTL_EMBER_MANAGE, &a) == -1);
    CHECK(errno == EINVAL);
    m.At<drm_ember_manage_trans_status>(0)->pad = 1;
    CHECK(m.Send(f) == EINVAL);
    Msg act;
    AddActivate(act, 64);
    act.At<drm_ember_manage_trans_activate>(0)->flags = 1;
    CHECK(act.Send(f) == EINVAL);
  }
  SECTION("count and len") {
    Msg m = status_msg();
    CHECK(m.Send(f, 2) == EINVAL);  // count > transactions
    CHECK(m.Send(f, 0xffffffff) == EINVAL);
    Msg longer = status_msg();
    longer.bytes().resize(32);
    CHECK(longer.Send(f, 1, 32) == EINVAL);  // len > sum of hdr.len
    CHECK(m.Send(f, 1, 16) == EINVAL);       // len < hdr.len
    CHECK(m.Send(f, 1, 8) == EINVAL);        // below the minimum
    CHECK(m.Send(f, 1, 4104) == EINVAL);     // over EMBER_MANAGE_MAX_LEN
    Msg two = status_msg();
    AddStatus(two);
    CHECK(two.Send(f, 1) == EINVAL);  // count < transactions
    Msg many;
    for (int i = 0; i < EMBER_MANAGE_MAX_TRANS + 1; ++i) {
      AddDeactivate(many, 0);
    }
    CHECK(many.Send(f) == EINVAL);  // count over the maximum
    drm_ember_manage_msg z{};
    z.len = 24;
    z.count = 0;
    z.data = reinterpret_cast<std::uintptr_t>(m.bytes().data());
    CHECK(::ioctl(f, DRM_IOCTL_EMBER_MANAGE, &z) == -1);
    CHECK(errno == EINVAL);
  }
  SECTION("transaction lengths") {
    for (const std::uint32_t bad : {0U, 4U, 20U, 28U, 32U}) {
      Msg m = status_msg();
      m.At<drm_ember_manage_trans_hdr>(0)->len = bad;
      CHECK(m.Send(f) == EINVAL);
    }
    Msg act;
    AddActivate(act, 64);
    act.bytes().resize(32);
    act.At<drm_ember_manage_trans_hdr>(0)->len = 32;
    CHECK(act.Send(f) == EINVAL);
    Msg de;
    AddDeactivate(de, 0);
    de.bytes().resize(24);
    de.At<drm_ember_manage_trans_hdr>(0)->len = 24;
    CHECK(de.Send(f) == EINVAL);
    Msg dma;
    AddDma(dma, 1, buf.data(), 8);
    dma.bytes().resize(48);
    dma.At<drm_ember_manage_trans_hdr>(0)->len = 48;
    CHECK(dma.Send(f) == EINVAL);
  }
  SECTION("unknown types and TERMINATE") {
    for (const std::uint32_t type : {0U, 6U, 7U, 0x80000001U}) {
      Msg m;
      m.Add(type, 16);
      CHECK(m.Send(f) == EINVAL);
    }
  }
  SECTION("passthrough size") {
    Msg m;
    AddPt(m, std::vector<std::uint8_t>(EMBER_MANAGE_PT_MAX + 8));
    CHECK(m.Send(f) == EINVAL);
    Msg odd;
    odd.Add(EMBER_MANAGE_TRANS_PASSTHROUGH, 16 + 12);
    CHECK(odd.Send(f) == EINVAL);
  }
  SECTION("DMA size and address") {
    Msg zero;
    AddDma(zero, 1, buf.data(), 0);
    CHECK(zero.Send(f) == EINVAL);
    Msg big;
    AddDma(big, 1, buf.data(), EMBER_MANAGE_DMA_MAX + 1);
    CHECK(big.Send(f) == EINVAL);
    Msg wrap;
    // An address range that wraps past the top of the address space.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    void *const top = reinterpret_cast<void *>(~0ULL - 4095);
    AddDma(wrap, 1, top, 8192);
    CHECK(wrap.Send(f) == EINVAL);
  }
  SECTION("ring sizes") {
    for (const std::uint32_t ring : {0U, 1U, 3U, 100U, 131072U, 0x80000000U}) {
      Msg m;
      AddActivate(m, ring);
      CHECK(m.Send(f) == EINVAL);
    }
  }
  SECTION("a bad transaction after good ones sends nothing") {
    Msg m;
    AddActivate(m, 64);
    AddStatus(m);
    AddActivate(m, 3);
    CHECK(m.Send(f) == EINVAL);
    CHECK(m.At<drm_ember_manage_trans_activate>(0)->status == 0);
  }
  CHECK(Stat("mbox", "sent") == sent);
  CHECK(Snapshot(f) == before);
}

TEST_CASE("SIGKILL of a child blocked in MANAGE frees exactly its resources") {
  Fd fd;
  const Accounting start = Snapshot(fd.get());
  std::uint32_t mine = 0;
  REQUIRE(ActivateRaw(fd.get(), &mine, 64) == 0);
  const auto me = HandleOf(::getpid());
  const auto killed0 = Stat("mbox", "killed");

  Pipe to_parent, to_child;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    to_parent.Writer();
    to_child.Reader();
    ::close(fd.get());  // the parent's client, shared by fork
    const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    std::uint32_t id = 0, go = 0;
    if (cfd < 0 || ActivateRaw(cfd, &id, 128) != 0) {
      _exit(2);
    }
    to_parent.Send(id);
    if (!to_child.Recv(&go)) {
      _exit(3);
    }
    Query q{};
    QueryErr(cfd, &q);  // blocks: the reply is delayed
    _exit(4);
  }

  to_parent.Reader();
  to_child.Writer();
  std::uint32_t child_dbc = 0;
  REQUIRE(to_parent.Recv(&child_dbc));
  CHECK(Owners()[child_dbc] == HandleOf(child));
  {
    Fault delay(kFiMboxDelayMs, 1500);
    to_child.Send(1);
    // Wait until the child's message is in flight.
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (Stat("mbox", "in_flight") == 0 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(Stat("mbox", "in_flight") >= 1);
    REQUIRE(::kill(child, SIGKILL) == 0);
    const int ws = Reap(child);
    CHECK(WIFSIGNALED(ws));
    CHECK(WTERMSIG(ws) == SIGKILL);
  }
  CHECK(Stat("mbox", "killed") == killed0 + 1);
  CHECK(ClientLine(child).empty());

  // Only the parent's DBC is left, and the device still works.
  const Query q = DoQuery(fd.get());
  CHECK(q.dbcs_free == q.dbcs_total - 1);
  CHECK(q.dbcs_owned == 1);
  auto owners = Owners();
  CHECK(owners[mine] == me);
  for (const auto &[idx, owner] : owners) {
    if (idx != mine) {
      CHECK(owner == 0);
    }
  }
  CHECK(DeactivateRaw(fd.get(), mine) == 0);
  CHECK(Snapshot(fd.get()) == start);
}

TEST_CASE("SIGKILL of a child holding DBCs frees exactly its resources") {
  Fd fd;
  const Accounting start = Snapshot(fd.get());
  std::uint32_t mine = 0;
  REQUIRE(ActivateRaw(fd.get(), &mine, 16) == 0);
  const auto with_mine = Snapshot(fd.get());

  Pipe to_parent;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    to_parent.Writer();
    ::close(fd.get());
    const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    std::uint32_t a = 0, b = 0;
    if (cfd < 0 || ActivateRaw(cfd, &a, 256) != 0 || ActivateRaw(cfd, &b, 2) != 0) {
      _exit(2);
    }
    to_parent.Send(a);
    to_parent.Send(b);
    for (;;) {
      ::pause();
    }
  }
  to_parent.Reader();
  std::uint32_t a = 0, b = 0;
  REQUIRE(to_parent.Recv(&a));
  REQUIRE(to_parent.Recv(&b));
  const auto ch = HandleOf(child);
  CHECK(Owners()[a] == ch);
  CHECK(Owners()[b] == ch);
  CHECK(DoQuery(fd.get()).dbcs_free == start.q.dbcs_total - 3);
  CHECK(ClientLine(child).find(" dbcs=") != std::string::npos);

  REQUIRE(::kill(child, SIGKILL) == 0);
  const int ws = Reap(child);
  CHECK(WIFSIGNALED(ws));
  CHECK(ClientLine(child).empty());
  CHECK(Snapshot(fd.get()) == with_mine);
  CHECK(DeactivateRaw(fd.get(), mine) == 0);
  CHECK(Snapshot(fd.get()) == start);
}

TEST_CASE("a reply with a bad CRC is EIO and the next call works") {
  Fd fd;
  const Query before = DoQuery(fd.get());
  const auto crc0 = Stat("mbox", "crc_errors");
  {
    Fault corrupt(kFiMboxCorrupt, 1);
    Query q{};
    CHECK(QueryErr(fd.get(), &q) == EIO);
    CHECK(corrupt.Read() == 0);
  }
  CHECK(Stat("mbox", "crc_errors") == crc0 + 1);
  CHECK(DoQuery(fd.get()) == before);

  // A corrupted ACTIVATE reply: the outcome is unknown, the rings stay
  // with the client. The firmware did activate a DBC with them: the
  // client's next call finds it, and the client can release it.
  {
    Fault corrupt(kFiMboxCorrupt, 1);
    std::uint32_t id = 0;
    CHECK(ActivateRaw(fd.get(), &id, 64) == EIO);
  }
  CHECK(ClientLine(::getpid()).find(" dbcs=- pending=1 ") != std::string::npos);
  CHECK(Stat("dbcs", "ring_bytes") > 0);
  CHECK(DoQuery(fd.get()).dbcs_owned == 1);
  CHECK(ClientLine(::getpid()).find(" pending=0 ") != std::string::npos);
  const auto me = HandleOf(::getpid());
  std::vector<std::uint32_t> mine;
  for (const auto &[idx, owner] : Owners()) {
    if (owner == me) {
      mine.push_back(idx);
    }
  }
  REQUIRE(mine.size() == 1);
  CHECK(DeactivateRaw(fd.get(), mine[0]) == 0);
  CHECK(DoQuery(fd.get()) == before);
  CHECK(Stat("dbcs", "ring_bytes") == 0);
}

TEST_CASE("many clients share the mailbox: replies reach their senders") {
  Fd fd;
  const Accounting start = Snapshot(fd.get());
  const auto full0 = Stat("mbox", "queue_full");
  constexpr int kChildren = 24;  // more than the mailbox has slots
  constexpr int kRounds = 4;
  std::vector<pid_t> children;
  {
    // Slow replies keep every child's message queued at the same time.
    Fault delay(kFiMboxDelayMs, 40);
    for (int c = 0; c < kChildren; ++c) {
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        ::close(fd.get());
        const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
        if (cfd < 0) {
          _exit(2);
        }
        for (int r = 0; r < kRounds; ++r) {
          auto cmd = FwCmd(EMBER_FW_CMD_ECHO, 64);
          for (std::size_t i = 8; i < cmd.size(); ++i) {
            cmd[i] = static_cast<std::uint8_t>(c * 31 + r * 7 + i);
          }
          Msg m;
          const auto off = AddPt(m, cmd);
          if (m.Send(cfd) != 0) {
            _exit(3);
          }
          const auto *pt = m.At<drm_ember_manage_trans_passthrough>(off);
          ember_fw_put16(cmd.data(), EMBER_FW_HDR_CMD, FwReply(EMBER_FW_CMD_ECHO));
          if (pt->status != 0 || pt->rsp_len != cmd.size() ||
              std::memcmp(pt->data, cmd.data(), cmd.size()) != 0) {
            _exit(4);
          }
          std::uint32_t id = 0;
          if (r == 0 && ActivateRaw(cfd, &id, 4) == 0 && DeactivateRaw(cfd, id) != 0) {
            _exit(5);
          }
        }
        _exit(0);
      }
      children.push_back(pid);
    }
    for (const auto pid : children) {
      const int ws = Reap(pid);
      CHECK(WIFEXITED(ws));
      CHECK(WEXITSTATUS(ws) == 0);
    }
  }
  CHECK(Stat("mbox", "queue_full") > full0);
  CHECK(Snapshot(fd.get()) == start);
}

TEST_CASE("1000 ACTIVATE/DEACTIVATE cycles leave the accounting unchanged") {
  Fd fd;
  const Accounting start = Snapshot(fd.get());
  const auto sent0 = Stat("mbox", "sent");
  for (unsigned i = 0; i < 1000; ++i) {
    std::uint32_t id = 0;
    const std::uint32_t ring = 2U << (i % 12);
    REQUIRE(ActivateRaw(fd.get(), &id, ring) == 0);
    REQUIRE(DeactivateRaw(fd.get(), id) == 0);
  }
  CHECK(Stat("mbox", "sent") - sent0 == 2000);
  CHECK(Snapshot(fd.get()) == start);
  CHECK(ClientLine(::getpid()).find(" dbcs=- pending=0 dead=0") != std::string::npos);
}

TEST_CASE("FLR: DBCs are lost, the mailbox comes back") {
  Fd fd;
  const Query before = DoQuery(fd.get());
  std::uint32_t id = 0;
  REQUIRE(ActivateRaw(fd.get(), &id, 64) == 0);
  const auto gen = Stat("mbox", "generation");
  ember_test::ResetDevice();
  CHECK(Stat("mbox", "generation") == gen + 1);
  CHECK(ReadFile(Dev().debugfs / "mbox").find("state: ready\n") != std::string::npos);
  CHECK(ClientLine(::getpid()).find(" dead=1") != std::string::npos);
  CHECK(Stat("dbcs", "ring_bytes") == 0);
  // The loss is reported once, then the DBC is simply not ours.
  CHECK(DeactivateRaw(fd.get(), id) == ENODEV);
  CHECK(DeactivateRaw(fd.get(), id) == ENOENT);
  CHECK(DoQuery(fd.get()) == before);
  std::uint32_t again = 0;
  REQUIRE(ActivateRaw(fd.get(), &again, 64) == 0);
  CHECK(DeactivateRaw(fd.get(), again) == 0);
  CHECK(DoQuery(fd.get()) == before);
}

TEST_CASE("a reply that never comes is ETIMEDOUT and the next call works", "[timeout]") {
  const auto timeout_s =
      std::stoul(ReadFile("/sys/module/ember/parameters/control_resp_timeout_s"));
  REQUIRE(timeout_s <= 5);
  Fd fd;
  const Query before = DoQuery(fd.get());
  const auto timeouts0 = Stat("mbox", "timeouts");
  {
    Fault drop(kFiMboxDrop, 1);
    Query q{};
    const auto t0 = Clock::now();
    CHECK(QueryErr(fd.get(), &q) == ETIMEDOUT);
    const auto took = std::chrono::duration<double>(Clock::now() - t0).count();
    CHECK(took >= timeout_s - 0.5);
    CHECK(took < timeout_s + 5.0);
    CHECK(drop.Read() == 0);
  }
  CHECK(Stat("mbox", "timeouts") == timeouts0 + 1);
  CHECK(DoQuery(fd.get()) == before);

  // An ACTIVATE whose reply is lost: the firmware did activate a DBC with
  // the client's rings. The next call finds the DBC and the next reply
  // retires the lost message.
  const auto lost0 = Stat("mbox", "lost");
  {
    Fault drop(kFiMboxDrop, 1);
    std::uint32_t id = 0;
    CHECK(ActivateRaw(fd.get(), &id, 64) == ETIMEDOUT);
  }
  CHECK(ClientLine(::getpid()).find(" dbcs=- pending=1 ") != std::string::npos);
  CHECK(DoQuery(fd.get()).dbcs_owned == 1);
  CHECK(Stat("mbox", "lost") == lost0 + 1);
  CHECK(ClientLine(::getpid()).find(" pending=0 ") != std::string::npos);
  const auto me = HandleOf(::getpid());
  for (const auto &[idx, owner] : Owners()) {
    if (owner == me) {
      CHECK(DeactivateRaw(fd.get(), idx) == 0);
    }
  }
  CHECK(DoQuery(fd.get()) == before);

  // The same, but the client closes before any other call: TERMINATE
  // frees the DBC the driver never learnt about.
  {
    Fault drop(kFiMboxDrop, 1);
    std::uint32_t id = 0;
    CHECK(ActivateRaw(fd.get(), &id, 64) == ETIMEDOUT);
  }
  CHECK(ClientLine(::getpid()).find(" dbcs=- pending=1 ") != std::string::npos);
  fd.Close();
  Fd fd2;
  CHECK(DoQuery(fd2.get()) == before);
  CHECK(Stat("dbcs", "ring_bytes") == 0);
}

TEST_CASE("close without a TERMINATE reply still stops the client's DBCs", "[timeout]") {
  const auto timeout_s =
      std::stoul(ReadFile("/sys/module/ember/parameters/control_resp_timeout_s"));
  REQUIRE(timeout_s <= 5);
  Fd watcher;
  const Query before = DoQuery(watcher.get());
  {
    Fd fd;
    std::uint32_t id = 0;
    REQUIRE(ActivateRaw(fd.get(), &id, 64) == 0);
    Fault drop(kFiMboxDrop, 1);
    const auto t0 = Clock::now();
    fd.Close();  // TERMINATE's reply is dropped: close waits, then resets
    const auto took = std::chrono::duration<double>(Clock::now() - t0).count();
    CHECK(took >= timeout_s - 0.5);
    CHECK(took < timeout_s + 5.0);
  }
  // The firmware executed TERMINATE (only its reply was dropped).
  CHECK(DoQuery(watcher.get()) == before);
  for (const auto &[idx, owner] : Owners()) {
    CHECK(owner == 0);
  }
  CHECK(Stat("dbcs", "ring_bytes") == 0);
}

TEST_CASE("LOAD and UNLOAD whose reply is lost: the driver does not trust the workload",
          "[timeout]") {
  const auto timeout_s =
      std::stoul(ReadFile("/sys/module/ember/parameters/control_resp_timeout_s"));
  REQUIRE(timeout_s <= 5);
  Fd fd;
  const Query before = DoQuery(fd.get());
  ember_test::Workload wl;

  // The firmware loads it but the reply is dropped: the driver knows no
  // region offsets, so it records nothing (the client cannot slice into
  // it); TERMINATE at close frees it.
  {
    Fault drop(kFiMboxDrop, 1);
    CHECK(ember_test::LoadWorkload(fd.get(), {4096}, &wl) == ETIMEDOUT);
  }
  CHECK(DoQuery(fd.get()).workloads == 1);
  CHECK(ClientLine(::getpid()).find(" workloads=-") != std::string::npos);

  // A recorded workload whose UNLOAD reply is lost: the firmware may have
  // freed the regions, so the driver forgets it.
  REQUIRE(ember_test::LoadWorkload(fd.get(), {4096}, &wl) == 0);
  CHECK(ClientLine(::getpid()).find(" workloads=" + std::to_string(wl.id)) != std::string::npos);
  {
    Fault drop(kFiMboxDrop, 1);
    CHECK(ember_test::UnloadWorkload(fd.get(), wl.id) == ETIMEDOUT);
  }
  CHECK(DoQuery(fd.get()).workloads == 1);
  CHECK(ClientLine(::getpid()).find(" workloads=-") != std::string::npos);

  fd.Close();
  Fd fd2;
  CHECK(DoQuery(fd2.get()) == before);
}
