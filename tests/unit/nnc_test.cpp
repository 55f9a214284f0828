// Host tests of the NNC codec (common/ember_nnc.c, docs/nnc.md): round trips
// of every transaction type, one case per validation rule (each breaks
// exactly that rule and checks errno and reason), DMA_XFER continuation,
// CRC, the known-answer vectors of docs/nnc.md byte for byte, and the
// layout of the MANAGE uAPI structs.
#include <zlib.h>

#include <array>
#include <catch2/catch_test_macros.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ember_accel.h"

extern "C" {
#include "ember_nnc.h"
}

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kAllOnes64 = ~std::uint64_t{0};

std::uint16_t get16(const Bytes &b, std::size_t off) {
  return static_cast<std::uint16_t>(b.at(off) | (b.at(off + 1) << 8));
}

std::uint32_t get32(const Bytes &b, std::size_t off) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; i++) {
    v |= static_cast<std::uint32_t>(b.at(off + i)) << (8 * i);
  }
  return v;
}

void put16(Bytes &b, std::size_t off, std::uint16_t v) {
  b.at(off) = static_cast<std::uint8_t>(v);
  b.at(off + 1) = static_cast<std::uint8_t>(v >> 8);
}

void put32(Bytes &b, std::size_t off, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; i++) {
    b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

void put64(Bytes &b, std::size_t off, std::uint64_t v) {
  put32(b, off, static_cast<std::uint32_t>(v));
  put32(b, off + 4, static_cast<std::uint32_t>(v >> 32));
}

// Rewrite the CRC after a mutation, so only the rule under test is broken.
void fix_crc(Bytes &m) {
  if ((get16(m, 24) & EMBER_NNC_F_CRC) != 0) {
    put32(m, 28, ember_nnc_crc32(m.data(), get32(m, 12)));
  }
}

// Append zero bytes and grow the header length accordingly.
void grow(Bytes &m, std::size_t extra) {
  m.resize(m.size() + extra, 0);
  put32(m, 12, static_cast<std::uint32_t>(m.size()));
}

std::uint32_t n32(std::size_t v) { return static_cast<std::uint32_t>(v); }

struct Msg {
  Bytes bytes;
  ember_nnc_msg_info info{};
};

// Encode all of reqs; messages are written into buffers poisoned with
// `poison` so that a byte the encoder forgets shows up.
std::vector<Msg> encode_all(const std::vector<ember_nnc_req> &reqs, std::uint32_t handle,
                            std::uint32_t flags, std::uint32_t size = EMBER_NNC_MSG_MAX,
                            std::uint32_t seq = 1, std::uint8_t poison = 0xa5) {
  ember_nnc_enc enc{};
  ember_nnc_reason why{};
  REQUIRE(ember_nnc_enc_init(&enc, reqs.data(), n32(reqs.size()), handle, flags, &why) == 0);
  REQUIRE(why == EMBER_NNC_OK);
  std::vector<Msg> out;
  for (;;) {
    Msg m;
    m.bytes.assign(EMBER_NNC_MSG_MAX, poison);
    const int n = ember_nnc_enc_next(&enc, m.bytes.data(), size, seq++, &m.info, &why);
    REQUIRE(n >= 0);
    if (n == 0) {
      break;
    }
    m.bytes.resize(static_cast<std::size_t>(n));
    out.push_back(std::move(m));
  }
  CHECK(ember_nnc_enc_done(&enc));
  return out;
}

struct DecReq {
  ember_nnc_hdr hdr{};
  std::array<ember_nnc_req, EMBER_NNC_MAX_TRANS> reqs{};
  int ret = 0;
  ember_nnc_reason why = EMBER_NNC_OK;
};

DecReq decode_req(const Bytes &m, std::uint32_t dflags = 0, std::size_t size = 0) {
  DecReq d;
  d.ret = ember_nnc_decode_request(m.data(), n32(size != 0 ? size : m.size()), dflags, &d.hdr,
                                   d.reqs.data(), EMBER_NNC_MAX_TRANS, &d.why);
  return d;
}

struct DecRsp {
  ember_nnc_hdr hdr{};
  std::array<ember_nnc_rsp, EMBER_NNC_MAX_TRANS> rsps{};
  int ret = 0;
  ember_nnc_reason why = EMBER_NNC_OK;
};

DecRsp decode_rsp(const Bytes &m, const ember_nnc_msg_info &info, std::uint32_t dflags = 0,
                  std::size_t size = 0) {
  DecRsp d;
  d.ret = ember_nnc_decode_reply(m.data(), n32(size != 0 ? size : m.size()), &info, dflags, &d.hdr,
                                 d.rsps.data(), EMBER_NNC_MAX_TRANS, &d.why);
  return d;
}

Bytes encode_rsp(const ember_nnc_hdr &hdr, const std::vector<ember_nnc_rsp> &rsps,
                 std::uint32_t size = EMBER_NNC_MSG_MAX) {
  Bytes b(EMBER_NNC_MSG_MAX, 0x5a);
  ember_nnc_reason why{};
  const int n = ember_nnc_encode_reply(b.data(), size, &hdr, rsps.data(), n32(rsps.size()), &why);
  REQUIRE(n > 0);
  CHECK(why == EMBER_NNC_OK);
  b.resize(static_cast<std::size_t>(n));
  return b;
}

ember_nnc_hdr reply_hdr(const ember_nnc_msg_info &info, std::uint16_t status = 0) {
  ember_nnc_hdr h{};
  h.seq = info.seq;
  h.handle = info.handle;
  h.flags = static_cast<std::uint16_t>(info.flags);
  h.status = status;
  return h;
}

ember_nnc_req req_status(std::uint32_t features) {
  ember_nnc_req r{};
  r.type = EMBER_NNC_T_STATUS;
  r.u.status.features = features;
  return r;
}

ember_nnc_req req_pt(const std::uint8_t *data, std::uint32_t len) {
  ember_nnc_req r{};
  r.type = EMBER_NNC_T_PASSTHROUGH;
  r.u.pt.data = data;
  r.u.pt.len = len;
  return r;
}

ember_nnc_req req_dma(std::uint32_t tag, std::uint32_t xfer_id,
                      const std::vector<ember_nnc_seg> &segs) {
  ember_nnc_req r{};
  r.type = EMBER_NNC_T_DMA_XFER;
  r.u.dma.tag = tag;
  r.u.dma.xfer_id = xfer_id;
  r.u.dma.nsegs = n32(segs.size());
  r.u.dma.segs = segs.data();
  return r;
}

ember_nnc_req req_act(std::uint32_t ring, std::uint64_t req_base, std::uint64_t rsp_base) {
  ember_nnc_req r{};
  r.type = EMBER_NNC_T_ACTIVATE;
  r.u.act.ring_size = ring;
  r.u.act.req_base = req_base;
  r.u.act.rsp_base = rsp_base;
  return r;
}

ember_nnc_req req_deact(std::uint32_t dbc) {
  ember_nnc_req r{};
  r.type = EMBER_NNC_T_DEACTIVATE;
  r.u.deact.dbc_id = dbc;
  return r;
}

ember_nnc_req req_term(std::uint32_t handle) {
  ember_nnc_req r{};
  r.type = EMBER_NNC_T_TERMINATE;
  r.u.term.handle = handle;
  return r;
}

ember_nnc_rsp rsp_of(std::uint32_t type, std::uint32_t status = EMBER_NNC_ST_OK) {
  ember_nnc_rsp r{};
  r.type = type;
  r.status = status;
  return r;
}

// The baseline request used by the rule tests: no CRC, handle 9, seq 77,
// STATUS @32, PASSTHROUGH(16) @56, DMA_XFER(2 segs) @88, ACTIVATE @168,
// DEACTIVATE @200, length 216.
constexpr std::size_t kSt = 32;
constexpr std::size_t kPt = 56;
constexpr std::size_t kDma = 88;
constexpr std::size_t kAct = 168;
constexpr std::size_t kDeact = 200;
constexpr std::size_t kReqLen = 216;
// Its all-OK reply: STATUS @32, PASSTHROUGH(8) @56, DMA_XFER @80,
// ACTIVATE @104, DEACTIVATE @120, length 136.
constexpr std::size_t kRSt = 32;
constexpr std::size_t kRPt = 56;
constexpr std::size_t kRDma = 80;
constexpr std::size_t kRAct = 104;
constexpr std::size_t kRDeact = 120;
constexpr std::size_t kRspLen = 136;

constexpr std::array<std::uint8_t, 16> kPtPayload = {1, 2,  3,  4,  5,  6,  7,  8,
                                                     9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::array<std::uint8_t, 8> kPtReply = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22};

const std::vector<ember_nnc_seg> &base_segs() {
  static const std::vector<ember_nnc_seg> segs = {{0x1000, 0x300}, {0x8000, 0x100}};
  return segs;
}

std::vector<ember_nnc_req> base_reqs() {
  return {req_status(EMBER_NNC_FEAT_CRC), req_pt(kPtPayload.data(), n32(kPtPayload.size())),
          req_dma(0x77, 3, base_segs()), req_act(16, 0x40000, 0x80000), req_deact(2)};
}

Msg base_request(std::uint32_t flags = 0) {
  auto msgs = encode_all(base_reqs(), 9, flags, EMBER_NNC_MSG_MAX, 77);
  REQUIRE(msgs.size() == 1);
  REQUIRE(msgs[0].bytes.size() == kReqLen);
  return msgs[0];
}

std::vector<ember_nnc_rsp> base_rsps() {
  std::vector<ember_nnc_rsp> r = {rsp_of(EMBER_NNC_T_STATUS), rsp_of(EMBER_NNC_T_PASSTHROUGH),
                                  rsp_of(EMBER_NNC_T_DMA_XFER), rsp_of(EMBER_NNC_T_ACTIVATE),
                                  rsp_of(EMBER_NNC_T_DEACTIVATE)};
  r[0].u.status.features = EMBER_NNC_FEAT_CRC;
  r[1].u.pt.data = kPtReply.data();
  r[1].u.pt.len = n32(kPtReply.size());
  r[2].u.dma.xfer_id = 3;
  r[2].u.dma.received = 0x400;
  r[3].u.act.dbc_id = 1;
  r[4].u.deact.dbc_id = 2;
  return r;
}

Bytes base_reply(const ember_nnc_msg_info &info) {
  Bytes b = encode_rsp(reply_hdr(info), base_rsps());
  REQUIRE(b.size() == kRspLen);
  return b;
}

// ---- known-answer vectors from docs/nnc.md ----

std::map<std::string, Bytes> load_vectors() {
  std::ifstream in(EMBER_SOURCE_DIR "/docs/nnc.md");
  REQUIRE(in.good());
  std::map<std::string, Bytes> out;
  std::string line;
  std::string name;
  while (std::getline(in, line)) {
    if (line.rfind("```hex ", 0) == 0) {
      name = line.substr(7);
      out[name] = {};
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      name.clear();
      continue;
    }
    if (name.empty()) {
      continue;
    }
    const auto colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    std::istringstream hex(line.substr(colon + 1));
    std::string byte;
    while (hex >> byte) {
      out[name].push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
    }
  }
  return out;
}

}  // namespace

