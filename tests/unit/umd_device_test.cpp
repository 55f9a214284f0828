// libember control path against a fake kernel + firmware: the typed
// helpers build the MANAGE calls of docs/nnc.md §14/§15 (checked byte for
// byte as the kernel would receive them), map per-transaction failures and
// exchange failures to statuses with clear messages, refuse malformed
// replies, keep tags unique across threads, and the C++ RAII objects
// unload / deactivate exactly once.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "device.hpp"
#include "ember/ember.h"
#include "ember/ember.hpp"
#include "ember_accel.h"
#include "fwcmd.hpp"

namespace {

namespace fw = ember::detail::fw;
using Bytes = std::vector<std::uint8_t>;
using Catch::Matchers::ContainsSubstring;

template <typename T>
T Load(const std::uint8_t *p) {
  T v{};
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void Store(std::uint8_t *p, const T &v) {
  std::memcpy(p, &v, sizeof(T));
}

std::uint16_t Le16(const std::uint8_t *p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
std::uint32_t Le32(const std::uint8_t *p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint64_t Le64(const std::uint8_t *p) {
  return static_cast<std::uint64_t>(Le32(p)) | static_cast<std::uint64_t>(Le32(p + 4)) << 32;
}
void Put32(std::uint8_t *p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}
void Put64(std::uint8_t *p, std::uint64_t v) {
  Put32(p, static_cast<std::uint32_t>(v));
  Put32(p + 4, static_cast<std::uint32_t>(v >> 32));
}

int ErrnoOf(std::uint32_t st) {
  switch (st) {
    case EMBER_MANAGE_STATUS_INVAL:
      return EINVAL;
    case EMBER_MANAGE_STATUS_NOENT:
      return ENOENT;
    case EMBER_MANAGE_STATUS_PERM:
      return EPERM;
    case EMBER_MANAGE_STATUS_BUSY:
      return EBUSY;
    case EMBER_MANAGE_STATUS_NOSPC:
      return ENOSPC;
    case EMBER_MANAGE_STATUS_NOMEM:
      return ENOMEM;
    case EMBER_MANAGE_STATUS_UNSUPPORTED:
      return EOPNOTSUPP;
    default:
      return EIO;
  }
}

std::size_t StatusOffset(std::uint32_t type) {
  switch (type) {
    case EMBER_MANAGE_TRANS_DMA_XFER:
      return offsetof(drm_ember_manage_trans_dma_xfer, status);
    case EMBER_MANAGE_TRANS_ACTIVATE:
      return offsetof(drm_ember_manage_trans_activate, status);
    case EMBER_MANAGE_TRANS_DEACTIVATE:
      return offsetof(drm_ember_manage_trans_deactivate, status);
    default:  // STATUS, PASSTHROUGH
      return 8;
  }
}

// One emulated function: the kernel's MANAGE semantics (§14.3) and the
// firmware commands of §15, for any number of clients.
class FakeFirmware {
 public:
  static constexpr std::uint64_t kGranule = 4096;

  FakeFirmware(std::uint32_t dbcs, std::uint64_t devmem)
      : dbc_owner_(dbcs, 0), devmem_total_(devmem), devmem_free_(devmem) {}

  // Knobs (set before the call under test).
  int exchange_errno = 0;                // fail the whole call, write nothing
  std::uint32_t fail_type = 0;           // the next transaction of this type fails...
  std::uint32_t fail_status = 0;         // ...with this status
  bool swallow_errno = false;            // return 0 even if a transaction failed
  std::function<void(Bytes &)> corrupt;  // edits PASSTHROUGH reply data

  // What the kernel received: every call's msg and transaction bytes.
  struct Call {
    drm_ember_manage_msg msg;
    Bytes data;
  };

  int Manage(std::uint32_t client, drm_ember_manage_msg &msg) {
    const std::lock_guard<std::mutex> lock(mu_);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the kernel gets a user pointer too
    auto *base = reinterpret_cast<std::uint8_t *>(msg.data);
    calls_.push_back(Call{msg, Bytes(base, base + msg.len)});
    if (exchange_errno != 0) {
      return exchange_errno;
    }
    int first = 0;
    std::size_t off = 0;
    for (std::uint32_t i = 0; i < msg.count; ++i) {
      const auto hdr = Load<drm_ember_manage_trans_hdr>(base + off);
      const std::uint32_t st =
          first != 0 ? EMBER_MANAGE_STATUS_NOT_RUN : Execute(client, hdr, base + off);
      Put32(base + off + StatusOffset(hdr.type), st);
      if (st != EMBER_MANAGE_STATUS_OK && first == 0) {
        first = ErrnoOf(st);
      }
      off += hdr.len;
    }
    return swallow_errno ? 0 : first;
  }

  // TERMINATE of a closed client.
  void Terminate(std::uint32_t client) {
    const std::lock_guard<std::mutex> lock(mu_);
    ++terminated_;
    for (auto &owner : dbc_owner_) {
      if (owner == client) {
        owner = 0;
      }
    }
    for (auto it = workloads_.begin(); it != workloads_.end();) {
      if (it->second.client == client) {
        devmem_free_ += it->second.bytes;
        it = workloads_.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(staged_, [client](const auto &kv) { return kv.first.first == client; });
  }

  std::vector<Call> Calls() {
    const std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int Terminated() {
    const std::lock_guard<std::mutex> lock(mu_);
    return terminated_;
  }
  std::size_t Workloads() {
    const std::lock_guard<std::mutex> lock(mu_);
    return workloads_.size();
  }

 private:
  struct Workload {
    std::uint32_t client;
    std::uint64_t bytes;
  };

  static bool PowerOfTwo(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

  std::uint32_t Execute(std::uint32_t client, const drm_ember_manage_trans_hdr &hdr,
                        std::uint8_t *t) {
    if (fail_type == hdr.type) {
      fail_type = 0;
      return fail_status;
    }
    switch (hdr.type) {
      case EMBER_MANAGE_TRANS_STATUS: {
        auto s = Load<drm_ember_manage_trans_status>(t);
        s.features = EMBER_MANAGE_FEAT_CRC;
        s.major = 1;
        s.minor = 0;
        Store(t, s);
        return EMBER_MANAGE_STATUS_OK;
      }
      case EMBER_MANAGE_TRANS_DMA_XFER: {
        auto d = Load<drm_ember_manage_trans_dma_xfer>(t);
        if (d.size == 0 || d.size > EMBER_MANAGE_DMA_MAX) {
          return EMBER_MANAGE_STATUS_INVAL;
        }
        staged_[{client, d.tag}] = d.size;
        d.received = d.size;
        Store(t, d);
        return EMBER_MANAGE_STATUS_OK;
      }
      case EMBER_MANAGE_TRANS_ACTIVATE: {
        auto a = Load<drm_ember_manage_trans_activate>(t);
        if (!PowerOfTwo(a.ring_size) || a.ring_size < 2 || a.ring_size > 65536) {
          return EMBER_MANAGE_STATUS_INVAL;
        }
        for (std::uint32_t i = 0; i < dbc_owner_.size(); ++i) {
          if (dbc_owner_[i] == 0) {
            dbc_owner_[i] = client;
            a.dbc_id = i;
            Store(t, a);
            return EMBER_MANAGE_STATUS_OK;
          }
        }
        return EMBER_MANAGE_STATUS_NOSPC;
      }
      case EMBER_MANAGE_TRANS_DEACTIVATE: {
        const auto d = Load<drm_ember_manage_trans_deactivate>(t);
        if (d.dbc_id >= dbc_owner_.size() || dbc_owner_[d.dbc_id] != client) {
          return EMBER_MANAGE_STATUS_NOENT;  // the kernel's ownership check
        }
        dbc_owner_[d.dbc_id] = 0;
        return EMBER_MANAGE_STATUS_OK;
      }
      case EMBER_MANAGE_TRANS_PASSTHROUGH:
        return Passthrough(client, t, hdr.len - 16);
      default:
        return EMBER_MANAGE_STATUS_INVAL;
    }
  }

  std::uint32_t Passthrough(std::uint32_t client, std::uint8_t *t, std::size_t n) {
    std::uint8_t *data = t + 16;
    if (n < 8 || Le32(data + 4) != n) {
      return EMBER_MANAGE_STATUS_INVAL;
    }
    Bytes reply(n, 0);
    std::uint32_t st = EMBER_MANAGE_STATUS_OK;
    switch (Le16(data)) {
      case EMBER_FW_CMD_ECHO:
        std::memcpy(reply.data(), data, n);
        break;
      case EMBER_FW_CMD_LOAD_WORKLOAD:
        st = LoadWorkload(client, data, reply);
        break;
      case EMBER_FW_CMD_UNLOAD_WORKLOAD: {
        const std::uint32_t id = Le32(data + 8);
        const auto it = workloads_.find(id);
        if (it == workloads_.end()) {
          return EMBER_MANAGE_STATUS_NOENT;
        }
        if (it->second.client != client) {
          return EMBER_MANAGE_STATUS_PERM;
        }
        devmem_free_ += it->second.bytes;
        workloads_.erase(it);
        Put32(reply.data() + 8, id);
        break;
      }
      case EMBER_FW_CMD_QUERY: {
        std::uint32_t free_dbcs = 0;
        std::uint32_t owned = 0;
        for (const auto owner : dbc_owner_) {
          free_dbcs += owner == 0 ? 1 : 0;
          owned += owner == client ? 1 : 0;
        }
        std::uint32_t mine = 0;
        for (const auto &[id, w] : workloads_) {
          mine += w.client == client ? 1 : 0;
        }
        std::uint64_t staged = 0;
        for (const auto &[key, size] : staged_) {
          staged += key.first == client ? size : 0;
        }
        Put32(reply.data() + 8, static_cast<std::uint32_t>(dbc_owner_.size()));
        Put32(reply.data() + 12, free_dbcs);
        Put64(reply.data() + 16, devmem_total_);
        Put64(reply.data() + 24, devmem_free_);
        Put32(reply.data() + 32, mine);
        Put32(reply.data() + 36, owned);
        Put64(reply.data() + 40, staged);
        break;
      }
      default:
        return EMBER_MANAGE_STATUS_UNSUPPORTED;
    }
    if (st != EMBER_MANAGE_STATUS_OK) {
      return st;
    }
    reply[0] = data[0];
    reply[1] = static_cast<std::uint8_t>(data[1] | 0x80);
    Put32(reply.data() + 4, static_cast<std::uint32_t>(n));
    if (corrupt) {
      corrupt(reply);
    }
    std::memcpy(data, reply.data(), std::min(reply.size(), n));
    Put32(t + 12, static_cast<std::uint32_t>(std::min(reply.size(), n)));  // rsp_len
    return EMBER_MANAGE_STATUS_OK;
  }

  std::uint32_t LoadWorkload(std::uint32_t client, const std::uint8_t *req, Bytes &reply) {
    const std::uint32_t tag = Le32(req + 24);
    const std::uint32_t nregions = Le32(req + 28);
    std::uint64_t image = 0;
    if (tag != 0) {
      const auto it = staged_.find({client, tag});
      if (it == staged_.end()) {
        return EMBER_MANAGE_STATUS_NOENT;
      }
      image = it->second;
    }
    std::uint64_t bytes = 0;
    std::uint64_t capacity = 0;
    for (std::uint32_t r = 0; r < nregions; ++r) {
      const std::uint64_t size = Le64(req + 48 + (std::size_t{8} * r));
      capacity += size;
      bytes += (size + kGranule - 1) / kGranule * kGranule;
    }
    if (image > capacity) {
      return EMBER_MANAGE_STATUS_INVAL;
    }
    if (bytes > devmem_free_ || workloads_.size() >= 64) {
      return EMBER_MANAGE_STATUS_NOSPC;
    }
    staged_.erase({client, tag});
    const std::uint32_t id = next_id_++;
    workloads_[id] = Workload{client, bytes};
    devmem_free_ -= bytes;
    Put32(reply.data() + 8, id);
    Put32(reply.data() + 12, nregions);
    Put64(reply.data() + 16, image);
    std::uint64_t off = next_offset_;
    for (std::uint32_t r = 0; r < nregions; ++r) {
      Put64(reply.data() + 24 + (std::size_t{8} * r), off);
      off += (Le64(req + 48 + (std::size_t{8} * r)) + kGranule - 1) / kGranule * kGranule;
    }
    next_offset_ = off;
    return EMBER_MANAGE_STATUS_OK;
  }

  std::mutex mu_;
  std::vector<Call> calls_;
  std::vector<std::uint32_t> dbc_owner_;  // 0 = free, else the client
  std::uint64_t devmem_total_;
  std::uint64_t devmem_free_;
  std::map<std::uint32_t, Workload> workloads_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> staged_;  // (client, tag)
  std::uint32_t next_id_ = 1;
  std::uint64_t next_offset_ = 0;
  int terminated_ = 0;
};

// One client (open file) of the fake function.
class FakeClient final : public ember::detail::Backend {
 public:
  FakeClient(FakeFirmware &fw, std::uint32_t client) : fw_(fw), client_(client) {}
  ~FakeClient() override { fw_.Terminate(client_); }
  FakeClient(const FakeClient &) = delete;
  FakeClient &operator=(const FakeClient &) = delete;
  FakeClient(FakeClient &&) = delete;
  FakeClient &operator=(FakeClient &&) = delete;

  int Manage(drm_ember_manage_msg &msg) override { return fw_.Manage(client_, msg); }
  int GetInfo(drm_ember_get_info &info) override {
    info = drm_ember_get_info{};
    info.abi_major = EMBER_ABI_MAJOR;
    info.num_dbcs = 4;
    info.devmem_size = 1 << 20;
    return 0;
  }
  [[nodiscard]] int Fd() const override { return -1; }

 private:
  FakeFirmware &fw_;
  std::uint32_t client_;
};

std::unique_ptr<ember_device> MakeDevice(FakeFirmware &fw, std::uint32_t client,
                                         std::uint32_t abi_major = EMBER_ABI_MAJOR,
                                         std::uint32_t abi_minor = EMBER_ABI_MINOR) {
  ember::detail::Candidate where;
  where.name = "accel0";
  where.node = "/dev/accel/accel0";
  where.sysfs = "/sys/class/accel/accel0";
  where.bdf = "0000:00:03.0";
  ember_info info{};
  info.abi_major = abi_major;
  info.abi_minor = abi_minor;
  info.num_dbcs = 4;
  info.devmem_size = 1 << 20;
  return std::make_unique<ember_device>(std::make_unique<FakeClient>(fw, client), where, info);
}

ember::Device MakeCppDevice(FakeFirmware &fw, std::uint32_t client) {
  return ember::Device::adopt(MakeDevice(fw, client).release());
}

// GEMM over 128 bytes of weights in region 0, CRC of C into region 1.
ember::WorkloadSpec GemmSpec() {
  ember::WorkloadBuilder b("gemm");
  const auto a = b.add_input();
  const auto c = b.add_output();
  const auto w = b.add_region(128);
  const auto s = b.add_region(64);
  b.gemm_i8(c, a, w, 4, 8, 16).crc32(c, s);
  return b.build().value();
}

std::vector<std::byte> Image(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<std::byte>(i * 13);
  }
  return v;
}

}  // namespace

TEST_CASE("STATUS reports the firmware's NNC version", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeDevice(f, 1);
  ember_nnc_version v{};
  REQUIRE(ember_nnc_status(dev.get(), &v) == EMBER_OK);
  CHECK(v.major == 1);
  CHECK(v.minor == 0);
  CHECK(v.features == EMBER_NNC_FEATURE_CRC);
  const auto calls = f.Calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].msg.count == 1);
  CHECK(calls[0].msg.len == 24);
  CHECK(calls[0].msg.flags == 0);
  CHECK(calls[0].msg.pad == 0);
  const auto t = Load<drm_ember_manage_trans_status>(calls[0].data.data());
  CHECK(t.hdr.type == EMBER_MANAGE_TRANS_STATUS);
  CHECK(t.hdr.len == 24);
  CHECK(t.pad == 0);
}

TEST_CASE("ECHO returns what the firmware sent back", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeCppDevice(f, 1);
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8},
                              std::size_t{EMBER_ECHO_MAX}}) {
    const auto payload = Image(n);
    const auto r = dev.echo(payload);
    REQUIRE(r);
    CHECK(*r == payload);
  }
  const auto calls = f.Calls();
  const auto pt = Load<drm_ember_manage_trans_passthrough>(calls.at(2).data.data());
  CHECK(pt.hdr.type == EMBER_MANAGE_TRANS_PASSTHROUGH);
  CHECK(pt.hdr.len == 16 + 16);  // header + 7 bytes padded to 8
  CHECK(calls.back().msg.len == 16 + EMBER_MANAGE_PT_MAX);

  SECTION("a reply that is not the payload is passed on for the caller to see") {
    f.corrupt = [](Bytes &reply) { reply[8] ^= 0xff; };
    const auto r = dev.echo(Image(8));
    REQUIRE(r);
    CHECK(*r != Image(8));
  }
  SECTION("a reply of another command is refused") {
    f.corrupt = [](Bytes &reply) { reply[0] = EMBER_FW_CMD_QUERY; };
    const auto r = dev.echo(Image(8));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_IO);
    CHECK_THAT(r.error().message(), ContainsSubstring("ECHO reply: cmd"));
  }
}

