// Raw-ioctl helpers shared by the in-guest data-path tests and the load
// generator of the storm test and the benchmark (tests/vm/ember_load.hpp):
// an errno-returning ioctl wrapper and makers for every kind of
// drm_ember_slice (docs/datapath.md, "Slices"). No test framework here, so
// non-Catch2 programs can include it.
#ifndef EMBER_TESTS_VM_SLICE_UTIL_HPP_
#define EMBER_TESTS_VM_SLICE_UTIL_HPP_

#include <sys/ioctl.h>

#include <cerrno>
#include <cstdint>

#include "ember_accel.h"

namespace ember_test {

// Returns 0 or the errno of the ioctl.
template <class T>
int Ioctl(int fd, unsigned long request, T *arg) {
  return ::ioctl(fd, request, arg) == 0 ? 0 : errno;
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

}  // namespace ember_test

#endif  // EMBER_TESTS_VM_SLICE_UTIL_HPP_
