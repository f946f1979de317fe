#!/usr/bin/python3
"""Footprint report and budget check for pkiot (`make size`).

For each profile (a configs/cortex_m_*_defconfig built by mk/size.mk into its own build
directory) this prints:

  * the archive view: text/data/bss of every object in libpkiot.a, summed per module
    (lib/<module>/); this is what the library costs if every object were linked;
  * the linked view: what test/size/min_enroll.c (init, resume/start, step, getters, forget
    with stub ports) really pulls out of libpkiot.a with --gc-sections, summed per archive
    member from the linker map; this is what a firmware pays;
  * library static RAM (.data + .bss of libpkiot.a), which comes on top of the caller's
    context and workspace;
  * worst-case stack per public entry point (include/pkiot/pkiot.h), from the call graph
    gcc writes with -fcallgraph-info=su; calls through port and application function
    pointers are outside the library and are not counted (listed instead);

then the whole firmware image (build/<target>/qemu-enroll.elf, or the smoke images as
labelled stand-ins) split by component from its linker map, and checks everything against
configs/size_budgets.txt. Exit status 1 when a budget is exceeded, 2 on a usage/tool error.

Python standard library only; the binutils come from the cross toolchain.
"""

import argparse
import collections
import glob
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Size = collections.namedtuple("Size", "text data bss")


def zero():
    return Size(0, 0, 0)


def add(a, b):
    return Size(a.text + b.text, a.data + b.data, a.bss + b.bss)


class ToolError(Exception):
    pass


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, check=False)
    except OSError as e:
        raise ToolError("%s: %s" % (cmd[0], e))
    if p.returncode != 0:
        raise ToolError("%s failed: %s" % (" ".join(cmd[:2]), p.stderr.strip()[:400]))
    return p.stdout


def rel(path):
    try:
        r = os.path.relpath(path, TOP)
    except ValueError:
        return path
    return path if r.startswith("..") else r


# ------------------------------------------------------------------------------------------
# archive view
# ------------------------------------------------------------------------------------------

def lib_sources():
    """lib/<module>/<file>.c, exactly what the Makefile's LIB_SRCS wildcard builds."""
    return sorted(rel(p) for p in glob.glob(os.path.join(TOP, "lib", "*", "*.c")))


def module_of_source(src):
    return src.split("/")[1]


def berkeley_sizes(tools, files):
    """{file: Size} from `size` (Berkeley format: text includes .rodata)."""
    out = {}
    if not files:
        return out
    for line in run([tools.size] + files).splitlines()[1:]:
        f = line.split(None, 5)
        if len(f) >= 6:
            out[f[5].strip()] = Size(int(f[0]), int(f[1]), int(f[2]))
    return out


def archive_view(tools, build):
    srcs = lib_sources()
    objs = {s: os.path.join(build, "obj", s[:-2] + ".o") for s in srcs}
    missing = [s for s, o in objs.items() if not os.path.exists(o)]
    if missing:
        raise ToolError("%s: objects missing for %s (did the build run?)" % (build, ", ".join(missing)))
    archive = os.path.join(build, "libpkiot.a")
    members = run([tools.ar, "t", archive]).split()
    expect = sorted(os.path.basename(o) for o in objs.values())
    if sorted(members) != expect:
        raise ToolError("%s has members %s, the sources give %s" % (archive, members, expect))
    sizes = berkeley_sizes(tools, list(objs.values()))
    per_obj = {s: sizes[objs[s]] for s in srcs}
    per_mod = collections.OrderedDict()
    for s in srcs:
        m = module_of_source(s)
        per_mod[m] = add(per_mod.get(m, zero()), per_obj[s])
    return per_obj, per_mod


# ------------------------------------------------------------------------------------------
# linker maps
# ------------------------------------------------------------------------------------------

def section_kinds(tools, elf):
    """{output section: 'text'|'data'|'bss'} for allocated sections of an ELF image."""
    kinds = {}
    for line in run([tools.readelf, "-SW", elf]).splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+([A-Z]*)", line)
        if not m:
            continue
        name, typ, flags = m.group(1), m.group(2), m.group(4)
        if "A" not in flags:
            continue
        if typ == "NOBITS":
            kinds[name] = "bss"
        elif "W" in flags:
            kinds[name] = "data"
        else:
            kinds[name] = "text"
    return kinds


MapEntry = collections.namedtuple("MapEntry", "out section size source addr")


def parse_map(path):
    """Input-section contributions of a GNU ld map: [MapEntry], plus output section sizes."""
    entries = []
    outsizes = {}
    outend = {}
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        raise ToolError("%s: not a GNU ld map file" % path)
    out = None
    pending = None  # (kind, name) whose address/size is on the next line
    re_full = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)(?:\s+(.*\S))?\s*$")
    for line in lines[start + 1:]:
        if pending is not None:
            kind, name = pending
            pending = None
            m = re_full.match(line)
            if m:
                size = int(m.group(2), 16)
                if kind == "out":
                    out = name
                    outsizes[name] = outsizes.get(name, 0) + size
                    outend[name] = int(m.group(1), 16) + size
                elif out is not None and size:
                    entries.append(MapEntry(out, name, size, m.group(3) or "", int(m.group(1), 16)))
                continue
            if kind == "out":
                out = name
        if not line.strip():
            continue
        if line[0] not in " \t*":
            # output section: ".text  0x... 0x..." or ".name" alone (size on the next line)
            m = re.match(r"^(\S+)(?:\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+))?", line)
            if m and (m.group(1).startswith(".") or m.group(1) in ("COMMON",)):
                name = m.group(1)
                if m.group(3) is not None:
                    out = name
                    outsizes[name] = outsizes.get(name, 0) + int(m.group(3), 16)
                    outend[name] = int(m.group(2), 16) + int(m.group(3), 16)
                else:
                    pending = ("out", name)
                    out = None
            elif m and m.group(1) == "/DISCARD/":
                out = None
            continue
        if line.startswith(" ") and not line.startswith("  ") and not line.startswith(" *("):
            m = re.match(r"^ (\S+)(?:\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)(?:\s+(.*\S))?)?\s*$", line)
            if not m:
                continue
            name = m.group(1)
            if m.group(3) is None:
                pending = ("in", name)
                continue
            size = int(m.group(3), 16)
            if out is not None and size:
                entries.append(MapEntry(out, name, size, m.group(4) or "", int(m.group(2), 16)))
    # Merged sections (SHF_MERGE strings) are listed with their size before merging and
    # overlap what follows: count each input only up to where the next one starts.
    fixed = []
    for i, e in enumerate(entries):
        nxt = None
        for f in entries[i + 1:]:
            if f.out != e.out:
                break
            if f.addr >= e.addr:
                nxt = f.addr
                break
        end = nxt if nxt is not None else outend.get(e.out, e.addr + e.size)
        size = max(0, min(e.size, end - e.addr))
        if size:
            fixed.append(e._replace(size=size))
    return fixed, outsizes


