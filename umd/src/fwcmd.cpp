// Firmware commands of docs/nnc.md §15: encoding, reply decoding and
// workload validation. All fields little-endian, written byte by byte.
#include "fwcmd.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

namespace ember::detail::fw {
namespace {

void Put8(Bytes &b, std::size_t off, std::uint8_t v) { b.at(off) = v; }

void Put16(Bytes &b, std::size_t off, std::uint16_t v) {
  b.at(off) = static_cast<std::uint8_t>(v);
  b.at(off + 1) = static_cast<std::uint8_t>(v >> 8U);
}

void Put32(Bytes &b, std::size_t off, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) {
    b.at(off + i) = static_cast<std::uint8_t>(v >> (8U * i));
  }
}

void Put64(Bytes &b, std::size_t off, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) {
    b.at(off + i) = static_cast<std::uint8_t>(v >> (8U * i));
  }
}

std::uint64_t GetLe(std::span<const std::uint8_t> b, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v |= static_cast<std::uint64_t>(b[off + i]) << (8U * i);
  }
  return v;
}

std::uint16_t Get16(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint16_t>(GetLe(b, off, 2));
}

std::uint32_t Get32(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint32_t>(GetLe(b, off, 4));
}

std::uint64_t Get64(std::span<const std::uint8_t> b, std::size_t off) { return GetLe(b, off, 8); }

// A command of |len| bytes (a multiple of 8) starting with its header.
Bytes NewCommand(std::uint16_t cmd, std::size_t len) {
  Bytes b(len, 0);
  Put16(b, 0, cmd);
  Put16(b, 2, 0);
  Put32(b, 4, static_cast<std::uint32_t>(len));
  return b;
}

std::size_t AlignUp(std::size_t v) { return (v + kAlign - 1) & ~(kAlign - 1); }

const char *CommandName(std::uint16_t cmd) {
  switch (cmd) {
    case kCmdEcho:
      return "ECHO";
    case kCmdLoadWorkload:
      return "LOAD_WORKLOAD";
    case kCmdUnloadWorkload:
      return "UNLOAD_WORKLOAD";
    case kCmdQuery:
      return "QUERY";
    default:
      return "command";
  }
}

// The checks every reply shares (§15.1): cmd | 0x8000, flags 0, len equal
// to the reply data length, and at least |min_len| bytes.
ember_status CheckReplyHeader(std::span<const std::uint8_t> reply, std::uint16_t cmd,
                              std::size_t min_len, std::string &why) {
  const std::string name = std::string(CommandName(cmd)) + " reply: ";
  if (reply.size() < min_len) {
    why = name + std::to_string(reply.size()) + " bytes, expected at least " +
          std::to_string(min_len);
    return EMBER_ERR_IO;
  }
  const std::uint16_t got_cmd = Get16(reply, 0);
  if (got_cmd != (cmd | kReplyBit)) {
    why = name + "cmd " + std::to_string(got_cmd) + ", expected " + std::to_string(cmd | kReplyBit);
    return EMBER_ERR_IO;
  }
  if (Get16(reply, 2) != 0) {
    why = name + "non-zero flags";
    return EMBER_ERR_IO;
  }
  const std::uint32_t len = Get32(reply, 4);
  if (len != reply.size() || len % kAlign != 0) {
    why = name + "header len " + std::to_string(len) + " but " + std::to_string(reply.size()) +
          " bytes of reply data";
    return EMBER_ERR_IO;
  }
  return EMBER_OK;
}

std::string OperandName(std::uint8_t kind, std::uint8_t index) {
  switch (kind) {
    case EMBER_OPERAND_NONE:
      return "none";
    case EMBER_OPERAND_INPUT:
      return "input " + std::to_string(index);
    case EMBER_OPERAND_OUTPUT:
      return "output " + std::to_string(index);
    case EMBER_OPERAND_REGION:
      return "region " + std::to_string(index);
    default:
      return "operand kind " + std::to_string(kind);
  }
}

