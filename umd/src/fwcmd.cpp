// Firmware commands of docs/nnc.md §15: encoding, reply decoding and
// workload validation. Every number, offset and size is the one of
// common/ember_fwcmd.h, every field goes through its little-endian
// accessors.
#include "fwcmd.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "ember_hw.h"

// ember.h spells the limits and values of its API as numbers (it is
// installed, common/ is not); they are the firmware's.
static_assert(EMBER_MAX_REGIONS == EMBER_FW_MAX_REGIONS);
static_assert(EMBER_MAX_STEPS == EMBER_FW_MAX_STEPS);
static_assert(EMBER_MAX_SLICES == EMBER_FW_MAX_SLICES);
static_assert(EMBER_NAME_MAX == EMBER_FW_NAME_LEN);
static_assert(EMBER_OPERAND_NONE == EMBER_FW_OPND_NONE);
static_assert(EMBER_OPERAND_INPUT == EMBER_FW_OPND_INPUT);
static_assert(EMBER_OPERAND_OUTPUT == EMBER_FW_OPND_OUTPUT);
static_assert(EMBER_OPERAND_REGION == EMBER_FW_OPND_REGION);
// A step's op goes on the wire as it is: the EMBER_SLICE_OP_* a program
// uses are the firmware's step opcodes (EMBER_HW_OP_*, docs/nnc.md §15.3).
static_assert(EMBER_SLICE_OP_COPY == EMBER_HW_OP_COPY);
static_assert(EMBER_SLICE_OP_FILL == EMBER_HW_OP_FILL);
static_assert(EMBER_SLICE_OP_CRC32 == EMBER_HW_OP_CRC32);
static_assert(EMBER_SLICE_OP_GEMM_I8 == EMBER_HW_OP_GEMM_I8);

namespace ember::detail::fw {
namespace {

// The fields of a command (Writer) or a reply (Reader) at the offsets of
// ember_fwcmd.h, through its accessors; an access outside the buffer
// throws std::out_of_range.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  [[nodiscard]] std::uint16_t Get16(std::size_t off) const {
    return ember_fw_get16(At(off, 2), Off(off));
  }
  [[nodiscard]] std::uint32_t Get32(std::size_t off) const {
    return ember_fw_get32(At(off, 4), Off(off));
  }
  [[nodiscard]] std::uint64_t Get64(std::size_t off) const {
    return ember_fw_get64(At(off, 8), Off(off));
  }

 private:
  [[nodiscard]] const std::uint8_t *At(std::size_t off, std::size_t n) const {
    if (off > b_.size() || n > b_.size() - off) {
      throw std::out_of_range("firmware command field outside the reply");
    }
    return b_.data();
  }
  static unsigned int Off(std::size_t off) { return static_cast<unsigned int>(off); }

  std::span<const std::uint8_t> b_;
};

class Writer {
 public:
  // A command |cmd| of |len| bytes (a multiple of EMBER_FW_ALIGN), zeroed
  // after its header.
  Writer(std::uint16_t cmd, std::size_t len) : b_(len, 0) {
    ember_fw_put_hdr(At(0, EMBER_FW_HDR_LEN), cmd, static_cast<std::uint32_t>(len));
  }
  void Put8(std::size_t off, std::uint8_t v) { At(off, 1)[off] = v; }
  void Put16(std::size_t off, std::uint16_t v) { ember_fw_put16(At(off, 2), Off(off), v); }
  void Put32(std::size_t off, std::uint32_t v) { ember_fw_put32(At(off, 4), Off(off), v); }
  void Put64(std::size_t off, std::uint64_t v) { ember_fw_put64(At(off, 8), Off(off), v); }
  void PutBytes(std::size_t off, std::span<const std::uint8_t> v) {
    std::copy(v.begin(), v.end(), At(off, v.size()) + off);
  }
  Bytes Take() { return std::move(b_); }

 private:
  std::uint8_t *At(std::size_t off, std::size_t n) {
    if (off > b_.size() || n > b_.size() - off) {
      throw std::out_of_range("firmware command field outside the command");
    }
    return b_.data();
  }
  static unsigned int Off(std::size_t off) { return static_cast<unsigned int>(off); }

  Bytes b_;
};

std::size_t AlignUp(std::size_t v) {
  return (v + EMBER_FW_ALIGN - 1) & ~std::size_t{EMBER_FW_ALIGN - 1};
}

