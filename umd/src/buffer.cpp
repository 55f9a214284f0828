// Buffer objects, slices, execution, waits and perf stats over the
// data-path ioctls (docs/datapath.md).
#include "buffer.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "status.hpp"

namespace ember::detail {
namespace {

constexpr std::uint32_t kByteMax = 0xff;

// ember_bo_wait_flags(): the flags libember knows, and the ioctl ABI minor
// that brought them (drm_ember_wait_bo.flags was a zero pad before).
static_assert(EMBER_WAIT_POLL == EMBER_WAIT_BO_POLL, "ember.h and the uAPI disagree");
constexpr std::uint32_t kWaitFlags = EMBER_WAIT_POLL;
constexpr std::uint32_t kWaitFlagsAbiMinor = 3;
// ember_execute_wait(): the ioctl ABI minor whose EXECUTE_BO waits itself
// (EMBER_EXECUTE_BO_WAIT); before it libember waits with WAIT_BO.
constexpr std::uint32_t kExecuteWaitAbiMinor = 4;

std::string Num(std::uint64_t v) { return std::to_string(v); }

// Wait |flags| a driver of ioctl ABI 1.0-1.2 cannot take (WAIT_BO's pad):
// the reason for EMBER_ERR_UNSUPPORTED, or "" where they are fine.
std::string WaitFlagsUnsupported(const ember_info &info, std::uint32_t flags) {
  if (flags == 0 || info.abi_major != 1 || info.abi_minor >= kWaitFlagsAbiMinor) {
    return "";
  }
  return "the driver reports ioctl ABI 1." + Num(info.abi_minor) +
         ", which has no wait flags (EMBER_WAIT_POLL needs ABI 1." + Num(kWaitFlagsAbiMinor) + ")";
}

std::string Hex(std::uint32_t v) {
  std::array<char, 16> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%x", v);
  return {buf.data(), static_cast<std::size_t>(n > 0 ? n : 0)};
}

const char *OpName(std::uint32_t op) {
  switch (op) {
    case EMBER_SLICE_OP_COPY:
      return "COPY";
    case EMBER_SLICE_OP_FILL:
      return "FILL";
    case EMBER_SLICE_OP_CRC32:
      return "CRC32";
    case EMBER_SLICE_OP_GEMM_I8:
      return "GEMM_I8";
    default:
      return "op ?";
  }
}

const char *DirName(std::uint32_t dir) {
  switch (dir) {
    case EMBER_SLICE_TO_DEV:
      return "TO_DEV";
    case EMBER_SLICE_FROM_DEV:
      return "FROM_DEV";
    default:
      return "dir ?";
  }
}

// "" if device memory [off, off + len) lies in |devmem| bytes (0: unknown).
std::string DevRange(const char *what, std::uint64_t off, std::uint64_t len, std::uint64_t devmem) {
  if (off > std::numeric_limits<std::uint64_t>::max() - len) {
    return std::string(what) + " at " + Num(off) + " + " + Num(len) + " bytes overflows";
  }
  if (devmem != 0 && off + len > devmem) {
    return std::string(what) + " [" + Num(off) + ", +" + Num(len) +
           ") is outside the device memory (" + Num(devmem) + " bytes)";
  }
  return {};
}

// Fails with |err| for |what|, adding a hint on what the errno means here.
ember_status FailIoctl(int err, const std::string &what, const std::string &hint) {
  if (hint.empty()) {
    return FailErrno(err, what);
  }
  return Fail(ember_status_from_errno(err), what + ": " + ErrnoText(err) + " (" + hint + ")");
}

// A hint for a driver that predates the data path (ioctl ABI 1.2).
std::string OldDriver(const ember_device &dev, int err) {
  if ((err == EINVAL || err == ENOTTY) && dev.info.abi_major == 1 && dev.info.abi_minor < 2) {
    return "the driver reports ioctl ABI 1." + Num(dev.info.abi_minor) + ", which has no data path";
  }
  return {};
}

}  // namespace

std::uint64_t PageSize() {
  const long page = ::sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<std::uint64_t>(page) : 4096;
}

std::string CheckSlice(const ember_slice &s, std::uint64_t bo_size, std::uint64_t devmem_size) {
  if (s.op < EMBER_SLICE_OP_COPY || s.op > EMBER_SLICE_OP_GEMM_I8) {
    return "op " + Num(s.op) + " is not COPY, FILL, CRC32 or GEMM_I8";
  }
  if (s.dir != EMBER_SLICE_TO_DEV && s.dir != EMBER_SLICE_FROM_DEV) {
    return "dir " + Num(s.dir) + " is not TO_DEV or FROM_DEV";
  }
  if (s.reserved != 0) {
    return "reserved must be 0";
  }
  if (s.op != EMBER_SLICE_OP_GEMM_I8 && (s.m != 0 || s.n != 0 || s.k != 0)) {
    return "m, n and k must be 0 (they are GEMM_I8's)";
  }
  const bool fill_dev = s.op == EMBER_SLICE_OP_FILL && s.dir == EMBER_SLICE_TO_DEV;
  if (s.offset > std::numeric_limits<std::uint64_t>::max() - s.size) {
    return "offset " + Num(s.offset) + " + size " + Num(s.size) + " overflows";
  }
  if (!fill_dev && s.offset + s.size > bo_size) {
    return "BO bytes [" + Num(s.offset) + ", +" + Num(s.size) + ") do not fit the " + Num(bo_size) +
           "-byte BO";
  }
  switch (s.op) {
    case EMBER_SLICE_OP_COPY:
      if (s.size == 0) {
        return "size is 0";
      }
      if (s.dev_aux != 0 || s.dev_out != 0) {
        return "dev_aux and dev_out must be 0";
      }
      return DevRange("device memory", s.dev_offset, s.size, devmem_size);
    case EMBER_SLICE_OP_FILL:
      if (s.size == 0) {
        return "size is 0";
      }
      if (s.dev_aux > kByteMax) {
        return "pattern (dev_aux) " + Num(s.dev_aux) + " is not a byte";
      }
      if (s.dev_out != 0) {
        return "dev_out must be 0";
      }
      if (fill_dev) {
        if (s.offset != 0) {
          return "offset must be 0 (FILL TO_DEV does not touch the BO)";
        }
        return DevRange("device memory", s.dev_offset, s.size, devmem_size);
      }
      if (s.dev_offset != 0) {
        return "dev_offset must be 0 (FILL FROM_DEV fills the BO)";
      }
      return {};
    case EMBER_SLICE_OP_CRC32:
      if (s.dir != EMBER_SLICE_FROM_DEV) {
        return "CRC32 must be FROM_DEV (its result goes to the BO)";
      }
      if (s.size != 4 || s.offset % 4 != 0) {
        return "the result takes 4 bytes (size 4) at an offset that is a multiple of 4";
      }
      if (s.dev_out != 0) {
        return "dev_out must be 0";
      }
      if (s.dev_aux == 0 || s.dev_aux > EMBER_CRC32_LEN_MAX) {
        return "length (dev_aux) " + Num(s.dev_aux) + " must be 1.." + Num(EMBER_CRC32_LEN_MAX);
      }
      return DevRange("device memory", s.dev_offset, s.dev_aux, devmem_size);
    default: {  // EMBER_SLICE_OP_GEMM_I8
      if (s.dir != EMBER_SLICE_TO_DEV) {
        return "GEMM_I8 must be TO_DEV (it works in device memory)";
      }
      if (s.offset != 0 || s.size != 0) {
        return "offset and size must be 0 (GEMM_I8 does not touch the BO)";
      }
      if (s.m == 0 || s.n == 0 || s.k == 0 || s.m > EMBER_GEMM_MAX || s.n > EMBER_GEMM_MAX ||
          s.k > EMBER_GEMM_MAX) {
        return "shape " + Num(s.m) + "x" + Num(s.n) + "x" + Num(s.k) + " (m x n x k) is not 1.." +
               Num(EMBER_GEMM_MAX) + " each";
      }
      const std::uint64_t a = std::uint64_t{s.m} * s.k;
      const std::uint64_t b = std::uint64_t{s.k} * s.n;
      const std::uint64_t c = std::uint64_t{s.m} * s.n * 4;
      for (const std::string &why :
           {DevRange("A", s.dev_offset, a, devmem_size), DevRange("B", s.dev_aux, b, devmem_size),
            DevRange("C", s.dev_out, c, devmem_size)}) {
        if (!why.empty()) {
          return why;
        }
      }
      return {};
    }
  }
}

drm_ember_slice ToUapi(const ember_slice &s) {
  drm_ember_slice u{};
  u.offset = s.offset;
  u.size = s.size;
  u.dev_offset = s.dev_offset;
  u.dev_aux = s.dev_aux;
  u.dev_out = s.dev_out;
  u.op = s.op;
  u.dir = s.dir;
  u.m = s.m;
  u.n = s.n;
  u.k = s.k;
  u.pad = s.reserved;
  return u;
}

ember_status CreateBo(ember_device &dev, std::uint64_t size, std::uint32_t flags,
                      std::unique_ptr<ember_bo> &out) {
  if (flags != 0) {
    return Fail(EMBER_ERR_INVALID, "CREATE_BO: flags must be 0");
  }
  if (size == 0 || size > EMBER_BO_SIZE_MAX) {
    return Fail(EMBER_ERR_INVALID,
                "CREATE_BO: size " + Num(size) + " must be 1.." + Num(EMBER_BO_SIZE_MAX));
  }
  const std::uint64_t page = PageSize();
  const std::uint64_t rounded = (size + page - 1) / page * page;
  if (rounded > std::numeric_limits<std::size_t>::max()) {
    return Fail(EMBER_ERR_INVALID, "CREATE_BO: " + Num(size) + " bytes cannot be mapped");
  }
  drm_ember_create_bo create{};
  create.size = size;
  if (const int err = dev.backend->CreateBo(create); err != 0) {
    return FailIoctl(err, "DRM_IOCTL_EMBER_CREATE_BO of " + Num(size) + " bytes",
                     OldDriver(dev, err));
  }
  BoHandle handle(*dev.backend, create.handle);  // closed again on failure
  drm_ember_mmap_bo mmap_bo{};
  mmap_bo.handle = create.handle;
  if (const int err = dev.backend->MmapBo(mmap_bo); err != 0) {
    return FailErrno(err, "DRM_IOCTL_EMBER_MMAP_BO");
  }
  std::span<std::byte> bytes;
  if (const int err = dev.backend->Map(mmap_bo.offset, static_cast<std::size_t>(rounded), bytes);
      err != 0) {
    return FailErrno(err, "mmap of a " + Num(rounded) + "-byte BO");
  }
  BoMapping mapping(*dev.backend, bytes);  // unmapped again on failure
  out = std::make_unique<ember_bo>(dev, create.handle, rounded, bytes);
  // |out| owns both now.
  handle.Release();
  mapping.Release();
  return EMBER_OK;
}

ember_status DestroyBo(std::unique_ptr<ember_bo> bo) {
  bo->map.Reset();
  if (const int err = bo->gem.Close(); err != 0) {
    return FailErrno(err, "DRM_IOCTL_GEM_CLOSE of BO " + Num(bo->gem.Get()));
  }
  return EMBER_OK;
}

ember_status AttachSlices(ember_bo &bo, std::uint32_t dbc_id, std::span<const ember_slice> slices) {
  if (slices.empty() || slices.size() > EMBER_BO_SLICES_MAX) {
    return Fail(EMBER_ERR_INVALID, "ATTACH_SLICE_BO: " + Num(slices.size()) +
                                       " slices, must be 1.." + Num(EMBER_BO_SLICES_MAX));
  }
  std::vector<drm_ember_slice> raw;
  raw.reserve(slices.size());
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const ember_slice &s = slices[i];
    if (const std::string why = CheckSlice(s, bo.size, bo.dev.info.devmem_size); !why.empty()) {
      return Fail(EMBER_ERR_INVALID, "ATTACH_SLICE_BO: slice " + Num(i) + " (" + OpName(s.op) +
                                         " " + DirName(s.dir) + "): " + why);
    }
    raw.push_back(ToUapi(s));
  }
  drm_ember_attach_slice_bo args{};
  args.handle = bo.gem.Get();
  args.dbc_id = dbc_id;
  args.count = static_cast<std::uint32_t>(raw.size());
  args.slices = reinterpret_cast<std::uintptr_t>(raw.data());
  if (const int err = bo.dev.backend->AttachSliceBo(args); err != 0) {
    std::string hint;
    switch (err) {
      case EINVAL:
        hint = "the slices need more DBC requests than the ring of DBC " + Num(dbc_id) +
               " holds, or the driver refused a slice";
        break;
      case ENOENT:
        hint = "DBC " + Num(dbc_id) + " is not an active DBC of this client";
        break;
      case EPERM:
        hint = "DBC " + Num(dbc_id) + " belongs to another client";
        break;
      case EBUSY:
        hint = "the BO is already sliced: detach its slices first";
        break;
      case ENODEV:
        hint = "DBC " + Num(dbc_id) + " was lost to a reset";
        break;
      default:
        break;
    }
    return FailIoctl(err,
                     "DRM_IOCTL_EMBER_ATTACH_SLICE_BO (" + Num(slices.size()) + " slices, DBC " +
                         Num(dbc_id) + ")",
                     hint);
  }
  return EMBER_OK;
}

