// SPDX-License-Identifier: GPL-2.0-only
/* Behaviour check for the rsa-pkcs1pad empty-digest fix (corpus 25): load an RSA X.509
 * certificate (argv[1], DER) as an asymmetric key and ask the kernel to verify a signature
 * against a 0-byte digest (keyctl KEYCTL_PKEY_VERIFY). Both kernels refuse it; the unfixed one
 * also hits WARN_ON(!digest_size) in pkcs1pad_verify, which the caller sees in dmesg.
 * Exit 0 when the request was refused, 2 on setup errors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEY_SPEC_PROCESS_KEYRING_ -2
#define KEYCTL_PKEY_VERIFY_ 28

struct pkey_params {
	int key_id;
	unsigned int in_len;
	unsigned int in2_len;
	unsigned int spare[7];
};

int main(int argc, char **argv)
{
	static unsigned char der[8192], sig[256];
	struct pkey_params p;
	size_t n;
	long key, rc;
	FILE *f;

	if (argc < 2 || !(f = fopen(argv[1], "rb"))) { perror("certificate"); return 2; }
	n = fread(der, 1, sizeof(der), f);
	fclose(f);
	key = syscall(SYS_add_key, "asymmetric", "hotpatch-check", der, n, KEY_SPEC_PROCESS_KEYRING_);
	if (key < 0) { perror("add_key"); return 2; }
	memset(&p, 0, sizeof(p));
	memset(sig, 0x5a, sizeof(sig));
	p.key_id = (int)key;
	p.in_len = 0;
	p.in2_len = sizeof(sig);
	rc = syscall(SYS_keyctl, KEYCTL_PKEY_VERIFY_, &p, "enc=pkcs1 hash=sha256", "", sig);
	printf("KEYCTL_PKEY_VERIFY with an empty digest: %s\n", rc == 0 ? "accepted" : strerror(errno));
	return rc == 0 ? 1 : 0;
}
