#!/bin/bash
# Installs the project from a configured, built tree into a temporary
# prefix and checks libember's package: SONAME, headers, and a consumer
# built with find_package(ember) and one built with pkg-config.
# Usage: install_check.sh BUILD_DIR CONSUMER_SOURCE_DIR   (ctest unit.umd.install_package)
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "install_check: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
	cat "$tmp/install.log" >&2
	fail "cmake --install failed"
}
so=$(find "$prefix" -name 'libember.so.0' | head -n 1)
[ -n "$so" ] || fail "libember.so.0 not installed"
libdir=$(dirname "$so")
[ -L "$libdir/libember.so" ] || fail "no libember.so development link"
readelf -d "$so" | grep -q 'Library soname: \[libember.so.0\]' || fail "SONAME is not libember.so.0"
for h in ember.h ember.hpp ember_version.h ember_accel.h; do
	[ -f "$prefix/include/ember/$h" ] || fail "include/ember/$h not installed"
done
[ -f "$libdir/cmake/ember/emberConfig.cmake" ] || fail "emberConfig.cmake not installed"
[ -f "$libdir/cmake/ember/emberConfigVersion.cmake" ] || fail "emberConfigVersion.cmake not installed"
[ -f "$libdir/pkgconfig/ember.pc" ] || fail "ember.pc not installed"

# Consumers must not see a device of the machine running the test.
mkdir -p "$tmp/nosys" "$tmp/nodev"
export EMBER_SYSFS_ROOT=$tmp/nosys EMBER_DEV_ROOT=$tmp/nodev

# 1. find_package(ember) — exact version of the tree that was installed.
version=$(sed -n 's/^#define EMBER_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/ember/ember_version.h")
[ -n "$version" ] || fail "no EMBER_VERSION_STRING in the installed ember_version.h"
cmake -S "$src" -B "$tmp/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
	-DEMBER_EXPECT_VERSION="$version" >"$tmp/cmake.log" 2>&1 || {
	cat "$tmp/cmake.log" >&2
	fail "configuring the find_package(ember) consumer failed"
}
cmake --build "$tmp/cmake" >"$tmp/build.log" 2>&1 || {
	cat "$tmp/build.log" >&2
	fail "building the find_package(ember) consumer failed"
}
"$tmp/cmake/consumer_cpp" || fail "the find_package(ember) C++ consumer failed"
"$tmp/cmake/consumer_c" || fail "the find_package(ember) C consumer failed"

# 2. pkg-config
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion ember)" = "$version" ] || fail "pkg-config --modversion ember is not $version"
cflags=$(pkg-config --cflags ember)
libs=$(pkg-config --libs ember)
case " $cflags " in *" -I$prefix/include "*) ;; *) fail "pkg-config --cflags ember: $cflags" ;; esac
case " $libs " in *" -lember "*) ;; *) fail "pkg-config --libs ember: $libs" ;; esac
# shellcheck disable=SC2086 # flag lists are meant to be split
c++ -std=c++20 -Wall -Wextra -Werror "$src/consumer.cpp" $cflags $libs -Wl,-rpath,"$libdir" \
	-o "$tmp/pc_cpp" || fail "building the pkg-config C++ consumer failed"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -pedantic-errors "$src/consumer.c" $cflags $libs \
	-Wl,-rpath,"$libdir" -o "$tmp/pc_c" || fail "building the pkg-config C consumer failed"
"$tmp/pc_cpp" || fail "the pkg-config C++ consumer failed"
"$tmp/pc_c" || fail "the pkg-config C consumer failed"
echo "install_check: libember $version installs and is usable with find_package and pkg-config"