ember_status DetachSlices(ember_bo &bo) {
  drm_ember_detach_slice_bo args{};
  args.handle = bo.gem.Get();
  if (const int err = bo.dev.backend->DetachSliceBo(args); err != 0) {
    std::string hint;
    if (err == EBUSY) {
      hint = "an execution of the BO is still queued: wait for it first";
    } else if (err == EINVAL) {
      hint = "the BO is not sliced";
    }
    return FailIoctl(err, "DRM_IOCTL_EMBER_DETACH_SLICE_BO", hint);
  }
  return EMBER_OK;
}

namespace {

// The hint for an error of EXECUTE_BO's wait (EMBER_EXECUTE_BO_WAIT),
// after which the BOs are queued; "" for the errors of queuing them.
std::string ExecuteWaitHint(int err, std::uint32_t timeout_ms) {
  switch (err) {
    case ETIMEDOUT:
      return (timeout_ms == 0 ? std::string("the driver's default timeout")
                              : Num(timeout_ms) + " ms") +
             " passed: the BOs are queued, wait for them with ember_bo_wait()";
    case EINTR:
      return "a signal came while waiting: the BOs are queued, wait for them with "
             "ember_bo_wait()";
    case EIO:
      return "a request failed on the device (ember_bo_wait() on each BO tells which)";
    case ECANCELED:
      return "the DBC was deactivated or reset before the BOs completed";
    default:
      return "";
  }
}

// ember_execute_wait() on a driver older than ABI 1.4: EXECUTE_BO, then
// WAIT_BO on each BO, as the driver's own wait does (the first failure,
// but a timeout or a signal stops the waits).
ember_status ExecuteThenWait(ember_device &dev, std::span<const ember_execute_entry> entries,
                             bool partial, const ExecuteWait &wait) {
  // Refused before anything is queued, not by the first wait after it.
  if (const std::string why = WaitFlagsUnsupported(dev.info, wait.flags); !why.empty()) {
    return Fail(EMBER_ERR_UNSUPPORTED, "EXECUTE_BO with a wait: " + why + ": nothing was queued");
  }
  if (const ember_status st = Execute(dev, entries, partial); st != EMBER_OK) {
    return st;
  }
  ember_status ret = EMBER_OK;
  for (const ember_execute_entry &e : entries) {
    const ember_status st = Wait(*e.bo, wait.timeout_ms, wait.flags);
    if (st == EMBER_ERR_TIMEDOUT || st == EMBER_ERR_INTR) {
      return st;
    }
    if (ret == EMBER_OK) {
      ret = st;
    }
  }
  return ret;
}

}  // namespace

