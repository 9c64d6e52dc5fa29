// SPDX-License-Identifier: GPL-2.0-only
// Behaviour check for "landlock: Require LANDLOCK_ACCESS_FS_MAKE_REG for whiteout creation"
// (CVE-2026-89560): a sandbox that may create symlinks and remove files, but not create
// regular files, renames a symlink with RENAME_WHITEOUT. The whiteout (a 0:0 character
// device) left at the old name is a new file the sandbox was never granted: the fixed kernel
// refuses the rename (EACCES), the unfixed one performs it.
// Runs as root (RENAME_WHITEOUT needs CAP_MKNOD) in a fresh tmpfs (overlayfs, the VM's root,
// has no RENAME_WHITEOUT). Exits 0 when refused, 1 when the whiteout was created, 2 on setup errors.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

static int fail(const char *what) {
  printf("%s: %s\n", what, strerror(errno));
  return 2;
}

int main(void) {
  const char *dir = "/tmp/hp-landlock-whiteout";
  mkdir(dir, 0755);
  if (mount("none", dir, "tmpfs", 0, NULL) < 0) return fail("mount tmpfs");
  if (chdir(dir) < 0) return fail("chdir");
  if (symlink("target", "link") < 0) return fail("symlink");

  struct landlock_ruleset_attr ruleset = {
      .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM |
                           LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_REMOVE_FILE,
  };
  int rs = syscall(SYS_landlock_create_ruleset, &ruleset, sizeof(ruleset), 0);
  if (rs < 0) return fail("landlock_create_ruleset");
  struct landlock_path_beneath_attr beneath = {
      .allowed_access = LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REMOVE_FILE,
      .parent_fd = open(dir, O_PATH | O_DIRECTORY),
  };
  if (beneath.parent_fd < 0) return fail("open the directory");
  if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
    return fail("landlock_add_rule");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail("no_new_privs");
  if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) return fail("landlock_restrict_self");

  if (syscall(SYS_renameat2, AT_FDCWD, "link", AT_FDCWD, "link2", RENAME_WHITEOUT) == 0) {
    struct stat st;
    int whiteout = lstat("link", &st) == 0 && S_ISCHR(st.st_mode);
    printf("renameat2(RENAME_WHITEOUT) succeeded%s: the sandbox created a file it may not create\n",
           whiteout ? ", leaving a whiteout" : "");
    return 1;
  }
  printf("renameat2(RENAME_WHITEOUT): %s\n", strerror(errno));
  return errno == EACCES ? 0 : 1;
}
