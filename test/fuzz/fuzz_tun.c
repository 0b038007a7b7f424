/*
 * fuzz_tun.c - libFuzzer harness for the downstream path: packets read
 * from the TUN device (dp_tun_readable) to one session, through the
 * destination lookup, the virtio-net header (super-segments cut by
 * offload.c, checksums left to us), interception, the link MTU (RFC 791
 * fragments, RFC 1191 ICMP errors written back to the device), MSS
 * clamping, the throttle and the L2TP data header.
 *
 * The input: a flags octet, an MRU octet, then packets, each "length
 * (2 bytes), bytes" (with the virtio-net header first when flag 0x01
 * is set).  The "device" is one end of an AF_UNIX datagram pair: the
 * harness writes packets into the other end, and what the daemon writes
 * back (ICMP errors) is drained from it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_fixture.h"
#include "dataplane.h"
#include "intercept.h"

#define F_VNET		0x01	/* the device has a virtio-net header */
#define F_SNOOP		0x02	/* the session is intercepted */
#define F_THROTTLE	0x04	/* downstream throttled */
#define F_DST4		0x08	/* IPv4 destination set to the session's */
#define F_DST6		0x10	/* IPv6 destination set to the session's */

static sid_t sess;
static int dev[2];		/* [0] the daemon's "TUN", [1] ours */

static void
fuzz_setup(void)
{
	int big = 4 << 20;

	sess = fuzz_session_setup();
	if (intercept_init() < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, dev) < 0)
		abort();
	setsockopt(dev[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(dev[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
}

static void
drain_dev(void)
{
	static uint8_t buf[70000];

	while (recv(dev[1], buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt;
	struct session *sp;
	struct sockaddr_in lac;
	socklen_t alen = sizeof(lac);
	uint8_t flags, v6dst[16];
	size_t len, vl, queued = 0;
	uint32_t ip = htonl(FUZZ_IP);

	if (size < 2)
		return 0;
	flags = data[0];
	sp = session_get(sess);
	sp->mru = (uint16_t)(68 + data[1] * 6);
	data += 2;
	size -= 2;
	tun_attach(dev[0], flags & F_VNET);
	vl = flags & F_VNET ? (size_t)tun_vnet() : 0;
	if (flags & F_SNOOP) {
		getsockname(fuzz_lac_fd, (struct sockaddr *)&lac, &alen);
		session_set_intercept(sess, lac.sin_addr.s_addr,
		    ntohs(lac.sin_port));
	}
	if (flags & F_THROTTLE)
		session_set_rates(sess, 0, 64);
	/* The session's IPv6 address: the prefix, then its IPv4 address. */
	memcpy(v6dst, &config->ipv6_prefix.addr, 8);
	memcpy(v6dst + 8, &ip, 4);
	memset(v6dst + 12, 0, 4);
	while ((pkt = fuzz_next(&data, &size, 0, NULL, &len)) != NULL) {
		if ((flags & F_DST4) && len >= vl + 20)
			memcpy(pkt + vl + 16, &ip, 4);
		if ((flags & F_DST6) && len >= vl + 40)
			memcpy(pkt + vl + 24, v6dst, 16);
		if (send(dev[1], pkt, len, MSG_DONTWAIT) < 0) {
			dp_tun_readable(dev[0], 64);
			queued = 0;
			if (send(dev[1], pkt, len, MSG_DONTWAIT) < 0) {
				free(pkt);
				continue;
			}
		}
		free(pkt);
		if (++queued == 64) {
			dp_tun_readable(dev[0], 64);
			queued = 0;
		}
	}
	dp_tun_readable(dev[0], 64);
	/* The throttle's queue drains on its timer. */
	now_ms += 60 * 1000;
	timers_run();
	session_set_intercept(sess, 0, 0);
	session_set_rates(sess, 0, 0);
	drain_dev();
	fuzz_lac_drain();
	return 0;
}
