#!/usr/bin/env python3
"""Size report of rwkvtok on Cortex-M, and the budgets it must keep.

Builds lib/ the way a firmware project outside Bazel would (README, "Microcontrollers"): each
source compiled by arm-none-eabi-g++ with the flags below, for the Cortex-M4 and the Cortex-M7,
in three variants (full, encode-only with -DRWKVTOK_NO_DECODE, decode-only with
-DRWKVTOK_NO_ENCODE). Then it links minimal images (tools/cortex_m/size_main.cc, which calls only
the functions each image is about, with --gc-sections) and measures, from the linker map, what the
library's objects put in them.

Budgets (--check fails when one is exceeded):
  code    the library's .text in the image that calls only Tokenizer::World, Encode and Decode
          with uint32_t ids, i.e. the code of encoding and decoding with one id type: at most
          4096 bytes on each core. What the C library adds (memcpy) is reported separately.
  compact the library's flash (code + .rodata) in the image that calls only
          Tokenizer::WorldCompact, Encode and Decode: at most 192 KiB on each core.
  stack   the worst-case stack of every public function, from the call graph and frame sizes
          GCC writes with -fstack-usage and -fcallgraph-info=su (.su and .ci files): at most 512
          bytes. A function with a dynamic frame, recursion, an indirect call or a call to an
          unknown function fails, since its stack cannot be bounded.
  heap    no object of the library refers to malloc, calloc, realloc, free, operator new or
          operator delete (their undefined symbols, from nm).
  statics no static constructors or destructors (.init_array, .ctors, .fini_array, .dtors
          sections) and no writable globals (.data, .bss, COMMON) in any object of the library.
  flash   the vocabulary's arrays are .rodata, placed in flash; an encode-only image holds none of
          the decode table and a decode-only image none of the trie; a compact image holds the
          compact blob alone; an image that loads its own blob through the C API holds none.

Usage:
  tools/size_report.py [--check] [--gen-dir DIR] [--root DIR] [--work DIR]
                       [--objects DIR --cpu CPU]
--root is the directory holding lib/ (default: the repository), --gen-dir the one holding the
generated lib/world_blob.h (default: bazel-bin, after `bazel build //lib:world_blob`). The
library's files come from lib/sources.bzl, the list every build reads.
--objects takes the library's objects from a build of its own instead (the CMake build with
cmake/toolchains/cortex-m4.cmake, compiled with -fstack-usage -fcallgraph-info=su so that their
.su and .ci files lie beside them), for one CPU (--cpu Cortex-M4 or Cortex-M7), and reports and
checks the images of the complete library on it.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

CODE_BUDGET = 4096
STACK_BUDGET = 512
COMPACT_FLASH_BUDGET = 192 * 1024

# The flags the README gives for firmware builds.
CXXFLAGS = [
    "-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti",
    "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra",
]
# The library's own sources also compile cleanly under the strict warnings firmware projects use.
LIBRARY_WARNINGS = ["-Wundef", "-Wshadow", "-Werror"]
CPUS = {
    "Cortex-M4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "Cortex-M7": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
}
VARIANTS = {
    "full": [],
    "encode-only": ["-DRWKVTOK_NO_DECODE"],
    "decode-only": ["-DRWKVTOK_NO_ENCODE"],
}

# Images: (name, variant of the library, RWKVTOK_SIZE_IMAGE, what it calls).
IMAGES = [
    ("encode + decode", "full", 1, "World, Encode, Decode (uint32_t ids)"),
    ("encode-only", "encode-only", 2, "World, Encode (uint32_t ids)"),
    ("decode-only", "decode-only", 3, "World, Decode (uint32_t ids)"),
    ("whole API", "full", 4, "every function of lib/rwkvtok.h"),
    ("compact encode + decode", "full", 5, "WorldCompact, Encode, Decode (uint32_t ids)"),
    ("compact encode-only", "full", 6, "WorldCompact, Encode (uint32_t ids)"),
    ("compact decode-only", "full", 7, "WorldCompact, Decode (uint32_t ids)"),
    ("blob through the C API", "full", 8, "rwkvtok_from_blob, rwkvtok_encode, rwkvtok_decode"),
]

# The vocabulary's arrays (lib/world_blob.h), by the half of the library that reads them.
TRIE = ["kUnits"]
DECODE_TABLE = ["kTokenEntries", "kTokenBytes"]
COMPACT = ["kCompactBlob"]

# C library functions the library calls, with the stack they may use: newlib-nano's push at
# most four registers (16 bytes); the bound leaves room for other C libraries.
LIBC_STACK = {"memcpy": 32, "memmove": 32, "memset": 32, "memcmp": 32}

FORBIDDEN_SYMBOLS = re.compile(
    r"^(_?malloc|_?free|_?calloc|_?realloc|_malloc_r|_free_r|_calloc_r|_realloc_r|"
    r"aligned_alloc|posix_memalign|memalign|_Znw.*|_Zna.*|_Zdl.*|_Zda.*)$")
STATIC_INIT_SECTIONS = re.compile(r"^\.(init_array|preinit_array|ctors|fini_array|dtors)")
WRITABLE_SECTIONS = re.compile(r"^\.(data|bss|tdata|tbss)(\.|$)")

TOOL = "arm-none-eabi-"
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def run(args, **kwargs):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit("size_report: %s failed:\n%s%s" % (" ".join(args), result.stdout, result.stderr))
    if result.stderr:  # compiler warnings
        print(result.stderr, end="")
    return result.stdout


# --- Objects ------------------------------------------------------------------------------------

def bzl_lists(path):
    """The lists assigned at the top level of a .bzl file such as lib/sources.bzl."""
    import ast
    lists = {}
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            lists[node.targets[0].id] = ast.literal_eval(node.value)
    return lists


def library_sources(root):
    """The library's .cc files for a microcontroller (no vector kernels), relative to root, from
    lib/sources.bzl, the list every build reads."""
    return ["lib/" + name for name in bzl_lists(os.path.join(root, "lib", "sources.bzl"))["LIB_SRCS"]]


def compile_library(root, include_dirs, work, sources):
    """Compiles every source for every core and variant; returns {(cpu, variant): [objects]}."""
    jobs = []
    objects = {}
    for cpu, cpu_flags in CPUS.items():
        for variant, defines in VARIANTS.items():
            out_dir = os.path.join(work, cpu, variant)
            os.makedirs(out_dir, exist_ok=True)
            objects[(cpu, variant)] = []
            for source in sources:
                obj = os.path.join(out_dir, os.path.basename(source).replace(".cc", ".o"))
                objects[(cpu, variant)].append(obj)
                jobs.append([TOOL + "g++"] + cpu_flags + CXXFLAGS + LIBRARY_WARNINGS + defines +
                            ["-fstack-usage", "-fcallgraph-info=su"] +
                            ["-I" + d for d in include_dirs] +
                            ["-c", os.path.join(root, source), "-o", obj])
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, jobs))
    return objects


def check_objects(objects):
    """Heap, static constructors and writable globals, object by object."""
    for (cpu, variant), objs in objects.items():
        for obj in objs:
            name = "%s %s %s" % (cpu, variant, os.path.basename(obj))
            for line in run([TOOL + "nm", "-u", obj]).splitlines():
                symbol = line.split()[-1]
                if FORBIDDEN_SYMBOLS.match(symbol):
                    fail("%s refers to %s: the library must not use the heap" % (name, symbol))
            for line in run([TOOL + "nm", obj]).splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] == "C":
                    fail("%s has a common (writable) symbol %s" % (name, parts[2]))
            for section, size in sections(obj):
                if STATIC_INIT_SECTIONS.match(section):
                    fail("%s has %s: static constructors or destructors" % (name, section))
                if WRITABLE_SECTIONS.match(section) and size > 0:
                    fail("%s has %d bytes of %s: writable globals" % (name, size, section))


def sections(obj):
    """(name, size) of each section of an object file."""
    out = run([TOOL + "readelf", "-S", "-W", obj])
    result = []
    for match in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)",
                             out, re.M):
        result.append((match.group(1), int(match.group(2), 16)))
    return result


# --- Stack --------------------------------------------------------------------------------------

def stack_analysis(objs, cpu):
    """Worst-case stack of every function of the library, from the .ci and .su files next to the
    objects. Returns ({function title: (worst bytes, label)}, {title: is public})."""
    frames, labels, edges, public = {}, {}, {}, {}
    for obj in objs:
        base = os.path.splitext(obj)[0]
        with open(base + ".su") as su:
            for line in su:
                location, size, qualifier = line.rstrip("\n").rsplit("\t", 2)
                if qualifier != "static":
                    fail("%s: %s has a %s stack frame (%s bytes)" % (cpu, location, qualifier, size))
        with open(base + ".ci") as ci:
            text = ci.read()
        for match in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]*)"', text):
            title, label = match.group(1), match.group(2)
            parts = label.split("\\n")
            labels.setdefault(title, parts[0])
            frame = re.search(r"(\d+) bytes \((\w+(?:,\w+)?)\)", label)
            if frame:
                frames[title] = max(frames.get(title, 0), int(frame.group(1)))
                # Functions local to a file are titled "file:name"; the others can be called from
                # outside the library.
                public[title] = ":" not in title
        for match in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', text):
            edges.setdefault(match.group(1), set()).add(match.group(2))

    worst = {}

    def visit(title, path):
        if title in worst:
            return worst[title]
        if title in path:
            fail("%s: recursion through %s: its stack has no bound" % (cpu, labels.get(title, title)))
            return 0
        if title not in frames:
            # GCC defines a complete-object constructor or destructor (C1, D1) as an alias of the
            # base-object one (C2, D2) when they are the same code; calls may name either.
            base_object = re.sub(r"([CD])1(?=E|I)", r"\g<1>2", title, count=1)
            if base_object in frames:
                return visit(base_object, path)
            if title in LIBC_STACK:
                return LIBC_STACK[title]
            fail("%s: call to %s, whose stack is unknown" % (cpu, labels.get(title, title)))
            return 0
        deepest = 0
        for callee in edges.get(title, ()):
            deepest = max(deepest, visit(callee, path | {title}))
        worst[title] = frames[title] + deepest
        return worst[title]

    for title in frames:
        visit(title, frozenset())
    return {t: (worst[t], labels[t]) for t in frames}, public


# --- Images -------------------------------------------------------------------------------------

def link_image(root, include_dirs, work, cpu, image_number, objs, linker_script):
    cpu_flags = CPUS[cpu]
    base = os.path.join(work, cpu, "image%d" % image_number)
    main_obj = base + "_main.o"
    run([TOOL + "g++"] + cpu_flags + CXXFLAGS + ["-DRWKVTOK_SIZE_IMAGE=%d" % image_number] +
        ["-I" + d for d in include_dirs] +
        ["-c", os.path.join(root, "tools", "cortex_m", "size_main.cc"), "-o", main_obj])
    elf = base + ".elf"
    run([TOOL + "g++"] + cpu_flags + ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
                                      "-Wl,--gc-sections", "-T", linker_script,
                                      "-Wl,-Map=" + base + ".map", main_obj] + objs + ["-o", elf])
    return elf, base + ".map"


def map_contributions(map_file, lib_objs):
    """Bytes each kind of output section holds from the library's objects and from the C
    library, read from the linker map; and the mangled names of the library's functions in it."""
    totals = {"lib": {}, "libc": {}}
    functions = set()
    with open(map_file) as f:
        lines = f.read().split("\n")
    start = lines.index("Linker script and memory map")
    lib_objs = set(os.path.abspath(o) for o in lib_objs)
    i = start
    while i < len(lines):
        line = lines[i]
        i += 1
        match = re.match(r"^ (\.[^\s]+)(?:\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.+))?$", line)
        if not match:
            continue
        name = match.group(1)
        if match.group(2) is None:  # long names put address, size and file on the next line
            rest = re.match(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.+)$", lines[i]) if i < len(lines) else None
            if not rest:
                continue
            i += 1
            size, origin = int(rest.group(2), 16), rest.group(3)
        else:
            size, origin = int(match.group(3), 16), match.group(4)
        if size == 0:
            continue
        kind = name.split(".")[1]
        if kind not in ("text", "rodata", "data", "bss"):
            continue
        if os.path.abspath(origin) in lib_objs:
            owner = "lib"
            if kind == "text":
                functions.add(name[len(".text."):])
        elif "libc" in origin:
            owner = "libc"
        else:
            continue
        totals[owner][kind] = totals[owner].get(kind, 0) + size
    return totals, functions


