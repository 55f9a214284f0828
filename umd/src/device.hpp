// The device handle behind the opaque C type, and how it talks to the
// kernel. The ioctls go through a Backend so that everything above them
// (transaction building, reply checks, error mapping, tags) is exercised on
// the host with a test double.
#ifndef EMBER_SRC_DEVICE_HPP_
#define EMBER_SRC_DEVICE_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "discovery.hpp"
#include "ember/ember.h"
#include "ember_accel.h"
#include "manage.hpp"
#include "unique_fd.hpp"

namespace ember::detail {

// The ioctls of the control path and of the data path, and the mapping
// of BOs. Implementations return 0 or a positive errno; they may be called
// from several threads at once.
class Backend {
 public:
  Backend() = default;
  virtual ~Backend() = default;
  Backend(const Backend &) = delete;
  Backend &operator=(const Backend &) = delete;
  Backend(Backend &&) = delete;
  Backend &operator=(Backend &&) = delete;

  virtual int Manage(drm_ember_manage_msg &msg) = 0;
  virtual int GetInfo(drm_ember_get_info &info) = 0;
  // The accel node's descriptor, or -1 for a test double.
  [[nodiscard]] virtual int Fd() const = 0;

  // The data path (docs/datapath.md). A test double without one keeps
  // these defaults: every call fails with ENOTTY.
  virtual int CreateBo(drm_ember_create_bo &args);
  virtual int MmapBo(drm_ember_mmap_bo &args);
  // DRM_IOCTL_GEM_CLOSE of |handle|.
  virtual int CloseBo(std::uint32_t handle);
  // mmap() of |size| bytes at the fake |offset| of MMAP_BO, read-write and
  // shared; |out| is the mapping.
  virtual int Map(std::uint64_t offset, std::size_t size, std::span<std::byte> &out);
  virtual void Unmap(std::span<std::byte> mapping);
  virtual int AttachSliceBo(drm_ember_attach_slice_bo &args);
  // EXECUTE_BO, or PARTIAL_EXECUTE_BO if |partial|.
  virtual int ExecuteBo(drm_ember_execute_bo &args, bool partial);
  // Not restarted after a signal: EINTR is returned.
  virtual int WaitBo(drm_ember_wait_bo &args);
  virtual int PerfStatsBo(drm_ember_perf_stats_bo &args);
  virtual int DetachSliceBo(drm_ember_detach_slice_bo &args);
};

// A Backend on an open accel node.
std::unique_ptr<Backend> MakeFdBackend(UniqueFd fd);

// GET_INFO reply → public struct.
ember_info ToInfo(const drm_ember_get_info &raw);

// Outcome of opening an accel node.
struct OpenResult {
  enum class Verdict : std::uint8_t {
    kEmber,       // DRM_IOCTL_VERSION said "ember" (status: GET_INFO's)
    kNotEmber,    // not a DRM node, or another driver's
    kUnverified,  // open() failed
  };
  Verdict verdict = Verdict::kUnverified;
  ember_status status = EMBER_ERR_IO;
  std::string message;  // why, when status is not EMBER_OK
  UniqueFd fd;
  ember_info info{};
};

// Opens |node| read-write, checks the DRM driver name and issues GET_INFO.
OpenResult OpenNode(const std::string &node);

// Whether this libember can drive a module of ioctl ABI |info| (docs/uapi.md,
// "Compatibility"): the same major as the uAPI it was built with. Returns
// "" if so, otherwise why not, for the error message.
std::string AbiMismatch(const ember_info &info);

// First libember DMA tag; tags below are the application's (ember.h).
inline constexpr std::uint32_t kFirstLibraryTag = 0x80000000U;

}  // namespace ember::detail

// The opaque handle of ember.h. Immutable after creation except for the
// members guarded by |mu|.
struct ember_device {
  ember_device(std::unique_ptr<ember::detail::Backend> b, ember::detail::Candidate w,
               const ember_info &i)
      : backend(std::move(b)), where(std::move(w)), info(i) {}

  const std::unique_ptr<ember::detail::Backend> backend;
  const ember::detail::Candidate where;  // node, sysfs, bdf, minor
  const ember_info info;                 // GET_INFO at open

  // Next DMA_XFER tag of the typed helpers (guarded by mu).
  std::uint32_t NextTag();

 private:
  std::mutex mu_;
  std::uint32_t next_tag_ = ember::detail::kFirstLibraryTag;  // guarded by mu_
};

namespace ember::detail {

// Issues the MANAGE call of |buf| and maps the result; |what| names the
// operation in the error message (which names the failed transaction and
// its firmware status when the kernel reported one).
ember_status Manage(ember_device &dev, ManageBuffer &buf, const std::string &what);

}  // namespace ember::detail

#endif  // EMBER_SRC_DEVICE_HPP_
