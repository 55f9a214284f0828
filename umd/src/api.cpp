// The exported C ABI (ember.h): argument checks, exception barrier, and
// dispatch to the operations in ops.cpp (control path) and buffer.cpp
// (data path).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "buffer.hpp"
#include "device.hpp"
#include "discovery.hpp"
#include "ember/ember.h"
#include "fwcmd.hpp"
#include "ops.hpp"
#include "status.hpp"

using ember::detail::Fail;
using ember::detail::Guarded;

namespace {

// EMBER_ERR_INVALID for a NULL argument, naming it.
ember_status Null(const char *function, const char *argument) {
  return Fail(EMBER_ERR_INVALID, std::string(function) + ": " + argument + " is NULL");
}

std::span<const std::uint8_t> Bytes(const void *data, std::size_t size) {
  return {static_cast<const std::uint8_t *>(data), size};
}

ember_status Publish(std::unique_ptr<ember_device> dev, ember_device **out) {
  *out = dev.release();
  return EMBER_OK;
}

}  // namespace

extern "C" {

const char *ember_version_string() { return EMBER_VERSION_STRING; }

ember_status ember_library_version(std::uint32_t *major, std::uint32_t *minor,
                                   std::uint32_t *patch) {
  if (major == nullptr || minor == nullptr || patch == nullptr) {
    return Null(__func__, "major, minor or patch");
  }
  *major = EMBER_VERSION_MAJOR;
  *minor = EMBER_VERSION_MINOR;
  *patch = EMBER_VERSION_PATCH;
  return EMBER_OK;
}

ember_status ember_device_count(std::size_t *count) {
  if (count == nullptr) {
    return Null(__func__, "count");
  }
  return Guarded(__func__, [&] {
    *count =
        ember::detail::Enumerate(ember::detail::Roots::FromEnv(), ember::detail::ProbeNode).size();
    return EMBER_OK;
  });
}

ember_status ember_device_list(ember_device_desc *out, std::size_t capacity, std::size_t *count) {
  if (out == nullptr || count == nullptr) {
    return Null(__func__, "out or count");
  }
  return Guarded(__func__, [&] {
    const auto found =
        ember::detail::Enumerate(ember::detail::Roots::FromEnv(), ember::detail::ProbeNode);
    const std::span<ember_device_desc> dst(out, capacity);
    for (std::size_t i = 0; i < found.size() && i < capacity; ++i) {
      ember::detail::FillDesc(found[i], dst[i]);
    }
    *count = found.size();
    return EMBER_OK;
  });
}

ember_status ember_device_open(std::size_t index, ember_device **out) {
  if (out == nullptr) {
    return Null(__func__, "out");
  }
  return Guarded(__func__, [&] {
    const auto found =
        ember::detail::Enumerate(ember::detail::Roots::FromEnv(), ember::detail::ProbeNode);
    if (index >= found.size()) {
      return Fail(EMBER_ERR_NOENT, "no ember device with index " + std::to_string(index) + " (" +
                                       std::to_string(found.size()) + " found)");
    }
    const auto &f = found[index];
    if (f.status != EMBER_OK) {
      return Fail(f.status, f.where.node.string() + ": " + ember_strerror(f.status));
    }
    std::unique_ptr<ember_device> dev;
    if (const ember_status st = ember::detail::OpenDevice(f.where, dev); st != EMBER_OK) {
      return st;
    }
    return Publish(std::move(dev), out);
  });
}

ember_status ember_device_open_bdf(const char *bdf, ember_device **out) {
  if (bdf == nullptr || out == nullptr) {
    return Null(__func__, "bdf or out");
  }
  return Guarded(__func__, [&] {
    const auto want = ember::detail::NormalizeBdf(bdf);
    if (!want) {
      return Fail(EMBER_ERR_INVALID,
                  std::string("\"") + bdf + "\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)");
    }
    for (const auto &c : ember::detail::ScanSysfs(ember::detail::Roots::FromEnv())) {
      if (c.bdf == *want) {
        std::unique_ptr<ember_device> dev;
        if (const ember_status st = ember::detail::OpenDevice(c, dev); st != EMBER_OK) {
          return st;
        }
        return Publish(std::move(dev), out);
      }
    }
    return Fail(EMBER_ERR_NOENT, "no ember accel device at PCI " + *want);
  });
}

ember_status ember_device_open_path(const char *node, ember_device **out) {
  if (node == nullptr || out == nullptr) {
    return Null(__func__, "node or out");
  }
  return Guarded(__func__, [&] {
    std::unique_ptr<ember_device> dev;
    const auto where =
        ember::detail::CandidateForNode(ember::detail::Roots::FromEnv(), std::string(node));
    if (const ember_status st = ember::detail::OpenDevice(where, dev); st != EMBER_OK) {
      return st;
    }
    return Publish(std::move(dev), out);
  });
}

ember_status ember_device_close(ember_device *dev) {
  if (dev == nullptr) {
    return Null(__func__, "dev");
  }
  const std::unique_ptr<ember_device> owned(dev);
  return EMBER_OK;
}

ember_status ember_device_describe(ember_device *dev, ember_device_desc *out) {
  if (dev == nullptr || out == nullptr) {
    return Null(__func__, "dev or out");
  }
  return Guarded(__func__, [&] {
    ember::detail::Found f;
    f.where = dev->where;
    f.status = EMBER_OK;
    f.info = dev->info;
    ember::detail::FillDesc(f, *out);
    return EMBER_OK;
  });
}

ember_status ember_device_get_info(ember_device *dev, ember_info *out) {
  if (dev == nullptr || out == nullptr) {
    return Null(__func__, "dev or out");
  }
  return Guarded(__func__, [&] {
    drm_ember_get_info raw{};
    if (const int err = dev->backend->GetInfo(raw); err != 0) {
      return ember::detail::FailErrno(err, "DRM_IOCTL_EMBER_GET_INFO");
    }
    *out = ember::detail::ToInfo(raw);
    return EMBER_OK;
  });
}

ember_status ember_device_fd(ember_device *dev, int *fd) {
  if (dev == nullptr || fd == nullptr) {
    return Null(__func__, "dev or fd");
  }
  const int v = dev->backend->Fd();
  if (v < 0) {
    return Fail(EMBER_ERR_UNSUPPORTED, "this device handle has no file descriptor");
  }
  *fd = v;
  return EMBER_OK;
}

ember_status ember_manage(ember_device *dev, void *transactions, std::uint32_t len,
                          std::uint32_t count) {
  if (dev == nullptr || transactions == nullptr) {
    return Null(__func__, "dev or transactions");
  }
  if (len == 0 || count == 0) {
    return Fail(EMBER_ERR_INVALID, "ember_manage: len and count must be non-zero");
  }
  return Guarded(__func__, [&] {
    drm_ember_manage_msg msg{};
    msg.len = len;
    msg.count = count;
    msg.data = reinterpret_cast<std::uintptr_t>(transactions);
    if (const int err = dev->backend->Manage(msg); err != 0) {
      return ember::detail::FailErrno(err, "DRM_IOCTL_EMBER_MANAGE");
    }
    return EMBER_OK;
  });
}

ember_status ember_nnc_status(ember_device *dev, ember_nnc_version *out) {
  if (dev == nullptr || out == nullptr) {
    return Null(__func__, "dev or out");
  }
  return Guarded(__func__, [&] { return ember::detail::NncStatus(*dev, *out); });
}

ember_status ember_echo(ember_device *dev, const void *payload, void *reply, std::size_t size) {
  if (dev == nullptr || payload == nullptr || reply == nullptr) {
    return Null(__func__, "dev, payload or reply");
  }
  return Guarded(__func__, [&] {
    return ember::detail::Echo(*dev, Bytes(payload, size),
                               std::span<std::uint8_t>(static_cast<std::uint8_t *>(reply), size));
  });
}

ember_status ember_dma_transfer(ember_device *dev, std::uint32_t tag, const void *data,
                                std::size_t size, std::uint64_t *received) {
  if (dev == nullptr || data == nullptr || received == nullptr) {
    return Null(__func__, "dev, data or received");
  }
  return Guarded(__func__,
                 [&] { return ember::detail::DmaTransfer(*dev, tag, data, size, *received); });
}

ember_status ember_workload_validate(const ember_workload_desc *desc) {
  if (desc == nullptr) {
    return Null(__func__, "desc");
  }
  return Guarded(__func__, [&] {
    std::string why;
    const ember_status st = ember::detail::fw::Validate(*desc, why);
    return st == EMBER_OK ? st : Fail(st, why);
  });
}

ember_status ember_workload_load(ember_device *dev, const ember_workload_desc *desc,
                                 ember_workload_info *out) {
  if (dev == nullptr || desc == nullptr || out == nullptr) {
    return Null(__func__, "dev, desc or out");
  }
  return Guarded(__func__, [&] { return ember::detail::LoadWorkload(*dev, *desc, {}, *out); });
}

ember_status ember_workload_load_image(ember_device *dev, const ember_workload_desc *desc,
                                       const void *image, std::size_t image_size,
                                       ember_workload_info *out) {
  if (dev == nullptr || desc == nullptr || image == nullptr || out == nullptr) {
    return Null(__func__, "dev, desc, image or out");
  }
  if (image_size == 0) {
    return Fail(EMBER_ERR_INVALID,
                "ember_workload_load_image: image_size is 0 (use ember_workload_load)");
  }
  return Guarded(__func__, [&] {
    return ember::detail::LoadWorkload(*dev, *desc, Bytes(image, image_size), *out);
  });
}

ember_status ember_workload_unload(ember_device *dev, std::uint32_t workload_id) {
  if (dev == nullptr) {
    return Null(__func__, "dev");
  }
  return Guarded(__func__, [&] { return ember::detail::UnloadWorkload(*dev, workload_id); });
}

ember_status ember_query(ember_device *dev, ember_resources *out) {
  if (dev == nullptr || out == nullptr) {
    return Null(__func__, "dev or out");
  }
  return Guarded(__func__, [&] { return ember::detail::Query(*dev, *out); });
}

ember_status ember_dbc_activate(ember_device *dev, std::uint32_t ring_size, std::uint32_t *dbc_id) {
  if (dev == nullptr || dbc_id == nullptr) {
    return Null(__func__, "dev or dbc_id");
  }
  return Guarded(__func__, [&] { return ember::detail::ActivateDbc(*dev, ring_size, *dbc_id); });
}

ember_status ember_dbc_deactivate(ember_device *dev, std::uint32_t dbc_id) {
  if (dev == nullptr) {
    return Null(__func__, "dev");
  }
  return Guarded(__func__, [&] { return ember::detail::DeactivateDbc(*dev, dbc_id); });
}

ember_status ember_bo_create(ember_device *dev, std::uint64_t size, std::uint32_t flags,
                             ember_bo **out) {
  if (dev == nullptr || out == nullptr) {
    return Null(__func__, "dev or out");
  }
  return Guarded(__func__, [&] {
    std::unique_ptr<ember_bo> bo;
    if (const ember_status st = ember::detail::CreateBo(*dev, size, flags, bo); st != EMBER_OK) {
      return st;
    }
    *out = bo.release();
    return EMBER_OK;
  });
}

ember_status ember_bo_destroy(ember_bo *bo) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  std::unique_ptr<ember_bo> owned(bo);
  return Guarded(__func__, [&] { return ember::detail::DestroyBo(std::move(owned)); });
}