// ---- CRC ----------------------------------------------------------------

TEST_CASE("CRC-32 is zlib's with the crc32 field taken as zero", "[nnc][crc]") {
  const std::string check = "123456789";
  CHECK(ember_nnc_crc32(check.data(), n32(check.size())) == 0xcbf43926u);

  std::mt19937 rng(1);
  for (int iter = 0; iter < 200; iter++) {
    Bytes m(EMBER_NNC_HDR_LEN + 8 * (rng() % 500));
    for (auto &b : m) {
      b = static_cast<std::uint8_t>(rng());
    }
    Bytes z = m;
    put32(z, 28, 0);
    const auto want = static_cast<std::uint32_t>(crc32(0L, z.data(), n32(z.size())));
    CHECK(ember_nnc_crc32(m.data(), n32(m.size())) == want);
  }
}

TEST_CASE("CRC on and off", "[nnc][crc]") {
  const Msg plain = base_request(0);
  const Msg crc = base_request(EMBER_NNC_F_CRC);
  CHECK(get16(plain.bytes, 24) == 0);
  CHECK(get32(plain.bytes, 28) == 0);
  CHECK(get16(crc.bytes, 24) == EMBER_NNC_F_CRC);
  CHECK(get32(crc.bytes, 28) == ember_nnc_crc32(crc.bytes.data(), n32(crc.bytes.size())));
  // Same message apart from flags and crc32.
  CHECK(std::equal(plain.bytes.begin() + 32, plain.bytes.end(), crc.bytes.begin() + 32));

  CHECK(decode_req(plain.bytes).ret == 0);
  CHECK(decode_req(crc.bytes).ret == 0);
  CHECK(decode_req(crc.bytes, EMBER_NNC_DEC_REQUIRE_CRC).ret == 0);

  // A reply with a CRC is verified even when CRC was not negotiated.
  ember_nnc_hdr h = reply_hdr(plain.info);
  h.flags = EMBER_NNC_F_CRC;
  const Bytes r = encode_rsp(h, base_rsps());
  CHECK(decode_rsp(r, plain.info).ret == 0);
  Bytes bad = r;
  bad[kRAct + 12] ^= 1;
  CHECK(decode_rsp(bad, plain.info).ret == -EIO);
}

// ---- round trips --------------------------------------------------------

TEST_CASE("every transaction type round-trips", "[nnc][roundtrip]") {
  const Msg m = base_request(EMBER_NNC_F_CRC);
  const DecReq d = decode_req(m.bytes, EMBER_NNC_DEC_REQUIRE_CRC);
  REQUIRE(d.ret == 0);
  CHECK(d.why == EMBER_NNC_OK);
  CHECK(d.hdr.major == EMBER_NNC_MAJOR);
  CHECK(d.hdr.minor == EMBER_NNC_MINOR);
  CHECK(d.hdr.seq == 77);
  CHECK(d.hdr.handle == 9);
  CHECK(d.hdr.count == 5);
  CHECK(d.hdr.len == kReqLen);
  CHECK(d.hdr.status == 0);

  CHECK(d.reqs[0].type == EMBER_NNC_T_STATUS);
  CHECK(d.reqs[0].u.status.features == EMBER_NNC_FEAT_CRC);
  CHECK(d.reqs[0].u.status.major == EMBER_NNC_MAJOR);
  CHECK(d.reqs[0].u.status.minor == EMBER_NNC_MINOR);

  CHECK(d.reqs[1].type == EMBER_NNC_T_PASSTHROUGH);
  REQUIRE(d.reqs[1].u.pt.len == kPtPayload.size());
  CHECK(std::memcmp(d.reqs[1].u.pt.data, kPtPayload.data(), kPtPayload.size()) == 0);

  const ember_nnc_req &dma = d.reqs[2];
  CHECK(dma.type == EMBER_NNC_T_DMA_XFER);
  CHECK(dma.u.dma.tag == 0x77);
  CHECK(dma.u.dma.xfer_id == 3);
  CHECK(dma.u.dma.flags == 0);
  CHECK(dma.u.dma.offset == 0);
  CHECK(dma.u.dma.total == 0x400);
  REQUIRE(dma.u.dma.nsegs == 2);
  CHECK(dma.u.dma.segs == nullptr);
  for (std::uint32_t i = 0; i < 2; i++) {
    const ember_nnc_seg s = ember_nnc_dma_seg(&dma, i);
    CHECK(s.addr == base_segs()[i].addr);
    CHECK(s.len == base_segs()[i].len);
  }
  CHECK(ember_nnc_dma_seg(&dma, 2).len == 0);

  CHECK(d.reqs[3].type == EMBER_NNC_T_ACTIVATE);
  CHECK(d.reqs[3].u.act.ring_size == 16);
  CHECK(d.reqs[3].u.act.req_base == 0x40000);
  CHECK(d.reqs[3].u.act.rsp_base == 0x80000);

  CHECK(d.reqs[4].type == EMBER_NNC_T_DEACTIVATE);
  CHECK(d.reqs[4].u.deact.dbc_id == 2);

  // Reply, with CRC because the request had one.
  const Bytes r = encode_rsp(reply_hdr(m.info), base_rsps());
  const DecRsp a = decode_rsp(r, m.info);
  REQUIRE(a.ret == 0);
  CHECK(a.hdr.flags == (EMBER_NNC_F_CRC | EMBER_NNC_F_REPLY));
  CHECK(a.hdr.seq == 77);
  CHECK(a.hdr.handle == 9);
  CHECK(a.rsps[0].status == EMBER_NNC_ST_OK);
  CHECK(a.rsps[0].u.status.features == EMBER_NNC_FEAT_CRC);
  CHECK(a.rsps[0].u.status.major == EMBER_NNC_MAJOR);
  REQUIRE(a.rsps[1].u.pt.len == kPtReply.size());
  CHECK(std::memcmp(a.rsps[1].u.pt.data, kPtReply.data(), kPtReply.size()) == 0);
  CHECK(a.rsps[2].u.dma.xfer_id == 3);
  CHECK(a.rsps[2].u.dma.received == 0x400);
  CHECK(a.rsps[3].u.act.dbc_id == 1);
  CHECK(a.rsps[4].u.deact.dbc_id == 2);
}