TEST_CASE("LOAD with an image: one MANAGE call, DMA_XFER then LOAD_WORKLOAD", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeCppDevice(f, 1);
  const auto spec = GemmSpec();
  const auto image = Image(160);
  auto wl = dev.load(spec, image);
  REQUIRE(wl);
  CHECK(wl->id() == 1);
  CHECK(wl->image_bytes() == 160);
  REQUIRE(wl->region_offsets().size() == 2);
  CHECK(wl->region_offsets()[0] == 0);
  CHECK(wl->region_offsets()[1] == 4096);

  const auto calls = f.Calls();
  REQUIRE(calls.size() == 1);
  const auto &c = calls[0];
  CHECK(c.msg.count == 2);
  CHECK(c.msg.len == 40 + 16 + fw::LoadLen(2, 2));
  const auto dma = Load<drm_ember_manage_trans_dma_xfer>(c.data.data());
  CHECK(dma.hdr.type == EMBER_MANAGE_TRANS_DMA_XFER);
  CHECK(dma.hdr.len == 40);
  CHECK(dma.tag >= 0x80000000U);
  CHECK(dma.tag == wl->info().image_tag);
  CHECK(dma.addr == reinterpret_cast<std::uintptr_t>(image.data()));
  CHECK(dma.size == 160);
  const auto pt = Load<drm_ember_manage_trans_passthrough>(c.data.data() + 40);
  CHECK(pt.hdr.type == EMBER_MANAGE_TRANS_PASSTHROUGH);
  CHECK(pt.hdr.len == 16 + fw::LoadLen(2, 2));
  const ember_workload_desc d = spec.desc();
  CHECK(Bytes(c.data.begin() + 56, c.data.end()) == fw::EncodeLoad(d, dma.tag));

  const auto q = dev.query();
  REQUIRE(q);
  CHECK(q->workloads == 1);
  CHECK(q->staged_bytes == 0);  // the load consumed the image
  CHECK(q->devmem_free == (1 << 20) - 2 * 4096);

  SECTION("each load uses a fresh tag") {
    auto wl2 = dev.load(spec, image);
    REQUIRE(wl2);
    CHECK(wl2->info().image_tag == wl->info().image_tag + 1);
  }
}

