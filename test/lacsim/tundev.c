/*
 * tundev.c - TUN devices and their routing for lacsim's --tun.
 *
 * State: none; the caller owns the descriptors.
 * Exports (tundev.h): tundev_nl_open, tundev_create, tundev_link_up,
 * tundev_addr4, tundev_addr6_ll, tundev_route, tundev_rule,
 * tundev_no_ipv6.
 *
 * Each configuration step is one rtnetlink request (RFC 3549 2.3.3)
 * answered by an acknowledgement, done synchronously: it happens once per
 * session when IPCP opens, never per packet.  The device itself is what
 * the Linux TUN driver makes of /dev/net/tun with IFF_TUN | IFF_NO_PI:
 * each read() is one IP packet, each write() injects one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/fib_rules.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "tundev.h"

#define NL_REQ_MAX	256	/* the largest request built here */
#define NL_ANS_MAX	4096	/* an error answer quotes the request */
#define NL_TIMEOUT_S	2	/* the kernel answers at once; never hang */
#define RULE_V4_LEN	32

struct nlreq {
	union {
		struct nlmsghdr	h;
		uint8_t		b[NL_REQ_MAX];
	} u;
	int	 err;		/* an attribute did not fit */
};

static uint32_t	 nl_seq;

int
tundev_nl_open(void)
{
	struct sockaddr_nl sa;
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int fd, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
nl_begin(struct nlreq *r, uint16_t type, uint16_t flags, const void *fam,
    size_t len)
{
	memset(r, 0, sizeof(*r));
	r->u.h.nlmsg_len = NLMSG_LENGTH(len);
	r->u.h.nlmsg_type = type;
	r->u.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(&r->u.h), fam, len);
}

static void
nl_attr(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->u.h.nlmsg_len);
	struct rtattr *a;

	if (off + RTA_SPACE(len) > sizeof(r->u.b)) {
		r->err = 1;
		return;
	}
	a = (struct rtattr *)(void *)(r->u.b + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->u.h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

static void
nl_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
	nl_attr(r, type, &v, sizeof(v));
}

/*
 * Send the request and wait for its acknowledgement (an NLMSG_ERROR with
 * the request's sequence number); 0, or -1 with the kernel's errno.
 */
static int
nl_talk(int nl, struct nlreq *r)
{
	union {
		struct nlmsghdr	h;
		uint8_t		b[NL_ANS_MAX];
	} ans;
	struct sockaddr_nl kernel;
	struct nlmsghdr h;
	struct nlmsgerr e;
	const uint8_t *p;
	size_t left, step;
	ssize_t n;

	if (r->err) {
		errno = EMSGSIZE;
		return -1;
	}
	r->u.h.nlmsg_seq = ++nl_seq;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(nl, r->u.b, r->u.h.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -1;
	for (;;) {
		n = recv(nl, ans.b, sizeof(ans.b), 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p = ans.b;
		left = (size_t)n;
		/* STYLE 3: each length against both ends. */
		while (left >= sizeof(h)) {
			memcpy(&h, p, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > left)
				break;
			if (h.nlmsg_seq == r->u.h.nlmsg_seq &&
			    h.nlmsg_type == NLMSG_ERROR) {
				if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e))) {
					errno = EPROTO;
					return -1;
				}
				memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
				if (e.error == 0)
					return 0;
				errno = -e.error;
				return -1;
			}
			step = NLMSG_ALIGN(h.nlmsg_len);
			if (step >= left)
				break;
			p += step;
			left -= step;
		}
	}
}

