// In-guest churn test: clients that come and go while jobs run, some of
// them killed at random, must leave the driver consistent.
//
// The parent forks two workers more than DBCs (at most 10). A worker loops over
// complete client lifecycles on its own open file of the accel node: LOAD a
// workload of one region (256 KiB .. 4 MiB), ACTIVATE a DBC with a small
// ring (8 .. 256 entries, so that rings fill), create, map and slice 1-4 BOs
// (COPY the BO's random input to the region, COPY it back into the BO's
// second half, CRC-32 of the region, FILL of a BO area; or FILL of the
// region, COPY back, CRC-32), execute them several times, several in
// flight at once, WAIT_BO (default timeout) and check every completed job
// against a host computation. Then it tears the client down in a random
// order (GEM_CLOSE, DETACH, DEACTIVATE, UNLOAD, close), or closes it without
// any teardown, or abandons jobs in flight (DEACTIVATE, close, exit).
// Meanwhile the parent SIGKILLs a random worker every 0.2-2.2 s and starts
// a new one. Every ioctl of a worker on its own objects must succeed, except
// ACTIVATE and LOAD_WORKLOAD, which may find all DBCs or the device memory
// taken for a moment (ENOSPC / ENOMEM: retried).
//
// When the workers are gone: no kernel log line about responses the driver
// cannot account for (or WARNING/BUG) since the start, every completed job
// had the right bytes, the DBCs do not poll or take interrupts while idle
// (debugfs datapath read twice, 300 ms apart), no client is left, every DBC
// is free and a fresh client can ACTIVATE all of them and LOAD all of the
// device memory.
//
// Run as root (debugfs, /dev/kmsg). Environment:
//   EMBER_CHURN_SECONDS   churn duration (default 20)
//   EMBER_CHURN_SEED      random seed (default: from the clock; printed)
//   EMBER_CHURN_WORKERS   workers (default: two more than DBCs, at most
//                         10, so that ACTIVATE sometimes finds none free)
//   EMBER_EXPECT_MEM      device memory, bytes (default: GET_INFO's)
#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "accel_test_util.hpp"
#include "ember_accel.h"
#include "ember_load.hpp"
#include "ember_raw.hpp"

namespace {

using ember_test::ActivateRaw;
using ember_test::Copy;
using ember_test::Crc;
using ember_test::Crc32;
using ember_test::CreateBoRaw;
using ember_test::DeactivateRaw;
using ember_test::EnvU64;
using ember_test::FillBo;
using ember_test::FillDev;
using ember_test::FillRandom;
using ember_test::LoadWorkload;
using ember_test::MapBoRaw;
using ember_test::SplitMix;
using ember_test::UnloadWorkload;
using ember_test::Workload;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kPage = 4096;
// Exit status of a worker that exits on purpose with jobs in flight.
constexpr int kPlannedExit = 3;
// Exit status of a worker that caught an exception (recorded as an error).
constexpr int kWorkerThrew = 4;
// How long ACTIVATE / LOAD keep retrying ENOSPC before it counts as an error.
constexpr auto kRetryFor = std::chrono::seconds(15);
// How long UNLOAD may be EBUSY after the BOs that pinned it were freed.
constexpr auto kUnpinWithin = std::chrono::seconds(5);
// How long a killed or stopped worker may take to exit.
constexpr auto kExitWithin = std::chrono::seconds(30);
// Kernel log lines that fail the test.
constexpr std::array<const char *, 7> kBadLog = {"responses for",
                                                 "unknown cookie",
                                                 "without a queued execution",
                                                 "not recorded",
                                                 "resetting the DBC",
                                                 "WARNING",
                                                 "BUG"};

std::string Hex(std::uint64_t v) {
  std::ostringstream os;
  os << std::hex << v;
  return os.str();
}

// ---- what the workers report (shared anonymous memory) ----

struct Note {
  std::atomic<std::uint32_t> ready{0};
  std::array<char, 240> text{};
};

// Errors are kept per operation (the first word of the note), the first
// few of each, so that one frequent error does not hide the others.
constexpr std::array<const char *, 15> kKinds = {
    "open",      "LOAD_WORKLOAD", "ACTIVATE", "DEACTIVATE",      "UNLOAD_WORKLOAD",
    "CREATE_BO", "MMAP_BO",       "mmap",     "ATTACH_SLICE_BO", "DETACH_SLICE_BO",
    "GEM_CLOSE", "EXECUTE_BO",    "WAIT_BO",  "exception",       "wrong"};
constexpr std::size_t kNotesPerKind = 3;

struct Kind {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint32_t> nnotes{0};
  std::array<Note, kNotesPerKind> notes;
};

std::size_t KindOf(const std::string &what) {
  const auto word = what.substr(0, what.find(' '));
  for (std::size_t k = 0; k < kKinds.size(); k++) {
    if (word == kKinds.at(k)) {
      return k;
    }
  }
  return kKinds.size() - 1;
}

struct Shared {
  std::atomic<std::uint64_t> lifecycles{0};      // completed lifecycles
  std::atomic<std::uint64_t> jobs_submitted{0};  // EXECUTE_BO'd jobs
  std::atomic<std::uint64_t> jobs_completed{0};  // WAIT_BO returned 0
  std::atomic<std::uint64_t> jobs_verified{0};   // ... and had the right bytes
  std::atomic<std::uint64_t> jobs_cancelled{0};  // ECANCELED after DEACTIVATE
  std::atomic<std::uint64_t> jobs_abandoned{0};  // in flight at close / exit
  std::atomic<std::uint64_t> mismatches{0};      // wrong bytes
  std::atomic<std::uint64_t> errors{0};          // unexpected errnos
  std::atomic<std::uint64_t> dbc_busy{0};        // ACTIVATE ENOSPC, retried
  std::atomic<std::uint64_t> mem_full{0};        // LOAD ENOSPC/ENOMEM, retried
  std::atomic<std::uint64_t> unload_busy{0};     // UNLOAD EBUSY just after a free
  std::array<Kind, kKinds.size()> kinds;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

volatile std::sig_atomic_t g_stop = 0;

void OnTerm(int /*sig*/) { g_stop = 1; }

// ---- a worker ----

struct WorkerBo {
  std::uint32_t handle = 0;
  std::uint8_t *map = nullptr;
  std::uint64_t size = 0;
  std::uint64_t half = 0;  // input [0, half), output [half, 2 half), then one page
  std::uint64_t dev = 0;   // its device memory: [dev, dev + half)
  std::uint64_t len = 0;   // bytes a job moves
  bool fill_kind = false;  // FILL of the region instead of COPY of the input
  std::uint8_t byte = 0;   // FILL TO_DEV pattern
  std::uint64_t fill_len = 0;
  std::uint8_t fill_byte = 0;
  bool sliced = false;
  bool queued = false;
  std::vector<std::uint8_t> input;
};

class Worker {
 public:
  Worker(std::string node, std::uint32_t id, std::uint64_t seed, Shared *sh,
         Clock::time_point hard_stop)
      : node_(std::move(node)),
        id_(id),
        sh_(sh),
        rng_(seed),
        bytes_(seed ^ 0x5eedULL),
        hard_stop_(hard_stop) {}

