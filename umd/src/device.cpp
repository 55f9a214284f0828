// Opening accel nodes, the ioctl backend and the MANAGE call.
#include "device.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <xf86drm.h>

#include <cerrno>
#include <limits>
#include <string_view>

#include "status.hpp"

namespace ember::detail {
namespace {

class FdBackend final : public Backend {
 public:
  explicit FdBackend(UniqueFd fd) : fd_(std::move(fd)) {}

  int Manage(drm_ember_manage_msg &msg) override {
    return drmIoctl(fd_.Get(), DRM_IOCTL_EMBER_MANAGE, &msg) == 0 ? 0 : errno;
  }

  int GetInfo(drm_ember_get_info &info) override {
    return drmIoctl(fd_.Get(), DRM_IOCTL_EMBER_GET_INFO, &info) == 0 ? 0 : errno;
  }

  [[nodiscard]] int Fd() const override { return fd_.Get(); }

  // The data path does not use drmIoctl(): it retries EAGAIN too, which
  // would spin on a full ring (EXECUTE_BO); EAGAIN is the caller's.
  int CreateBo(drm_ember_create_bo &args) override {
    return Ioctl(DRM_IOCTL_EMBER_CREATE_BO, &args, true);
  }
  int MmapBo(drm_ember_mmap_bo &args) override {
    return Ioctl(DRM_IOCTL_EMBER_MMAP_BO, &args, true);
  }
  int CloseBo(std::uint32_t handle) override {
    drm_gem_close args{};
    args.handle = handle;
    return Ioctl(DRM_IOCTL_GEM_CLOSE, &args, true);
  }
  int Map(std::uint64_t offset, std::size_t size, std::span<std::byte> &out) override {
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
      return EINVAL;
    }
    void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.Get(),
                     static_cast<off_t>(offset));
    if (p == MAP_FAILED) {
      return errno;
    }
    out = {static_cast<std::byte *>(p), size};
    return 0;
  }
  void Unmap(std::span<std::byte> mapping) override {
    if (!mapping.empty()) {
      ::munmap(mapping.data(), mapping.size());
    }
  }
  int AttachSliceBo(drm_ember_attach_slice_bo &args) override {
    return Ioctl(DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &args, true);
  }
  // Not restarted once it waits (EMBER_EXECUTE_BO_WAIT): after EINTR its
  // BOs are queued, and a second call would find them so (EBUSY).
  int ExecuteBo(drm_ember_execute_bo &args, bool partial) override {
    return Ioctl(partial ? DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO : DRM_IOCTL_EMBER_EXECUTE_BO, &args,
                 (args.flags & EMBER_EXECUTE_BO_WAIT) == 0);
  }
  int WaitBo(drm_ember_wait_bo &args) override {
    return Ioctl(DRM_IOCTL_EMBER_WAIT_BO, &args, false);
  }
  int PerfStatsBo(drm_ember_perf_stats_bo &args) override {
    return Ioctl(DRM_IOCTL_EMBER_PERF_STATS_BO, &args, true);
  }
  int DetachSliceBo(drm_ember_detach_slice_bo &args) override {
    return Ioctl(DRM_IOCTL_EMBER_DETACH_SLICE_BO, &args, true);
  }

 private:
  // 0 or the errno of |request|; EINTR is retried if |restart| (every
  // ember ioctl fails without side effects, so a retry is safe).
  int Ioctl(unsigned long request, void *arg, bool restart) const {
    for (;;) {
      if (::ioctl(fd_.Get(), request, arg) == 0) {
        return 0;
      }
      const int err = errno;
      if (err != EINTR || !restart) {
        return err;
      }
    }
  }

  UniqueFd fd_;
};

struct VersionDeleter {
  void operator()(drmVersionPtr v) const { drmFreeVersion(v); }
};

}  // namespace

int Backend::CreateBo(drm_ember_create_bo & /*args*/) { return ENOTTY; }
int Backend::MmapBo(drm_ember_mmap_bo & /*args*/) { return ENOTTY; }
int Backend::CloseBo(std::uint32_t /*handle*/) { return ENOTTY; }
int Backend::Map(std::uint64_t /*offset*/, std::size_t /*size*/, std::span<std::byte> & /*out*/) {
  return ENOTTY;
}
void Backend::Unmap(std::span<std::byte> /*mapping*/) {}
int Backend::AttachSliceBo(drm_ember_attach_slice_bo & /*args*/) { return ENOTTY; }
int Backend::ExecuteBo(drm_ember_execute_bo & /*args*/, bool /*partial*/) { return ENOTTY; }
int Backend::WaitBo(drm_ember_wait_bo & /*args*/) { return ENOTTY; }
int Backend::PerfStatsBo(drm_ember_perf_stats_bo & /*args*/) { return ENOTTY; }
int Backend::DetachSliceBo(drm_ember_detach_slice_bo & /*args*/) { return ENOTTY; }

std::unique_ptr<Backend> MakeFdBackend(UniqueFd fd) {
  return std::make_unique<FdBackend>(std::move(fd));
}

