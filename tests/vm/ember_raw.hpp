// The raw-ioctl core of the in-guest tests and the load generator: one
// ioctl wrapper and everything built on it, with no test framework and no
// exceptions (every call returns 0 or an errno), so Catch2 tests
// (accel_test_util.hpp adds REQUIRE-based wrappers), children of fork()
// and the throwing load generator (ember_load.hpp: storm test, benchmark)
// share it:
//
// - finding the ember accel node, reading sysfs/debugfs files, module
//   parameters, the environment, errno names;
// - MANAGE calls (Msg: transactions back to back; ManageOne), ACTIVATE and
//   DEACTIVATE;
// - firmware commands carried by PASSTHROUGH (docs/nnc.md §15): ECHO,
//   LOAD_WORKLOAD, UNLOAD_WORKLOAD, QUERY, built and read only through
//   common/ember_fwcmd.h;
// - BOs: CREATE_BO, MMAP_BO and the mapping, makers for every kind of
//   drm_ember_slice (docs/datapath.md, "Slices"), ATTACH / DETACH /
//   EXECUTE / WAIT / GEM_CLOSE;
// - test data: pseudo-random bytes (SplitMix64) and the device's CRC-32.
#ifndef EMBER_TESTS_VM_EMBER_RAW_HPP_
#define EMBER_TESTS_VM_EMBER_RAW_HPP_

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember_accel.h"
#include "ember_fwcmd.h"
#include "ember_hw.h"

namespace ember_test {

namespace fs = std::filesystem;

// ---- the ioctl wrapper ----

// The one ioctl call of the tests: 0 or the errno; a call interrupted by a
// signal is made again.
template <class T>
int Ioctl(int fd, unsigned long request, T *arg) {
  for (;;) {
    if (::ioctl(fd, request, arg) == 0) {
      return 0;
    }
    if (errno != EINTR && errno != ERESTART) {
      return errno;
    }
  }
}

// "EINVAL" for EINVAL, "0" for 0.
inline std::string ErrName(int err) {
  if (err == 0) {
    return "0";
  }
  const char *name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "errno " + std::to_string(err);
}

// strerror() of @err.
inline std::string ErrnoText(int err) { return {std::strerror(err)}; }

// ---- files, parameters, environment ----

// The contents of a file; nullopt if it cannot be opened.
inline std::optional<std::string> ReadText(const fs::path &path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes @value to a file (sysfs, debugfs): whether it succeeded.
inline bool WriteText(const fs::path &path, const std::string &value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return out.good();
}

// @s without trailing newlines and spaces.
inline std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

inline fs::path ModuleParamPath(const std::string &name) {
  return fs::path("/sys/module/ember/parameters") / name;
}

// A module parameter of ember.ko, trailing newline removed; nullopt if the
// parameter does not exist.
inline std::optional<std::string> ReadModuleParam(const std::string &name) {
  auto v = ReadText(ModuleParamPath(name));
  if (!v) {
    return std::nullopt;
  }
  return TrimEnd(*v);
}

// Writes a (writable) module parameter of ember.ko: whether it succeeded.
inline bool WriteModuleParam(const std::string &name, const std::string &value) {
  return WriteText(ModuleParamPath(name), value + "\n");
}

// An unsigned environment variable (any base strtoull takes), @def when
// unset or empty.
inline std::uint64_t EnvU64(const char *name, std::uint64_t def) {
  const char *v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 0) : def;
}

// waitpid() for @pid: its status.
inline int Reap(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return st;
}

// ---- test data ----

// The next value of a SplitMix64 sequence at @x.
inline std::uint64_t SplitMix(std::uint64_t &x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

// Pseudo-random bytes, 8 at a time (64 MiB take well under a second in
// TCG), continuing the sequence at @state.
inline void FillRandom(std::uint8_t *p, std::size_t n, std::uint64_t *state) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const std::uint64_t v = SplitMix(*state);
    std::memcpy(p + i, &v, 8);
  }
  if (i < n) {
    const std::uint64_t v = SplitMix(*state);
    std::memcpy(p + i, &v, n - i);
  }
}