TEST_CASE("LOAD without an image sends LOAD_WORKLOAD alone with image_tag 0", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeDevice(f, 1);
  const auto spec = GemmSpec();
  const ember_workload_desc d = spec.desc();
  ember_workload_info info{};
  REQUIRE(ember_workload_load(dev.get(), &d, &info) == EMBER_OK);
  CHECK(info.image_tag == 0);
  CHECK(info.image_bytes == 0);
  const auto calls = f.Calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].msg.count == 1);
  CHECK(Bytes(calls[0].data.begin() + 16, calls[0].data.end()) == fw::EncodeLoad(d, 0));
  REQUIRE(ember_workload_unload(dev.get(), info.workload_id) == EMBER_OK);
  CHECK(f.Workloads() == 0);
}

TEST_CASE("LOAD refuses bad input before any MANAGE call", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeDevice(f, 1);
  const auto spec = GemmSpec();
  const ember_workload_desc d = spec.desc();
  ember_workload_info info{};
  const auto image = Image(193);  // regions hold 128 + 64
  CHECK(ember_workload_load_image(dev.get(), &d, image.data(), image.size(), &info) ==
        EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("larger than the regions together"));
  CHECK(ember_workload_load_image(dev.get(), &d, image.data(), 0, &info) == EMBER_ERR_INVALID);
  const std::uint64_t huge[] = {(1 << 20) + 1, 64};
  ember_workload_desc too_big = d;
  too_big.region_sizes = huge;
  CHECK(ember_workload_load(dev.get(), &too_big, &info) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(),
             ContainsSubstring("region 0 of 1048577 bytes is larger than the device memory"));
  ember_workload_desc bad = d;
  bad.nsteps = 0;
  CHECK(ember_workload_load(dev.get(), &bad, &info) == EMBER_ERR_INVALID);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("LOAD_WORKLOAD: the program has no"));
  CHECK(f.Calls().empty());
}

