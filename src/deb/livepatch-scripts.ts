// SPDX-License-Identifier: GPL-2.0-only
// The maintainer scripts of a livepatch package (POSIX sh, run by dpkg as root). They only call
// hotpatch's runtime commands, which do the checking, locking and waiting:
//   postinst configure  install the module into the boot store; load it now when this kernel
//                       runs (a failed load leaves it installed for boot and says why); after an
//                       upgrade, drop the previous version's module from the store (a
//                       cumulative patch has already retired it in the kernel)
//   prerm remove        unload it; refuse (exit 1, the package stays) when the kernel cannot
//                       let go. On upgrade nothing is unloaded: the new version replaces it.
//   postrm remove/purge remove it from the boot store
// Which module a package installed is recorded in /var/lib/hotpatch/.packages/<package>, so
// the next version knows what it replaces even when its module has another name.

export interface LivepatchScriptInputs {
  package: string;
  version: string;
  module: string;
  release: string;
  /** Where the package ships the module. */
  modulePath: string;
}

/** Names, versions, releases and paths are checked plain words, safe inside single quotes. */
function header(inputs: LivepatchScriptInputs, script: string): string {
  for (const value of Object.values(inputs)) {
    if (!/^[A-Za-z0-9_./+~:-]+$/.test(value))
      throw new Error(`unexpected character in ${JSON.stringify(value)}`);
  }
  return `#!/bin/sh
# ${script} of ${inputs.package}, written by 'hotpatch package' (see /usr/share/doc/hotpatch).
set -e
PACKAGE='${inputs.package}'
VERSION='${inputs.version}'
MODULE='${inputs.module}'
RELEASE='${inputs.release}'
KO='${inputs.modulePath}'
RECORD=/var/lib/hotpatch/.packages/$PACKAGE
`;
}

export function postinst(inputs: LivepatchScriptInputs): string {
  return `${header(inputs, "postinst")}
previous_module() {
  if [ -f "$RECORD" ]; then cat "$RECORD"; fi
}

case "$1" in
configure)
  previous=$(previous_module)
  hotpatch install "$KO" >/dev/null
  if [ "$(uname -r)" = "$RELEASE" ]; then
    if [ -n "$2" ] && [ "$2" != "$VERSION" ] && [ "$previous" = "$MODULE" ] && [ -d "/sys/kernel/livepatch/$MODULE" ]; then
      echo "$PACKAGE: version $2 of $MODULE stays loaded until the next boot: a new version can replace it live only under another module name (hotpatch build --name)." >&2
    fi
    if ! hotpatch load "$KO"; then
      echo "$PACKAGE: $MODULE is installed for the next boot of $RELEASE, but it was not loaded now (see above)." >&2
    fi
  else
    echo "$PACKAGE: $MODULE is installed for kernel $RELEASE; it is loaded when that kernel boots (this system runs $(uname -r))."
  fi
  mkdir -p "\${RECORD%/*}"
  echo "$MODULE" >"$RECORD.new"
  mv "$RECORD.new" "$RECORD"
  if [ -n "$previous" ] && [ "$previous" != "$MODULE" ]; then
    hotpatch uninstall "$previous" --release "$RELEASE" >/dev/null 2>&1 || true
    # A cumulative (replace-mode) patch retired the previous one and removed its module; a
    # stacking one did not: the previous version goes now that the new one is in.
    if [ -d "/sys/module/$previous" ] && ! hotpatch unload "$previous"; then
      echo "$PACKAGE: the previous version's livepatch $previous stays loaded until it can be unloaded ('hotpatch unload $previous') or the next boot." >&2
    fi
  fi
  ;;
abort-upgrade | abort-remove | abort-deconfigure) ;;
*)
  echo "postinst called with unknown argument '$1'" >&2
  exit 1
  ;;
esac
exit 0
`;
}

export function prerm(inputs: LivepatchScriptInputs): string {
  return `${header(inputs, "prerm")}
case "$1" in
remove | deconfigure)
  if [ -d "/sys/kernel/livepatch/$MODULE" ] || [ -d "/sys/module/$MODULE" ]; then
    if ! hotpatch unload "$MODULE"; then
      echo "$PACKAGE: refusing to remove: the kernel cannot let go of livepatch $MODULE (see above), so it stays installed and loaded." >&2
      exit 1
    fi
  fi
  ;;
upgrade | failed-upgrade) ;;
*)
  echo "prerm called with unknown argument '$1'" >&2
  exit 1
  ;;
esac
exit 0
`;
}

export function postrm(inputs: LivepatchScriptInputs): string {
  return `${header(inputs, "postrm")}
case "$1" in
remove | purge)
  if command -v hotpatch >/dev/null 2>&1; then
    hotpatch uninstall "$MODULE" --release "$RELEASE" >/dev/null 2>&1 || true
  else
    rm -f "/var/lib/hotpatch/$RELEASE/$MODULE.json" "/var/lib/hotpatch/$RELEASE/$MODULE.ko"
  fi
  rm -f "$RECORD"
  ;;
upgrade | failed-upgrade | abort-install | abort-upgrade | disappear) ;;
*)
  echo "postrm called with unknown argument '$1'" >&2
  exit 1
  ;;
esac
exit 0
`;
}