// Pseudo-random bytes of the sequence that starts at @seed.
inline void FillRandom(std::uint8_t *p, std::size_t n, std::uint64_t seed) {
  FillRandom(p, n, &seed);
}

inline std::vector<std::uint8_t> Random(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint8_t> v(n);
  FillRandom(v.data(), n, seed);
  return v;
}

// CRC-32 as docs/hardware.md §5.3 defines it (IEEE 802.3, reflected,
// init and xor-out 0xffffffff: zlib's crc32()), slicing by 8.
class Crc32 {
 public:
  void Update(const std::uint8_t *p, std::size_t n) {
    const auto &t = Tables();
    std::uint32_t c = state_;
    while (n >= 8) {
      std::uint32_t lo = 0;
      std::uint32_t hi = 0;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + 4, 4);
      lo ^= c;
      c = t[7][lo & 0xffU] ^ t[6][(lo >> 8U) & 0xffU] ^ t[5][(lo >> 16U) & 0xffU] ^
          t[4][lo >> 24U] ^ t[3][hi & 0xffU] ^ t[2][(hi >> 8U) & 0xffU] ^
          t[1][(hi >> 16U) & 0xffU] ^ t[0][hi >> 24U];
      p += 8;
      n -= 8;
    }
    while (n-- > 0) {
      c = t[0][(c ^ *p++) & 0xffU] ^ (c >> 8U);
    }
    state_ = c;
  }
  [[nodiscard]] std::uint32_t Value() const { return state_ ^ 0xffffffffU; }
  static std::uint32_t Of(const std::uint8_t *p, std::size_t n) {
    Crc32 c;
    c.Update(p, n);
    return c.Value();
  }

 private:
  using Table = std::array<std::array<std::uint32_t, 256>, 8>;
  static const Table &Tables() {
    static const Table t = [] {
      Table r{};
      for (std::uint32_t i = 0; i < 256; i++) {
        std::uint32_t c = i;
        for (int b = 0; b < 8; b++) {
          c = (c & 1U) != 0 ? (c >> 1U) ^ 0xedb88320U : c >> 1U;
        }
        r[0][i] = c;
      }
      for (std::uint32_t i = 0; i < 256; i++) {
        for (std::size_t s = 1; s < 8; s++) {
          r[s][i] = (r[s - 1][i] >> 8U) ^ r[0][r[s - 1][i] & 0xffU];
        }
      }
      return r;
    }();
    return t;
  }
  std::uint32_t state_ = 0xffffffffU;
};

// ---- the device ----

// The ember device of this machine: accel node, its sysfs directory, PCI
// address, debugfs directory.
struct Device {
  std::string node;
  fs::path sysfs;
  std::string bdf;
  fs::path debugfs;
};

// The first ember accel node (in name order); nullopt and the reason in
// @why when there is none.
inline std::optional<Device> FindEmber(std::string *why = nullptr) {
  auto none = [why](const char *text) {
    if (why != nullptr) {
      *why = text;
    }
    return std::nullopt;
  };
  std::error_code ec;
  if (!fs::exists("/sys/class/accel", ec)) {
    return none("no /sys/class/accel (is ember.ko loaded?)");
  }
  std::vector<fs::path> entries;
  for (const auto &e : fs::directory_iterator("/sys/class/accel", ec)) {
    entries.push_back(e.path());
  }
  std::sort(entries.begin(), entries.end());
  for (const auto &entry : entries) {
    const auto node = "/dev/accel/" + entry.filename().string();
    const int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    const std::unique_ptr<drmVersion, decltype(&drmFreeVersion)> ver(drmGetVersion(fd),
                                                                     drmFreeVersion);
    ::close(fd);
    if (!ver || std::string(ver->name, ver->name_len) != "ember") {
      continue;
    }
    Device d;
    d.node = node;
    d.sysfs = entry;
    d.bdf = fs::read_symlink(entry / "device", ec).filename().string();
    // The 6.12 accel core names the debugfs directory after the PCI
    // device; older cores after the minor.
    d.debugfs = fs::path("/sys/kernel/debug/accel") / d.bdf;
    if (!fs::exists(d.debugfs, ec)) {
      d.debugfs = fs::path("/sys/kernel/debug/accel") / entry.filename().string().substr(5);
    }
    return d;
  }
  return none("no ember accel device");
}