  // Never returns into the test framework: the child of fork() reports
  // through the shared counters and its exit status only.
  [[noreturn]] void Run() noexcept {
    try {
      while (g_stop == 0 && Clock::now() < hard_stop_) {
        Lifecycle();
        ++cycle_;
      }
    } catch (const std::exception &e) {
      Error(std::string("exception: ") + e.what(), 0);
      ::_exit(kWorkerThrew);
    } catch (...) {
      Error("exception of an unknown type", 0);
      ::_exit(kWorkerThrew);
    }
    ::_exit(0);
  }

 private:
  std::uint64_t Rand(std::uint64_t lo, std::uint64_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void Error(const std::string &what, int err) {
    sh_->errors.fetch_add(1);
    std::ostringstream os;
    os << what;
    if (err != 0) {
      os << ": " << std::strerror(err) << " (" << err << ")";
    }
    Remember(os.str());
  }

  // @text starts with the operation (kKinds).
  void Remember(const std::string &text) {
    Kind &kind = sh_->kinds.at(KindOf(text));
    kind.count.fetch_add(1);
    const auto i = kind.nnotes.fetch_add(1);
    if (i < kNotesPerKind) {
      Note &n = kind.notes.at(i);
      std::snprintf(n.text.data(), n.text.size(), "%s [worker %u pid %d lifecycle %llu]",
                    text.c_str(), id_, static_cast<int>(::getpid()),
                    static_cast<unsigned long long>(cycle_));
      n.ready.store(1);
    }
  }

  void Backoff() { std::this_thread::sleep_for(std::chrono::milliseconds(Rand(1, 20))); }

  // ENOSPC (and ENOMEM for LOAD) are retried: a client that was killed a
  // moment ago may still hold the resource.
  bool Load(std::uint64_t region) {
    const auto until = Clock::now() + kRetryFor;
    for (;;) {
      const int err = LoadWorkload(fd_, {region}, &wl_, "churn");
      if (err == 0) {
        loaded_ = true;
        return true;
      }
      if ((err != ENOSPC && err != ENOMEM) || Clock::now() > until) {
        Error("LOAD_WORKLOAD of " + std::to_string(region) + " bytes", err);
        return false;
      }
      sh_->mem_full.fetch_add(1);
      if (g_stop != 0) {
        return false;
      }
      Backoff();
    }
  }

  bool Activate(std::uint32_t ring) {
    const auto until = Clock::now() + kRetryFor;
    for (;;) {
      const int err = ActivateRaw(fd_, &dbc_, ring);
      if (err == 0) {
        active_ = true;
        return true;
      }
      if (err != ENOSPC || Clock::now() > until) {
        Error("ACTIVATE ring " + std::to_string(ring), err);
        return false;
      }
      sh_->dbc_busy.fetch_add(1);
      if (g_stop != 0) {
        return false;
      }
      Backoff();
    }
  }

  bool Deactivate() {
    active_ = false;
    if (const int err = DeactivateRaw(fd_, dbc_); err != 0) {
      Error("DEACTIVATE dbc" + std::to_string(dbc_), err);
      return false;
    }
    return true;
  }

  // @freed_bos: the BOs were freed without DETACH. A job holds its BO
  // (and so the BO's pin on the workload) until the scheduler frees the job,
  // a moment after WAIT_BO returned: EBUSY then is retried, for a while.
  bool Unload(bool freed_bos) {
    loaded_ = false;
    const auto until = Clock::now() + kUnpinWithin;
    for (;;) {
      std::uint32_t status = 0;
      const int err = UnloadWorkload(fd_, wl_.id, &status);
      if (err == 0) {
        return true;
      }
      if (err != EBUSY || !freed_bos || Clock::now() > until) {
        Error("UNLOAD_WORKLOAD (status " + std::to_string(status) + ")", err);
        return false;
      }
      sh_->unload_busy.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  bool CreateBo(WorkerBo &bo) {
    if (const int err = CreateBoRaw(fd_, bo.size, &bo.handle); err != 0) {
      Error("CREATE_BO", err);
      return false;
    }
    const char *what = "";
    if (const int err = MapBoRaw(fd_, bo.handle, bo.size, &bo.map, &what); err != 0) {
      Error(what, err);
      return false;
    }
    return true;
  }

  // New slicing parameters for a BO (not sliced).
  void Shape(WorkerBo &bo) {
    bo.len = Rand(1, bo.half);
    bo.fill_kind = Chance(0.3);
    bo.byte = static_cast<std::uint8_t>(Rand(0, 255));
    bo.fill_len = Rand(1, kPage - 16);
    bo.fill_byte = static_cast<std::uint8_t>(Rand(1, 255));
  }

  // At most 2 * half / kPage + 2 requests: fits the ring (see Lifecycle).
  bool Attach(WorkerBo &bo) {
    const std::uint64_t tail = 2 * bo.half;
    std::vector<drm_ember_slice> s;
    if (bo.fill_kind) {
      s.push_back(FillDev(bo.dev, bo.len, bo.byte));
    } else {
      s.push_back(Copy(0, bo.len, bo.dev, EMBER_SLICE_TO_DEV));
    }
    s.push_back(Copy(bo.half, bo.len, bo.dev, EMBER_SLICE_FROM_DEV));
    s.push_back(Crc(tail, bo.dev, bo.len));
    s.push_back(FillBo(tail + 8, bo.fill_len, bo.fill_byte));
    if (const int err = ember_test::Attach(fd_, bo.handle, dbc_, s); err != 0) {
      // What the driver recorded for this client (the parent resolved Dev()).
      auto line = ember_test::ClientLine(::getpid());
      const auto w = line.find(" workloads=");
      line = w == std::string::npos ? "no client line" : line.substr(w + 1);
      Error("ATTACH_SLICE_BO (" + std::to_string(bo.len) + " bytes at dev 0x" + Hex(bo.dev) +
                ", workload " + std::to_string(wl_.id) + ", ring " + std::to_string(ring_) +
                "; debugfs clients: " + line + ")",
            err);
      return false;
    }
    bo.sliced = true;
    return true;
  }

  bool Detach(WorkerBo &bo) {
    bo.sliced = false;
    if (const int err = ember_test::Detach(fd_, bo.handle); err != 0) {
      Error("DETACH_SLICE_BO", err);
      return false;
    }
    return true;
  }

  void Unmap(WorkerBo &bo) {
    if (bo.map != nullptr) {
      ::munmap(bo.map, bo.size);
      bo.map = nullptr;
    }
  }

  bool GemClose(WorkerBo &bo) {
    if (bo.handle == 0) {
      return true;
    }
    const std::uint32_t handle = bo.handle;
    bo.handle = 0;
    if (const int err = ember_test::GemClose(fd_, handle); err != 0) {
      Error("GEM_CLOSE", err);
      return false;
    }
    return true;
  }

  // Fresh input, cleared output: a job that did not run shows.
  void Prepare(WorkerBo &bo) {
    if (!bo.fill_kind) {
      FillRandom(bo.input.data(), bo.len, &bytes_);
      std::memcpy(bo.map, bo.input.data(), bo.len);
    }
    std::memset(bo.map + bo.half, 0, bo.half + kPage);
  }

  // Wrong bytes of a completed job of @bo.
  std::uint64_t Check(const WorkerBo &bo) {
    std::uint64_t bad = 0;
    std::uint64_t first = UINT64_MAX;
    const std::uint8_t *out = bo.map + bo.half;
    auto expect = [&](std::uint64_t off, std::uint8_t got, std::uint8_t want) {
      if (got != want) {
        ++bad;
        first = std::min(first, off);
      }
    };
    std::uint32_t crc = 0;
    if (bo.fill_kind) {
      const std::vector<std::uint8_t> pattern(bo.len, bo.byte);
      crc = Crc32::Of(pattern.data(), pattern.size());
    } else {
      crc = Crc32::Of(bo.input.data(), bo.len);
    }
    for (std::uint64_t i = 0; i < bo.half; i++) {
      const std::uint8_t want = i >= bo.len ? 0 : bo.fill_kind ? bo.byte : bo.input[i];
      expect(bo.half + i, out[i], want);
    }
    const std::uint8_t *tail = bo.map + (2 * bo.half);
    for (std::uint64_t i = 0; i < kPage; i++) {
      std::uint8_t want = 0;
      if (i < 4) {
        want = static_cast<std::uint8_t>(crc >> (8 * i));
      } else if (i >= 8 && i < 8 + bo.fill_len) {
        want = bo.fill_byte;
      }
      expect((2 * bo.half) + i, tail[i], want);
    }
    if (bad != 0) {
      std::ostringstream os;
      os << "wrong bytes: " << bad << " in a job of dbc" << dbc_ << " ("
         << (bo.fill_kind ? "FILL" : "COPY") << " of " << bo.len << " bytes, BO of " << bo.size
         << "), first at BO offset " << first;
      Remember(os.str());
    }
    return bad;
  }

  bool Execute(std::vector<WorkerBo *> &bos) {
    std::vector<drm_ember_execute_entry> e;
    e.reserve(bos.size());
    for (const auto *bo : bos) {
      e.push_back({bo->handle, 0});
    }
    if (const int err = ember_test::Execute(fd_, e); err != 0) {
      Error("EXECUTE_BO of " + std::to_string(e.size()) + " BOs", err);
      return false;
    }
    for (auto *bo : bos) {
      bo->queued = true;
    }
    sh_->jobs_submitted.fetch_add(e.size());
    return true;
  }

  // WAIT_BO with the default timeout. @cancel_ok: the DBC was deactivated
  // with the job in flight, ECANCELED is a possible outcome.
  bool Wait(WorkerBo &bo, bool cancel_ok) {
    const int err = ember_test::Wait(fd_, bo.handle);
    bo.queued = false;
    if (err == ECANCELED && cancel_ok) {
      sh_->jobs_cancelled.fetch_add(1);
      return true;
    }
    if (err != 0) {
      Error("WAIT_BO on dbc" + std::to_string(dbc_) + " (ring " + std::to_string(ring_) + ")", err);
      return false;
    }
    sh_->jobs_completed.fetch_add(1);
    const std::uint64_t bad = Check(bo);
    if (bad == 0) {
      sh_->jobs_verified.fetch_add(1);
    } else {
      sh_->mismatches.fetch_add(bad);
    }
    return true;
  }

  void CountAbandoned() {
    for (const auto &bo : bos_) {
      if (bo.queued) {
        sh_->jobs_abandoned.fetch_add(1);
      }
    }
  }

  // Close the file; the mappings go before or after it.
  void CloseFile() {
    const bool unmap_first = Chance(0.5);
    if (unmap_first) {
      for (auto &bo : bos_) {
        Unmap(bo);
      }
    }
    ::close(fd_);
    fd_ = -1;
    for (auto &bo : bos_) {
      Unmap(bo);
    }
    bos_.clear();
  }

  enum class Fate { kTeardown, kExitInFlight, kCloseInFlight, kDeactivateInFlight };

  void Lifecycle() {
    fd_ = ::open(node_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      Error("open " + node_, errno);
      Backoff();
      return;
    }
    loaded_ = active_ = false;
    // A region of 256 KiB .. 4 MiB, 4 KiB multiple; a ring of 8 .. 256.
    const std::uint64_t region = Rand(64, 1024) * kPage;
    ring_ = 1U << Rand(3, 8);
    const bool load_first = Chance(0.5);
    if (load_first && !Load(region)) {
      CloseFile();
      return;
    }
    if (!Activate(ring_)) {
      CloseFile();
      return;
    }
    if (!load_first && !Load(region)) {
      CloseFile();
      return;
    }
    // A job is at most 2 h + 2 requests (h pages of input, h of output,
    // CRC, FILL): h = (ring - 3) / 2 keeps it within the ring's ring - 1,
    // and every BO has its own h pages of the region.
    const auto nbos = static_cast<std::uint32_t>(Rand(1, 4));
    const auto h = std::min<std::uint64_t>({(ring_ - 3) / 2, region / kPage / nbos, 64});
    bos_.assign(nbos, WorkerBo{});
    for (std::uint32_t i = 0; i < nbos; i++) {
      WorkerBo &bo = bos_[i];
      bo.half = h * kPage;
      bo.size = (2 * bo.half) + kPage;
      bo.dev = wl_.offsets.at(0) + (i * bo.half);
      bo.input.resize(bo.half);
      if (!CreateBo(bo)) {
        CloseFile();
        return;
      }
      Shape(bo);
      if (!Attach(bo)) {
        CloseFile();
        return;
      }
    }

    const double f = std::uniform_real_distribution<double>(0, 1)(rng_);
    const Fate fate = f < 0.05   ? Fate::kExitInFlight
                      : f < 0.12 ? Fate::kCloseInFlight
                      : f < 0.20 ? Fate::kDeactivateInFlight
                                 : Fate::kTeardown;
    const auto rounds = Rand(1, 8);
    for (std::uint64_t r = 0; r < rounds && g_stop == 0; r++) {
      const bool last = r + 1 == rounds;
      // Sometimes slice a BO anew.
      if (r > 0 && Chance(0.15)) {
        WorkerBo &bo = bos_[Rand(0, nbos - 1)];
        if (!Detach(bo)) {
          CloseFile();
          return;
        }
        Shape(bo);
        if (!Attach(bo)) {
          CloseFile();
          return;
        }
      }
      std::vector<WorkerBo *> run;
      for (auto &bo : bos_) {
        if (run.empty() || Chance(0.7)) {
          run.push_back(&bo);
        }
      }
      std::shuffle(run.begin(), run.end(), rng_);
      for (auto *bo : run) {
        Prepare(*bo);
      }
      if (Chance(0.5)) {
        if (!Execute(run)) {
          CloseFile();
          return;
        }
      } else {
        for (auto *bo : run) {
          std::vector<WorkerBo *> one{bo};
          if (!Execute(one)) {
            CloseFile();
            return;
          }
        }
      }
      if (last && fate == Fate::kExitInFlight) {
        CountAbandoned();
        ::_exit(kPlannedExit);
      }
      if (last && fate == Fate::kCloseInFlight) {
        CountAbandoned();
        CloseFile();
        sh_->lifecycles.fetch_add(1);
        return;
      }
      const bool cancel_ok = last && fate == Fate::kDeactivateInFlight;
      if (cancel_ok && !Deactivate()) {
        CloseFile();
        return;
      }
      std::shuffle(run.begin(), run.end(), rng_);
      for (auto *bo : run) {
        if (!Wait(*bo, cancel_ok)) {
          CloseFile();
          return;
        }
      }
    }
    Teardown();
    sh_->lifecycles.fetch_add(1);
  }

  // Everything is idle: release in one of several orders, or not at all.
  void Teardown() {
    bool ok = true;
    switch (Rand(0, 4)) {
      case 0:  // free the BOs, DEACTIVATE, UNLOAD, close
        for (auto &bo : bos_) {
          Unmap(bo);
          ok = ok && GemClose(bo);
        }
        ok = ok && (!active_ || Deactivate());
        ok = ok && Unload(true);
        break;
      case 1:  // DETACH, UNLOAD, DEACTIVATE, GEM_CLOSE (still mapped), close
        for (auto &bo : bos_) {
          ok = ok && (!bo.sliced || Detach(bo));
        }
        ok = ok && Unload(false);
        ok = ok && (!active_ || Deactivate());
        for (auto &bo : bos_) {
          ok = ok && GemClose(bo);
        }
        break;
      case 2:  // DEACTIVATE, DETACH, UNLOAD, close with the BOs alive
        ok = ok && (!active_ || Deactivate());
        for (auto &bo : bos_) {
          ok = ok && (!bo.sliced || Detach(bo));
        }
        ok = ok && Unload(false);
        break;
      case 3:  // DEACTIVATE only, then close
        ok = ok && (!active_ || Deactivate());
        break;
      default:  // close without any teardown
        break;
    }
    (void)ok;  // errors are counted where they happen
    CloseFile();
  }

  std::string node_;
  std::uint32_t id_;
  Shared *sh_;
  std::mt19937_64 rng_;
  std::uint64_t bytes_;
  Clock::time_point hard_stop_;
  std::uint64_t cycle_ = 0;
  int fd_ = -1;
  Workload wl_;
  bool loaded_ = false;
  bool active_ = false;
  std::uint32_t dbc_ = 0;
  std::uint32_t ring_ = 0;
  std::vector<WorkerBo> bos_;
};

// ---- the parent ----

std::optional<int> ReapWithin(pid_t pid, Clock::duration within) {
  const auto until = Clock::now() + within;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      return st;
    }
    if (r < 0 && errno != EINTR) {
      return std::nullopt;
    }
    const auto left = until - Clock::now();
    if (left <= Clock::duration::zero()) {
      return std::nullopt;
    }
    const auto ms = std::min<std::int64_t>(
        100, std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1);
    timespec ts{};
    ts.tv_nsec = static_cast<long>(ms * 1000000);
    ::sigtimedwait(&chld, nullptr, &ts);
  }
}

std::string StatusText(int st) {
  if (WIFEXITED(st)) {
    return "exit " + std::to_string(WEXITSTATUS(st));
  }
  if (WIFSIGNALED(st)) {
    return std::string("signal ") + strsignal(WTERMSIG(st));
  }
  return "status " + std::to_string(st);
}

struct DbcIdle {
  std::uint64_t interrupts, polls, responses;
};

std::vector<DbcIdle> IdleCounters(const ember_load::Device &dev, std::uint32_t dbcs) {
  const auto d = ember_load::ReadDatapath(dev);
  std::vector<DbcIdle> v;
  for (std::uint32_t i = 0; i < dbcs; i++) {
    v.push_back({d.Count(i, "interrupts"), d.Count(i, "polls"), d.Count(i, "responses")});
  }
  return v;
}

// Lines of a debugfs file that are not empty.
std::vector<std::string> Lines(const std::string &text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      v.push_back(line);
    }
  }
  return v;
}

}  // namespace

