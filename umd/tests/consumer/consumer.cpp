// Uses the installed C++ API and the uAPI header; no device is needed.
#include <ember/ember_accel.h>
#include <ember/ember.hpp>

#include <cstdio>
#include <string_view>
#include <type_traits>

int main() {
  if (ember::version() != EMBER_VERSION_STRING) {
    std::fprintf(stderr, "header %s, library %s\n", EMBER_VERSION_STRING,
                 std::string(ember::version()).c_str());
    return 1;
  }
  const auto devices = ember::list_devices();
  if (!devices || !devices->empty()) {
    return 1;
  }
  ember::WorkloadBuilder b("consumer");
  b.fill(b.add_output(), 0x5a);
  if (!b.build()) {
    return 1;
  }
  const auto dev = ember::Device::open(0);
  if (dev || dev.error().code() != EMBER_ERR_NOENT) {
    return 1;
  }
  constexpr ember::Slice copy = ember::slice::copy_to_device(0, 64, 4096);
  static_assert(copy.op == EMBER_SLICE_OP_COPY && copy.dir == EMBER_SLICE_TO_DEV);
  static_assert(!std::is_copy_constructible_v<ember::Buffer>);
  const auto buffer = ember::Device::adopt(nullptr).create_buffer(4096);
  if (buffer || buffer.error().code() != EMBER_ERR_INVALID) {
    return 1;
  }
  drm_ember_manage_trans_status st{};
  static_assert(sizeof(st) == 24);
  std::printf("consumer: libember %s\n", std::string(ember::version()).c_str());
  return 0;
}
