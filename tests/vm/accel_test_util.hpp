// Shared by the in-guest raw-ioctl tests (manage_test.cpp,
// datapath_test.cpp, integrity_test.cpp): finding the ember accel node of
// the VM, one open file per client, the driver's debugfs fault-injection
// knobs and clients file, building MANAGE calls and firmware commands
// (LOAD_WORKLOAD, UNLOAD_WORKLOAD, docs/nnc.md §15), ACTIVATE/DEACTIVATE,
// mapped BOs, a device reset (FLR) and the kernel log since a point.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember_accel.h"
#include "slice_util.hpp"

namespace ember_test {

namespace fs = std::filesystem;

inline std::string ReadFile(const fs::path &path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

inline void WriteFile(const fs::path &path, const std::string &value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  REQUIRE(out.good());
}

// The ember device of this VM: node, PCI address, debugfs directory.
struct Device {
  std::string node;
  std::string bdf;
  fs::path debugfs;
};

inline const Device &Dev() {
  static const Device dev = [] {
    Device d;
    for (const auto &entry : fs::directory_iterator("/sys/class/accel")) {
      const auto node = "/dev/accel/" + entry.path().filename().string();
      const int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      std::unique_ptr<drmVersion, decltype(&drmFreeVersion)> ver(drmGetVersion(fd), drmFreeVersion);
      ::close(fd);
      if (!ver || std::string(ver->name, ver->name_len) != "ember") {
        continue;
      }
      d.node = node;
      d.bdf = fs::read_symlink(entry.path() / "device").filename().string();
      // The 6.12 accel core names the debugfs directory after the PCI
      // device; older cores after the minor.
      d.debugfs = fs::path("/sys/kernel/debug/accel") / d.bdf;
      if (!fs::exists(d.debugfs)) {
        d.debugfs =
            fs::path("/sys/kernel/debug/accel") / entry.path().filename().string().substr(5);
      }
      break;
    }
    return d;
  }();
  if (dev.node.empty()) {
    FAIL("no ember accel device");
  }
  return dev;
}

// An open file of the accel node: one client.
class Fd {
 public:
  Fd() : fd_(::open(Dev().node.c_str(), O_RDWR | O_CLOEXEC)) { REQUIRE(fd_ >= 0); }
  ~Fd() { Close(); }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  [[nodiscard]] int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

// Sets a fault-injection register through debugfs "fault" (BAR0 cannot
// be mapped while the driver owns it) and clears it again on scope exit.
class Fault {
 public:
  Fault(const char *name, std::uint32_t value) : name_(name) { Set(value); }
  ~Fault() { Set(0); }
  Fault(const Fault &) = delete;
  Fault &operator=(const Fault &) = delete;
  void Set(std::uint32_t value) const {
    std::ofstream out(Dev().debugfs / "fault");
    out << name_ << ' ' << value << '\n';
    out.flush();
    CHECK(out.good());
  }
  [[nodiscard]] std::uint32_t Read() const {
    std::istringstream in(ReadFile(Dev().debugfs / "fault"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name_ + ": ", 0) == 0) {
        return static_cast<std::uint32_t>(
            std::strtoul(line.c_str() + name_.size() + 2, nullptr, 0));
      }
    }
    FAIL("no " << name_ << " in debugfs fault");
    return 0;
  }

 private:
  std::string name_;
};

// debugfs clients line of a process, empty if none.
inline std::string ClientLine(pid_t pid) {
  std::istringstream in(ReadFile(Dev().debugfs / "clients"));
  std::string line;
  const std::string want = " pid=" + std::to_string(pid) + " ";
  while (std::getline(in, line)) {
    if (line.find(want) != std::string::npos) {
      return line;
    }
  }
  return "";
}

// docs/nnc.md §15 firmware commands
inline constexpr std::uint16_t kCmdEcho = 1;
inline constexpr std::uint16_t kCmdLoad = 2;
inline constexpr std::uint16_t kCmdUnload = 3;
inline constexpr std::uint16_t kCmdQuery = 4;
inline constexpr std::uint16_t kCmdReply = 0x8000;

// A MANAGE call under construction: transactions back to back.
class Msg {
 public:
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
  // Returns 0 or the errno of the ioctl.
  int Send(int fd, std::uint32_t count_override = 0, std::uint32_t len_override = 0) {
    drm_ember_manage_msg m{};
    m.len = len_override ? len_override : static_cast<std::uint32_t>(bytes_.size());
    m.count = count_override ? count_override : count_;
    m.data = reinterpret_cast<std::uintptr_t>(bytes_.data());
    return ::ioctl(fd, DRM_IOCTL_EMBER_MANAGE, &m) == 0 ? 0 : errno;
  }

 private:
  // 8-byte aligned storage.
  std::vector<std::uint8_t> bytes_;
  std::uint32_t count_ = 0;
};

inline std::size_t AddPt(Msg &m, const std::vector<std::uint8_t> &cmd) {
  const auto off =
      m.Add(EMBER_MANAGE_TRANS_PASSTHROUGH,
            static_cast<std::uint32_t>(sizeof(drm_ember_manage_trans_passthrough) + cmd.size()));
  std::memcpy(m.At<drm_ember_manage_trans_passthrough>(off)->data, cmd.data(), cmd.size());
  return off;
}

template <class T>
void Put(std::vector<std::uint8_t> &b, std::size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof(v));
}
template <class T>
T Get(const std::uint8_t *p, std::size_t off) {
  T v;
  std::memcpy(&v, p + off, sizeof(v));
  return v;
}

// A firmware command of `len` bytes with its 8-byte header filled.
inline std::vector<std::uint8_t> FwCmd(std::uint16_t cmd, std::size_t len) {
  std::vector<std::uint8_t> b(len);
  Put<std::uint16_t>(b, 0, cmd);
  Put<std::uint32_t>(b, 4, static_cast<std::uint32_t>(len));
  return b;
}

// LOAD_WORKLOAD without an image: regions of `sizes` bytes (1..8 of them),
// one step (CRC-32 of region 0).
inline std::vector<std::uint8_t> LoadCmd(const std::vector<std::uint64_t> &sizes,
                                         const char *name = "test") {
  auto load = FwCmd(kCmdLoad, 48 + (8 * sizes.size()) + 32);
  std::memcpy(load.data() + 8, name, std::min<std::size_t>(std::strlen(name), 16));
  Put<std::uint32_t>(load, 28, static_cast<std::uint32_t>(sizes.size()));  // nregions
  Put<std::uint32_t>(load, 32, 1);                                         // nsteps
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Put<std::uint64_t>(load, 48 + (8 * i), sizes[i]);
  }
  const std::size_t step = 48 + (8 * sizes.size());
  load[step] = 3;      // EMBER_OP_CRC32
  load[step + 1] = 3;  // src: region 0
  return load;
}

