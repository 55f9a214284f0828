// Shared by the in-guest raw-ioctl tests (manage_test.cpp,
// datapath_test.cpp): finding the ember accel node of the VM, one open file
// per client, and the driver's debugfs fault-injection knobs.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <xf86drm.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

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

}  // namespace ember_test
