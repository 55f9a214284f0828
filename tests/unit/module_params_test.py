#!/usr/bin/env python3
"""Every module parameter of ember.ko is documented where operators look.

The parameters are the module_param*() calls in kmd/*.c. Each must appear
in packaging/modprobe/ember.conf (the commented template the installer
ships, as "#options ember NAME=<default>"), in docs/sysfs.md ("Module
parameters") and in docs/admin-guide.md's table; and nothing documented
there may be a parameter the module does not have.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def module_params():
    names = set()
    for src in sorted((ROOT / "kmd").glob("*.c")):
        text = src.read_text()
        names.update(re.findall(r"module_param_named\(\s*(\w+)\s*,", text))
        names.update(re.findall(r"module_param\(\s*(\w+)\s*,", text))
        names.update(re.findall(r"module_param_cb\(\s*(\w+)\s*,", text))
    return names


def main():
    params = module_params()
    failures = []
    if not params:
        failures.append("no module_param*() found in kmd/*.c")
    template = (ROOT / "packaging/modprobe/ember.conf").read_text()
    in_template = set(re.findall(r"^#options ember (\w+)=", template, re.M))
    sysfs = (ROOT / "docs/sysfs.md").read_text()
    in_sysfs = set(re.findall(r"^(\w+)=<", sysfs, re.M))
    guide = (ROOT / "docs/admin-guide.md").read_text()
    in_guide = set(re.findall(r"^\| `(\w+)` \|", guide, re.M)) & (params | in_template)
    for where, found in (("packaging/modprobe/ember.conf", in_template),
                         ("docs/sysfs.md", in_sysfs),
                         ("docs/admin-guide.md", in_guide)):
        for name in sorted(params - found):
            failures.append(f"{where}: module parameter {name} is not documented")
        for name in sorted(found - params):
            failures.append(f"{where}: {name} is documented but ember.ko has no such parameter")
    for f in failures:
        print("FAIL", f)
    print(f"{len(params)} module parameters, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