TEST_CASE("TERMINATE and ABORT round-trip", "[nnc][roundtrip]") {
  auto t = encode_all({req_term(42)}, 42, EMBER_NNC_F_CRC);
  REQUIRE(t.size() == 1);
  const DecReq d = decode_req(t[0].bytes);
  REQUIRE(d.ret == 0);
  CHECK(d.reqs[0].type == EMBER_NNC_T_TERMINATE);
  CHECK(d.reqs[0].u.term.handle == 42);
  ember_nnc_rsp tr = rsp_of(EMBER_NNC_T_TERMINATE);
  tr.u.term.released = 3;
  const DecRsp a = decode_rsp(encode_rsp(reply_hdr(t[0].info), {tr}), t[0].info);
  REQUIRE(a.ret == 0);
  CHECK(a.rsps[0].u.term.released == 3);

  ember_nnc_req ab{};
  ab.type = EMBER_NNC_T_DMA_XFER;
  ab.u.dma.xfer_id = 5;
  ab.u.dma.flags = EMBER_NNC_DMA_ABORT;
  auto m = encode_all({ab}, 7, 0);
  REQUIRE(m.size() == 1);
  CHECK(m[0].bytes.size() == EMBER_NNC_HDR_LEN + EMBER_NNC_DMA_HDR_LEN);
  const DecReq da = decode_req(m[0].bytes);
  REQUIRE(da.ret == 0);
  CHECK(da.reqs[0].u.dma.flags == EMBER_NNC_DMA_ABORT);
  CHECK(da.reqs[0].u.dma.xfer_id == 5);
  CHECK(da.reqs[0].u.dma.nsegs == 0);
  ember_nnc_rsp ar = rsp_of(EMBER_NNC_T_DMA_XFER);
  ar.u.dma.xfer_id = 5;
  CHECK(decode_rsp(encode_rsp(reply_hdr(m[0].info), {ar}), m[0].info).ret == 0);
}

TEST_CASE("every byte of a message is written by the encoders", "[nnc][roundtrip]") {
  const auto a = encode_all(base_reqs(), 9, EMBER_NNC_F_CRC, EMBER_NNC_MSG_MAX, 1, 0x00);
  const auto b = encode_all(base_reqs(), 9, EMBER_NNC_F_CRC, EMBER_NNC_MSG_MAX, 1, 0xff);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a[0].bytes == b[0].bytes);

  Bytes r1(EMBER_NNC_MSG_MAX, 0x00);
  Bytes r2(EMBER_NNC_MSG_MAX, 0xff);
  const ember_nnc_hdr h = reply_hdr(a[0].info);
  const auto rsps = base_rsps();
  const int n1 = ember_nnc_encode_reply(r1.data(), n32(r1.size()), &h, rsps.data(), 5, nullptr);
  const int n2 = ember_nnc_encode_reply(r2.data(), n32(r2.size()), &h, rsps.data(), 5, nullptr);
  REQUIRE(n1 == static_cast<int>(kRspLen));
  REQUIRE(n2 == n1);
  CHECK(std::equal(r1.begin(), r1.begin() + n1, r2.begin()));
}

TEST_CASE("any minor of major 1 is accepted", "[nnc][version]") {
  Msg m = base_request(EMBER_NNC_F_CRC);
  put16(m.bytes, 6, 7);
  fix_crc(m.bytes);
  const DecReq d = decode_req(m.bytes);
  REQUIRE(d.ret == 0);
  CHECK(d.hdr.minor == 7);

  Bytes r = base_reply(m.info);
  put16(r, 6, 0x1234);
  put16(r, kRSt + 18, 0x1234);
  fix_crc(r);
  const DecRsp a = decode_rsp(r, m.info);
  REQUIRE(a.ret == 0);
  CHECK(a.hdr.minor == 0x1234);
  CHECK(a.rsps[0].u.status.minor == 0x1234);
}

// ---- packing and DMA continuation -----------------------------------------

TEST_CASE("transactions spill into further messages", "[nnc][pack]") {
  std::vector<ember_nnc_req> reqs;
  for (std::uint32_t i = 0; i < 40; i++) {
    reqs.push_back(req_deact(i));
  }
  const auto msgs = encode_all(reqs, 3, 0, EMBER_NNC_MSG_MAX, 10);
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].info.count == EMBER_NNC_MAX_TRANS);
  CHECK(msgs[0].info.first == 0);
  CHECK(msgs[0].info.seq == 10);
  CHECK(msgs[1].info.count == 8);
  CHECK(msgs[1].info.first == 32);
  CHECK(msgs[1].info.seq == 11);
  const DecReq d = decode_req(msgs[1].bytes);
  REQUIRE(d.ret == 0);
  CHECK(d.reqs[7].u.deact.dbc_id == 39);

  // Big passthroughs: one per message at most.
  std::vector<std::uint8_t> big(3000, 0x42);
  const auto pts = encode_all({req_pt(big.data(), 3000), req_pt(big.data(), 3000)}, 3, 0);
  CHECK(pts.size() == 2);
  // The largest passthrough fills a whole slot.
  std::vector<std::uint8_t> max(EMBER_NNC_PT_DATA_MAX, 1);
  const auto full = encode_all({req_pt(max.data(), EMBER_NNC_PT_DATA_MAX)}, 3, 0);
  REQUIRE(full.size() == 1);
  CHECK(full[0].bytes.size() == EMBER_NNC_MSG_MAX);
  CHECK(decode_req(full[0].bytes).ret == 0);
}

TEST_CASE("message limit is rounded down to a multiple of 8", "[nnc][pack]") {
  const auto msgs = encode_all({req_deact(1), req_deact(2), req_deact(3)}, 1, 0, 69);
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].bytes.size() == 64);
  CHECK(msgs[1].bytes.size() == 48);
}

namespace {

// Send a transfer through encoder, request decoder, reassembly and reply
// round trip; return the segments the "firmware" saw.
std::vector<ember_nnc_seg> transfer(const std::vector<ember_nnc_req> &reqs, std::uint32_t size,
                                    std::size_t *nmsgs) {
  const auto msgs = encode_all(reqs, 11, EMBER_NNC_F_CRC, size);
  *nmsgs = msgs.size();
  ember_nnc_reasm ra{};
  ember_nnc_reasm_reset(&ra);
  std::vector<ember_nnc_seg> seen;
  for (const Msg &m : msgs) {
    const DecReq d = decode_req(m.bytes, EMBER_NNC_DEC_REQUIRE_CRC);
    REQUIRE(d.ret == 0);
    ember_nnc_reason why{};
    REQUIRE(ember_nnc_reasm_begin(&ra, d.reqs.data(), d.hdr.count, &why) == 0);
    std::vector<ember_nnc_rsp> rsps;
    for (std::uint32_t i = 0; i < d.hdr.count; i++) {
      const ember_nnc_req &t = d.reqs[i];
      ember_nnc_rsp r = rsp_of(t.type);
      if (t.type == EMBER_NNC_T_DMA_XFER) {
        REQUIRE(ember_nnc_reasm_feed(&ra, &t, i, &why) == 0);
        for (std::uint32_t s = 0; s < t.u.dma.nsegs; s++) {
          seen.push_back(ember_nnc_dma_seg(&t, s));
        }
        CHECK(ra.active == ((t.u.dma.flags & EMBER_NNC_DMA_MORE) != 0));
        CHECK(m.info.more == ra.active);
        r.u.dma.xfer_id = t.u.dma.xfer_id;
        r.u.dma.received = ra.received;
        if (!ra.active) {
          CHECK(ra.received == ra.total);
        }
      } else if (t.type == EMBER_NNC_T_DEACTIVATE) {
        r.u.deact.dbc_id = t.u.deact.dbc_id;
      }
      rsps.push_back(r);
    }
    const DecRsp a = decode_rsp(encode_rsp(reply_hdr(m.info), rsps), m.info);
    REQUIRE(a.ret == 0);
  }
  return seen;
}

std::vector<ember_nnc_seg> random_segs(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<ember_nnc_seg> v(n);
  for (auto &s : v) {
    s.addr = (rng() & 0xffffffffff000ull) + (rng() % 4096);
    s.len = 1 + (rng() % 65536);
  }
  return v;
}

}  // namespace

TEST_CASE("DMA_XFER continuation: split and reassembly with many segments", "[nnc][dma]") {
  const auto segs = random_segs(5000, 7);
  std::size_t nmsgs = 0;
  const auto seen = transfer({req_dma(0xfeed, 99, segs)}, EMBER_NNC_MSG_MAX, &nmsgs);
  // 251 segments fit an otherwise empty message.
  CHECK(nmsgs == (5000 + 250) / 251);
  REQUIRE(seen.size() == segs.size());
  for (std::size_t i = 0; i < segs.size(); i++) {
    CHECK(seen[i].addr == segs[i].addr);
    CHECK(seen[i].len == segs[i].len);
  }

  // Small messages: three segments per message.
  const auto few = random_segs(10, 8);
  const auto seen2 = transfer({req_dma(1, 2, few)}, 128, &nmsgs);
  CHECK(nmsgs == 4);
  CHECK(seen2.size() == few.size());
}

TEST_CASE("DMA_XFER chunks are last in their message, later transactions follow", "[nnc][dma]") {
  const auto segs = random_segs(600, 9);
  const std::vector<ember_nnc_req> reqs = {req_pt(kPtPayload.data(), 16), req_dma(5, 6, segs),
                                           req_deact(3)};
  const auto msgs = encode_all(reqs, 4, 0);
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[0].info.first == 0);
  CHECK(msgs[0].info.count == 2);
  CHECK(msgs[0].info.more);
  CHECK(msgs[1].info.first == 1);
  CHECK(msgs[1].info.count == 1);
  CHECK(msgs[1].info.more);
  CHECK(msgs[2].info.first == 1);
  CHECK(msgs[2].info.count == 2);
  CHECK_FALSE(msgs[2].info.more);
  CHECK(msgs[2].info.trans[1].type == EMBER_NNC_T_DEACTIVATE);

  std::size_t nmsgs = 0;
  const auto seen = transfer(reqs, EMBER_NNC_MSG_MAX, &nmsgs);
  CHECK(nmsgs == 3);
  CHECK(seen.size() == 600);
  // received in the info accumulates per chunk.
  std::uint64_t sum = 0;
  for (const auto &s : segs) {
    sum += s.len;
  }
  CHECK(msgs[2].info.trans[0].received == sum);
  CHECK(msgs[0].info.trans[1].received < msgs[1].info.trans[0].received);
}

