// In-guest tests of the data path's fast paths (docs/datapath.md, "Fast
// submission", "Interrupts and polling"): direct submission and its
// ordering, interrupt steering, completion in the hard handler, and the
// storm test: a
// stream of small jobs, several BOs kept in flight and executed again as
// soon as they complete, on a DBC whose service time makes every response
// land in an empty ring (docs/hardware.md §4.2: one interrupt per job
// unless the driver keeps the source masked). The same number of jobs runs
// with datapath_irq_mitigation=N, then =Y; the DBC's debugfs counters must
// show at least 100 times fewer interrupts per completed job with it, and
// every job must have copied its bytes. In polling mode (datapath_polling=1)
// there are no interrupts: the jobs are checked, the ratio is skipped.
//
// Choices, measured under TCG on a 2-CPU host shared with other VMs:
// 400 us per job leaves the unmitigated IRQ thread time to re-enable the
// source before the next response while the adaptive poll window (twice
// the mean gap) stays well under datapath_poll_window_max_us (2 ms). With
// QEMU's threads pinned apart that is about one interrupt per job; in an
// unpinned VM on a busy host the vCPUs stall often enough that the thread
// finds 1-3 more responses in the ring after many interrupts (0.27-0.75
// interrupts per job measured; at 200 us down to 0.2). A storm therefore
// counts from 0.1 interrupts per job. 128 BOs in flight (51 ms of queued
// work) keep the DBC busy through the submitter's scheduling stalls, each
// of which would end the poll window and cost an interrupt. A phase stops
// after 10 s so that a slow host still finishes a topology in about 25 s.
// A host that is itself a VM can lose a third of its CPU to its
// hypervisor for seconds at a time; the model's threads then fall behind,
// the device runs at half its pace with gaps of several ms, and each gap
// costs an interrupt (tests/bench/device-pace.sh shows it). So when the
// ratio is missed while the device ran below kMinPace of its service rate
// in a phase, both phases run again, at most kAttempts times in all; an
// attempt at full pace that misses fails at once.
//
// Run as root (debugfs, module parameters). Environment, for experiments:
//   EMBER_STORM_JOBS         jobs per phase (default 20000)
//   EMBER_STORM_SECONDS      ... or fewer if a phase takes this long (10)
//   EMBER_STORM_DEPTH        BOs in flight (default 128)
//   EMBER_STORM_SERVICE_NS   the DBC's service time per job (default 400000)
#include <sched.h>
#include <sys/time.h>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ember_load.hpp"
#include "ember_raw.hpp"

