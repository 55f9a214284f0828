#!/usr/bin/env python3
"""One concept, one name: every register documented in docs/hardware.md
must be defined with the same offset in common/ember_hw.h, the one header
the driver, the device model, libember and the tests take registers from,
and it may not define an EMBER_ register offset the spec does not
document (tests/unit/one_definition_test.py checks that nobody else
defines them)."""
import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
doc = (root / "docs/hardware.md").read_text()

# Table rows: | `0x010` | `EMBER_DEVMEM_SIZE_LO` | RO | ... |
spec = {}
for off, name in re.findall(r"^\|\s*`(0x[0-9a-fA-F]+)`\s*\|\s*`(EMBER_[A-Z0-9_]+)`", doc, re.M):
    if name in spec and spec[name] != int(off, 16):
        sys.exit(f"docs/hardware.md: {name} documented twice with different offsets")
    spec[name] = int(off, 16)
if len(spec) < 60:
    sys.exit(f"docs/hardware.md: only {len(spec)} registers parsed; table format changed?")

define_re = re.compile(r"^#define\s+(EMBER_[A-Z0-9_]+)\s+\(?(0x[0-9a-fA-F]+|\d+)\)?\s*$", re.M)


def defines(path):
    text = path.read_text()
    return {n: int(v, 0) for n, v in define_re.findall(text)}


failures = []
for rel in ("common/ember_hw.h",):
    path = root / rel
    if not path.exists():
        failures.append(f"{rel}: missing")
        continue
    have = defines(path)
    for name, off in sorted(spec.items()):
        if name not in have:
            failures.append(f"{rel}: {name} (spec offset {off:#x}) not defined")
        elif have[name] != off:
            failures.append(f"{rel}: {name} = {have[name]:#x}, spec says {off:#x}")

for f in failures:
    print("FAIL", f)
print(f"{len(spec)} registers checked against common/ember_hw.h: "
      f"{len(failures)} mismatches")
sys.exit(1 if failures else 0)