TEST_CASE("random client lifecycles and kills leave the driver consistent") {
  const auto dev = ember_load::FindDevice();
  REQUIRE(ember_test::Dev().node == dev.node);  // resolved before fork (ClientLine)
  drm_ember_get_info info{};
  {
    ember_load::Client probe(dev);
    REQUIRE(ember_test::GetInfo(probe.fd(), &info) == 0);
  }
  const std::uint32_t dbcs = info.num_dbcs;
  REQUIRE(dbcs > 0);
  const std::uint64_t devmem = EnvU64("EMBER_EXPECT_MEM", info.devmem_size);
  const auto seconds = static_cast<double>(EnvU64("EMBER_CHURN_SECONDS", 20));
  const auto nworkers = static_cast<std::uint32_t>(
      EnvU64("EMBER_CHURN_WORKERS", std::min<std::uint32_t>(dbcs + 2, 10)));
  REQUIRE(nworkers > 0);
  const std::uint64_t seed = EnvU64(
      "EMBER_CHURN_SEED",
      static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  const auto service = ember_load::ReadDatapath(dev).Get("service");
  std::printf("churn: seed %llu, %u workers, %u DBCs, %.0f s, service %s\n",
              static_cast<unsigned long long>(seed), nworkers, dbcs, seconds, service.c_str());
  std::fflush(stdout);

  void *mem =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): placement new, destroyed at the end
  auto *sh = new (mem) Shared;

  const ember_test::KernelLog klog;

  // SIGCHLD blocked: the parent waits for it with sigtimedwait().
  sigset_t chld;
  sigset_t old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  REQUIRE(::sigprocmask(SIG_BLOCK, &chld, &old_mask) == 0);

  std::mt19937_64 rng(seed);
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto hard_stop = end + std::chrono::seconds(120);
  std::uint32_t spawned = 0;
  std::uint64_t kills = 0;
  std::uint64_t respawns = 0;
  std::uint64_t planned_exits = 0;
  std::vector<std::string> parent_errors;
  std::vector<pid_t> stuck;

  auto spawn = [&]() -> pid_t {
    const std::uint32_t id = spawned++;
    std::uint64_t s = seed + (0x100000001b3ULL * (id + 1));
    const std::uint64_t wseed = SplitMix(s);
    std::fflush(stdout);
    std::fflush(stderr);
    // SIGTERM stays blocked across fork() until the child has its own
    // handler: the stop at the end may come before a new worker ran at
    // all, and Catch2's fatal-signal handler, inherited, would report it.
    sigset_t fork_mask;
    sigemptyset(&fork_mask);
    sigaddset(&fork_mask, SIGTERM);
    sigset_t parent_mask;
    ::sigprocmask(SIG_BLOCK, &fork_mask, &parent_mask);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      struct sigaction sa {};
      sa.sa_handler = OnTerm;
      sa.sa_flags = SA_RESTART;
      sigemptyset(&sa.sa_mask);
      ::sigaction(SIGTERM, &sa, nullptr);
      ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
      if (::getppid() == 1) {
        ::_exit(0);  // the parent is already gone
      }
      Worker w(dev.node, id, wseed, sh, hard_stop);
      w.Run();
    }
    const int fork_err = errno;
    ::sigprocmask(SIG_SETMASK, &parent_mask, nullptr);
    if (pid < 0) {
      parent_errors.push_back(std::string("fork: ") + std::strerror(fork_err));
    }
    return pid;
  };

  // A worker ended; @killed: by our SIGKILL; @stopping: after SIGTERM.
  auto ended = [&](pid_t pid, int st, bool killed, bool stopping) {
    if (killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
      return;
    }
    if (stopping && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      return;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == kPlannedExit) {
      ++planned_exits;
      return;
    }
    parent_errors.push_back("worker pid " + std::to_string(pid) + " ended: " + StatusText(st));
  };

  std::vector<pid_t> workers;
  for (std::uint32_t i = 0; i < nworkers; i++) {
    if (const pid_t p = spawn(); p > 0) {
      workers.push_back(p);
    }
  }
  auto next_kill = [&] {
    const auto ms = std::uniform_int_distribution<int>(200, 2200)(rng);
    return Clock::now() + std::chrono::milliseconds(ms);
  };
  auto kill_at = next_kill();
  while (Clock::now() < end) {
    // Workers that ended on their own (planned exit with jobs in flight).
    for (auto &p : workers) {
      int st = 0;
      if (p > 0 && ::waitpid(p, &st, WNOHANG) == p) {
        ended(p, st, false, false);
        p = spawn();
        ++respawns;
      }
    }
    if (Clock::now() >= kill_at && !workers.empty()) {
      auto &p = workers[std::uniform_int_distribution<std::size_t>(0, workers.size() - 1)(rng)];
      if (p <= 0) {
        // fork failed earlier (counted): nothing to kill
      } else if (::kill(p, SIGKILL) == 0) {
        ++kills;
      }
      if (p <= 0) {
        // nothing to reap
      } else if (const auto st = ReapWithin(p, kExitWithin)) {
        ended(p, *st, true, false);
      } else {
        parent_errors.push_back("worker pid " + std::to_string(p) + " did not exit within " +
                                std::to_string(kExitWithin.count()) + " s of SIGKILL");
        stuck.push_back(p);
      }
      p = spawn();
      ++respawns;
      kill_at = next_kill();
    }
    const auto wake = std::min(kill_at, end);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    if (left.count() > 0) {
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(left.count() / 1000);
      ts.tv_nsec = static_cast<long>((left.count() % 1000) * 1000000);
      ::sigtimedwait(&chld, nullptr, &ts);  // a worker ended, or time is up
    }
  }

  // Stop: SIGTERM, then SIGKILL what is left.
  for (const pid_t p : workers) {
    if (p > 0) {
      ::kill(p, SIGTERM);
    }
  }
  for (const pid_t p : workers) {
    if (p <= 0) {
      continue;
    }
    auto st = ReapWithin(p, std::chrono::seconds(10));
    bool killed = false;
    if (!st) {
      ::kill(p, SIGKILL);
      killed = true;
      st = ReapWithin(p, kExitWithin);
    }
    if (st) {
      ended(p, *st, killed, true);
      if (killed) {
        parent_errors.push_back("worker pid " + std::to_string(p) +
                                " did not stop within 10 s of SIGTERM");
      }
    } else {
      parent_errors.push_back("worker pid " + std::to_string(p) + " did not exit at the end");
    }
  }
  for (const pid_t p : stuck) {
    if (!ReapWithin(p, kExitWithin)) {
      parent_errors.push_back("worker pid " + std::to_string(p) + " never exited");
    }
  }
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  // The clients of the workers are gone once their files are released.
  const auto clients_file = dev.debugfs / "clients";
  std::vector<std::string> clients;
  for (const auto until = Clock::now() + std::chrono::seconds(10);;) {
    clients = Lines(ember_load::ReadText(clients_file));
    if (clients.empty() || Clock::now() > until) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  const auto lifecycles = sh->lifecycles.load();
  const auto verified = sh->jobs_verified.load();
  const auto mismatches = sh->mismatches.load();
  char summary[512];
  std::snprintf(summary, sizeof(summary),
                "churn: %.1f s, %llu lifecycles, %llu jobs verified, %llu kills, %llu respawns, "
                "%llu mismatches (%llu jobs submitted, %llu completed, %llu cancelled by "
                "DEACTIVATE, %llu abandoned in flight, %llu planned exits, %llu errors, "
                "ACTIVATE ENOSPC %llu, LOAD full %llu, UNLOAD busy %llu)",
                elapsed, static_cast<unsigned long long>(lifecycles),
                static_cast<unsigned long long>(verified), static_cast<unsigned long long>(kills),
                static_cast<unsigned long long>(respawns),
                static_cast<unsigned long long>(mismatches),
                static_cast<unsigned long long>(sh->jobs_submitted.load()),
                static_cast<unsigned long long>(sh->jobs_completed.load()),
                static_cast<unsigned long long>(sh->jobs_cancelled.load()),
                static_cast<unsigned long long>(sh->jobs_abandoned.load()),
                static_cast<unsigned long long>(planned_exits),
                static_cast<unsigned long long>(sh->errors.load()),
                static_cast<unsigned long long>(sh->dbc_busy.load()),
                static_cast<unsigned long long>(sh->mem_full.load()),
                static_cast<unsigned long long>(sh->unload_busy.load()));
  std::printf("%s\n", summary);
  // First, so that run_catch2's one-line FAIL report shows it.
  INFO(summary << "; seed " << seed << " (EMBER_CHURN_SEED), " << nworkers << " workers, " << dbcs
               << " DBCs, service " << service);

  std::vector<std::string> notes;
  for (std::size_t k = 0; k < kKinds.size(); k++) {
    const Kind &kind = sh->kinds.at(k);
    if (kind.count.load() == 0) {
      continue;
    }
    notes.push_back(std::to_string(kind.count.load()) + " x " + kKinds.at(k) + ", e.g.:");
    for (const auto &n : kind.notes) {
      if (n.ready.load() != 0) {
        notes.push_back(std::string("  ") + n.text.data());
      }
    }
  }
  for (const auto &n : notes) {
    std::printf("churn: %s\n", n.c_str());
  }
  for (const auto &e : parent_errors) {
    std::printf("churn: %s\n", e.c_str());
  }

  // (a) the kernel log
  std::map<std::string, std::uint64_t> bad_count;
  std::vector<std::string> bad_lines;   // distinct, at most 12
  std::vector<std::string> suppressed;  // rate-limited ember messages
  for (const auto &line : klog.Read()) {
    if (line.find("ember") != std::string::npos &&
        line.find("callbacks suppressed") != std::string::npos) {
      suppressed.push_back(line);
    }
    for (const char *pat : kBadLog) {
      if (line.find(pat) != std::string::npos) {
        ++bad_count[pat];
        if (bad_lines.size() < 12 &&
            std::find(bad_lines.begin(), bad_lines.end(), line) == bad_lines.end()) {
          bad_lines.push_back(line);
        }
        break;
      }
    }
  }
  for (const auto &[pat, n] : bad_count) {
    std::printf("churn: kernel log: %llu lines with \"%s\"\n", static_cast<unsigned long long>(n),
                pat.c_str());
  }
  for (const auto &line : bad_lines) {
    std::printf("churn: kernel log: %s\n", line.c_str());
  }
  for (const auto &line : suppressed) {
    std::printf("churn: kernel log: %s\n", line.c_str());
  }
  {
    std::ostringstream os;
    for (const auto &[pat, n] : bad_count) {
      os << "\n  " << n << " lines with \"" << pat << "\"";
    }
    for (const auto &line : bad_lines) {
      os << "\n  " << line;
    }
    for (const auto &line : suppressed) {
      os << "\n  " << line;
    }
    INFO("kernel log since the start:" << os.str());
    CHECK(bad_lines.empty());
  }

  // (b) the workers' results
  {
    std::ostringstream os;
    for (const auto &n : notes) {
      os << "\n  " << n;
    }
    for (const auto &e : parent_errors) {
      os << "\n  " << e;
    }
    INFO("worker errors:" << os.str());
    CHECK(mismatches == 0);
    CHECK(sh->errors.load() == 0);
    CHECK(parent_errors.empty());
    CHECK(verified > 0);
    CHECK(kills > 0);
  }

  // (c) nothing happens on idle DBCs
  {
    const auto before = IdleCounters(dev, dbcs);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto after = IdleCounters(dev, dbcs);
    for (std::uint32_t i = 0; i < dbcs; i++) {
      INFO("dbc" << i << " while idle for 300 ms");
      CHECK(after[i].polls - before[i].polls == 0);
      CHECK(after[i].interrupts - before[i].interrupts == 0);
      CHECK(after[i].responses - before[i].responses == 0);
    }
  }

  // (d) every DBC and all device memory free again
  {
    std::ostringstream os;
    for (const auto &c : clients) {
      os << "\n  " << c;
    }
    INFO("debugfs clients after the churn:" << os.str());
    CHECK(clients.empty());
  }
  const auto wl_text = ember_load::ReadText(dev.debugfs / "workloads");
  {
    INFO("debugfs workloads after the churn:\n" << wl_text);
    CHECK(wl_text.rfind("workloads: 0\n", 0) == 0);
  }
  const auto dbcs_text = ember_load::ReadText(dev.debugfs / "dbcs");
  {
    INFO("debugfs dbcs:\n" << dbcs_text);
    for (const auto &line : Lines(dbcs_text)) {
      if (line.rfind("dbc", 0) == 0) {
        CHECK(line.find(": free") != std::string::npos);
      } else if (line.rfind("ring_bytes:", 0) == 0) {
        CHECK(line == "ring_bytes: 0");
      }
    }
  }
  {
    ember_load::Client fresh(dev);
    std::vector<std::uint32_t> got;
    for (std::uint32_t i = 0; i < dbcs; i++) {
      std::uint32_t id = 0;
      const int err = ActivateRaw(fresh.fd(), &id, 8);
      INFO("ACTIVATE " << i + 1 << " of " << dbcs << " by a fresh client");
      CHECK(err == 0);
      if (err != 0) {
        break;
      }
      got.push_back(id);
    }
    Workload wl;
    const int err = LoadWorkload(fresh.fd(), {devmem}, &wl, "churn-all");
    INFO("LOAD_WORKLOAD of all " << devmem << " bytes of device memory by a fresh client");
    CHECK(err == 0);
    if (err == 0) {
      // ... and the driver recorded it (slices may use it).
      const auto line = ember_test::ClientLine(::getpid());
      INFO("debugfs clients: " << line);
      CHECK(line.find(" workloads=" + std::to_string(wl.id)) != std::string::npos);
      std::uint32_t status = 0;
      CHECK(UnloadWorkload(fresh.fd(), wl.id, &status) == 0);
    }
    for (const auto id : got) {
      CHECK(DeactivateRaw(fresh.fd(), id) == 0);
    }
  }
  sh->~Shared();
  ::munmap(mem, sizeof(Shared));
}
