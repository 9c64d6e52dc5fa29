// SPDX-License-Identifier: GPL-2.0-only
// The guest's helper for safety case 16 (test/integration/safety/vm-proof-guest.sh): sets
// no_new_privs, becomes user nobody, and runs a setuid-root program (argv[1]) — which must not
// gain root — then tells the script it is ready (writes to the FIFO argv[2]), waits until the
// script has loaded the livepatch (reads from the FIFO argv[3]) and does the same again.
// Prints `16 <before|after> nnp: <prctl(PR_GET_NO_NEW_PRIVS)>` and `16 <...> id: <output>`.
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *when, const char *program)
{
	int status;
	pid_t pid;

	printf("16 %s nnp: %d\n", when, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("16 %s id: ", when);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(program, program, (char *)NULL);
		perror("execl");
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char c = 'r';
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SETUID_PROGRAM READY_FIFO GO_FIFO\n", argv[0]);
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("no_new_privs, then user nobody");
		return 2;
	}
	if (report("before", argv[1]))
		return 1;
	fd = open(argv[2], O_WRONLY);
	if (fd < 0 || write(fd, "r\n", 2) != 2 || close(fd))
		return 3;
	fd = open(argv[3], O_RDONLY);
	if (fd < 0 || read(fd, &c, 1) != 1)
		return 3;
	return report("after", argv[1]) ? 1 : 0;
}
