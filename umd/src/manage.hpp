// Builds the transaction buffer of one DRM_IOCTL_EMBER_MANAGE call in the
// uAPI format (uapi/ember_accel.h, docs/nnc.md §14) and reads the Out
// fields back. No ioctls: the device layer hands data()/len()/count() to
// the kernel (or to a test double).
#ifndef EMBER_SRC_MANAGE_HPP_
#define EMBER_SRC_MANAGE_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "ember_accel.h"

namespace ember::detail {

// Written into every status field before the call: the kernel overwrites
// it only when it reports per-transaction results, so a remaining sentinel
// means "the exchange failed before this transaction was answered".
inline constexpr std::uint32_t kStatusUnwritten = 0xffffffffU;

class ManageBuffer {
 public:
  // Each add_* appends one transaction and returns its index.
  std::size_t AddStatus();
  std::size_t AddPassthrough(std::span<const std::uint8_t> command);
  std::size_t AddDmaXfer(std::uint32_t tag, const void *data, std::uint64_t size);
  std::size_t AddActivate(std::uint32_t ring_size);
  std::size_t AddDeactivate(std::uint32_t dbc_id);

  [[nodiscard]] std::uint8_t *Data() { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t *Data() const { return bytes_.data(); }
  [[nodiscard]] std::uint32_t Len() const { return static_cast<std::uint32_t>(bytes_.size()); }
  [[nodiscard]] std::uint32_t Count() const { return static_cast<std::uint32_t>(entries_.size()); }

  // Type and status (or kStatusUnwritten) of transaction |i|.
  [[nodiscard]] std::uint32_t Type(std::size_t i) const { return entries_.at(i).type; }
  [[nodiscard]] std::uint32_t Status(std::size_t i) const;

  // The whole transaction |i| as its uAPI struct (Out fields as written).
  template <typename T>
  [[nodiscard]] T Get(std::size_t i) const {
    T v{};
    std::memcpy(&v, bytes_.data() + entries_.at(i).offset, sizeof(T));
    return v;
  }

  // PASSTHROUGH |i|: the rsp_len bytes of reply data (empty if rsp_len is
  // larger than the transaction, which the kernel never writes).
  [[nodiscard]] std::span<const std::uint8_t> PassthroughReply(std::size_t i) const;

  // Index of the first transaction whose status was written and is not
  // OK, or Count() if none.
  [[nodiscard]] std::size_t FirstFailure() const;

 private:
  struct Entry {
    std::uint32_t type;
    std::size_t offset;
    std::size_t status_offset;
  };

  template <typename T>
  std::size_t Append(const T &trans, std::size_t status_offset,
                     std::span<const std::uint8_t> tail = {});

  std::vector<std::uint8_t> bytes_;
  std::vector<Entry> entries_;
};

// "STATUS", "PASSTHROUGH", "DMA_XFER", "ACTIVATE", "DEACTIVATE".
const char *TransactionName(std::uint32_t type);

// "OK", "INVAL", ..., "NOT_RUN" for EMBER_MANAGE_STATUS_*.
std::string ManageStatusName(std::uint32_t status);

}  // namespace ember::detail

#endif  // EMBER_SRC_MANAGE_HPP_