TEST_CASE("a failed transaction is reported with its firmware status", "[device]") {
  FakeFirmware f(4, 8192);
  auto dev = MakeCppDevice(f, 1);
  ember::WorkloadBuilder b("big");
  b.fill(b.add_region(std::uint64_t{3} * 4096), 0);
  const auto big = b.build().value();

  SECTION("LOAD_WORKLOAD out of device memory") {
    const auto r = dev.load(big);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_NOSPC);
    CHECK_THAT(r.error().message(),
               ContainsSubstring("LOAD_WORKLOAD: PASSTHROUGH (transaction 0) failed with "
                                 "firmware status NOSPC"));
  }
  SECTION("a failed DMA_XFER leaves LOAD_WORKLOAD not run") {
    f.fail_type = EMBER_MANAGE_TRANS_DMA_XFER;
    f.fail_status = EMBER_MANAGE_STATUS_NOMEM;
    const auto r = dev.load(GemmSpec(), Image(16));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_NOMEM);
    CHECK_THAT(r.error().message(), ContainsSubstring("DMA_XFER (transaction 0) failed with "
                                                      "firmware status NOMEM"));
    CHECK(f.Workloads() == 0);
  }
  SECTION("the exchange itself fails") {
    f.exchange_errno = ETIMEDOUT;
    const auto r = dev.query();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_TIMEDOUT);
    CHECK_THAT(r.error().message(), ContainsSubstring("QUERY: DRM_IOCTL_EMBER_MANAGE"));
  }
  SECTION("a driver of ioctl ABI 1.0 predates MANAGE") {
    f.exchange_errno = EINVAL;
    auto old = MakeDevice(f, 3, 1, 0);  // what GET_INFO said at open
    ember_resources q{};
    CHECK(ember_query(old.get(), &q) == EMBER_ERR_INVALID);
    CHECK_THAT(ember_last_error_message(), ContainsSubstring("ioctl ABI 1.0, which has no MANAGE"));
  }
  SECTION("a kernel that reports success with a failed transaction") {
    f.swallow_errno = true;
    f.fail_type = EMBER_MANAGE_TRANS_ACTIVATE;
    f.fail_status = EMBER_MANAGE_STATUS_BUSY;
    const auto r = dev.activate_dbc(16);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_IO);
    CHECK_THAT(r.error().message(), ContainsSubstring("MANAGE succeeded but transaction 0"));
  }
  SECTION("an unknown firmware command") {
    f.fail_type = EMBER_MANAGE_TRANS_PASSTHROUGH;
    f.fail_status = EMBER_MANAGE_STATUS_UNSUPPORTED;
    const auto r = dev.query();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_UNSUPPORTED);
  }
}

