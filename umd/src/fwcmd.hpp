// The firmware command set carried in MANAGE PASSTHROUGH transactions
// (docs/nnc.md §15): encoding of requests, decoding and checking of
// replies, and host-side validation of workload descriptions.
//
// The format itself (command numbers, field offsets, sizes, limits and the
// little-endian accessors) is common/ember_fwcmd.h, shared with the
// firmware model and the driver; nothing of it is spelt again here.
//
// Pure byte manipulation: no ioctls, no file descriptors, no global state,
// so it is unit-tested on the host byte for byte against the spec.
#ifndef EMBER_SRC_FWCMD_HPP_
#define EMBER_SRC_FWCMD_HPP_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "ember_fwcmd.h"  // common/: never included by an installed header

namespace ember::detail::fw {

using Bytes = std::vector<std::uint8_t>;

// Bytes of a LOAD_WORKLOAD request (and of its reply) for the given counts.
constexpr std::size_t LoadLen(std::size_t nregions, std::size_t nsteps) {
  return EMBER_FW_LOAD_LEN(nregions, nsteps);
}

// Checks |desc| against every rule of §15.3 that needs no device. On
// failure returns EMBER_ERR_INVALID and sets |why| to a sentence naming
// the offending field.
ember_status Validate(const ember_workload_desc &desc, std::string &why);

// Name of an op for messages ("copy", "fill", "crc32", "gemm_i8", "op 9").
std::string OpName(std::uint8_t op);

// Requests. EncodeLoad expects a description that passed Validate().
Bytes EncodeEcho(std::span<const std::uint8_t> payload);
Bytes EncodeLoad(const ember_workload_desc &desc, std::uint32_t image_tag);
Bytes EncodeUnload(std::uint32_t workload_id);
Bytes EncodeQuery();

// Replies: |reply| is the PASSTHROUGH reply data (rsp_len bytes). Each
// returns EMBER_OK, or EMBER_ERR_IO with |why| set if the reply is
// malformed (wrong cmd, length, field values).
ember_status DecodeEcho(std::span<const std::uint8_t> reply, std::span<std::uint8_t> payload_out,
                        std::string &why);
ember_status DecodeLoad(std::span<const std::uint8_t> reply, std::uint32_t nregions,
                        ember_workload_info &out, std::string &why);
ember_status DecodeUnload(std::span<const std::uint8_t> reply, std::uint32_t workload_id,
                          std::string &why);
ember_status DecodeQuery(std::span<const std::uint8_t> reply, ember_resources &out,
                         std::string &why);

}  // namespace ember::detail::fw

#endif  // EMBER_SRC_FWCMD_HPP_