def split_source(source):
    """'dir/libx.a(member.o)' -> ('dir/libx.a', 'member.o'); 'x.o' -> ('x.o', None)."""
    m = re.match(r"^(.*\.a)\((.*)\)$", source)
    if m:
        return m.group(1), m.group(2)
    return source, None


def map_mismatch(tools, elf, comp):
    """A warning when the map's contributions do not add up to the image's own sizes."""
    want = berkeley_sizes(tools, [elf]).get(elf)
    got = zero()
    for v in comp.values():
        got = add(got, v)
    if want is not None and (want.text, want.data) != (got.text, got.data):
        return "warning: %s: the map sums to text %d data %d, the image has %d %d" % (
            rel(elf), got.text, got.data, want.text, want.data)
    return None


def summarize_map(entries, outsizes, kinds, classify):
    """Sum a map's contributions by classify(source, section) -> component name."""
    comp = collections.OrderedDict()
    per_out = collections.Counter()
    for e in entries:
        kind = kinds.get(e.out)
        if kind is None:
            continue
        per_out[e.out] += e.size
        if e.section == "*fill*":
            name = "(main stack, linker script)" if "stack" in e.out else \
                   "(heap, linker script)" if "heap" in e.out else "(alignment fill)"
        else:
            name = classify(e.source, e.section)
        s = comp.get(name, zero())
        comp[name] = add(s, Size(e.size if kind == "text" else 0, e.size if kind == "data" else 0,
                                 e.size if kind == "bss" else 0))
    # Space the linker script reserves itself (e.g. the main stack) or pads at section ends.
    for out, total in outsizes.items():
        kind = kinds.get(out)
        if kind is None:
            continue
        extra = total - per_out.get(out, 0)
        if extra > 0:
            name = "(linker script: %s)" % out
            s = comp.get(name, zero())
            comp[name] = add(s, Size(extra if kind == "text" else 0, extra if kind == "data" else 0,
                                     extra if kind == "bss" else 0))
    return comp


# ------------------------------------------------------------------------------------------
# linked view (reference program)
# ------------------------------------------------------------------------------------------

def linked_view(tools, build):
    elf = os.path.join(build, "size", "min_enroll.elf")
    mapf = os.path.join(build, "size", "min_enroll.map")
    if not (os.path.exists(elf) and os.path.exists(mapf)):
        raise ToolError("%s: reference program not built" % elf)
    entries, outsizes = parse_map(mapf)
    kinds = section_kinds(tools, elf)
    member_module = {}
    for s in lib_sources():
        b = os.path.basename(s)[:-2] + ".o"
        member_module[b] = "?" if b in member_module else module_of_source(s)

    def classify(source, section):
        arch, member = split_source(source)
        base = os.path.basename(arch)
        if base == "libpkiot.a" and member is not None:
            return "lib:" + member_module.get(member, "?")
        if base.startswith("libc") or base.startswith("libg"):
            return "libgcc" if base == "libgcc.a" else "libc"
        if member is None and base.endswith(".o"):
            return "reference program"
        return "other"

    comp = summarize_map(entries, outsizes, kinds, classify)
    warn = map_mismatch(tools, elf, comp)
    if warn:
        print("  " + warn)
    per_mod = collections.OrderedDict()
    rest = collections.OrderedDict()
    for k, v in comp.items():
        if k.startswith("lib:"):
            per_mod[k[4:]] = v
        else:
            rest[k] = v
    # Largest library functions/objects actually linked (section names carry them with
    # -ffunction-sections / -fdata-sections).
    biggest = collections.Counter()
    for e in entries:
        arch, member = split_source(e.source)
        if os.path.basename(arch) == "libpkiot.a" and kinds.get(e.out) in ("text", "data", "bss"):
            sym = re.sub(r"^\.(text|rodata|data|bss)\.", "", e.section)
            biggest["%s %s" % (member_module.get(member, "?") + "/" + member[:-2], sym)] += e.size
    # The caller's own RAM for the library: the reference program's context and workspace.
    caller = {}
    for line in run([tools.nm, "-S", elf]).splitlines():
        f = line.split()
        if len(f) == 4 and f[3] in ("ctx", "work"):
            caller[f[3]] = int(f[1], 16)
    return per_mod, rest, biggest, caller


# ------------------------------------------------------------------------------------------
# firmware view
# ------------------------------------------------------------------------------------------

FW_LABELS = [
    ("qemu-enroll.elf", "enrollment firmware: pkiot + ports + Mbed TLS + lwIP + board"),
    ("qemu-tls-smoke.elf", "STAND-IN (no pkiot): TLS smoke image, Mbed TLS + lwIP + board"),
    ("qemu-net-smoke.elf", "STAND-IN (no pkiot, no Mbed TLS): network smoke image, lwIP + board"),
]


