// In-guest integrity tests of the ember driver, raw ioctls against the
// emulated device (run as root: debugfs "test/fault", module parameters, FLR
// and the device node's mode):
//
// 1. A lost DBC interrupt (debugfs fault drop_irq): WAIT_BO with the
//    default timeout still returns the job, found by re-checking the ring
//    (debugfs datapath rechecks=N); with mitigation on and off.
// 2. Pinned BO memory is bounded per process (module parameter
//    max_pinned_mb, against VmPin): CREATE_BO and ATTACH_SLICE_BO over
//    the bound are ENOMEM, each process has its own budget (another file
//    of the same process does not); pages are charged to the caller's
//    memory cgroup.
// 3. A BO shared through PRIME is run, re-sliced and detached only by the
//    client that sliced it (EPERM for the importer) until that client is
//    gone.
// 4. No global GEM names: GEM_FLINK and GEM_OPEN are EOPNOTSUPP, for root
//    and for an unprivileged user.
// 5. After a device reset, ATTACH and EXECUTE that need the DBC or a
//    workload lost to it are ENODEV.
// 6. Every LOAD_WORKLOAD the firmware answers OK is recorded, also when
//    it reuses memory of a client whose close (TERMINATE) is in progress.
#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "accel_test_util.hpp"
#include "ember_accel.h"
#include "ember_load.hpp"
#include "ember_raw.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ember_test::Activate;
using ember_test::ActivateRaw;
using ember_test::Attach;
using ember_test::Bo;
using ember_test::Copy;
using ember_test::CreateBo;
using ember_test::CreateBoRaw;
using ember_test::Detach;
using ember_test::Dev;
using ember_test::ErrName;
using ember_test::Execute;
using ember_test::Fault;
using ember_test::Fd;
using ember_test::FillBo;
using ember_test::FillDev;
using ember_test::GemClose;
using ember_test::Ioctl;
using ember_test::LoadWorkload;
using ember_test::ModuleParam;
using ember_test::Reap;
using ember_test::UnloadWorkload;
using ember_test::Wait;
using ember_test::Workload;

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kPage = 4096;

// A BO byte pattern that differs per job.
std::uint8_t PatternByte(std::uint64_t i, std::uint64_t seed) {
  return static_cast<std::uint8_t>((i * 131) + (seed * 29) + (i >> 8) + 1);
}

bool Polling() { return ModuleParam("datapath_polling") == "Y"; }

// debugfs datapath counter @key of DBC @dbc, or -1 if the line has none.
std::int64_t DbcCounter(std::uint32_t dbc, const std::string &key) {
  const auto d = ember_load::ReadDatapath(ember_load::FindDevice());
  if (dbc >= d.dbcs.size()) {
    return -1;
  }
  const auto it = d.dbcs[dbc].find(key);
  return it == d.dbcs[dbc].end() ? -1 : static_cast<std::int64_t>(it->second);
}

// ---- 1. lost interrupts ----

