/*
 * routecheck.c - may a route that RADIUS gave a session go into the
 * kernel without breaking the host's own routing?
 *
 * Framed-Route, Framed-IP-Address, Framed-IPv6-Prefix and
 * Delegated-IPv6-Prefix come from the RADIUS server.  A route the LNS
 * adds through its tun device must never take traffic away from the
 * host's own routes (issue 20, finding 5: "0.0.0.0/0", or the uplink's
 * subnet, replaced the host's route and was never restored).  One
 * RTM_GETROUTE dump of the kernel's tables is read (routes to the tun
 * device itself are the LNS's own and do not count) and the new prefix
 * P is refused when:
 *   - P contains or equals a route of the host (a default route is
 *     contained by nothing but ::/0 or 0.0.0.0/0, which equal it);
 *   - P lies inside a directly connected subnet of another interface
 *     (a route with no gateway: the neighbours on that segment would be
 *     cut off);
 *   - P contains one of the host's own addresses (the local table).
 * A less specific route of the host that contains P (the default route,
 * an aggregate) is normal routing: a more specific route via the tun
 * device is what the session needs.
 *
 * The dump costs one netlink round trip over the host's routing table;
 * it runs only when a session brings a prefix of its own (not for pool
 * addresses).  Reports errors to the caller (STYLE 12).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "routecheck.h"

/* Whether the first plen bits of a and b agree. */
static int
prefix_match(const uint8_t *a, const uint8_t *b, int plen)
{
	int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((a[bytes] ^ b[bytes]) & (0xff << (8 - bits))) == 0;
}

struct rt {
	uint8_t		dst[16];
	int		plen;
	int		oif;
	int		gateway;	/* has a next hop: not on-link */
	uint8_t		scope, type, table;
};

/* Parse one RTM_NEWROUTE of the dump into r; 0, or -1 to skip it. */
static int
parse_route(const struct nlmsghdr *h, int family, struct rt *r)
{
	const struct rtmsg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	int alen = family == AF_INET ? 4 : 16;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || m->rtm_family != family)
		return -1;
	memset(r, 0, sizeof(*r));
	r->plen = m->rtm_dst_len;
	r->scope = m->rtm_scope;
	r->type = m->rtm_type;
	r->table = m->rtm_table;
	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	for (a = RTM_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == (size_t)alen)
			memcpy(r->dst, RTA_DATA(a), (size_t)alen);
		else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == 4)
			memcpy(&r->oif, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_GATEWAY ||
		    a->rta_type == RTA_MULTIPATH)
			r->gateway = 1;
		else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) == 4) {
			uint32_t t;

			memcpy(&t, RTA_DATA(a), 4);
			r->table = t > 255 ? 0 : (uint8_t)t;
		}
	}
	return 0;
}

/* Why r stops `net/plen` from being routed to the tun device, or NULL. */
static const char *
conflict(const struct rt *r, const uint8_t *net, int plen)
{
	if (r->type == RTN_LOCAL)
		return prefix_match(r->dst, net, plen) ?
		    "contains an address of this host" : NULL;
	if (r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST)
		return NULL;
	if (r->plen >= plen && prefix_match(r->dst, net, plen))
		return r->plen == plen ? "equals a route of this host" :
		    "contains a route of this host";
	/* On-link (IPv4 says scope link; IPv6 routes have no gateway). */
	if ((r->scope == RT_SCOPE_LINK || !r->gateway) && r->plen > 0 &&
	    r->plen < plen && prefix_match(r->dst, net, r->plen))
		return "lies in a subnet connected to this host";
	return NULL;
}

int
route_conflict(int family, const void *net, int plen, int tun_ifindex,
    char *why, size_t whylen)
{
	struct {
		struct nlmsghdr	nh;
		struct rtmsg	rt;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2, .tv_usec = 0 };
	static uint8_t buf[32768];
	int fd, rc = -1, done = 0;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)family;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0)
		goto out;
	rc = 0;
	while (!done) {
		struct nlmsghdr *h;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			rc = -1;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			struct rt r;
			const char *w;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e))
				    ? -e->error : EIO;
				rc = -1;
				done = 1;
				break;
			}
			if (h->nlmsg_type != RTM_NEWROUTE ||
			    parse_route(h, family, &r) < 0)
				continue;
			if (r.oif == tun_ifindex && r.type != RTN_LOCAL)
				continue;	/* ours: pool, sessions */
			if (rc == 0 && (w = conflict(&r, net, plen)) != NULL) {
				char a[INET6_ADDRSTRLEN];

				inet_ntop(family, r.dst, a, sizeof(a));
				snprintf(why, whylen, "%s (%s/%d)", w, a,
				    r.plen);
				rc = 1;	/* read the dump to its end */
			}
		}
	}
out:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return rc;
}
