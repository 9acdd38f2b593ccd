/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_reply.c - a server reply through the parser and the classifier */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seeds were made with these (validation-protocol.md §1.4 vectors). */
#define KEY_B64	"EHmo8FMxuhumBlTinC4uYL0Mgwg="

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char key[20];
	struct vc_sent sent = { "idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgku",
	    "kakakakakakakakakakakaka", key, sizeof(key) };
	const char *why = NULL;
	enum vc_class keyed, bare;

	if (key[0] == 0 && b64_decode(KEY_B64, key, sizeof(key)) != 20)
		__builtin_trap();
	keyed = response_check((const char *)data, size, &sent, &why);
	if (why == NULL || strlen(why) == 0)
		__builtin_trap();
	sent.keylen = 0;
	bare = response_check((const char *)data, size, &sent, &why);
	/* A key can only take verdicts away, never add one. */
	if (keyed != VC_CLASS_NONE && bare != keyed)
		__builtin_trap();
	return 0;
}