TEST_CASE("malformed replies are device errors", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeCppDevice(f, 1);
  SECTION("LOAD_WORKLOAD reply with image_bytes other than the image") {
    f.corrupt = [](Bytes &reply) { reply[16] = 1; };
    const auto r = dev.load(GemmSpec(), Image(64));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_IO);
    CHECK_THAT(r.error().message(), ContainsSubstring("image_bytes 1, image was 64 bytes"));
  }
  SECTION("LOAD_WORKLOAD reply without regions") {
    f.corrupt = [](Bytes &reply) { reply[12] = 0; };
    const auto r = dev.load(GemmSpec());
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_IO);
  }
  SECTION("QUERY reply cut short") {
    f.corrupt = [](Bytes &reply) {
      reply.resize(40);
      reply[4] = 40;
    };
    const auto r = dev.query();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_IO);
    CHECK_THAT(r.error().message(), ContainsSubstring("QUERY reply: 40 bytes"));
  }
  SECTION("UNLOAD_WORKLOAD reply for another workload") {
    auto wl = dev.load(GemmSpec()).value();
    f.corrupt = [](Bytes &reply) { reply[8] ^= 1; };
    const auto r = wl.unload();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == EMBER_ERR_IO);
  }
}

TEST_CASE("DMA transfers are staged under the caller's tag", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeCppDevice(f, 1);
  const auto data = Image(1000);
  const auto r = dev.dma_transfer(0x1234, data);
  REQUIRE(r);
  CHECK(*r == 1000);
  const auto dma = Load<drm_ember_manage_trans_dma_xfer>(f.Calls().at(0).data.data());
  CHECK(dma.tag == 0x1234);
  CHECK(dma.size == 1000);
  CHECK(dev.query()->staged_bytes == 1000);
  CHECK(dev.dma_transfer(0, data).error().code() == EMBER_ERR_INVALID);
  CHECK(dev.dma_transfer(0x80000001U, data).error().code() == EMBER_ERR_INVALID);
  CHECK(dev.dma_transfer(1, {}).error().code() == EMBER_ERR_INVALID);
}

