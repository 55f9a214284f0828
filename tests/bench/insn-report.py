#!/usr/bin/env python3
"""Instructions per operation from insn-plugin windows (tests/bench/insn-profile.sh).

usage: insn-report.py [--top N] NAME=DIR:ENTRY [NAME=DIR:ENTRY ...]

DIR holds insn-profile.txt (the plugin's window) and kallsyms (the
guest's /proc/kallsyms, read as root while the loop ran). ENTRY is a
kernel function entered exactly once per operation (the guest's ember
EXECUTE_BO ioctl, nvme_queue_rqs): the blocks that start at its address
count the operations in the window. Every block is charged to the kernel
symbol at or below its address; user-space blocks are one line, [user].
Prints, per profile, instructions per operation in all, by module
(ember, drm, gpu_sched, the rest of the kernel, user space) and by
function, and, when there are several profiles, each one's difference
from the first, function by function.
"""
import argparse
import bisect
import collections
import os
import sys

USER_TOP = 0xFFFF800000000000


def load(path, entry):
    syms = {}
    with open(os.path.join(path, "kallsyms")) as f:
        for line in f:
            w = line.split()
            if len(w) < 3 or w[1] not in "tTwW" or w[2].startswith("__pfx_"):
                continue
            addr = int(w[0], 16)
            if addr:
                mod = w[3].strip("[]") if len(w) > 3 else ""
                # Aliases at one address: keep the first name.
                syms.setdefault(addr, (w[2], mod))
    addrs = sorted(syms)
    per = collections.Counter()
    module = {}
    entries = 0
    with open(os.path.join(path, "insn-profile.txt")) as f:
        for line in f:
            pc, n, insns = line.split()
            pc, n, insns = int(pc, 16), int(n), int(insns)
            if pc < USER_TOP:
                per["[user]"] += insns
                module["[user]"] = "user"
                continue
            i = bisect.bisect_right(addrs, pc) - 1
            if i < 0:
                per["[unknown]"] += insns
                module["[unknown]"] = "kernel"
                continue
            name, mod = syms[addrs[i]]
            per[name] += insns
            module[name] = mod or "kernel"
            if name == entry and addrs[i] == pc:
                entries += insns // n
    if not entries:
        sys.exit("insn-report: %s: no block starts at %s" % (path, entry))
    return {k: v / entries for k, v in per.items()}, module, entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("profiles", nargs="+", metavar="NAME=DIR:ENTRY")
    args = ap.parse_args()
    profiles = []
    for spec in args.profiles:
        name, rest = spec.split("=", 1)
        path, entry = rest.rsplit(":", 1)
        per, module, ops = load(path, entry)
        profiles.append((name, per, module, ops))

    groups = ["ember", "drm", "gpu_sched", "kernel", "user"]
    print("instructions per operation (all guest CPUs, over the window)")
    print("%-28s %9s %8s" % ("profile", "ops", "total") +
          "".join(" %9s" % g for g in groups))
    for name, per, module, ops in profiles:
        by = collections.Counter()
        for k, v in per.items():
            g = module[k]
            by[g if g in groups else "kernel"] += v
        print("%-28s %9d %8.0f" % (name, ops, sum(per.values())) +
              "".join(" %9.0f" % by[g] for g in groups))
    base = profiles[0]
    for name, per, module, ops in profiles[1:]:
        print("%s / %s: %.3f" % (name, base[0],
                                 sum(per.values()) / sum(base[1].values())))
    for name, per, module, ops in profiles:
        print("\n%s: the %d functions with the most instructions per operation" %
              (name, args.top))
        for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:args.top]:
            mod = module[k]
            print("  %7.0f  %s%s" % (v, k, "" if mod in ("kernel", "user")
                                     else " [%s]" % mod))
    for name, per, module, ops in profiles[1:]:
        print("\n%s - %s, per operation, largest differences:" % (name, base[0]))
        keys = set(per) | set(base[1])
        diff = sorted(keys, key=lambda k: -abs(per.get(k, 0) - base[1].get(k, 0)))
        for k in diff[:args.top]:
            print("  %+7.0f  %7.0f %7.0f  %s" % (per.get(k, 0) - base[1].get(k, 0),
                                                per.get(k, 0), base[1].get(k, 0), k))


if __name__ == "__main__":
    main()
