#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Loads a module of the target and, first, the modules it depends on (read with modinfo from
# the .ko files, with their "softdep pre:" modules; the target's image ships no modules.dep),
# from the modules directory ($1).
# Then it checks that the livepatch $3 patched that module: the kernel applied the patch's
# relocations for it when it arrived (klp_module_coming), and /sys says "patched".
# Usage: load-module.sh MODULES_DIR MODULE_NAME PATCH_NAME
set -u
dir=$1 name=$2 patch=$3
declare -A done_
# One walk (find is slow in an emulated guest); Debian's 6.12 ships modules xz-compressed,
# which kmod's modinfo and insmod read as they are.
all=$(find "$dir/kernel" -name '*.ko' -o -name '*.ko.xz')
load() {
	local m=${1//-/_}
	[ -n "${done_[$m]:-}" ] && return 0
	done_[$m]=1
	[ -d "/sys/module/$m" ] && return 0
	local ko
	# A softdep names a crypto algorithm (crc32c): its generic implementation is the module.
	# A softdep may name it as a crypto alias (crypto-crc32c): drop the prefix.
	local base=${m#crypto_}
	ko=$(grep -E "/(${m}|${m//_/-}|${base}|${base}_generic)\.ko(\.xz)?$" <<<"$all" | head -1)
	[ -n "$ko" ] || { echo "no module $m under $dir"; return 1; }
	local dep
	# Soft dependencies are optional, as for modprobe (crypto-md5 is built into this kernel).
	for dep in $(modinfo -F softdep "$ko" | sed -n 's/.*pre: *\([^:]*\)\( post:.*\)\?$/\1/p'); do
		load "$dep" >/dev/null || true
	done
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do load "$dep" || return 1; done
	insmod "$ko" || { echo "insmod $ko failed"; return 1; }
}
load "$name" || { dmesg | tail -5; exit 2; }
obj=${name//-/_}
state=$(cat "/sys/kernel/livepatch/$patch/$obj/patched" 2>/dev/null)
echo "$patch/$obj patched=$state"
[ "$state" = 1 ] || { dmesg | tail -5; exit 1; }