TEST_CASE("DBC activation and deactivation", "[device]") {
  FakeFirmware f(2, 1 << 20);
  auto dev = MakeDevice(f, 1);
  std::uint32_t a = 99;
  std::uint32_t b = 99;
  std::uint32_t c = 99;
  REQUIRE(ember_dbc_activate(dev.get(), 2, &a) == EMBER_OK);
  REQUIRE(ember_dbc_activate(dev.get(), 65536, &b) == EMBER_OK);
  CHECK(a != b);
  CHECK(ember_dbc_activate(dev.get(), 256, &c) == EMBER_ERR_NOSPC);
  CHECK(c == 99);
  const auto act = Load<drm_ember_manage_trans_activate>(f.Calls().at(0).data.data());
  CHECK(act.hdr.len == 24);
  CHECK(act.ring_size == 2);
  CHECK(act.flags == 0);
  REQUIRE(ember_dbc_deactivate(dev.get(), a) == EMBER_OK);
  CHECK(ember_dbc_deactivate(dev.get(), a) == EMBER_ERR_NOENT);
  CHECK_THAT(ember_last_error_message(), ContainsSubstring("DEACTIVATE DBC"));
  const auto deact = Load<drm_ember_manage_trans_deactivate>(f.Calls().at(3).data.data());
  CHECK(deact.hdr.len == 16);
  CHECK(deact.dbc_id == a);
}

