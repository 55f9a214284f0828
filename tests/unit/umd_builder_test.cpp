// libember: ember::WorkloadBuilder and ember_workload_validate() refuse
// every workload the firmware would refuse for a reason visible on the
// host (docs/nnc.md §15.3), each with a message naming the problem.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdint>
#include <string>

#include "ember/ember.hpp"

namespace {

using Catch::Matchers::ContainsSubstring;
using ember::Operand;
using ember::WorkloadBuilder;

// build() must fail with EMBER_ERR_INVALID and a message containing |text|.
void RequireRefused(const WorkloadBuilder &b, const std::string &text) {
  const auto r = b.build();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == EMBER_ERR_INVALID);
  CHECK_THAT(r.error().message(), ContainsSubstring(text));
}

// A GEMM over weights in region 0 with its CRC in region 1: valid.
WorkloadBuilder Gemm() {
  WorkloadBuilder b("gemm");
  const auto a = b.add_input();
  const auto c = b.add_output();
  const auto w = b.add_region(std::uint64_t{16} * 8);
  const auto s = b.add_region(64);
  b.gemm_i8(c, a, w, 4, 8, 16).crc32(c, s);
  return b;
}

ember_step RawStep(std::uint8_t op) {
  ember_step s{};
  s.op = op;
  return s;
}

}  // namespace

TEST_CASE("a valid workload builds into the C description", "[builder]") {
  const auto spec = Gemm().build();
  REQUIRE(spec);
  const ember_workload_desc d = spec->desc();
  CHECK(std::string(d.name) == "gemm");
  CHECK(d.nregions == 2);
  CHECK(d.region_sizes[0] == 128);
  CHECK(d.region_sizes[1] == 64);
  CHECK(d.nsteps == 2);
  CHECK(d.ninputs == 1);
  CHECK(d.noutputs == 1);
  CHECK(d.flags == 0);
  const ember_step &g = d.steps[0];
  CHECK(g.op == EMBER_SLICE_OP_GEMM_I8);
  CHECK(g.src_kind == EMBER_OPERAND_INPUT);
  CHECK(g.dst_kind == EMBER_OPERAND_OUTPUT);
  CHECK(g.aux_kind == EMBER_OPERAND_REGION);
  CHECK(g.aux_index == 0);
  CHECK((g.m == 4 && g.n == 8 && g.k == 16 && g.len == 0));
  const ember_step &c = d.steps[1];
  CHECK(c.op == EMBER_SLICE_OP_CRC32);
  CHECK(c.src_kind == EMBER_OPERAND_OUTPUT);
  CHECK(c.dst_kind == EMBER_OPERAND_REGION);
  CHECK(c.dst_index == 1);
  CHECK(ember_workload_validate(&d) == EMBER_OK);
}

TEST_CASE("builder: too many steps, regions, inputs or outputs", "[builder]") {
  SECTION("33 steps") {
    WorkloadBuilder b;
    const auto r = b.add_region(4096);
    for (int i = 0; i < 33; ++i) {
      b.fill(r, 0);
    }
    RequireRefused(b, "33 steps, at most 32");
  }
  SECTION("32 steps are fine") {
    WorkloadBuilder b;
    const auto r = b.add_region(4096);
    for (int i = 0; i < 32; ++i) {
      b.fill(r, 0);
    }
    CHECK(b.build());
  }
  SECTION("no step") {
    WorkloadBuilder b;
    b.add_region(4096);
    RequireRefused(b, "no steps");
  }
  SECTION("9 regions") {
    WorkloadBuilder b;
    for (int i = 0; i < 9; ++i) {
      b.add_region(4096);
    }
    b.fill(Operand::region(0), 1);
    RequireRefused(b, "9 regions, at most 8");
  }
  SECTION("17 inputs") {
    WorkloadBuilder b;
    for (int i = 0; i < 17; ++i) {
      b.add_input();
    }
    b.add_region(4096);
    b.copy(Operand::region(0), Operand::input(0));
    RequireRefused(b, "17 inputs, at most 16");
  }
  SECTION("17 outputs") {
    WorkloadBuilder b;
    for (int i = 0; i < 17; ++i) {
      b.fill(b.add_output(), 0);
    }
    RequireRefused(b, "17 outputs, at most 16");
  }
}