// A loaded workload: its id and the device-memory offset of each region.
struct Workload {
  std::uint32_t id = 0;
  std::vector<std::uint64_t> offsets;
};

// LOAD_WORKLOAD (LoadCmd) through MANAGE. Returns 0 or the errno of the
// call (EPROTO for a reply that does not match the request); no Catch2
// assertions, so children of fork() can use it.
inline int LoadWorkload(int fd, const std::vector<std::uint64_t> &sizes, Workload *wl,
                        const char *name = "test") {
  Msg m;
  const auto cmd = LoadCmd(sizes, name);
  const auto off = AddPt(m, cmd);
  if (const int err = m.Send(fd); err != 0) {
    return err;
  }
  const auto *pt = m.At<drm_ember_manage_trans_passthrough>(off);
  if (pt->status != EMBER_MANAGE_STATUS_OK || pt->rsp_len != cmd.size() ||
      Get<std::uint16_t>(pt->data, 0) != (kCmdLoad | kCmdReply) ||
      Get<std::uint32_t>(pt->data, 12) != sizes.size()) {
    return EPROTO;
  }
  wl->id = Get<std::uint32_t>(pt->data, 8);
  wl->offsets.clear();
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    wl->offsets.push_back(Get<std::uint64_t>(pt->data, 24 + (8 * i)));
  }
  return 0;
}

// UNLOAD_WORKLOAD through MANAGE: returns 0 or the errno of the call, and
// the transaction's status.
inline int UnloadWorkload(int fd, std::uint32_t id, std::uint32_t *status = nullptr) {
  auto unload = FwCmd(kCmdUnload, 16);
  Put<std::uint32_t>(unload, 8, id);
  Msg m;
  const auto off = AddPt(m, unload);
  const int err = m.Send(fd);
  if (status != nullptr) {
    *status = m.At<drm_ember_manage_trans_passthrough>(off)->status;
  }
  return err;
}