ember_status ember_bo_mapping(ember_bo *bo, void **addr, std::uint64_t *size) {
  if (bo == nullptr || addr == nullptr || size == nullptr) {
    return Null(__func__, "bo, addr or size");
  }
  *addr = bo->map.Bytes().data();
  *size = bo->size;
  return EMBER_OK;
}

ember_status ember_bo_handle(ember_bo *bo, std::uint32_t *handle) {
  if (bo == nullptr || handle == nullptr) {
    return Null(__func__, "bo or handle");
  }
  *handle = bo->gem.Get();
  return EMBER_OK;
}

ember_status ember_bo_attach_slices(ember_bo *bo, std::uint32_t dbc_id, const ember_slice *slices,
                                    std::uint32_t count) {
  if (bo == nullptr || slices == nullptr) {
    return Null(__func__, "bo or slices");
  }
  return Guarded(__func__, [&] {
    return ember::detail::AttachSlices(*bo, dbc_id, std::span<const ember_slice>(slices, count));
  });
}

ember_status ember_bo_detach_slices(ember_bo *bo) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  return Guarded(__func__, [&] { return ember::detail::DetachSlices(*bo); });
}

ember_status ember_execute(ember_device *dev, const ember_execute_entry *entries,
                           std::uint32_t count) {
  if (dev == nullptr || entries == nullptr) {
    return Null(__func__, "dev or entries");
  }
  return Guarded(__func__, [&] {
    return ember::detail::Execute(*dev, std::span<const ember_execute_entry>(entries, count),
                                  false);
  });
}