// Jobs on one DBC, each with the next DBC interrupt dropped by the device
// model: a COPY of half of a BO to device memory and back into the other
// half, in one job (two responses, the first into an empty ring: the one
// interrupt of the job is the dropped one).
void LostInterruptJobs(const char *mode) {
  constexpr int kJobs = 5;
  constexpr std::uint64_t kHalf = 2048;
  Fd fd;
  const auto dbc = Activate(fd.get());
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kPage}, &wl) == 0);
  const auto r = wl.offsets.at(0);
  const Bo bo(fd.get(), 2 * kHalf);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc,
                 {Copy(0, kHalf, r, EMBER_SLICE_TO_DEV),
                  Copy(kHalf, kHalf, r, EMBER_SLICE_FROM_DEV)}) == 0);
  auto run = [&](int job, bool drop) {
    INFO(mode << ", job " << job << (drop ? " (interrupt dropped)" : " (no fault)"));
    for (std::uint64_t i = 0; i < kHalf; i++) {
      bo.data()[i] = PatternByte(i, job);
      bo.data()[kHalf + i] = 0;
    }
    const auto before = DbcCounter(dbc, "rechecks");
    int err = 0;
    double ms = 0;
    bool dropped = false;
    {
      const Fault fault("drop_irq", drop ? 1 : 0);
      const auto t0 = Clock::now();
      REQUIRE(Execute(fd.get(), bo.handle()) == 0);
      err = Wait(fd.get(), bo.handle());  // the default timeout
      ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      dropped = drop && fault.Read() == 0;  // the device ate an interrupt
    }
    WARN(mode << ", job " << job << ": WAIT_BO (timeout_ms 0) returned " << ErrName(err)
              << " after " << ms << " ms; an interrupt was "
              << (dropped ? "dropped" : "not dropped"));
    REQUIRE(err == 0);
    CHECK(std::memcmp(bo.data() + kHalf, bo.data(), kHalf) == 0);
    if (dropped && before >= 0) {
      // Counted by the drain that found the response; give it a moment.
      auto after = DbcCounter(dbc, "rechecks");
      for (int i = 0; i < 100 && after <= before; i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        after = DbcCounter(dbc, "rechecks");
      }
      INFO("rechecks before " << before << ", after " << after);
      CHECK(after > before);
    }
    return dropped;
  };

  if (DbcCounter(dbc, "rechecks") < 0) {
    FAIL_CHECK("debugfs datapath has no rechecks=N counter for dbc" << dbc);
  }
  run(0, false);  // a working DBC
  int dropped = 0;
  for (int job = 1; job <= kJobs; job++) {
    dropped += run(job, true) ? 1 : 0;
  }
  // A job's interrupt is not sent while the source is still masked from
  // the previous job (then the driver's unmask re-check finds it): at
  // least one of them must have been dropped for the case to mean much.
  WARN(mode << ": " << dropped << " of " << kJobs << " interrupts dropped");
  CHECK(dropped >= 1);
  run(kJobs + 1, false);  // and interrupts still work afterwards
}

}  // namespace

TEST_CASE("lost interrupt: WAIT_BO with the default timeout completes the job") {
  if (Polling()) {
    SKIP("datapath_polling=1: DBC interrupts are off, there is none to drop");
  }
  REQUIRE(ModuleParam("datapath_irq_mitigation") == "Y");
  LostInterruptJobs("mitigation on");
}

TEST_CASE("lost interrupt with datapath_irq_mitigation off: WAIT_BO still completes the job") {
  if (Polling()) {
    SKIP("datapath_polling=1: DBC interrupts are off, there is none to drop");
  }
  const ember_load::ParamGuard mitigation("datapath_irq_mitigation", "N");
  REQUIRE(ModuleParam("datapath_irq_mitigation") == "N");
  LostInterruptJobs("mitigation off");
}

// ---- 2. pinned memory ----

namespace {

// Sets max_pinned_mb for a scope; fails the test if there is no such
// parameter.
class PinnedBound {
 public:
  explicit PinnedBound(const char *mb) {
    if (ModuleParam("max_pinned_mb").empty()) {
      FAIL("no module parameter /sys/module/ember/parameters/max_pinned_mb");
    }
    guard_ = std::make_unique<ember_load::ParamGuard>("max_pinned_mb", mb);
    REQUIRE(ModuleParam("max_pinned_mb") == mb);
  }

 private:
  std::unique_ptr<ember_load::ParamGuard> guard_;
};

int CreateBoErr(int fd, std::uint64_t size) {
  std::uint32_t handle = 0;
  const int err = CreateBoRaw(fd, size, &handle);
  if (err == 0) {
    GemClose(fd, handle);
  }
  return err;
}

}  // namespace