// ACTIVATE one DBC with rings of @ring entries: its id.
inline std::uint32_t Activate(int fd, std::uint32_t ring = 1024) {
  std::uint32_t id = 0;
  REQUIRE(ActivateRaw(fd, &id, ring) == 0);
  return id;
}

inline void Deactivate(int fd, std::uint32_t id) { REQUIRE(DeactivateRaw(fd, id) == 0); }

// A BO without a mapping (closing its handle frees it): its handle.
inline std::uint32_t CreateBo(int fd, std::uint64_t size) {
  drm_ember_create_bo c{};
  c.size = size;
  REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_CREATE_BO, &c) == 0);
  return c.handle;
}

// A BO of a file, mapped into this process (the mapping keeps the BO
// alive after its handle is closed).
class Bo {
 public:
  Bo(int fd, std::uint64_t size) : fd_(fd), size_(size) {
    drm_ember_create_bo c{};
    c.size = size;
    REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_CREATE_BO, &c) == 0);
    handle_ = c.handle;
    drm_ember_mmap_bo m{};
    m.handle = handle_;
    REQUIRE(Ioctl(fd, DRM_IOCTL_EMBER_MMAP_BO, &m) == 0);
    void *p =
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(m.offset));
    REQUIRE(p != MAP_FAILED);
    map_ = static_cast<std::uint8_t *>(p);
  }
  ~Bo() {
    ::munmap(map_, size_);
    Close();
  }
  Bo(const Bo &) = delete;
  Bo &operator=(const Bo &) = delete;
  [[nodiscard]] std::uint32_t handle() const { return handle_; }
  [[nodiscard]] std::uint8_t *data() const { return map_; }
  // Drop the handle (the mapping stays).
  void Close() {
    if (handle_ != 0) {
      CHECK(GemClose(fd_, handle_) == 0);
      handle_ = 0;
    }
  }

 private:
  int fd_;
  std::uint64_t size_;
  std::uint32_t handle_ = 0;
  std::uint8_t *map_ = nullptr;
};

// waitpid() for @pid: its status.
inline int Reap(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return st;
}

// A function level reset of the device through sysfs: the write returns
// when the PCI core has reset the function and the driver's reset_done
// has run.
inline void ResetDevice() { WriteFile("/sys/bus/pci/devices/" + Dev().bdf + "/reset", "1"); }

// A module parameter of ember.ko, trailing newline removed; empty if the
// parameter does not exist.
inline std::string ModuleParam(const std::string &name) {
  const fs::path path = fs::path("/sys/module/ember/parameters") / name;
  if (!fs::exists(path)) {
    return "";
  }
  auto v = ReadFile(path);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) {
    v.pop_back();
  }
  return v;
}

// The kernel log from construction on (/dev/kmsg, read without blocking).
class KernelLog {
 public:
  KernelLog() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
    REQUIRE(::lseek(fd_, 0, SEEK_END) >= 0);
  }
  ~KernelLog() { ::close(fd_); }
  KernelLog(const KernelLog &) = delete;
  KernelLog &operator=(const KernelLog &) = delete;
  KernelLog(KernelLog &&) = delete;
  KernelLog &operator=(KernelLog &&) = delete;

  // The messages logged since construction (or the last call).
  [[nodiscard]] std::vector<std::string> Read() const {
    std::vector<std::string> lines;
    std::vector<char> rec(8192);
    for (;;) {
      const ssize_t n = ::read(fd_, rec.data(), rec.size());
      if (n < 0 && (errno == EINTR || errno == EPIPE)) {
        continue;  // EPIPE: records were overwritten meanwhile; go on
      }
      if (n <= 0) {
        break;  // EAGAIN: nothing more
      }
      // "prio,seq,usec,flags;message\n" and " KEY=value" lines.
      std::string line(rec.data(), static_cast<std::size_t>(n));
      line = line.substr(0, line.find('\n'));
      line = line.substr(line.find(';') + 1);
      lines.push_back(line);
    }
    return lines;
  }

  // The messages logged since construction (or the last call) that
  // contain @needle.
  [[nodiscard]] std::vector<std::string> Grep(const std::string &needle) const {
    std::vector<std::string> found;
    for (auto &line : Read()) {
      if (line.find(needle) != std::string::npos) {
        found.push_back(std::move(line));
      }
    }
    return found;
  }

 private:
  int fd_;
};

}  // namespace ember_test
