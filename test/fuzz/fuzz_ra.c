/*
 * fuzz_ra.c - libFuzzer harness for what a subscriber sends to the LNS
 * itself over IPv6 (ra.c): Router Solicitations (RFC 4861 6.1.1 checks,
 * then the 6.2.6 answer on the RA timer) and Echo Requests to our
 * link-local address (RFC 4443 4.2, answered at once).
 *
 * The input: a flags octet, then packets, each "length (2 bytes),
 * bytes": whole IPv6 packets as ppp.c hands them over.  The flags let
 * the harness mend what a mutation rarely gets right, so that runs reach
 * past the first checks: the payload length, the hop limit and the
 * ICMPv6 checksum (RFC 4443 2.3).  Between packets the clock moves on
 * and the RA timer fires; the RAs and replies go to the LAC socket.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_fixture.h"
#include "ra.h"

#define F_SUM		0x01	/* mend the ICMPv6 checksum */
#define F_PLEN		0x02	/* mend the payload length */
#define F_HLIM		0x04	/* hop limit 255 */
#define F_ECHO		0x08	/* to ra_echo_input, not ra_rs_input */
#define F_PREFIX	0x10	/* the session has a prefix of its own */

static sid_t sess;

static void
fuzz_setup(void)
{

	sess = fuzz_session_setup();
}

/* The ICMPv6 checksum of the message after a 40-octet IPv6 header. */
static void
mend_sum(uint8_t *p, size_t len)
{
	uint16_t sum;

	if (len < 44)
		return;
	p[42] = p[43] = 0;
	sum = ra_icmp6_sum(p + 8, p + 24, p + 40, len - 40);
	p[42] = (uint8_t)(sum >> 8);
	p[43] = (uint8_t)sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ifid[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	struct in6_addr own;
	uint8_t flags, *buf;
	size_t len;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	if (flags & F_PREFIX) {
		inet_pton(AF_INET6, "2001:db8:77::", &own);
		session_set_ipv6_prefix(sess, &own, 56);
	}
	ra_up(sess, ifid);
	while ((buf = fuzz_next(&data, &size, 0, NULL, &len)) != NULL) {
		if ((flags & F_PLEN) && len >= 40) {
			buf[4] = (uint8_t)((len - 40) >> 8);
			buf[5] = (uint8_t)(len - 40);
		}
		if ((flags & F_HLIM) && len >= 40)
			buf[7] = 255;
		if (flags & F_SUM)
			mend_sum(buf, len);
		if (flags & F_ECHO)
			ra_echo_input(sess, buf, len);
		else
			ra_rs_input(sess, buf, len);
		free(buf);
		now_ms += 1000;
		timers_run();
	}
	now_ms += 10 * 60 * 1000;
	timers_run();
	ra_down(sess, 1);
	if (flags & F_PREFIX)
		session_set_ipv6_prefix(sess, &in6addr_any, 0);
	fuzz_lac_drain();
	return 0;
}
