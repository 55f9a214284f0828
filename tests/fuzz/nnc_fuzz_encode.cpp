// libFuzzer target: NNC request encoding round trip.
//
// Transactions are derived from the input, encoded (into messages of a size
// the input picks, so DMA_XFER continuation is exercised), and every
// message must decode, reassemble and compare equal to what was encoded;
// each message is then answered (failure position from the input) and the
// reply must round-trip too. Input format (little-endian; zeros once the
// input is used up; tests/fuzz/gen_corpus.py writes seeds in it):
//   u8 cfg        bit 0: CRC; bit 1: small messages (then u16 size follows)
//   [u16 size]    message limit = 96 + size % 4001
//   u8 handle
//   u8 n          transactions = 1 + n % 40
//   per transaction: u8 kind; type = kind < 240 ? 1 + kind % 6 : kind % 9
//     STATUS      u32 features
//     PASSTHROUGH u16 l: len = l & 0x8000 ? (l & 0x7fff) % 4100 : (l % 507) * 8
//     DMA_XFER    u32 tag, u8 xfer_id, u8 fl, u16 nsegs (% 700), then per
//                 segment u8 sel: 0xff: u64 addr, u64 len; else addr =
//                 u32 << 12 | sel, len = sel == 0xfe ? 0 : 1 + u16.
//                 fl 0xab: ABORT (no segments, tag 0); 0xac: ABORT keeping
//                 tag and segments; 0xcd: MORE set by the caller (invalid)
//     ACTIVATE    u8 rs: rs < 200: ring 1 << (1 + rs % 16), req = (u32+1)
//                 << 6, rsp = (u32+1) << 5; else raw u32 ring, u64, u64
//     DEACTIVATE  u32 dbc_id
//     TERMINATE   u8 h: h == 0 ? the handle : h
//   then per message: u8 fail (index of the failing transaction), u8 how
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nnc_fuzz_util.hpp"