namespace {

using ember_load::DbcCounters;
using ember_load::ParamGuard;
using ember_load::ReadCounters;
using ember_load::ReadDatapath;
using ember_load::RunResult;
using ember_load::ServiceNsGuard;
using ember_load::Stream;
using ember_load::StreamConfig;
using ember_test::EnvU64;

// Interrupts per job the unmitigated run must reach to count as a storm.
constexpr double kMinStormPerJob = 0.1;
// Required reduction of interrupts per job by mitigation.
constexpr double kMinRatio = 100;
// Jobs a phase must complete for the ratio to mean something.
constexpr std::uint64_t kMinJobs = 2000;
// A phase in which the device completed fewer jobs per second than this
// share of its service rate did not keep its pace: the host starved the
// model's threads (docs/performance.md, "The storm test and the device's
// pace"; 0.80-0.89 on a quiet host, 0.51-0.69 in every failing run traced).
constexpr double kMinPace = 0.75;
// Attempts at the two phases; another only after a starved one.
constexpr int kAttempts = 3;

struct Phase {
  RunResult run;
  DbcCounters delta;
};

Phase RunPhase(Stream &stream, std::uint64_t jobs, double seconds) {
  Phase p;
  const auto before = ReadCounters(stream.device(), stream.dbc());
  p.run = stream.Run(jobs, seconds);
  // The driver adds a drained batch to responses= after it has completed
  // the batch's jobs: give the last batch a moment to be counted.
  for (int i = 0; i < 100; i++) {
    p.delta = ReadCounters(stream.device(), stream.dbc()) - before;
    if (p.delta.responses >= p.run.jobs) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p;
}

double PerJob(const Phase &p) {
  return static_cast<double>(p.delta.interrupts) / static_cast<double>(p.run.jobs);
}

// The phase's jobs per second as a share of the DBC's service rate.
double Pace(const Phase &p, std::uint32_t service_ns) {
  return static_cast<double>(p.run.jobs) / p.run.seconds * service_ns / 1e9;
}

std::string Describe(const char *name, const Phase &p) {
  char head[160];
  std::snprintf(head, sizeof(head), "%s: %llu jobs in %.2f s (%.0f/s), %.4f interrupts/job, ", name,
                static_cast<unsigned long long>(p.run.jobs), p.run.seconds,
                static_cast<double>(p.run.jobs) / p.run.seconds, PerJob(p));
  return head + p.delta.Text();
}

// @config: what was run, if the text does not say.
void CheckJobs(const Phase &p, const std::string &text, const std::string &config = {}) {
  INFO(config << (config.empty() ? "" : "; ") << text << "; first bad job: " << p.run.first_bad);
  CHECK(p.run.bad_jobs == 0);
  REQUIRE(p.run.jobs >= kMinJobs);
  CHECK(p.delta.completions == p.run.jobs);
  CHECK(p.delta.responses == p.run.jobs);
  CHECK(p.delta.cancelled == 0);
  CHECK(p.delta.timeouts == 0);
}

}  // namespace

TEST_CASE("interrupt mitigation cuts DBC interrupts per completed job at least 100x") {
  const auto dev = ember_load::FindDevice();
  const auto dp = ReadDatapath(dev);
  const bool polling = dp.Polling();
  const std::uint64_t jobs = EnvU64("EMBER_STORM_JOBS", 20000);
  const auto seconds = static_cast<double>(EnvU64("EMBER_STORM_SECONDS", 10));
  StreamConfig cfg;
  cfg.depth = static_cast<std::uint32_t>(EnvU64("EMBER_STORM_DEPTH", 128));
  const auto service_ns = static_cast<std::uint32_t>(EnvU64("EMBER_STORM_SERVICE_NS", 400000));

  Stream stream(dev, cfg);
  const ServiceNsGuard service(dev, stream.dbc(), service_ns);
  std::ostringstream cs;
  cs << "service " << dp.Get("service") << ", irq_mode " << dp.Get("irq_mode") << ", dbc"
     << stream.dbc() << ", service time " << service_ns << " ns, depth " << cfg.depth << ", "
     << jobs << " jobs per phase (at most " << seconds << " s)";
  const std::string config = cs.str();
  if (polling) {
    // No interrupts to mitigate: one phase, the jobs must complete.
    const Phase p = RunPhase(stream, jobs, seconds);
    const auto text = Describe("polling", p);
    std::printf("storm: %s\n", text.c_str());
    CheckJobs(p, text, config);
    CHECK(p.delta.interrupts == 0);
    CHECK(p.delta.polls > 0);
    SKIP("polling mode: DBC interrupts are off, no ratio to check");
  }
  // Both phases again if the ratio was missed while the device could not
  // keep its pace (kMinPace) in one of them: that measured the host, not
  // the mitigation. Every attempt is printed; the bound is the same.
  const ParamGuard mitigation("datapath_irq_mitigation", "N");
  for (int attempt = 1;; attempt++) {
    mitigation.Set("N");
    REQUIRE(ReadDatapath(dev).Get("irq_mitigation") == "off");
    const Phase off = RunPhase(stream, jobs, seconds);
    mitigation.Set("Y");
    REQUIRE(ReadDatapath(dev).Get("irq_mitigation") == "on");
    const Phase on = RunPhase(stream, jobs, seconds);

    const auto off_text = Describe("mitigation off", off);
    const auto on_text = Describe("mitigation on", on);
    std::printf("storm: attempt %d: %s\nstorm: attempt %d: %s\n", attempt, off_text.c_str(),
                attempt, on_text.c_str());
    CheckJobs(off, off_text, config);
    CheckJobs(on, on_text, config);

    const double off_per_job = PerJob(off);
    const double on_per_job = PerJob(on);
    const double pace = std::min(Pace(off, service_ns), Pace(on, service_ns));
    const bool met = off_per_job >= kMinStormPerJob && on_per_job * kMinRatio <= off_per_job;
    if (!met && pace < kMinPace && attempt < kAttempts) {
      std::printf(
          "storm: attempt %d: the device ran at %.2f of its service rate (below %.2f): "
          "the host starved it; measuring again\n",
          attempt, pace, kMinPace);
      continue;
    }
    if (off_per_job < kMinStormPerJob) {
      FAIL("no interrupt storm to measure against: without mitigation the DBC raised only "
           << off_per_job << " interrupts per job (a storm is >= " << kMinStormPerJob
           << "): the IRQ thread found most responses already in the ring, so this environment "
              "(a loaded host?) did not produce the storm; mitigation was not tested. "
           << config << "; attempt " << attempt << ", device pace " << pace << "; " << off_text);
    }
    if (on_per_job * kMinRatio > off_per_job) {
      FAIL_CHECK("mitigation cut interrupts per job only "
                 << (on_per_job > 0 ? off_per_job / on_per_job : 0) << "x (required " << kMinRatio
                 << "x): " << config << "; attempt " << attempt << ", device pace " << pace << "; "
                 << off_text << "; " << on_text);
    }
    CHECK(on_per_job * kMinRatio <= off_per_job);
    break;
  }
}

// docs/datapath.md, "Interrupts and polling", coalescing: with many jobs
// in flight the IRQ thread sleeps until about a quarter of them can have
// completed (at most datapath_poll_coalesce_us and half of
// datapath_poll_window_max_us), so each of its passes finds several
// responses. 32 in flight at 200 us a job, with the caps raised to 4 ms
// (window 8 ms) so that they do not bind: the thread sleeps through 8
// gaps and finds about 8 responses a pass, however slow the host (a
// slower device makes the gap longer, so the sleep too); without
// coalescing it polls about every 100 us and finds about one. Checked:
// every job's bytes and counts, at least 2 responses per pass with
// coalescing, and that a stream runs right with coalescing off (no ratio
// asserted there).
TEST_CASE("with many jobs in flight the IRQ thread coalesces: several responses per pass") {
  const auto dev = ember_load::FindDevice();
  if (ReadDatapath(dev).Polling()) {
    SKIP("polling mode: no interrupt thread");
  }
  StreamConfig cfg;
  cfg.depth = 32;
  Stream stream(dev, cfg);
  const ServiceNsGuard service(dev, stream.dbc(), 200000);
  const ParamGuard mitigation("datapath_irq_mitigation", "Y");
  const ParamGuard window("datapath_poll_window_max_us", "8000");
  const ParamGuard coalesce("datapath_poll_coalesce_us", "0");
  REQUIRE(ReadDatapath(dev).Get("poll_coalesce_us") == "0");
  const Phase off = RunPhase(stream, 4000, 10);
  coalesce.Set("4000");
  REQUIRE(ReadDatapath(dev).Get("poll_coalesce_us") == "4000");
  const Phase on = RunPhase(stream, 4000, 10);
  const auto off_text = Describe("coalescing off", off);
  const auto on_text = Describe("coalescing on", on);
  std::printf("coalesce: %s\ncoalesce: %s\n", off_text.c_str(), on_text.c_str());
  CheckJobs(off, off_text);
  CheckJobs(on, on_text);
  INFO(on_text);
  REQUIRE(on.delta.polls > 0);
  CHECK(static_cast<double>(on.delta.responses) / static_cast<double>(on.delta.polls) >= 2.0);
}

// docs/datapath.md, "Completion in the hard handler": a lone job (QD1,
// nothing else in flight) completes in the hard interrupt handler, with no
// IRQ thread (irq_drains counts those interrupts, rearms the thread's
// re-enables); with datapath_irq_drain=N every interrupt goes through the
// thread. Both ways every job returns its bytes and is counted once.
TEST_CASE(
    "lone jobs complete in the hard interrupt handler; datapath_irq_drain=N uses the thread") {
  const auto dev = ember_load::FindDevice();
  if (ReadDatapath(dev).Polling()) {
    SKIP("polling mode: no DBC interrupts");
  }
  StreamConfig cfg;
  cfg.depth = 1;
  Stream stream(dev, cfg);
  const std::uint64_t jobs = 200;
  const auto drains = [&] { return ReadDatapath(dev).Count(stream.dbc(), "irq_drains"); };

  const ParamGuard drain("datapath_irq_drain", "Y");
  REQUIRE(ReadDatapath(dev).Get("irq_drain") == "on");
  auto d0 = drains();
  const Phase on = RunPhase(stream, jobs, 30);
  const auto on_drains = drains() - d0;
  const auto on_text = Describe("irq drain on", on) + " irq_drains=" + std::to_string(on_drains);
  std::printf("storm: %s\n", on_text.c_str());
  INFO(on_text);
  CHECK(on.run.bad_jobs == 0);
  REQUIRE(on.run.jobs == jobs);
  CHECK(on.delta.completions == jobs);
  CHECK(on.delta.responses == jobs);
  CHECK(on.delta.cancelled == 0);
  CHECK(on_drains > 0);
  CHECK(on_drains <= on.delta.interrupts);

  drain.Set("N");
  REQUIRE(ReadDatapath(dev).Get("irq_drain") == "off");
  d0 = drains();
  const Phase off = RunPhase(stream, jobs, 30);
  const auto off_drains = drains() - d0;
  const auto off_text =
      Describe("irq drain off", off) + " irq_drains=" + std::to_string(off_drains);
  std::printf("storm: %s\n", off_text.c_str());
  INFO(off_text);
  CHECK(off.run.bad_jobs == 0);
  REQUIRE(off.run.jobs == jobs);
  CHECK(off.delta.completions == jobs);
  CHECK(off.delta.responses == jobs);
  CHECK(off_drains == 0);
  CHECK(off.delta.rearms > 0);
}

namespace {

// The DBC count of jobs EXECUTE_BO wrote itself (debugfs "direct").
std::uint64_t Direct(const ember_test::Device &dev, std::uint32_t dbc) {
  return ReadDatapath(dev).Count(dbc, "direct");
}

using ember_load::PinTo;

// The Linux IRQ number of DBC `dbc`'s vector ("ember@<bdf>:dbc<i>" in
// /proc/interrupts), or -1.
int DbcIrq(const ember_test::Device &dev, std::uint32_t dbc) {
  std::ifstream in("/proc/interrupts");
  const std::string name = "ember@" + dev.bdf + ":dbc" + std::to_string(dbc);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    std::string word;
    std::string last;
    words >> first;
    while (words >> word) {
      last = word;
    }
    if (last == name && !first.empty() && first.back() == ':') {
      return std::stoi(first.substr(0, first.size() - 1));
    }
  }
  return -1;
}

std::string EffectiveAffinity(int irq) {
  return ember_test::TrimEnd(
      ember_load::ReadText("/proc/irq/" + std::to_string(irq) + "/effective_affinity_list"));
}

}  // namespace