// How a step uses one of its operands.
enum class Use : std::uint8_t {
  kNone,      // must be EMBER_OPERAND_NONE with index 0
  kRequired,  // must name a slice or region
  kOptional,  // either
  kPattern,   // FILL's aux: kind none, the index is the pattern byte
};

class StepChecker {
 public:
  StepChecker(const ember_workload_desc &desc, std::uint32_t i, std::string &why)
      : desc_(desc),
        step_(desc.steps[i]),
        prefix_("step " + std::to_string(i) + " (" + OpName(step_.op) + "): "),
        why_(why) {}

  bool Run() {
    switch (step_.op) {
      case EMBER_SLICE_OP_COPY:
        return Operands(Use::kRequired, Use::kRequired, Use::kNone) && NoShape() && CopyExtents();
      case EMBER_SLICE_OP_FILL:
        return Operands(Use::kNone, Use::kRequired, Use::kPattern) && NoShape() &&
               (step_.len == 0 || Fits("dst", step_.dst_kind, step_.dst_index, step_.len));
      case EMBER_SLICE_OP_CRC32:
        return Operands(Use::kRequired, Use::kOptional, Use::kNone) && NoShape() &&
               (step_.len == 0 || Fits("src", step_.src_kind, step_.src_index, step_.len)) &&
               Fits("dst", step_.dst_kind, step_.dst_index, 4);
      case EMBER_SLICE_OP_GEMM_I8:
        return Operands(Use::kRequired, Use::kRequired, Use::kRequired) && GemmShape();
      default:
        return Error("unknown op " + std::to_string(step_.op) +
                     " (copy 1, fill 2, crc32 3, gemm_i8 4)");
    }
  }

 private:
  bool Error(const std::string &what) {
    why_ = prefix_ + what;
    return false;
  }

  bool Operands(Use src, Use dst, Use aux) {
    if (step_.reserved != 0) {
      return Error("reserved byte must be 0");
    }
    if (!Operand("src", step_.src_kind, step_.src_index, src) ||
        !Operand("dst", step_.dst_kind, step_.dst_index, dst) ||
        !Operand("aux", step_.aux_kind, step_.aux_index, aux)) {
      return false;
    }
    if (step_.dst_kind == EMBER_OPERAND_INPUT) {
      return Error("dst " + OperandName(step_.dst_kind, step_.dst_index) +
                   ": an input slice cannot be a destination");
    }
    return true;
  }

  bool Operand(const char *role, std::uint8_t kind, std::uint8_t index, Use use) {
    const std::string r(role);
    if (kind > EMBER_OPERAND_REGION) {
      return Error(r + " operand kind " + std::to_string(kind) +
                   " is unknown (none 0, input 1, output 2, region 3)");
    }
    if (kind == EMBER_OPERAND_NONE) {
      if (use == Use::kRequired) {
        return Error(r + " operand is required");
      }
      if (use != Use::kPattern && index != 0) {
        return Error(r + " operand is none but its index is " + std::to_string(index) +
                     " (must be 0)");
      }
      return true;
    }
    if (use == Use::kNone || use == Use::kPattern) {
      return Error(r + " operand must be none, not " + OperandName(kind, index));
    }
    std::uint32_t count = 0;
    const char *what = "";
    switch (kind) {
      case EMBER_OPERAND_INPUT:
        count = desc_.ninputs;
        what = " input(s)";
        break;
      case EMBER_OPERAND_OUTPUT:
        count = desc_.noutputs;
        what = " output(s)";
        break;
      default:
        count = desc_.nregions;
        what = " region(s)";
        break;
    }
    if (index >= count) {
      return Error(r + " " + OperandName(kind, index) + " is out of range: the workload has " +
                   std::to_string(count) + what);
    }
    return true;
  }

  bool NoShape() {
    if (step_.m != 0 || step_.n != 0 || step_.k != 0) {
      return Error("m, n and k must be 0 (they are for gemm_i8 only)");
    }
    return true;
  }

