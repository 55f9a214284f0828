// libember: the firmware commands of docs/nnc.md §15 encoded byte for byte
// (expected bytes written by hand from the layout tables), and the checks
// of their replies (umd/src/fwcmd.cpp).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "fwcmd.hpp"

namespace {

namespace fw = ember::detail::fw;
using Bytes = std::vector<std::uint8_t>;
using Catch::Matchers::ContainsSubstring;

void Put32(Bytes &b, std::size_t off, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) {
    b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

void Put64(Bytes &b, std::size_t off, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) {
    b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

ember_step Step(std::uint8_t op, std::uint8_t sk, std::uint8_t si, std::uint8_t dk, std::uint8_t di,
                std::uint8_t ak, std::uint8_t ai) {
  ember_step s{};
  s.op = op;
  s.src_kind = sk;
  s.src_index = si;
  s.dst_kind = dk;
  s.dst_index = di;
  s.aux_kind = ak;
  s.aux_index = ai;
  return s;
}

// A LOAD_WORKLOAD reply for |nregions| regions.
Bytes LoadReply(std::uint32_t id, std::uint32_t nregions, std::uint64_t image_bytes,
                std::size_t len) {
  Bytes b(len, 0);
  b[0] = 0x02;
  b[1] = 0x80;
  Put32(b, 4, static_cast<std::uint32_t>(len));
  Put32(b, 8, id);
  Put32(b, 12, nregions);
  Put64(b, 16, image_bytes);
  for (std::uint32_t r = 0; r < nregions && 32 + (8 * r) <= len; ++r) {
    Put64(b, 24 + (8 * r), 0x10000 + (0x1000 * r));
  }
  return b;
}

}  // namespace

TEST_CASE("LOAD_WORKLOAD is encoded as in nnc.md 15.3", "[fwcmd]") {
  const std::uint64_t sizes[] = {0x80, 0x40};
  ember_step steps[2] = {
      Step(EMBER_SLICE_OP_GEMM_I8, EMBER_OPERAND_INPUT, 0, EMBER_OPERAND_OUTPUT, 0,
           EMBER_OPERAND_REGION, 0),
      Step(EMBER_SLICE_OP_CRC32, EMBER_OPERAND_OUTPUT, 0, EMBER_OPERAND_REGION, 1,
           EMBER_OPERAND_NONE, 0),
  };
  steps[0].m = 4;
  steps[0].n = 8;
  steps[0].k = 16;
  ember_workload_desc d{};
  d.name = "gemm";
  d.region_sizes = sizes;
  d.steps = steps;
  d.nregions = 2;
  d.nsteps = 2;
  d.ninputs = 1;
  d.noutputs = 1;
  std::string why;
  REQUIRE(fw::Validate(d, why) == EMBER_OK);

  // clang-format off
  const Bytes expected = {
      // header: cmd 2, flags 0, len 128 (48 + 2 x 8 + 2 x 32)
      0x02, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
      // name "gemm", NUL-padded to 16 bytes
      0x67, 0x65, 0x6d, 0x6d, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      // image_tag 0x80000001, nregions 2
      0x01, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00,
      // nsteps 2, ninputs 1
      0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
      // noutputs 1, reserved
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      // region_size[0] = 0x80, region_size[1] = 0x40
      0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      // step 0: GEMM_I8 src input 0, dst output 0, aux region 0; len 0
      0x04, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,  // len 0, m 4
      0x08, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,  // n 8, k 16
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // reserved
      // step 1: CRC32 src output 0, dst region 1
      0x03, 0x02, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  // clang-format on
  CHECK(fw::EncodeLoad(d, 0x80000001) == expected);
  CHECK(fw::LoadLen(2, 2) == expected.size());
}

TEST_CASE("LOAD_WORKLOAD: a 16-byte name fills the field, FILL carries its pattern", "[fwcmd]") {
  ember_step fill = Step(EMBER_SLICE_OP_FILL, EMBER_OPERAND_NONE, 0, EMBER_OPERAND_OUTPUT, 3,
                         EMBER_OPERAND_NONE, 0xa5);
  fill.len = 0x1234;
  ember_workload_desc d{};
  d.name = "0123456789abcdef";
  d.steps = &fill;
  d.nsteps = 1;
  d.noutputs = 4;
  const Bytes b = fw::EncodeLoad(d, 0);
  REQUIRE(b.size() == 48 + 32);
  CHECK(std::string(b.begin() + 8, b.begin() + 24) == "0123456789abcdef");
  // image_tag 0, nregions 0, nsteps 1, ninputs 0, noutputs 4
  CHECK(Bytes(b.begin() + 24, b.begin() + 48) ==
        Bytes{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0});
  CHECK(Bytes(b.begin() + 48, b.begin() + 60) ==
        Bytes{0x02, 0x00, 0x02, 0x00, 0x00, 0x03, 0xa5, 0x00, 0x34, 0x12, 0x00, 0x00});
}

TEST_CASE("QUERY is a header and 48 zero bytes", "[fwcmd]") {
  Bytes expected(56, 0);
  expected[0] = 0x04;  // cmd 4
  expected[4] = 0x38;  // len 56
  CHECK(fw::EncodeQuery() == expected);
}

TEST_CASE("QUERY reply fields are read from their offsets", "[fwcmd]") {
  // clang-format off
  const Bytes reply = {
      0x04, 0x80, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,  // cmd 0x8004, len 56
      0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,  // dbcs_total 4, dbcs_free 3
      0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,  // devmem_total 256 MiB
      0x00, 0xe0, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00,  // devmem_free 256 MiB - 8 KiB
      0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // workloads 2, dbcs_owned 1
      0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // staged_bytes 0x100000100
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // reserved
  };
  // clang-format on
  ember_resources r{};
  std::string why;
  REQUIRE(fw::DecodeQuery(reply, r, why) == EMBER_OK);
  CHECK(r.dbcs_total == 4);
  CHECK(r.dbcs_free == 3);
  CHECK(r.devmem_total == 0x10000000);
  CHECK(r.devmem_free == 0x10000000 - 0x2000);
  CHECK(r.workloads == 2);
  CHECK(r.dbcs_owned == 1);
  CHECK(r.staged_bytes == 0x100000100ULL);

  SECTION("a reply of the wrong command is malformed") {
    Bytes bad = reply;
    bad[0] = 0x01;
    CHECK(fw::DecodeQuery(bad, r, why) == EMBER_ERR_IO);
    CHECK_THAT(why, ContainsSubstring("cmd 32769, expected 32772"));
  }
  SECTION("a reply without the reply bit is malformed") {
    Bytes bad = reply;
    bad[1] = 0x00;
    CHECK(fw::DecodeQuery(bad, r, why) == EMBER_ERR_IO);
  }
  SECTION("a short reply is malformed") {
    Bytes bad(reply.begin(), reply.begin() + 48);
    bad[4] = 48;
    CHECK(fw::DecodeQuery(bad, r, why) == EMBER_ERR_IO);
    CHECK_THAT(why, ContainsSubstring("48 bytes, expected at least 56"));
  }
  SECTION("a header len that is not the reply length is malformed") {
    Bytes bad = reply;
    bad[4] = 0x30;
    CHECK(fw::DecodeQuery(bad, r, why) == EMBER_ERR_IO);
  }
  SECTION("non-zero flags are malformed") {
    Bytes bad = reply;
    bad[2] = 1;
    CHECK(fw::DecodeQuery(bad, r, why) == EMBER_ERR_IO);
  }
  SECTION("more free than total is malformed") {
    Bytes bad = reply;
    bad[12] = 5;
    CHECK(fw::DecodeQuery(bad, r, why) == EMBER_ERR_IO);
  }
}

TEST_CASE("ECHO carries the payload padded to 8 bytes", "[fwcmd]") {
  const Bytes payload = {'a', 'b', 'c'};
  const Bytes expected = {0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
                          'a',  'b',  'c',  0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(fw::EncodeEcho(payload) == expected);
  CHECK(fw::EncodeEcho({}) == Bytes{0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00});

  Bytes reply = expected;
  reply[1] = 0x80;
  Bytes out(3);
  std::string why;
  REQUIRE(fw::DecodeEcho(reply, out, why) == EMBER_OK);
  CHECK(out == payload);
  reply.resize(8);
  reply[4] = 8;
  CHECK(fw::DecodeEcho(reply, out, why) == EMBER_ERR_IO);
}

TEST_CASE("UNLOAD_WORKLOAD is a header, the id and a reserved word", "[fwcmd]") {
  const Bytes expected = {0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
                          0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(fw::EncodeUnload(0x1234) == expected);
  Bytes reply = expected;
  reply[1] = 0x80;
  std::string why;
  CHECK(fw::DecodeUnload(reply, 0x1234, why) == EMBER_OK);
  CHECK(fw::DecodeUnload(reply, 0x1235, why) == EMBER_ERR_IO);
  CHECK_THAT(why, ContainsSubstring("workload_id 4660, requested 4661"));
}

TEST_CASE("LOAD_WORKLOAD reply gives the id, image bytes and region offsets", "[fwcmd]") {
  const Bytes reply = LoadReply(7, 2, 0xc0, 128);
  ember_workload_info info{};
  std::string why;
  REQUIRE(fw::DecodeLoad(reply, 2, info, why) == EMBER_OK);
  CHECK(info.workload_id == 7);
  CHECK(info.nregions == 2);
  CHECK(info.image_bytes == 0xc0);
  CHECK(info.region_offset[0] == 0x10000);
  CHECK(info.region_offset[1] == 0x11000);
  CHECK(info.region_offset[2] == 0);

  SECTION("workload id 0 is malformed") {
    CHECK(fw::DecodeLoad(LoadReply(0, 2, 0, 128), 2, info, why) == EMBER_ERR_IO);
  }
  SECTION("a region count other than requested is malformed") {
    CHECK(fw::DecodeLoad(LoadReply(7, 1, 0, 128), 2, info, why) == EMBER_ERR_IO);
    CHECK_THAT(why, ContainsSubstring("1 regions, requested 2"));
  }
  SECTION("an unaligned region offset is malformed") {
    Bytes bad = reply;
    bad[24] = 0x08;
    CHECK(fw::DecodeLoad(bad, 2, info, why) == EMBER_ERR_IO);
    CHECK_THAT(why, ContainsSubstring("not 4 KiB aligned"));
  }
  SECTION("a reply too short for its regions is malformed") {
    CHECK(fw::DecodeLoad(LoadReply(7, 2, 0, 32), 2, info, why) == EMBER_ERR_IO);
  }
}