namespace {

// VmPin of this process (mm->pinned_vm), bytes.
std::uint64_t VmPin() {
  std::istringstream in(ember_test::ReadFile("/proc/self/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmPin:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  FAIL("no VmPin in /proc/self/status");
  return 0;
}

}  // namespace

TEST_CASE("max_pinned_mb bounds the memory a process pins; each process has its own budget") {
  const PinnedBound bound("64");
  Fd fd;
  const auto dbc = Activate(fd.get());
  CHECK(CreateBoErr(fd.get(), 128 * kMiB) == ENOMEM);

  constexpr std::uint64_t kSize = 48 * kMiB;
  const auto first = CreateBo(fd.get(), kSize);
  const Bo second(fd.get(), kSize);
  for (std::uint64_t off = 0; off < kSize; off += kMiB) {
    second.data()[off + 4096] = PatternByte(off / kMiB, 7);
  }
  // A FILL of the BO touches no device memory; the ATTACH pins all of it,
  // charged to this process (VmPin).
  const auto pinned = VmPin();
  REQUIRE(Attach(fd.get(), first, dbc, {FillBo(0, kPage, 0x11)}) == 0);
  CHECK(VmPin() == pinned + kSize);
  CHECK(Attach(fd.get(), second.handle(), dbc, {FillBo(0, kPage, 0x22)}) == ENOMEM);
  CHECK(VmPin() == pinned + kSize);
  // The budget is the process's, not the file's: another open file of the
  // same process gets nothing more.
  {
    Fd again;
    const auto dbc2 = Activate(again.get());
    const auto third = CreateBo(again.get(), kSize);
    CHECK(Attach(again.get(), third, dbc2, {FillBo(0, kPage, 0x33)}) == ENOMEM);
  }

  // Another client (process) pins 48 MiB while this one holds 48.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int cfd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
    std::uint32_t cdbc = 0;
    std::uint32_t handle = 0;
    if (cfd < 0 || ActivateRaw(cfd, &cdbc) != 0 || CreateBoRaw(cfd, kSize, &handle) != 0) {
      ::_exit(100);
    }
    ::_exit(Attach(cfd, handle, cdbc, {FillBo(0, kPage, 0x33)}));
  }
  const int st = Reap(pid);
  REQUIRE(WIFEXITED(st));
  INFO("the other client's ATTACH of 48 MiB: "
       << (WEXITSTATUS(st) == 100 ? std::string("setup failed") : ErrName(WEXITSTATUS(st))));
  CHECK(WEXITSTATUS(st) == 0);

  // Freeing the first BO unpins it: the second one attaches and runs, its
  // bytes intact.
  REQUIRE(GemClose(fd.get(), first) == 0);
  REQUIRE(Attach(fd.get(), second.handle(), dbc, {FillBo(0, kPage, 0x22)}) == 0);
  REQUIRE(Execute(fd.get(), second.handle()) == 0);
  REQUIRE(Wait(fd.get(), second.handle()) == 0);
  bool filled = true;
  for (std::uint64_t i = 0; i < kPage; i++) {
    filled = filled && second.data()[i] == 0x22;
  }
  CHECK(filled);
  bool kept = true;
  for (std::uint64_t off = 0; off < kSize; off += kMiB) {
    kept = kept && second.data()[off + 4096] == PatternByte(off / kMiB, 7);
  }
  CHECK(kept);
}

TEST_CASE("max_pinned_mb 0 (half of RAM): CREATE_BO of 4 GiB is ENOMEM") {
  const PinnedBound bound("0");
  Fd fd;
  CHECK(CreateBoErr(fd.get(), 4096 * kMiB) == ENOMEM);
  CHECK(CreateBoErr(fd.get(), kMiB) == 0);
}

namespace {

// The cgroup v2 memory controller of the guest (mounted here if the
// guest's init did not), or why not.
std::string NoMemcg() {
  const fs::path root = "/sys/fs/cgroup";
  if (!fs::exists(root / "cgroup.controllers") &&
      ::mount("cgroup2", root.c_str(), "cgroup2", 0, nullptr) != 0) {
    return std::string("cannot mount cgroup v2 at /sys/fs/cgroup: ") + std::strerror(errno);
  }
  if (ember_test::ReadFile(root / "cgroup.controllers").find("memory") == std::string::npos) {
    return "the cgroup v2 hierarchy has no memory controller";
  }
  return "";
}

std::uint64_t MemCurrent(const fs::path &cg) {
  return std::stoull(ember_test::ReadFile(cg / "memory.current"));
}

}  // namespace

TEST_CASE("pinned BO pages are charged to the caller's memory cgroup") {
  if (const auto why = NoMemcg(); !why.empty()) {
    SKIP(why);
  }
  const fs::path root = "/sys/fs/cgroup";
  const fs::path cg = root / ("ember-integrity-" + std::to_string(::getpid()));
  ember_test::WriteFile(root / "cgroup.subtree_control", "+memory");
  fs::create_directory(cg);
  ember_test::WriteFile(cg / "cgroup.procs", std::to_string(::getpid()));
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  {
    Fd fd;
    const auto dbc = Activate(fd.get());
    const auto bo = CreateBo(fd.get(), 32 * kMiB);
    before = MemCurrent(cg);
    CHECK(Attach(fd.get(), bo, dbc, {FillBo(0, kPage, 1)}) == 0);
    after = MemCurrent(cg);
  }
  ember_test::WriteFile(root / "cgroup.procs", std::to_string(::getpid()));
  fs::remove(cg);
  INFO("memory.current " << before << " -> " << after);
  CHECK(after >= before + (32 * kMiB));
}

// ---- 3. PRIME ----

TEST_CASE("a BO shared through PRIME: only its slicer runs, re-slices or detaches it") {
  Fd a;
  Fd b;
  const auto dbc = Activate(a.get());
  Workload wl;
  REQUIRE(LoadWorkload(a.get(), {kPage}, &wl) == 0);
  const auto r = wl.offsets.at(0);
  std::uint32_t hb = 0;
  {
    const Bo bo(a.get(), kPage);
    REQUIRE(Attach(a.get(), bo.handle(), dbc,
                   {Copy(0, kPage / 2, r, EMBER_SLICE_TO_DEV),
                    Copy(kPage / 2, kPage / 2, r, EMBER_SLICE_FROM_DEV)}) == 0);
    int prime = -1;
    const int exported = drmPrimeHandleToFD(a.get(), bo.handle(), DRM_CLOEXEC | DRM_RDWR, &prime);
    INFO("PRIME export of an ember BO: " << (exported == 0 ? "ok" : std::strerror(errno)));
    REQUIRE(exported == 0);
    const int imported = drmPrimeFDToHandle(b.get(), prime, &hb);
    ::close(prime);
    REQUIRE(imported == 0);

    // The importer, with a DBC and a workload of its own.
    const auto bdbc = Activate(b.get());
    Workload bwl;
    REQUIRE(LoadWorkload(b.get(), {kPage}, &bwl) == 0);
    CHECK(ErrName(Execute(b.get(), hb)) == ErrName(EPERM));
    CHECK(ErrName(
              Attach(b.get(), hb, bdbc, {Copy(0, kPage, bwl.offsets.at(0), EMBER_SLICE_TO_DEV)})) ==
          ErrName(EPERM));
    CHECK(ErrName(Detach(b.get(), hb)) == ErrName(EPERM));

    // The slicer still runs it.
    for (std::uint64_t i = 0; i < kPage / 2; i++) {
      bo.data()[i] = PatternByte(i, 3);
    }
    REQUIRE(Execute(a.get(), bo.handle()) == 0);
    REQUIRE(Wait(a.get(), bo.handle()) == 0);
    CHECK(std::memcmp(bo.data() + (kPage / 2), bo.data(), kPage / 2) == 0);
  }
  // The slicer is gone: the importer may drop the stale slicing.
  a.Close();
  CHECK(ErrName(Execute(b.get(), hb)) == ErrName(EPERM));
  CHECK(ErrName(Detach(b.get(), hb)) == "0");
}

// ---- 4. global names ----

namespace {

int Flink(int fd, std::uint32_t handle) {
  drm_gem_flink f{};
  f.handle = handle;
  return Ioctl(fd, DRM_IOCTL_GEM_FLINK, &f);
}

// GEM_OPEN of names 1..16: the errnos that were not @want, "" if none.
std::string GemOpenUnexpected(int fd, int want) {
  std::string bad;
  for (std::uint32_t name = 1; name <= 16; name++) {
    drm_gem_open o{};
    o.name = name;
    const int err = Ioctl(fd, DRM_IOCTL_GEM_OPEN, &o);
    if (err == 0) {
      GemClose(fd, o.handle);
    }
    if (err != want) {
      bad += " name " + std::to_string(name) + ": " + ErrName(err);
    }
  }
  return bad;
}

// Restores the mode of a file on scope exit.
class ModeGuard {
 public:
  ModeGuard(std::string path, mode_t mode) : path_(std::move(path)) {
    struct stat st {};
    REQUIRE(::stat(path_.c_str(), &st) == 0);
    saved_ = st.st_mode & 07777;
    REQUIRE(::chmod(path_.c_str(), mode) == 0);
  }
  ~ModeGuard() { ::chmod(path_.c_str(), saved_); }
  ModeGuard(const ModeGuard &) = delete;
  ModeGuard &operator=(const ModeGuard &) = delete;