def fw_component(source, section):
    arch, member = split_source(source)
    p = arch.replace("\\", "/")
    base = os.path.basename(p)
    if re.match(r"\.(bss|data)\..*arena", section):
        return "Mbed TLS heap arena (static, %s)" % ("board" if "/boards/" in p or p.startswith("boards/") else base)
    if base == "libpkiot.a":
        return "pkiot (libpkiot.a)"
    if base == "libpkiot_ports.a":
        return "pkiot ports"
    if base == "libpkiot_mbedtls3p.a" or "/mbedtls/" in p and "/boards/" not in p:
        return "Mbed TLS"
    if "/ports/" in p or p.startswith("ports/"):
        return "pkiot ports"
    if base == "liblwip.a" or "/lwip/" in p:
        return "lwIP"
    if "/boards/" in p or p.startswith("boards/"):
        return "board (boards/)"
    if "/examples/" in p or p.startswith("examples/"):
        return "application (examples/)"
    if "/lib/" in p and member is None and "arm-none-eabi" not in p:
        return "pkiot (objects)"
    if base == "libgcc.a":
        return "libgcc"
    if base.startswith(("libc", "libg", "libnosys", "libm")):
        return "libc (newlib-nano)"
    if re.match(r"crt.*\.o$", base):
        return "C runtime (crt*.o)"
    return "other (%s)" % base


def firmware_view(tools, elf):
    mapf = elf[:-4] + ".map"
    if not os.path.exists(mapf):
        raise ToolError("%s: no linker map next to it" % elf)
    entries, outsizes = parse_map(mapf)
    kinds = section_kinds(tools, elf)
    comp = summarize_map(entries, outsizes, kinds, fw_component)
    warn = map_mismatch(tools, elf, comp)
    if warn:
        print("  " + warn)
    # libpkiot's part per module, as in the profiles' linked view.
    member_module = {}
    for src in lib_sources():
        b = os.path.basename(src)[:-2] + ".o"
        member_module[b] = "?" if b in member_module else module_of_source(src)
    mods = collections.Counter()
    for e in entries:
        arch, member = split_source(e.source)
        if os.path.basename(arch) == "libpkiot.a" and kinds.get(e.out) == "text":
            mods[member_module.get(member, "?")] += e.size
    return comp, mods


def firmware_facts(elf):
    """What the image was built from: its build directory's profile, and the variant."""
    facts = []
    d = os.path.dirname(elf)
    for cand in (d, os.path.dirname(d)):
        gen = os.path.join(cand, "gen", "pkiot_config.h")
        if os.path.exists(gen):
            with open(gen, errors="replace") as f:
                m = re.search(r"Generated from (\S+)", f.read(400))
            if m:
                facts.append("profile %s" % m.group(1))
            break
    var = elf[:-4] + ".variant"
    if os.path.exists(var):
        with open(var) as f:
            v = f.read().strip()
        facts.append("variant %s%s" % (v, " (PKIOT_BENCH=1: counters and allocator statistics included)"
                                       if v == "bench" else ""))
    return facts


def find_firmware(target):
    """[(elf, label)]: qemu-enroll.elf when present, else the smoke images as stand-ins."""
    dirs = ["build/%s" % target, "build/qemu-tls-%s" % target]
    found = []
    for name, label in FW_LABELS:
        for d in dirs:
            p = os.path.join(TOP, d, name)
            if os.path.exists(p) and os.path.exists(p[:-4] + ".map"):
                found.append((p, label))
                break
        if found and name == "qemu-enroll.elf":
            return found
    return found


# ------------------------------------------------------------------------------------------
# stack
# ------------------------------------------------------------------------------------------

class CallGraph(object):
    def __init__(self):
        self.frame = {}        # node -> bytes
        self.qual = {}         # node -> "static" | "dynamic" | "dynamic,bounded"
        self.label = {}        # node -> printable name
        self.edges = collections.defaultdict(list)  # node -> [(target, location)]
        self.external = set()  # nodes without a body in the library
        self.indirect = {}     # (node, location) -> classification


def parse_ci(paths):
    g = CallGraph()
    node_re = re.compile(r'^node: \{ title: "([^"]+)" label: "([^"]*)"')
    edge_re = re.compile(r'^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"(?: label: "([^"]*)")?')
    for p in paths:
        with open(p, errors="replace") as f:
            for line in f:
                m = node_re.match(line)
                if m:
                    title, label = m.group(1), m.group(2)
                    parts = label.split("\\n")
                    fm = re.match(r"(\d+) bytes \(([a-z,]+)\)", parts[-1]) if len(parts) >= 3 else None
                    if fm:
                        g.frame[title] = int(fm.group(1))
                        g.qual[title] = fm.group(2)
                        g.label[title] = parts[0]
                    elif title not in g.frame:
                        g.external.add(title)
                        g.label.setdefault(title, parts[0].replace("__builtin_", ""))
                    continue
                m = edge_re.match(line)
                if m:
                    g.edges[m.group(1)].append((m.group(2), m.group(3) or ""))
    g.external -= set(g.frame)
    g.external.discard("__indirect_call")
    return g


