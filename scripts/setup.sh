#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs what hotpatch and its tests need on Debian 12: system packages (idempotent: only
# missing ones are installed) and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  qemu-system-x86 busybox-static cpio kmod gcc make bc bison flex libelf-dev libssl-dev
  dwarves binutils patch xz-utils zstd rsync dpkg-dev ca-certificates python3 file
  # delivery: hotpatch lab (guest images, disks, SSH), packages (lintian), rollout (ansible)
  mmdebstrap qemu-utils e2fsprogs openssh-client ansible lintian
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
