// The data path behind the C ABI (ember.h): buffer objects (BOs), their
// slices, execute / partial execute, wait and perf stats, over the
// data-path ioctls of docs/datapath.md. Arguments are already checked for
// NULL; each operation returns an ember_status and records the reason of a
// failure (status.hpp).
#ifndef EMBER_SRC_BUFFER_HPP_
#define EMBER_SRC_BUFFER_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "device.hpp"
#include "ember/ember.h"

namespace ember::detail {

// A GEM handle of a device, closed (GEM_CLOSE) on destruction.
class BoHandle {
 public:
  BoHandle(Backend &backend, std::uint32_t handle) : backend_(&backend), handle_(handle) {}
  ~BoHandle() { Close(); }
  BoHandle(const BoHandle &) = delete;
  BoHandle &operator=(const BoHandle &) = delete;
  BoHandle(BoHandle &&) = delete;
  BoHandle &operator=(BoHandle &&) = delete;

  [[nodiscard]] std::uint32_t Get() const { return handle_; }
  // GEM_CLOSE now; 0 or its errno. Later calls do nothing.
  int Close() {
    const std::uint32_t h = Release();
    return h != 0 ? backend_->CloseBo(h) : 0;
  }
  // Gives up ownership of the handle and returns it.
  std::uint32_t Release() { return std::exchange(handle_, 0); }

 private:
  Backend *backend_;  // not owned: the device's
  std::uint32_t handle_;
};

// A mapping of a BO, unmapped on destruction.
class BoMapping {
 public:
  BoMapping(Backend &backend, std::span<std::byte> bytes) : backend_(&backend), bytes_(bytes) {}
  ~BoMapping() { Reset(); }
  BoMapping(const BoMapping &) = delete;
  BoMapping &operator=(const BoMapping &) = delete;
  BoMapping(BoMapping &&) = delete;
  BoMapping &operator=(BoMapping &&) = delete;

  [[nodiscard]] std::span<std::byte> Bytes() const { return bytes_; }
  void Reset() { backend_->Unmap(Release()); }
  // Gives up ownership of the mapping and returns it.
  std::span<std::byte> Release() { return std::exchange(bytes_, {}); }

 private:
  Backend *backend_;  // not owned: the device's
  std::span<std::byte> bytes_;
};

// The page size BOs are rounded up to.
std::uint64_t PageSize();

// Why |s| (a slice of a BO of |bo_size| bytes, on a function with
// |devmem_size| bytes of device memory; 0: not checked) breaks the rules
// of ember.h / docs/datapath.md, or "" if it does not. The driver applies
// the same rules; it alone knows whether the requests fit the DBC's ring.
std::string CheckSlice(const ember_slice &s, std::uint64_t bo_size, std::uint64_t devmem_size);

// The uAPI form of a slice.
drm_ember_slice ToUapi(const ember_slice &s);

}  // namespace ember::detail

// The opaque BO of ember.h: immutable after creation. Members are
// destroyed in reverse order: the mapping goes before the handle.
struct ember_bo {
  ember_bo(ember_device &d, std::uint32_t handle, std::uint64_t bo_size,
           std::span<std::byte> mapping)
      : dev(d), gem(*d.backend, handle), size(bo_size), map(*d.backend, mapping) {}

  ember_device &dev;  // the handle that created it (outlives it: ember.h)
  ember::detail::BoHandle gem;
  const std::uint64_t size;  // bytes, page-rounded
  ember::detail::BoMapping map;
};

namespace ember::detail {

ember_status CreateBo(ember_device &dev, std::uint64_t size, std::uint32_t flags,
                      std::unique_ptr<ember_bo> &out);
// Unmaps, closes the handle and frees |bo|.
ember_status DestroyBo(std::unique_ptr<ember_bo> bo);
ember_status AttachSlices(ember_bo &bo, std::uint32_t dbc_id, std::span<const ember_slice> slices);
ember_status DetachSlices(ember_bo &bo);
// EXECUTE_BO; with |wait|, EXECUTE_BO_WAIT as well (ember_execute_wait()).
struct ExecuteWait {
  std::uint32_t timeout_ms;
  std::uint32_t flags;  // EMBER_WAIT_*
};
ember_status Execute(ember_device &dev, std::span<const ember_execute_entry> entries, bool partial,
                     const ExecuteWait *wait = nullptr);
// WAIT_BO with EMBER_WAIT_* |flags| (checked here: unknown bits, and any
// bit with a driver older than ioctl ABI 1.3, make no ioctl).
ember_status Wait(ember_bo &bo, std::uint32_t timeout_ms, std::uint32_t flags);
ember_status PerfStats(ember_bo &bo, ember_perf_stats &out);

}  // namespace ember::detail

#endif  // EMBER_SRC_BUFFER_HPP_