TEST_CASE("reassembly refuses broken continuations", "[nnc][dma]") {
  const auto segs = random_segs(8, 10);
  const auto msgs = encode_all({req_dma(1, 2, segs)}, 5, 0, 128);
  REQUIRE(msgs.size() == 3);
  const DecReq c0 = decode_req(msgs[0].bytes);
  const DecReq c1 = decode_req(msgs[1].bytes);
  const DecReq c2 = decode_req(msgs[2].bytes);
  REQUIRE(c0.ret == 0);
  REQUIRE(c1.ret == 0);
  REQUIRE(c2.ret == 0);
  ember_nnc_reason why{};

  SECTION("a message that does not start with the continuation") {
    ember_nnc_reasm r{};
    REQUIRE(ember_nnc_reasm_feed(&r, c0.reqs.data(), 0, &why) == 0);
    const ember_nnc_req other = req_deact(1);
    CHECK(ember_nnc_reasm_begin(&r, &other, 1, &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_DMA_CONT);
    CHECK_FALSE(r.active);
  }
  SECTION("a skipped chunk") {
    ember_nnc_reasm r{};
    REQUIRE(ember_nnc_reasm_feed(&r, c0.reqs.data(), 0, &why) == 0);
    CHECK(ember_nnc_reasm_feed(&r, c2.reqs.data(), 0, &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_DMA_CONT);
  }
  SECTION("a continuation that is not first in its message") {
    ember_nnc_reasm r{};
    REQUIRE(ember_nnc_reasm_feed(&r, c0.reqs.data(), 0, &why) == 0);
    CHECK(ember_nnc_reasm_feed(&r, c1.reqs.data(), 1, &why) == -EINVAL);
  }
  SECTION("a continuation without a first chunk") {
    ember_nnc_reasm r{};
    CHECK(ember_nnc_reasm_feed(&r, c1.reqs.data(), 0, &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_DMA_CONT);
  }
  SECTION("another tag") {
    ember_nnc_reasm r{};
    REQUIRE(ember_nnc_reasm_feed(&r, c0.reqs.data(), 0, &why) == 0);
    ember_nnc_req t = c1.reqs[0];
    t.u.dma.tag = 99;
    CHECK(ember_nnc_reasm_feed(&r, &t, 0, &why) == -EINVAL);
  }
  SECTION("ABORT drops the partial transfer") {
    ember_nnc_reasm r{};
    REQUIRE(ember_nnc_reasm_feed(&r, c0.reqs.data(), 0, &why) == 0);
    ember_nnc_req ab{};
    ab.type = EMBER_NNC_T_DMA_XFER;
    ab.u.dma.flags = EMBER_NNC_DMA_ABORT;
    ab.u.dma.xfer_id = 2;
    CHECK(ember_nnc_reasm_begin(&r, &ab, 1, &why) == 0);
    CHECK(ember_nnc_reasm_feed(&r, &ab, 0, &why) == 0);
    CHECK_FALSE(r.active);
    CHECK(ember_nnc_reasm_feed(&r, &ab, 0, &why) == -ENOENT);
    CHECK(why == EMBER_NNC_E_DMA_CONT);
  }
}

// ---- known-answer vectors ---------------------------------------------------

TEST_CASE("known-answer vectors of docs/nnc.md, byte for byte", "[nnc][kav]") {
  const auto kav = load_vectors();
  REQUIRE(kav.size() == 8);

  // KAV-1 / KAV-2: probe-time STATUS and its reply.
  const auto k1 = encode_all({req_status(EMBER_NNC_FEAT_CRC)}, 0, 0, EMBER_NNC_MSG_MAX, 1);
  REQUIRE(k1.size() == 1);
  CHECK(k1[0].bytes == kav.at("KAV-1"));
  ember_nnc_rsp st = rsp_of(EMBER_NNC_T_STATUS);
  st.u.status.features = EMBER_NNC_FEAT_CRC;
  ember_nnc_hdr h2 = reply_hdr(k1[0].info);
  h2.flags = EMBER_NNC_F_CRC;
  CHECK(encode_rsp(h2, {st}) == kav.at("KAV-2"));
  const DecRsp d2 = decode_rsp(kav.at("KAV-2"), k1[0].info);
  REQUIRE(d2.ret == 0);
  CHECK(d2.rsps[0].u.status.features == EMBER_NNC_FEAT_CRC);

  // KAV-3 / KAV-4.
  const std::array<std::uint8_t, 16> cmd = {'e', 'm', 'b', 'e', 'r', '-', 'n', 'n',
                                            'c', '-', 'p', 't', '-', '0', '1', 0};
  const auto k3 =
      encode_all({req_act(256, 0x10000000, 0x10004000), req_pt(cmd.data(), 16), req_deact(2)}, 7,
                 EMBER_NNC_F_CRC, EMBER_NNC_MSG_MAX, 0x1000);
  REQUIRE(k3.size() == 1);
  CHECK(k3[0].bytes == kav.at("KAV-3"));
  CHECK(decode_req(kav.at("KAV-3"), EMBER_NNC_DEC_REQUIRE_CRC).ret == 0);
  const std::array<std::uint8_t, 8> rd = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
  std::vector<ember_nnc_rsp> r4 = {rsp_of(EMBER_NNC_T_ACTIVATE),
                                   rsp_of(EMBER_NNC_T_PASSTHROUGH, EMBER_NNC_ST_BUSY),
                                   rsp_of(EMBER_NNC_T_DEACTIVATE, EMBER_NNC_ST_NOT_RUN)};
  r4[0].u.act.dbc_id = 1;
  r4[1].u.pt.data = rd.data();
  r4[1].u.pt.len = 8;
  r4[2].u.deact.dbc_id = 2;
  CHECK(encode_rsp(reply_hdr(k3[0].info), r4) == kav.at("KAV-4"));
  const DecRsp d4 = decode_rsp(kav.at("KAV-4"), k3[0].info);
  REQUIRE(d4.ret == 0);
  CHECK(d4.rsps[1].status == EMBER_NNC_ST_BUSY);
  CHECK(ember_nnc_status_to_errno(d4.rsps[1].status) == -EBUSY);

  // KAV-5: continuation with a 128-byte message limit.
  const std::vector<ember_nnc_seg> segs = {{0x100000, 0x1000},
                                           {0x200000, 0x1000},
                                           {0x300800, 0x800},
                                           {0x400000, 0x2000},
                                           {0x500000, 0x10}};
  const auto k5 = encode_all({req_dma(0xabcd, 5, segs)}, 7, 0, 128, 0x20);
  REQUIRE(k5.size() == 2);
  CHECK(k5[0].bytes == kav.at("KAV-5a"));
  CHECK(k5[1].bytes == kav.at("KAV-5b"));
  const DecReq d5a = decode_req(kav.at("KAV-5a"));
  const DecReq d5b = decode_req(kav.at("KAV-5b"));
  REQUIRE(d5a.ret == 0);
  REQUIRE(d5b.ret == 0);
  CHECK(d5a.reqs[0].u.dma.flags == EMBER_NNC_DMA_MORE);
  CHECK(d5b.reqs[0].u.dma.offset == 0x2800);
  CHECK(d5b.reqs[0].u.dma.total == 0x4810);

  // KAV-6: TERMINATE.
  const auto k6 = encode_all({req_term(7)}, 7, EMBER_NNC_F_CRC, EMBER_NNC_MSG_MAX, 0x30);
  REQUIRE(k6.size() == 1);
  CHECK(k6[0].bytes == kav.at("KAV-6"));
  CHECK(decode_req(kav.at("KAV-6")).ret == 0);

  // KAV-7: message-level rejection.
  ember_nnc_hdr h7{};
  h7.seq = 0x31;
  h7.handle = 7;
  h7.status = EMBER_NNC_ST_BADCRC;
  Bytes k7(EMBER_NNC_MSG_MAX);
  const int n7 = ember_nnc_encode_reply(k7.data(), n32(k7.size()), &h7, nullptr, 0, nullptr);
  REQUIRE(n7 == EMBER_NNC_HDR_LEN);
  k7.resize(EMBER_NNC_HDR_LEN);
  CHECK(k7 == kav.at("KAV-7"));
  ember_nnc_msg_info i7{};
  i7.seq = 0x31;
  i7.handle = 7;
  i7.count = 1;
  i7.trans[0].type = EMBER_NNC_T_TERMINATE;
  const DecRsp d7 = decode_rsp(kav.at("KAV-7"), i7);
  REQUIRE(d7.ret == 0);
  CHECK(d7.hdr.status == EMBER_NNC_ST_BADCRC);
  CHECK(d7.hdr.count == 0);
  CHECK(ember_nnc_status_to_errno(d7.hdr.status) == -EIO);
}

// ---- validation rules: requests -------------------------------------------

namespace {

struct Case {
  const char *rule;
  std::function<void(Bytes &)> mutate;
  int err;
  ember_nnc_reason why;
  std::uint32_t dflags = 0;
  std::size_t size = 0;  // bytes passed to the decoder, 0: the message
};

}  // namespace

TEST_CASE("request decoder: each rule, broken alone", "[nnc][rules]") {
  const Msg base = base_request(0);
  REQUIRE(decode_req(base.bytes).ret == 0);
  const std::vector<Case> cases = {
      {"H1 short", [](Bytes &) {}, -EINVAL, EMBER_NNC_E_SHORT, 0, 31},
      {"H2 magic", [](Bytes &m) { m[0] ^= 1; }, -EINVAL, EMBER_NNC_E_MAGIC},
      {"H3 major", [](Bytes &m) { put16(m, 4, 2); }, -EOPNOTSUPP, EMBER_NNC_E_MAJOR},
      {"H4 len below header", [](Bytes &m) { put32(m, 12, 24); }, -EINVAL, EMBER_NNC_E_LEN},
      {"H4 len above a slot",
       [](Bytes &m) {
         m.resize(EMBER_NNC_MSG_MAX + 8);
         put32(m, 12, EMBER_NNC_MSG_MAX + 8);
       },
       -EINVAL, EMBER_NNC_E_LEN},
      {"H4 len beyond buffer", [](Bytes &) {}, -EINVAL, EMBER_NNC_E_LEN, 0, kReqLen - 8},
      {"H5 align",
       [](Bytes &m) {
         grow(m, 8);
         put32(m, 12, kReqLen + 4);
       },
       -EINVAL, EMBER_NNC_E_ALIGN},
      {"H6 flags", [](Bytes &m) { put16(m, 24, 4); }, -EINVAL, EMBER_NNC_E_FLAGS},
      {"H7 direction", [](Bytes &m) { put16(m, 24, EMBER_NNC_F_REPLY); }, -EINVAL, EMBER_NNC_E_DIR},
      {"H8 crc",
       [](Bytes &m) {
         put16(m, 24, EMBER_NNC_F_CRC);
         fix_crc(m);
         m[kAct + 12] ^= 0x10;
       },
       -EIO, EMBER_NNC_E_CRC},
      {"H9 crc field", [](Bytes &m) { put32(m, 28, 1); }, -EINVAL, EMBER_NNC_E_CRC_FIELD},
      {"H10 crc missing", [](Bytes &) {}, -EIO, EMBER_NNC_E_CRC_MISSING, EMBER_NNC_DEC_REQUIRE_CRC},
      {"H13 status", [](Bytes &m) { put16(m, 26, 1); }, -EINVAL, EMBER_NNC_E_MSG_STATUS},
      {"H15 count 0", [](Bytes &m) { put32(m, 16, 0); }, -EINVAL, EMBER_NNC_E_COUNT},
      {"H15 count 33", [](Bytes &m) { put32(m, 16, 33); }, -EINVAL, EMBER_NNC_E_COUNT},
      {"T1 past the end", [](Bytes &m) { put32(m, 16, 6); }, -EINVAL, EMBER_NNC_E_TRANS_LEN},
      {"T1 len < 16", [](Bytes &m) { put32(m, kDeact + 4, 8); }, -EINVAL, EMBER_NNC_E_TRANS_LEN},
      {"T1 len beyond message", [](Bytes &m) { put32(m, kDeact + 4, 24); }, -EINVAL,
       EMBER_NNC_E_TRANS_LEN},
      {"T2 align", [](Bytes &m) { put32(m, kPt + 4, 28); }, -EINVAL, EMBER_NNC_E_TRANS_ALIGN},
      {"T3 type 0", [](Bytes &m) { put32(m, kDeact, 0); }, -EINVAL, EMBER_NNC_E_TYPE},
      {"T3 type 7", [](Bytes &m) { put32(m, kDeact, 7); }, -EINVAL, EMBER_NNC_E_TYPE},
      {"T5 status in request", [](Bytes &m) { put32(m, kDeact + 8, 1); }, -EINVAL,
       EMBER_NNC_E_RESERVED},
      {"T8 STATUS size", [](Bytes &m) { put32(m, kSt + 4, 32); }, -EINVAL, EMBER_NNC_E_TRANS_SIZE},
      {"T8 DMA_XFER size", [](Bytes &m) { put32(m, kDma + 4, 40); }, -EINVAL,
       EMBER_NNC_E_TRANS_SIZE},
      {"T8 ACTIVATE size", [](Bytes &m) { put32(m, kAct + 4, 48); }, -EINVAL,
       EMBER_NNC_E_TRANS_SIZE},
      {"T8 DEACTIVATE size",
       [](Bytes &m) {
         grow(m, 8);
         put32(m, kDeact + 4, 24);
       },
       -EINVAL, EMBER_NNC_E_TRANS_SIZE},
      {"T9 trailing", [](Bytes &m) { grow(m, 8); }, -EINVAL, EMBER_NNC_E_TRAILING},
      {"S1 version", [](Bytes &m) { put16(m, kSt + 16, 2); }, -EINVAL, EMBER_NNC_E_VERSION},
      {"S3 reserved", [](Bytes &m) { put32(m, kSt + 20, 1); }, -EINVAL, EMBER_NNC_E_RESERVED},
      {"P1 reserved", [](Bytes &m) { put32(m, kPt + 12, 1); }, -EINVAL, EMBER_NNC_E_RESERVED},
      {"D1 reserved", [](Bytes &m) { put32(m, kDma + 28, 1); }, -EINVAL, EMBER_NNC_E_RESERVED},
      {"D2 unknown flag", [](Bytes &m) { put32(m, kDma + 12, 4); }, -EINVAL, EMBER_NNC_E_DMA_FLAGS},
      {"D2 MORE and ABORT", [](Bytes &m) { put32(m, kDma + 12, 3); }, -EINVAL,
       EMBER_NNC_E_DMA_FLAGS},
      {"D3 xfer_id 0", [](Bytes &m) { put32(m, kDma + 20, 0); }, -EINVAL, EMBER_NNC_E_DMA_ID},
      {"D4 nsegs vs len", [](Bytes &m) { put32(m, kDma + 24, 3); }, -EINVAL, EMBER_NNC_E_DMA_SEGS},
      {"D4 no segments",
       [](Bytes &m) {
         put32(m, kDma + 4, 48);
         put32(m, kDma + 24, 0);
       },
       -EINVAL, EMBER_NNC_E_DMA_SEGS},
      {"D4 ABORT with segments", [](Bytes &m) { put32(m, kDma + 12, EMBER_NNC_DMA_ABORT); },
       -EINVAL, EMBER_NNC_E_DMA_SEGS},
      {"D5 ABORT with tag",
       [](Bytes &m) {
         put32(m, kDma + 4, 48);
         put32(m, kDma + 12, EMBER_NNC_DMA_ABORT);
         put32(m, kDma + 24, 0);
         put64(m, kDma + 40, 0);
       },
       -EINVAL, EMBER_NNC_E_RESERVED},
      {"D6 empty segment", [](Bytes &m) { put64(m, kDma + 48 + 8, 0); }, -EINVAL,
       EMBER_NNC_E_DMA_SEG},
      {"D6 segment wraps", [](Bytes &m) { put64(m, kDma + 48, kAllOnes64 - 0x10); }, -EINVAL,
       EMBER_NNC_E_DMA_SEG},
      {"D7 sum wraps",
       [](Bytes &m) {
         put64(m, kDma + 48, 0);
         put64(m, kDma + 56, kAllOnes64);
         put64(m, kDma + 64, 0);
         put64(m, kDma + 72, 1);
       },
       -EINVAL, EMBER_NNC_E_DMA_RANGE},
      {"D7 beyond total", [](Bytes &m) { put64(m, kDma + 40, 0x3ff); }, -EINVAL,
       EMBER_NNC_E_DMA_RANGE},
      {"D7 offset beyond total", [](Bytes &m) { put64(m, kDma + 32, 0x401); }, -EINVAL,
       EMBER_NNC_E_DMA_RANGE},
      {"D7 last chunk short of total", [](Bytes &m) { put64(m, kDma + 40, 0x401); }, -EINVAL,
       EMBER_NNC_E_DMA_RANGE},
      {"D8 MORE not last", [](Bytes &m) { put32(m, kDma + 12, EMBER_NNC_DMA_MORE); }, -EINVAL,
       EMBER_NNC_E_DMA_MORE_LAST},
      {"A1 ring size 3", [](Bytes &m) { put32(m, kAct + 12, 3); }, -EINVAL, EMBER_NNC_E_RING},
      {"A1 ring size 1", [](Bytes &m) { put32(m, kAct + 12, 1); }, -EINVAL, EMBER_NNC_E_RING},
      {"A1 ring size 2^17", [](Bytes &m) { put32(m, kAct + 12, 1u << 17); }, -EINVAL,
       EMBER_NNC_E_RING},
      {"A1 request ring misaligned", [](Bytes &m) { put64(m, kAct + 16, 0x40020); }, -EINVAL,
       EMBER_NNC_E_RING},
      {"A1 response ring misaligned", [](Bytes &m) { put64(m, kAct + 24, 0x80010); }, -EINVAL,
       EMBER_NNC_E_RING},
      {"A1 response ring 0", [](Bytes &m) { put64(m, kAct + 24, 0); }, -EINVAL, EMBER_NNC_E_RING},
      {"A1 rings overlap", [](Bytes &m) { put64(m, kAct + 24, 0x40000 + 16 * 64 - 32); }, -EINVAL,
       EMBER_NNC_E_RING},
      {"A1 ring wraps", [](Bytes &m) { put64(m, kAct + 16, kAllOnes64 - 63); }, -EINVAL,
       EMBER_NNC_E_RING},
  };
  for (const Case &c : cases) {
    DYNAMIC_SECTION(c.rule) {
      Bytes m = base.bytes;
      c.mutate(m);
      const DecReq d = decode_req(m, c.dflags, c.size);
      CHECK(d.ret == c.err);
      CHECK(d.why == c.why);
    }
  }
}

TEST_CASE("request decoder: TERMINATE rules", "[nnc][rules]") {
  const auto t = encode_all({req_term(7)}, 7, EMBER_NNC_F_CRC);
  REQUIRE(t.size() == 1);
  const std::vector<Case> cases = {
      {"X1 not alone", [](Bytes &m) { put32(m, 16, 2); }, -EINVAL, EMBER_NNC_E_TERMINATE},
      {"X1 another handle", [](Bytes &m) { put32(m, 32 + 12, 8); }, -EINVAL, EMBER_NNC_E_TERMINATE},
      {"X1 handle 0",
       [](Bytes &m) {
         put32(m, 20, 0);
         put32(m, 32 + 12, 0);
       },
       -EINVAL, EMBER_NNC_E_TERMINATE},
      {"T8 size",
       [](Bytes &m) {
         grow(m, 8);
         put32(m, 32 + 4, 24);
       },
       -EINVAL, EMBER_NNC_E_TRANS_SIZE},
  };
  for (const Case &c : cases) {
    DYNAMIC_SECTION(c.rule) {
      Bytes m = t[0].bytes;
      c.mutate(m);
      fix_crc(m);
      const DecReq d = decode_req(m);
      CHECK(d.ret == c.err);
      CHECK(d.why == c.why);
    }
  }
}

TEST_CASE("request decoder: caller errors", "[nnc][rules]") {
  const Msg base = base_request(0);
  ember_nnc_hdr h{};
  std::array<ember_nnc_req, 4> small{};
  ember_nnc_reason why{};
  CHECK(ember_nnc_decode_request(base.bytes.data(), n32(base.bytes.size()), 0, &h, small.data(),
                                 n32(small.size()), &why) == -EINVAL);
  CHECK(why == EMBER_NNC_E_NOSPACE);
  CHECK(ember_nnc_decode_request(nullptr, 64, 0, &h, small.data(), 4, &why) == -EINVAL);
  CHECK(why == EMBER_NNC_E_ARG);
}

// ---- validation rules: replies ----------------------------------------------

TEST_CASE("reply decoder: each rule, broken alone", "[nnc][rules]") {
  const Msg req = base_request(0);
  const Bytes base = base_reply(req.info);
  REQUIRE(decode_rsp(base, req.info).ret == 0);

  const std::vector<Case> cases = {
      {"H1 short", [](Bytes &) {}, -EIO, EMBER_NNC_E_SHORT, 0, 31},
      {"H2 magic", [](Bytes &m) { m[3] ^= 0x80; }, -EIO, EMBER_NNC_E_MAGIC},
      {"H3 major", [](Bytes &m) { put16(m, 4, 0); }, -EOPNOTSUPP, EMBER_NNC_E_MAJOR},
      {"H4 len", [](Bytes &m) { put32(m, 12, 16); }, -EIO, EMBER_NNC_E_LEN},
      {"H4 len beyond buffer", [](Bytes &) {}, -EIO, EMBER_NNC_E_LEN, 0, kRspLen - 8},
      {"H5 align",
       [](Bytes &m) {
         grow(m, 8);
         put32(m, 12, kRspLen + 1);
       },
       -EIO, EMBER_NNC_E_ALIGN},
      {"H6 flags", [](Bytes &m) { put16(m, 24, EMBER_NNC_F_REPLY | 0x8000); }, -EIO,
       EMBER_NNC_E_FLAGS},
      {"H7 direction", [](Bytes &m) { put16(m, 24, 0); }, -EIO, EMBER_NNC_E_DIR},
      {"H8 crc",
       [](Bytes &m) {
         put16(m, 24, EMBER_NNC_F_REPLY | EMBER_NNC_F_CRC);
         fix_crc(m);
         m[kRPt + 16] ^= 1;
       },
       -EIO, EMBER_NNC_E_CRC},
      {"H9 crc field", [](Bytes &m) { put32(m, 28, 0xdeadbeef); }, -EIO, EMBER_NNC_E_CRC_FIELD},
      {"H10 crc missing", [](Bytes &) {}, -EIO, EMBER_NNC_E_CRC_MISSING, EMBER_NNC_DEC_REQUIRE_CRC},
      {"H11 seq", [](Bytes &m) { put32(m, 8, 78); }, -EIO, EMBER_NNC_E_SEQ},
      {"H12 handle", [](Bytes &m) { put32(m, 20, 10); }, -EIO, EMBER_NNC_E_HANDLE},
      {"H13 status NOT_RUN", [](Bytes &m) { put16(m, 26, EMBER_NNC_ST_NOT_RUN); }, -EIO,
       EMBER_NNC_E_MSG_STATUS},
      {"H13 status unknown", [](Bytes &m) { put16(m, 26, EMBER_NNC_ST_COUNT); }, -EIO,
       EMBER_NNC_E_MSG_STATUS},
      {"H14 rejected with transactions", [](Bytes &m) { put16(m, 26, EMBER_NNC_ST_INVAL); }, -EIO,
       EMBER_NNC_E_COUNT},
      {"H15 count 0", [](Bytes &m) { put32(m, 16, 0); }, -EIO, EMBER_NNC_E_COUNT},
      {"H15 count 33", [](Bytes &m) { put32(m, 16, 33); }, -EIO, EMBER_NNC_E_COUNT},
      {"H16 count mismatch", [](Bytes &m) { put32(m, 16, 4); }, -EIO, EMBER_NNC_E_COUNT_MISMATCH},
      {"T1 len < 16", [](Bytes &m) { put32(m, kRDeact + 4, 8); }, -EIO, EMBER_NNC_E_TRANS_LEN},
      {"T1 len beyond message", [](Bytes &m) { put32(m, kRDeact + 4, 32); }, -EIO,
       EMBER_NNC_E_TRANS_LEN},
      {"T2 align", [](Bytes &m) { put32(m, kRPt + 4, 20); }, -EIO, EMBER_NNC_E_TRANS_ALIGN},
      {"T3 type", [](Bytes &m) { put32(m, kRDeact, 9); }, -EIO, EMBER_NNC_E_TYPE},
      {"T4 type mismatch", [](Bytes &m) { put32(m, kRDeact, EMBER_NNC_T_TERMINATE); }, -EIO,
       EMBER_NNC_E_TYPE_MISMATCH},
      {"T6 status", [](Bytes &m) { put32(m, kRAct + 8, EMBER_NNC_ST_COUNT); }, -EIO,
       EMBER_NNC_E_STATUS},
      {"T7 NOT_RUN first", [](Bytes &m) { put32(m, kRSt + 8, EMBER_NNC_ST_NOT_RUN); }, -EIO,
       EMBER_NNC_E_STATUS_ORDER},
      {"T7 OK after a failure", [](Bytes &m) { put32(m, kRPt + 8, EMBER_NNC_ST_BUSY); }, -EIO,
       EMBER_NNC_E_STATUS_ORDER},
      {"T8 DEACTIVATE size",
       [](Bytes &m) {
         grow(m, 8);
         put32(m, kRDeact + 4, 24);
       },
       -EIO, EMBER_NNC_E_TRANS_SIZE},
      {"T8 ACTIVATE size", [](Bytes &m) { put32(m, kRAct + 4, 32); }, -EIO, EMBER_NNC_E_TRANS_SIZE},
      {"T9 trailing", [](Bytes &m) { grow(m, 8); }, -EIO, EMBER_NNC_E_TRAILING},
      {"T9 rejected reply longer than a header",
       [](Bytes &m) {
         put16(m, 26, EMBER_NNC_ST_INVAL);
         put32(m, 16, 0);
       },
       -EIO, EMBER_NNC_E_TRAILING},
      {"S1 version", [](Bytes &m) { put16(m, kRSt + 16, 2); }, -EIO, EMBER_NNC_E_VERSION},
      {"S2 features", [](Bytes &m) { put32(m, kRSt + 12, 2); }, -EIO, EMBER_NNC_E_FEATURES},
      {"S3 reserved", [](Bytes &m) { put32(m, kRSt + 20, 2); }, -EIO, EMBER_NNC_E_RESERVED},
      {"P1 reserved", [](Bytes &m) { put32(m, kRPt + 12, 2); }, -EIO, EMBER_NNC_E_RESERVED},
      {"D3 xfer_id", [](Bytes &m) { put32(m, kRDma + 12, 4); }, -EIO, EMBER_NNC_E_DMA_ID},
      {"D9 received with OK", [](Bytes &m) { put64(m, kRDma + 16, 0x3ff); }, -EIO,
       EMBER_NNC_E_DMA_RECEIVED},
      {"D9 received beyond chunk on failure",
       [](Bytes &m) {
         put32(m, kRDma + 8, EMBER_NNC_ST_NOMEM);
         put32(m, kRAct + 8, EMBER_NNC_ST_NOT_RUN);
         put32(m, kRDeact + 8, EMBER_NNC_ST_NOT_RUN);
         put64(m, kRDma + 16, 0x401);
       },
       -EIO, EMBER_NNC_E_DMA_RECEIVED},
      {"E1 DBC id", [](Bytes &m) { put32(m, kRDeact + 12, 3); }, -EIO, EMBER_NNC_E_DBC_ID},
  };
  for (const Case &c : cases) {
    DYNAMIC_SECTION(c.rule) {
      Bytes m = base;
      c.mutate(m);
      const DecRsp d = decode_rsp(m, req.info, c.dflags, c.size);
      CHECK(d.ret == c.err);
      CHECK(d.why == c.why);
    }
  }

  SECTION("H10 the request had a CRC") {
    ember_nnc_msg_info info = req.info;
    info.flags = EMBER_NNC_F_CRC;
    const DecRsp d = decode_rsp(base, info);
    CHECK(d.ret == -EIO);
    CHECK(d.why == EMBER_NNC_E_CRC_MISSING);
  }
  SECTION("P2 passthrough reply longer than its request") {
    ember_nnc_msg_info info = req.info;
    info.trans[1].len = 16;
    const DecRsp d = decode_rsp(base, info);
    CHECK(d.ret == -EIO);
    CHECK(d.why == EMBER_NNC_E_PT_LEN);
  }
  SECTION("D9 fewer bytes on failure is fine") {
    Bytes m = base;
    put32(m, kRDma + 8, EMBER_NNC_ST_NOMEM);
    put32(m, kRAct + 8, EMBER_NNC_ST_NOT_RUN);
    put32(m, kRDeact + 8, EMBER_NNC_ST_NOT_RUN);
    put64(m, kRDma + 16, 0x100);
    const DecRsp d = decode_rsp(m, req.info);
    CHECK(d.ret == 0);
    CHECK(d.rsps[2].status == EMBER_NNC_ST_NOMEM);
  }
  SECTION("caller errors") {
    ember_nnc_hdr h{};
    std::array<ember_nnc_rsp, 2> small{};
    ember_nnc_reason why{};
    CHECK(ember_nnc_decode_reply(base.data(), n32(base.size()), &req.info, 0, &h, small.data(),
                                 n32(small.size()), &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_NOSPACE);
    CHECK(ember_nnc_decode_reply(base.data(), n32(base.size()), nullptr, 0, &h, small.data(),
                                 n32(small.size()), &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_ARG);
  }
}

// ---- encoder refusals -----------------------------------------------------

TEST_CASE("request encoder refuses what the decoder would refuse", "[nnc][rules]") {
  std::vector<std::uint8_t> data(EMBER_NNC_PT_DATA_MAX + 8, 0);
  const std::vector<ember_nnc_seg> ok = {{0x1000, 0x10}};
  const std::vector<ember_nnc_seg> empty = {{0x1000, 0}};
  const std::vector<ember_nnc_seg> wraps = {{kAllOnes64 - 4, 0x10}};
  const std::vector<ember_nnc_seg> sum_wraps = {{0, kAllOnes64}, {0, 1}};

  struct EncCase {
    const char *rule;
    std::vector<ember_nnc_req> reqs;
    std::uint32_t handle;
    std::uint32_t flags;
    ember_nnc_reason why;
  };
  ember_nnc_req more = req_dma(1, 1, ok);
  more.u.dma.flags = EMBER_NNC_DMA_MORE;
  ember_nnc_req abort_segs = req_dma(0, 1, ok);
  abort_segs.u.dma.flags = EMBER_NNC_DMA_ABORT;
  ember_nnc_req abort_tag = req_dma(1, 1, {});
  abort_tag.u.dma.flags = EMBER_NNC_DMA_ABORT;
  abort_tag.u.dma.nsegs = 0;
  ember_nnc_req null_segs = req_dma(1, 1, ok);
  null_segs.u.dma.segs = nullptr;
  ember_nnc_req bad_type{};
  bad_type.type = 7;

  const std::vector<EncCase> cases = {
      {"no transactions", {}, 1, 0, EMBER_NNC_E_COUNT},
      {"flags", {req_deact(1)}, 1, EMBER_NNC_F_REPLY, EMBER_NNC_E_FLAGS},
      {"type", {bad_type}, 1, 0, EMBER_NNC_E_TYPE},
      {"passthrough not a multiple of 8", {req_pt(data.data(), 12)}, 1, 0, EMBER_NNC_E_PT_LEN},
      {"passthrough too long",
       {req_pt(data.data(), EMBER_NNC_PT_DATA_MAX + 8)},
       1,
       0,
       EMBER_NNC_E_PT_LEN},
      {"passthrough without data", {req_pt(nullptr, 8)}, 1, 0, EMBER_NNC_E_ARG},
      {"DMA flags from the caller", {more}, 1, 0, EMBER_NNC_E_DMA_FLAGS},
      {"DMA xfer_id 0", {req_dma(1, 0, ok)}, 1, 0, EMBER_NNC_E_DMA_ID},
      {"DMA no segments", {req_dma(1, 1, {})}, 1, 0, EMBER_NNC_E_DMA_SEGS},
      {"DMA ABORT with segments", {abort_segs}, 1, 0, EMBER_NNC_E_DMA_SEGS},
      {"DMA ABORT with tag", {abort_tag}, 1, 0, EMBER_NNC_E_RESERVED},
      {"DMA segments NULL", {null_segs}, 1, 0, EMBER_NNC_E_ARG},
      {"DMA empty segment", {req_dma(1, 1, empty)}, 1, 0, EMBER_NNC_E_DMA_SEG},
      {"DMA segment wraps", {req_dma(1, 1, wraps)}, 1, 0, EMBER_NNC_E_DMA_SEG},
      {"DMA total wraps", {req_dma(1, 1, sum_wraps)}, 1, 0, EMBER_NNC_E_DMA_RANGE},
      {"ACTIVATE ring", {req_act(100, 0x1000, 0x8000)}, 1, 0, EMBER_NNC_E_RING},
      {"TERMINATE not alone", {req_term(1), req_deact(1)}, 1, 0, EMBER_NNC_E_TERMINATE},
      {"TERMINATE another handle", {req_term(2)}, 1, 0, EMBER_NNC_E_TERMINATE},
      {"TERMINATE handle 0", {req_term(0)}, 0, 0, EMBER_NNC_E_TERMINATE},
  };
  for (const EncCase &c : cases) {
    DYNAMIC_SECTION(c.rule) {
      ember_nnc_enc enc{};
      ember_nnc_reason why{};
      CHECK(ember_nnc_enc_init(&enc, c.reqs.data(), n32(c.reqs.size()), c.handle, c.flags, &why) ==
            -EINVAL);
      CHECK(why == c.why);
    }
  }

  SECTION("buffer too small for the next transaction") {
    const std::vector<ember_nnc_req> reqs = {req_status(0)};
    ember_nnc_enc enc{};
    ember_nnc_reason why{};
    REQUIRE(ember_nnc_enc_init(&enc, reqs.data(), 1, 1, 0, &why) == 0);
    Bytes b(64);
    CHECK(ember_nnc_enc_next(&enc, b.data(), 48, 1, nullptr, &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_NOSPACE);
    CHECK(ember_nnc_enc_next(&enc, b.data(), 16, 1, nullptr, &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_NOSPACE);
    CHECK(ember_nnc_enc_next(&enc, b.data(), 56, 1, nullptr, &why) == 56);
    CHECK(ember_nnc_enc_next(&enc, b.data(), 56, 2, nullptr, &why) == 0);
    CHECK(ember_nnc_enc_next(nullptr, b.data(), 56, 2, nullptr, &why) == -EINVAL);
    CHECK(why == EMBER_NNC_E_ARG);
  }
}

TEST_CASE("reply encoder refuses invalid replies", "[nnc][rules]") {
  const std::array<std::uint8_t, 16> d{};
  ember_nnc_hdr ok{};
  struct RCase {
    const char *rule;
    ember_nnc_hdr hdr;
    std::vector<ember_nnc_rsp> rsps;
    std::uint32_t size;
    ember_nnc_reason why;
  };
  ember_nnc_hdr flags = ok;
  flags.flags = 0x10;
  ember_nnc_hdr not_run = ok;
  not_run.status = EMBER_NNC_ST_NOT_RUN;
  ember_nnc_hdr unknown = ok;
  unknown.status = EMBER_NNC_ST_COUNT;
  ember_nnc_hdr rejected = ok;
  rejected.status = EMBER_NNC_ST_INVAL;
  ember_nnc_rsp feat = rsp_of(EMBER_NNC_T_STATUS);
  feat.u.status.features = 0x80;
  ember_nnc_rsp pt12 = rsp_of(EMBER_NNC_T_PASSTHROUGH);
  pt12.u.pt.data = d.data();
  pt12.u.pt.len = 12;
  ember_nnc_rsp pt16 = pt12;
  pt16.u.pt.len = 16;
  const std::vector<ember_nnc_rsp> many(EMBER_NNC_MAX_TRANS + 1, rsp_of(EMBER_NNC_T_ACTIVATE));

  const std::vector<RCase> cases = {
      {"flags", flags, {rsp_of(EMBER_NNC_T_ACTIVATE)}, 4096, EMBER_NNC_E_FLAGS},
      {"message status NOT_RUN", not_run, {}, 4096, EMBER_NNC_E_MSG_STATUS},
      {"message status unknown", unknown, {}, 4096, EMBER_NNC_E_MSG_STATUS},
      {"rejected with transactions",
       rejected,
       {rsp_of(EMBER_NNC_T_ACTIVATE)},
       4096,
       EMBER_NNC_E_COUNT},
      {"no transactions", ok, {}, 4096, EMBER_NNC_E_COUNT},
      {"too many transactions", ok, many, 4096, EMBER_NNC_E_COUNT},
      {"type", ok, {rsp_of(0)}, 4096, EMBER_NNC_E_TYPE},
      {"status", ok, {rsp_of(EMBER_NNC_T_ACTIVATE, EMBER_NNC_ST_COUNT)}, 4096, EMBER_NNC_E_STATUS},
      {"status order",
       ok,
       {rsp_of(EMBER_NNC_T_ACTIVATE, EMBER_NNC_ST_IO), rsp_of(EMBER_NNC_T_ACTIVATE)},
       4096,
       EMBER_NNC_E_STATUS_ORDER},
      {"features", ok, {feat}, 4096, EMBER_NNC_E_FEATURES},
      {"passthrough length", ok, {pt12}, 4096, EMBER_NNC_E_PT_LEN},
      {"does not fit", ok, {pt16}, 40, EMBER_NNC_E_NOSPACE},
  };
  for (const RCase &c : cases) {
    DYNAMIC_SECTION(c.rule) {
      Bytes b(EMBER_NNC_MSG_MAX);
      ember_nnc_reason why{};
      CHECK(ember_nnc_encode_reply(b.data(), c.size, &c.hdr, c.rsps.data(), n32(c.rsps.size()),
                                   &why) == -EINVAL);
      CHECK(why == c.why);
    }
  }
}

// ---- status, errno, reasons -----------------------------------------------

TEST_CASE("status codes map to the errno vocabulary of docs/uapi.md", "[nnc][errno]") {
  const std::vector<std::pair<std::uint32_t, int>> map = {
      {EMBER_NNC_ST_OK, 0},          {EMBER_NNC_ST_INVAL, -EINVAL},
      {EMBER_NNC_ST_NOENT, -ENOENT}, {EMBER_NNC_ST_PERM, -EPERM},
      {EMBER_NNC_ST_BUSY, -EBUSY},   {EMBER_NNC_ST_NOSPC, -ENOSPC},
      {EMBER_NNC_ST_NOMEM, -ENOMEM}, {EMBER_NNC_ST_UNSUPPORTED, -EOPNOTSUPP},
      {EMBER_NNC_ST_IO, -EIO},       {EMBER_NNC_ST_BADCRC, -EIO},
      {EMBER_NNC_ST_NOT_RUN, -EIO},  {1000, -EIO},
  };
  for (const auto &[st, err] : map) {
    CHECK(ember_nnc_status_to_errno(st) == err);
    if (st <= EMBER_NNC_ST_UNSUPPORTED || st == EMBER_NNC_ST_IO) {
      CHECK(ember_nnc_errno_to_status(err) == st);
    }
  }
  CHECK(ember_nnc_errno_to_status(-ETIMEDOUT) == EMBER_NNC_ST_IO);
}

TEST_CASE("uAPI status values equal the wire status codes", "[nnc][uapi]") {
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_OK == EMBER_NNC_ST_OK);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_INVAL == EMBER_NNC_ST_INVAL);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_NOENT == EMBER_NNC_ST_NOENT);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_PERM == EMBER_NNC_ST_PERM);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_BUSY == EMBER_NNC_ST_BUSY);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_NOSPC == EMBER_NNC_ST_NOSPC);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_NOMEM == EMBER_NNC_ST_NOMEM);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_UNSUPPORTED == EMBER_NNC_ST_UNSUPPORTED);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_IO == EMBER_NNC_ST_IO);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_BADCRC == EMBER_NNC_ST_BADCRC);
  STATIC_REQUIRE(EMBER_MANAGE_STATUS_NOT_RUN == EMBER_NNC_ST_NOT_RUN);
  STATIC_REQUIRE(EMBER_MANAGE_FEAT_CRC == EMBER_NNC_FEAT_CRC);
  STATIC_REQUIRE(EMBER_MANAGE_MAX_TRANS == EMBER_NNC_MAX_TRANS);
  STATIC_REQUIRE(EMBER_MANAGE_PT_MAX == EMBER_NNC_PT_DATA_MAX);
  STATIC_REQUIRE(EMBER_MANAGE_TRANS_STATUS == EMBER_NNC_T_STATUS);
  STATIC_REQUIRE(EMBER_MANAGE_TRANS_PASSTHROUGH == EMBER_NNC_T_PASSTHROUGH);
  STATIC_REQUIRE(EMBER_MANAGE_TRANS_DMA_XFER == EMBER_NNC_T_DMA_XFER);
  STATIC_REQUIRE(EMBER_MANAGE_TRANS_ACTIVATE == EMBER_NNC_T_ACTIVATE);
  STATIC_REQUIRE(EMBER_MANAGE_TRANS_DEACTIVATE == EMBER_NNC_T_DEACTIVATE);
}