// docs/datapath.md, "Fast submission": EXECUTE_BO writes a lone job's
// requests itself (debugfs direct); jobs that do not fit the ring wait in
// the scheduler, and while one waits every later job waits too, so the
// device sees the BOs in submission order. The oracle: BO i first copies
// a device area to its memory, then fills the area with byte i; so BO i
// must find the byte of BO i - 1. A ring of 8 entries holds 3 such BOs
// and the device takes 200 us per job: most of a burst of 32 waits in the
// scheduler, the rest goes direct.
TEST_CASE("EXECUTE_BO writes lone jobs itself; a burst larger than the ring keeps its order") {
  using ember_load::Bo;
  using ember_load::Client;
  const auto dev = ember_load::FindDevice();
  const ParamGuard direct("datapath_direct_submit", "Y");
  REQUIRE(ReadDatapath(dev).Get("direct_submit") == "on");

  constexpr std::uint32_t kBos = 32;
  constexpr std::uint32_t kBytes = 64;
  constexpr std::uint32_t kRounds = 4;
  const Client client(dev);
  const std::uint64_t area = client.LoadWorkload(1 << 16);
  const std::uint32_t dbc = client.Activate(8);
  const auto byte = [](std::uint32_t round, std::uint32_t i) {
    return static_cast<std::uint8_t>(1 + ((round * kBos) + i) % 251);
  };

  // Lone jobs: each written by EXECUTE_BO.
  const Bo seed(client, 4096);
  seed.Attach(dbc, {ember_test::FillDev(area, kBytes, 0xee)});
  const auto d0 = Direct(dev, dbc);
  for (int i = 0; i < 20; i++) {
    seed.Execute();
    REQUIRE(seed.Wait(10000) == 0);
  }
  CHECK(Direct(dev, dbc) - d0 == 20);

  std::vector<std::unique_ptr<Bo>> bos;
  for (std::uint32_t i = 0; i < kBos; i++) {
    bos.push_back(std::make_unique<Bo>(client, 4096));
  }
  // A service time per job makes the device the slow side, so the ring
  // is full while the burst is being submitted, whatever the host's speed.
  std::optional<ServiceNsGuard> slow(std::in_place, dev, dbc, 200000);
  const auto b0 = Direct(dev, dbc);
  std::uint8_t prev = 0xee;  // the seed's byte, the last fill so far
  for (std::uint32_t round = 0; round < kRounds; round++) {
    for (std::uint32_t i = 0; i < kBos; i++) {
      bos[i]->Attach(dbc, {ember_test::Copy(0, kBytes, area, EMBER_SLICE_FROM_DEV),
                           ember_test::FillDev(area, kBytes, byte(round, i))});
      std::memset(bos[i]->data(), 0, kBytes);
    }
    // One EXECUTE_BO per BO, back to back: the first fit the ring.
    for (std::uint32_t i = 0; i < kBos; i++) {
      bos[i]->Execute();
    }
    for (std::uint32_t i = 0; i < kBos; i++) {
      REQUIRE(bos[i]->Wait(10000) == 0);
    }
    for (std::uint32_t i = 0; i < kBos; i++) {
      const std::uint8_t want = i == 0 ? prev : byte(round, i - 1);
      INFO("round " << round << ", BO " << i << " read byte " << int(bos[i]->data()[0])
                    << ", the previous BO wrote " << int(want));
      REQUIRE(std::all_of(bos[i]->data(), bos[i]->data() + kBytes,
                          [want](std::uint8_t b) { return b == want; }));
    }
    prev = byte(round, kBos - 1);
    for (auto &bo : bos) {
      REQUIRE(ember_test::Detach(client.fd(), bo->handle()) == 0);
    }
  }
  const auto burst_direct = Direct(dev, dbc) - b0;
  std::printf("storm: bursts of %u BOs on a ring of 8: %llu of %u jobs written by EXECUTE_BO\n",
              kBos, static_cast<unsigned long long>(burst_direct), kBos * kRounds);
  CHECK(burst_direct > 0);                              // the first of each burst
  CHECK(burst_direct < std::uint64_t{kBos} * kRounds);  // the rest waited in the scheduler
  slow.reset();

  // With datapath_direct_submit=N every job goes through run_job.
  direct.Set("N");
  const auto n0 = Direct(dev, dbc);
  for (int i = 0; i < 20; i++) {
    seed.Execute();
    REQUIRE(seed.Wait(10000) == 0);
  }
  CHECK(Direct(dev, dbc) == n0);
}

