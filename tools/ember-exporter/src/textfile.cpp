// ember-exporter: atomic snapshot files (textfile.hpp).
#include "textfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace ember_exporter {
namespace {

// An open file descriptor, closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  // Closes now; the error of close(2), or 0.
  int reset() {
    int err = 0;
    if (fd_ >= 0 && ::close(fd_) != 0) {
      err = errno;
    }
    fd_ = -1;
    return err;
  }

 private:
  int fd_;
};

// The temporary file, removed unless it was renamed into place.
class TempName {
 public:
  explicit TempName(std::string name) : name_(std::move(name)) {}
  TempName(const TempName &) = delete;
  TempName &operator=(const TempName &) = delete;
  ~TempName() {
    if (!name_.empty()) {
      ::unlink(name_.c_str());
    }
  }
  [[nodiscard]] const std::string &name() const { return name_; }
  void release() { name_.clear(); }

 private:
  std::string name_;
};

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

std::string write_atomic(const std::string &path, std::string_view content) {
  const std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  // ".<name>.XXXXXX": hidden, and without the .prom suffix.
  const std::string templ = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  Fd fd(::mkstemp(name.data()));
  if (fd.get() < 0) {
    return fmt::format("cannot create a temporary file in {}: {}", dir.string(), errno_text(errno));
  }
  TempName temp(name.data());

  const char *p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fmt::format("cannot write {}: {}", temp.name(), errno_text(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // mkstemp makes 0600; the textfile collector may run as another user.
  if (::fchmod(fd.get(), 0644) != 0) {
    return fmt::format("cannot chmod {}: {}", temp.name(), errno_text(errno));
  }
  if (::fsync(fd.get()) != 0) {
    return fmt::format("cannot sync {}: {}", temp.name(), errno_text(errno));
  }
  if (const int err = fd.reset(); err != 0) {
    return fmt::format("cannot close {}: {}", temp.name(), errno_text(err));
  }
  if (::rename(temp.name().c_str(), path.c_str()) != 0) {
    return fmt::format("cannot rename {} to {}: {}", temp.name(), path, errno_text(errno));
  }
  temp.release();
  return {};
}

}  // namespace ember_exporter