ember_info ToInfo(const drm_ember_get_info &raw) {
  ember_info i{};
  i.abi_major = raw.abi_major;
  i.abi_minor = raw.abi_minor;
  i.abi_patch = raw.abi_patch;
  i.hw_version = raw.hw_version;
  i.pci_vendor = raw.pci_vendor;
  i.pci_device = raw.pci_device;
  i.fw_mgmt_version = raw.fw_mgmt_version;
  i.fw_dbc_version = raw.fw_dbc_version;
  i.fw_boot_version = raw.fw_boot_version;
  i.nnc_version = raw.nnc_version;
  i.num_dbcs = raw.num_dbcs;
  i.caps = raw.caps;
  i.devmem_size = raw.devmem_size;
  i.serial = raw.serial;
  i.irq_mode = raw.irq_mode;
  i.num_irq_vectors = raw.num_irq_vectors;
  i.vf_index = raw.vf_index;
  i.num_vfs = raw.num_vfs;
  return i;
}

OpenResult OpenNode(const std::string &node) {
  OpenResult r;
  r.fd.Reset(::open(node.c_str(), O_RDWR | O_CLOEXEC));
  if (!r.fd.Valid()) {
    const int err = errno;
    r.verdict = OpenResult::Verdict::kUnverified;
    r.status = ember_status_from_errno(err);
    r.message = node + ": " + ErrnoText(err);
    return r;
  }
  errno = 0;
  const std::unique_ptr<drmVersion, VersionDeleter> version(drmGetVersion(r.fd.Get()));
  if (!version) {
    const int err = errno != 0 ? errno : ENOTTY;
    r.verdict = OpenResult::Verdict::kNotEmber;
    r.status = err == ENOTTY ? EMBER_ERR_NOTTY : ember_status_from_errno(err);
    r.message = node + ": not a DRM node (DRM_IOCTL_VERSION: " + ErrnoText(err) + ")";
    r.fd.Reset();
    return r;
  }
  const std::string_view name(version->name, static_cast<std::size_t>(version->name_len));
  if (name != "ember") {
    r.verdict = OpenResult::Verdict::kNotEmber;
    r.status = EMBER_ERR_NODEV;
    r.message = node + ": a DRM node of driver \"" + std::string(name) + "\", not ember";
    r.fd.Reset();
    return r;
  }
  r.verdict = OpenResult::Verdict::kEmber;
  drm_ember_get_info raw{};
  if (drmIoctl(r.fd.Get(), DRM_IOCTL_EMBER_GET_INFO, &raw) != 0) {
    const int err = errno;
    r.status = ember_status_from_errno(err);
    r.message = node + ": DRM_IOCTL_EMBER_GET_INFO: " + ErrnoText(err);
    r.fd.Reset();
    return r;
  }
  r.info = ToInfo(raw);
  if (const std::string why = AbiMismatch(r.info); !why.empty()) {
    r.status = EMBER_ERR_UNSUPPORTED;
    r.message = node + ": " + why;
    r.fd.Reset();
    return r;
  }
  r.status = EMBER_OK;
  return r;
}

std::string AbiMismatch(const ember_info &info) {
  if (info.abi_major == EMBER_ABI_MAJOR) {
    return {};
  }
  return "the driver speaks ioctl ABI " + std::to_string(info.abi_major) + "." +
         std::to_string(info.abi_minor) + ", this libember " + EMBER_VERSION_STRING +
         " speaks ABI " + std::to_string(EMBER_ABI_MAJOR) +
         ".x: install a libember and an ember.ko of the same major (docs/uapi.md, "
         "\"Compatibility\")";
}

ember_status Manage(ember_device &dev, ManageBuffer &buf, const std::string &what) {
  if (buf.Count() == 0 || buf.Count() > EMBER_MANAGE_MAX_TRANS ||
      buf.Len() > EMBER_MANAGE_MAX_LEN) {
    return Fail(EMBER_ERR_INVALID, what + ": " + std::to_string(buf.Count()) + " transactions of " +
                                       std::to_string(buf.Len()) +
                                       " bytes do not fit one MANAGE call");
  }
  drm_ember_manage_msg msg{};
  msg.len = buf.Len();
  msg.count = buf.Count();
  msg.data = reinterpret_cast<std::uintptr_t>(buf.Data());
  const int err = dev.backend->Manage(msg);
  const std::size_t failed = buf.FirstFailure();
  if (err == 0) {
    if (failed != buf.Count()) {
      // The kernel must report a failed transaction with its errno.
      return Fail(EMBER_ERR_IO, what + ": MANAGE succeeded but transaction " +
                                    std::to_string(failed) + " has status " +
                                    ManageStatusName(buf.Status(failed)));
    }
    return EMBER_OK;
  }
  if (failed != buf.Count()) {
    return Fail(ember_status_from_errno(err),
                what + ": " + TransactionName(buf.Type(failed)) + " (transaction " +
                    std::to_string(failed) + ") failed with firmware status " +
                    ManageStatusName(buf.Status(failed)) + " (" + ErrnoText(err) + ")");
  }
  std::string call = what + ": DRM_IOCTL_EMBER_MANAGE";
  if ((err == EINVAL || err == ENOTTY) && dev.info.abi_major == 1 && dev.info.abi_minor == 0) {
    // MANAGE arrived with ioctl ABI 1.1: a 1.0 driver refuses the number.
    call += " (the driver reports ioctl ABI 1.0, which has no MANAGE)";
  }
  return FailErrno(err, call);
}

}  // namespace ember::detail

std::uint32_t ember_device::NextTag() {
  const std::lock_guard<std::mutex> lock(mu_);
  const std::uint32_t tag = next_tag_;
  next_tag_ = tag == 0xffffffffU ? ember::detail::kFirstLibraryTag : tag + 1;
  return tag;
}
