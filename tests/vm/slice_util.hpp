// Raw-ioctl helpers shared by the in-guest data-path tests and the load
// generator of the storm test and the benchmark (tests/vm/ember_load.hpp):
// an errno-returning ioctl wrapper, makers for every kind of
// drm_ember_slice (docs/datapath.md, "Slices") and errno-returning
// ATTACH / DETACH / EXECUTE / WAIT / GEM_CLOSE and one-transaction MANAGE
// (ACTIVATE, DEACTIVATE) calls. No test framework here, so
// non-Catch2 programs can include it.
#ifndef EMBER_TESTS_VM_SLICE_UTIL_HPP_
#define EMBER_TESTS_VM_SLICE_UTIL_HPP_

#include <sys/ioctl.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "ember_accel.h"

namespace ember_test {

// Returns 0 or the errno of the ioctl.
template <class T>
int Ioctl(int fd, unsigned long request, T *arg) {
  return ::ioctl(fd, request, arg) == 0 ? 0 : errno;
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

// ACTIVATE one DBC with rings of @ring entries through MANAGE (no test
// framework: also for children of fork()): 0 or the errno, the DBC id
// through @id.
inline int ActivateRaw(int fd, std::uint32_t *id, std::uint32_t ring = 64) {
  drm_ember_manage_trans_activate act{};
  act.hdr.type = EMBER_MANAGE_TRANS_ACTIVATE;
  act.hdr.len = sizeof(act);
  act.ring_size = ring;
  const int err = ManageOne(fd, &act);
  *id = act.dbc_id;
  return err;
}

// DEACTIVATE a DBC of the caller through MANAGE: 0 or the errno.
inline int DeactivateRaw(int fd, std::uint32_t id) {
  drm_ember_manage_trans_deactivate d{};
  d.hdr.type = EMBER_MANAGE_TRANS_DEACTIVATE;
  d.hdr.len = sizeof(d);
  d.dbc_id = id;
  return ManageOne(fd, &d);
}

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

// EXECUTE_BO (PARTIAL_EXECUTE_BO with @partial) of @e: 0 or the errno.
inline int Execute(int fd, const std::vector<drm_ember_execute_entry> &e, bool partial = false) {
  drm_ember_execute_bo x{};
  x.count = static_cast<std::uint32_t>(e.size());
  x.entries = reinterpret_cast<std::uintptr_t>(e.data());
  return Ioctl(fd, partial ? DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO : DRM_IOCTL_EMBER_EXECUTE_BO, &x);
}

inline int Execute(int fd, std::uint32_t handle) { return Execute(fd, {{handle, 0}}); }

// WAIT_BO (@timeout_ms 0: the driver's default): 0 or the errno.
inline int Wait(int fd, std::uint32_t handle, std::uint32_t timeout_ms = 0) {
  drm_ember_wait_bo w{};
  w.handle = handle;
  w.timeout_ms = timeout_ms;
  return Ioctl(fd, DRM_IOCTL_EMBER_WAIT_BO, &w);
}

// GEM_CLOSE of a handle: 0 or the errno.
inline int GemClose(int fd, std::uint32_t handle) {
  drm_gem_close c{};
  c.handle = handle;
  return Ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

}  // namespace ember_test

#endif  // EMBER_TESTS_VM_SLICE_UTIL_HPP_