 private:
  std::string path_;
  mode_t saved_ = 0;
};

}  // namespace

TEST_CASE("GEM_FLINK and GEM_OPEN are EOPNOTSUPP as root") {
  REQUIRE(::geteuid() == 0);
  Fd fd;
  const auto bo = CreateBo(fd.get(), kPage);
  CHECK(ErrName(Flink(fd.get(), bo)) == ErrName(EOPNOTSUPP));
  const auto bad = GemOpenUnexpected(fd.get(), EOPNOTSUPP);
  INFO("GEM_OPEN not EOPNOTSUPP:" << bad);
  CHECK(bad.empty());
}

TEST_CASE("GEM_FLINK and GEM_OPEN numbers with another size or direction are EOPNOTSUPP too") {
  // drm_ioctl() dispatches on the ioctl number whatever the size and
  // direction bits say, so the driver must refuse the numbers, not two
  // exact command values.
  Fd fd;
  const auto bo = CreateBo(fd.get(), kPage);
  std::array<std::uint32_t, 16> arg{};
  for (const unsigned nr : {_IOC_NR(DRM_IOCTL_GEM_FLINK), _IOC_NR(DRM_IOCTL_GEM_OPEN)}) {
    for (const unsigned size : {0U, 4U, 8U, 12U, 16U, 24U, 64U}) {
      for (const unsigned dir : {_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE}) {
        arg.fill(0);
        arg[0] = bo;  // FLINK: the handle; GEM_OPEN: name = the handle
        const unsigned long cmd = _IOC(dir, DRM_IOCTL_BASE, nr, size);
        INFO("nr " << nr << " size " << size << " dir " << dir);
        CHECK(ErrName(Ioctl(fd.get(), cmd, arg.data())) == ErrName(EOPNOTSUPP));
      }
    }
  }
}

TEST_CASE("GEM_FLINK and GEM_OPEN are EOPNOTSUPP for an unprivileged user") {
  const ModeGuard mode(Dev().node, 0666);
  std::array<int, 2> pipe_fds{};
  REQUIRE(::pipe(pipe_fds.data()) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    // {setup, flink, number of GEM_OPEN names with another errno, that errno}
    std::array<int, 4> res{-1, -1, -1, -1};
    int fd = -1;
    std::uint32_t handle = 0;
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      res[0] = errno;
    } else if ((fd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC)) < 0) {
      res[0] = 1000 + errno;
    } else if (const int created = CreateBoRaw(fd, kPage, &handle); created != 0) {
      res[0] = 2000 + created;
    } else {
      res[0] = 0;
      res[1] = Flink(fd, handle);
      res[2] = 0;
      for (std::uint32_t name = 1; name <= 16; name++) {
        drm_gem_open o{};
        o.name = name;
        const int err = Ioctl(fd, DRM_IOCTL_GEM_OPEN, &o);
        if (err != EOPNOTSUPP) {
          res[2]++;
          res[3] = err;
        }
      }
    }
    const auto n = ::write(pipe_fds[1], res.data(), sizeof(res));
    ::_exit(n == sizeof(res) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::array<int, 4> res{};
  const auto n = ::read(pipe_fds[0], res.data(), sizeof(res));
  ::close(pipe_fds[0]);
  const int st = Reap(pid);
  REQUIRE(WIFEXITED(st));
  REQUIRE(n == static_cast<ssize_t>(sizeof(res)));
  INFO("child setup (0 ok; 1000+errno open, 2000+errno CREATE_BO): " << res[0]);
  REQUIRE(res[0] == 0);
  CHECK(ErrName(res[1]) == ErrName(EOPNOTSUPP));
  INFO("GEM_OPEN of names 1..16: " << res[2] << " not EOPNOTSUPP, e.g. "
                                   << (res[2] != 0 ? ErrName(res[3]) : "-"));
  CHECK(res[2] == 0);
}

// ---- 1a. accounting errors ----

TEST_CASE(
    "a DBC reporting more responses than requests is reset: its job fails with EIO, then it "
    "works") {
  // EMBER_FI_DUP_RSP: the device writes the next response twice. The
  // driver must not consume it nor poll a ring it cannot account for: it
  // resets the DBC, fails the job in it with EIO and restarts the DBC on
  // the same rings.
  Fd fd;
  const auto dbc = Activate(fd.get(), 64);
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kPage}, &wl) == 0);
  const auto r = wl.offsets.at(0);
  const Bo in(fd.get(), kPage);
  const Bo out(fd.get(), kPage);
  for (std::uint64_t i = 0; i < kPage; i++) {
    in.data()[i] = PatternByte(i, 3);
  }
  REQUIRE(Attach(fd.get(), in.handle(), dbc, {Copy(0, kPage, r, EMBER_SLICE_TO_DEV)}) == 0);
  REQUIRE(Attach(fd.get(), out.handle(), dbc, {Copy(0, kPage, r, EMBER_SLICE_FROM_DEV)}) == 0);
  const ember_test::KernelLog log;
  const auto recoveries = DbcCounter(dbc, "recoveries");
  REQUIRE(recoveries >= 0);
  // A waiter that sleeps, and one that busy-polls the ring and drains it
  // itself, in WAIT_BO or in EXECUTE_BO (EMBER_EXECUTE_BO_WAIT): the same
  // outcome.
  for (const bool one_call : {false, true}) {
    for (const std::uint32_t flags : {0U, static_cast<std::uint32_t>(EMBER_WAIT_BO_POLL)}) {
      INFO((one_call ? "EXECUTE_BO waiting" : "WAIT_BO") << ", wait flags " << flags);
      const Fault dup("dup_rsp", 1);
      if (one_call) {
        CHECK(ErrName(ember_test::ExecuteWait(fd.get(), in.handle(), 0, flags)) == ErrName(EIO));
      } else {
        REQUIRE(Execute(fd.get(), in.handle()) == 0);
        CHECK(ErrName(Wait(fd.get(), in.handle(), 0, flags)) == ErrName(EIO));
      }
      CHECK(dup.Read() == 0);
    }
  }
  CHECK(DbcCounter(dbc, "recoveries") == recoveries + 4);
  const auto lines = log.Grep("resetting the DBC");
  CHECK(lines.size() == 4);
  // The DBC runs again, on the same rings, for the same client.
  REQUIRE(Execute(fd.get(), in.handle()) == 0);
  REQUIRE(Wait(fd.get(), in.handle(), 0) == 0);
  std::memset(out.data(), 0, kPage);
  REQUIRE(Execute(fd.get(), out.handle()) == 0);
  REQUIRE(Wait(fd.get(), out.handle(), 0) == 0);
  CHECK(std::memcmp(out.data(), in.data(), kPage) == 0);
}

