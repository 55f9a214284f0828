// MANAGE transaction buffers in the uAPI format.
#include "manage.hpp"

#include <array>
#include <cstddef>

namespace ember::detail {

template <typename T>
std::size_t ManageBuffer::Append(const T &trans, std::size_t status_offset,
                                 std::span<const std::uint8_t> tail) {
  const std::size_t offset = bytes_.size();
  bytes_.resize(offset + sizeof(T) + tail.size());
  std::memcpy(bytes_.data() + offset, &trans, sizeof(T));
  if (!tail.empty()) {
    std::memcpy(bytes_.data() + offset + sizeof(T), tail.data(), tail.size());
  }
  entries_.push_back(Entry{trans.hdr.type, offset, offset + status_offset});
  return entries_.size() - 1;
}

std::size_t ManageBuffer::AddStatus() {
  drm_ember_manage_trans_status t{};
  t.hdr.type = EMBER_MANAGE_TRANS_STATUS;
  t.hdr.len = sizeof(t);
  t.status = kStatusUnwritten;
  return Append(t, offsetof(drm_ember_manage_trans_status, status));
}

std::size_t ManageBuffer::AddPassthrough(std::span<const std::uint8_t> command) {
  drm_ember_manage_trans_passthrough t{};
  t.hdr.type = EMBER_MANAGE_TRANS_PASSTHROUGH;
  t.hdr.len = static_cast<std::uint32_t>(sizeof(t) + command.size());
  t.status = kStatusUnwritten;
  return Append(t, offsetof(drm_ember_manage_trans_passthrough, status), command);
}

std::size_t ManageBuffer::AddDmaXfer(std::uint32_t tag, const void *data, std::uint64_t size) {
  drm_ember_manage_trans_dma_xfer t{};
  t.hdr.type = EMBER_MANAGE_TRANS_DMA_XFER;
  t.hdr.len = sizeof(t);
  t.tag = tag;
  t.status = kStatusUnwritten;
  t.addr = reinterpret_cast<std::uintptr_t>(data);
  t.size = size;
  return Append(t, offsetof(drm_ember_manage_trans_dma_xfer, status));
}

std::size_t ManageBuffer::AddActivate(std::uint32_t ring_size) {
  drm_ember_manage_trans_activate t{};
  t.hdr.type = EMBER_MANAGE_TRANS_ACTIVATE;
  t.hdr.len = sizeof(t);
  t.ring_size = ring_size;
  t.status = kStatusUnwritten;
  return Append(t, offsetof(drm_ember_manage_trans_activate, status));
}

std::size_t ManageBuffer::AddDeactivate(std::uint32_t dbc_id) {
  drm_ember_manage_trans_deactivate t{};
  t.hdr.type = EMBER_MANAGE_TRANS_DEACTIVATE;
  t.hdr.len = sizeof(t);
  t.dbc_id = dbc_id;
  t.status = kStatusUnwritten;
  return Append(t, offsetof(drm_ember_manage_trans_deactivate, status));
}

std::uint32_t ManageBuffer::Status(std::size_t i) const {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes_.data() + entries_.at(i).status_offset, sizeof(v));
  return v;
}

std::span<const std::uint8_t> ManageBuffer::PassthroughReply(std::size_t i) const {
  const auto t = Get<drm_ember_manage_trans_passthrough>(i);
  const std::size_t data_len = t.hdr.len - sizeof(t);
  if (t.rsp_len > data_len) {
    return {};
  }
  return {bytes_.data() + entries_.at(i).offset + sizeof(t), t.rsp_len};
}

std::size_t ManageBuffer::FirstFailure() const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const std::uint32_t st = Status(i);
    if (st != EMBER_MANAGE_STATUS_OK && st != kStatusUnwritten) {
      return i;
    }
  }
  return entries_.size();
}

const char *TransactionName(std::uint32_t type) {
  switch (type) {
    case EMBER_MANAGE_TRANS_STATUS:
      return "STATUS";
    case EMBER_MANAGE_TRANS_PASSTHROUGH:
      return "PASSTHROUGH";
    case EMBER_MANAGE_TRANS_DMA_XFER:
      return "DMA_XFER";
    case EMBER_MANAGE_TRANS_ACTIVATE:
      return "ACTIVATE";
    case EMBER_MANAGE_TRANS_DEACTIVATE:
      return "DEACTIVATE";
    default:
      return "transaction";
  }
}

std::string ManageStatusName(std::uint32_t status) {
  static constexpr std::array<const char *, 11> kNames = {"OK",   "INVAL",  "NOENT",  "PERM",
                                                          "BUSY", "NOSPC",  "NOMEM",  "UNSUPPORTED",
                                                          "IO",   "BADCRC", "NOT_RUN"};
  if (status < kNames.size()) {
    return kNames.at(status);
  }
  return "status " + std::to_string(status);
}

}  // namespace ember::detail
