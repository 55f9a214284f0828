// Helpers shared by the NNC fuzz targets (tests/fuzz/nnc_fuzz_*.cpp).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
#include "ember_nnc.h"
}

// A failed property is a crash, so libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace nncfuzz {

// Reads little-endian integers from the fuzz input; zeros once it is used up.
class Reader {
 public:
  Reader(const std::uint8_t *data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
  std::uint64_t u64() { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }
  [[nodiscard]] const std::uint8_t *rest() const { return data_ + pos_; }
  [[nodiscard]] std::size_t left() const { return size_ - pos_; }

 private:
  const std::uint8_t *data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Wire length of a decoded (or to-be-encoded, non-split) request.
inline std::uint32_t wire_len(const ember_nnc_req &r) {
  switch (r.type) {
    case EMBER_NNC_T_STATUS:
      return EMBER_NNC_STATUS_LEN;
    case EMBER_NNC_T_PASSTHROUGH:
      return EMBER_NNC_PT_HDR_LEN + r.u.pt.len;
    case EMBER_NNC_T_DMA_XFER:
      return EMBER_NNC_DMA_HDR_LEN + r.u.dma.nsegs * EMBER_NNC_DMA_SEG_LEN;
    case EMBER_NNC_T_ACTIVATE:
      return EMBER_NNC_ACT_LEN;
    default:
      return EMBER_NNC_DEACT_LEN;
  }
}

inline std::uint64_t chunk_bytes(const ember_nnc_req &r) {
  std::uint64_t sum = 0;
  for (std::uint32_t i = 0; i < r.u.dma.nsegs; i++) {
    sum += ember_nnc_dma_seg(&r, i).len;
  }
  return sum;
}

// What the driver's encoder would have recorded for a decoded request.
inline void info_from_request(const ember_nnc_hdr &h, const ember_nnc_req *reqs,
                              ember_nnc_msg_info *info) {
  std::memset(info, 0, sizeof(*info));
  info->seq = h.seq;
  info->handle = h.handle;
  info->len = h.len;
  info->flags = h.flags & EMBER_NNC_F_CRC;
  info->count = h.count;
  for (std::uint32_t i = 0; i < h.count; i++) {
    ember_nnc_expect &e = info->trans[i];
    e.type = reqs[i].type;
    e.len = wire_len(reqs[i]);
    if (reqs[i].type == EMBER_NNC_T_DMA_XFER) {
      e.key = reqs[i].u.dma.xfer_id;
      e.received = (reqs[i].u.dma.flags & EMBER_NNC_DMA_ABORT) != 0
                       ? 0
                       : reqs[i].u.dma.offset + chunk_bytes(reqs[i]);
    } else if (reqs[i].type == EMBER_NNC_T_DEACTIVATE) {
      e.key = reqs[i].u.deact.dbc_id;
    }
  }
}

// Replies that echo a decoded request (statuses chosen by the caller).
inline void replies_for(const ember_nnc_msg_info &info, const ember_nnc_req *reqs,
                        const std::uint32_t *status, ember_nnc_rsp *out) {
  for (std::uint32_t i = 0; i < info.count; i++) {
    ember_nnc_rsp &r = out[i];
    std::memset(&r, 0, sizeof(r));
    r.type = reqs[i].type;
    r.status = status[i];
    switch (r.type) {
      case EMBER_NNC_T_STATUS:
        r.u.status.features = reqs[i].u.status.features & EMBER_NNC_FEAT_ALL;
        break;
      case EMBER_NNC_T_PASSTHROUGH:
        r.u.pt.data = reqs[i].u.pt.data;
        r.u.pt.len = reqs[i].u.pt.len;
        break;
      case EMBER_NNC_T_DMA_XFER:
        r.u.dma.xfer_id = reqs[i].u.dma.xfer_id;
        r.u.dma.received = status[i] == EMBER_NNC_ST_OK ? info.trans[i].received : 0;
        break;
      case EMBER_NNC_T_ACTIVATE:
        r.u.act.dbc_id = i;
        break;
      case EMBER_NNC_T_DEACTIVATE:
        r.u.deact.dbc_id = reqs[i].u.deact.dbc_id;
        break;
      default:
        r.u.term.released = i;
        break;
    }
  }
}

// Encode replies, decode them against info, and check they come back equal.
inline void check_reply_roundtrip(const ember_nnc_msg_info &info, const ember_nnc_rsp *rsps) {
  static std::uint8_t buf[EMBER_NNC_MSG_MAX];
  ember_nnc_hdr h{};
  h.seq = info.seq;
  h.handle = info.handle;
  h.flags = static_cast<std::uint16_t>(info.flags);
  ember_nnc_reason why{};
  const int n = ember_nnc_encode_reply(buf, sizeof(buf), &h, rsps, info.count, &why);
  // A reply is never longer than its request, so it always fits.
  FUZZ_CHECK(n > 0);
  FUZZ_CHECK(static_cast<std::uint32_t>(n) <= info.len);

  ember_nnc_hdr dh{};
  static ember_nnc_rsp got[EMBER_NNC_MAX_TRANS];
  const int ret = ember_nnc_decode_reply(buf, static_cast<std::uint32_t>(n), &info, 0, &dh, got,
                                         EMBER_NNC_MAX_TRANS, &why);
  if (ret != 0) {
    std::fprintf(stderr, "reply decode: %d %s\n", ret, ember_nnc_reason_str(why));
  }
  FUZZ_CHECK(ret == 0);
  FUZZ_CHECK(dh.count == info.count);
  for (std::uint32_t i = 0; i < info.count; i++) {
    const ember_nnc_rsp &a = rsps[i];
    const ember_nnc_rsp &b = got[i];
    FUZZ_CHECK(a.type == b.type && a.status == b.status);
    switch (a.type) {
      case EMBER_NNC_T_STATUS:
        FUZZ_CHECK(a.u.status.features == b.u.status.features);
        FUZZ_CHECK(b.u.status.major == EMBER_NNC_MAJOR);
        break;
      case EMBER_NNC_T_PASSTHROUGH:
        FUZZ_CHECK(a.u.pt.len == b.u.pt.len);
        FUZZ_CHECK(a.u.pt.len == 0 || std::memcmp(a.u.pt.data, b.u.pt.data, a.u.pt.len) == 0);
        break;
      case EMBER_NNC_T_DMA_XFER:
        FUZZ_CHECK(a.u.dma.xfer_id == b.u.dma.xfer_id);
        FUZZ_CHECK(a.u.dma.received == b.u.dma.received);
        break;
      case EMBER_NNC_T_ACTIVATE:
        FUZZ_CHECK(a.u.act.dbc_id == b.u.act.dbc_id);
        break;
      case EMBER_NNC_T_DEACTIVATE:
        FUZZ_CHECK(a.u.deact.dbc_id == b.u.deact.dbc_id);
        break;
      default:
        FUZZ_CHECK(a.u.term.released == b.u.term.released);
        break;
    }
  }
}

}  // namespace nncfuzz
