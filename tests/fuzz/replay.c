/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replay.c - run a libFuzzer harness over files, without libFuzzer.  As
 * libFuzzer's -timeout, an input that takes more than REPLAY_TIMEOUT
 * seconds fails (SIGALRM kills the replay).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define REPLAY_TIMEOUT	20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf = malloc(1 << 20);
		size_t len;

		if (f == NULL || buf == NULL) {
			fprintf(stderr, "replay: cannot read %s\n", argv[i]);
			return 99;
		}
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		alarm(REPLAY_TIMEOUT);
		LLVMFuzzerTestOneInput(buf, len);
		alarm(0);
		free(buf);
		n++;
	}
	printf("replayed %d inputs\n", n);
	return n > 0 ? 0 : 99;
}