TEST_CASE("every reason has a distinct name", "[nnc][errno]") {
  std::set<std::string> names;
  for (int r = 0; r < EMBER_NNC_E_COUNT_REASONS; r++) {
    const std::string n = ember_nnc_reason_str(static_cast<ember_nnc_reason>(r));
    CHECK(n != "?");
    names.insert(n);
  }
  CHECK(names.size() == EMBER_NNC_E_COUNT_REASONS);
  CHECK(std::string(ember_nnc_reason_str(EMBER_NNC_E_COUNT_REASONS)) == "?");
}

// ---- uAPI layout ------------------------------------------------------------

TEST_CASE("MANAGE uAPI structs have fixed sizes and offsets", "[nnc][uapi]") {
  STATIC_REQUIRE(sizeof(drm_ember_manage_trans_hdr) == 8);
  STATIC_REQUIRE(sizeof(drm_ember_manage_trans_status) == 24);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_status, status) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_status, features) == 12);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_status, major) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_status, minor) == 18);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_status, pad) == 20);
  STATIC_REQUIRE(sizeof(drm_ember_manage_trans_passthrough) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_passthrough, rsp_len) == 12);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_passthrough, data) == 16);
  STATIC_REQUIRE(sizeof(drm_ember_manage_trans_dma_xfer) == 40);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_dma_xfer, tag) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_dma_xfer, status) == 12);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_dma_xfer, addr) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_dma_xfer, size) == 24);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_dma_xfer, received) == 32);
  STATIC_REQUIRE(sizeof(drm_ember_manage_trans_activate) == 24);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_activate, ring_size) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_activate, flags) == 12);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_activate, status) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_activate, dbc_id) == 20);
  STATIC_REQUIRE(sizeof(drm_ember_manage_trans_deactivate) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_deactivate, dbc_id) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_manage_trans_deactivate, status) == 12);
  STATIC_REQUIRE(sizeof(drm_ember_manage_msg) == 24);
  STATIC_REQUIRE(offsetof(drm_ember_manage_msg, len) == 0);
  STATIC_REQUIRE(offsetof(drm_ember_manage_msg, count) == 4);
  STATIC_REQUIRE(offsetof(drm_ember_manage_msg, data) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_manage_msg, flags) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_manage_msg, pad) == 20);

  constexpr unsigned long nr = DRM_IOCTL_EMBER_MANAGE;
  CHECK(_IOC_TYPE(nr) == DRM_IOCTL_BASE);
  CHECK(_IOC_NR(nr) == DRM_COMMAND_BASE + DRM_EMBER_MANAGE);
  CHECK(_IOC_DIR(nr) == (_IOC_READ | _IOC_WRITE));
  CHECK(_IOC_SIZE(nr) == sizeof(drm_ember_manage_msg));
}
