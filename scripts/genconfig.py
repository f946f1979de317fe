#!/usr/bin/env python3
"""Kconfig front end for the pkiot build (needs Debian's python3-kconfiglib).

    genconfig.py --config SRC --out pkiot_config.h     generated header (PKIOT_* macros)
    genconfig.py --config SRC --write-config .config   expand a defconfig into a full .config
    genconfig.py --config SRC --write-min-config F     minimal config (savedefconfig)

SRC may be a full .config or a minimal defconfig; symbols it leaves out take their Kconfig
defaults, and a SRC that does not exist means "all defaults". The header drops the CONFIG_
prefix so lib/ never sees CONFIG_*.

Every mode is strict: an unknown symbol, a malformed line, or a value that does not stick
(unmet `depends on`, out of `range`) is an error, because silently building something other
than what the profile asked for is worse than stopping.
"""
import argparse
import os
import sys

import kconfiglib


def fail(msg: str) -> int:
    print("genconfig: " + msg, file=sys.stderr)
    return 1


def value_mismatches(kconf):
    """Assignments in the loaded file that Kconfig overrode (dependency or range)."""
    out = []
    for sym in kconf.unique_defined_syms:
        if sym.user_value is None:
            continue
        want = sym.user_value
        if sym.type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            want = kconfiglib.TRI_TO_STR[want]
        if str(want) != sym.str_value:
            out.append("CONFIG_%s=%s was requested but Kconfig gives %s (check its "
                       "'depends on' and 'range')" % (sym.name, want, sym.str_value or "n"))
    return out


def header_text(kconf, source: str) -> str:
    lines = ["/* Generated from %s by scripts/genconfig.py; do not edit. */" % source,
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
    return "\n".join(lines) + "\n"


def write_if_changed(path: str, text: str) -> None:
    # Unchanged content keeps its mtime, so dependents are not rebuilt.
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kconfig", default="Kconfig")
    ap.add_argument("--config", default=".config", help="input .config or defconfig")
    ap.add_argument("--require-config", action="store_true",
                    help="fail when --config does not exist instead of using defaults")
    ap.add_argument("--out", help="generated pkiot_config.h")
    ap.add_argument("--write-config", metavar="FILE", help="write the full expanded config")
    ap.add_argument("--write-min-config", metavar="FILE", help="write a minimal defconfig")
    args = ap.parse_args()
    if not (args.out or args.write_config or args.write_min_config):
        return fail("nothing to do: give --out, --write-config or --write-min-config")

    kconf = kconfiglib.Kconfig(args.kconfig, warn_to_stderr=False, suppress_traceback=True)
    kconf.warn_assign_undef = True
    # Redundant or overriding assignments are legitimate in hand-written defconfigs.
    kconf.warn_assign_redun = False
    kconf.warn_assign_override = False
    kconf.warnings.clear()

    have = os.path.exists(args.config)
    if have:
        kconf.load_config(args.config)
        source = args.config
    elif args.require_config:
        return fail("%s does not exist" % args.config)
    else:
        source = "Kconfig defaults"

    problems = list(kconf.warnings) + value_mismatches(kconf)
    if problems:
        for p in problems:
            print("genconfig: %s: %s" % (source, p), file=sys.stderr)
        return 1

    if args.out:
        write_if_changed(args.out, header_text(kconf, source))
    if args.write_config:
        kconf.write_config(args.write_config, save_old=False,
                           header="# Generated from %s by scripts/genconfig.py\n" % source)
    if args.write_min_config:
        kconf.write_min_config(args.write_min_config,
                               header="# pkiot minimal configuration (make savedefconfig)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
