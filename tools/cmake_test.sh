#!/usr/bin/env bash
# The CMake build, and what users do with it (tools/test.sh runs this):
#   1. configure, build and ctest from the source tree;
#   2. install into a prefix, into a second one with only the static library, and into a third
#      with only the shared library; the header alone in every C and C++ dialect;
#   3. three consumers of the installed package, each encoding and decoding a sample:
#      find_package (shared and static, with and without Highway's CMake package, none of them
#      loading Highway's library),
#      add_subdirectory of the source tree (which links the static library), and a C99 program
#      built with `cc $(pkg-config --cflags --libs rwkvtok)` against each prefix; settings a
#      parent project gives, and settings that are refused;
#   4. a cross build for aarch64 (SVE), its ctest smoke tests and the C consumer under qemu-aarch64;
#   5. a cross build for Cortex-M4 with the firmware flags, held to the size budget by
#      tools/size_report.py;
#   6. a Bazel workspace of its own (tests/bazel_consumer) that uses //lib:rwkvtok.
# Everything goes under build/ (RWKVTOK_CMAKE_DIR to change it). Run tools/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="${RWKVTOK_CMAKE_DIR:-$root/build}"
jobs="$(nproc)"
mkdir -p "$work"

step() { echo "==> $*"; }

# build_consumer SOURCE BUILD [CMAKE ARGS...]: configures and builds a consumer project quietly.
build_consumer() {
  local source=$1 build=$2
  shift 2
  cmake -S "$source" -B "$build" "$@" >/dev/null
  cmake --build "$build" -j "$jobs" >/dev/null
}

# --- 1. Build and test ---------------------------------------------------------------------------
step "CMake: configure, build, ctest"
cmake -S . -B "$work/host" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/host" -j "$jobs"
ctest --test-dir "$work/host" -j "$jobs" --output-on-failure

# --- 2. Install ----------------------------------------------------------------------------------
step "CMake: install"
rm -rf "$work/prefix" "$work/prefix-static"
cmake --install "$work/host" --prefix "$work/prefix" >/dev/null
cmake -S . -B "$work/host-static" -DCMAKE_BUILD_TYPE=Release -DRWKVTOK_BUILD_SHARED=OFF \
  -DRWKVTOK_BUILD_TESTS=OFF -DRWKVTOK_BUILD_CLI=OFF -DRWKVTOK_INSTALL=ON >/dev/null
cmake --build "$work/host-static" -j "$jobs"
cmake --install "$work/host-static" --prefix "$work/prefix-static" >/dev/null
[[ -f "$work/prefix/include/rwkvtok.h" && -x "$work/prefix/bin/rwkvtok" ]] || {
  echo "FAIL: the install lacks the header or the command" >&2
  exit 1
}
"$work/prefix/bin/rwkvtok" --version

# The installed header stands alone, in every dialect of C and C++ (the C++ API from C++17 on;
# before, the C API alone).
for compiler in gcc clang; do
  for std in c99 c11 c17 c++98 c++11 c++14 c++17 c++20; do
    lang=c
    [[ $std == c++* ]] && lang=c++
    echo '#include <rwkvtok.h>' | "$compiler" -x "$lang" -std="$std" -fsyntax-only -Wall -Wextra \
      -Wpedantic -Werror -I"$work/prefix/include" - ||
      { echo "FAIL: rwkvtok.h with $compiler -std=$std" >&2; exit 1; }
  done
done

# --- 3. Consumers --------------------------------------------------------------------------------
# Where the CPU's vectors pay for the lanes (x86-64 with AVX2 or AVX-512), the consumers also check
# that long texts take them: the lanes are compiled into the installed library.
expect_lanes=0
grep -qw avx2 /proc/cpuinfo && [[ "$(uname -m)" == x86_64 ]] && expect_lanes=1
export RWKVTOK_EXPECT_LANES=$expect_lanes

step "consumer: find_package(rwkvtok CONFIG REQUIRED)"
build_consumer tests/consumers/find_package "$work/find_package" -DCMAKE_PREFIX_PATH="$work/prefix"
"$work/find_package/consumer"
"$work/find_package/consumer_static"

step "consumer: find_package, static-only install (rwkvtok::rwkvtok_static is there too)"
build_consumer tests/consumers/find_package "$work/find_package-static" \
  -DCMAKE_PREFIX_PATH="$work/prefix-static" -DRWKVTOK_CONSUMER_STATIC=ON
