/* SPDX-License-Identifier: BSD-2-Clause */
/* replay.c - run a libFuzzer harness over files, without libFuzzer */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		n++;
	}
	printf("replayed %d inputs\n", n);
	return n > 0 ? 0 : 99;
}