ember_status Execute(ember_device &dev, std::span<const ember_execute_entry> entries, bool partial,
                     const ExecuteWait *wait) {
  const char *what = partial ? "PARTIAL_EXECUTE_BO" : "EXECUTE_BO";
  if (entries.empty() || entries.size() > EMBER_EXECUTE_MAX) {
    return Fail(EMBER_ERR_INVALID, std::string(what) + ": " + Num(entries.size()) +
                                       " BOs, must be 1.." + Num(EMBER_EXECUTE_MAX));
  }
  if (wait != nullptr && (wait->flags & ~kWaitFlags) != 0) {
    return Fail(EMBER_ERR_INVALID, std::string(what) + ": unknown wait flags 0x" +
                                       Hex(wait->flags & ~kWaitFlags) +
                                       " (known: EMBER_WAIT_POLL)");
  }
  std::array<drm_ember_execute_entry, EMBER_EXECUTE_MAX> raw{};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ember_execute_entry &e = entries[i];
    // Built only for an error: this loop runs for every job.
    const auto where = [&] { return std::string(what) + ": entry " + Num(i) + ": "; };
    if (e.bo == nullptr) {
      return Fail(EMBER_ERR_INVALID, where() + "bo is NULL");
    }
    if (&e.bo->dev != &dev) {
      return Fail(EMBER_ERR_INVALID, where() + "the BO belongs to another device handle");
    }
    if (e.reserved != 0) {
      return Fail(EMBER_ERR_INVALID, where() + "reserved must be 0");
    }
    if (!partial && e.resize != 0) {
      return Fail(EMBER_ERR_INVALID, where() + "resize must be 0 (use partial execute)");
    }
    if (e.resize > e.bo->size) {
      return Fail(EMBER_ERR_INVALID, where() + "resize " + Num(e.resize) + " is larger than the " +
                                         Num(e.bo->size) + "-byte BO");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (entries[j].bo == e.bo) {
        return Fail(EMBER_ERR_INVALID, where() + "the BO is also entry " + Num(j));
      }
    }
    raw[i].handle = e.bo->gem.Get();
    raw[i].resize = e.resize;
  }
  drm_ember_execute_bo args{};
  args.count = static_cast<std::uint32_t>(entries.size());
  args.entries = reinterpret_cast<std::uintptr_t>(raw.data());
  if (wait != nullptr) {
    if (dev.info.abi_major == 1 && dev.info.abi_minor < kExecuteWaitAbiMinor) {
      return ExecuteThenWait(dev, entries, partial, *wait);
    }
    args.flags =
        EMBER_EXECUTE_BO_WAIT | ((wait->flags & EMBER_WAIT_POLL) != 0 ? EMBER_EXECUTE_BO_POLL : 0);
    args.timeout_ms = wait->timeout_ms;
  }
  if (const int err = dev.backend->ExecuteBo(args, partial); err != 0) {
    std::string hint = wait != nullptr ? ExecuteWaitHint(err, wait->timeout_ms) : "";
    switch (hint.empty() ? err : 0) {
      case EINVAL:
        hint = partial ? "a BO is not sliced, or a resize leaves it no request to run"
                       : "a BO is not sliced";
        break;
      case ENOENT:
        hint = "the DBC a BO is sliced for is no longer active for this client";
        break;
      case EBUSY:
        hint = "a BO is still queued: wait for it first";
        break;
      case EAGAIN:
        hint = "the DBC's ring is full now";
        break;
      default:
        break;
    }
    return FailIoctl(
        err, "DRM_IOCTL_EMBER_" + std::string(what) + " of " + Num(entries.size()) + " BO(s)",
        hint);
  }
  return EMBER_OK;
}

