/*
 * mschap.h - MS-CHAPv2 (RFC 2759): the hashes, the Response value and
 * the Success and Failure messages.  Pure functions, no state: ppp.c,
 * auth.c (local users) and radius.c use them, and the unit tests and
 * the fuzz harness drive them directly.
 */
#ifndef L2TPNS_MSCHAP_H
#define L2TPNS_MSCHAP_H

#include <stddef.h>
#include <stdint.h>

#define CHAP_ALG_MD5		5	/* RFC 1994 3 */
#define CHAP_ALG_MSCHAPV2	0x81	/* RFC 2759 2 */

#define MSCHAP2_CHAL_LEN	16
#define MSCHAP2_RESP_LEN	49	/* the Response Value, RFC 2759 4 */
#define MSCHAP2_NT_LEN		24
#define MSCHAP2_AUTH_LEN	42	/* "S=" and 40 hex digits, RFC 2759 5 */
#define MSCHAP2_ERR_AUTH	691	/* ERROR_AUTHENTICATION_FAILURE, 6 */

/* The Value of a Response packet, RFC 2759 4. */
struct mschap2_resp {
	uint8_t		peer_chal[MSCHAP2_CHAL_LEN];
	uint8_t		nt_resp[MSCHAP2_NT_LEN];
	uint8_t		flags;
};

/* A Response Value: exactly 49 octets, Reserved and Flags zero; -1
 * otherwise. */
int	 mschap2_parse_response(const uint8_t *val, size_t len,
	    struct mschap2_resp *out);
/* The user name the hashes use: the Name without "DOMAIN\" (RFC 2759
 * 4, 8.2). */
const char *mschap2_user(const char *name);
/* NtPasswordHash (8.3) of a password given in UTF-8 (an octet that is
 * not valid UTF-8 counts as the character of the same value). */
void	 mschap2_nt_hash(const uint8_t *pw, size_t pwlen, uint8_t out[16]);
/* GenerateNTResponse (8.1) from the password hash. */
void	 mschap2_nt_response(const uint8_t auth_chal[16],
	    const uint8_t peer_chal[16], const char *user,
	    const uint8_t pw_hash[16], uint8_t out[24]);
/* GenerateAuthenticatorResponse (8.7): "S=" and 40 upper-case hex
 * digits, NUL-terminated (43 octets). */
void	 mschap2_auth_response(const uint8_t pw_hash[16],
	    const uint8_t nt_resp[24], const uint8_t peer_chal[16],
	    const uint8_t auth_chal[16], const char *user,
	    char out[MSCHAP2_AUTH_LEN + 1]);
/* The DES key of 8.6: seven key octets spread over eight with odd
 * parity (the example of RFC 2759 9.3). */
void	 mschap2_des_key(const uint8_t k7[7], uint8_t k8[8]);
/* An authenticator response as a Success message must start with: "S="
 * and 40 hex digits, then the end or a blank.  1 if so. */
int	 mschap2_auth_string_ok(const char *s, size_t len);
/* The Failure message of RFC 2759 6 with retry not allowed: "E=691 R=0
 * C=<challenge> V=3 M=<msg>". */
void	 mschap2_failure(int error, const uint8_t chal[16], const char *msg,
	    char *out, size_t cap);

#endif /* L2TPNS_MSCHAP_H */