// ---- MANAGE ----

// A MANAGE call under construction: transactions back to back.
class Msg {
 public:
  // Appends a transaction of @type and @len bytes (zeroed but for its
  // header): its offset.
  std::size_t Add(std::uint32_t type, std::uint32_t len) {
    const std::size_t off = bytes_.size();
    bytes_.resize(off + len);
    auto *h = At<drm_ember_manage_trans_hdr>(off);
    h->type = type;
    h->len = len;
    ++count_;
    return off;
  }
  template <class T>
  T *At(std::size_t off) {
    return reinterpret_cast<T *>(bytes_.data() + off);
  }
  std::vector<std::uint8_t> &bytes() { return bytes_; }
  // Returns 0 or the errno of the ioctl; the overrides replace the
  // message's length and transaction count when non-zero.
  int Send(int fd, std::uint32_t count_override = 0, std::uint32_t len_override = 0) {
    drm_ember_manage_msg m{};
    m.len = len_override != 0 ? len_override : static_cast<std::uint32_t>(bytes_.size());
    m.count = count_override != 0 ? count_override : count_;
    m.data = reinterpret_cast<std::uintptr_t>(bytes_.data());
    return Ioctl(fd, DRM_IOCTL_EMBER_MANAGE, &m);
  }

 private:
  // 8-byte aligned storage (the allocator's alignment).
  std::vector<std::uint8_t> bytes_;
  std::uint32_t count_ = 0;
};

inline std::size_t AddStatus(Msg &m) {
  return m.Add(EMBER_MANAGE_TRANS_STATUS, sizeof(drm_ember_manage_trans_status));
}

inline std::size_t AddActivate(Msg &m, std::uint32_t ring) {
  const auto off = m.Add(EMBER_MANAGE_TRANS_ACTIVATE, sizeof(drm_ember_manage_trans_activate));
  m.At<drm_ember_manage_trans_activate>(off)->ring_size = ring;
  return off;
}

inline std::size_t AddDeactivate(Msg &m, std::uint32_t id) {
  const auto off = m.Add(EMBER_MANAGE_TRANS_DEACTIVATE, sizeof(drm_ember_manage_trans_deactivate));
  m.At<drm_ember_manage_trans_deactivate>(off)->dbc_id = id;
  return off;
}

inline std::size_t AddDma(Msg &m, std::uint32_t tag, const void *addr, std::uint64_t size) {
  const auto off = m.Add(EMBER_MANAGE_TRANS_DMA_XFER, sizeof(drm_ember_manage_trans_dma_xfer));
  auto *d = m.At<drm_ember_manage_trans_dma_xfer>(off);
  d->tag = tag;
  d->addr = reinterpret_cast<std::uintptr_t>(addr);
  d->size = size;
  return off;
}

// A PASSTHROUGH of firmware command @cmd.
inline std::size_t AddPt(Msg &m, const std::vector<std::uint8_t> &cmd) {
  const auto off =
      m.Add(EMBER_MANAGE_TRANS_PASSTHROUGH,
            static_cast<std::uint32_t>(sizeof(drm_ember_manage_trans_passthrough) + cmd.size()));
  std::memcpy(m.At<drm_ember_manage_trans_passthrough>(off)->data, cmd.data(), cmd.size());
  return off;
}

// One MANAGE transaction @t (its header filled in) as a call of its own:
// 0 or the errno of the call.
template <class T>
int ManageOne(int fd, T *t) {
  drm_ember_manage_msg m{};
  m.len = sizeof(*t);
  m.count = 1;
  m.data = reinterpret_cast<std::uintptr_t>(t);
  return Ioctl(fd, DRM_IOCTL_EMBER_MANAGE, &m);
}

