"""The file lists of every build agree, coming from one place or checked here.

- lib/sources.bzl lists the library's files: lib/BUILD loads it, CMakeLists.txt and
  tools/size_report.py read it, and neither has a list of its own; the firmware recipe in
  docs/microcontrollers.md names exactly those files (without the vector kernels, which a
  microcontroller does not build).
- tools/sources.bzl lists the tools' files: tools/BUILD loads it and CMakeLists.txt reads it.
- Every test of Bazel's //tests/... has a ctest of the same name, but those listed below with the
  reason; with a build directory, the names come from `ctest -N` there.

Usage: build_lists_test.py SOURCE_DIR [BUILD_DIR]
"""

import ast
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from size_report import bzl_lists  # noqa: E402 -- the one reader of the .bzl lists

# Bazel tests without a ctest twin, and why.
BAZEL_ONLY = {
    "size_report_test": "the CMake Cortex-M build checks the size budget with the same script",
    "board_test": "a Cortex-M image for QEMU's boards, built by Bazel's cortex_m configurations",
    "board_compact_test": "as board_test",
    "board_encode_only_test": "as board_test",
    "board_decode_only_test": "as board_test",
}

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def read(root, path):
    return open(os.path.join(root, path)).read()


def check_library(root):
    lists = bzl_lists(os.path.join(root, "lib", "sources.bzl"))
    srcs, lanes = lists["LIB_SRCS"], lists["LANES_SRCS"]
    headers = lists["PUBLIC_HDRS"] + lists["PRIVATE_HDRS"]
    on_disk = sorted(f for f in os.listdir(os.path.join(root, "lib"))
                     if f.endswith((".cc", ".h")) and f != "world_blob.h")
    if sorted(srcs + lanes + headers) != on_disk:
        fail("lib/sources.bzl lists %s, lib/ holds %s" % (sorted(srcs + lanes + headers), on_disk))
    build = read(root, "lib/BUILD")
    if 'load(":sources.bzl"' not in build or re.search(r'"\w+\.cc"', build):
        fail("lib/BUILD must take its files from sources.bzl, not list them")
    report = read(root, "tools/size_report.py")
    if "sources.bzl" not in report or any('"%s"' % name in report for name in srcs + lanes):
        fail("tools/size_report.py must take the library's files from lib/sources.bzl")
    cmake = read(root, "CMakeLists.txt")
    for name in ("LIB_SRCS", "LANES_SRCS"):
        if 'lib/sources.bzl" %s' % name not in cmake:
            fail("CMakeLists.txt does not read %s from lib/sources.bzl" % name)
    if re.search(r"lib/\w+\.cc", cmake):
        fail("CMakeLists.txt names a library file itself")

    # The firmware recipe: the files to copy, and the sources in each build snippet.
    doc = read(root, "docs/microcontrollers.md")
    firmware_headers = sorted(h for h in headers if h not in ("lanes.h", "targets.h")) + ["world_blob.h"]
    copy = re.search(r"Copy these files.*?```\n(.*?)```", doc, re.S)
    if not copy:
        fail("docs/microcontrollers.md has no list of files to copy")
    else:
        named = re.findall(r"lib/([\w.]+)", copy.group(1))
        if sorted(named) != sorted(srcs + firmware_headers):
            fail("docs/microcontrollers.md copies %s, not %s" %
                 (sorted(named), sorted(srcs + firmware_headers)))
    for snippet in re.findall(r"```cmake\n(.*?)```", doc, re.S):
        named = re.findall(r"lib/(\w+\.cc)", snippet)
        if named and sorted(named) != sorted(srcs):
            fail("a snippet of docs/microcontrollers.md compiles %s, not %s" %
                 (sorted(named), sorted(srcs)))
    words = {6: "six", 7: "seven", 8: "eight"}
    if "%s `.cc` files" % words.get(len(srcs), len(srcs)) not in doc:
        fail("docs/microcontrollers.md does not say how many files to compile (%d)" % len(srcs))


def check_tools(root):
    lists = bzl_lists(os.path.join(root, "tools", "sources.bzl"))
    build = read(root, "tools/BUILD")
    if not re.search(r'load\(\s*":sources.bzl"', build):
        fail("tools/BUILD does not load tools/sources.bzl")
    cmake = read(root, "CMakeLists.txt")
    for name in ("GENERATOR_SRCS", "CLI_SRCS", "ID_FORMAT_SRCS", "BINIDX_SRCS"):
        if 'tools/sources.bzl" %s' % name not in cmake:
            fail("CMakeLists.txt does not read %s from tools/sources.bzl" % name)
    listed = set()
    for values in lists.values():
        listed.update(values)
    for path in ("cli", "binidx", ""):
        folder = os.path.join(root, "tools", path)
        for f in os.listdir(folder):
            name = os.path.join(path, f) if path else f
            if f.endswith((".cc", ".h")) and name not in listed:
                fail("tools/%s is in no list of tools/sources.bzl" % name)


def bazel_tests(root):
    names = set()
    for build in ("tests/BUILD", "tests/fuzz/BUILD", "tests/cortex_m/BUILD"):
        text = read(root, build)
        names.update(re.findall(r'name = "(\w+_(?:test|fuzz))"', text))
        names.update(re.findall(r'\("(\w+_test)", "', text))
    return names


def check_tests(root, build_dir):
    if not build_dir:
        return
    out = subprocess.run(["ctest", "-N"], cwd=build_dir, check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    ctests = set(re.findall(r"Test\s+#\d+: (\S+)", out))
    for name in sorted(bazel_tests(root) - ctests - set(BAZEL_ONLY)):
        fail("Bazel's test %s has no ctest" % name)
    for name in sorted(set(BAZEL_ONLY) & ctests):
        fail("%s is listed as Bazel's alone but is a ctest too" % name)


def main():
    root = os.path.abspath(sys.argv[1])
    build_dir = sys.argv[2] if len(sys.argv) > 2 else None
    check_library(root)
    check_tools(root)
    check_tests(root, build_dir)
    if failures:
        sys.exit(1)
    print("PASS: one list of the library's and the tools' files; every Bazel test has a ctest"
          if build_dir else "PASS: one list of the library's and the tools' files")


if __name__ == "__main__":
    main()
