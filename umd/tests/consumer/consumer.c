/* Uses the installed C ABI from C11; no device is needed. */
#include <ember/ember.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  size_t count = 1;
  ember_device *dev = NULL;
  if (strcmp(ember_version_string(), EMBER_VERSION_STRING) != 0) {
    return 1;
  }
  if (ember_device_count(&count) != EMBER_OK || count != 0) {
    return 1;
  }
  if (ember_device_open(0, &dev) != EMBER_ERR_NOENT || dev != NULL) {
    return 1;
  }
  if (ember_device_close(NULL) != EMBER_ERR_INVALID) {
    return 1;
  }
  {
    /* The data path links and its types are plain C. This file keeps
     * libember 0.1's names (EMBER_OP_*, EMBER_DIR_*), deprecated aliases
     * of EMBER_SLICE_OP_* / EMBER_SLICE_*: they must keep building. */
    ember_bo *bo = NULL;
    ember_slice slice;
    memset(&slice, 0, sizeof(slice));
    slice.op = EMBER_OP_COPY;
    slice.dir = EMBER_DIR_TO_DEV;
    if (ember_bo_create(NULL, 4096, 0, &bo) != EMBER_ERR_INVALID || bo != NULL ||
        ember_bo_wait(NULL, EMBER_WAIT_DEFAULT) != EMBER_ERR_INVALID) {
      return 1;
    }
  }
  printf("consumer: %s (%s)\n", ember_strerror(EMBER_ERR_NOENT), ember_last_error_message());
  return 0;
}