  // A region operand must hold |bytes|; slices are sized at execution time.
  bool Fits(const char *role, std::uint8_t kind, std::uint8_t index, std::uint64_t bytes) {
    if (kind != EMBER_OPERAND_REGION) {
      return true;
    }
    const std::uint64_t size = desc_.region_sizes[index];
    if (bytes > size) {
      return Error(std::string(role) + " " + OperandName(kind, index) + ": " +
                   std::to_string(bytes) + " bytes do not fit its " + std::to_string(size) +
                   " bytes");
    }
    return true;
  }

  bool CopyExtents() {
    std::optional<std::uint64_t> bytes;
    if (step_.len != 0) {
      bytes = step_.len;
    } else if (step_.src_kind == EMBER_OPERAND_REGION) {
      bytes = desc_.region_sizes[step_.src_index];
    }
    if (!bytes) {
      return true;
    }
    return Fits("src", step_.src_kind, step_.src_index, *bytes) &&
           Fits("dst", step_.dst_kind, step_.dst_index, *bytes);
  }

  bool GemmShape() {
    if (step_.len != 0) {
      return Error("len must be 0 (the shape is m, n, k)");
    }
    const std::uint32_t m = step_.m;
    const std::uint32_t n = step_.n;
    const std::uint32_t k = step_.k;
    if (m == 0 || n == 0 || k == 0 || m > EMBER_GEMM_MAX || n > EMBER_GEMM_MAX ||
        k > EMBER_GEMM_MAX) {
      return Error("m, n, k = " + std::to_string(m) + ", " + std::to_string(n) + ", " +
                   std::to_string(k) + ": each must be 1.." + std::to_string(EMBER_GEMM_MAX));
    }
    const std::uint64_t a = std::uint64_t{m} * k;
    const std::uint64_t b = std::uint64_t{k} * n;
    const std::uint64_t c = std::uint64_t{m} * n * 4;
    return Fits("src (A)", step_.src_kind, step_.src_index, a) &&
           Fits("aux (B)", step_.aux_kind, step_.aux_index, b) &&
           Fits("dst (C)", step_.dst_kind, step_.dst_index, c);
  }

  const ember_workload_desc &desc_;
  const ember_step &step_;
  std::string prefix_;
  std::string &why_;
};

}  // namespace

std::string OpName(std::uint8_t op) {
  switch (op) {
    case EMBER_SLICE_OP_COPY:
      return "copy";
    case EMBER_SLICE_OP_FILL:
      return "fill";
    case EMBER_SLICE_OP_CRC32:
      return "crc32";
    case EMBER_SLICE_OP_GEMM_I8:
      return "gemm_i8";
    default:
      return "op " + std::to_string(op);
  }
}

