// SPDX-License-Identifier: GPL-2.0-only
/* Behaviour check for the sctp auth_chunk_list capacity fix (corpus 15): with
 * net.sctp.auth_enable=1, add distinct chunk types with setsockopt(SCTP_AUTH_CHUNK). The list
 * holds SCTP_AUTH_MAX_CHUNKS (16) entries: the fixed kernel refuses the 17th with EINVAL, the
 * unfixed one accepts up to SCTP_NUM_CHUNK_TYPES (20), writing past the array.
 * Exit 0 when fixed, 1 when not, 2 on setup errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#define SOL_SCTP_ 132
#define SCTP_AUTH_CHUNK_ 21

int main(void)
{
	int fd, i;
	int sys = open("/proc/sys/net/sctp/auth_enable", O_WRONLY);
	if (sys < 0 || write(sys, "1\n", 2) != 2) { perror("auth_enable"); return 2; }
	close(sys);
	fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	if (fd < 0) { perror("socket(IPPROTO_SCTP)"); return 2; }
	for (i = 0; i < 17; i++) {
		uint8_t chunk = (uint8_t)(0x30 + i);
		if (setsockopt(fd, SOL_SCTP_, SCTP_AUTH_CHUNK_, &chunk, sizeof(chunk)) != 0) {
			printf("chunk type %d (number %d) refused: %s\n", chunk, i + 1, strerror(errno));
			return (i == 16 && errno == EINVAL) ? 0 : 1;
		}
	}
	printf("17 chunk types accepted: not fixed\n");
	return 1;
}
