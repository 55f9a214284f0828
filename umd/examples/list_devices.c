/* list_devices: the C ABI of libember from plain C11 (built with
 * -pedantic-errors): list the ember devices, open each and ask the firmware
 * for its NNC version and resources.
 * Usage: list_devices
 */
#include <ember/ember.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  size_t count = 0;
  ember_status st = ember_device_count(&count);
  if (st != EMBER_OK) {
    fprintf(stderr, "ember_device_count: %s\n", ember_strerror(st));
    return 1;
  }
  printf("libember %s: %zu ember device(s)\n", ember_version_string(), count);
  if (count == 0) {
    return 1;
  }
  ember_device_desc *descs = calloc(count, sizeof(*descs));
  if (descs == NULL) {
    return 1;
  }
  st = ember_device_list(descs, count, &count);
  int rc = st == EMBER_OK ? 0 : 1;
  for (size_t i = 0; st == EMBER_OK && i < count; i++) {
    const ember_device_desc *d = &descs[i];
    printf("%zu: %s (PCI %s): %s\n", i, d->node, d->bdf, ember_strerror(d->status));
    ember_device *dev = NULL;
    ember_status ost = ember_device_open(i, &dev);
    if (ost != EMBER_OK) {
      printf("   open: %s (%s)\n", ember_strerror(ost), ember_last_error_message());
      rc = 1;
      continue;
    }
    ember_nnc_version nnc;
    ember_resources res;
    if (ember_nnc_status(dev, &nnc) == EMBER_OK) {
      printf("   NNC %u.%u, features 0x%x\n", (unsigned)nnc.major, (unsigned)nnc.minor,
             (unsigned)nnc.features);
    } else {
      printf("   %s\n", ember_last_error_message());
      rc = 1;
    }
    if (ember_query(dev, &res) == EMBER_OK) {
      printf("   DBCs %u/%u free, device memory %llu/%llu bytes free\n", (unsigned)res.dbcs_free,
             (unsigned)res.dbcs_total, (unsigned long long)res.devmem_free,
             (unsigned long long)res.devmem_total);
    } else {
      printf("   %s\n", ember_last_error_message());
      rc = 1;
    }
    ember_device_close(dev);
  }
  free(descs);
  return rc;
}
