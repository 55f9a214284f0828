// run_workload: the data path end to end with libember's C++ API.
//
// Loads a workload whose three device-memory regions hold an int8 GEMM's
// A (m x k), B (k x n) and C (m x n int32), activates a DMA bridge channel
// and runs it on real data: random A and B are written into an input
// buffer, whose slices copy them into the regions and run the GEMM; an
// output buffer's slices copy C back and store the device's CRC-32 of C.
// Both buffers are executed together, waited for, and every byte of C and
// the CRC are compared with a host computation. Several runs reuse the
// same slicing with new data. Exit status 0 if everything matched, 1 on a
// mismatch or any failure, 2 on bad usage.
//
// Usage: run_workload [--device INDEX|BDF|NODE] [--m M] [--n N] [--k K]
//                     [--runs N] [--seed S] [--ring ENTRIES]
#include <ember/ember.hpp>

#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::string device;
  std::uint32_t m = 96;   // rows of A and C
  std::uint32_t n = 64;   // columns of B and C
  std::uint32_t k = 128;  // columns of A, rows of B
  std::uint32_t runs = 2;
  std::uint32_t seed = 1;
  std::uint32_t ring = 256;
};

constexpr const char *kUsage =
    "usage: run_workload [--device INDEX|BDF|NODE] [--m M] [--n N] [--k K] [--runs N]\n"
    "                    [--seed S] [--ring ENTRIES]\n";

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
  std::fprintf(stderr, "run_workload: %s: %s\n", step, e.what().c_str());
  return 1;
}

// zlib's crc32() of |data|, as the device computes it.
std::uint32_t Crc32(const std::byte *data, std::size_t n) {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    std::uint32_t c = i;
    for (int b = 0; b < 8; ++b) {
      c = (c & 1U) != 0 ? (c >> 1) ^ 0xedb88320U : c >> 1;
    }
    table[i] = c;
  }
  std::uint32_t crc = 0xffffffffU;
  for (std::size_t i = 0; i < n; ++i) {
    crc = table[(crc ^ std::to_integer<std::uint32_t>(data[i])) & 0xffU] ^ (crc >> 8);
  }
  return crc ^ 0xffffffffU;
}

std::uint32_t Le32(const std::byte *p) {
  return std::to_integer<std::uint32_t>(p[0]) | std::to_integer<std::uint32_t>(p[1]) << 8 |
         std::to_integer<std::uint32_t>(p[2]) << 16 | std::to_integer<std::uint32_t>(p[3]) << 24;
}

void PutLe32(std::byte *p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<std::byte>(v >> (8 * i));
  }
}