int
tundev_create(const char *name, unsigned *ifindex)
{
	struct ifreq ifr;
	size_t n = strlen(name);
	int fd, e;

	if (n == 0 || n >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* TUNSETIFF would attach to a persistent device of that name. */
	if (if_nametoindex(name) != 0) {
		errno = EEXIST;
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, n);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1 ||
	    (*ifindex = if_nametoindex(ifr.ifr_name)) == 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
tundev_link_up(int nl, unsigned ifindex, unsigned mtu)
{
	struct ifinfomsg ifi;
	struct nlreq r;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = (int)ifindex;
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	nl_begin(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_u32(&r, IFLA_MTU, mtu);
	return nl_talk(nl, &r);
}

int
tundev_addr4(int nl, unsigned ifindex, uint32_t addr, uint32_t peer)
{
	struct ifaddrmsg ifa;
	struct nlreq r;
	uint32_t local = htonl(addr);
	uint32_t remote = htonl(peer != 0 ? peer : addr);

	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_INET;
	ifa.ifa_prefixlen = 32;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = ifindex;
	nl_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa,
	    sizeof(ifa));
	nl_attr(&r, IFA_LOCAL, &local, sizeof(local));
	nl_attr(&r, IFA_ADDRESS, &remote, sizeof(remote));
	/*
	 * No route to the peer in the main table: every session has the
	 * same peer, and the session's own table carries its traffic.
	 */
	nl_u32(&r, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
	return nl_talk(nl, &r);
}

int
tundev_addr6_ll(int nl, unsigned ifindex, const uint8_t ifid[8])
{
	struct ifaddrmsg ifa;
	struct nlreq r;
	uint8_t a[16];

	memset(a, 0, sizeof(a));
	a[0] = 0xfe;
	a[1] = 0x80;
	memcpy(a + 8, ifid, 8);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_INET6;
	ifa.ifa_prefixlen = 64;
	ifa.ifa_flags = IFA_F_NODAD;
	ifa.ifa_scope = RT_SCOPE_LINK;
	ifa.ifa_index = ifindex;
	nl_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa,
	    sizeof(ifa));
	nl_attr(&r, IFA_LOCAL, a, sizeof(a));
	nl_attr(&r, IFA_ADDRESS, a, sizeof(a));
	return nl_talk(nl, &r);
}

int
tundev_route(int nl, unsigned ifindex, uint32_t addr, uint32_t table)
{
	struct rtmsg rt;
	struct nlreq r;
	uint32_t src = htonl(addr);

	memset(&rt, 0, sizeof(rt));
	rt.rtm_family = AF_INET;
	rt.rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rt.rtm_protocol = RTPROT_STATIC;
	rt.rtm_scope = RT_SCOPE_LINK;
	rt.rtm_type = RTN_UNICAST;
	nl_begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt,
	    sizeof(rt));
	nl_u32(&r, RTA_TABLE, table);
	nl_u32(&r, RTA_OIF, ifindex);
	nl_attr(&r, RTA_PREFSRC, &src, sizeof(src));
	return nl_talk(nl, &r);
}

int
tundev_rule(int nl, int add, uint32_t addr, uint32_t table, uint32_t prio)
{
	struct fib_rule_hdr frh;
	struct nlreq r;
	uint32_t src = htonl(addr);

	memset(&frh, 0, sizeof(frh));
	frh.family = AF_INET;
	frh.src_len = RULE_V4_LEN;
	frh.table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	frh.action = FR_ACT_TO_TBL;
	nl_begin(&r, add ? RTM_NEWRULE : RTM_DELRULE,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0, &frh, sizeof(frh));
	nl_attr(&r, FRA_SRC, &src, sizeof(src));
	nl_u32(&r, FRA_PRIORITY, prio);
	nl_u32(&r, FRA_TABLE, table);
	if (nl_talk(nl, &r) == 0)
		return 0;
	/* Left by a run that was killed, or already gone: the same end. */
	if ((add && errno == EEXIST) || (!add && errno == ENOENT))
		return 0;
	return -1;
}

void
tundev_no_ipv6(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/"
	    "disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return;
	if (write(fd, "1\n", 2) != 2) {
		/* Best effort: IPv6 packets are then dropped here. */
	}
	close(fd);
}