// ACTIVATE one DBC with rings of @ring entries: 0 or the errno (a failed
// transaction fails the call, docs/nnc.md §14.3); the DBC id through @id,
// the transaction's status through @status.
inline int ActivateRaw(int fd, std::uint32_t *id, std::uint32_t ring = 64,
                       std::uint32_t *status = nullptr) {
  drm_ember_manage_trans_activate act{};
  act.hdr.type = EMBER_MANAGE_TRANS_ACTIVATE;
  act.hdr.len = sizeof(act);
  act.ring_size = ring;
  const int err = ManageOne(fd, &act);
  *id = act.dbc_id;
  if (status != nullptr) {
    *status = act.status;
  }
  return err;
}

// DEACTIVATE a DBC of the caller: 0 or the errno, the transaction's status
// through @status.
inline int DeactivateRaw(int fd, std::uint32_t id, std::uint32_t *status = nullptr) {
  drm_ember_manage_trans_deactivate d{};
  d.hdr.type = EMBER_MANAGE_TRANS_DEACTIVATE;
  d.hdr.len = sizeof(d);
  d.dbc_id = id;
  const int err = ManageOne(fd, &d);
  if (status != nullptr) {
    *status = d.status;
  }
  return err;
}

// ---- firmware commands (docs/nnc.md §15, common/ember_fwcmd.h) ----

// A firmware command of @len bytes with its header filled, zeros after it.
inline std::vector<std::uint8_t> FwCmd(std::uint16_t cmd, std::size_t len) {
  std::vector<std::uint8_t> b(len);
  ember_fw_put_hdr(b.data(), cmd, static_cast<std::uint32_t>(len));
  return b;
}

// The command number of a command or reply.
inline std::uint16_t FwCmdOf(const std::uint8_t *p) { return ember_fw_get16(p, EMBER_FW_HDR_CMD); }

// The reply number of command @cmd.
constexpr std::uint16_t FwReply(std::uint16_t cmd) {
  return static_cast<std::uint16_t>(cmd | EMBER_FW_CMD_REPLY);
}

// One step of a workload's program (§15.3): by default a CRC-32 of
// region 0, the step the tests' workloads carry (the firmware requires
// one; the tests' own slices do the work).
struct FwStep {
  std::uint8_t op = EMBER_HW_OP_CRC32;
  std::uint8_t src_kind = EMBER_FW_OPND_REGION;
  std::uint8_t dst_kind = EMBER_FW_OPND_NONE;
  std::uint8_t aux_kind = EMBER_FW_OPND_NONE;
  std::uint8_t src_index = 0;
  std::uint8_t dst_index = 0;
  std::uint8_t aux_index = 0;
  std::uint32_t len = 0;
  std::uint32_t m = 0;
  std::uint32_t n = 0;
  std::uint32_t k = 0;
};

// A LOAD_WORKLOAD request: regions of @sizes bytes, @steps, the image of
// DMA_XFER tag @image_tag (0: none), the workload named @name (NUL-padded,
// at most EMBER_FW_NAME_LEN bytes kept).
struct LoadSpec {
  std::vector<std::uint64_t> sizes;
  std::string name = "test";
  std::uint32_t image_tag = 0;
  std::vector<FwStep> steps = {FwStep{}};
};

