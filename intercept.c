/*
 * intercept.c - lawful interception (manual, "Interception").
 *
 * State owned: one UDP socket, opened at startup and never bound or
 * connected, from which every copy leaves.  Exports intercept_init() and
 * intercept_copy() (intercept.h).
 *
 * The data path (ppp.c) calls intercept_copy() for every IPv4 and IPv6
 * packet of a session whose `intercept` flag is set, in both directions:
 * upstream once the packet has passed anti-spoofing and the input access
 * list, downstream once it has passed the output access list, before
 * throttling and fragmentation.  The copy is the IP packet alone, as
 * the payload of one UDP datagram to the session's snoop_ip:snoop_port,
 * with no header of our own: "l2tpns-capture" (or anything that reads
 * UDP) turns the stream back into packets.
 *
 * A copy is never worth delaying the loop for: the socket does not
 * block, and a copy the kernel cannot take at once (full send buffer,
 * no route) is counted in snoop_errors and lost.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "l2tpns.h"
#include "event.h"
#include "intercept.h"
#include "log.h"

/* At most one warning about failing copies in this many seconds. */
#define SNOOP_WARN_INTERVAL	60

static int snoop_fd = -1;
static time_t last_warn;

int
intercept_init(void)
{
	int zero = 0;

	snoop_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (snoop_fd < 0) {
		log_error("interception: cannot open its UDP socket: %s",
		    strerror(errno));
		return -1;
	}
	/*
	 * Nothing is ever read from this socket: keep what strangers may
	 * send to its ephemeral port to the kernel's minimum.
	 */
	(void)setsockopt(snoop_fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero));
	return 0;
}

/*
 * Is `ip` itself a copy on its way to this session's capture point?  A
 * capture point reached through the session (its own address, or one
 * routed to it) would otherwise see every copy copied again, forever.
 */
static int
is_own_copy(const struct session *sp, const uint8_t *ip, size_t len)
{
	size_t ihl;
	uint32_t dst;
	uint16_t dport;

	if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP)
		return 0;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 8)
		return 0;
	memcpy(&dst, ip + 16, sizeof(dst));
	dport = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
	return dst == sp->snoop_ip && dport == sp->snoop_port;
}

void
intercept_copy(sid_t s, const uint8_t *ip, size_t len)
{
	const struct session *sp = session_get(s);
	struct sockaddr_in to;
	ssize_t n;
	int err;

	if (sp == NULL || sp->snoop_ip == 0 || sp->snoop_port == 0 ||
	    is_own_copy(sp, ip, len))
		return;
	if (snoop_fd < 0) {
		stats->snoop_errors++;
		return;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = sp->snoop_ip;
	to.sin_port = htons(sp->snoop_port);
	n = sendto(snoop_fd, ip, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (const struct sockaddr *)&to, sizeof(to));
	if (n == (ssize_t)len) {
		stats->packets_snooped++;
		return;
	}
	err = n < 0 ? errno : EMSGSIZE;
	stats->snoop_errors++;
	LOG(LOG_PACKET_L, s, sp->tunnel, "interception: copy of %zu octets "
	    "not sent: %s", len, strerror(err));
	if (time_now - last_warn >= SNOOP_WARN_INTERVAL) {
		char a[INET_ADDRSTRLEN];

		last_warn = time_now;
		inet_ntop(AF_INET, &sp->snoop_ip, a, sizeof(a));
		LOG(LOG_WARN_L, s, sp->tunnel, "interception: copies to %s:%u "
		    "are failing (%s); see the snoop_errors counter", a,
		    sp->snoop_port, strerror(err));
	}
}