TEST_CASE("a busy-polling waiter on a 4-entry ring: every slot reused 30 times, bytes right") {
  // A polling waiter drains the ring itself, racing the interrupt path:
  // a slot's old response must never be taken for a new one, nor a new
  // one missed, however often the ring wraps. Two jobs in flight at a
  // time (of the ring's 3).
  constexpr int kRounds = 60;
  Fd fd;
  const auto dbc = Activate(fd.get(), 4);
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kPage}, &wl) == 0);
  const auto r = wl.offsets.at(0);
  const Bo in(fd.get(), kPage);
  const Bo out(fd.get(), kPage);
  REQUIRE(Attach(fd.get(), in.handle(), dbc, {Copy(0, kPage, r, EMBER_SLICE_TO_DEV)}) == 0);
  REQUIRE(Attach(fd.get(), out.handle(), dbc, {Copy(0, kPage, r, EMBER_SLICE_FROM_DEV)}) == 0);
  const auto responses = DbcCounter(dbc, "responses");
  const auto recoveries = DbcCounter(dbc, "recoveries");
  REQUIRE(responses >= 0);
  int good = 0;
  for (int round = 0; round < kRounds; round++) {
    for (std::uint64_t i = 0; i < kPage; i++) {
      in.data()[i] = PatternByte(i, round);
    }
    std::memset(out.data(), 0, kPage);
    REQUIRE(Execute(fd.get(), in.handle()) == 0);
    REQUIRE(Execute(fd.get(), out.handle()) == 0);
    REQUIRE(Wait(fd.get(), out.handle(), 5000, EMBER_WAIT_BO_POLL) == 0);
    REQUIRE(Wait(fd.get(), in.handle(), 5000, EMBER_WAIT_BO_POLL) == 0);
    good += std::memcmp(out.data(), in.data(), kPage) == 0 ? 1 : 0;
  }
  CHECK(good == kRounds);
  CHECK(DbcCounter(dbc, "responses") == responses + (2L * kRounds));
  CHECK(DbcCounter(dbc, "recoveries") == recoveries);
}

