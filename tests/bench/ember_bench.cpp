// make bench: the ember data-path workload (tests/bench/guest-bench.sh runs
// it under bench.py measure). One client, one DBC, `depth` BOs kept in
// flight (depth 1: a lone job at a time, the QD1 latency loop), each job a
// COPY of `bytes` bytes from device memory that is checked after every
// completion (tests/vm/ember_load.hpp). Runs for ramp + runtime seconds
// and writes one JSON object (bench.py --parser json): ops_per_s and the
// latency percentiles (EXECUTE_BO to WAIT_BO's return) of the jobs that
// completed after the ramp, and the DBC's debugfs counters over the run.
//
// usage: ember_bench [--depth N] [--bytes N] [--seconds S] [--ramp S]
//                    [--service-ns NS] [--wait-poll 0|1] [--cpu N] [--out FILE]
//   --seconds S      total run time, ramp included (default 5)
//   --ramp S         completions before S are not counted (default 1)
//   --service-ns NS  set the DBC's service time per job for the run
//                    (debugfs test/dbc_service_ns), restored afterwards
//   --wait-poll 1    WAIT_BO with EMBER_WAIT_BO_POLL (the waiter polls)
//   --cpu N          pin to CPU N
//   --out FILE       write the JSON there (default stdout)
// Exit status: 0, 1 if a job failed or returned wrong bytes, 2 bad usage.
#include <sched.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ember_load.hpp"

namespace {

using ember_load::Percentile;

struct Options {
  std::uint32_t depth = 8;
  std::uint32_t bytes = 64;
  double seconds = 5;
  double ramp = 1;
  std::optional<std::uint32_t> service_ns;
  bool wait_poll = false;
  std::optional<int> cpu;
  std::string out;
};

[[noreturn]] void Usage(const std::string &why) {
  std::cerr << "ember_bench: " << why
            << "\nusage: ember_bench [--depth N] [--bytes N] [--seconds S] [--ramp S] "
               "[--service-ns NS] [--wait-poll 0|1] [--cpu N] [--out FILE]\n";
  std::exit(2);
}

double ToDouble(const std::string &s, const std::string &opt) {
  char *end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || v < 0) {
    Usage(opt + " needs a non-negative number, not '" + s + "'");
  }
  return v;
}

std::uint32_t ToU32(const std::string &s, const std::string &opt) {
  char *end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (end == s.c_str() || *end != '\0' || v > UINT32_MAX || s[0] == '-') {
    Usage(opt + " needs a number, not '" + s + "'");
  }
  return static_cast<std::uint32_t>(v);
}

Options Parse(int argc, char **argv) {
  Options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); i++) {
    const std::string &a = args[i];
    if (a == "-h" || a == "--help") {
      Usage("help");
    }
    if (i + 1 >= args.size()) {
      Usage("unknown option or missing value: " + a);
    }
    const std::string &v = args[++i];
    if (a == "--depth") {
      o.depth = ToU32(v, a);
    } else if (a == "--bytes") {
      o.bytes = ToU32(v, a);
    } else if (a == "--seconds") {
      o.seconds = ToDouble(v, a);
    } else if (a == "--ramp") {
      o.ramp = ToDouble(v, a);
    } else if (a == "--service-ns") {
      o.service_ns = ToU32(v, a);
    } else if (a == "--wait-poll") {
      if (v != "0" && v != "1") {
        Usage("--wait-poll takes 0 or 1, not '" + v + "'");
      }
      o.wait_poll = v == "1";
    } else if (a == "--cpu") {
      o.cpu = static_cast<int>(ToU32(v, a));
    } else if (a == "--out") {
      o.out = v;
    } else {
      Usage("unknown option " + a);
    }
  }
  if (o.ramp >= o.seconds) {
    Usage("--ramp must be shorter than --seconds");
  }
  return o;
}

std::string Json(const std::string &s) {
  std::string r = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      r += '\\';
    }
    r += c;
  }
  return r + "\"";
}

