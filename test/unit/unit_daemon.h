/*
 * unit_daemon.h - for the unit tests that run daemon code: its globals
 * (config with the defaults, the counters, logging off) and a session
 * allocated and Open for a user, as a subscriber's is once up; a UDP
 * socket on the loopback for the daemon's L2TP to talk to.  Include
 * after cmocka.h.
 */
#ifndef UNIT_DAEMON_H
#define UNIT_DAEMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "../daemon_globals.h"

static inline void
unit_globals(void)
{
	assert_int_equal(daemon_globals(), 0);
}

static inline sid_t
unit_session_open(const char *user)
{
	sid_t s = session_alloc();
	struct session *sp;

	assert_true(s != 0);
	sp = session_get(s);
	sp->state = SESSION_OPEN;
	snprintf(sp->user, sizeof(sp->user), "%s", user);
	return s;
}

/*
 * A UDP socket bound to 127.0.0.1 on a port the kernel picks, its
 * address in *sin; flags are added to SOCK_DGRAM (SOCK_NONBLOCK).  -1
 * when it cannot be made.
 */
static inline int
unit_udp_socket(struct sockaddr_in *sin, int flags)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM | flags, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000001);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#endif