TEST_CASE("builder: operand indices must name existing slices and regions", "[builder]") {
  SECTION("input out of range") {
    WorkloadBuilder b;
    b.add_input();
    b.copy(b.add_output(), Operand::input(2));
    RequireRefused(b, "step 0 (copy): src input 2 is out of range: the workload has 1 input(s)");
  }
  SECTION("output out of range") {
    WorkloadBuilder b;
    b.fill(b.add_output(), 1).fill(Operand::output(1), 2);
    RequireRefused(b, "step 1 (fill): dst output 1 is out of range");
  }
  SECTION("region out of range") {
    WorkloadBuilder b;
    const auto c = b.add_output();
    b.add_region(64);
    b.gemm_i8(c, b.add_input(), Operand::region(1), 1, 1, 1);
    RequireRefused(b, "step 0 (gemm_i8): aux region 1 is out of range: the workload has 1 region");
  }
  SECTION("unknown operand kind") {
    WorkloadBuilder b;
    ember_step s = RawStep(EMBER_SLICE_OP_COPY);
    s.src_kind = 4;
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    b.add_output();
    b.step(s);
    RequireRefused(b, "src operand kind 4 is unknown");
  }
  SECTION("an unused operand with an index") {
    WorkloadBuilder b;
    const auto o = b.add_output();
    ember_step s = RawStep(EMBER_SLICE_OP_COPY);
    s.src_kind = EMBER_OPERAND_INPUT;
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    s.dst_index = o.index();
    s.aux_index = 3;
    b.add_input();
    b.step(s);
    RequireRefused(b, "aux operand is none but its index is 3");
  }
}

TEST_CASE("builder: every output must be written, inputs never", "[builder]") {
  SECTION("output never written") {
    WorkloadBuilder b;
    const auto in = b.add_input();
    const auto o0 = b.add_output();
    b.add_output();
    b.copy(o0, in);
    RequireRefused(b, "output 1 is never written by any step");
  }
  SECTION("an output only read is not written") {
    WorkloadBuilder b;
    const auto o = b.add_output();
    b.crc32(o, b.add_region(64));
    RequireRefused(b, "output 0 is never written");
  }
  SECTION("input as a destination") {
    WorkloadBuilder b;
    const auto in = b.add_input();
    b.copy(in, b.add_region(64));
    RequireRefused(b, "step 0 (copy): dst input 0: an input slice cannot be a destination");
  }
  SECTION("FILL of an input") {
    WorkloadBuilder b;
    b.fill(b.add_input(), 0xff);
    RequireRefused(b, "an input slice cannot be a destination");
  }
}

TEST_CASE("builder: per-op operands and shapes", "[builder]") {
  SECTION("COPY needs a source") {
    WorkloadBuilder b;
    b.copy(b.add_output(), Operand::none());
    RequireRefused(b, "step 0 (copy): src operand is required");
  }
  SECTION("COPY has no aux operand") {
    WorkloadBuilder b;
    ember_step s = RawStep(EMBER_SLICE_OP_COPY);
    s.src_kind = EMBER_OPERAND_INPUT;
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    s.aux_kind = EMBER_OPERAND_INPUT;
    b.add_input();
    b.add_output();
    b.step(s);
    RequireRefused(b, "aux operand must be none, not input 0");
  }
  SECTION("FILL has no source") {
    WorkloadBuilder b;
    ember_step s = RawStep(EMBER_SLICE_OP_FILL);
    s.src_kind = EMBER_OPERAND_INPUT;
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    b.add_input();
    b.add_output();
    b.step(s);
    RequireRefused(b, "step 0 (fill): src operand must be none");
  }
  SECTION("GEMM needs B") {
    WorkloadBuilder b;
    b.gemm_i8(b.add_output(), b.add_input(), Operand::none(), 1, 1, 1);
    RequireRefused(b, "aux operand is required");
  }
  SECTION("GEMM shape 0 or above 4096") {
    WorkloadBuilder b;
    const auto c = b.add_output();
    const auto a = b.add_input();
    const auto w = b.add_input();
    b.gemm_i8(c, a, w, 4, 0, 4);
    RequireRefused(b, "m, n, k = 4, 0, 4: each must be 1..4096");
    WorkloadBuilder b2;
    b2.gemm_i8(b2.add_output(), b2.add_input(), b2.add_input(), 4097, 1, 1);
    RequireRefused(b2, "each must be 1..4096");
  }
  SECTION("GEMM with a len") {
    WorkloadBuilder b;
    ember_step s = RawStep(EMBER_SLICE_OP_GEMM_I8);
    s.src_kind = EMBER_OPERAND_INPUT;
    s.aux_kind = EMBER_OPERAND_INPUT;
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    s.m = s.n = s.k = 1;
    s.len = 4;
    b.add_input();
    b.add_output();
    b.step(s);
    RequireRefused(b, "len must be 0");
  }
  SECTION("m, n, k on a COPY") {
    WorkloadBuilder b;
    ember_step s = RawStep(EMBER_SLICE_OP_COPY);
    s.src_kind = EMBER_OPERAND_INPUT;
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    s.k = 2;
    b.add_input();
    b.add_output();
    b.step(s);
    RequireRefused(b, "m, n and k must be 0");
  }
  SECTION("unknown ops") {
    WorkloadBuilder b;
    b.step(RawStep(0));
    RequireRefused(b, "step 0 (op 0): unknown op 0");
    WorkloadBuilder b2;
    b2.step(RawStep(9));
    RequireRefused(b2, "unknown op 9");
  }
  SECTION("reserved byte") {
    WorkloadBuilder b;
    ember_step s = RawStep(EMBER_SLICE_OP_FILL);
    s.dst_kind = EMBER_OPERAND_OUTPUT;
    s.reserved = 1;
    b.add_output();
    b.step(s);
    RequireRefused(b, "reserved byte must be 0");
  }
}