ember_status Validate(const ember_workload_desc &desc, std::string &why) {
  auto error = [&why](std::string what) {
    why = std::move(what);
    return EMBER_ERR_INVALID;
  };
  if (desc.flags != 0 || desc.reserved != 0) {
    return error("workload flags and reserved must be 0");
  }
  if (desc.name == nullptr) {
    return error("workload name is NULL (use \"\" for none)");
  }
  const std::string_view name(desc.name, ::strnlen(desc.name, kNameLen + 1));
  if (name.size() > kNameLen) {
    return error("workload name is longer than " + std::to_string(kNameLen) + " bytes");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] < 0x20 || name[i] > 0x7e) {
      return error("workload name has a non-printable character at byte " + std::to_string(i));
    }
  }
  if (desc.nsteps == 0) {
    return error("the program has no steps (it needs 1.." + std::to_string(EMBER_MAX_STEPS) + ")");
  }
  if (desc.nsteps > EMBER_MAX_STEPS) {
    return error("the program has " + std::to_string(desc.nsteps) + " steps, at most " +
                 std::to_string(EMBER_MAX_STEPS) + " are allowed");
  }
  if (desc.steps == nullptr) {
    return error("steps is NULL but nsteps is " + std::to_string(desc.nsteps));
  }
  if (desc.nregions > EMBER_MAX_REGIONS) {
    return error("the workload has " + std::to_string(desc.nregions) + " regions, at most " +
                 std::to_string(EMBER_MAX_REGIONS) + " are allowed");
  }
  if (desc.nregions > 0 && desc.region_sizes == nullptr) {
    return error("region_sizes is NULL but nregions is " + std::to_string(desc.nregions));
  }
  if (desc.ninputs > EMBER_MAX_SLICES) {
    return error("the workload has " + std::to_string(desc.ninputs) + " inputs, at most " +
                 std::to_string(EMBER_MAX_SLICES) + " are allowed");
  }
  if (desc.noutputs > EMBER_MAX_SLICES) {
    return error("the workload has " + std::to_string(desc.noutputs) + " outputs, at most " +
                 std::to_string(EMBER_MAX_SLICES) + " are allowed");
  }
  for (std::uint32_t r = 0; r < desc.nregions; ++r) {
    if (desc.region_sizes[r] == 0) {
      return error("region " + std::to_string(r) + " has size 0 (at least 1 byte)");
    }
  }
  std::vector<bool> written(desc.noutputs, false);
  for (std::uint32_t i = 0; i < desc.nsteps; ++i) {
    StepChecker checker(desc, i, why);
    if (!checker.Run()) {
      return EMBER_ERR_INVALID;
    }
    const ember_step &s = desc.steps[i];
    if (s.dst_kind == EMBER_OPERAND_OUTPUT) {
      written.at(s.dst_index) = true;
    }
  }
  const auto unwritten = std::find(written.begin(), written.end(), false);
  if (unwritten != written.end()) {
    return error("output " + std::to_string(unwritten - written.begin()) +
                 " is never written by any step");
  }
  return EMBER_OK;
}

Bytes EncodeEcho(std::span<const std::uint8_t> payload) {
  Bytes b = NewCommand(kCmdEcho, kHeaderLen + AlignUp(payload.size()));
  std::copy(payload.begin(), payload.end(), b.begin() + kHeaderLen);
  return b;
}

Bytes EncodeLoad(const ember_workload_desc &desc, std::uint32_t image_tag) {
  Bytes b = NewCommand(kCmdLoadWorkload, LoadLen(desc.nregions, desc.nsteps));
  const std::string_view name(desc.name, ::strnlen(desc.name, kNameLen));
  std::copy(name.begin(), name.end(), b.begin() + 8);
  Put32(b, 24, image_tag);
  Put32(b, 28, desc.nregions);
  Put32(b, 32, desc.nsteps);
  Put32(b, 36, desc.ninputs);
  Put32(b, 40, desc.noutputs);
  Put32(b, 44, 0);
  std::size_t off = kLoadFixedLen;
  for (std::uint32_t r = 0; r < desc.nregions; ++r, off += kRegionEntryLen) {
    Put64(b, off, desc.region_sizes[r]);
  }
  for (std::uint32_t i = 0; i < desc.nsteps; ++i, off += kStepLen) {
    const ember_step &s = desc.steps[i];
    Put8(b, off + 0, s.op);
    Put8(b, off + 1, s.src_kind);
    Put8(b, off + 2, s.dst_kind);
    Put8(b, off + 3, s.aux_kind);
    Put8(b, off + 4, s.src_index);
    Put8(b, off + 5, s.dst_index);
    Put8(b, off + 6, s.aux_index);
    Put8(b, off + 7, 0);
    Put32(b, off + 8, s.len);
    Put32(b, off + 12, s.m);
    Put32(b, off + 16, s.n);
    Put32(b, off + 20, s.k);
    Put64(b, off + 24, 0);
  }
  return b;
}

Bytes EncodeUnload(std::uint32_t workload_id) {
  Bytes b = NewCommand(kCmdUnloadWorkload, kUnloadLen);
  Put32(b, 8, workload_id);
  return b;
}