// ---- 1b. letting go of a DBC ----

TEST_CASE("a DEACTIVATE whose reply is lost keeps the DBC's jobs until it is repeated") {
  // The outcome is unknown: the DEACTIVATE may still be queued and the DBC
  // still running the jobs, so they must neither complete nor be cancelled
  // (their BOs stay mapped) until a repeated DEACTIVATE is confirmed.
  Fd fd;
  const auto dbc = Activate(fd.get());
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {kPage}, &wl) == 0);
  const Bo bo(fd.get(), kPage);
  REQUIRE(Attach(fd.get(), bo.handle(), dbc,
                 {Copy(0, kPage, wl.offsets.at(0), EMBER_SLICE_TO_DEV)}) == 0);
  {
    const Fault hang("dbc_hang", 1U << dbc);
    REQUIRE(Execute(fd.get(), bo.handle()) == 0);
    CHECK(ErrName(Wait(fd.get(), bo.handle(), 100)) == ErrName(ETIMEDOUT));
    {
      const Fault corrupt("mbox_corrupt", 1);
      CHECK(ErrName(ember_test::DeactivateRaw(fd.get(), dbc)) == ErrName(EIO));
    }
    const auto line = ember_test::ClientLine(::getpid());
    INFO("debugfs clients: " << line);
    CHECK(line.find(" leaving=1") != std::string::npos);
    CHECK(ErrName(Wait(fd.get(), bo.handle(), 100)) == ErrName(ETIMEDOUT));
    CHECK(ErrName(Detach(fd.get(), bo.handle())) == ErrName(EBUSY));
    // The DBC is not the data path's any more: no new execution on it.
    CHECK(ErrName(Execute(fd.get(), bo.handle())) == ErrName(EBUSY));
  }
  // Repeated: the firmware did execute the first one (NOENT now), so the
  // record goes and its job ends cancelled.
  const int again = ember_test::DeactivateRaw(fd.get(), dbc);
  INFO("repeated DEACTIVATE: " << ErrName(again));
  CHECK((again == 0 || again == ENOENT));
  CHECK(ErrName(Wait(fd.get(), bo.handle(), 1000)) == ErrName(ECANCELED));
  CHECK(ErrName(Detach(fd.get(), bo.handle())) == "0");
  const auto line = ember_test::ClientLine(::getpid());
  INFO("debugfs clients: " << line);
  CHECK(line.find(" dbcs=- pending=0 dead=0 leaving=0") != std::string::npos);
}