def disasm_frames(tools, elf):
    """Frame size and callees of every function in an image, from its disassembly: used for
    the C library and libgcc helpers the library calls (they have no .su/.ci)."""
    frames, callees = {}, collections.defaultdict(set)
    cur, depth, peak = None, 0, 0

    def regs(lst):
        n = 0
        for r in lst.split(","):
            r = r.strip()
            m = re.match(r"r(\d+)-r(\d+)$", r)
            n += int(m.group(2)) - int(m.group(1)) + 1 if m else (1 if r else 0)
        return n

    for line in run([tools.objdump, "-d", "--no-show-raw-insn", elf]).splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if m:
            if cur is not None:
                frames[cur] = peak
            cur, depth, peak = m.group(1), 0, 0
            continue
        m = re.match(r"^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$", line)
        if not m or cur is None:
            continue
        op, args = m.group(1), m.group(2)
        op = op.split(".")[0]
        rm = re.search(r"\{([^}]*)\}", args)
        if op in ("push", "vpush") or (op == "stmdb" and args.startswith("sp!")):
            depth += 4 * regs(rm.group(1)) * (2 if op == "vpush" else 1) if rm else 0
        elif op in ("pop", "vpop") or (op == "ldmia" and args.startswith("sp!")):
            depth -= 4 * regs(rm.group(1)) * (2 if op == "vpop" else 1) if rm else 0
        else:
            sm = re.match(r"(sub|add)w?\s+sp,\s*(?:sp,\s*)?#(\d+)", op + " " + args)
            if sm:
                depth += int(sm.group(2)) if sm.group(1) == "sub" else -int(sm.group(2))
            # Pre-decrementing stores and post-incrementing loads ("strd ip, lr, [sp, #-16]!").
            wm = re.search(r"\[sp,\s*#-(\d+)\]!", args)
            if wm and op.startswith("str"):
                depth += int(wm.group(1))
            wm = re.search(r"\[sp\],\s*#(\d+)", args)
            if wm and op.startswith("ldr"):
                depth -= int(wm.group(1))
        depth = max(depth, 0)
        peak = max(peak, depth)
        if op in ("bl", "b", "blx"):
            tm = re.search(r"<([^>+]+)>", args)
            if tm and tm.group(1) != cur:
                callees[cur].add(tm.group(1))
    if cur is not None:
        frames[cur] = peak
    return frames, callees


def read_struct_fields(type_name, texts):
    """Field names in order of `typedef struct ... { ... } type_name;` found in texts."""
    for text in texts:
        m = re.search(r"typedef\s+struct\s+\w*\s*\{(.*?)\}\s*" + re.escape(type_name) + r"\s*;", text, re.S)
        if not m:
            continue
        body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
        body = re.sub(r"//[^\n]*", "", body)
        fields = []
        for decl in body.split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            fm = re.search(r"\(\s*\*\s*(\w+)\s*\)\s*\(", decl)
            if fm:
                fields.append((fm.group(1), True))
                continue
            fm = re.search(r"(\w+)\s*$", decl)
            if fm:
                fields.append((fm.group(1), "*" in decl or re.match(r"(const\s+)?(\w+_t|int|unsigned|uint32_t|int32_t)\s", decl) is not None))
        return fields
    return None


def source_texts():
    texts = {}
    for p in glob.glob(os.path.join(TOP, "lib", "*", "*.[ch]")) + glob.glob(os.path.join(TOP, "include", "pkiot", "*.h")):
        with open(p, errors="replace") as f:
            texts[rel(p)] = f.read()
    return texts


class IndirectResolver(object):
    """Decides where an indirect call in the library can land.

    Points-to argument: an indirect call inside the library reaches a library function only
    if that function's address is taken somewhere in the library. Address-taken functions
    are found from relocations that are not direct calls. Those stored in a const table
    (e.g. pkiot_est_ops, a pkiot_proto_ops_t) are matched to calls through a pointer of the
    table's type by field name; every other indirect call targets a port or an application
    callback, i.e. code outside the library. Address-taken functions that sit in no table
    make every such call unresolved (reported, and counted conservatively)."""

    def __init__(self, tools, objs, graph, texts):
        self.texts = texts
        self.tables = {}       # table symbol -> (type, {field: node})
        self.loose = set()     # address-taken nodes outside tables
        self.warnings = []
        for o in objs:
            self._scan_object(tools, o, graph)

    def _node_for(self, graph, src, sym):
        local = "%s:%s" % (src, sym)
        if local in graph.frame:
            return local
        return sym

    def _scan_object(self, tools, obj, graph):
        src = rel(obj)
        m = re.search(r"/size/cg/(lib/.*)\.o$", obj.replace("\\", "/"))
        src = (m.group(1) + ".c") if m else src
        text = run([tools.readelf, "-rsW", obj])
        funcs = set()
        for line in text.splitlines():
            sm = re.match(r"^\s*\d+:\s+[0-9a-f]+\s+\d+\s+FUNC\s+\w+\s+\w+\s+\S+\s+(\S+)$", line)
            if sm:
                funcs.add(sm.group(1))
        section = None
        for line in text.splitlines():
            hm = re.match(r"^Relocation section '\.rel(?:a)?(\S+)'", line)
            if hm:
                section = hm.group(1)
                continue
            if section is None or section.startswith(".debug") or section.startswith(".ARM"):
                continue
            rm = re.match(r"^([0-9a-f]+)\s+[0-9a-f]+\s+(R_ARM_\w+)\s+[0-9a-f]+\s+(\S+)", line)
            if not rm:
                continue
            off, typ, sym = int(rm.group(1), 16), rm.group(2), rm.group(3)
            if typ in ("R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_THM_JUMP19", "R_ARM_CALL",
                       "R_ARM_JUMP24", "R_ARM_THM_JUMP11", "R_ARM_THM_JUMP8", "R_ARM_V4BX"):
                continue
            if sym not in funcs:
                continue
            node = self._node_for(graph, src, sym)
            tm = re.match(r"^\.(?:rodata|data)(?:\.rel\.ro)?\.(\w+)$", section)
            if tm:
                table = tm.group(1)
                self.tables.setdefault(table, {"obj": src, "slots": {}})["slots"][off] = node
            else:
                self.loose.add(node)

    def finish(self):
        """Attach types and field names to the tables."""
        alltext = list(self.texts.values())
        resolved = {}
        for table, info in self.tables.items():
            typ = None
            for t in alltext:
                m = re.search(r"(?:extern\s+)?(?:const\s+)?(\w+)\s+(?:const\s+)?" + re.escape(table) + r"\s*(?:=|;)", t)
                if m and m.group(1) not in ("static", "return"):
                    typ = m.group(1)
                    break
            fields = read_struct_fields(typ, alltext) if typ else None
            if not fields or not all(is4 for _, is4 in fields):
                self.warnings.append("table %s (%s): field layout not understood; its functions "
                                     "count as reachable from every unresolved indirect call" % (table, typ))
                self.loose.update(info["slots"].values())
                continue
            byfield = {}
            for off, node in info["slots"].items():
                idx = off // 4
                if off % 4 == 0 and idx < len(fields):
                    byfield.setdefault(fields[idx][0], set()).add(node)
                else:
                    self.loose.add(node)
            resolved[table] = (typ, byfield)
        self.used_types = set()
        self.types = collections.defaultdict(lambda: collections.defaultdict(set))
        for table, (typ, byfield) in resolved.items():
            for field, nodes in byfield.items():
                self.types[typ][field].update(nodes)

    def _decl_type(self, ident, src):
        """Declared pointer type of an identifier (variable, parameter or struct member), or
        the return type of a function; the call's own file first, then every other."""
        order = [src] + [k for k in self.texts if k != src]
        pats = [re.compile(r"\b(\w+)\s*\*\s*(?:const\s+)?\b" + re.escape(ident) + r"\s*(?:[;,)=\[]|\()")]
        for k in order:
            t = self.texts.get(k)
            if t is None:
                continue
            for p in pats:
                m = p.search(t)
                if m:
                    return m.group(1)
        return None

    def classify(self, location):
        """(kind, targets, text): kind 'internal' | 'outside' | 'unresolved'."""
        m = re.match(r"^(.*):(\d+):(\d+)$", location)
        expr = ""
        if m and m.group(1) in self.texts:
            lines = self.texts[m.group(1)].splitlines()
            ln, col = int(m.group(2)), int(m.group(3))
            if 0 < ln <= len(lines):
                expr = (lines[ln - 1][col - 1:] + " " + " ".join(lines[ln:ln + 2])).strip()
        cm = re.match(r"^(.*?)(?:->|\.)\s*(\w+)\s*\(", expr)
        if cm:
            recv, field = cm.group(1), cm.group(2)
            shown = "%s->%s()" % (recv, field) if len(recv) < 40 else "...->%s()" % field
            fm = re.match(r"^(\w+)\s*\(.*\)$", recv)
            ident = fm.group(1) if fm else re.findall(r"\w+", recv)[-1] if re.findall(r"\w+", recv) else None
            typ = self._decl_type(ident, m.group(1)) if ident and m else None
            if typ in self.types:
                self.used_types.add(typ)
                return "internal", sorted(self.types[typ].get(field, ())), shown
            if self.loose:
                return "unresolved", sorted(self.loose), shown
            # Named by the receiver's type: "crypto port: hash", "config: progress".
            if typ:
                group = re.sub(r"^pkiot_", "", typ)
                group = re.sub(r"_port_t$", " port", group)
                group = re.sub(r"_t$", "", group)
                group = {"config": "application callbacks", "http_resp": "HTTP body callback"}.get(group, group)
                return "outside", [], (group, field)
            return "outside", [], shown
        fm = re.match(r"^(\w+)\s*\(", expr)
        shown = (fm.group(1) + "()") if fm else (location or "?")
        if self.loose:
            return "unresolved", sorted(self.loose), shown
        return "outside", [], shown


