/*
 * mschap.c - MS-CHAPv2, RFC 2759: the Response value, the NT-Response
 * (8.1-8.6) and the authenticator response (8.7), the Failure message
 * (6).  MD4 and SHA-1 come from libmd, DES from nettle.
 *
 * State owned: none.  Exports: mschap.h.
 */
#include <stdio.h>
#include <string.h>
#include <md4.h>
#include <sha1.h>
#include <nettle/des.h>

#include "mschap.h"
#include "rd.h"

int
mschap2_parse_response(const uint8_t *val, size_t len,
    struct mschap2_resp *out)
{
	static const uint8_t zero[8];
	uint8_t reserved[8];
	struct rd r;

	if (len != MSCHAP2_RESP_LEN)
		return -1;
	rd_init(&r, val, len);
	if (rd_bytes(&r, out->peer_chal, MSCHAP2_CHAL_LEN) < 0 ||
	    rd_bytes(&r, reserved, sizeof(reserved)) < 0 ||
	    rd_bytes(&r, out->nt_resp, MSCHAP2_NT_LEN) < 0 ||
	    rd_u8(&r, &out->flags) < 0)
		return -1;
	/* RFC 2759 4: Reserved and Flags MUST be zero. */
	if (memcmp(reserved, zero, sizeof(zero)) != 0 || out->flags != 0)
		return -1;
	return 0;
}

const char *
mschap2_user(const char *name)
{
	const char *bs = strrchr(name, '\\');

	return bs ? bs + 1 : name;
}

/* One character of UTF-8 at *p; an invalid octet stands for itself. */
static uint32_t
utf8_next(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p;
	uint32_t c = s[0];
	size_t n = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ?
	    1 : 0;
	size_t i;

	if (c < 0x80 || n == 0 || (size_t)(end - s) <= n) {
		*p = s + 1;
		return c;
	}
	c &= 0x3f >> n;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return c;
}

static void
md4_u16(MD4_CTX *ctx, uint16_t u)
{
	uint8_t le[2] = { (uint8_t)u, (uint8_t)(u >> 8) };

	MD4Update(ctx, le, 2);
}

void
mschap2_nt_hash(const uint8_t *pw, size_t pwlen, uint8_t out[16])
{
	const uint8_t *p = pw, *end = pw + pwlen;
	MD4_CTX ctx;

	/* 8.3: MD4 over the password in Unicode (UTF-16, little endian),
	 * without a terminating zero. */
	MD4Init(&ctx);
	while (p < end) {
		uint32_t c = utf8_next(&p, end);

		if (c >= 0x10000) {
			c -= 0x10000;
			md4_u16(&ctx, (uint16_t)(0xd800 | (c >> 10)));
			md4_u16(&ctx, (uint16_t)(0xdc00 | (c & 0x3ff)));
		} else
			md4_u16(&ctx, (uint16_t)c);
	}
	MD4Final(out, &ctx);
}

/* 8.2 */
static void
challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
    const char *user, uint8_t out[8])
{
	uint8_t d[SHA1_DIGEST_LENGTH];
	SHA1_CTX ctx;

	SHA1Init(&ctx);
	SHA1Update(&ctx, peer_chal, 16);
	SHA1Update(&ctx, auth_chal, 16);
	SHA1Update(&ctx, (const uint8_t *)user, strlen(user));
	SHA1Final(d, &ctx);
	memcpy(out, d, 8);
}

/* 8.6: seven key octets spread over eight, the low bit of each left for
 * parity (DES ignores it; set odd as 9.3 shows). */
void
mschap2_des_key(const uint8_t k7[7], uint8_t k[8])
{
	int i;

	k[0] = k7[0];
	for (i = 1; i < 7; i++)
		k[i] = (uint8_t)(k7[i - 1] << (8 - i) | k7[i] >> i);
	k[7] = (uint8_t)(k7[6] << 1);
	for (i = 0; i < 8; i++)
		k[i] &= 0xfe;
	des_fix_parity(8, k, k);
}

static void
des_encrypt7(const uint8_t clear[8], const uint8_t k7[7], uint8_t out[8])
{
	struct des_ctx ctx;
	uint8_t k[8];

	mschap2_des_key(k7, k);
	/* A weak key still gets its schedule; nettle only reports it. */
	(void)des_set_key(&ctx, k);
	des_encrypt(&ctx, 8, out, clear);
}

void
mschap2_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
    const char *user, const uint8_t pw_hash[16], uint8_t out[24])
{
	uint8_t chal[8], z[21];

	challenge_hash(peer_chal, auth_chal, user, chal);
	/* 8.5: the hash zero-padded to 21 octets, three DES keys. */
	memset(z, 0, sizeof(z));
	memcpy(z, pw_hash, 16);
	des_encrypt7(chal, z, out);
	des_encrypt7(chal, z + 7, out + 8);
	des_encrypt7(chal, z + 14, out + 16);
}

void
mschap2_auth_response(const uint8_t pw_hash[16], const uint8_t nt_resp[24],
    const uint8_t peer_chal[16], const uint8_t auth_chal[16],
    const char *user, char out[MSCHAP2_AUTH_LEN + 1])
{
	static const char magic1[] = "Magic server to client signing constant";
	static const char magic2[] =
	    "Pad to make it do more than one iteration";
	uint8_t hh[16], d[SHA1_DIGEST_LENGTH], chal[8];
	MD4_CTX m;
	SHA1_CTX ctx;
	int i;

	MD4Init(&m);				/* 8.4 */
	MD4Update(&m, pw_hash, 16);
	MD4Final(hh, &m);
	SHA1Init(&ctx);
	SHA1Update(&ctx, hh, 16);
	SHA1Update(&ctx, nt_resp, 24);
	SHA1Update(&ctx, (const uint8_t *)magic1, sizeof(magic1) - 1);
	SHA1Final(d, &ctx);
	challenge_hash(peer_chal, auth_chal, user, chal);
	SHA1Init(&ctx);
	SHA1Update(&ctx, d, sizeof(d));
	SHA1Update(&ctx, chal, 8);
	SHA1Update(&ctx, (const uint8_t *)magic2, sizeof(magic2) - 1);
	SHA1Final(d, &ctx);
	/* 5: upper-case hex digits */
	out[0] = 'S';
	out[1] = '=';
	for (i = 0; i < SHA1_DIGEST_LENGTH; i++)
		snprintf(out + 2 + 2 * i, 3, "%02X", d[i]);
}

int
mschap2_auth_string_ok(const char *s, size_t len)
{
	size_t i;

	if (len < MSCHAP2_AUTH_LEN || s[0] != 'S' || s[1] != '=')
		return 0;
	for (i = 2; i < MSCHAP2_AUTH_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return len == MSCHAP2_AUTH_LEN || s[MSCHAP2_AUTH_LEN] == ' ';
}

void
mschap2_failure(int error, const uint8_t chal[16], const char *msg,
    char *out, size_t cap)
{
	char hex[2 * MSCHAP2_CHAL_LEN + 1];
	int i;

	for (i = 0; i < MSCHAP2_CHAL_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02X", chal[i]);
	/* 6: retry not allowed (we end the link, RFC 1994 4.2), version 3 */
	snprintf(out, cap, "E=%d R=0 C=%s V=3 M=%s", error, hex, msg);
}
