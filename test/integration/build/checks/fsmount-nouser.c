// SPDX-License-Identifier: GPL-2.0-only
// Behaviour check for the fsmount() SB_NOUSER fix (the new mount API must refuse a pseudo
// filesystem the kernel marked "not for userspace", e.g. bdev): fsopen("bdev"), create the
// superblock, then fsmount() must fail with EINVAL. Exits 0 when refused, 1 when it mounts.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FSCONFIG_CMD_CREATE 6

int main(void) {
  int fs = syscall(430 /* fsopen */, "bdev", 0);
  if (fs < 0) {
    printf("fsopen(bdev): %s\n", strerror(errno));
    return 2;
  }
  if (syscall(431 /* fsconfig */, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    printf("fsconfig(CMD_CREATE): %s\n", strerror(errno));
    return 2;
  }
  int mnt = syscall(432 /* fsmount */, fs, 0, 0);
  if (mnt >= 0) {
    printf("fsmount(bdev) succeeded: the pseudo filesystem is mountable from userspace\n");
    return 1;
  }
  printf("fsmount(bdev): %s\n", strerror(errno));
  return errno == EINVAL ? 0 : 1;
}