def stack_report(tools, build, entry_points, rec_bounds=None):
    cg_dir = os.path.join(build, "size", "cg")
    cis = sorted(glob.glob(os.path.join(cg_dir, "lib", "*", "*.ci")))
    if not cis:
        raise ToolError("%s: no .ci call-graph files (gcc -fcallgraph-info=su)" % cg_dir)
    graph = parse_ci(cis)
    # The call graph must describe the archive's code: same sizes object by object.
    cg_objs = [c[:-3] + ".o" for c in cis]
    lib_objs = [os.path.join(build, "obj", os.path.relpath(o, cg_dir)) for o in cg_objs]
    sizes = berkeley_sizes(tools, cg_objs + [o for o in lib_objs if os.path.exists(o)])
    differ = [os.path.relpath(o, cg_dir) for o, l in zip(cg_objs, lib_objs)
              if l in sizes and sizes.get(o) != sizes.get(l)]
    if differ:
        raise ToolError("call-graph objects differ from the archive's: %s" % ", ".join(differ))
    texts = source_texts()
    objs = [c[:-3] + ".o" for c in cis]
    res = IndirectResolver(tools, objs, graph, texts)
    res.finish()
    ext_frames, ext_callees = {}, {}
    elf = os.path.join(build, "size", "min_enroll.elf")
    if os.path.exists(elf):
        ext_frames, ext_callees = disasm_frames(tools, elf)

    results = collections.OrderedDict()
    for ep in entry_points:
        if ep not in graph.frame:
            results[ep] = None
            continue
        info = {"outside": collections.OrderedDict(), "unresolved": set(), "recursion": [],
                "dynamic": set(), "unknown_ext": set(), "ext": set(), "bounded": set()}
        memo = {}
        bounds = {}
        for n in graph.frame:
            b = (rec_bounds or {}).get(graph.label.get(n, n))
            if b:
                bounds[n] = b

        def worst(node, stack):
            if node in stack:
                cyc = stack[stack.index(node):] + [node]
                text = " -> ".join(graph.label.get(n, n) for n in cyc)
                if node not in bounds:
                    info["recursion"].append(text)
                    return 0, []
                if stack.count(node) >= bounds[node]:
                    info["bounded"].add("%s at most %d activations deep" % (graph.label.get(node, node), bounds[node]))
                    return 0, []
            # Results below a bounded-recursive function depend on how deep it already is.
            key = (node, tuple(stack.count(b) for b in sorted(bounds)))
            if key in memo:
                return memo[key]
            stack.append(node)
            if node in graph.frame:
                own = graph.frame[node]
                if graph.qual.get(node, "static") != "static":
                    info["dynamic"].add(graph.label.get(node, node))
                best, bpath = 0, []
                for tgt, loc in graph.edges.get(node, ()):
                    if tgt == "__indirect_call":
                        kind, targets, shown = res.classify(loc)
                        if kind == "outside":
                            info["outside"][shown] = 1
                            continue
                        if kind == "unresolved":
                            info["unresolved"].add(shown)
                        for t in targets:
                            d, p = worst(t, stack)
                            if d > best:
                                best, bpath = d, p
                        continue
                    d, p = worst(tgt, stack)
                    if d > best:
                        best, bpath = d, p
                r = (own + best, [node] + bpath)
            else:
                # C library / libgcc helper: frame from the reference image's disassembly.
                name = node
                if name in ext_frames:
                    info["ext"].add(name)
                    own = ext_frames[name]
                    best, bpath = 0, []
                    for c in ext_callees.get(name, ()):
                        d, p = worst(c, stack)
                        if d > best:
                            best, bpath = d, p
                    r = (own + best, [node] + bpath)
                else:
                    info["unknown_ext"].add(name)
                    r = (0, [node])
            stack.pop()
            memo[key] = r
            return r

        depth, path = worst(ep, [])
        info["depth"] = depth
        info["path"] = [(graph.label.get(n, n), graph.frame.get(n, ext_frames.get(n, 0))) for n in path]
        results[ep] = info
    # A table no indirect call was matched to means a call through it went unrecognised and
    # its functions are missing from the figures above.
    for typ in sorted(set(res.types) - res.used_types):
        res.warnings.append("no indirect call was matched to the %s tables; the stack of the "
                            "functions in them is not counted" % typ)
    return results, res


