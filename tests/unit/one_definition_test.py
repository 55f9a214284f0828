#!/usr/bin/env python3
"""One definition: every register, ring format constant, NNC wire offset,
firmware command (docs/nnc.md §15) and hardware opcode is defined once, in
common/. No other source file may define it again, under its own name or
under another spelling of it (EMB_FW_CMD_LOAD_WORKLOAD, DEV_CTRL_ENABLE,
kCmdLoadWorkload all spell EMBER_FW_CMD_LOAD_WORKLOAD or
EMBER_DEV_CTRL_ENABLE).

Two names are the same definition when they are equal after dropping the
layer prefixes (EMBER_, EMB_, FW_, NNC_ and C++'s k) and converting
CamelCase to UPPER_SNAKE. HW_ is not dropped: the uAPI's slice operations
(EMBER_SLICE_OP_*, and libember's deprecated EMBER_OP_* aliases) are a
different concept from the hardware opcodes (EMBER_HW_OP_*).

Usage: one_definition_test.py [ROOT]
"""
import re
import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()

# Names that are short enough to mean something else elsewhere: a file may
# define these for its own purpose. Each entry says why.
ALLOWED = {
    # libember's public limits are API of the installed <ember/ember.h>,
    # which cannot include common/ (not installed); umd/src/fwcmd.cpp and
    # umd/src/ops.cpp static_assert that they equal the common/ values.
    ("umd/include/ember/ember.h", "EMBER_MAX_REGIONS"),  # = EMBER_FW_MAX_REGIONS
    ("umd/include/ember/ember.h", "EMBER_MAX_STEPS"),  # = EMBER_FW_MAX_STEPS
    ("umd/include/ember/ember.h", "EMBER_MAX_SLICES"),  # = EMBER_FW_MAX_SLICES
    ("umd/include/ember/ember.h", "EMBER_RING_MIN"),  # = EMBER_NNC_RING_MIN
    ("umd/include/ember/ember.h", "EMBER_RING_MAX"),  # = EMBER_NNC_RING_MAX
}

DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)", re.M)
CONSTEXPR = re.compile(r"\bconstexpr\s+[\w:<>,\s]*?\b(k[A-Z]\w*)\s*[={]")
PREFIXES = ("EMBER_", "EMB_", "FW_", "NNC_")


def normalize(name):
    if re.match(r"^k[A-Z]", name):
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name[1:]).upper()
    changed = True
    while changed:
        changed = False
        for p in PREFIXES:
            if name.startswith(p) and len(name) > len(p):
                name = name[len(p):]
                changed = True
    return name


def sources():
    out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], check=True,
                         capture_output=True).stdout.decode()
    for rel in out.split("\0"):
        if re.search(r"\.(c|h|cpp|hpp|inc)$", rel):
            yield rel


common = {}  # normalized -> the common/ name
for rel in sources():
    if not rel.startswith("common/"):
        continue
    for name in DEFINE.findall((root / rel).read_text()):
        if name.startswith("_EMBER_") and name.endswith("_H_"):
            continue  # include guard
        common.setdefault(normalize(name), f"{rel}: {name}")
if len(common) < 150:
    sys.exit(f"only {len(common)} definitions found in common/: layout changed?")

failures = []
for rel in sources():
    if rel.startswith("common/"):
        continue
    text = (root / rel).read_text(errors="replace")
    for name in DEFINE.findall(text) + CONSTEXPR.findall(text):
        key = normalize(name)
        if key in common and (rel, name) not in ALLOWED:
            failures.append(f"{rel}: {name} redefines {common[key]}")

for f in failures:
    print("FAIL", f)
print(f"{len(common)} shared definitions in common/; {len(failures)} redefinitions elsewhere")
sys.exit(1 if failures else 0)