bool ParseU32(std::string_view text, std::uint32_t &out) {
  const std::string s(text);
  char *end = nullptr;
  const unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (s.empty() || *end != '\0' || v > 0xffffffffUL) {
    return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool Parse(int argc, char **argv, Options &o) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() % 2 != 0) {
    return false;
  }
  for (std::size_t i = 0; i < args.size(); i += 2) {
    const std::string_view value = args[i + 1];
    bool ok = true;
    if (args[i] == "--device") {
      o.device = value;
    } else if (args[i] == "--m") {
      ok = ParseU32(value, o.m);
    } else if (args[i] == "--n") {
      ok = ParseU32(value, o.n);
    } else if (args[i] == "--k") {
      ok = ParseU32(value, o.k);
    } else if (args[i] == "--runs") {
      ok = ParseU32(value, o.runs);
    } else if (args[i] == "--seed") {
      ok = ParseU32(value, o.seed);
    } else if (args[i] == "--ring") {
      ok = ParseU32(value, o.ring);
    } else {
      ok = false;
    }
    if (!ok) {
      return false;
    }
  }
  return o.m >= 1 && o.m <= EMBER_GEMM_MAX && o.n >= 1 && o.n <= EMBER_GEMM_MAX && o.k >= 1 &&
         o.k <= EMBER_GEMM_MAX && o.runs >= 1;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  if (!Parse(argc, argv, o)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::uint64_t a_bytes = std::uint64_t{o.m} * o.k;
  const std::uint64_t b_bytes = std::uint64_t{o.k} * o.n;
  const std::uint64_t c_bytes = std::uint64_t{o.m} * o.n * 4;

  auto dev = Open(o.device);
  if (!dev) {
    return Fail("open", dev.error());
  }
  const auto desc = dev->describe();
  if (!desc) {
    return Fail("describe", desc.error());
  }
  std::printf("%s (PCI %s), libember %s\n", desc->node.c_str(), desc->bdf.c_str(),
              std::string(ember::version()).c_str());

  // The workload: regions for A, B and C, and its program (C = A x B).
  // The regions are where the data path may touch device memory.
  ember::WorkloadBuilder builder("run-workload");
  const auto ra = builder.add_region(a_bytes);
  const auto rb = builder.add_region(b_bytes);
  const auto rc = builder.add_region(c_bytes);
  builder.gemm_i8(rc, ra, rb, o.m, o.n, o.k);
  auto spec = builder.build();
  if (!spec) {
    return Fail("build", spec.error());
  }
  auto workload = dev->load(*spec);
  if (!workload) {
    return Fail("LOAD_WORKLOAD", workload.error());
  }
  const auto regions = workload->region_offsets();
  const std::uint64_t dev_a = regions[ra.index()];
  const std::uint64_t dev_b = regions[rb.index()];
  const std::uint64_t dev_c = regions[rc.index()];
  std::printf("loaded workload %u: A at 0x%" PRIx64 " (%" PRIu64 " B), B at 0x%" PRIx64 " (%" PRIu64
              " B), C at 0x%" PRIx64 " (%" PRIu64 " B) in device memory\n",
              workload->id(), dev_a, a_bytes, dev_b, b_bytes, dev_c, c_bytes);

  auto dbc = dev->activate_dbc(o.ring);
  if (!dbc) {
    return Fail("ACTIVATE", dbc.error());
  }
  std::printf("activated DBC %u with %u-entry rings\n", dbc->id(), dbc->ring_size());

  // Input buffer: A at 0, B after it. Output buffer: C at 0, then the
  // CRC-32 of C (C's size is a multiple of 4).
  const std::uint64_t in_b = a_bytes;
  const std::uint64_t out_crc = c_bytes;
  auto in = dev->create_buffer(a_bytes + b_bytes);
  auto out = dev->create_buffer(c_bytes + 4);
  if (!in || !out) {
    return Fail("CREATE_BO", in ? out.error() : in.error());
  }
  if (auto r = in->attach_slices(*dbc, {ember::slice::copy_to_device(0, a_bytes, dev_a),
                                        ember::slice::copy_to_device(in_b, b_bytes, dev_b),
                                        ember::slice::gemm_i8(dev_a, dev_b, dev_c, o.m, o.n, o.k)});
      !r) {
    return Fail("ATTACH_SLICE_BO (input)", r.error());
  }
  if (auto r = out->attach_slices(*dbc, {ember::slice::copy_from_device(0, c_bytes, dev_c),
                                         ember::slice::crc32(out_crc, dev_c, c_bytes)});
      !r) {
    return Fail("ATTACH_SLICE_BO (output)", r.error());
  }
  std::printf("input buffer: %" PRIu64 " B (A at 0, B at %" PRIu64
              "), 3 slices: copy A, copy B, GEMM\n",
              in->size(), in_b);
  std::printf("output buffer: %" PRIu64 " B (C at 0, CRC-32 at %" PRIu64
              "), 2 slices: copy C back, CRC-32 of C\n",
              out->size(), out_crc);

  bool ok = true;
  std::vector<std::byte> expect(c_bytes);
  for (std::uint32_t run = 1; run <= o.runs; ++run) {
    // New random A and B straight into the input buffer's mapping.
    std::mt19937 gen(o.seed + run - 1);
    std::uniform_int_distribution<int> int8(-128, 127);
    const auto bytes = in->bytes();
    for (std::uint64_t i = 0; i < a_bytes + b_bytes; ++i) {
      bytes[i] = static_cast<std::byte>(int8(gen));
    }
    std::memset(out->bytes().data(), 0xee, out->size());  // stale results would show

    if (auto r = dev->execute({*in, *out}); !r) {
      return Fail("EXECUTE_BO", r.error());
    }
    for (const ember::Buffer *b : {&*in, &*out}) {
      if (auto r = b->wait(std::chrono::milliseconds(10000)); !r) {
        return Fail("WAIT_BO", r.error());
      }
    }

    // The host's C = A x B (int32, wrapping like the device).
    const std::byte *a = bytes.data();
    const std::byte *b = bytes.data() + in_b;
    for (std::uint32_t i = 0; i < o.m; ++i) {
      for (std::uint32_t j = 0; j < o.n; ++j) {
        std::uint32_t sum = 0;
        for (std::uint32_t x = 0; x < o.k; ++x) {
          const auto av = static_cast<std::int8_t>(a[(std::size_t{i} * o.k) + x]);
          const auto bv = static_cast<std::int8_t>(b[(std::size_t{x} * o.n) + j]);
          sum += static_cast<std::uint32_t>(av * bv);
        }
        PutLe32(&expect[((std::size_t{i} * o.n) + j) * 4], sum);
      }
    }
    const std::byte *c = out->bytes().data();
    std::uint64_t bad = 0;
    std::uint64_t first_bad = 0;
    for (std::uint64_t i = 0; i < c_bytes; ++i) {
      if (c[i] != expect[i]) {
        first_bad = bad == 0 ? i : first_bad;
        ++bad;
      }
    }
    const std::uint32_t crc_dev = Le32(c + out_crc);
    const std::uint32_t crc_host = Crc32(expect.data(), expect.size());
    const auto in_stats = in->perf_stats();
    const auto out_stats = out->perf_stats();
    if (!in_stats || !out_stats) {
      return Fail("PERF_STATS_BO", in_stats ? out_stats.error() : in_stats.error());
    }
    std::printf("run %u: A %ux%u, B %ux%u int8 (seed %u) -> C %ux%u int32: %s", run, o.m, o.k, o.k,
                o.n, o.seed + run - 1, o.m, o.n,
                bad == 0 ? "every byte matches the host" : "MISMATCH");
    if (bad != 0) {
      std::printf(" (%" PRIu64 " bytes differ, first at %" PRIu64 ")", bad, first_bad);
    }
    std::printf("; CRC-32 0x%08x %s 0x%08x\n", crc_dev,
                crc_dev == crc_host ? "==" : "!=", crc_host);
    std::printf("       device time %" PRIu64 " ns (input) + %" PRIu64
                " ns (output), queue level %u / %u\n",
                in_stats->device_ns, out_stats->device_ns, in_stats->queue_level,
                out_stats->queue_level);
    ok = ok && bad == 0 && crc_dev == crc_host;
  }

  for (ember::Buffer *b : {&*in, &*out}) {
    if (auto r = b->detach_slices(); !r) {
      return Fail("DETACH_SLICE_BO", r.error());
    }
  }
  std::printf("%s\n", ok ? "run_workload: OK" : "run_workload: FAILED");
  return ok ? 0 : 1;
}
