/*
 * fuzz_radius.c - libFuzzer harness for the RADIUS input of radius.c:
 * the replies of the servers (layout, authenticators, the Access-Accept
 * attributes and what they do to a session) and the DAE listener
 * (Disconnect-Request, CoA-Request).
 *
 * The first input byte picks the mode, the rest is the attributes:
 *	0	an Access-Accept parsed with radius_parse_reply(), its
 *		RFC 2868 tunnel passwords decrypted; and the bytes as one
 *		salt-encrypted Tunnel-Password value
 *	1	a Disconnect- (low bit 0) or CoA-Request (1), signed with
 *		the secret here so that it gets past the authenticator
 *	2	the bytes as they are, to the DAE input
 *	3	a reply to a real pending Access-Request of a session: code
 *		from the second byte, a correct Response Authenticator and,
 *		if bit 7 of that byte is set, a Message-Authenticator
 * Nothing is sent (no socket) and timers do not run: each run cancels
 * what it started.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <md5.h>

#include "harness.h"
#include "auth.h"
#include "radius.h"
#include "../radius_pkt.h"


static const char *SECRET = "fuzz";
static struct sockaddr_in server;
static sid_t sids[3];

static void
add_session(int i, const char *user, const char *ip)
{
	struct session *sp;

	if ((sids[i] = session_alloc()) == 0)
		abort();
	sp = session_get(sids[i]);
	sp->state = SESSION_OPEN;
	sp->tunnel = 1;
	snprintf(sp->user, sizeof(sp->user), "%s", user);
	snprintf(sp->calling, sizeof(sp->calling), "0123456789");
	sp->ip = inet_addr(ip);
	radius_session_begin(sids[i], 1);
	session_route_add(sids[i], sp->ip, 32);
}

static void
fuzz_setup(void)
{
	fuzz_globals();
	strcpy(config->radius_secret, SECRET);
	config->primary_radius = htonl(0xc0000201);
	config->secondary_radius = htonl(0xc0000202);
	config->primary_radius_port = config->secondary_radius_port = 1812;
	config->radius_accounting = 1;
	config->throttle_speed = 256;
	ev_update_time();
	if (ev_init() < 0 || tables_init(16, 4) < 0 ||
	    ippool_init(NULL, 16) < 0 || ppp_init(16) < 0 ||
	    radius_init_state(16) < 0)
		abort();
	add_session(0, "alice", "198.51.100.1");
	add_session(1, "bob", "198.51.100.2");
	add_session(2, "carol", "198.51.100.3");
	server = fuzz_addr(ntohl(config->primary_radius), 1812);
}

/* A packet of at most RAD_MAXPKT octets: attributes past it left out. */
static size_t
header(uint8_t *pkt, uint8_t code, uint8_t id, const uint8_t *attrs,
    size_t alen)
{
	return radius_pkt(pkt, code, id, attrs,
	    alen > RAD_MAXPKT - 20 ? RAD_MAXPKT - 20 : alen);
}

/* Mode 3: answer the Access-Request of session 0. */
static void
answer_pending(uint8_t sel, const uint8_t *attrs, size_t alen)
{
	static const uint8_t codes[] = { RAD_ACCESS_ACCEPT, RAD_ACCESS_REJECT,
	    RAD_ACCESS_CHALLENGE, RAD_ACCT_RESPONSE };
	struct radius_req_info ri;
	struct auth_req rq;
	uint8_t pkt[RAD_MAXPKT + 32], ra[16];
	uint32_t cur = 0;
	size_t len;

	memset(&rq, 0, sizeof(rq));
	rq.sid = sids[0];
	rq.proto = PPP_PAP;
	strcpy(rq.user, "alice");
	memcpy(rq.password, "secret", 6);
	rq.password_len = 6;
	radius_session_begin(sids[0], 1);
	radius_auth_submit(&rq);
	if (radius_request_info(&cur, &ri) < 0 ||
	    radius_request_authenticator(ri.slot, ra) < 0)
		abort();
	if (sel & 0x80 && alen <= RAD_MAXPKT - 20 - 18) {
		len = header(pkt, codes[sel & 3], ri.id, attrs, alen);
		pkt[len] = RA_MESSAGE_AUTHENTICATOR;
		pkt[len + 1] = 18;
		memset(pkt + len + 2, 0, 16);
		len += 18;
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		memcpy(pkt + 4, ra, 16);
		radius_hmac_md5((const uint8_t *)SECRET, strlen(SECRET), pkt,
		    len, pkt + len - 16);
	} else
		len = header(pkt, codes[sel & 3], ri.id, attrs, alen);
	radius_pkt_auth(pkt, len, ra, SECRET, pkt + 4);
	radius_reply_input(ri.sock, pkt, len, &server);
	radius_auth_cancel(sids[0]);	/* when the answer was refused */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[RAD_MAXPKT + 32], reply[RAD_MAXPKT];
	struct auth_reply rp;
	size_t len;
	uint8_t *copy;

	if (size < 2)
		return 0;
	switch (data[0] & 3) {
	case 0:
		len = header(pkt, RAD_ACCESS_ACCEPT, 1, data + 1, size - 1);
		copy = fuzz_copy(pkt, len);
		if (radius_check_layout(copy, len, &len) == RAD_OK) {
			memset(&rp, 0, sizeof(rp));
			static const uint8_t ra0[16] = { 9 };

			if (radius_parse_reply(copy, len, &rp) == RAD_OK)
				radius_tunnel_passwords(&rp, SECRET, ra0);
		}
		free(copy);
		copy = fuzz_copy(data + 1, size - 1);
		{
			static const uint8_t ra[16] = { 1, 2, 3 };
			char pw[AUTH_TUNNEL_TEXT];

			radius_tunnel_password(copy, size - 1, SECRET, ra, pw,
			    sizeof(pw));
		}
		free(copy);
		break;
	case 1:
		len = header(pkt, data[1] & 1 ? RAD_COA_REQUEST :
		    RAD_DISCONNECT_REQUEST, data[1], data + 2, size - 2);
		radius_sign_request(pkt, len, SECRET);
		copy = fuzz_copy(pkt, len);
		radius_dae_input(copy, len, &server, reply, sizeof(reply));
		free(copy);
		break;
	case 2:
		copy = fuzz_copy(data + 1, size - 1);
		radius_dae_input(copy, size - 1, &server, reply, sizeof(reply));
		free(copy);
		break;
	case 3:
		answer_pending(data[1], data + 2, size - 2);
		break;
	}
	return 0;
}