namespace {

using nncfuzz::Reader;

struct Input {
  std::uint32_t flags = 0;
  std::uint32_t size = EMBER_NNC_MSG_MAX;
  std::uint32_t handle = 0;
  std::vector<ember_nnc_req> reqs;
  std::vector<std::vector<ember_nnc_seg>> segs;  // per transaction
};

std::uint8_t pt_pool[EMBER_NNC_MSG_MAX + 64];

void read_input(Reader &rd, Input &in) {
  const std::uint8_t cfg = rd.u8();
  in.flags = (cfg & 1) != 0 ? EMBER_NNC_F_CRC : 0;
  if ((cfg & 2) != 0) {
    in.size = 96 + rd.u16() % 4001;
  }
  in.handle = rd.u8();
  const std::uint32_t n = 1 + rd.u8() % 40;
  in.reqs.assign(n, ember_nnc_req{});
  in.segs.assign(n, {});
  for (std::uint32_t i = 0; i < n; i++) {
    ember_nnc_req &r = in.reqs[i];
    const std::uint8_t kind = rd.u8();
    r.type = kind < 240 ? 1 + kind % 6 : kind % 9;
    switch (r.type) {
      case EMBER_NNC_T_STATUS:
        r.u.status.features = rd.u32();
        break;
      case EMBER_NNC_T_PASSTHROUGH: {
        const std::uint16_t l = rd.u16();
        r.u.pt.len = (l & 0x8000) != 0 ? (l & 0x7fff) % 4100 : (l % 507) * 8;
        r.u.pt.data = pt_pool + (i % 64);
        break;
      }
      case EMBER_NNC_T_DMA_XFER: {
        r.u.dma.tag = rd.u32();
        r.u.dma.xfer_id = rd.u8();
        const std::uint8_t fl = rd.u8();
        const std::uint32_t nsegs = rd.u16() % 700;
        auto &segs = in.segs[i];
        for (std::uint32_t s = 0; s < nsegs && rd.left() > 0; s++) {
          const std::uint8_t sel = rd.u8();
          ember_nnc_seg seg{};
          if (sel == 0xff) {
            seg.addr = rd.u64();
            seg.len = rd.u64();
          } else {
            seg.addr = (static_cast<std::uint64_t>(rd.u32()) << 12) | sel;
            seg.len = sel == 0xfe ? 0 : 1 + rd.u16();
          }
          segs.push_back(seg);
        }
        if (fl == 0xab) {
          segs.clear();
          r.u.dma.tag = 0;
        }
        if (fl == 0xab || fl == 0xac) {
          r.u.dma.flags = EMBER_NNC_DMA_ABORT;
        } else if (fl == 0xcd) {
          r.u.dma.flags = EMBER_NNC_DMA_MORE;
        }
        r.u.dma.nsegs = static_cast<std::uint32_t>(segs.size());
        r.u.dma.segs = segs.data();
        break;
      }
      case EMBER_NNC_T_ACTIVATE: {
        const std::uint8_t rs = rd.u8();
        if (rs < 200) {
          r.u.act.ring_size = 1u << (1 + rs % 16);
          r.u.act.req_base = (static_cast<std::uint64_t>(rd.u32()) + 1) << 6;
          r.u.act.rsp_base = (static_cast<std::uint64_t>(rd.u32()) + 1) << 5;
        } else {
          r.u.act.ring_size = rd.u32();
          r.u.act.req_base = rd.u64();
          r.u.act.rsp_base = rd.u64();
        }
        break;
      }
      case EMBER_NNC_T_DEACTIVATE:
        r.u.deact.dbc_id = rd.u32();
        break;
      case EMBER_NNC_T_TERMINATE: {
        const std::uint8_t h = rd.u8();
        r.u.term.handle = h == 0 ? in.handle : h;
        break;
      }
      default:
        break;
    }
  }
}

// Compare a decoded transaction with the one it was encoded from.
void check_same(const ember_nnc_req &want, const ember_nnc_req &got) {
  FUZZ_CHECK(want.type == got.type);
  switch (want.type) {
    case EMBER_NNC_T_STATUS:
      FUZZ_CHECK(got.u.status.features == want.u.status.features);
      FUZZ_CHECK(got.u.status.major == EMBER_NNC_MAJOR);
      FUZZ_CHECK(got.u.status.minor == EMBER_NNC_MINOR);
      break;
    case EMBER_NNC_T_PASSTHROUGH:
      FUZZ_CHECK(got.u.pt.len == want.u.pt.len);
      FUZZ_CHECK(want.u.pt.len == 0 ||
                 std::memcmp(got.u.pt.data, want.u.pt.data, want.u.pt.len) == 0);
      break;
    case EMBER_NNC_T_DMA_XFER:
      FUZZ_CHECK(got.u.dma.tag == want.u.dma.tag);
      FUZZ_CHECK(got.u.dma.xfer_id == want.u.dma.xfer_id);
      break;
    case EMBER_NNC_T_ACTIVATE:
      FUZZ_CHECK(got.u.act.ring_size == want.u.act.ring_size);
      FUZZ_CHECK(got.u.act.req_base == want.u.act.req_base);
      FUZZ_CHECK(got.u.act.rsp_base == want.u.act.rsp_base);
      break;
    case EMBER_NNC_T_DEACTIVATE:
      FUZZ_CHECK(got.u.deact.dbc_id == want.u.deact.dbc_id);
      break;
    default:
      FUZZ_CHECK(got.u.term.handle == want.u.term.handle);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  Reader rd(data, size);
  Input in;
  read_input(rd, in);
  for (std::size_t i = 0; i < sizeof(pt_pool); i++) {
    pt_pool[i] = static_cast<std::uint8_t>(i * 7 + size);
  }

  ember_nnc_enc enc{};
  ember_nnc_reason why{};
  const int ir = ember_nnc_enc_init(
      &enc, in.reqs.data(), static_cast<std::uint32_t>(in.reqs.size()), in.handle, in.flags, &why);
  if (ir != 0) {
    FUZZ_CHECK(ir == -EINVAL && why != EMBER_NNC_OK);
    return 0;
  }

  const std::uint32_t dflags = in.flags != 0 ? EMBER_NNC_DEC_REQUIRE_CRC : 0;
  const std::uint32_t limit = (in.size < EMBER_NNC_MSG_MAX ? in.size : EMBER_NNC_MSG_MAX) & ~7u;
  std::vector<std::uint8_t> buf(EMBER_NNC_MSG_MAX);
  std::vector<std::vector<ember_nnc_seg>> got(in.reqs.size());
  ember_nnc_reasm ra{};
  ember_nnc_reasm_reset(&ra);
  std::uint32_t next = 0;  // transaction the next message must start with
  std::uint32_t seq = 1000;
  static ember_nnc_req reqs[EMBER_NNC_MAX_TRANS];
  static ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];

  for (;;) {
    ember_nnc_msg_info info{};
    std::memset(buf.data(), 0xa5, buf.size());
    const int n = ember_nnc_enc_next(&enc, buf.data(), in.size, seq, &info, &why);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      // Only a message limit too small for the next transaction.
      FUZZ_CHECK(n == -EINVAL && why == EMBER_NNC_E_NOSPACE);
      return 0;
    }
    FUZZ_CHECK(static_cast<std::uint32_t>(n) <= limit);
    FUZZ_CHECK(info.seq == seq && info.len == static_cast<std::uint32_t>(n));
    FUZZ_CHECK(info.first == next);
    seq++;

    // Decode from a buffer of exactly the message's size.
    const std::vector<std::uint8_t> m(buf.begin(), buf.begin() + n);
    ember_nnc_hdr h{};
    const int dr = ember_nnc_decode_request(m.data(), static_cast<std::uint32_t>(m.size()), dflags,
                                            &h, reqs, EMBER_NNC_MAX_TRANS, &why);
    if (dr != 0) {
      std::fprintf(stderr, "request decode: %d %s\n", dr, ember_nnc_reason_str(why));
    }
    FUZZ_CHECK(dr == 0);
    FUZZ_CHECK(h.count == info.count && h.handle == in.handle && h.seq == info.seq);
    FUZZ_CHECK(ember_nnc_reasm_begin(&ra, reqs, h.count, &why) == 0);

    for (std::uint32_t i = 0; i < h.count; i++) {
      const std::uint32_t orig = info.first + i;
      FUZZ_CHECK(orig < in.reqs.size());
      const ember_nnc_req &want = in.reqs[orig];
      const ember_nnc_req &r = reqs[i];
      check_same(want, r);
      FUZZ_CHECK(info.trans[i].type == r.type && info.trans[i].len == nncfuzz::wire_len(r));
      if (r.type != EMBER_NNC_T_DMA_XFER) {
        continue;
      }
      FUZZ_CHECK(r.u.dma.flags == (want.u.dma.flags & EMBER_NNC_DMA_ABORT) ||
                 r.u.dma.flags == EMBER_NNC_DMA_MORE);
      const int fr = ember_nnc_reasm_feed(&ra, &r, i, &why);
      if ((r.u.dma.flags & EMBER_NNC_DMA_ABORT) != 0) {
        FUZZ_CHECK(fr == -ENOENT);  // nothing partial to abort here
        continue;
      }
      FUZZ_CHECK(fr == 0);
      std::uint64_t sent = 0;
      for (const auto &s : got[orig]) {
        sent += s.len;
      }
      FUZZ_CHECK(r.u.dma.offset == sent);
      for (std::uint32_t s = 0; s < r.u.dma.nsegs; s++) {
        got[orig].push_back(ember_nnc_dma_seg(&r, s));
      }
      FUZZ_CHECK(info.trans[i].received == ra.received);
      if ((r.u.dma.flags & EMBER_NNC_DMA_MORE) != 0) {
        FUZZ_CHECK(i + 1 == h.count && info.more && ra.active);
      } else {
        FUZZ_CHECK(!ra.active && ra.received == ra.total);
        FUZZ_CHECK(got[orig].size() == want.u.dma.nsegs);
        for (std::uint32_t s = 0; s < want.u.dma.nsegs; s++) {
          FUZZ_CHECK(got[orig][s].addr == want.u.dma.segs[s].addr);
          FUZZ_CHECK(got[orig][s].len == want.u.dma.segs[s].len);
        }
      }
    }
    next = info.more ? info.first + info.count - 1 : info.first + info.count;

    // Answer it: OK up to the failing transaction, NOT_RUN after it.
    const std::uint32_t fail_at = rd.u8();
    const std::uint8_t how = rd.u8();
    std::uint32_t status[EMBER_NNC_MAX_TRANS];
    for (std::uint32_t i = 0; i < h.count; i++) {
      if (i < fail_at) {
        status[i] = EMBER_NNC_ST_OK;
      } else if (i == fail_at) {
        status[i] = 1 + how % 9;
      } else {
        status[i] = EMBER_NNC_ST_NOT_RUN;
      }
    }
    nncfuzz::replies_for(info, reqs, status, rsps);
    nncfuzz::check_reply_roundtrip(info, rsps);
  }
  FUZZ_CHECK(ember_nnc_enc_done(&enc));
  FUZZ_CHECK(next == in.reqs.size());
  return 0;
}
