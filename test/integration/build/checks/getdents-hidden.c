// SPDX-License-Identifier: GPL-2.0-only
// Behaviour check for the crafted filldir64 fix (test/integration/build/fixes/
// readdir-hide-entry-user-access.patch), whose patched copy writes to user memory between
// stac and clac (alternatives) with exception-table fix-ups:
// 1. getdents64 leaves out an entry named "hotpatch-hidden" (the fix is in effect);
// 2. getdents64 into an unmapped user buffer fails with EFAULT (the patched copy's fault
//    fix-ups work: without its __ex_table entries the kernel would oops);
// 3. other entries are listed (the user writes themselves work under SMAP).
// Exits 0 when all three hold, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct dirent64_ {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int main(void) {
  char dir[] = "/tmp/getdents-XXXXXX";
  if (!mkdtemp(dir)) return 2;
  char path[64];
  snprintf(path, sizeof path, "%s/visible", dir);
  close(open(path, O_CREAT | O_WRONLY, 0600));
  snprintf(path, sizeof path, "%s/hotpatch-hidden", dir);
  close(open(path, O_CREAT | O_WRONLY, 0600));

  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return 2;
  long faulted = syscall(SYS_getdents64, fd, (void *)4096, 4096);
  int fault_errno = errno;
  printf("getdents64 into an unmapped buffer: %ld (%s)\n", faulted, strerror(fault_errno));

  lseek(fd, 0, SEEK_SET);
  static char buf[4096];
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  int visible = 0, hidden = 0;
  for (long at = 0; at < n;) {
    struct dirent64_ *d = (struct dirent64_ *)(buf + at);
    if (strcmp(d->d_name, "visible") == 0) visible = 1;
    if (strcmp(d->d_name, "hotpatch-hidden") == 0) hidden = 1;
    at += d->d_reclen;
  }
  printf("listed: visible=%d hotpatch-hidden=%d\n", visible, hidden);
  return faulted == -1 && fault_errno == EFAULT && visible && !hidden ? 0 : 1;
}
