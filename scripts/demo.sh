#!/bin/bash
# make demo: boot a guest with the emulated ember accelerator, show it on
# the PCI bus, run a workload on the bare hardware, load the driver and show
# what it reports. Everything runs inside the VM; the host is untouched.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
echo "Booting a 6.12 guest with an ember device (4 DMA channels, 256 MiB)..."
exec "$ROOT/scripts/vm-run" --topology msix --dbcs 4 --mem 256M \
	--log "$ROOT/build/vm-logs/demo.dmesg" -- "$ROOT/scripts/demo-guest.sh"