"$work/find_package-static/consumer_static"

# Highway is compiled into both libraries (its headers only; lib/targets.cc chooses the target):
# using them needs nothing of Highway (no hwy CMake package, no libhwy.pc, no -lhwy), and no
# program loads Highway's shared library, whose loading costs milliseconds.
step "consumer: find_package and pkg-config without Highway"
build_consumer tests/consumers/find_package "$work/find_package-nohwy" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_DISABLE_FIND_PACKAGE_hwy=TRUE
"$work/find_package-nohwy/consumer"
"$work/find_package-nohwy/consumer_static"
flags=$(PKG_CONFIG_LIBDIR="$work/prefix/lib/pkgconfig" pkg-config --static --cflags --libs rwkvtok)
echo "$flags"
for program in "$work/find_package-nohwy/consumer" "$work/find_package-nohwy/consumer_static" \
  "$work/prefix/bin/rwkvtok" "$work/prefix/lib/librwkvtok.so"; do
  loads=$(ldd "$program")
  if grep -q libhwy <<<"$loads$flags"; then
    echo "FAIL: $program needs Highway's library: $loads $flags" >&2
    exit 1
  fi
done
step "install: shared only"
rm -rf "$work/prefix-shared"
cmake -S . -B "$work/host-shared" -DCMAKE_BUILD_TYPE=Release -DRWKVTOK_BUILD_STATIC=OFF \
  -DRWKVTOK_BUILD_TESTS=OFF -DRWKVTOK_BUILD_CLI=OFF -DRWKVTOK_INSTALL=ON >/dev/null
cmake --build "$work/host-shared" -j "$jobs"
cmake --install "$work/host-shared" --prefix "$work/prefix-shared" >/dev/null
PKG_CONFIG_LIBDIR="$work/prefix-shared/lib/pkgconfig" pkg-config --cflags --libs rwkvtok
build_consumer tests/consumers/find_package "$work/find_package-shared" \
  -DCMAKE_PREFIX_PATH="$work/prefix-shared" -DCMAKE_DISABLE_FIND_PACKAGE_hwy=TRUE
"$work/find_package-shared/consumer"

# Inside another project rwkvtok::rwkvtok is the static library, so that the project's programs
# need nothing installed beside them.
step "consumer: add_subdirectory(rwkvtok)"
build_consumer tests/consumers/add_subdirectory "$work/add_subdirectory" \
  -DRWKVTOK_SOURCE_DIR="$root" -DCMAKE_BUILD_TYPE=Release
"$work/add_subdirectory/consumer"
loads=$(ldd "$work/add_subdirectory/consumer")
if grep -q librwkvtok <<<"$loads"; then
  echo "FAIL: add_subdirectory's consumer loads librwkvtok.so" >&2
  exit 1
fi

# Settings: a parent's plain variables count from the first configure on; bad values and a
# variant's shared library are refused, naming what is wrong; a .pc with absolute directories.
step "CMake settings"
# expect_configure_error MESSAGE [CMAKE ARGS...]: configuring fails and says MESSAGE.
expect_configure_error() {
  local message=$1 out
  shift
  rm -rf "$work/settings"
  if out=$(cmake "$@" 2>&1); then
    echo "FAIL: configured with $*" >&2
    exit 1
  fi
  # CMake wraps long messages: compare with every run of spaces and line breaks made one space.
  grep -qF "$message" <<<"$(tr -s ' \n' '  ' <<<"$out")" || {
    echo "FAIL: configuring with $* did not say: $message" >&2
    echo "$out" >&2
    exit 1
  }
}
mkdir -p "$work/parent"
printf '%s\n' 'cmake_minimum_required(VERSION 3.16)' 'project(parent LANGUAGES C CXX)' \
  'set(RWKVTOK_VARIANT decode-only-typo)' "add_subdirectory(\"$root\" rwkvtok)" \
  >"$work/parent/CMakeLists.txt"
expect_configure_error "RWKVTOK_VARIANT must be full, encode-only or decode-only, not " \
  -S "$work/parent" -B "$work/settings"
expect_configure_error "RWKVTOK_LANES must be auto, ON or OFF, not 'bogus'" \
  -S . -B "$work/settings" -DRWKVTOK_LANES=bogus
expect_configure_error "build the variant static" \
  -S . -B "$work/settings" -DRWKVTOK_VARIANT=decode-only -DRWKVTOK_BUILD_SHARED=ON
