// In-guest storm test (docs/datapath.md, "Interrupts and polling"): a
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
//
// Run as root (debugfs, module parameters). Environment, for experiments:
//   EMBER_STORM_JOBS         jobs per phase (default 20000)
//   EMBER_STORM_SECONDS      ... or fewer if a phase takes this long (10)
//   EMBER_STORM_DEPTH        BOs in flight (default 128)
//   EMBER_STORM_SERVICE_NS   the DBC's service time per job (default 400000)
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

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

std::string Describe(const char *name, const Phase &p) {
  char head[160];
  std::snprintf(head, sizeof(head), "%s: %llu jobs in %.2f s (%.0f/s), %.4f interrupts/job, ", name,
                static_cast<unsigned long long>(p.run.jobs), p.run.seconds,
                static_cast<double>(p.run.jobs) / p.run.seconds, PerJob(p));
  return head + p.delta.Text();
}

void CheckJobs(const Phase &p, const std::string &text) {
  INFO(text << "; first bad job: " << p.run.first_bad);
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
    CheckJobs(p, config + "; " + text);
    CHECK(p.delta.interrupts == 0);
    CHECK(p.delta.polls > 0);
    SKIP("polling mode: DBC interrupts are off, no ratio to check");
  }
  const ParamGuard mitigation("datapath_irq_mitigation", "N");
  REQUIRE(ReadDatapath(dev).Get("irq_mitigation") == "off");
  const Phase off = RunPhase(stream, jobs, seconds);
  mitigation.Set("Y");
  REQUIRE(ReadDatapath(dev).Get("irq_mitigation") == "on");
  const Phase on = RunPhase(stream, jobs, seconds);

  const auto off_text = Describe("mitigation off", off);
  const auto on_text = Describe("mitigation on", on);
  std::printf("storm: %s\nstorm: %s\n", off_text.c_str(), on_text.c_str());
  CheckJobs(off, config + "; " + off_text);
  CheckJobs(on, config + "; " + on_text);

  const double off_per_job = PerJob(off);
  const double on_per_job = PerJob(on);
  if (off_per_job < kMinStormPerJob) {
    FAIL("no interrupt storm to measure against: without mitigation the DBC raised only "
         << off_per_job << " interrupts per job (a storm is >= " << kMinStormPerJob
         << "): the IRQ thread found most responses already in the ring, so this environment "
            "(a loaded host?) did not produce the storm; mitigation was not tested. "
         << config << "; " << off_text);
  }
  if (on_per_job * kMinRatio > off_per_job) {
    FAIL_CHECK("mitigation cut interrupts per job only "
               << (on_per_job > 0 ? off_per_job / on_per_job : 0) << "x (required " << kMinRatio
               << "x): " << config << "; " << off_text << "; " << on_text);
  }
  CHECK(on_per_job * kMinRatio <= off_per_job);
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
