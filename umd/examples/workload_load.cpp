// workload_load: the control path end to end with libember's C++ API.
//
// Loads a small int8 GEMM workload whose weights (B, k x n) are the image,
// queries the resource accounting, activates a DMA bridge channel,
// deactivates it, unloads the workload, and checks that the accounting is
// back where it started. Exit status 0 on success, 1 on any failure.
//
// Usage: workload_load [--device INDEX|BDF|NODE] [--ring ENTRIES]
#include <ember/ember.hpp>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::uint32_t kM = 4;   // rows of A and C
constexpr std::uint32_t kN = 8;   // columns of B and C
constexpr std::uint32_t kK = 16;  // columns of A, rows of B
constexpr std::uint64_t kGranule = 4096;

std::uint64_t RoundUp(std::uint64_t v) { return (v + kGranule - 1) / kGranule * kGranule; }

void Print(const char *when, const ember::Resources &r) {
  std::printf("%-22s DBCs %u/%u free (%u mine), device memory %" PRIu64 "/%" PRIu64
              " free, %u workload(s), %" PRIu64 " staged bytes\n",
              when, r.dbcs_free, r.dbcs_total, r.dbcs_owned, r.devmem_free, r.devmem_total,
              r.workloads, r.staged_bytes);
}

bool Same(const ember::Resources &a, const ember::Resources &b) {
  return a.dbcs_total == b.dbcs_total && a.dbcs_free == b.dbcs_free &&
         a.devmem_total == b.devmem_total && a.devmem_free == b.devmem_free &&
         a.workloads == b.workloads && a.dbcs_owned == b.dbcs_owned &&
         a.staged_bytes == b.staged_bytes;
}

// Reports a failed check; returns false.
bool Expect(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "workload_load: check failed: %s\n", what);
  }
  return ok;
}

ember::Result<ember::Device> Open(const std::string &which) {
  if (which.empty()) {
    return ember::Device::open(0);
  }
  if (which.find('/') != std::string::npos) {
    return ember::Device::open_path(which);
  }
  if (which.find(':') != std::string::npos) {
    return ember::Device::open_bdf(which);
  }
  return ember::Device::open(std::strtoul(which.c_str(), nullptr, 10));
}

int Fail(const char *step, const ember::Error &e) {
  std::fprintf(stderr, "workload_load: %s: %s\n", step, e.what().c_str());
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  std::string which;
  std::uint32_t ring = 256;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--device" && i + 1 < args.size()) {
      which = args[++i];
    } else if (args[i] == "--ring" && i + 1 < args.size()) {
      ring = static_cast<std::uint32_t>(std::strtoul(std::string(args[++i]).c_str(), nullptr, 0));
    } else {
      std::fprintf(stderr, "usage: workload_load [--device INDEX|BDF|NODE] [--ring ENTRIES]\n");
      return 2;
    }
  }

  auto dev = Open(which);
  if (!dev) {
    return Fail("open", dev.error());
  }
  const auto desc = dev->describe();
  const auto nnc = dev->nnc_status();
  if (!desc || !nnc) {
    return Fail("describe / STATUS", desc ? nnc.error() : desc.error());
  }
  std::printf("%s (PCI %s), firmware NNC %u.%u, libember %s\n", desc->node.c_str(),
              desc->bdf.c_str(), nnc->major, nnc->minor, std::string(ember::version()).c_str());

  const auto start = dev->query();
  if (!start) {
    return Fail("QUERY", start.error());
  }
  Print("start:", *start);

  // C (output 0, int32 m x n) = A (input 0, int8 m x k) x B (region 0, the
  // weights); then the CRC-32 of C is stored in region 1.
  ember::WorkloadBuilder builder("gemm-demo");
  const auto a = builder.add_input();
  const auto c = builder.add_output();
  const auto weights = builder.add_region(std::uint64_t{kK} * kN);
  const auto scratch = builder.add_region(64);
  builder.gemm_i8(c, a, weights, kM, kN, kK).crc32(c, scratch);
  auto spec = builder.build();
  if (!spec) {
    return Fail("build", spec.error());
  }
  std::vector<std::byte> image(std::size_t{kK} * kN);
  for (std::size_t i = 0; i < image.size(); ++i) {
    image[i] = static_cast<std::byte>((i * 7 + 3) & 0xff);  // int8 weights -128..127
  }
  std::uint64_t allocated = 0;
  for (const auto size : spec->regions()) {
    allocated += RoundUp(size);
  }

  bool ok = true;
  {
    auto workload = dev->load(*spec, image);
    if (!workload) {
      return Fail("LOAD_WORKLOAD", workload.error());
    }
    std::printf("loaded workload %u: %" PRIu64 " image bytes, regions at", workload->id(),
                workload->image_bytes());
    for (const auto off : workload->region_offsets()) {
      std::printf(" 0x%" PRIx64, off);
    }
    std::printf("\n");
    ok &= Expect(workload->image_bytes() == image.size(), "the whole image was copied");

    const auto loaded = dev->query();
    if (!loaded) {
      return Fail("QUERY", loaded.error());
    }
    Print("after load:", *loaded);
    ok &= Expect(loaded->workloads == start->workloads + 1, "one more workload");
    ok &= Expect(loaded->devmem_free + allocated == start->devmem_free,
                 "regions took their 4 KiB-rounded sizes of device memory");
    ok &= Expect(loaded->staged_bytes == start->staged_bytes, "the load consumed the image");

    {
      auto dbc = dev->activate_dbc(ring);
      if (!dbc) {
        return Fail("ACTIVATE", dbc.error());
      }
      std::printf("activated DBC %u with %u-entry rings\n", dbc->id(), dbc->ring_size());
      const auto active = dev->query();
      if (!active) {
        return Fail("QUERY", active.error());
      }
      Print("after activate:", *active);
      ok &= Expect(active->dbcs_free + 1 == loaded->dbcs_free, "one DBC fewer free");
      ok &= Expect(active->dbcs_owned == loaded->dbcs_owned + 1, "one more DBC owned");
      if (auto r = dbc->deactivate(); !r) {
        return Fail("DEACTIVATE", r.error());
      }
    }
    const auto deactivated = dev->query();
    if (!deactivated) {
      return Fail("QUERY", deactivated.error());
    }
    Print("after deactivate:", *deactivated);
    ok &= Expect(Same(*deactivated, *loaded), "DEACTIVATE undid ACTIVATE");

    if (auto r = workload->unload(); !r) {
      return Fail("UNLOAD_WORKLOAD", r.error());
    }
  }
  const auto end = dev->query();
  if (!end) {
    return Fail("QUERY", end.error());
  }
  Print("end:", *end);
  ok &= Expect(Same(*end, *start), "accounting is back where it started");
  std::printf("%s\n", ok ? "workload_load: OK" : "workload_load: FAILED");
  return ok ? 0 : 1;
}