ember_status ember_partial_execute(ember_device *dev, const ember_execute_entry *entries,
                                   std::uint32_t count) {
  if (dev == nullptr || entries == nullptr) {
    return Null(__func__, "dev or entries");
  }
  return Guarded(__func__, [&] {
    return ember::detail::Execute(*dev, std::span<const ember_execute_entry>(entries, count), true);
  });
}

ember_status ember_bo_execute(ember_bo *bo) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  const ember_execute_entry entry{bo, 0, 0};
  return Guarded(__func__, [&] { return ember::detail::Execute(bo->dev, {&entry, 1}, false); });
}

ember_status ember_bo_partial_execute(ember_bo *bo, std::uint32_t resize) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  const ember_execute_entry entry{bo, resize, 0};
  return Guarded(__func__, [&] { return ember::detail::Execute(bo->dev, {&entry, 1}, true); });
}

ember_status ember_execute_wait(ember_device *dev, const ember_execute_entry *entries,
                                std::uint32_t count, std::uint32_t timeout_ms,
                                std::uint32_t flags) {
  if (dev == nullptr || entries == nullptr) {
    return Null(__func__, "dev or entries");
  }
  const ember::detail::ExecuteWait wait{timeout_ms, flags};
  return Guarded(__func__, [&] {
    return ember::detail::Execute(*dev, std::span<const ember_execute_entry>(entries, count), false,
                                  &wait);
  });
}

ember_status ember_bo_execute_wait(ember_bo *bo, std::uint32_t timeout_ms, std::uint32_t flags) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  const ember_execute_entry entry{bo, 0, 0};
  const ember::detail::ExecuteWait wait{timeout_ms, flags};
  return Guarded(__func__, [&] {
    return ember::detail::Execute(bo->dev, {&entry, 1}, false, &wait);
  });
}

ember_status ember_bo_wait(ember_bo *bo, std::uint32_t timeout_ms) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  return Guarded(__func__, [&] { return ember::detail::Wait(*bo, timeout_ms, 0); });
}

ember_status ember_bo_wait_flags(ember_bo *bo, std::uint32_t timeout_ms, std::uint32_t flags) {
  if (bo == nullptr) {
    return Null(__func__, "bo");
  }
  return Guarded(__func__, [&] { return ember::detail::Wait(*bo, timeout_ms, flags); });
}

ember_status ember_bo_perf_stats(ember_bo *bo, ember_perf_stats *out) {
  if (bo == nullptr || out == nullptr) {
    return Null(__func__, "bo or out");
  }
  return Guarded(__func__, [&] { return ember::detail::PerfStats(*bo, *out); });
}

}  // extern "C"
