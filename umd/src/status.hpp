// Status codes, errno mapping and the per-thread error message (ember.h).
#ifndef EMBER_SRC_STATUS_HPP_
#define EMBER_SRC_STATUS_HPP_

#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "ember/ember.h"

namespace ember::detail {

// Records |message| as this thread's last error and returns |status|.
// Never throws (a message that cannot be stored is replaced by a fixed one).
ember_status Fail(ember_status status, std::string_view message) noexcept;

// Fail(ember_status_from_errno(err), "<what>: <strerror(err)>").
ember_status FailErrno(int err, std::string_view what) noexcept;

// strerror() text of |err|, thread-safe.
std::string ErrnoText(int err);

// The name of a status, e.g. "EMBER_ERR_NOSPC".
const char *StatusName(ember_status status) noexcept;

// Runs |fn| (returning ember_status) and turns exceptions into statuses,
// so none crosses the C ABI.
template <typename Fn>
ember_status Guarded(std::string_view function, Fn &&fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc &) {
    return Fail(EMBER_ERR_NOMEM, function);
  } catch (const std::exception &e) {
    return Fail(EMBER_ERR_IO, e.what());
  } catch (...) {
    return Fail(EMBER_ERR_IO, function);
  }
}

}  // namespace ember::detail

#endif  // EMBER_SRC_STATUS_HPP_
