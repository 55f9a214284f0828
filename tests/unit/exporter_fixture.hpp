// A fabricated ember-exporter snapshot shared by the unit tests and the
// promtool check (exporter_sample.cpp).
#pragma once

#include "metrics.hpp"

namespace exporter_test {

// accel0 online with every value, two DBCs and a process whose name needs
// escaping; accel1 present but resetting with most values unavailable;
// accel2 seen earlier and gone.
inline ember_exporter::Snapshot fixture() {
  using namespace ember_exporter;
  Snapshot s;
  DeviceSample a;
  a.device = "accel0";
  a.bdf = "0000:00:03.0";
  a.present = true;
  a.up = true;
  a.info = DeviceInfo{"454d000000000001", "0.1.0", "1.2.0", "1.0.3", "0.9.1", "1.0", "msix", 2};
  a.temp_mc = 45500;
  a.temp_crit_mc = 95000;
  a.power_uw = 25125000;
  a.power_cap_uw = 75000000;
  a.core_clk_mhz = 1400;
  a.mem_clk_mhz = 3200;
  a.memory_used_bytes = 8192;
  a.memory_total_bytes = 268435456;
  a.ecc_corrected = 3;
  a.ecc_uncorrected = 0;
  a.resets = 1;
  a.dbcs = {DbcSample{0, true, 10, 9, 1, 10, 0, 0}, DbcSample{1, false, 0, 0, 0, 0, 2, 1}};
  a.processes = {ProcessSample{4242, "we\"ird\\na\nme", 1500000000, 65536}};
  DeviceSample b;
  b.device = "accel1";
  b.bdf = "0000:00:04.0";
  b.present = true;
  b.up = false;
  b.info.serial = "454d000000000002";
  b.info.driver_version = "0.1.0";
  b.memory_total_bytes = 1048576;
  DeviceSample c;
  c.device = "accel2";
  c.bdf = "0000:00:05.0";
  s.devices = {a, b, c};
  s.driver_loaded = true;
  s.exporter_version = "0.1.0";
  s.scrape_duration_seconds = 0.0125;
  s.scrape_errors_total = 7;
  return s;
}

}  // namespace exporter_test