int Run(const Options &o) {
  if (o.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*o.cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      throw ember_load::Error("cannot pin to CPU " + std::to_string(*o.cpu));
    }
  }
  const auto dev = ember_load::FindDevice();
  ember_load::StreamConfig cfg;
  cfg.depth = o.depth;
  cfg.bytes = o.bytes;
  cfg.wait_flags = o.wait_poll ? EMBER_WAIT_BO_POLL : 0;
  ember_load::Stream stream(dev, cfg);
  std::unique_ptr<ember_load::ServiceNsGuard> service;
  if (o.service_ns) {
    service = std::make_unique<ember_load::ServiceNsGuard>(dev, stream.dbc(), *o.service_ns);
  }
  const auto dp = ember_load::ReadDatapath(dev);
  const auto service_ns = ember_load::ServiceNs(dev, stream.dbc());
  const auto before = ember_load::ReadCounters(dev, stream.dbc());
  const auto r = stream.Run(0, o.seconds);
  const auto delta = ember_load::ReadCounters(dev, stream.dbc()) - before;

  // The steady state: jobs that completed after the ramp.
  std::vector<double> lat;
  std::uint64_t counted = 0;
  double first = -1;
  double last = 0;
  for (std::size_t i = 0; i < r.done_s.size(); i++) {
    if (r.done_s[i] < o.ramp) {
      continue;
    }
    if (first < 0) {
      first = r.done_s[i];
    }
    last = r.done_s[i];
    lat.push_back(r.lat_us[i]);
    counted++;
  }
  const double span = last - o.ramp;
  const double ops_per_s = span > 0 ? static_cast<double>(counted) / span : 0;
  double mean = 0;
  for (const double l : lat) {
    mean += l;
  }
  mean = lat.empty() ? 0 : mean / static_cast<double>(lat.size());

  std::ostringstream js;
  js.precision(6);
  js << "{\"ops_per_s\": " << ops_per_s << ", \"p50_us\": " << Percentile(lat, 0.50)
     << ", \"p90_us\": " << Percentile(lat, 0.90) << ", \"p99_us\": " << Percentile(lat, 0.99)
     << ", \"max_us\": " << Percentile(lat, 1.0) << ", \"mean_us\": " << mean
     << ", \"ops\": " << counted << ", \"jobs_total\": " << r.jobs
     << ", \"run_seconds\": " << r.seconds << ", \"bad_jobs\": " << r.bad_jobs
     << ", \"depth\": " << o.depth << ", \"bytes\": " << o.bytes
     << ", \"service_ns\": " << service_ns << ", \"dbc\": " << stream.dbc()
     << ", \"service\": " << Json(dp.Get("service"))
     << ", \"irq_mode\": " << Json(dp.Get("irq_mode"))
     << ", \"irq_mitigation\": " << Json(dp.Get("irq_mitigation"))
     << ", \"dbc_interrupts\": " << delta.interrupts << ", \"dbc_polls\": " << delta.polls
     << ", \"dbc_completions\": " << delta.completions << ", \"dbc_rearms\": " << delta.rearms
     << ", \"dbc_gap_ns\": " << delta.gap_ns << ", \"dbc_interrupts_per_job\": "
     << (r.jobs ? static_cast<double>(delta.interrupts) / static_cast<double>(r.jobs) : 0) << "}\n";
  if (o.out.empty()) {
    std::cout << js.str();
  } else {
    std::ofstream f(o.out);
    f << js.str();
    if (!f.flush()) {
      throw ember_load::Error("cannot write " + o.out);
    }
  }
  if (r.bad_jobs != 0) {
    std::cerr << "ember_bench: " << r.bad_jobs << " jobs returned wrong bytes (first: job "
              << r.first_bad << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = Parse(argc, argv);
  try {
    return Run(o);
  } catch (const std::exception &e) {
    std::cerr << "ember_bench: " << e.what() << "\n";
    return 1;
  }
}
