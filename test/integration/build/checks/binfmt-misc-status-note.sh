#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Check of the crafted cross-unit fixes: binfmt_misc (a module loaded after the livepatch) calls
# a function that the patch adds to vmlinux code. $1: the target's lib/modules/<release>.
set -u
insmod "$1/kernel/fs/binfmt_misc.ko" || exit 2
mount -t binfmt_misc none /proc/sys/fs/binfmt_misc || exit 2
cat /proc/sys/fs/binfmt_misc/status
grep -q 'hotpatch-cross-unit' /proc/sys/fs/binfmt_misc/status