inline std::vector<std::uint8_t> LoadCmd(const LoadSpec &spec) {
  const auto nregions = static_cast<std::uint32_t>(spec.sizes.size());
  const auto nsteps = static_cast<std::uint32_t>(spec.steps.size());
  auto b = FwCmd(EMBER_FW_CMD_LOAD_WORKLOAD, EMBER_FW_LOAD_LEN(nregions, nsteps));
  std::uint8_t *p = b.data();
  // NUL-padded, not terminated when it fills the field
  std::copy_n(spec.name.begin(), std::min<std::size_t>(spec.name.size(), EMBER_FW_NAME_LEN),
              p + EMBER_FW_LOAD_NAME);
  ember_fw_put32(p, EMBER_FW_LOAD_IMAGE_TAG, spec.image_tag);
  ember_fw_put32(p, EMBER_FW_LOAD_NREGIONS, nregions);
  ember_fw_put32(p, EMBER_FW_LOAD_NSTEPS, nsteps);
  for (std::uint32_t i = 0; i < nregions; i++) {
    ember_fw_put64(p, EMBER_FW_LOAD_SIZES + (EMBER_FW_REGION_ENTRY_LEN * i), spec.sizes[i]);
  }
  for (std::uint32_t i = 0; i < nsteps; i++) {
    const FwStep &s = spec.steps[i];
    std::uint8_t *st = p + EMBER_FW_LOAD_LEN(nregions, i);
    st[EMBER_FW_STEP_OP] = s.op;
    st[EMBER_FW_STEP_SRC_KIND] = s.src_kind;
    st[EMBER_FW_STEP_DST_KIND] = s.dst_kind;
    st[EMBER_FW_STEP_AUX_KIND] = s.aux_kind;
    st[EMBER_FW_STEP_SRC_INDEX] = s.src_index;
    st[EMBER_FW_STEP_DST_INDEX] = s.dst_index;
    st[EMBER_FW_STEP_AUX_INDEX] = s.aux_index;
    ember_fw_put32(st, EMBER_FW_STEP_LEN_FIELD, s.len);
    ember_fw_put32(st, EMBER_FW_STEP_M, s.m);
    ember_fw_put32(st, EMBER_FW_STEP_N, s.n);
    ember_fw_put32(st, EMBER_FW_STEP_K, s.k);
  }
  return b;
}

// LOAD_WORKLOAD of regions of @sizes bytes and the default step.
inline std::vector<std::uint8_t> LoadCmd(const std::vector<std::uint64_t> &sizes,
                                         const char *name = "test") {
  LoadSpec spec;
  spec.sizes = sizes;
  spec.name = name;
  return LoadCmd(spec);
}

inline std::vector<std::uint8_t> UnloadCmd(std::uint32_t id) {
  auto b = FwCmd(EMBER_FW_CMD_UNLOAD_WORKLOAD, EMBER_FW_UNLOAD_LEN);
  ember_fw_put32(b.data(), EMBER_FW_UNLOAD_ID, id);
  return b;
}

inline std::vector<std::uint8_t> QueryCmd() {
  return FwCmd(EMBER_FW_CMD_QUERY, EMBER_FW_QUERY_LEN);
}

// A LOAD_WORKLOAD reply.
struct LoadReply {
  std::uint32_t id = 0;
  std::uint32_t nregions = 0;
  std::uint64_t image_bytes = 0;
  std::vector<std::uint64_t> offsets;  // device-memory offset of each region
};

// Reads LOAD_WORKLOAD reply @r of @len bytes to request @cmd: whether it is
// one (its reply number, length and region count agree).
inline bool ParseLoadReply(const std::uint8_t *r, std::size_t len,
                           const std::vector<std::uint8_t> &cmd, LoadReply *out) {
  if (len != cmd.size() || len < EMBER_FW_LOAD_RSP_FIXED_LEN ||
      FwCmdOf(r) != FwReply(EMBER_FW_CMD_LOAD_WORKLOAD)) {
    return false;
  }
  const std::uint32_t nregions = ember_fw_get32(cmd.data(), EMBER_FW_LOAD_NREGIONS);
  out->id = ember_fw_get32(r, EMBER_FW_LOAD_RSP_ID);
  out->nregions = ember_fw_get32(r, EMBER_FW_LOAD_RSP_NREGIONS);
  out->image_bytes = ember_fw_get64(r, EMBER_FW_LOAD_RSP_IMAGE_BYTES);
  if (out->nregions != nregions) {
    return false;
  }
  out->offsets.clear();
  for (std::uint32_t i = 0; i < nregions; i++) {
    out->offsets.push_back(
        ember_fw_get64(r, EMBER_FW_LOAD_RSP_OFFSETS + (EMBER_FW_REGION_ENTRY_LEN * i)));
  }
  return true;
}

