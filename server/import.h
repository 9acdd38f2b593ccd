/* SPDX-License-Identifier: BSD-2-Clause */
/* import.h - key records from ykman / ykksm CSV and Personalization Tool logs */
#ifndef YKV_IMPORT_H
#define YKV_IMPORT_H

#include "store.h"

enum import_line {
	IMPORT_ERROR = -1,
	IMPORT_SKIP = 0,	/* blank, comment, header, not a Yubico OTP slot */
	IMPORT_KEY = 1,
};

/*
 * Parse one line (any line ending).  Accepted layouts:
 *   serial,public_id,private_id,aes_key[,access_code,created,accessed...]
 *     (ykman --config-output, and the ykksm 1 provisioning format)
 *   Yubico OTP,date,slot,public_id,private_id,aes_key[,...]
 *     (the YubiKey Personalization Tool's log)
 * '#' starts a comment.  On IMPORT_ERROR *errstr names the problem.
 */
enum import_line import_parse_line(const char *line, struct key_rec *out,
    const char **errstr);

#endif