TEST_CASE("builder: region operands must fit their region", "[builder]") {
  SECTION("GEMM B larger than its region") {
    WorkloadBuilder b;
    const auto c = b.add_output();
    const auto a = b.add_input();
    const auto w = b.add_region(1024);
    b.gemm_i8(c, a, w, 2, 64, 64);
    RequireRefused(b, "step 0 (gemm_i8): aux (B) region 0: 4096 bytes do not fit its 1024 bytes");
  }
  SECTION("GEMM C larger than its region") {
    WorkloadBuilder b;
    const auto r = b.add_region(15);
    b.gemm_i8(r, b.add_input(), b.add_input(), 2, 2, 1);
    RequireRefused(b, "dst (C) region 0: 16 bytes do not fit its 15 bytes");
  }
  SECTION("COPY of len beyond the region") {
    WorkloadBuilder b;
    const auto r = b.add_region(100);
    b.copy(b.add_output(), r, 101);
    RequireRefused(b, "src region 0: 101 bytes do not fit its 100 bytes");
  }
  SECTION("whole-region COPY into a smaller region") {
    WorkloadBuilder b;
    const auto big = b.add_region(8192);
    const auto small = b.add_region(4096);
    b.copy(small, big);
    RequireRefused(b, "dst region 1: 8192 bytes do not fit its 4096 bytes");
  }
  SECTION("CRC32 result needs 4 bytes") {
    WorkloadBuilder b;
    const auto r = b.add_region(2);
    b.crc32(b.add_input(), r);
    RequireRefused(b, "dst region 0: 4 bytes do not fit its 2 bytes");
  }
  SECTION("CRC32 without a destination is fine") {
    WorkloadBuilder b;
    b.crc32(b.add_input());
    CHECK(b.build());
  }
  SECTION("region of size 0") {
    WorkloadBuilder b;
    b.fill(b.add_region(0), 1);
    RequireRefused(b, "region 0 has size 0");
  }
}

TEST_CASE("builder: the workload name", "[builder]") {
  SECTION("16 bytes are fine") {
    WorkloadBuilder b("0123456789abcdef");
    b.fill(b.add_output(), 0);
    CHECK(b.build());
  }
  SECTION("17 bytes are too many") {
    WorkloadBuilder b("0123456789abcdefg");
    b.fill(b.add_output(), 0);
    RequireRefused(b, "name is longer than 16 bytes");
  }
  SECTION("non-printable") {
    WorkloadBuilder b("tab\there");
    b.fill(b.add_output(), 0);
    RequireRefused(b, "non-printable character at byte 3");
  }
}

TEST_CASE("ember_workload_validate checks the C description", "[builder]") {
  ember_step fill{};
  fill.op = EMBER_SLICE_OP_FILL;
  fill.dst_kind = EMBER_OPERAND_OUTPUT;
  ember_workload_desc d{};
  d.name = "";
  d.steps = &fill;
  d.nsteps = 1;
  d.noutputs = 1;
  REQUIRE(ember_workload_validate(&d) == EMBER_OK);

  SECTION("flags") {
    d.flags = 1;
    CHECK(ember_workload_validate(&d) == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("flags and reserved must be 0"));
  }
  SECTION("reserved") {
    d.reserved = 1;
    CHECK(ember_workload_validate(&d) == EMBER_ERR_INVALID);
  }
  SECTION("NULL name") {
    d.name = nullptr;
    CHECK(ember_workload_validate(&d) == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("name is NULL"));
  }
  SECTION("NULL steps") {
    d.steps = nullptr;
    CHECK(ember_workload_validate(&d) == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("steps is NULL"));
  }
  SECTION("NULL region sizes") {
    d.nregions = 1;
    CHECK(ember_workload_validate(&d) == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("region_sizes is NULL"));
  }
}