def public_entry_points():
    path = os.path.join(TOP, "include", "pkiot", "pkiot.h")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = []
    for m in re.finditer(r"^[A-Za-z_][\w \*]*?\b(pkiot_\w+)\s*\(", text, re.M):
        if "typedef" in m.group(0) or "(*" in m.group(0):
            continue
        if m.group(1) not in names:
            names.append(m.group(1))
    return names


# ------------------------------------------------------------------------------------------
# budgets
# ------------------------------------------------------------------------------------------

def read_budgets(path):
    budgets = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3 or not parts[2].isdigit():
                raise ToolError("%s:%d: expected '<profile> <metric> <bytes>'" % (path, n))
            prof, metric, limit = parts
            if not re.match(r"^(lib\.text|lib\.ram|linked\.text|stack\.(\*|pkiot_\w+)|recursion\.\w+)$", metric):
                raise ToolError("%s:%d: unknown metric %r" % (path, n, metric))
            budgets[(prof, metric)] = int(limit)
    return budgets


def budget_for(budgets, profile, metric):
    for key in ((profile, metric), ("*", metric)):
        if key in budgets:
            return budgets[key]
    if metric.startswith("stack."):
        for key in ((profile, "stack.*"), ("*", "stack.*")):
            if key in budgets:
                return budgets[key]
    return None


# ------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------

def fmt_row(name, *sizes, **kw):
    w = kw.get("w", 22)
    cells = []
    for s in sizes:
        if s is None:
            cells.append("%7s %6s %6s" % ("-", "-", "-"))
        else:
            cells.append("%7d %6d %6d" % (s.text, s.data, s.bss))
    return "  %-*s %s" % (w, name, "     ".join(cells))


