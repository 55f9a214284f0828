// libFuzzer target: the NNC request and reply decoders on arbitrary bytes.
//
// Input: one mode byte, then (mode 2 only) an info prefix, then the message.
//   mode & 3 == 0: ember_nnc_decode_request(); a request that decodes is
//                  answered (statuses from the mode byte), and the reply
//                  must encode and decode back equal; DMA chunks go through
//                  the reassembly helper.
//   mode & 3 == 1: ember_nnc_decode_reply() against an info made up from the
//                  message itself (so the deep checks are reachable).
//   mode & 3 == 2: ember_nnc_decode_reply() against an info read from the
//                  input: seq u32, handle u32, flags u8, count u8, then per
//                  transaction type u8, len u16, key u32, received u64.
//   mode & 3 == 3: both decoders.
//   mode & 0x40:   rewrite the CRC of the message first (if it has F_CRC),
//                  so that mutations get past the CRC check.
//   mode & 0x80:   decode with EMBER_NNC_DEC_REQUIRE_CRC.
// The message is copied to a buffer of exactly its size, so ASan catches
// any read past the end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nnc_fuzz_util.hpp"

namespace {

using nncfuzz::Reader;

void put32(std::uint8_t *p, std::uint32_t v) {
  for (int i = 0; i < 4; i++) {
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

std::uint32_t get32(const std::uint8_t *p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

void maybe_fix_crc(std::vector<std::uint8_t> &m) {
  if (m.size() < EMBER_NNC_HDR_LEN || (m[24] & EMBER_NNC_F_CRC) == 0) {
    return;
  }
  const std::uint32_t len = get32(&m[12]);
  if (len < EMBER_NNC_HDR_LEN || len > m.size()) {
    return;
  }
  put32(&m[28], ember_nnc_crc32(m.data(), len));
}

void check_request(const std::vector<std::uint8_t> &m, std::uint8_t mode, std::uint32_t dflags) {
  ember_nnc_hdr h{};
  static ember_nnc_req reqs[EMBER_NNC_MAX_TRANS];
  ember_nnc_reason why{};
  const int ret = ember_nnc_decode_request(m.data(), static_cast<std::uint32_t>(m.size()), dflags,
                                           &h, reqs, EMBER_NNC_MAX_TRANS, &why);
  if (ret != 0) {
    FUZZ_CHECK(why != EMBER_NNC_OK);
    FUZZ_CHECK(ret == -EINVAL || ret == -EIO || ret == -EOPNOTSUPP);
    return;
  }
  FUZZ_CHECK(why == EMBER_NNC_OK);
  FUZZ_CHECK(h.len <= m.size() && h.len <= EMBER_NNC_MSG_MAX && h.len % 8 == 0);
  FUZZ_CHECK(h.count >= 1 && h.count <= EMBER_NNC_MAX_TRANS);

  // Every pointer stays inside the message, lengths add up.
  std::uint32_t total = EMBER_NNC_HDR_LEN;
  const std::uint8_t *end = m.data() + h.len;
  for (std::uint32_t i = 0; i < h.count; i++) {
    const ember_nnc_req &r = reqs[i];
    total += nncfuzz::wire_len(r);
    if (r.type == EMBER_NNC_T_PASSTHROUGH && r.u.pt.len != 0) {
      FUZZ_CHECK(r.u.pt.data >= m.data() && r.u.pt.data + r.u.pt.len <= end);
    }
    if (r.type == EMBER_NNC_T_DMA_XFER) {
      FUZZ_CHECK(r.u.dma.wire + std::size_t{r.u.dma.nsegs} * EMBER_NNC_DMA_SEG_LEN <= end);
      ember_nnc_reasm ra{};
      ember_nnc_reasm_reset(&ra);
      const int fr = ember_nnc_reasm_feed(&ra, &r, i, &why);
      FUZZ_CHECK(fr == 0 || fr == -EINVAL || fr == -ENOENT);
      if (fr == 0 && (r.u.dma.flags & EMBER_NNC_DMA_MORE) == 0) {
        FUZZ_CHECK(ra.received == ra.total);
      }
    }
  }
  FUZZ_CHECK(total == h.len);

  // Answer it: statuses OK up to a failure chosen by the mode byte.
  ember_nnc_msg_info info{};
  nncfuzz::info_from_request(h, reqs, &info);
  std::uint32_t status[EMBER_NNC_MAX_TRANS];
  const std::uint32_t fail_at = (mode >> 2) & 0xf;
  for (std::uint32_t i = 0; i < h.count; i++) {
    if (i < fail_at) {
      status[i] = EMBER_NNC_ST_OK;
    } else if (i == fail_at) {
      status[i] = 1 + (mode % 9);
    } else {
      status[i] = EMBER_NNC_ST_NOT_RUN;
    }
  }
  static ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
  nncfuzz::replies_for(info, reqs, status, rsps);
  nncfuzz::check_reply_roundtrip(info, rsps);
}

void check_reply(const std::vector<std::uint8_t> &m, const ember_nnc_msg_info &info,
                 std::uint32_t dflags) {
  ember_nnc_hdr h{};
  static ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
  ember_nnc_reason why{};
  const int ret = ember_nnc_decode_reply(m.data(), static_cast<std::uint32_t>(m.size()), &info,
                                         dflags, &h, rsps, EMBER_NNC_MAX_TRANS, &why);
  if (ret != 0) {
    FUZZ_CHECK(why != EMBER_NNC_OK);
    FUZZ_CHECK(ret == -EIO || ret == -EOPNOTSUPP || ret == -EINVAL);
    return;
  }
  FUZZ_CHECK(h.seq == info.seq && h.handle == info.handle);
  FUZZ_CHECK(h.status != 0 ? h.count == 0 : h.count == info.count);
  const std::uint8_t *end = m.data() + h.len;
  bool failed = false;
  for (std::uint32_t i = 0; i < h.count; i++) {
    const ember_nnc_rsp &r = rsps[i];
    FUZZ_CHECK(r.type == info.trans[i].type);
    FUZZ_CHECK(r.status < EMBER_NNC_ST_COUNT);
    FUZZ_CHECK(failed == (r.status == EMBER_NNC_ST_NOT_RUN));
    if (r.status != EMBER_NNC_ST_OK) {
      failed = true;
    }
    if (r.type == EMBER_NNC_T_PASSTHROUGH && r.u.pt.len != 0) {
      FUZZ_CHECK(r.u.pt.data > m.data() && r.u.pt.data + r.u.pt.len <= end);
      FUZZ_CHECK(EMBER_NNC_PT_HDR_LEN + r.u.pt.len <= info.trans[i].len);
    }
  }
}

// An info that matches whatever the reply says, so decoding gets deep.
void info_from_reply(const std::vector<std::uint8_t> &m, ember_nnc_msg_info *info) {
  std::memset(info, 0, sizeof(*info));
  if (m.size() < EMBER_NNC_HDR_LEN) {
    return;
  }
  info->seq = get32(&m[8]);
  info->handle = get32(&m[20]);
  info->flags = m[24] & EMBER_NNC_F_CRC;
  info->count = get32(&m[16]) % (EMBER_NNC_MAX_TRANS + 1);
  std::size_t off = EMBER_NNC_HDR_LEN;
  for (std::uint32_t i = 0; i < info->count && off + 24 <= m.size(); i++) {
    ember_nnc_expect &e = info->trans[i];
    e.type = get32(&m[off]);
    const std::uint32_t len = get32(&m[off + 4]);
    e.len = len + 8 * (m[off + 8] & 1);
    e.key = get32(&m[off + 12]);
    e.received = get32(&m[off + 16]) | (static_cast<std::uint64_t>(get32(&m[off + 20])) << 32);
    if (len < 16 || len > 4096) {
      break;
    }
    off += len;
  }
}

void info_from_input(Reader &rd, ember_nnc_msg_info *info) {
  std::memset(info, 0, sizeof(*info));
  info->seq = rd.u32();
  info->handle = rd.u32();
  info->flags = rd.u8() & EMBER_NNC_F_CRC;
  info->count = rd.u8() % (EMBER_NNC_MAX_TRANS + 1);
  for (std::uint32_t i = 0; i < info->count; i++) {
    info->trans[i].type = rd.u8();
    info->trans[i].len = rd.u16();
    info->trans[i].key = rd.u32();
    info->trans[i].received = rd.u64();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  Reader rd(data, size);
  const std::uint8_t mode = rd.u8();
  const std::uint32_t dflags = (mode & 0x80) != 0 ? EMBER_NNC_DEC_REQUIRE_CRC : 0;
  ember_nnc_msg_info info{};
  if ((mode & 3) == 2) {
    info_from_input(rd, &info);
  }
  std::vector<std::uint8_t> m(rd.rest(), rd.rest() + rd.left());
  if ((mode & 0x40) != 0) {
    maybe_fix_crc(m);
  }
  m.shrink_to_fit();

  switch (mode & 3) {
    case 0:
      check_request(m, mode, dflags);
      break;
    case 1:
      info_from_reply(m, &info);
      check_reply(m, info, dflags);
      break;
    case 2:
      check_reply(m, info, dflags);
      break;
    default:
      check_request(m, mode, dflags);
      info_from_reply(m, &info);
      check_reply(m, info, dflags);
      break;
  }
  return 0;
}
