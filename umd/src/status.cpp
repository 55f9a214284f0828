// Status codes, errno mapping and the per-thread error message.
#include "status.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ember_accel.h"

namespace ember::detail {
namespace {

struct StatusRow {
  ember_status status;
  int err;
  const char *name;
  const char *text;
};

// One row per status; the errno column is the 1:1 mapping of ember.h.
constexpr std::array<StatusRow, 18> kStatusTable = {{
    {EMBER_OK, 0, "EMBER_OK", "success"},
    {EMBER_ERR_INVALID, EINVAL, "EMBER_ERR_INVALID", "invalid argument"},
    {EMBER_ERR_FAULT, EFAULT, "EMBER_ERR_FAULT", "bad address"},
    {EMBER_ERR_NOENT, ENOENT, "EMBER_ERR_NOENT", "no such object"},
    {EMBER_ERR_PERM, EPERM, "EMBER_ERR_PERM", "object belongs to another client"},
    {EMBER_ERR_BUSY, EBUSY, "EMBER_ERR_BUSY", "object busy"},
    {EMBER_ERR_AGAIN, EAGAIN, "EMBER_ERR_AGAIN", "resource temporarily unavailable"},
    {EMBER_ERR_TIMEDOUT, ETIMEDOUT, "EMBER_ERR_TIMEDOUT", "timed out"},
    {EMBER_ERR_INTR, EINTR, "EMBER_ERR_INTR", "interrupted"},
    {EMBER_ERR_NOMEM, ENOMEM, "EMBER_ERR_NOMEM", "out of memory"},
    {EMBER_ERR_NOSPC, ENOSPC, "EMBER_ERR_NOSPC", "no free device resource"},
    {EMBER_ERR_IO, EIO, "EMBER_ERR_IO", "device I/O error"},
    {EMBER_ERR_NODEV, ENODEV, "EMBER_ERR_NODEV", "no such device"},
    {EMBER_ERR_UNSUPPORTED, EOPNOTSUPP, "EMBER_ERR_UNSUPPORTED", "operation not supported"},
    {EMBER_ERR_NOTTY, ENOTTY, "EMBER_ERR_NOTTY", "not an ember ioctl or DRM node"},
    {EMBER_ERR_ACCESS, EACCES, "EMBER_ERR_ACCESS", "permission denied"},
    {EMBER_ERR_NOT_RUN, ECANCELED, "EMBER_ERR_NOT_RUN",
     "not run: an earlier transaction failed, or cancelled"},
    {EMBER_ERR_UNKNOWN, 0, "EMBER_ERR_UNKNOWN", "unknown error"},
}};

// The kernel-internal "restart the syscall" errno; never seen by userspace
// in practice, but documented in docs/uapi.md next to EINTR.
constexpr int kErestartsys = 512;

const StatusRow *Find(ember_status status) noexcept {
  for (const auto &row : kStatusTable) {
    if (row.status == status) {
      return &row;
    }
  }
  return nullptr;
}

thread_local std::string tls_message;

// strerror_r() is the GNU one (returns the text) or the XSI one (fills buf).
[[maybe_unused]] const char *StrerrorText(const char *text, const char * /*buf*/) { return text; }
[[maybe_unused]] const char *StrerrorText(int /*rc*/, const char *buf) { return buf; }

}  // namespace

std::string ErrnoText(int err) {
  std::array<char, 128> buf{};
  return StrerrorText(strerror_r(err, buf.data(), buf.size()), buf.data());
}

ember_status Fail(ember_status status, std::string_view message) noexcept {
  try {
    tls_message.assign(message);
  } catch (...) {
    tls_message.clear();
  }
  return status;
}

ember_status FailErrno(int err, std::string_view what) noexcept {
  const ember_status status = ember_status_from_errno(err);
  try {
    std::string msg(what);
    msg += ": ";
    msg += ErrnoText(err);
    return Fail(status, msg);
  } catch (...) {
    return Fail(status, what);
  }
}

const char *StatusName(ember_status status) noexcept {
  const StatusRow *row = Find(status);
  return row != nullptr ? row->name : "EMBER_ERR_?";
}

}  // namespace ember::detail

using ember::detail::kStatusTable;

extern "C" {

const char *ember_strerror(ember_status status) {
  for (const auto &row : kStatusTable) {
    if (row.status == status) {
      return row.text;
    }
  }
  return "unknown ember status";
}

int ember_status_to_errno(ember_status status) {
  if (status == EMBER_OK) {
    return 0;
  }
  for (const auto &row : kStatusTable) {
    if (row.status == status && row.err != 0) {
      return row.err;
    }
  }
  return EIO;
}

ember_status ember_status_from_errno(int err) {
  if (err < 0) {
    err = -err;
  }
  if (err == 0) {
    return EMBER_OK;
  }
  if (err == ember::detail::kErestartsys) {
    return EMBER_ERR_INTR;
  }
  if (err == ENXIO) {
    return EMBER_ERR_NODEV;
  }
  for (const auto &row : kStatusTable) {
    if (row.err == err) {
      return row.status;
    }
  }
  return EMBER_ERR_UNKNOWN;
}

ember_status ember_status_from_manage(std::uint32_t trans_status) {
  switch (trans_status) {
    case EMBER_MANAGE_STATUS_OK:
      return EMBER_OK;
    case EMBER_MANAGE_STATUS_INVAL:
      return EMBER_ERR_INVALID;
    case EMBER_MANAGE_STATUS_NOENT:
      return EMBER_ERR_NOENT;
    case EMBER_MANAGE_STATUS_PERM:
      return EMBER_ERR_PERM;
    case EMBER_MANAGE_STATUS_BUSY:
      return EMBER_ERR_BUSY;
    case EMBER_MANAGE_STATUS_NOSPC:
      return EMBER_ERR_NOSPC;
    case EMBER_MANAGE_STATUS_NOMEM:
      return EMBER_ERR_NOMEM;
    case EMBER_MANAGE_STATUS_UNSUPPORTED:
      return EMBER_ERR_UNSUPPORTED;
    case EMBER_MANAGE_STATUS_IO:
    case EMBER_MANAGE_STATUS_BADCRC:
      return EMBER_ERR_IO;
    case EMBER_MANAGE_STATUS_NOT_RUN:
      return EMBER_ERR_NOT_RUN;
    default:
      return EMBER_ERR_IO;
  }
}

const char *ember_last_error_message() { return ember::detail::tls_message.c_str(); }

}  // extern "C"