def profile_name(defconfig):
    b = os.path.basename(defconfig)
    b = re.sub(r"_defconfig$", "", b)
    b = re.sub(r"^cortex_m_", "", b)
    return b.replace("_", "-")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="cortex-m4")
    ap.add_argument("--profile", action="append", default=[], metavar="DEFCONFIG=BUILD",
                    help="a profile's defconfig and its build directory (repeatable)")
    ap.add_argument("--budgets", default=os.path.join(TOP, "configs", "size_budgets.txt"))
    ap.add_argument("--cross", default="arm-none-eabi-")
    ap.add_argument("--cflags", default="", help="compiler flags, for the header line")
    ap.add_argument("--no-firmware", action="store_true")
    ap.add_argument("--no-enforce", action="store_true", help="report only; exit 0 when over budget")
    ap.add_argument("--detail", action="store_true", help="per-object and largest-function tables")
    ap.add_argument("--markdown", action="store_true", help="also print a markdown size table")
    ap.add_argument("--lines", action="store_true",
                    help="end with one PASS:/FAIL: line per budget (for scripts/run-tests.sh)")
    args = ap.parse_args()

    class Tools(object):
        pass
    tools = Tools()
    for t in ("size", "ar", "readelf", "objdump", "gcc", "nm"):
        setattr(tools, t, args.cross + t)

    try:
        budgets = read_budgets(args.budgets)
    except (OSError, ToolError) as e:
        print("size: %s" % e, file=sys.stderr)
        return 2

    try:
        gccver = run([tools.gcc, "-dumpfullversion"]).strip()
    except ToolError:
        gccver = "?"
    cflags = args.cflags
    if not cflags and args.profile:
        # The build's own flag record (mk/build.mk): "CC | AR | ARCHFLAGS | ...".
        stamp = os.path.join(args.profile[0].split("=", 1)[-1], "gen", "flags.txt")
        try:
            with open(stamp) as f:
                arch = f.read().split("|")[2].split()
            cflags = " ".join(a for a in arch if a.startswith(("-m", "-O", "-f")))
        except (OSError, IndexError):
            pass
    print("pkiot footprint: %s, %s-gcc %s%s" % (args.target, args.cross.rstrip("-"), gccver,
                                               (" " + cflags) if cflags else ""))
    print("text = .text + .rodata (flash), data = .data (flash + RAM), bss = .bss (RAM); bytes")
    print("archive = every object of libpkiot.a; linked = what test/size/min_enroll.c pulls in")
    print("          (init, resume/start, step, getters, forget; stub ports) with --gc-sections")

    entry_points = public_entry_points()
    checked = []  # (ok, "profile metric value / limit")
    over = []
    unbudgeted = []
    md_rows = []
    for spec in args.profile:
        if "=" not in spec:
            print("size: --profile wants DEFCONFIG=BUILD, got %r" % spec, file=sys.stderr)
            return 2
        defconfig, build = spec.split("=", 1)
        prof = profile_name(defconfig)
        print()
        print("== profile %s (%s, %s)" % (prof, rel(defconfig), rel(build)))
        try:
            per_obj, amod = archive_view(tools, build)
            lmod, lrest, biggest, caller = linked_view(tools, build)
        except ToolError as e:
            print("size: %s" % e, file=sys.stderr)
            return 2
        print("  %-22s %-22s     %-22s" % ("", "    archive", "    linked"))
        print("  %-22s %7s %6s %6s     %7s %6s %6s" % ("module", "text", "data", "bss", "text", "data", "bss"))
        atot, ltot = zero(), zero()
        for m in amod:
            print(fmt_row(m, amod[m], lmod.get(m, zero())))
            atot = add(atot, amod[m])
            ltot = add(ltot, lmod.get(m, zero()))
        for m in lmod:
            if m not in amod:
                print(fmt_row(m, None, lmod[m]))
                ltot = add(ltot, lmod[m])
        print(fmt_row("libpkiot total", atot, ltot))
        for k in ("reference program", "libc", "libgcc", "other", "(alignment fill)"):
            # The reference program's bss is the caller's context + workspace.
            if k in lrest:
                print(fmt_row("  + " + k, None, lrest[k]))
        for k, v in lrest.items():
            if k.startswith("(linker script"):
                print(fmt_row("  + " + k, None, v))
        # Dominant modules/objects, so a budget overrun says where to look.
        top = sorted(per_obj.items(), key=lambda kv: -kv[1].text)[:6]
        print("  largest objects (archive text): " +
              ", ".join("%s %d" % (s[4:-2], sz.text) for s, sz in top))
        if args.detail:
            print("  per object (archive):")
            for s, sz in per_obj.items():
                print(fmt_row("  " + s[4:], sz))
            print("  largest linked sections:")
            for name, sz in biggest.most_common(25):
                print("    %6d  %s" % (sz, name))
        else:
            print("  largest linked functions/tables: " +
                  ", ".join("%s %d" % (n.split(" ", 1)[1], sz) for n, sz in biggest.most_common(6)))

        if "ctx" in caller and "work" in caller:
            print("  caller-owned RAM (not library static RAM): pkiot_ctx_t %d + workspace %d "
                  "(PKIOT_WORKSPACE_SIZE) = %d" % (caller["ctx"], caller["work"],
                                                   caller["ctx"] + caller["work"]))
        ram = atot.data + atot.bss
        checks = [("lib.text", "libpkiot text (archive)", atot.text),
                  ("linked.text", "libpkiot text (linked)", ltot.text),
                  ("lib.ram", "library static RAM (data+bss)", ram)]
        print("  budgets:")
        for metric, what, value in checks:
            lim = budget_for(budgets, prof, metric)
            if lim is None:
                if metric == "lib.text":
                    unbudgeted.append("%s %s" % (prof, metric))
                    print("    %-34s %7d   (no budget)" % (what, value))
                continue
            ok = value <= lim
            line = "    %-34s %7d / %-7d %s" % (what, value, lim,
                                                "ok" if ok else "OVER by %d" % (value - lim))
            print(line)
            checked.append((ok, "size/%s/%s: %d of %d bytes" % (prof, metric, value, lim)))
            if not ok:
                over.append("%s: %s %d > %d (%s)" % (prof, what, value, lim, metric))

        try:
            bounds = {}
            for (bp, metric), v in budgets.items():
                if metric.startswith("recursion.") and bp in ("*", prof):
                    if bp == prof or metric[10:] not in bounds:
                        bounds[metric[10:]] = v
            stacks, res = stack_report(tools, build, entry_points, bounds)
        except ToolError as e:
            print("size: %s" % e, file=sys.stderr)
            return 2
        print("  worst-case stack per entry point (library frames + C library helpers;")
        print("  calls through port/application function pointers are outside the library):")
        for w in res.warnings:
            print("    warning: %s" % w)
        outside_all = collections.OrderedDict()
        wild = []  # entry points under the stack.* budget, reported as one check
        for ep, info in stacks.items():
            if info is None:
                continue
            lim = budget_for(budgets, prof, "stack." + ep)
            flags = []
            if info["recursion"]:
                flags.append("RECURSION: " + "; ".join(sorted(set(info["recursion"]))))
            if info["bounded"]:
                flags.append("recursion bounded per %s: %s" % (os.path.basename(args.budgets),
                                                                "; ".join(sorted(info["bounded"]))))
            if info["dynamic"]:
                flags.append("dynamic frames: " + ", ".join(sorted(info["dynamic"])))
            if info["unresolved"]:
                flags.append("unresolved indirect calls (counted conservatively): " +
                             ", ".join(sorted(info["unresolved"])))
            if info["unknown_ext"]:
                flags.append("no frame size for: " + ", ".join(sorted(info["unknown_ext"])))
            for k in info["outside"]:
                outside_all[k] = 1
            bound = "%d%s" % (info["depth"], "+" if info["recursion"] or info["dynamic"] else "")
            status = ""
            if lim is not None:
                ok = info["depth"] <= lim and not info["recursion"]
                status = "/ %-5d %s" % (lim, "ok" if ok else "OVER")
                if (prof, "stack." + ep) in budgets or ("*", "stack." + ep) in budgets:
                    checked.append((ok, "size/%s/stack.%s: %s of %d bytes%s" % (
                        prof, ep, bound, lim, " (unbounded recursion)" if info["recursion"] else "")))
                else:
                    wild.append((ok, ep, info["depth"], lim))
                if not ok:
                    over.append("%s: stack of %s %s > %d" % (prof, ep, bound, lim))
            if info["depth"] > 0 or info["outside"] or flags:
                chain = " > ".join("%s %d" % (n, f) for n, f in info["path"] if f)
                print("    %-24s %6s %s  via %s" % (ep, bound, status, chain or "-"))
                if info["outside"]:
                    groups = collections.OrderedDict()
                    for o in info["outside"]:
                        g, f = o if isinstance(o, tuple) else ("other", o)
                        groups.setdefault(g, [])
                        if f not in groups[g]:
                            groups[g].append(f)
                    print("    %-24s        + outside the library: %s" % ("", "; ".join(
                        "%s: %s" % (g, ", ".join(fs)) for g, fs in groups.items())))
                for fl in flags:
                    print("    %-24s        ! %s" % ("", fl))
        if wild:
            bad = [w for w in wild if not w[0]]
            worst_w = max(wild, key=lambda w: w[2])
            checked.append((not bad, "size/%s/stack.*: %d entry points, deepest %s %d of %d bytes" % (
                prof, len(wild), (bad[0] if bad else worst_w)[1], (bad[0] if bad else worst_w)[2],
                worst_w[3])))
        leaves = [ep for ep, info in stacks.items() if info is not None and info["depth"] == 0
                  and not info["outside"]]
        if leaves:
            print("    0 bytes (leaf, no frame): " + ", ".join(leaves))
        missing = [ep for ep, info in stacks.items() if info is None]
        if missing:
            print("    not in this profile's library: " + ", ".join(missing))
        md_rows.append((prof, amod, lmod, atot, ltot, ram, stacks,
                        budget_for(budgets, prof, "lib.text"), caller))

    fw_md = []
    if not args.no_firmware:
        print()
        print("== whole firmware (%s)" % args.target)
        fws = find_firmware(args.target)
        if not fws:
            print("  no firmware image yet (build/%s/qemu-enroll.elf)" % args.target)
        for elf, label in fws:
            try:
                comp, fw_mods = firmware_view(tools, elf)
            except ToolError as e:
                print("  %s: %s" % (rel(elf), e))
                continue
            print("  %s — %s" % (rel(elf), label))
            facts = firmware_facts(elf)
            if facts:
                print("  (%s)" % ", ".join(facts))
            print("  %-48s %8s %7s %8s" % ("component", "text", "data", "bss"))
            tot = zero()
            order = sorted(comp.items(), key=lambda kv: (kv[0].startswith("("), -(kv[1].text + kv[1].data + kv[1].bss)))
            for name, s in order:
                print("  %-48s %8d %7d %8d" % (name, s.text, s.data, s.bss))
                tot = add(tot, s)
            print("  %-48s %8d %7d %8d" % ("total", tot.text, tot.data, tot.bss))
            print("  flash %d bytes (text + data), RAM %d bytes (data + bss, stack included)" %
                  (tot.text + tot.data, tot.data + tot.bss))
            if fw_mods:
                print("  libpkiot text in this image by module: " +
                      ", ".join("%s %d" % kv for kv in sorted(fw_mods.items())))
            if args.markdown:
                fw_md.append("| %s%s | text | data | bss |" % (os.path.basename(elf),
                                                                 (" (%s)" % ", ".join(facts)) if facts else ""))
                fw_md.append("|---|---:|---:|---:|")
                for name, sz in order:
                    fw_md.append("| %s | %d | %d | %d |" % (name, sz.text, sz.data, sz.bss))
                fw_md.append("| **total** | **%d** | **%d** | **%d** |" % (tot.text, tot.data, tot.bss))
                fw_md.append("")

    if args.markdown:
        print()
        print(markdown(md_rows, entry_points))
        if fw_md:
            print()
            print("\n".join(fw_md).rstrip())

    print()
    if args.lines:
        for ok, text in checked:
            print("%s %s" % ("PASS:" if ok else "FAIL:", text))
    if unbudgeted:
        print("no budget (add one to %s): %s" % (rel(args.budgets), ", ".join(unbudgeted)))
    if over:
        print("OVER BUDGET (%s):" % rel(args.budgets))
        for o in over:
            print("  " + o)
        if args.no_enforce:
            print("(not enforced: SIZE_ENFORCE=0)")
            return 0
        return 1
    print("size: all profiles within budget")
    return 0