TEST_CASE("two handles are two clients", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto alice = MakeCppDevice(f, 1);
  auto bob = MakeCppDevice(f, 2);
  auto wl = alice.load(GemmSpec(), Image(32)).value();
  auto dbc = alice.activate_dbc(64).value();

  CHECK(ember_workload_unload(bob.handle(), wl.id()) == EMBER_ERR_PERM);
  CHECK(ember_dbc_deactivate(bob.handle(), dbc.id()) == EMBER_ERR_NOENT);
  const auto qb = bob.query().value();
  CHECK(qb.workloads == 0);
  CHECK(qb.dbcs_owned == 0);
  CHECK(qb.dbcs_free == 3);
  const auto qa = alice.query().value();
  CHECK(qa.workloads == 1);
  CHECK(qa.dbcs_owned == 1);
}

TEST_CASE("RAII: workloads unload and DBCs deactivate exactly once", "[device][cpp]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeCppDevice(f, 1);
  const auto start = dev.query().value();
  auto count = [&f](std::uint16_t cmd) {
    int n = 0;
    for (const auto &c : f.Calls()) {
      const auto hdr = Load<drm_ember_manage_trans_hdr>(c.data.data());
      if (hdr.type == EMBER_MANAGE_TRANS_PASSTHROUGH && Le16(c.data.data() + 16) == cmd) {
        ++n;
      }
      if (cmd == 0 && hdr.type == EMBER_MANAGE_TRANS_DEACTIVATE) {
        ++n;
      }
    }
    return n;
  };

  SECTION("scope exit") {
    {
      auto wl = dev.load(GemmSpec()).value();
      auto dbc = dev.activate_dbc(16).value();
      CHECK(dbc.ring_size() == 16);
      const auto mid = dev.query().value();
      CHECK(mid.workloads == 1);
      CHECK(mid.dbcs_owned == 1);
    }
    const auto end = dev.query().value();
    CHECK(end.workloads == start.workloads);
    CHECK(end.dbcs_free == start.dbcs_free);
    CHECK(end.devmem_free == start.devmem_free);
    CHECK(count(EMBER_FW_CMD_UNLOAD_WORKLOAD) == 1);
    CHECK(count(0) == 1);
  }
  SECTION("moves transfer ownership") {
    {
      auto wl = dev.load(GemmSpec()).value();
      const std::uint32_t id = wl.id();
      ember::Workload other = std::move(wl);
      CHECK_FALSE(wl);  // NOLINT(bugprone-use-after-move): checking the moved-from state
      CHECK(wl.id() == 0);
      CHECK(other.id() == id);
      auto dbc = dev.activate_dbc(16).value();
      ember::Dbc dbc2;
      dbc2 = std::move(dbc);
      CHECK_FALSE(dbc);  // NOLINT(bugprone-use-after-move): checking the moved-from state
      CHECK(dbc2);
    }
    CHECK(count(EMBER_FW_CMD_UNLOAD_WORKLOAD) == 1);
    CHECK(count(0) == 1);
  }
  SECTION("explicit unload and deactivate are not repeated") {
    {
      auto wl = dev.load(GemmSpec()).value();
      REQUIRE(wl.unload());
      CHECK_FALSE(wl);
      CHECK(wl.unload().error().code() == EMBER_ERR_INVALID);
      auto dbc = dev.activate_dbc(16).value();
      REQUIRE(dbc.deactivate());
    }
    CHECK(count(EMBER_FW_CMD_UNLOAD_WORKLOAD) == 1);
    CHECK(count(0) == 1);
  }
  SECTION("release leaves the object to the device") {
    {
      auto wl = dev.load(GemmSpec()).value();
      CHECK(wl.release() != 0);
    }
    CHECK(count(EMBER_FW_CMD_UNLOAD_WORKLOAD) == 0);
    CHECK(f.Workloads() == 1);
  }
}

TEST_CASE("RAII objects keep the client open after the Device is gone", "[device][cpp]") {
  FakeFirmware f(4, 1 << 20);
  ember::Workload wl;
  ember::Dbc dbc;
  {
    auto dev = MakeCppDevice(f, 1);
    wl = dev.load(GemmSpec()).value();
    dbc = dev.activate_dbc(8).value();
  }
  CHECK(f.Terminated() == 0);
  CHECK(f.Workloads() == 1);
  REQUIRE(wl.unload());
  CHECK(f.Workloads() == 0);
  CHECK(f.Terminated() == 0);
  dbc = ember::Dbc();
  CHECK(f.Terminated() == 1);
}