// ---- 5. after a device reset ----

TEST_CASE("after a device reset: ATTACH and EXECUTE needing what the reset took are ENODEV") {
  Fd fd;
  const auto dbc = Activate(fd.get());
  Workload wl;
  REQUIRE(LoadWorkload(fd.get(), {4 * kPage}, &wl) == 0);
  const auto r = wl.offsets.at(0);
  const auto sliced = CreateBo(fd.get(), kPage);
  REQUIRE(Attach(fd.get(), sliced, dbc, {Copy(0, kPage, r, EMBER_SLICE_TO_DEV)}) == 0);
  const auto fresh = CreateBo(fd.get(), kPage);

  ember_test::ResetDevice();

  // The DBC it had; a slice that needs no device memory.
  CHECK(ErrName(Attach(fd.get(), fresh, dbc, {FillBo(0, kPage, 1)})) == ErrName(ENODEV));
  // ... and one into the workload it had loaded.
  CHECK(ErrName(Attach(fd.get(), fresh, dbc, {Copy(0, kPage, r + kPage, EMBER_SLICE_TO_DEV)})) ==
        ErrName(ENODEV));
  CHECK(ErrName(Attach(fd.get(), fresh, dbc, {FillDev(r, kPage, 1)})) == ErrName(ENODEV));
  CHECK(ErrName(Execute(fd.get(), sliced)) == ErrName(ENODEV));
}