// A QUERY reply.
struct Query {
  std::uint32_t dbcs_total, dbcs_free;
  std::uint64_t devmem_total, devmem_free;
  std::uint32_t workloads, dbcs_owned;
  std::uint64_t staged;
  bool operator==(const Query &) const = default;
};

inline Query ParseQuery(const std::uint8_t *r) {
  Query q{};
  q.dbcs_total = ember_fw_get32(r, EMBER_FW_QUERY_DBCS_TOTAL);
  q.dbcs_free = ember_fw_get32(r, EMBER_FW_QUERY_DBCS_FREE);
  q.devmem_total = ember_fw_get64(r, EMBER_FW_QUERY_DEVMEM_TOTAL);
  q.devmem_free = ember_fw_get64(r, EMBER_FW_QUERY_DEVMEM_FREE);
  q.workloads = ember_fw_get32(r, EMBER_FW_QUERY_WORKLOADS);
  q.dbcs_owned = ember_fw_get32(r, EMBER_FW_QUERY_DBCS_OWNED);
  q.staged = ember_fw_get64(r, EMBER_FW_QUERY_STAGED_BYTES);
  return q;
}

// One firmware command through a MANAGE of one PASSTHROUGH: 0 or the errno
// of the call; the transaction's status through @status and its reply data
// through @reply.
inline int Passthrough(int fd, const std::vector<std::uint8_t> &cmd,
                       std::vector<std::uint8_t> *reply, std::uint32_t *status = nullptr) {
  Msg m;
  const auto off = AddPt(m, cmd);
  const int err = m.Send(fd);
  const auto *pt = m.At<drm_ember_manage_trans_passthrough>(off);
  if (status != nullptr) {
    *status = pt->status;
  }
  reply->assign(pt->data, pt->data + std::min<std::size_t>(pt->rsp_len, cmd.size()));
  return err;
}

// A loaded workload: its id and the device-memory offset of each region.
struct Workload {
  std::uint32_t id = 0;
  std::vector<std::uint64_t> offsets;
};

// LOAD_WORKLOAD (LoadCmd(@sizes, @name)) through MANAGE: 0 or the errno of
// the call, EPROTO for a reply that does not match the request; the
// transaction's status through @status.
inline int LoadWorkload(int fd, const std::vector<std::uint64_t> &sizes, Workload *wl,
                        const char *name = "test", std::uint32_t *status = nullptr) {
  const auto cmd = LoadCmd(sizes, name);
  std::vector<std::uint8_t> reply;
  std::uint32_t st = 0;
  const int err = Passthrough(fd, cmd, &reply, &st);
  if (status != nullptr) {
    *status = st;
  }
  if (err != 0) {
    return err;
  }
  LoadReply r;
  if (st != EMBER_MANAGE_STATUS_OK || !ParseLoadReply(reply.data(), reply.size(), cmd, &r)) {
    return EPROTO;
  }
  wl->id = r.id;
  wl->offsets = r.offsets;
  return 0;
}

// UNLOAD_WORKLOAD through MANAGE: 0 or the errno of the call, and the
// transaction's status.
inline int UnloadWorkload(int fd, std::uint32_t id, std::uint32_t *status = nullptr) {
  std::vector<std::uint8_t> reply;
  return Passthrough(fd, UnloadCmd(id), &reply, status);
}

// QUERY through MANAGE: 0 or the errno of the call, EPROTO for a reply
// that is not one; the reply through @q.
inline int QueryRaw(int fd, Query *q) {
  std::vector<std::uint8_t> reply;
  std::uint32_t status = 0;
  if (const int err = Passthrough(fd, QueryCmd(), &reply, &status); err != 0) {
    return err;
  }
  if (status != EMBER_MANAGE_STATUS_OK || reply.size() != EMBER_FW_QUERY_LEN ||
      FwCmdOf(reply.data()) != FwReply(EMBER_FW_CMD_QUERY)) {
    return EPROTO;
  }
  *q = ParseQuery(reply.data());
  return 0;
}