TEST_CASE("raw MANAGE passes uAPI transactions through", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeDevice(f, 1);
  drm_ember_manage_trans_status t{};
  t.hdr.type = EMBER_MANAGE_TRANS_STATUS;
  t.hdr.len = sizeof(t);
  REQUIRE(ember_manage(dev.get(), &t, sizeof(t), 1) == EMBER_OK);
  CHECK(t.status == EMBER_MANAGE_STATUS_OK);
  CHECK(t.major == 1);
  f.fail_type = EMBER_MANAGE_TRANS_STATUS;
  f.fail_status = EMBER_MANAGE_STATUS_BUSY;
  CHECK(ember_manage(dev.get(), &t, sizeof(t), 1) == EMBER_ERR_BUSY);
  CHECK(t.status == EMBER_MANAGE_STATUS_BUSY);
  CHECK(ember_status_from_manage(t.status) == EMBER_ERR_BUSY);
}

TEST_CASE("describe and get_info of an open device", "[device]") {
  FakeFirmware f(4, 1 << 20);
  auto dev = MakeCppDevice(f, 1);
  const auto d = dev.describe().value();
  CHECK(d.node == "/dev/accel/accel0");
  CHECK(d.sysfs == "/sys/class/accel/accel0");
  CHECK(d.bdf == "0000:00:03.0");
  CHECK(d.status == EMBER_OK);
  CHECK(d.info.num_dbcs == 4);
  const auto i = dev.info().value();
  CHECK(i.abi_major == EMBER_ABI_MAJOR);
  CHECK(i.devmem_size == (1 << 20));
  CHECK(dev.fd().error().code() == EMBER_ERR_UNSUPPORTED);
}

TEST_CASE("one handle used from several threads", "[device][threads]") {
  FakeFirmware f(4, 64 << 20);
  auto dev = MakeCppDevice(f, 1);
  const auto spec = GemmSpec();
  constexpr int kThreads = 6;
  constexpr int kIterations = 40;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto image = Image(100 + t);
      for (int i = 0; i < kIterations; ++i) {
        auto wl = dev.load(spec, image);
        const auto echo = dev.echo(image);
        const auto q = dev.query();
        if (!wl || !echo || *echo != image || !q || !wl->unload()) {
          ++failures[t];
        }
        // Each thread's error message is its own.
        ember_workload_info info{};
        ember_workload_desc bad = spec.desc();
        bad.noutputs = 2;
        ember_workload_load(dev.handle(), &bad, &info);
        if (std::string(ember_last_error_message()).find("output 1 is never written") ==
            std::string::npos) {
          ++failures[t];
        }
      }
    });
  }
  for (auto &th : threads) {
    th.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    CHECK(failures[t] == 0);
  }
  std::set<std::uint32_t> tags;
  int loads = 0;
  for (const auto &c : f.Calls()) {
    const auto hdr = Load<drm_ember_manage_trans_hdr>(c.data.data());
    if (hdr.type == EMBER_MANAGE_TRANS_DMA_XFER) {
      tags.insert(Load<drm_ember_manage_trans_dma_xfer>(c.data.data()).tag);
      ++loads;
    }
  }
  CHECK(loads == kThreads * kIterations);
  CHECK(tags.size() == static_cast<std::size_t>(loads));
  CHECK(f.Workloads() == 0);
}

TEST_CASE("a driver of another ioctl ABI major is refused with a clear reason", "[device]") {
  ember_info info{};
  info.abi_major = EMBER_ABI_MAJOR;
  info.abi_minor = EMBER_ABI_MINOR + 5;  // a newer minor: still compatible
  CHECK(ember::detail::AbiMismatch(info).empty());
  info.abi_minor = 0;  // an older minor: compatible (features probed per call)
  CHECK(ember::detail::AbiMismatch(info).empty());
  info.abi_major = EMBER_ABI_MAJOR + 1;
  info.abi_minor = 0;
  const std::string why = ember::detail::AbiMismatch(info);
  CHECK_THAT(why, ContainsSubstring("ioctl ABI " + std::to_string(EMBER_ABI_MAJOR + 1) + ".0"));
  CHECK_THAT(why, ContainsSubstring("same major"));
  info.abi_major = EMBER_ABI_MAJOR - 1;
  CHECK_FALSE(ember::detail::AbiMismatch(info).empty());
}