Bytes EncodeQuery() { return NewCommand(kCmdQuery, kQueryLen); }

ember_status DecodeEcho(std::span<const std::uint8_t> reply, std::span<std::uint8_t> payload_out,
                        std::string &why) {
  const std::size_t want = kHeaderLen + AlignUp(payload_out.size());
  if (const ember_status st = CheckReplyHeader(reply, kCmdEcho, want, why); st != EMBER_OK) {
    return st;
  }
  const auto data = reply.subspan(kHeaderLen, payload_out.size());
  std::copy(data.begin(), data.end(), payload_out.begin());
  return EMBER_OK;
}

ember_status DecodeLoad(std::span<const std::uint8_t> reply, std::uint32_t nregions,
                        ember_workload_info &out, std::string &why) {
  const std::size_t want = kLoadReplyFixedLen + (kRegionEntryLen * nregions);
  if (const ember_status st = CheckReplyHeader(reply, kCmdLoadWorkload, want, why);
      st != EMBER_OK) {
    return st;
  }
  ember_workload_info info{};
  info.workload_id = Get32(reply, 8);
  info.nregions = Get32(reply, 12);
  info.image_bytes = Get64(reply, 16);
  if (info.workload_id == 0) {
    why = "LOAD_WORKLOAD reply: workload_id 0";
    return EMBER_ERR_IO;
  }
  if (info.nregions != nregions) {
    why = "LOAD_WORKLOAD reply: " + std::to_string(info.nregions) + " regions, requested " +
          std::to_string(nregions);
    return EMBER_ERR_IO;
  }
  for (std::uint32_t r = 0; r < nregions; ++r) {
    const std::uint64_t offset = Get64(reply, kLoadReplyFixedLen + (kRegionEntryLen * r));
    if (offset % kRegionGranule != 0) {
      why = "LOAD_WORKLOAD reply: region " + std::to_string(r) + " offset " +
            std::to_string(offset) + " is not 4 KiB aligned";
      return EMBER_ERR_IO;
    }
    info.region_offset[r] = offset;
  }
  out = info;
  return EMBER_OK;
}

ember_status DecodeUnload(std::span<const std::uint8_t> reply, std::uint32_t workload_id,
                          std::string &why) {
  if (const ember_status st = CheckReplyHeader(reply, kCmdUnloadWorkload, kUnloadLen, why);
      st != EMBER_OK) {
    return st;
  }
  if (Get32(reply, 8) != workload_id) {
    why = "UNLOAD_WORKLOAD reply: workload_id " + std::to_string(Get32(reply, 8)) + ", requested " +
          std::to_string(workload_id);
    return EMBER_ERR_IO;
  }
  return EMBER_OK;
}

ember_status DecodeQuery(std::span<const std::uint8_t> reply, ember_resources &out,
                         std::string &why) {
  if (const ember_status st = CheckReplyHeader(reply, kCmdQuery, kQueryLen, why); st != EMBER_OK) {
    return st;
  }
  ember_resources r{};
  r.dbcs_total = Get32(reply, 8);
  r.dbcs_free = Get32(reply, 12);
  r.devmem_total = Get64(reply, 16);
  r.devmem_free = Get64(reply, 24);
  r.workloads = Get32(reply, 32);
  r.dbcs_owned = Get32(reply, 36);
  r.staged_bytes = Get64(reply, 40);
  if (r.dbcs_free > r.dbcs_total || r.devmem_free > r.devmem_total) {
    why = "QUERY reply: more free than total (dbcs " + std::to_string(r.dbcs_free) + "/" +
          std::to_string(r.dbcs_total) + ", devmem " + std::to_string(r.devmem_free) + "/" +
          std::to_string(r.devmem_total) + ")";
    return EMBER_ERR_IO;
  }
  out = r;
  return EMBER_OK;
}

}  // namespace ember::detail::fw