def markdown(rows, entry_points):
    out = []
    if not rows:
        return ""
    profs = [r[0] for r in rows]
    out.append("| module | " + " | ".join("%s archive | %s linked" % (p, p) for p in profs) + " |")
    out.append("|---|" + "---:|---:|" * len(profs))
    mods = []
    for r in rows:
        for m in list(r[1]) + list(r[2]):
            if m not in mods:
                mods.append(m)
    for m in mods:
        cells = []
        for r in rows:
            cells.append(str(r[1][m].text) if m in r[1] else "–")
            cells.append(str(r[2][m].text) if m in r[2] else "–")
        out.append("| %s | %s |" % (m, " | ".join(cells)))
    cells = []
    for r in rows:
        cells += ["**%d**" % r[3].text, "**%d**" % r[4].text]
    out.append("| **text total** | %s |" % " | ".join(cells))
    cells = []
    for r in rows:
        cells += [str(r[7]) if r[7] is not None else "–", ""]
    out.append("| text budget | %s |" % " | ".join(cells))
    cells = []
    for r in rows:
        cells += [str(r[5]), str(r[4].data + r[4].bss)]
    out.append("| library static RAM (data+bss) | %s |" % " | ".join(cells))
    cells = []
    for r in rows:
        c = r[8]
        cells += ["", "%d + %d" % (c["ctx"], c["work"]) if "ctx" in c and "work" in c else "–"]
    out.append("| caller-owned RAM (context + workspace) | %s |" % " | ".join(cells))
    out.append("")
    out.append("| entry point | " + " | ".join("stack, %s" % p for p in profs) + " |")
    out.append("|---|" + "---:|" * len(profs))
    for ep in entry_points:
        cells = []
        show = False
        for r in rows:
            info = r[6].get(ep)
            if info is None:
                cells.append("–")
            else:
                cells.append("%d%s" % (info["depth"], "+" if info["recursion"] else ""))
                show = show or info["depth"] > 0
        if show:
            out.append("| `%s` | %s |" % (ep, " | ".join(cells)))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