expect_configure_error "is a directory, not the file" \
  -S . -B "$work/settings" -DRWKVTOK_VOCAB=/tmp
expect_configure_error "RWKVTOK_GENERATOR names no program" \
  -S . -B "$work/settings" -DRWKVTOK_GENERATOR=/nonexistent/rwkvtok_gen
rm -rf "$work/settings"
cmake -S . -B "$work/settings" -DRWKVTOK_BUILD_TESTS=OFF -DRWKVTOK_BUILD_CLI=OFF \
  -DCMAKE_INSTALL_PREFIX=/opt/rwkvtok -DCMAKE_INSTALL_INCLUDEDIR=/opt/include/rwkvtok >/dev/null
grep -qx 'includedir=/opt/include/rwkvtok' "$work/settings/rwkvtok.pc" || {
  echo "FAIL: an absolute CMAKE_INSTALL_INCLUDEDIR is not the .pc's includedir" >&2
  exit 1
}
rm -rf "$work/settings"

step "consumer: C99 with pkg-config, shared and static"
for prefix in prefix prefix-static; do
  pc="$work/$prefix/lib/pkgconfig"
  flags="$(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs rwkvtok)"
  if [[ $prefix == prefix-static ]]; then
    flags="$(PKG_CONFIG_PATH="$pc" pkg-config --static --cflags --libs rwkvtok)"
  fi
  cc -std=c99 -Wall -Wextra -pedantic -Werror tests/consumers/consumer.c $flags \
    -Wl,-rpath,"$work/$prefix/lib" -o "$work/consumer_c_$prefix"
  "$work/consumer_c_$prefix"
done
# ldd's output is kept first: under pipefail, grep -q quitting early can fail ldd with SIGPIPE.
static_loads=$(ldd "$work/consumer_c_prefix-static")
if grep -q librwkvtok <<<"$static_loads"; then
  echo "FAIL: the static consumer loads librwkvtok.so" >&2
  exit 1
fi

# --- 4. aarch64 ----------------------------------------------------------------------------------
step "CMake cross build: aarch64 (SVE), under qemu-aarch64"
CXXFLAGS="-march=armv8.2-a+sve" cmake -S . -B "$work/aarch64" \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DCMAKE_BUILD_TYPE=Release \
  -DRWKVTOK_GENERATOR="$work/host/tools/rwkvtok_gen" -DRWKVTOK_BUILD_SHARED=OFF \
  -DRWKVTOK_BUILD_CLI=OFF -DRWKVTOK_INSTALL=ON >/dev/null
cmake --build "$work/aarch64" -j "$jobs" --target rwkvtok golden_test api_test c_api_test lanes_test
ctest --test-dir "$work/aarch64" -L smoke --output-on-failure
rm -rf "$work/prefix-aarch64"
cmake --install "$work/aarch64" --prefix "$work/prefix-aarch64" >/dev/null
flags="$(PKG_CONFIG_PATH="$work/prefix-aarch64/lib/pkgconfig" \
  pkg-config --static --cflags --libs rwkvtok)"
aarch64-linux-gnu-gcc -std=c99 -Wall -Werror tests/consumers/consumer.c $flags \
  -o "$work/consumer_c_aarch64"
RWKVTOK_EXPECT_LANES=1 qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/consumer_c_aarch64"

# --- 5. Cortex-M4 --------------------------------------------------------------------------------
step "CMake cross build: Cortex-M4, and its size budget"
# The stack budget needs the call graph and frame sizes GCC writes beside each object.
CXXFLAGS="-fstack-usage -fcallgraph-info=su" cmake -S . -B "$work/cortex-m4" \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/cortex-m4.cmake -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DRWKVTOK_GENERATOR="$work/host/tools/rwkvtok_gen" >/dev/null
cmake --build "$work/cortex-m4" -j "$jobs" --target rwkvtok
python3 tools/size_report.py --check --gen-dir "$work/cortex-m4/generated" --cpu Cortex-M4 \
  --objects "$work/cortex-m4/CMakeFiles/rwkvtok_objects.dir/lib"

# --- 6. Bazel, from another workspace ------------------------------------------------------------
step "Bazel: //lib:rwkvtok from another workspace (tests/bazel_consumer)"
(cd tests/bazel_consumer && bazel test //... && bazel shutdown)

echo "PASS: CMake build, ctest, install, three consumers, aarch64, Cortex-M4, Bazel consumer"
