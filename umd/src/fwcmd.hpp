// The firmware command set carried in MANAGE PASSTHROUGH transactions
// (docs/nnc.md §15): encoding of requests, decoding and checking of
// replies, and host-side validation of workload descriptions.
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

namespace ember::detail::fw {

using Bytes = std::vector<std::uint8_t>;

// Command numbers (§15.1); a reply's cmd has kReplyBit set.
inline constexpr std::uint16_t kCmdEcho = 1;
inline constexpr std::uint16_t kCmdLoadWorkload = 2;
inline constexpr std::uint16_t kCmdUnloadWorkload = 3;
inline constexpr std::uint16_t kCmdQuery = 4;
inline constexpr std::uint16_t kReplyBit = 0x8000;

// Layout sizes (§15.1, §15.3 - §15.5).
inline constexpr std::size_t kHeaderLen = 8;
inline constexpr std::size_t kLoadFixedLen = 48;
inline constexpr std::size_t kRegionEntryLen = 8;
inline constexpr std::size_t kStepLen = 32;
inline constexpr std::size_t kLoadReplyFixedLen = 24;
inline constexpr std::size_t kUnloadLen = 16;
inline constexpr std::size_t kQueryLen = 56;
inline constexpr std::size_t kNameLen = 16;
inline constexpr std::size_t kAlign = 8;
// Largest PASSTHROUGH data (EMBER_MANAGE_PT_MAX).
inline constexpr std::size_t kPassthroughMax = 4048;
// Firmware rounds regions up to this (§15.2) and aligns their offsets.
inline constexpr std::uint64_t kRegionGranule = 4096;

// Bytes of a LOAD_WORKLOAD request for the given counts.
constexpr std::size_t LoadLen(std::size_t nregions, std::size_t nsteps) {
  return kLoadFixedLen + (kRegionEntryLen * nregions) + (kStepLen * nsteps);
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