const char *CommandName(std::uint16_t cmd) {
  switch (cmd) {
    case EMBER_FW_CMD_ECHO:
      return "ECHO";
    case EMBER_FW_CMD_LOAD_WORKLOAD:
      return "LOAD_WORKLOAD";
    case EMBER_FW_CMD_UNLOAD_WORKLOAD:
      return "UNLOAD_WORKLOAD";
    case EMBER_FW_CMD_QUERY:
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
  const Reader r(reply);
  const std::uint16_t want_cmd = cmd | EMBER_FW_CMD_REPLY;
  const std::uint16_t got_cmd = r.Get16(EMBER_FW_HDR_CMD);
  if (got_cmd != want_cmd) {
    why = name + "cmd " + std::to_string(got_cmd) + ", expected " + std::to_string(want_cmd);
    return EMBER_ERR_IO;
  }
  if (r.Get16(EMBER_FW_HDR_FLAGS) != 0) {
    why = name + "non-zero flags";
    return EMBER_ERR_IO;
  }
  const std::uint32_t len = r.Get32(EMBER_FW_HDR_LEN_FIELD);
  if (len != reply.size() || len % EMBER_FW_ALIGN != 0) {
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
  const std::string_view name(desc.name, ::strnlen(desc.name, EMBER_FW_NAME_LEN + 1));
  if (name.size() > EMBER_FW_NAME_LEN) {
    return error("workload name is longer than " + std::to_string(EMBER_FW_NAME_LEN) + " bytes");
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
  Writer w(EMBER_FW_CMD_ECHO, EMBER_FW_HDR_LEN + AlignUp(payload.size()));
  w.PutBytes(EMBER_FW_HDR_LEN, payload);
  return w.Take();
}

Bytes EncodeLoad(const ember_workload_desc &desc, std::uint32_t image_tag) {
  Writer w(EMBER_FW_CMD_LOAD_WORKLOAD, LoadLen(desc.nregions, desc.nsteps));
  const std::string_view name(desc.name, ::strnlen(desc.name, EMBER_FW_NAME_LEN));
  w.PutBytes(EMBER_FW_LOAD_NAME,
             {reinterpret_cast<const std::uint8_t *>(name.data()), name.size()});
  w.Put32(EMBER_FW_LOAD_IMAGE_TAG, image_tag);
  w.Put32(EMBER_FW_LOAD_NREGIONS, desc.nregions);
  w.Put32(EMBER_FW_LOAD_NSTEPS, desc.nsteps);
  w.Put32(EMBER_FW_LOAD_NINPUTS, desc.ninputs);
  w.Put32(EMBER_FW_LOAD_NOUTPUTS, desc.noutputs);
  w.Put32(EMBER_FW_LOAD_RSVD, 0);
  std::size_t off = EMBER_FW_LOAD_SIZES;
  for (std::uint32_t r = 0; r < desc.nregions; ++r, off += EMBER_FW_REGION_ENTRY_LEN) {
    w.Put64(off, desc.region_sizes[r]);
  }
  for (std::uint32_t i = 0; i < desc.nsteps; ++i, off += EMBER_FW_STEP_LEN) {
    const ember_step &s = desc.steps[i];
    w.Put8(off + EMBER_FW_STEP_OP, s.op);
    w.Put8(off + EMBER_FW_STEP_SRC_KIND, s.src_kind);
    w.Put8(off + EMBER_FW_STEP_DST_KIND, s.dst_kind);
    w.Put8(off + EMBER_FW_STEP_AUX_KIND, s.aux_kind);
    w.Put8(off + EMBER_FW_STEP_SRC_INDEX, s.src_index);
    w.Put8(off + EMBER_FW_STEP_DST_INDEX, s.dst_index);
    w.Put8(off + EMBER_FW_STEP_AUX_INDEX, s.aux_index);
    w.Put8(off + EMBER_FW_STEP_RSVD0, 0);
    w.Put32(off + EMBER_FW_STEP_LEN_FIELD, s.len);
    w.Put32(off + EMBER_FW_STEP_M, s.m);
    w.Put32(off + EMBER_FW_STEP_N, s.n);
    w.Put32(off + EMBER_FW_STEP_K, s.k);
    w.Put64(off + EMBER_FW_STEP_RSVD1, 0);
  }
  return w.Take();
}

Bytes EncodeUnload(std::uint32_t workload_id) {
  Writer w(EMBER_FW_CMD_UNLOAD_WORKLOAD, EMBER_FW_UNLOAD_LEN);
  w.Put32(EMBER_FW_UNLOAD_ID, workload_id);
  w.Put32(EMBER_FW_UNLOAD_RSVD, 0);
  return w.Take();
}

Bytes EncodeQuery() { return Writer(EMBER_FW_CMD_QUERY, EMBER_FW_QUERY_LEN).Take(); }

ember_status DecodeEcho(std::span<const std::uint8_t> reply, std::span<std::uint8_t> payload_out,
                        std::string &why) {
  const std::size_t want = EMBER_FW_HDR_LEN + AlignUp(payload_out.size());
  if (const ember_status st = CheckReplyHeader(reply, EMBER_FW_CMD_ECHO, want, why);
      st != EMBER_OK) {
    return st;
  }
  const auto data = reply.subspan(EMBER_FW_HDR_LEN, payload_out.size());
  std::copy(data.begin(), data.end(), payload_out.begin());
  return EMBER_OK;
}

ember_status DecodeLoad(std::span<const std::uint8_t> reply, std::uint32_t nregions,
                        ember_workload_info &out, std::string &why) {
  const std::size_t want = EMBER_FW_LOAD_RSP_FIXED_LEN + (EMBER_FW_REGION_ENTRY_LEN * nregions);
  if (const ember_status st = CheckReplyHeader(reply, EMBER_FW_CMD_LOAD_WORKLOAD, want, why);
      st != EMBER_OK) {
    return st;
  }
  const Reader r(reply);
  ember_workload_info info{};
  info.workload_id = r.Get32(EMBER_FW_LOAD_RSP_ID);
  info.nregions = r.Get32(EMBER_FW_LOAD_RSP_NREGIONS);
  info.image_bytes = r.Get64(EMBER_FW_LOAD_RSP_IMAGE_BYTES);
  if (info.workload_id == 0) {
    why = "LOAD_WORKLOAD reply: workload_id 0";
    return EMBER_ERR_IO;
  }
  if (info.nregions != nregions) {
    why = "LOAD_WORKLOAD reply: " + std::to_string(info.nregions) + " regions, requested " +
          std::to_string(nregions);
    return EMBER_ERR_IO;
  }
  for (std::uint32_t i = 0; i < nregions; ++i) {
    const std::uint64_t offset =
        r.Get64(EMBER_FW_LOAD_RSP_OFFSETS + (std::size_t{EMBER_FW_REGION_ENTRY_LEN} * i));
    if (offset % EMBER_FW_REGION_ALIGN != 0) {
      why = "LOAD_WORKLOAD reply: region " + std::to_string(i) + " offset " +
            std::to_string(offset) + " is not " + std::to_string(EMBER_FW_REGION_ALIGN / 1024) +
            " KiB aligned";
      return EMBER_ERR_IO;
    }
    info.region_offset[i] = offset;
  }
  out = info;
  return EMBER_OK;
}

ember_status DecodeUnload(std::span<const std::uint8_t> reply, std::uint32_t workload_id,
                          std::string &why) {
  if (const ember_status st =
          CheckReplyHeader(reply, EMBER_FW_CMD_UNLOAD_WORKLOAD, EMBER_FW_UNLOAD_LEN, why);
      st != EMBER_OK) {
    return st;
  }
  const std::uint32_t got = Reader(reply).Get32(EMBER_FW_UNLOAD_ID);
  if (got != workload_id) {
    why = "UNLOAD_WORKLOAD reply: workload_id " + std::to_string(got) + ", requested " +
          std::to_string(workload_id);
    return EMBER_ERR_IO;
  }
  return EMBER_OK;
}

ember_status DecodeQuery(std::span<const std::uint8_t> reply, ember_resources &out,
                         std::string &why) {
  if (const ember_status st = CheckReplyHeader(reply, EMBER_FW_CMD_QUERY, EMBER_FW_QUERY_LEN, why);
      st != EMBER_OK) {
    return st;
  }
  const Reader q(reply);
  ember_resources r{};
  r.dbcs_total = q.Get32(EMBER_FW_QUERY_DBCS_TOTAL);
  r.dbcs_free = q.Get32(EMBER_FW_QUERY_DBCS_FREE);
  r.devmem_total = q.Get64(EMBER_FW_QUERY_DEVMEM_TOTAL);
  r.devmem_free = q.Get64(EMBER_FW_QUERY_DEVMEM_FREE);
  r.workloads = q.Get32(EMBER_FW_QUERY_WORKLOADS);
  r.dbcs_owned = q.Get32(EMBER_FW_QUERY_DBCS_OWNED);
  r.staged_bytes = q.Get64(EMBER_FW_QUERY_STAGED_BYTES);
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