ember_status Wait(ember_bo &bo, std::uint32_t timeout_ms, std::uint32_t flags) {
  if ((flags & ~kWaitFlags) != 0) {
    return Fail(EMBER_ERR_INVALID, "WAIT_BO: unknown flags 0x" + Hex(flags & ~kWaitFlags) +
                                       " (known: EMBER_WAIT_POLL)");
  }
  if (const std::string why = WaitFlagsUnsupported(bo.dev.info, flags); !why.empty()) {
    return Fail(EMBER_ERR_UNSUPPORTED, "WAIT_BO: " + why + ": wait without them");
  }
  drm_ember_wait_bo args{};
  args.handle = bo.gem.Get();
  args.timeout_ms = timeout_ms;
  args.flags = flags;
  if (const int err = bo.dev.backend->WaitBo(args); err != 0) {
    std::string hint;
    switch (err) {
      case ETIMEDOUT:
        hint = timeout_ms == 0 ? "the execution is still queued after the driver's default timeout"
                               : "the execution is still queued after " + Num(timeout_ms) + " ms";
        break;
      case EIO:
        hint = "a request of the execution failed on the device";
        break;
      case ECANCELED:
        hint = "the DBC was deactivated or reset before the execution completed";
        break;
      case EINVAL:
        hint = flags != 0 ? "the BO is not sliced, or the driver refuses the flags"
                          : "the BO is not sliced";
        break;
      default:
        break;
    }
    return FailIoctl(err, "DRM_IOCTL_EMBER_WAIT_BO", hint);
  }
  return EMBER_OK;
}

ember_status PerfStats(ember_bo &bo, ember_perf_stats &out) {
  drm_ember_perf_stats_entry entry{};
  entry.handle = bo.gem.Get();
  drm_ember_perf_stats_bo args{};
  args.count = 1;
  args.entries = reinterpret_cast<std::uintptr_t>(&entry);
  if (const int err = bo.dev.backend->PerfStatsBo(args); err != 0) {
    return FailErrno(err, "DRM_IOCTL_EMBER_PERF_STATS_BO");
  }
  out = ember_perf_stats{};
  out.submit_ts = entry.submit_ts;
  out.device_ns = entry.device_ns;
  out.done_ts = entry.done_ts;
  out.queue_level = entry.queue_level;
  return EMBER_OK;
}

}  // namespace ember::detail
