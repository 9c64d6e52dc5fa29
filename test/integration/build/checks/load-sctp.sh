#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Loads sctp and its dependencies from the target's modules directory ($1), then runs the
# given check program ($2). Used after the livepatch is loaded, so the patch must reach a
# module that arrives later (klp_module_coming applies its module-specific relocations).
set -u
for m in crypto/crc32c_generic lib/libcrc32c net/ipv4/udp_tunnel net/ipv6/ip6_udp_tunnel net/sctp/sctp; do
	insmod "$1/kernel/$m.ko" || exit 2
done
exec "$2"