// A client whose DBC takes 20 ms a request (the device is the slow side,
// whatever the host's speed, so a 100 us poller timer expires before a job
// ends) and a BO on it whose jobs fill 64 bytes of device memory with a
// byte and copy them back: 2 requests, 40 ms a job.
class SlowJobs {
 public:
  static constexpr std::uint32_t kBytes = 64;

  [[nodiscard]] bool polling() const { return polling_; }
  [[nodiscard]] const ember_load::Bo &bo() const { return bo_; }
  [[nodiscard]] std::uint64_t Count(const char *name) const {
    return ReadDatapath(dev_).Count(dbc_, name);
  }

  // Slices the BO for a job that leaves @byte, and clears its bytes.
  void Prepare(std::uint8_t byte) const {
    bo_.Attach(dbc_, {ember_test::FillDev(area_, kBytes, byte),
                      ember_test::Copy(0, kBytes, area_, EMBER_SLICE_FROM_DEV)});
    std::memset(bo_.data(), 0, kBytes);
  }

  // With no call on the BO, waits (at most 10 s) for the DBC to count
  // the job's completion, which @c0 and @r0 (completions and poller_runs)
  // were read before; then the poller must have run in polling mode (and
  // only then), the bytes must be @byte, and WAIT_BO must return at once.
  void RequireCompletesAlone(std::uint64_t c0, std::uint64_t r0, std::uint8_t byte,
                             const std::string &what) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Count("completions") == c0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    INFO(what << ", polling mode " << polling_ << ": " << Count("completions") - c0
              << " completions, " << Count("poller_runs") - r0 << " poller runs");
    REQUIRE(Count("completions") == c0 + 1);
    if (polling_) {
      CHECK(Count("poller_runs") > r0);
    } else {
      CHECK(Count("poller_runs") == r0);
    }
    CHECK(
        std::all_of(bo_.data(), bo_.data() + kBytes, [byte](std::uint8_t b) { return b == byte; }));
    REQUIRE(bo_.Wait(1000) == 0);
    REQUIRE(ember_test::Detach(client_.fd(), bo_.handle()) == 0);
  }

 private:
  ember_load::Device dev_ = ember_load::FindDevice();
  bool polling_ = ReadDatapath(dev_).Polling();
  ember_load::Client client_{dev_};
  std::uint64_t area_ = client_.LoadWorkload(1 << 16);
  std::uint32_t dbc_ = client_.Activate(8);
  ServiceNsGuard slow_{dev_, dbc_, 20000000};
  ember_load::Bo bo_{client_, 4096};
};

