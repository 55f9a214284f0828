// ember-exporter: Prometheus exporter for ember accelerators
// (ember-exporter(1)).
#include <pthread.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <ember/ember.hpp>

#include "collect.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "textfile.hpp"

#ifndef EMBER_EXPORTER_VERSION
#error "EMBER_EXPORTER_VERSION must be defined by the build"
#endif

namespace {

using ember_exporter::Collector;
using ember_exporter::Options;

int serve(const Options &o, Collector &collector) {
  // SIGINT/SIGTERM are taken by sigwait() below; the server's threads
  // inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  server.Get("/metrics", [&collector](const httplib::Request &, httplib::Response &res) {
    res.set_content(ember_exporter::render(collector.collect()),
                    std::string(ember_exporter::kContentType));
  });
  server.Get("/", [](const httplib::Request &, httplib::Response &res) {
    res.set_content(
        "<html><head><title>ember-exporter</title></head><body><h1>ember-exporter</h1>"
        "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n",
        "text/html; charset=utf-8");
  });
  if (!server.bind_to_port(o.listen, o.port)) {
    std::cerr << fmt::format("ember-exporter: cannot listen on {}:{}\n", o.listen, o.port);
    return 1;
  }
  std::cerr << fmt::format("ember-exporter: listening on http://{}:{}/metrics\n", o.listen, o.port);
  std::thread thread([&server] {
    server.listen_after_bind();
    // Stopped by a signal, or failed: either way wake the main thread.
    kill(getpid(), SIGTERM);
  });
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  thread.join();
  return 0;
}

int run(int argc, char **argv) {
  auto parsed = ember_exporter::parse_options(argc, argv);
  if (const auto *exit = std::get_if<ember_exporter::Exit>(&parsed)) {
    std::cout << exit->out;
    std::cerr << exit->err;
    return exit->code;
  }
  const Options &o = std::get<Options>(parsed);
  if (o.version) {
    std::cout << fmt::format("ember-exporter {} (libember {})\n", EMBER_EXPORTER_VERSION,
                             ember::version());
    return 0;
  }
  Collector collector(
      {o.processes, std::chrono::seconds(o.discovery_interval_s), EMBER_EXPORTER_VERSION});
  if (o.once) {
    std::cout << ember_exporter::render(collector.collect()) << std::flush;
    return std::cout ? 0 : 1;
  }
  if (!o.textfile.empty()) {
    const std::string err =
        ember_exporter::write_atomic(o.textfile, ember_exporter::render(collector.collect()));
    if (!err.empty()) {
      std::cerr << "ember-exporter: " << err << '\n';
      return 1;
    }
    return 0;
  }
  return serve(o, collector);
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::cerr << "ember-exporter: " << e.what() << '\n';
    return 1;
  }
}
