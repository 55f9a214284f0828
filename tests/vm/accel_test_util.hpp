// The Catch2 layer of the in-guest raw-ioctl tests (manage_test.cpp,
// datapath_test.cpp, datapath_ops_test.cpp, integrity_test.cpp,
// churn_test.cpp, getinfo_test.cpp), on the framework-free core
// ember_raw.hpp: the ember device of the VM (FAIL without one), one open
// file per client, REQUIRE-checked ACTIVATE / DEACTIVATE / CREATE_BO /
// GET_INFO / QUERY and a one-shot Run of slices, mapped BOs, the driver's
// debugfs fault-injection knobs and clients file, a device reset (FLR),
// module parameters and the kernel log since a point.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember_accel.h"
#include "ember_raw.hpp"

namespace ember_test {

namespace fs = std::filesystem;

// A file's contents, empty if it cannot be read.
inline std::string ReadFile(const fs::path &path) { return ReadText(path).value_or(""); }

inline void WriteFile(const fs::path &path, const std::string &value) {
  REQUIRE(WriteText(path, value));
}

// The ember device of this VM: node, sysfs directory, PCI address, debugfs
// directory.
inline const Device &Dev() {
  static const std::optional<Device> dev = FindEmber();
  if (!dev) {
    FAIL("no ember accel device");
  }
  return *dev;
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
    CHECK(WriteText(Dev().debugfs / "test" / "fault", name_ + ' ' + std::to_string(value) + '\n'));
  }
  [[nodiscard]] std::uint32_t Read() const {
    std::istringstream in(ReadFile(Dev().debugfs / "test" / "fault"));
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

// ACTIVATE one DBC with rings of @ring entries: its id.
inline std::uint32_t Activate(int fd, std::uint32_t ring = 1024) {
  std::uint32_t id = 0;
  REQUIRE(ActivateRaw(fd, &id, ring) == 0);
  return id;
}

inline void Deactivate(int fd, std::uint32_t id) { REQUIRE(DeactivateRaw(fd, id) == 0); }

// A BO without a mapping (closing its handle frees it): its handle.
inline std::uint32_t CreateBo(int fd, std::uint64_t size) {
  std::uint32_t handle = 0;
  REQUIRE(CreateBoRaw(fd, size, &handle) == 0);
  return handle;
}

// A BO of a file, mapped into this process (the mapping keeps the BO
// alive after its handle is closed).
class Bo {
 public:
  Bo(int fd, std::uint64_t size) : fd_(fd), size_((size + 4095) / 4096 * 4096) {
    REQUIRE(CreateBoRaw(fd, size, &handle_) == 0);
    const char *what = "";
    const int err = MapBoRaw(fd, handle_, size_, &map_, &what);
    INFO(what << ": " << ErrnoText(err));
    REQUIRE(err == 0);
  }
  ~Bo() {
    ::munmap(map_, size_);
    Close();
  }
  Bo(const Bo &) = delete;
  Bo &operator=(const Bo &) = delete;
  Bo(Bo &&) = delete;
  Bo &operator=(Bo &&) = delete;
  [[nodiscard]] std::uint32_t handle() const { return handle_; }
  [[nodiscard]] std::uint8_t *data() const { return map_; }
  [[nodiscard]] std::uint64_t size() const { return size_; }  // page-rounded
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

// Slice @bo with @s, execute it once, wait (@timeout_ms, 0: the driver's
// default) and detach.
inline void Run(int fd, const Bo &bo, std::uint32_t dbc, const std::vector<drm_ember_slice> &s,
                std::uint32_t timeout_ms = 0) {
  REQUIRE(Attach(fd, bo.handle(), dbc, s) == 0);
  REQUIRE(Execute(fd, bo.handle()) == 0);
  REQUIRE(Wait(fd, bo.handle(), timeout_ms) == 0);
  REQUIRE(Detach(fd, bo.handle()) == 0);
}

// GET_INFO of @fd.
inline drm_ember_get_info Info(int fd) {
  drm_ember_get_info info{};
  REQUIRE(GetInfo(fd, &info) == 0);
  return info;
}

// QUERY (docs/nnc.md §15.5): the errno of the call; a reply that is not
// one fails the test.
inline int QueryErr(int fd, Query *q) {
  std::vector<std::uint8_t> reply;
  std::uint32_t status = 0;
  if (const int err = Passthrough(fd, QueryCmd(), &reply, &status); err != 0) {
    return err;
  }
  REQUIRE(status == EMBER_MANAGE_STATUS_OK);
  REQUIRE(reply.size() == EMBER_FW_QUERY_LEN);
  REQUIRE(FwCmdOf(reply.data()) == FwReply(EMBER_FW_CMD_QUERY));
  *q = ParseQuery(reply.data());
  return 0;
}

inline Query DoQuery(int fd) {
  Query q{};
  REQUIRE(QueryErr(fd, &q) == 0);
  return q;
}

// A function level reset of the device through sysfs: the write returns
// when the PCI core has reset the function and the driver's reset_done
// has run.
inline void ResetDevice() { WriteFile("/sys/bus/pci/devices/" + Dev().bdf + "/reset", "1"); }

// A module parameter of ember.ko, trailing newline removed; empty if the
// parameter does not exist.
inline std::string ModuleParam(const std::string &name) {
  return ReadModuleParam(name).value_or("");
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