// docs/datapath.md, "Interrupts and polling", polling mode: there are no
// DBC interrupts and every WAIT_BO polls, so a job nobody waits for is
// completed by the poller, which a timer of datapath_poll_interval_us
// starts when requests stay in flight; poller_runs counts its runs. Jobs
// are executed and not waited for: each must complete on its own.
// Outside polling mode the timer is never armed.
TEST_CASE("polling mode: jobs nobody waits for complete through the poller's timer") {
  const SlowJobs jobs;
  for (std::uint32_t i = 0; i < 3; i++) {
    const auto byte = static_cast<std::uint8_t>(0x40 + i);
    jobs.Prepare(byte);
    const auto c0 = jobs.Count("completions");
    const auto r0 = jobs.Count("poller_runs");
    const auto i0 = jobs.Count("interrupts");
    jobs.bo().Execute();
    jobs.RequireCompletesAlone(c0, r0, byte, "job " + std::to_string(i));
    if (jobs.polling()) {
      CHECK(jobs.Count("interrupts") == i0);
    }
  }
}

void OnAlarm(int /*sig*/) {}

// docs/datapath.md, polling mode: a job that EXECUTE_BO with
// EMBER_EXECUTE_BO_WAIT starts on its own arms no poller timer, as its
// caller polls for it next; a caller that stops waiting before the job
// completed (its timeout, a signal) arms the timer then. A 1 ms timeout
// or a signal after 5 ms, then no call at all until the job has
// completed: only the timer can complete it in polling mode (the
// interrupt does outside it).
TEST_CASE("EXECUTE_BO that stops waiting (timeout, signal): the job still completes on its own") {
  const SlowJobs jobs;
  struct sigaction sa {};
  struct sigaction old {};
  sa.sa_handler = OnAlarm;  // no SA_RESTART: the call returns EINTR
  REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
  for (const bool signal : {false, true}) {
    const auto byte = static_cast<std::uint8_t>(signal ? 0x5a : 0xa5);
    jobs.Prepare(byte);
    const auto c0 = jobs.Count("completions");
    const auto r0 = jobs.Count("poller_runs");
    if (signal) {
      itimerval t{};
      t.it_value.tv_usec = 5000;
      REQUIRE(setitimer(ITIMER_REAL, &t, nullptr) == 0);
      CHECK(jobs.bo().ExecuteWait(5000) == EINTR);
    } else {
      CHECK(jobs.bo().ExecuteWait(1) == ETIMEDOUT);
    }
    jobs.RequireCompletesAlone(c0, r0, byte, signal ? "signal" : "timeout");
  }
  REQUIRE(sigaction(SIGALRM, &old, nullptr) == 0);
}

