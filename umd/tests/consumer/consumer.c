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
  printf("consumer: %s (%s)\n", ember_strerror(EMBER_ERR_NOENT), ember_last_error_message());
  return 0;
}