// ---- BOs ----

// CREATE_BO of @size bytes: 0 or the errno, the handle through @handle.
inline int CreateBoRaw(int fd, std::uint64_t size, std::uint32_t *handle) {
  drm_ember_create_bo c{};
  c.size = size;
  const int err = Ioctl(fd, DRM_IOCTL_EMBER_CREATE_BO, &c);
  *handle = c.handle;
  return err;
}

// MMAP_BO of @handle and mmap() of its first @size bytes: 0 or the errno,
// the mapping through @map and the step that failed through @what.
inline int MapBoRaw(int fd, std::uint32_t handle, std::uint64_t size, std::uint8_t **map,
                    const char **what = nullptr) {
  drm_ember_mmap_bo m{};
  m.handle = handle;
  if (const int err = Ioctl(fd, DRM_IOCTL_EMBER_MMAP_BO, &m); err != 0) {
    if (what != nullptr) {
      *what = "MMAP_BO";
    }
    return err;
  }
  void *p =
      ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(m.offset));
  if (p == MAP_FAILED) {
    if (what != nullptr) {
      *what = "mmap of a BO";
    }
    return errno;
  }
  *map = static_cast<std::uint8_t *>(p);
  return 0;
}

// GEM_CLOSE of a handle: 0 or the errno.
inline int GemClose(int fd, std::uint32_t handle) {
  drm_gem_close c{};
  c.handle = handle;
  return Ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

// ---- slices ----

// COPY of BO bytes [off, off + size) to (TO_DEV) or from (FROM_DEV)
// device memory at dev.
inline drm_ember_slice Copy(std::uint64_t off, std::uint64_t size, std::uint64_t dev,
                            std::uint32_t dir) {
  drm_ember_slice s{};
  s.op = EMBER_SLICE_OP_COPY;
  s.dir = dir;
  s.offset = off;
  s.size = size;
  s.dev_offset = dev;
  return s;
}

// FILL of device memory [dev, dev + size) with byte.
inline drm_ember_slice FillDev(std::uint64_t dev, std::uint64_t size, std::uint8_t byte) {
  drm_ember_slice s{};
  s.op = EMBER_SLICE_OP_FILL;
  s.dir = EMBER_SLICE_TO_DEV;
  s.size = size;
  s.dev_offset = dev;
  s.dev_aux = byte;
  return s;
}

// FILL of BO bytes [off, off + size) with byte.
inline drm_ember_slice FillBo(std::uint64_t off, std::uint64_t size, std::uint8_t byte) {
  drm_ember_slice s{};
  s.op = EMBER_SLICE_OP_FILL;
  s.dir = EMBER_SLICE_FROM_DEV;
  s.offset = off;
  s.size = size;
  s.dev_aux = byte;
  return s;
}

// CRC-32 of device memory [dev, dev + len) into the 4 BO bytes at off.
inline drm_ember_slice Crc(std::uint64_t off, std::uint64_t dev, std::uint64_t len) {
  drm_ember_slice s{};
  s.op = EMBER_SLICE_OP_CRC32;
  s.dir = EMBER_SLICE_FROM_DEV;
  s.offset = off;
  s.size = 4;
  s.dev_offset = dev;
  s.dev_aux = len;
  return s;
}

// int8 GEMM: A (m×k) at a, B (k×n) at b, C (m×n int32) at c.
inline drm_ember_slice Gemm(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint32_t m,
                            std::uint32_t n, std::uint32_t k) {
  drm_ember_slice s{};
  s.op = EMBER_SLICE_OP_GEMM_I8;
  s.dir = EMBER_SLICE_TO_DEV;
  s.dev_offset = a;
  s.dev_aux = b;
  s.dev_out = c;
  s.m = m;
  s.n = n;
  s.k = k;
  return s;
}

// ---- execution ----

// ATTACH_SLICE_BO of @s to BO @handle for DBC @dbc: 0 or the errno.
inline int Attach(int fd, std::uint32_t handle, std::uint32_t dbc,
                  const std::vector<drm_ember_slice> &s) {
  drm_ember_attach_slice_bo a{};
  a.handle = handle;
  a.dbc_id = dbc;
  a.count = static_cast<std::uint32_t>(s.size());
  a.slices = reinterpret_cast<std::uintptr_t>(s.data());
  return Ioctl(fd, DRM_IOCTL_EMBER_ATTACH_SLICE_BO, &a);
}

// DETACH_SLICE_BO: 0 or the errno.
inline int Detach(int fd, std::uint32_t handle) {
  drm_ember_detach_slice_bo d{};
  d.handle = handle;
  return Ioctl(fd, DRM_IOCTL_EMBER_DETACH_SLICE_BO, &d);
}

// EXECUTE_BO (PARTIAL_EXECUTE_BO with @partial) of the @count entries at
// @e: 0 or the errno.
inline int ExecuteEntries(int fd, const drm_ember_execute_entry *e, std::size_t count,
                          bool partial) {
  drm_ember_execute_bo x{};
  x.count = static_cast<std::uint32_t>(count);
  x.entries = reinterpret_cast<std::uintptr_t>(e);
  return Ioctl(fd, partial ? DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO : DRM_IOCTL_EMBER_EXECUTE_BO, &x);
}

// EXECUTE_BO (PARTIAL_EXECUTE_BO with @partial) of @e: 0 or the errno.
inline int Execute(int fd, const std::vector<drm_ember_execute_entry> &e, bool partial = false) {
  return ExecuteEntries(fd, e.data(), e.size(), partial);
}

// EXECUTE_BO of one BO, with nothing on the heap: the benchmark's raw
// path (ember_bench --api raw), the floor libember is measured against.
inline int Execute(int fd, std::uint32_t handle) {
  drm_ember_execute_entry e{};
  e.handle = handle;
  return ExecuteEntries(fd, &e, 1, false);
}

// EXECUTE_BO of one BO with EMBER_EXECUTE_BO_WAIT (@timeout_ms 0: the
// driver's default; @wait_flags EMBER_WAIT_BO_*, POLL becoming
// EMBER_EXECUTE_BO_POLL): 0 or the errno, EINTR included. The benchmark's
// raw QD1 path.
inline int ExecuteWait(int fd, std::uint32_t handle, std::uint32_t timeout_ms = 0,
                       std::uint32_t wait_flags = 0) {
  drm_ember_execute_entry e{};
  e.handle = handle;
  drm_ember_execute_bo x{};
  x.count = 1;
  x.entries = reinterpret_cast<std::uintptr_t>(&e);
  x.flags =
      EMBER_EXECUTE_BO_WAIT | ((wait_flags & EMBER_WAIT_BO_POLL) != 0 ? EMBER_EXECUTE_BO_POLL : 0);
  x.timeout_ms = timeout_ms;
  // Not Ioctl(): after EINTR the BO is queued, a retry would be EBUSY.
  return ::ioctl(fd, DRM_IOCTL_EMBER_EXECUTE_BO, &x) == 0 ? 0 : errno;
}

// WAIT_BO (@timeout_ms 0: the driver's default; @flags EMBER_WAIT_BO_*):
// 0 or the errno.
inline int Wait(int fd, std::uint32_t handle, std::uint32_t timeout_ms = 0,
                std::uint32_t flags = 0) {
  drm_ember_wait_bo w{};
  w.handle = handle;
  w.timeout_ms = timeout_ms;
  w.flags = flags;
  return Ioctl(fd, DRM_IOCTL_EMBER_WAIT_BO, &w);
}

// GET_INFO: 0 or the errno.
inline int GetInfo(int fd, drm_ember_get_info *info) {
  return Ioctl(fd, DRM_IOCTL_EMBER_GET_INFO, info);
}

}  // namespace ember_test

#endif  // EMBER_TESTS_VM_EMBER_RAW_HPP_
