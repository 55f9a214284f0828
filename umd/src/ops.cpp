// Typed control-path operations: each builds one MANAGE call, issues it
// and checks the reply.
#include "ops.hpp"

#include <algorithm>
#include <string>

#include "ember_nnc.h"
#include "fwcmd.hpp"
#include "status.hpp"

// ember.h spells these limits as numbers (it is installed, common/ is
// not); they are the firmware's.
static_assert(EMBER_RING_MIN == EMBER_NNC_RING_MIN);
static_assert(EMBER_RING_MAX == EMBER_NNC_RING_MAX);
static_assert(EMBER_ECHO_MAX == EMBER_NNC_PT_DATA_MAX - EMBER_FW_HDR_LEN);

namespace ember::detail {
namespace {

// Copies |s| into a fixed char array; false (and "") if it does not fit.
template <std::size_t N>
bool CopyString(char (&dst)[N], const std::string &s) {
  if (s.size() >= N) {
    dst[0] = '\0';
    return false;
  }
  std::copy(s.begin(), s.end(), dst);
  dst[s.size()] = '\0';
  return true;
}

bool IsPowerOfTwo(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Sends one firmware command in a PASSTHROUGH and returns its reply data.
ember_status Passthrough(ember_device &dev, const fw::Bytes &command, const std::string &what,
                         std::vector<std::uint8_t> &reply) {
  ManageBuffer buf;
  const std::size_t i = buf.AddPassthrough(command);
  if (const ember_status st = Manage(dev, buf, what); st != EMBER_OK) {
    return st;
  }
  const auto data = buf.PassthroughReply(i);
  reply.assign(data.begin(), data.end());
  return EMBER_OK;
}

}  // namespace

ember_status OpenDevice(const Candidate &where, std::unique_ptr<ember_device> &out) {
  OpenResult r = OpenNode(where.node.string());
  if (r.status != EMBER_OK) {
    return Fail(r.status, r.message);
  }
  out = std::make_unique<ember_device>(MakeFdBackend(std::move(r.fd)), where, r.info);
  return EMBER_OK;
}

void FillDesc(const Found &found, ember_device_desc &out) {
  out = ember_device_desc{};
  out.minor = found.where.minor;
  out.status = found.status;
  out.info = found.info;
  if (!CopyString(out.node, found.where.node.string()) ||
      !CopyString(out.sysfs, found.where.sysfs.string()) || !CopyString(out.bdf, found.where.bdf)) {
    out.status = EMBER_ERR_INVALID;  // a path longer than EMBER_PATH_MAX
    out.info = ember_info{};
  }
}

ember_status NncStatus(ember_device &dev, ember_nnc_version &out) {
  ManageBuffer buf;
  const std::size_t i = buf.AddStatus();
  if (const ember_status st = Manage(dev, buf, "STATUS"); st != EMBER_OK) {
    return st;
  }
  const auto t = buf.Get<drm_ember_manage_trans_status>(i);
  out = ember_nnc_version{};
  out.major = t.major;
  out.minor = t.minor;
  out.features = t.features;
  return EMBER_OK;
}

ember_status Echo(ember_device &dev, std::span<const std::uint8_t> payload,
                  std::span<std::uint8_t> reply) {
  if (payload.size() > EMBER_ECHO_MAX) {
    return Fail(EMBER_ERR_INVALID, "ECHO: payload of " + std::to_string(payload.size()) +
                                       " bytes, at most " + std::to_string(EMBER_ECHO_MAX));
  }
  std::vector<std::uint8_t> data;
  if (const ember_status st = Passthrough(dev, fw::EncodeEcho(payload), "ECHO", data);
      st != EMBER_OK) {
    return st;
  }
  std::string why;
  if (const ember_status st = fw::DecodeEcho(data, reply, why); st != EMBER_OK) {
    return Fail(st, why);
  }
  return EMBER_OK;
}

ember_status DmaTransfer(ember_device &dev, std::uint32_t tag, const void *data, std::size_t size,
                         std::uint64_t &received) {
  if (tag == 0 || tag >= kFirstLibraryTag) {
    return Fail(EMBER_ERR_INVALID, "DMA_XFER: tag " + std::to_string(tag) +
                                       " must be 1..0x7fffffff (0 names no image, higher "
                                       "tags are libember's own)");
  }
  if (size == 0 || size > EMBER_DMA_MAX) {
    return Fail(EMBER_ERR_INVALID, "DMA_XFER: size " + std::to_string(size) + " must be 1.." +
                                       std::to_string(EMBER_DMA_MAX));
  }
  ManageBuffer buf;
  const std::size_t i = buf.AddDmaXfer(tag, data, size);
  if (const ember_status st = Manage(dev, buf, "DMA_XFER"); st != EMBER_OK) {
    return st;
  }
  received = buf.Get<drm_ember_manage_trans_dma_xfer>(i).received;
  return EMBER_OK;
}

ember_status LoadWorkload(ember_device &dev, const ember_workload_desc &desc,
                          std::span<const std::uint8_t> image, ember_workload_info &out) {
  std::string why;
  if (fw::Validate(desc, why) != EMBER_OK) {
    return Fail(EMBER_ERR_INVALID, "LOAD_WORKLOAD: " + why);
  }
  for (std::uint32_t r = 0; r < desc.nregions && dev.info.devmem_size != 0; ++r) {
    if (desc.region_sizes[r] > dev.info.devmem_size) {
      return Fail(EMBER_ERR_INVALID, "LOAD_WORKLOAD: region " + std::to_string(r) + " of " +
                                         std::to_string(desc.region_sizes[r]) +
                                         " bytes is larger than the device memory (" +
                                         std::to_string(dev.info.devmem_size) + " bytes)");
    }
  }
  std::uint32_t tag = 0;
  ManageBuffer buf;
  std::size_t dma = 0;
  if (!image.empty()) {
    std::uint64_t capacity = 0;
    for (std::uint32_t r = 0; r < desc.nregions; ++r) {
      capacity = std::min<std::uint64_t>(capacity + desc.region_sizes[r], EMBER_DMA_MAX + 1);
    }
    if (image.size() > EMBER_DMA_MAX || image.size() > capacity) {
      return Fail(EMBER_ERR_INVALID,
                  "LOAD_WORKLOAD: image of " + std::to_string(image.size()) +
                      " bytes is larger than the regions together (" + std::to_string(capacity) +
                      " bytes) or than one DMA transfer (" + std::to_string(EMBER_DMA_MAX) + ")");
    }
    tag = dev.NextTag();
    dma = buf.AddDmaXfer(tag, image.data(), image.size());
  }
  const std::size_t load = buf.AddPassthrough(fw::EncodeLoad(desc, tag));
  if (const ember_status st = Manage(dev, buf, "LOAD_WORKLOAD"); st != EMBER_OK) {
    return st;
  }
  if (!image.empty()) {
    const std::uint64_t received = buf.Get<drm_ember_manage_trans_dma_xfer>(dma).received;
    if (received != image.size()) {
      return Fail(EMBER_ERR_IO, "LOAD_WORKLOAD: firmware received " + std::to_string(received) +
                                    " of " + std::to_string(image.size()) + " image bytes");
    }
  }
  ember_workload_info info{};
  const auto reply = buf.PassthroughReply(load);
  if (const ember_status st = fw::DecodeLoad(reply, desc.nregions, info, why); st != EMBER_OK) {
    return Fail(st, why);
  }
  if (info.image_bytes != image.size()) {
    return Fail(EMBER_ERR_IO, "LOAD_WORKLOAD reply: image_bytes " +
                                  std::to_string(info.image_bytes) + ", image was " +
                                  std::to_string(image.size()) + " bytes");
  }
  info.image_tag = tag;
  out = info;
  return EMBER_OK;
}

ember_status UnloadWorkload(ember_device &dev, std::uint32_t workload_id) {
  std::vector<std::uint8_t> reply;
  const std::string what = "UNLOAD_WORKLOAD " + std::to_string(workload_id);
  if (const ember_status st = Passthrough(dev, fw::EncodeUnload(workload_id), what, reply);
      st != EMBER_OK) {
    return st;
  }
  std::string why;
  if (const ember_status st = fw::DecodeUnload(reply, workload_id, why); st != EMBER_OK) {
    return Fail(st, why);
  }
  return EMBER_OK;
}

ember_status Query(ember_device &dev, ember_resources &out) {
  std::vector<std::uint8_t> reply;
  if (const ember_status st = Passthrough(dev, fw::EncodeQuery(), "QUERY", reply); st != EMBER_OK) {
    return st;
  }
  std::string why;
  if (const ember_status st = fw::DecodeQuery(reply, out, why); st != EMBER_OK) {
    return Fail(st, why);
  }
  return EMBER_OK;
}

ember_status ActivateDbc(ember_device &dev, std::uint32_t ring_size, std::uint32_t &dbc_id) {
  if (!IsPowerOfTwo(ring_size) || ring_size < EMBER_RING_MIN || ring_size > EMBER_RING_MAX) {
    return Fail(EMBER_ERR_INVALID,
                "ACTIVATE: ring size " + std::to_string(ring_size) + " is not a power of two in " +
                    std::to_string(EMBER_RING_MIN) + ".." + std::to_string(EMBER_RING_MAX));
  }
  ManageBuffer buf;
  const std::size_t i = buf.AddActivate(ring_size);
  if (const ember_status st = Manage(dev, buf, "ACTIVATE"); st != EMBER_OK) {
    return st;
  }
  dbc_id = buf.Get<drm_ember_manage_trans_activate>(i).dbc_id;
  return EMBER_OK;
}

ember_status DeactivateDbc(ember_device &dev, std::uint32_t dbc_id) {
  ManageBuffer buf;
  buf.AddDeactivate(dbc_id);
  return Manage(dev, buf, "DEACTIVATE DBC " + std::to_string(dbc_id));
}

}  // namespace ember::detail
