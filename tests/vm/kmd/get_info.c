// SPDX-License-Identifier: GPL-2.0-only
/*
 * Small DRM_IOCTL_EMBER_GET_INFO check used by the driver tests (the full
 * ioctl test is tests/vm/getinfo_test.cpp). Prints PASS/FAIL lines.
 *
 * usage: get_info DEV --dbcs N --mem BYTES --vectors V --irq msix|single
 *                 [--unplug BDF]
 * --unplug: finally unbind BDF from the driver with DEV still open; the
 * ioctl must then fail with ENODEV (the caller binds it again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ember_accel.h"

static int failures;

static void result(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", name);
		return;
	}
	failures++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int get_info(int fd, struct drm_ember_get_info *info)
{
	return ioctl(fd, DRM_IOCTL_EMBER_GET_INFO, info) ? errno : 0;
}

#define CHECK_EQ(field, want) do {					\
	unsigned long long got_ = (unsigned long long)(field);		\
	unsigned long long want_ = (unsigned long long)(want);		\
	if (got_ != want_) {						\
		snprintf(why + strlen(why), sizeof(why) - strlen(why),	\
			 "%s=%#llx (want %#llx) ", #field, got_, want_);	\
	}								\
} while (0)

int main(int argc, char **argv)
{
	unsigned long long mem = 0;
	unsigned int dbcs = 0, vectors = 0, irq_mode = 0;
	const char *dev, *unplug = NULL;
	struct drm_ember_get_info info;
	struct drm_version ver;
	char name[32] = "";
	char why[1024];
	unsigned int i;
	int fd, err, r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DEV --dbcs N --mem BYTES --vectors V --irq msix|single [--unplug BDF]\n",
			argv[0]);
		return 2;
	}
	dev = argv[1];
	for (i = 2; i + 1 < (unsigned int)argc; i += 2) {
		if (!strcmp(argv[i], "--dbcs"))
			dbcs = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--mem"))
			mem = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--vectors"))
			vectors = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--irq"))
			irq_mode = strcmp(argv[i + 1], "msix") ?
				   EMBER_INFO_IRQ_SINGLE : EMBER_INFO_IRQ_MSIX;
		else if (!strcmp(argv[i], "--unplug"))
			unplug = argv[i + 1];
	}

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL getinfo.open: %s: %s\n", dev, strerror(errno));
		return 1;
	}

	memset(&ver, 0, sizeof(ver));
	ver.name = name;
	ver.name_len = sizeof(name) - 1;
	r = ioctl(fd, DRM_IOCTL_VERSION, &ver);
	result("getinfo.drm-version", !r && !strcmp(name, "ember") &&
	       ver.version_major == EMBER_ABI_MAJOR &&
	       ver.version_minor == EMBER_ABI_MINOR &&
	       ver.version_patchlevel == EMBER_ABI_PATCH,
	       "r=%d name='%s' version %d.%d.%d", r, name, ver.version_major,
	       ver.version_minor, ver.version_patchlevel);

	memset(&info, 0xa5, sizeof(info));
	info.flags = 0;
	info.pad = 0;
	err = get_info(fd, &info);
	result("getinfo.ok", !err, "ioctl failed: %s", strerror(err));
	if (!err) {
		why[0] = 0;
		CHECK_EQ(info.abi_major, EMBER_ABI_MAJOR);
		CHECK_EQ(info.abi_minor, EMBER_ABI_MINOR);
		CHECK_EQ(info.abi_patch, EMBER_ABI_PATCH);
		CHECK_EQ(info.hw_version, 0x00010000);
		CHECK_EQ(info.pci_vendor, 0x1234);
		CHECK_EQ(info.pci_device, 0xeb01);
		CHECK_EQ(info.fw_mgmt_version, 0x01020000);
		CHECK_EQ(info.fw_dbc_version, 0x01000003);
		CHECK_EQ(info.fw_boot_version, 0x00090001);
		CHECK_EQ(info.nnc_version, 0x00010000);
		CHECK_EQ(info.num_dbcs, dbcs);
		CHECK_EQ(info.devmem_size, mem);
		CHECK_EQ(info.serial, 0x454d000000000001ull);
		CHECK_EQ(info.irq_mode, irq_mode);
		CHECK_EQ(info.num_irq_vectors, vectors);
		CHECK_EQ(info.vf_index, 0xffffffffu);
		CHECK_EQ(info.num_vfs, 0);
		CHECK_EQ(info.caps & EMBER_INFO_CAP_VF, 0);
		for (i = 0; i < 4; i++)
			CHECK_EQ(info.reserved[i], 0);
		result("getinfo.values", !why[0], "%s", why);
	}

	r = ioctl(fd, DRM_IOCTL_EMBER_GET_INFO, (void *)8);
	result("getinfo.efault", r == -1 && errno == EFAULT,
	       "bad pointer: r=%d errno=%s", r, strerror(errno));

	memset(&info, 0, sizeof(info));
	info.pad = 1;
	err = get_info(fd, &info);
	result("getinfo.pad-einval", err == EINVAL, "pad=1: %s", strerror(err));

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	err = get_info(fd, &info);
	result("getinfo.flags-einval", err == EINVAL, "flags=1: %s", strerror(err));

	memset(&info, 0, sizeof(info));
	info.flags = 0x80000000u;
	err = get_info(fd, &info);
	result("getinfo.flags-high-einval", err == EINVAL, "flags=1<<31: %s",
	       strerror(err));

	if (unplug) {
		FILE *f = fopen("/sys/bus/pci/drivers/ember/unbind", "w");

		if (!f || fprintf(f, "%s\n", unplug) < 0 || fclose(f)) {
			result("getinfo.unplugged-enodev", 0, "cannot unbind %s",
			       unplug);
		} else {
			memset(&info, 0, sizeof(info));
			err = get_info(fd, &info);
			result("getinfo.unplugged-enodev", err == ENODEV,
			       "after unbind: %s", strerror(err));
		}
	}

	close(fd);
	return failures ? 1 : 0;
}
