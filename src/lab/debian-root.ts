// SPDX-License-Identifier: GPL-2.0-only
// The root filesystem of a lab guest: Debian 12 from Debian's archive (mmdebstrap), with the
// target's own linux-image package installed (its modules, and the dpkg record that a
// livepatch package's `Depends: linux-image-<release> (= <version>)` needs), systemd as PID 1,
// openssh, apt/dpkg, Debian's nodejs and python3. Then what makes it a lab machine: DHCP on
// the virtio NIC, SSH for root by key, no timers that would take dpkg's lock mid-test.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../util/run.ts";

/** Debian's archive; HOTPATCH_DEBIAN_MIRROR points at another mirror of it. */
export function debianMirror(): string {
  return process.env.HOTPATCH_DEBIAN_MIRROR || "http://deb.debian.org/debian";
}

/** The suites a Debian 12 server follows: the release, its updates and its security updates. */
export function aptSources(mirror = debianMirror()): string[] {
  const security = mirror.replace(/\/debian\/?$/, "/debian-security");
  return [
    `deb ${mirror} bookworm main`,
    `deb ${mirror} bookworm-updates main`,
    `deb ${security} bookworm-security main`,
  ];
}

/** What a lab guest runs (their dependencies come along). */
export const GUEST_PACKAGES = [
  "systemd-sysv",
  // systemctl, hostnamectl and logind talk to systemd over it, as on any Debian server.
  "dbus",
  // Without udev and kmod, devices never appear and the network never starts.
  "udev",
  "kmod",
  "iproute2",
  "procps",
  "openssh-server",
  "nodejs",
  "python3",
  // Ansible's apt module needs it.
  "python3-apt",
] as const;

/**
 * dpkg path filters of a small server image. The linux-image package's initramfs hook is left
 * out: the lab boots through hotpatch's own initramfs, and Debian's would cost a minute and
 * 30 MB per image for nothing.
 */
const DPKG_OPTIONS = [
  "path-exclude=/etc/kernel/postinst.d/initramfs-tools",
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/locale/*",
  "path-include=/usr/share/locale/locale.alias",
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
];

/** Lets apt inside the chroot read a .deb given by its host path (mmdebstrap's own hook). */
const FILE_MIRROR_HOOKS = "/usr/share/mmdebstrap/hooks/file-mirror-automount";

/**
 * The mmdebstrap argv that installs the guest system, with `linuxImageDeb`, into `dir`. The
 * guest's own systemctl enables networkd (nothing of the host's init is needed).
 */
export function mmdebstrapArgs(dir: string, linuxImageDeb: string): string[] {
  return [
    "--variant=minbase",
    "--mode=root",
    "--format=directory",
    `--include=${GUEST_PACKAGES.join(",")}`,
    `--include=${linuxImageDeb}`,
    `--hook-dir=${FILE_MIRROR_HOOKS}`,
    ...DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`),
    '--customize-hook=chroot "$1" systemctl enable systemd-networkd.service',
    "bookworm",
    dir,
    ...aptSources(),
  ];
}

/**
 * Builds the root filesystem into `dir` (which must not exist). mmdebstrap runs in a private
 * mount namespace: the /proc, /dev and bind mounts it makes inside `dir` die with it even when
 * it is killed, so removing `dir` afterwards never reaches the host's /dev.
 */
export async function buildDebianRoot(dir: string, linuxImageDeb: string, logFile: string): Promise<void> {
  await run(
    "unshare",
    ["--mount", "--propagation", "private", "--", "mmdebstrap", ...mmdebstrapArgs(dir, linuxImageDeb)],
    {
      logFile,
      what: "mmdebstrap (Debian 12 root filesystem for the lab)",
    },
  );
  configureGuest(dir);
}

/** Units that would take dpkg's lock, disk or CPU time in the middle of a test (e2scrub_reap took 24 s of
 * a TCG boot), and the first-boot prompt. */
const MASKED_UNITS = [
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "dpkg-db-backup.timer",
  "e2scrub_all.timer",
  "e2scrub_reap.service",
  "fstrim.timer",
  "systemd-firstboot.service",
];

function writeIn(root: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  rmSync(join(root, path), { force: true });
  writeFileSync(join(root, path), text, { mode });
}

/** Makes the installed system a lab machine (files only; a change here needs a new RECIPE_VERSION in image.ts). */
export function configureGuest(root: string): void {
  writeIn(root, "etc/fstab", "/dev/vda / ext4 rw,errors=remount-ro 0 1\n");
  // The hostname comes from the kernel command line (systemd.hostname=hN).
  writeIn(root, "etc/hostname", "lab\n");
  writeIn(root, "etc/hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
  // QEMU's user-mode network answers DNS at 10.0.2.3.
  writeIn(root, "etc/resolv.conf", "nameserver 10.0.2.3\n");
  writeIn(root, "etc/systemd/network/20-lab.network", "[Match]\nName=e*\n\n[Network]\nDHCP=yes\n");
  writeIn(
    root,
    "etc/ssh/sshd_config.d/hotpatch-lab.conf",
    "# hotpatch lab: root logs in with the lab's key only (it is written at every boot).\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n",
  );
  for (const unit of MASKED_UNITS) {
    const link = join(root, "etc/systemd/system", unit);
    rmSync(link, { force: true });
    symlinkSync("/dev/null", link);
  }
}
