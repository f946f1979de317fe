#!/usr/bin/env python3
"""Turn a Kconfig .config into pkiot_config.h with PKIOT_* macros (CONFIG_ prefix dropped).

Without a .config the header is generated from the Kconfig defaults, so a build that never
ran `make defconfig` still gets a consistent configuration.
"""
import argparse
import os
import sys

import kconfiglib


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kconfig", default="Kconfig")
    ap.add_argument("--config", default=".config")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    kconf = kconfiglib.Kconfig(args.kconfig, warn_to_stderr=False)
    if os.path.exists(args.config):
        kconf.load_config(args.config)
    lines = ["/* Generated from %s by scripts/genconfig.py; do not edit. */" % (
        args.config if os.path.exists(args.config) else "Kconfig defaults"),
        "#ifndef PKIOT_CONFIG_GENERATED_H", "#define PKIOT_CONFIG_GENERATED_H"]
    for sym in kconf.unique_defined_syms:
        if not sym.name.startswith("PKIOT_"):
            continue
        val = sym.str_value
        if sym.type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            lines.append("#define %s %d" % (sym.name, 1 if val in ("y", "m") else 0))
        elif sym.type in (kconfiglib.INT, kconfiglib.HEX):
            lines.append("#define %s %s" % (sym.name, val))
        elif sym.type == kconfiglib.STRING:
            lines.append('#define %s "%s"' % (sym.name, kconfiglib.escape(val)))
    lines.append("#endif")
    text = "\n".join(lines) + "\n"
    old = None
    if os.path.exists(args.out):
        with open(args.out) as f:
            old = f.read()
    if old != text:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
