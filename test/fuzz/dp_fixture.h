/*
 * dp_fixture.h - for the data-path fuzzers: a daemon with its tables,
 * one tunnel to a LAC on loopback (a socket that swallows what is sent)
 * and one session up as a cluster master would adopt it (LCP and IPCP
 * Opened, address FUZZ_IP), so that a packet goes the whole way.
 */
#ifndef DP_FIXTURE_H
#define DP_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "harness.h"
#include "fsm.h"
#include "session.h"

#define FUZZ_IP		0x0a000001	/* 10.0.0.1, host order */

static int fuzz_lac_fd = -1;	/* the LAC's end: drained after each run */

/* The daemon, the tunnel and the session; the session id. */
static sid_t
fuzz_session_setup(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct session *sp;
	struct tunnel *tp;
	int l2tp_fd;
	sid_t s;
	tid_t t;

	fuzz_globals();
	config->ipv6_prefix.plen = 64;
	inet_pton(AF_INET6, "2001:db8:1::", &config->ipv6_prefix.addr);
	config->primary_dns = htonl(0xc0000235);
	/* The LAC never answers; the tunnel has no control state: a
	 * session dropped for silence would need one. */
	config->idle_echo_timeout = 0;
	fuzz_tables(16, 4, NULL);
	/* The L2TP socket and the LAC, both on loopback. */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l2tp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(l2tp_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (fuzz_lac_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK,
	    0)) < 0 || bind(fuzz_lac_fd, (struct sockaddr *)&a,
	    sizeof(a)) < 0 || getsockname(fuzz_lac_fd, (struct sockaddr *)&a,
	    &alen) < 0)
		abort();
	l2tp_set_socket(l2tp_fd);
	if ((t = tunnel_alloc()) == 0 || (s = session_alloc()) == 0)
		abort();
	tp = tunnel_get(t);
	tp->peer = a;
	tp->far_id = 4242;
	sp = session_get(s);
	sp->tunnel = t;
	sp->far_id = 77;
	sp->state = SESSION_OPEN;
	sp->phase = PHASE_NETWORK;
	sp->lcp_state = ST_OPENED;
	sp->ipcp_state = ST_OPENED;
	sp->mru = 1500;
	sp->ip = htonl(FUZZ_IP);
	snprintf(sp->user, sizeof(sp->user), "fuzz");
	ppp_adopt(s);
	if (!ppp_ncp_opened(s, 0x0021) ||
	    session_route_add(s, sp->ip, 32) < 0)
		abort();
	return s;
}

/* Throw away what the daemon sent the LAC. */
static void __attribute__((unused))
fuzz_lac_drain(void)
{
	uint8_t buf[2048];

	while (recv(fuzz_lac_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

#endif /* DP_FIXTURE_H */
