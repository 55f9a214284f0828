// Layout of the ember ioctl ABI: sizes, offsets and ioctl numbers are part
// of the ABI and must never change within a major version.
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <type_traits>

#include "ember_accel.h"

namespace {

// Sum of member sizes; equal to sizeof() only without implicit padding.
constexpr std::size_t kGetInfoMembers =
    14 * sizeof(__u32) + 2 * sizeof(__u64) + 4 * sizeof(__u32) + 4 * sizeof(__u64);

}  // namespace

TEST_CASE("get_info has a fixed size and no implicit padding", "[uapi]") {
  STATIC_REQUIRE(sizeof(drm_ember_get_info) == 120);
  STATIC_REQUIRE(sizeof(drm_ember_get_info) == kGetInfoMembers);
  STATIC_REQUIRE(sizeof(drm_ember_get_info) % 8 == 0);
  STATIC_REQUIRE(std::is_standard_layout_v<drm_ember_get_info>);
}

TEST_CASE("get_info field offsets are stable", "[uapi]") {
  STATIC_REQUIRE(offsetof(drm_ember_get_info, flags) == 0);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, pad) == 4);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, abi_major) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, hw_version) == 20);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, num_dbcs) == 48);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, caps) == 52);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, devmem_size) == 56);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, serial) == 64);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, irq_mode) == 72);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, num_vfs) == 84);
  STATIC_REQUIRE(offsetof(drm_ember_get_info, reserved) == 88);
}

TEST_CASE("ioctl numbers encode direction, type, number and size", "[uapi]") {
  constexpr unsigned long nr = DRM_IOCTL_EMBER_GET_INFO;
  CHECK(_IOC_TYPE(nr) == DRM_IOCTL_BASE);
  CHECK(_IOC_NR(nr) == DRM_COMMAND_BASE + DRM_EMBER_GET_INFO);
  CHECK(_IOC_DIR(nr) == (_IOC_READ | _IOC_WRITE));
  CHECK(_IOC_SIZE(nr) == sizeof(drm_ember_get_info));
}

TEST_CASE("ABI version is a sane major.minor.patch", "[uapi]") {
  STATIC_REQUIRE(EMBER_ABI_MAJOR >= 1);
  STATIC_REQUIRE(EMBER_ABI_MINOR >= 0);
  STATIC_REQUIRE(EMBER_ABI_PATCH >= 0);
}

TEST_CASE("data path structs have fixed sizes and no implicit padding", "[uapi]") {
  STATIC_REQUIRE(sizeof(drm_ember_create_bo) == 16);
  STATIC_REQUIRE(sizeof(drm_ember_mmap_bo) == 16);
  STATIC_REQUIRE(sizeof(drm_ember_slice) == 5 * sizeof(__u64) + 6 * sizeof(__u32));
  STATIC_REQUIRE(sizeof(drm_ember_slice) == 64);
  STATIC_REQUIRE(sizeof(drm_ember_attach_slice_bo) == 24);
  STATIC_REQUIRE(sizeof(drm_ember_execute_entry) == 8);
  STATIC_REQUIRE(sizeof(drm_ember_execute_bo) == 24);  // 16 before ABI 1.4
  STATIC_REQUIRE(sizeof(drm_ember_wait_bo) == 16);
  STATIC_REQUIRE(sizeof(drm_ember_perf_stats_entry) == 32);
  STATIC_REQUIRE(sizeof(drm_ember_perf_stats_bo) == 16);
  STATIC_REQUIRE(sizeof(drm_ember_detach_slice_bo) == 8);
}

TEST_CASE("data path field offsets are stable", "[uapi]") {
  STATIC_REQUIRE(offsetof(drm_ember_create_bo, handle) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_create_bo, flags) == 12);
  STATIC_REQUIRE(offsetof(drm_ember_mmap_bo, offset) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_slice, dev_offset) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_slice, dev_aux) == 24);
  STATIC_REQUIRE(offsetof(drm_ember_slice, dev_out) == 32);
  STATIC_REQUIRE(offsetof(drm_ember_slice, op) == 40);
  STATIC_REQUIRE(offsetof(drm_ember_slice, m) == 48);
  STATIC_REQUIRE(offsetof(drm_ember_slice, pad) == 60);
  STATIC_REQUIRE(offsetof(drm_ember_attach_slice_bo, count) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_attach_slice_bo, slices) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_execute_entry, resize) == 4);
  STATIC_REQUIRE(offsetof(drm_ember_execute_bo, entries) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_execute_bo, timeout_ms) == 16);
  STATIC_REQUIRE(offsetof(drm_ember_execute_bo, pad) == 20);
  STATIC_REQUIRE(offsetof(drm_ember_wait_bo, dbc_id) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_perf_stats_entry, submit_ts) == 8);
  STATIC_REQUIRE(offsetof(drm_ember_perf_stats_entry, done_ts) == 24);
  STATIC_REQUIRE(offsetof(drm_ember_perf_stats_bo, entries) == 8);
}

TEST_CASE("data path ioctl numbers are the reserved 0x02-0x09", "[uapi]") {
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_CREATE_BO) == DRM_COMMAND_BASE + 0x02);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_MMAP_BO) == DRM_COMMAND_BASE + 0x03);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_ATTACH_SLICE_BO) == DRM_COMMAND_BASE + 0x04);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_EXECUTE_BO) == DRM_COMMAND_BASE + 0x05);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO) == DRM_COMMAND_BASE + 0x06);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_WAIT_BO) == DRM_COMMAND_BASE + 0x07);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_PERF_STATS_BO) == DRM_COMMAND_BASE + 0x08);
  CHECK(_IOC_NR(DRM_IOCTL_EMBER_DETACH_SLICE_BO) == DRM_COMMAND_BASE + 0x09);
  CHECK(_IOC_SIZE(DRM_IOCTL_EMBER_CREATE_BO) == sizeof(drm_ember_create_bo));
  CHECK(_IOC_DIR(DRM_IOCTL_EMBER_CREATE_BO) == (_IOC_READ | _IOC_WRITE));
  CHECK(_IOC_DIR(DRM_IOCTL_EMBER_MMAP_BO) == (_IOC_READ | _IOC_WRITE));
}