// ---- 6. LOAD racing a closing client's TERMINATE ----

TEST_CASE("LOAD_WORKLOAD racing another client's close: every OK reply is recorded") {
  ember_test::KernelLog log;
  Fd b;
  drm_ember_get_info info{};
  REQUIRE(Ioctl(b.get(), DRM_IOCTL_EMBER_GET_INFO, &info) == 0);
  const auto bdbc = Activate(b.get());
  const auto probe = CreateBo(b.get(), kPage);
  // A's workloads take 15/16 of device memory; B's region (1/8) fits only
  // where A's were.
  const std::uint64_t dev = info.devmem_size;
  constexpr int kAWorkloads = 4;
  const std::uint64_t a_size = (dev * 15 / 16 / kAWorkloads) / kPage * kPage;
  const std::uint64_t b_size = dev / 8;
  INFO("device memory " << dev << ", A: " << kAWorkloads << " x " << a_size << ", B: " << b_size);

  const auto start = Clock::now();
  int rounds = 0;
  int b_ok = 0;
  int b_refused = 0;
  int a_short = 0;
  std::vector<std::string> bad;
  while (rounds < 200 && Clock::now() - start < std::chrono::seconds(15)) {
    rounds++;
    std::array<int, 2> ready{};
    REQUIRE(::pipe(ready.data()) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Client A: fills device memory, tells B, exits (close: TERMINATE).
      ::close(ready[0]);
      const int afd = ::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC);
      char loaded = 0;
      for (int i = 0; afd >= 0 && i < kAWorkloads; i++) {
        Workload w;
        loaded += LoadWorkload(afd, {a_size}, &w, "integrity-a") == 0 ? 1 : 0;
      }
      const auto n = ::write(ready[1], &loaded, 1);
      ::_exit(n == 1 ? 0 : 1);
    }
    ::close(ready[1]);
    char loaded = 0;
    const auto n = ::read(ready[0], &loaded, 1);
    ::close(ready[0]);
    REQUIRE(n == 1);
    a_short += loaded == kAWorkloads ? 0 : 1;

    // B loads until the firmware says OK; once A is reaped its memory is
    // free, so the LOAD after that must be OK.
    bool reaped = false;
    for (int tries = 0;; tries++) {
      const bool was_reaped = reaped;
      Workload wl;
      const int err = LoadWorkload(b.get(), {b_size}, &wl, "integrity-b");
      if (err == 0) {
        b_ok++;
        const int att = Attach(b.get(), probe, bdbc, {FillDev(wl.offsets.at(0), kPage, 0x5a)});
        if (att == 0) {
          CHECK(Detach(b.get(), probe) == 0);
        } else if (bad.size() < 5) {
          bad.push_back("round " + std::to_string(rounds) + ", LOAD try " + std::to_string(tries) +
                        ": ATTACH into the new region " + ErrName(att));
        }
        CHECK(UnloadWorkload(b.get(), wl.id) == 0);
        break;
      }
      b_refused++;
      if (was_reaped) {
        FAIL_CHECK("round " << rounds << ": B's LOAD failed with " << ErrName(err)
                            << " after A had exited");
        break;
      }
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        reaped = true;
      }
    }
    if (!reaped) {
      const int st = Reap(pid);
      CHECK(WIFEXITED(st));
    }
  }
  const auto secs = std::chrono::duration<double>(Clock::now() - start).count();
  WARN(rounds << " rounds in " << secs << " s: B's LOAD OK " << b_ok << ", refused " << b_refused
              << "; rounds where A could not load all its workloads: " << a_short);
  CHECK(rounds >= 10);
  CHECK(b_ok == rounds);
  std::string first;
  for (const auto &s : bad) {
    first += "\n  " + s;
  }
  INFO("LOADs answered OK but not usable:" << first);
  CHECK(bad.empty());
  const auto lines = log.Grep("not recorded");
  std::string text;
  for (std::size_t i = 0; i < lines.size() && i < 3; i++) {
    text += "\n  " + lines[i];
  }
  text += "\n  (" + std::to_string(lines.size()) + " such lines)";
  INFO("kernel log since the test start:" << text);
  CHECK(lines.empty());
}
