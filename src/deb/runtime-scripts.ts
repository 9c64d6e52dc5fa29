// SPDX-License-Identifier: GPL-2.0-only
// The maintainer scripts of the runtime package: enable hotpatch.service for the next boots the
// way debhelper's dh_installsystemd does (deb-systemd-helper, so an admin's `systemctl disable`
// survives upgrades), without starting it now: it is a boot-time unit, and livepatch packages
// load their own patch when they are installed.
const UNIT = "hotpatch.service";

export function runtimePostinst(): string {
  return `#!/bin/sh
# postinst of hotpatch, written by 'npm run deb'.
set -e
case "$1" in
configure | abort-upgrade | abort-deconfigure | abort-remove)
  if command -v deb-systemd-helper >/dev/null; then
    # Removes only the mask that deb-systemd-helper made when the package was removed.
    deb-systemd-helper unmask '${UNIT}' >/dev/null || true
    # was-enabled is true on a first installation, so new installations enable the unit.
    if deb-systemd-helper --quiet was-enabled '${UNIT}'; then
      deb-systemd-helper enable '${UNIT}' >/dev/null || true
    else
      deb-systemd-helper update-state '${UNIT}' >/dev/null || true
    fi
  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
  fi
  ;;
*)
  echo "postinst called with unknown argument '$1'" >&2
  exit 1
  ;;
esac
exit 0
`;
}

export function runtimePostrm(): string {
  return `#!/bin/sh
# postrm of hotpatch, written by 'npm run deb'.
set -e
if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = "remove" ] && command -v deb-systemd-helper >/dev/null; then
  deb-systemd-helper mask '${UNIT}' >/dev/null || true
fi
if [ "$1" = "purge" ] && command -v deb-systemd-helper >/dev/null; then
  deb-systemd-helper purge '${UNIT}' >/dev/null || true
  deb-systemd-helper unmask '${UNIT}' >/dev/null || true
fi
exit 0
`;
}
