/*
 * fuzz_mschap.c - libFuzzer harness for MS-CHAPv2 input: the Response
 * Value a peer sends (RFC 2759 4, mschap.c) and the Microsoft
 * Vendor-Specific attributes of a RADIUS reply (RFC 2548,
 * radius_parse_vsa() in radius_codec.c).
 *
 * The first input byte picks the mode, the rest is the input:
 *	0	a Response Value; when it parses, the NT-Response and the
 *		authenticator response are computed from it (the latter must
 *		pass mschap2_auth_string_ok)
 *	1	a Vendor-Specific value into a struct auth_reply: what it
 *		keeps of MS-CHAP2-Success must be an authenticator response,
 *		both texts NUL-terminated
 *	2	a password (UTF-8 or not) to NtPasswordHash, and a name to
 *		mschap2_user()
 *	3	mschap2_auth_string_ok() on any text
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2tpns.h"
#include "auth.h"
#include "log.h"
#include "mschap.h"
#include "radius.h"
#include "rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t chal[16] = "0123456789abcdef";
	struct mschap2_resp mr;
	struct auth_reply rp;
	uint8_t ph[16], nt[24];
	char ar[MSCHAP2_AUTH_LEN + 1], name[300];
	struct rd r;
	int unknown = 0;

	if (size < 1)
		return 0;
	log_level = -1;
	switch (data[0] & 3) {
	case 0:
		if (mschap2_parse_response(data + 1, size - 1, &mr) < 0)
			break;
		mschap2_nt_hash((const uint8_t *)"pw", 2, ph);
		mschap2_nt_response(chal, mr.peer_chal, "user", ph, nt);
		mschap2_auth_response(ph, mr.nt_resp, mr.peer_chal, chal,
		    "user", ar);
		if (!mschap2_auth_string_ok(ar, strlen(ar)))
			abort();
		break;
	case 1:
		memset(&rp, 0, sizeof(rp));
		rd_init(&r, data + 1, size - 1);
		if (radius_parse_vsa(&r, &rp, &unknown) < 0)
			break;
		if (memchr(rp.ms_success, '\0', sizeof(rp.ms_success)) == NULL ||
		    memchr(rp.ms_error, '\0', sizeof(rp.ms_error)) == NULL)
			abort();
		if (rp.ms_success[0] && !mschap2_auth_string_ok(rp.ms_success,
		    strlen(rp.ms_success)))
			abort();
		break;
	case 2:
		mschap2_nt_hash(data + 1, size - 1, ph);
		if (size - 1 < sizeof(name)) {
			memcpy(name, data + 1, size - 1);
			name[size - 1] = '\0';
			(void)mschap2_user(name);
		}
		break;
	case 3:
		(void)mschap2_auth_string_ok((const char *)data + 1, size - 1);
		break;
	}
	return 0;
}
