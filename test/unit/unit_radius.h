/*
 * unit_radius.h - the daemon state the RADIUS accounting unit tests run
 * on: globals, one primary server with accounting on, the event loop,
 * the tables and `n` sessions Open, each begun (its Acct-Start queued).
 * Include after unit_daemon.h, with l2tpns.h, event.h and radius.h.
 * unit_acct_reply() answers a request as its server would.
 */
#ifndef UNIT_RADIUS_H
#define UNIT_RADIUS_H

#include <arpa/inet.h>

#include "../radius_pkt.h"

/* `window` is radius_window (0: none); sids[0..n-1] get the sessions. */
static inline void
unit_radius_sessions(const char *secret, int window, sid_t *sids, int n)
{
	int i;

	unit_globals();
	config->primary_radius = inet_addr("192.0.2.1");
	config->radius_accounting = 1;
	config->radius_window = window;
	snprintf(config->radius_secret, sizeof(config->radius_secret), "%s",
		 secret);
	snprintf(config->hostname, sizeof(config->hostname), "lns1");
	ev_update_time();
	assert_int_equal(ev_init(), 0);
	assert_int_equal(tables_init(n, 2), 0);
	assert_int_equal(ppp_init(n), 0);
	assert_int_equal(radius_init_state(n), 0);
	for (i = 0; i < n; i++) {
		char user[16];

		snprintf(user, sizeof(user), "u%d", i);
		sids[i] = unit_session_open(user);
		radius_session_begin(sids[i], 1);
	}
}

/*
 * The Accounting-Response of server srv (0 the primary, 1 the secondary)
 * to request ri, its authenticator MD5(Code, Identifier, Length, the
 * request's authenticator, the secret) (RFC 2866 3), given to
 * radius_reply_input(): what that returns.
 */
static inline int
unit_acct_reply(const struct radius_req_info *ri, int srv)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	uint8_t pkt[20], ra[16];

	from.sin_addr.s_addr = srv ? config->secondary_radius :
	    config->primary_radius;
	from.sin_port = htons((uint16_t)((srv ? config->secondary_radius_port :
	    config->primary_radius_port) + 1));
	assert_int_equal(radius_request_authenticator(ri->slot, ra), 0);
	pkt[0] = RAD_ACCT_RESPONSE;
	pkt[1] = ri->id;
	pkt[2] = 0;
	pkt[3] = 20;
	radius_pkt_auth(pkt, 20, ra, config->radius_secret, pkt + 4);
	return radius_reply_input(ri->sock, pkt, 20, &from);
}

#endif
