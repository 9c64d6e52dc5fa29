#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Behaviour check for the binfmt_misc flag-delimiter fix (corpus 12). $1: the target's
# lib/modules/<release> directory. binfmt_misc is loaded after the livepatch, so this also
# proves the patch reaches a module loaded later. Exit 0 when the register line that uses a
# flag character ('P') as delimiter is refused (fixed), 1 when it is accepted.
set -u
insmod "$1/kernel/fs/binfmt_misc.ko" || exit 2
mount -t binfmt_misc none /proc/sys/fs/binfmt_misc || exit 2
if echo 'PxPMP0PabPP/bin/shP' > /proc/sys/fs/binfmt_misc/register 2>/dev/null; then
	echo "register line with 'P' as delimiter accepted: not fixed"
	exit 1
fi
echo "register line with 'P' as delimiter refused"
exit 0