def blob_symbols(elf):
    """{array name: (address, size)} of the vocabulary's arrays in an image."""
    found = {}
    for line in run([TOOL + "nm", "-S", "-C", elf]).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].startswith("rwkvtok::world_blob::"):
            found[parts[3].rsplit("::", 1)[1]] = (int(parts[0], 16), int(parts[1], 16))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a budget is exceeded")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--root", default=here, help="directory holding lib/ and tools/")
    parser.add_argument("--gen-dir", default=None, help="directory holding lib/world_blob.h")
    parser.add_argument("--work", default=None, help="keep objects, maps and images here")
    parser.add_argument("--objects", default=None, help="the library's objects, built elsewhere")
    parser.add_argument("--cpu", default=None, choices=sorted(CPUS), help="with --objects")
    args = parser.parse_args()

    root = os.path.abspath(args.root)
    gen_dir = os.path.abspath(args.gen_dir or os.path.join(root, "bazel-bin"))
    if not os.path.exists(os.path.join(gen_dir, "lib", "world_blob.h")):
        sys.exit("size_report: %s/lib/world_blob.h is missing: run `bazel build //lib:world_blob`"
                 " or pass --gen-dir" % gen_dir)
    if shutil.which(TOOL + "g++") is None:
        sys.exit("size_report: arm-none-eabi-g++ is missing: run tools/setup.sh")
    if args.work:
        return report(args, root, gen_dir, args.work)
    work = tempfile.mkdtemp(prefix="rwkvtok-size-", dir=os.environ.get("TEST_TMPDIR"))
    try:
        return report(args, root, gen_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_whole_api(root):
    """The whole-API image must call every function the C API declares (the C++ API beneath it)."""
    with open(os.path.join(root, "lib", "rwkvtok.h")) as f:
        declared = set(re.findall(r"RWKVTOK_API[^;(]*?\b(rwkvtok_\w+)\(", f.read(), re.S))
    with open(os.path.join(root, "tools", "cortex_m", "size_main.cc")) as f:
        called = set(re.findall(r"\b(rwkvtok_\w+)\(", f.read()))
    if len(declared) < 20:
        fail("lib/rwkvtok.h declares only %d C functions: the pattern no longer finds them" %
             len(declared))
    for name in sorted(declared - called):
        fail("the whole-API image (tools/cortex_m/size_main.cc) does not call %s" % name)


def report(args, root, gen_dir, work):
    include_dirs = [root, gen_dir]
    linker_script = os.path.join(root, "tools", "cortex_m", "cortex_m.ld")
    check_whole_api(root)

    print("rwkvtok size report: arm-none-eabi-g++ %s" %
          run([TOOL + "g++", "-dumpfullversion"]).strip())
    if args.objects:
        if not args.cpu:
            sys.exit("size_report: --objects needs --cpu")
        objs = sorted(os.path.join(args.objects, f) for f in os.listdir(args.objects)
                      if f.endswith((".o", ".obj")))
        expected = len(library_sources(root))
        if len(objs) != expected:
            sys.exit("size_report: %d objects in %s, expected %d" % (len(objs), args.objects,
                                                                    expected))
        print("objects: %s (%s)\n" % (args.objects, args.cpu))
        os.makedirs(os.path.join(work, args.cpu), exist_ok=True)
        objects = {(args.cpu, "full"): objs}
        cpus = [args.cpu]
        images = [image for image in IMAGES if image[1] == "full"]
    else:
        print("flags: %s\n" % " ".join(CXXFLAGS))
        objects = compile_library(root, include_dirs, work, library_sources(root))
        cpus = list(CPUS)
        images = IMAGES
    check_objects(objects)

    rows = []
    stack_rows = {}
    for cpu in cpus:
        worst, public = stack_analysis(objects[(cpu, "full")], cpu)
        over = [(w, label) for title, (w, label) in worst.items()
                if public[title] and w > STACK_BUDGET]
        for w, label in over:
            fail("%s: %s needs up to %d bytes of stack (budget %d)" % (cpu, label, w, STACK_BUDGET))
        stack_rows[cpu] = sorted(((w, label) for title, (w, label) in worst.items() if public[title]),
                                 reverse=True)
        by_name = {title.split(":")[-1]: w for title, (w, _) in worst.items()}

        for name, variant, number, calls in images:
            lib_objs = objects[(cpu, variant)]
            elf, map_file = link_image(root, include_dirs, work, cpu, number, lib_objs, linker_script)
            totals, functions = map_contributions(map_file, lib_objs)
            lib, libc = totals["lib"], totals["libc"]
            code, rodata = lib.get("text", 0), lib.get("rodata", 0)
            ram = lib.get("data", 0) + lib.get("bss", 0)
            stack = max([by_name.get(f, 0) for f in functions] or [0])
            image_flash = sum(int(x) for x in run([TOOL + "size", elf]).splitlines()[1].split()[:2])
            rows.append((cpu, name, calls, code, libc.get("text", 0), rodata, code + rodata, ram,
                         stack, image_flash))
            if ram:
                fail("%s %s: the library puts %d bytes in RAM" % (cpu, name, ram))
            if number == 1 and code > CODE_BUDGET:
                fail("%s: encode + decode code is %d bytes (budget %d)" % (cpu, code, CODE_BUDGET))
            if number == 5 and code + rodata > COMPACT_FLASH_BUDGET:
                fail("%s: compact encode + decode puts %d bytes in flash (budget %d)" %
                     (cpu, code + rodata, COMPACT_FLASH_BUDGET))
            arrays = blob_symbols(elf)
            wanted = ([] if number == 8 else COMPACT if number >= 5
                      else TRIE + DECODE_TABLE + COMPACT if number == 4
                      else {"full": TRIE + DECODE_TABLE, "encode-only": TRIE,
                            "decode-only": DECODE_TABLE}[variant])
            for array in TRIE + DECODE_TABLE + COMPACT:
                if array in wanted and array not in arrays:
                    fail("%s %s: %s is missing" % (cpu, name, array))
                if array not in wanted and array in arrays:
                    fail("%s %s: %s is linked in but never read" % (cpu, name, array))
                if array in arrays and arrays[array][0] >= 0x20000000:
                    fail("%s %s: %s is not in flash" % (cpu, name, array))

    print("| core | image | library code | C library code | library .rodata (vocabulary) |"
          " library flash | library RAM | stack, worst case | whole image flash |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for cpu, name, calls, code, libc_code, rodata, flash, ram, stack, image in rows:
        print("| %s | %s | %d | %d | %d | %d | %d | %d | %d |" %
              (cpu, name, code, libc_code, rodata, flash, ram, stack, image))
    print("\nBytes. Images: " + "; ".join("%s calls %s" % (name, calls)
                                           for name, _, _, calls in images) + ".")
    print("Library = what the lib/ objects put in the image: .text (code), .rodata (the vocabulary"
          " and a few constants, in flash), .data + .bss (RAM). C library = memcpy and friends from"
          " newlib-nano. Library flash = library code + .rodata. Stack = the deepest worst case of"
          " the library functions in the image, from GCC's call graph, C library calls counted at"
          " %d bytes. Whole image = everything, vector table and C library included." %
          max(LIBC_STACK.values()))
    for cpu, entries in stack_rows.items():
        print("\n%s: worst-case stack of the public functions (budget %d bytes), deepest first:" %
              (cpu, STACK_BUDGET))
        for w, label in entries:
            print("  %4d  %s" % (w, label))
        print("  %d public functions in all" % len(entries))

    if failures:
        print("\n%d budget%s exceeded." % (len(failures), "" if len(failures) == 1 else "s"))
        return 1 if args.check else 0
    print("\nAll budgets kept: code <= %d bytes, compact encode + decode flash <= %d bytes, stack <="
          " %d bytes, no heap, no static constructors, no writable globals, the vocabulary in"
          " flash." % (CODE_BUDGET, COMPACT_FLASH_BUDGET, STACK_BUDGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