// docs/datapath.md, "Interrupt steering": the DBC's MSI-X vector follows
// the CPU its jobs are submitted from (effective affinity read back from
// /proc/irq), and stays where it is with datapath_irq_follow=N.
TEST_CASE("a DBC's interrupt follows the submitting CPU; datapath_irq_follow=N leaves it") {
  const auto dev = ember_load::FindDevice();
  const auto dp = ReadDatapath(dev);
  if (dp.Polling() || dp.Get("irq_mode") != "msix") {
    SKIP("no vector per DBC (irq_mode " << dp.Get("irq_mode") << ", service " << dp.Get("service")
                                        << ")");
  }
  cpu_set_t saved;
  REQUIRE(sched_getaffinity(0, sizeof(saved), &saved) == 0);
  if (!PinTo(0) || !PinTo(1)) {
    SKIP("needs CPUs 0 and 1");
  }
  const ParamGuard follow("datapath_irq_follow", "Y");
  StreamConfig cfg;
  cfg.depth = 1;
  Stream stream(dev, cfg);
  const int irq = DbcIrq(dev, stream.dbc());
  REQUIRE(irq > 0);
  const auto moves = [&] { return ReadDatapath(dev).Count(stream.dbc(), "irq_moves"); };

  // x86 moves an MSI vector at its next interrupt, and not before the
  // previous move's cleanup on the old CPU (a timer tick later): keep
  // submitting lone jobs until the move shows, for at most 5 s.
  const auto run_until = [&](const std::string &want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::uint64_t bad = stream.Run(20).bad_jobs;
    while (EffectiveAffinity(irq) != want && std::chrono::steady_clock::now() < deadline) {
      bad += stream.Run(5).bad_jobs;
    }
    return bad;
  };
  for (const int cpu : {0, 1, 0}) {
    REQUIRE(PinTo(cpu));
    const auto m0 = moves();
    INFO("submitting from CPU " << cpu);
    CHECK(run_until(std::to_string(cpu)) == 0);
    CHECK(EffectiveAffinity(irq) == std::to_string(cpu));
    CHECK(moves() - m0 == 1);  // once, not per job
  }

  follow.Set("N");
  REQUIRE(PinTo(1));
  const auto m0 = moves();
  for (int i = 0; i < 10; i++) {
    CHECK(stream.Run(20).bad_jobs == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(EffectiveAffinity(irq) == "0");
  CHECK(moves() == m0);
  sched_setaffinity(0, sizeof(saved), &saved);
}
