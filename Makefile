# ember: one entry point. See README.md.
#   make deps    install build/test dependencies from Debian's archive (root)
#   make build   QEMU with the ember device, ember.ko, userspace
#   make test    lint + host unit tests + in-guest integration suite
#   make demo    boot the emulated device, load the driver, show it working
#   make fuzz    long libFuzzer run of the NNC codec (1,000,000 runs a target)
#   make bench   one-VM benchmark: ember modes vs emulated NVMe baseline
#   make soak    long churn of the data path on every interrupt topology
#   make package build/dist/ember-<version>.run, the installer (docs/admin-guide.md)

SHELL := /bin/bash
ROOT := $(CURDIR)
BUILD := $(ROOT)/build
KVER ?= $(shell $(ROOT)/scripts/kver)
VERSION := $(shell head -n 1 $(ROOT)/VERSION)

.PHONY: all deps build qemu kmd userspace unit vm-test lint fuzz bench soak test demo clean \
	package run-installer dkms-tree test-install test-install-dkms

all: build

deps:
	@$(ROOT)/scripts/deps.sh

build: deps qemu kmd userspace

qemu:
	@$(ROOT)/emu/build-qemu.sh >/dev/null

kmd:
	@$(MAKE) --no-print-directory -C kmd KVER=$(KVER)

$(BUILD)/build.ninja: CMakeLists.txt tests/CMakeLists.txt VERSION
	@cmake -S $(ROOT) -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

userspace: $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet

unit: userspace
	@cd $(BUILD) && ctest --output-on-failure

vm-test: build
	@$(ROOT)/tests/vm/suite.sh

fuzz: deps
	@$(ROOT)/tests/fuzz/run.sh --runs 1000000

bench: build
	@$(ROOT)/tests/bench/run.sh

soak: build
	@$(ROOT)/tests/vm/soak.sh

lint: userspace
	@$(ROOT)/scripts/lint.sh

test: build
	@$(ROOT)/tests/run-all.sh

# ember-<version>.run (makeself): DKMS source tree, a module prebuilt for
# $(KVER), libember, udev rule, modprobe.d template, docs.
package: userspace
	@$(ROOT)/packaging/build-run.sh

run-installer: package

# The DKMS source tree, as /usr/src/ember-<version>/ (DESTDIR=... to stage).
dkms-tree:
	@$(ROOT)/packaging/dkms/mktree.sh $(DESTDIR)/usr/src/ember-$(VERSION)

# The installer in a VM: --no-auto-load, reinstall, upgrade, uninstall.
test-install: build
	@$(ROOT)/tests/vm/install-test.sh

# ... and --with-dkms plus a compiling plain install (minutes under TCG).
test-install-dkms: build
	@$(ROOT)/tests/vm/install-test.sh --dkms

demo: build
	@$(ROOT)/scripts/demo.sh

clean:
	@$(MAKE) --no-print-directory -C kmd clean KVER=$(KVER) || true
	rm -rf $(BUILD)
