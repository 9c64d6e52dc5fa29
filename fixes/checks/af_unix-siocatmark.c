// SPDX-License-Identifier: GPL-2.0-only
/* Exit 0 when SIOCATMARK on an AF_UNIX datagram socket is refused (the fix is live),
 * 1 when it succeeds (unfixed kernel), 2 on setup errors. */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>
int main(void)
{
	int answ = -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0) { perror("socket"); return 2; }
	if (ioctl(fd, SIOCATMARK, &answ) == 0) {
		printf("SIOCATMARK on a datagram socket succeeded (answ=%d): not fixed\n", answ);
		return 1;
	}
	printf("SIOCATMARK on a datagram socket refused: %s\n", errno == EOPNOTSUPP ? "EOPNOTSUPP" : "other error");
	return errno == EOPNOTSUPP ? 0 : 1;
}
