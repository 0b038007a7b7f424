/*
 * tun.c - the one TUN device that carries every subscriber's IP traffic.
 *
 * State owned: none beyond the fd returned to l2tpns.c.  The device is
 * opened without the packet-information header (IFF_NO_PI): the kernel
 * takes the protocol from the IP version nibble, so no 4-byte prefix has
 * to be built per packet.  With tun_offload (the default) every packet
 * has a virtio-net header in front (IFF_VNET_HDR) and the device takes
 * checksum, TCP segmentation and, where the kernel has it, UDP
 * segmentation offloads (TUNSETOFFLOAD): the kernel hands us TCP
 * super-segments with unfinished checksums, which dataplane.c segments
 * per session (offload.c), and takes coalesced ones from us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <liburing.h>

#include "l2tpns.h"
#include "event.h"
#include "log.h"
#include "offload.h"
#include "routecheck.h"

/* Since Linux 6.2 (UDP segmentation offload); older headers lack them. */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif

static int tun_fd = -1;
static int tun_vnet_len;	/* 0, or the virtio-net header's size */
static unsigned tun_offl;	/* TUN_F_* granted */

/*
 * tun_uring: upstream packets of one batch of L2TP datagrams written
 * with one io_uring submission instead of a write() each (the device is
 * the ring's one registered file).  The packets stay where they are
 * (the receive buffers) until tun_uring_flush(); a write of any other
 * kind flushes first, so that nothing overtakes what is queued.
 */
#define URING_DEPTH	256
static struct io_uring uring;
static int uring_on;
static struct uring_slot {
	struct virtio_net_hdr	vh;
	struct iovec		iov[2];
} uslot[URING_DEPTH];
static unsigned uring_n;
static int tun_ifindex;
static int link_fd = -1;	/* rtnetlink, RTMGRP_LINK: the device's state */
static int link_up = 1;
/* Prefixes routed to the device at startup (the pool's CIDR lines). */
static struct { uint32_t net, mask; int plen; } pool_routes[256];
static int npool_routes;

/*
 * The virtio-net header's size, then the offloads: checksum and TCP
 * segmentation always (Linux 2.6.27), UDP segmentation where the kernel
 * has it (6.2; EINVAL before).
 */
static void
tun_set_offload(int fd)
{
	unsigned want = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	int hl = (int)OFF_VNET_LEN;

	/* The kernel's default is this size already: say so all the same. */
	tun_vnet_len = hl;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hl) < 0)
		log_error("tun: TUNSETVNETHDRSZ: %s", strerror(errno));
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(want | TUN_F_USO4 |
	    TUN_F_USO6)) == 0)
		tun_offl = want | TUN_F_USO4 | TUN_F_USO6;
	else if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)want) == 0)
		tun_offl = want;
	else
		log_error("tun: TUNSETOFFLOAD: %s; packets come segmented",
		    strerror(errno));
	log_info("tun offloads:%s%s%s", tun_offl & TUN_F_CSUM ? " checksum" :
	    " none", tun_offl & TUN_F_TSO4 ? " tso4 tso6" : "",
	    tun_offl & TUN_F_USO4 ? " uso4 uso6" : "");
}

int
tun_vnet(void)
{
	return tun_vnet_len;
}

void
tun_attach(int fd, int vnet)
{
	tun_fd = fd;
	tun_vnet_len = vnet ? (int)OFF_VNET_LEN : 0;
	tun_offl = vnet ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0;
}

int
tun_open(char *ifname, size_t ifnamelen)
{
	struct ifreq ifr;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		log_crit("cannot open /dev/net/tun: %s (is the tun module "
		    "loaded?)", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (config->tun_offload)
		ifr.ifr_flags |= IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		log_crit("cannot create tun device %s: %s", ifname,
		    strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(ifname, ifnamelen, "%s", ifr.ifr_name);
	tun_fd = fd;
	tun_vnet_len = 0;
	tun_offl = 0;
	if (config->tun_offload)
		tun_set_offload(fd);
	tun_ifindex = (int)if_nametoindex(ifname);
	return fd;
}

/*
 * Add or delete a route to net/plen through the tun device with one
 * rtnetlink request (RTM_NEWROUTE / RTM_DELROUTE), waiting for the
 * kernel's acknowledgement.  Returns 0, or -1 with errno set.
 */
static int route_msg(int family, int add, const void *dst, int alen,
    int plen, int replace);
static int route_msg_src(int family, int add, const void *dst, int alen,
    int plen, int replace, in_addr_t src);
static int checked(int family, const void *net, int plen);

/*
 * Outgoing L2TP (lacout.c): a route into the device with a preferred
 * source (the address our PPP client was given), checked as a
 * session's route is.
 */
int
tun_route_src(int add, in_addr_t net, int plen, in_addr_t src)
{
	if (add && checked(AF_INET, &net, plen) < 0)
		return -1;
	return route_msg_src(AF_INET, add, &net, 4, plen, 0, src);
}

/* Send one rtnetlink request and wait for its acknowledgement. */
static int
nl_request(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[512];
	int fd, err = 0;
	ssize_t n;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0)
		return -1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0 || (n = recv(fd, buf, sizeof(buf), 0)) <
	    (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		err = errno ? errno : EIO;
	else if (((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
		err = -((struct nlmsgerr *)NLMSG_DATA(buf))->error;
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

/*
 * Outgoing L2TP: our PPP client's address on the device as a /32
 * (RTM_NEWADDR / RTM_DELADDR), so that the kernel takes packets to it
 * and can use it as a source.  An address already there is fine.
 */
int
tun_addr4(int add, in_addr_t addr)
{
	struct {
		struct nlmsghdr	nh;
		struct ifaddrmsg ifa;
		char		attrs[64];
	} req;
	struct rtattr *a;
	int i;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = 32;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = (unsigned)tun_ifindex;
	for (i = 0; i < 2; i++) {
		a = (struct rtattr *)((char *)&req +
		    NLMSG_ALIGN(req.nh.nlmsg_len));
		a->rta_type = i == 0 ? IFA_LOCAL : IFA_ADDRESS;
		a->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(a), &addr, 4);
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) +
		    RTA_ALIGN(a->rta_len);
	}
	if (nl_request(&req.nh) < 0 && !(add ? errno == EEXIST :
	    errno == EADDRNOTAVAIL))
		return -1;
	return 0;
}

/*
 * Routes of sessions (RADIUS Framed-Route and addresses, IPv6 prefixes):
 * refused, logged and counted when they would take traffic from the
 * host's own routes (routecheck.c), and never replacing a route.
 */
int
tun_route(int add, in_addr_t net, int plen)
{
	if (add && checked(AF_INET, &net, plen) < 0)
		return -1;
	return route_msg(AF_INET, add, &net, 4, plen, 0);
}

int
tun_route6(int add, const struct in6_addr *net, int plen)
{
	if (add && checked(AF_INET6, net, plen) < 0)
		return -1;
	return route_msg(AF_INET6, add, net, 16, plen, 0);
}

static int
checked(int family, const void *net, int plen)
{
	char why[128], a[INET6_ADDRSTRLEN];
	int rc = route_conflict(family, net, plen, tun_ifindex, why,
	    sizeof(why));

	if (rc == 0)
		return 0;
	stats->route_refused++;
	inet_ntop(family, net, a, sizeof(a));
	if (rc > 0)
		LOG(LOG_WARN_L, 0, 0, "route %s/%d refused: it %s", a, plen,
		    why);
	else
		LOG(LOG_WARN_L, 0, 0, "route %s/%d refused: the host's routes "
		    "cannot be read: %s", a, plen, strerror(errno));
	errno = EADDRINUSE;
	return -1;
}

static int
route_msg(int family, int add, const void *dst, int alen, int plen,
    int replace)
{
	return route_msg_src(family, add, dst, alen, plen, replace, 0);
}

static int
route_msg_src(int family, int add, const void *dst, int alen, int plen,
    int replace, in_addr_t src)
{
	struct {
		struct nlmsghdr	nh;
		struct rtmsg	rt;
		char		attrs[64];
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct rtattr *a;
	char buf[512];
	int fd, rc = -1, err = 0;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL) : 0);
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)family;
	req.rt.rtm_dst_len = (unsigned char)plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_STATIC;
	req.rt.rtm_scope = RT_SCOPE_LINK;
	req.rt.rtm_type = RTN_UNICAST;
	a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	a->rta_type = RTA_DST;
	a->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(a), dst, (size_t)alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	a = (struct rtattr *)((char *)&req + req.nh.nlmsg_len);
	a->rta_type = RTA_OIF;
	a->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(a), &tun_ifindex, 4);
	req.nh.nlmsg_len += RTA_ALIGN(a->rta_len);
	if (src != 0) {
		a = (struct rtattr *)((char *)&req + req.nh.nlmsg_len);
		a->rta_type = RTA_PREFSRC;
		a->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(a), &src, 4);
		req.nh.nlmsg_len += RTA_ALIGN(a->rta_len);
	}

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0)
		return -1;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0)
		goto out;
	if ((n = recv(fd, buf, sizeof(buf), 0)) < (ssize_t)NLMSG_LENGTH(
	    sizeof(struct nlmsgerr)))
		goto out;
	if (((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
		err = -((struct nlmsgerr *)NLMSG_DATA(buf))->error;
	/* EEXIST: the same route through the device is there already. */
	if (err == 0 || (!add && err == ESRCH) || (add && err == EEXIST))
		rc = 0;
	else
		errno = err;
out:
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/*
 * Our address in ipv6_prefix (the first 64 bits, identifier ::1, as our
 * IPV6CP identifier), on the device as a /128: subscribers reach the LNS
 * itself over IPv6 (ping, DNS on the LNS), where before only fe80::1
 * answered nothing.  The prefix itself is routed to the device.
 */
int
tun_addr6(const struct in6_addr *prefix)
{
	struct in6_ifreq {
		struct in6_addr	ifr6_addr;
		uint32_t	ifr6_prefixlen;
		int		ifr6_ifindex;
	} ifr6;
	int s, rc = 0;

	memset(&ifr6, 0, sizeof(ifr6));
	memcpy(&ifr6.ifr6_addr, prefix, 8);
	ifr6.ifr6_addr.s6_addr[15] = 1;
	ifr6.ifr6_prefixlen = 128;
	ifr6.ifr6_ifindex = tun_ifindex;
	if ((s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (ioctl(s, SIOCSIFADDR, &ifr6) < 0 && errno != EEXIST)
		rc = -1;
	close(s);
	return rc;
}

/* The pool's CIDR blocks, routed to the device once at startup. */
void
tun_add_pool_routes(const struct pool_file *pf)
{
	char a[INET_ADDRSTRLEN];
	int i;

	for (i = 0; pf && i < pf->nroutes; i++) {
		uint32_t size = pf->routes[i].last - pf->routes[i].first + 1;
		int plen = 32;
		in_addr_t net = htonl(pf->routes[i].first);

		while (plen > 0 && (1u << (32 - plen)) < size)
			plen--;
		inet_ntop(AF_INET, &net, a, sizeof(a));
		/* The operator's pool: as configured (replacing). */
		if (route_msg(AF_INET, 1, &net, 4, plen, 1) < 0) {
			log_error("cannot route %s/%d to the tun device: %s", a,
			    plen, strerror(errno));
			continue;
		}
		log_info("route %s/%d via the tun device", a, plen);
		if (npool_routes < (int)(sizeof(pool_routes) /
		    sizeof(pool_routes[0]))) {
			pool_routes[npool_routes].net = pf->routes[i].first;
			pool_routes[npool_routes].mask = plen ?
			    0xffffffffu << (32 - plen) : 0;
			pool_routes[npool_routes].plen = plen;
			npool_routes++;
		}
	}
}

/*
 * The kernel flushes every route through a device that goes down, and
 * does not put them back when it comes up.  When the device comes up
 * again (an operator's `ip link set down` then `up`), the routes of the
 * pool and of ipv6_prefix are added again, so that the sessions whose
 * addresses they cover pass traffic again.  While it is down, writes to
 * it fail (EIO) and are counted in tun_tx_errors.
 */
static void
link_restored(void)
{
	char a[INET_ADDRSTRLEN];
	int i, n = 0;

	for (i = 0; i < npool_routes; i++) {
		in_addr_t net = htonl(pool_routes[i].net);

		if (route_msg(AF_INET, 1, &net, 4, pool_routes[i].plen, 1) < 0) {
			inet_ntop(AF_INET, &net, a, sizeof(a));
			log_error("cannot route %s/%d to the tun device again: "
			    "%s", a, pool_routes[i].plen, strerror(errno));
		} else
			n++;
	}
	if (config->ipv6_prefix.plen > 0 && route_msg(AF_INET6, 1,
	    &config->ipv6_prefix.addr, 16, config->ipv6_prefix.plen, 0) == 0)
		n++;
	/* IPv6 addresses go with the link (keep_addr_on_down is off). */
	if (config->ipv6_prefix.plen > 0 &&
	    tun_addr6(&config->ipv6_prefix.addr) < 0)
		log_error("cannot give the tun device its IPv6 address again: "
		    "%s", strerror(errno));
	log_warnx("tun device up again: %d routes of the pool restored "
	    "(session routes outside the pool are not)", n);
}

static void
link_readable(int fd, uint32_t events, void *arg)
{
	char buf[8192];
	struct nlmsghdr *nh;
	struct ifinfomsg *ifi;
	ssize_t n;
	int up;

	(void)events;
	(void)arg;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		    nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type != RTM_NEWLINK || nh->nlmsg_len <
			    NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			ifi = NLMSG_DATA(nh);
			if (ifi->ifi_index != tun_ifindex)
				continue;
			up = (ifi->ifi_flags & IFF_UP) != 0;
			if (up && !link_up)
				link_restored();
			else if (!up && link_up)
				log_warnx("tun device went down: packets to the "
				    "kernel are lost until it is up again");
			link_up = up;
		}
}

/* Follow the device's state (after tun_add_pool_routes). */
void
tun_watch(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_groups = RTMGRP_LINK };

	if ((link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, NETLINK_ROUTE)) < 0 || bind(link_fd,
	    (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    ev_add(link_fd, EPOLLIN, link_readable, NULL) < 0) {
		log_error("cannot follow the tun device's state: %s (its "
		    "routes are not restored if it goes down)",
		    strerror(errno));
		if (link_fd >= 0)
			close(link_fd);
		link_fd = -1;
	}
}

/* Whether `ip` lies in a block routed at startup. */
int
tun_routed(in_addr_t ip)
{
	uint32_t h = ntohl(ip);
	int i;

	for (i = 0; i < npool_routes; i++)
		if ((h & pool_routes[i].mask) == pool_routes[i].net)
			return 1;
	return 0;
}

static uint16_t
csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	while (n > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		n -= 2;
	}
	if (n)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * An ICMP error (RFC 792) about the IPv4 packet `orig`, sent back into
 * the kernel through the device: type 3 code 1 (host unreachable) or
 * code 4 (fragmentation needed, RFC 1191 next-hop MTU), carrying the
 * offending header and 8 octets.
 */
void
tun_icmp_error(const uint8_t *orig, size_t len, uint8_t code, uint16_t mtu)
{
	uint8_t pkt[20 + 8 + 60 + 8];
	size_t ihl = (size_t)(orig[0] & 0x0f) * 4, quote;
	uint16_t c;

	if (len < 20 || ihl < 20 || ihl > len)
		return;
	/* Never about an ICMP error (RFC 1122 3.2.2) or a fragment tail. */
	if (orig[9] == 1 && len > ihl && orig[ihl] != 8 && orig[ihl] != 0)
		return;
	if ((orig[6] & 0x1f) != 0 || orig[7] != 0)
		return;
	quote = ihl + 8 < len ? ihl + 8 : len;
	memset(pkt, 0, 28);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)((28 + quote) >> 8);
	pkt[3] = (uint8_t)(28 + quote);
	pkt[8] = 64;
	pkt[9] = 1;
	/*
	 * From the address that could not be reached: it is routed through
	 * this device, so the kernel's source validation accepts it, where
	 * one of its own addresses would be dropped as a martian.
	 */
	memcpy(pkt + 12, orig + 16, 4);
	memcpy(pkt + 16, orig + 12, 4);
	c = csum16(pkt, 20, 0);
	pkt[10] = (uint8_t)(c >> 8);
	pkt[11] = (uint8_t)c;
	pkt[20] = 3;
	pkt[21] = code;
	pkt[26] = (uint8_t)(mtu >> 8);
	pkt[27] = (uint8_t)mtu;
	memcpy(pkt + 28, orig, quote);
	c = csum16(pkt + 20, 8 + quote, 0);
	pkt[22] = (uint8_t)(c >> 8);
	pkt[23] = (uint8_t)c;
	stats->icmp_sent++;
	tun_write(pkt, 28 + quote);
}

/* icmp_rate: host unreachables per second, for pool addresses unused. */
void
tun_unreachable(const uint8_t *pkt, size_t len, in_addr_t dst)
{
	static time_t second;
	static int sent;

	if (config->icmp_rate <= 0 || !(tun_routed(dst) || ippool_find(dst) >= 0))
		return;
	if (second != time_now) {
		second = time_now;
		sent = 0;
	}
	if (sent >= config->icmp_rate) {
		stats->icmp_rate_limited++;
		return;
	}
	sent++;
	tun_icmp_error(pkt, len, 1, 0);
}

int
tun_uring_init(void)
{
	int rc;

	if (tun_fd < 0)
		return -1;
	if ((rc = io_uring_queue_init(URING_DEPTH, &uring, 0)) < 0) {
		log_error("tun_uring: io_uring_queue_init: %s; writing each "
		    "packet", strerror(-rc));
		return -1;
	}
	if ((rc = io_uring_register_files(&uring, &tun_fd, 1)) < 0) {
		log_error("tun_uring: registering the device: %s; writing "
		    "each packet", strerror(-rc));
		io_uring_queue_exit(&uring);
		return -1;
	}
	uring_on = 1;
	log_info("tun_uring: upstream writes batched through io_uring");
	return 0;
}

void
tun_uring_flush(void)
{
	struct io_uring_cqe *cqe;
	unsigned done = 0, want = uring_n;

	if (want == 0)
		return;
	uring_n = 0;
	stats->dp_syscalls++;
	stats->tun_uring_submits++;
	if (io_uring_submit_and_wait(&uring, want) < 0)
		stats->tun_tx_errors++;
	while (done < want) {
		if (io_uring_peek_cqe(&uring, &cqe) != 0) {
			stats->dp_syscalls++;
			if (io_uring_wait_cqe(&uring, &cqe) != 0)
				break;
		}
		if (cqe->res < 0)
			stats->tun_tx_errors++;
		else {
			stats->tun_uring_writes++;
			stats->tun_tx_packets++;
			stats->tun_tx_bytes += cqe->user_data;
		}
		io_uring_cqe_seen(&uring, cqe);
		done++;
	}
}

int
tun_write_queued(const uint8_t *p, size_t len)
{
	struct io_uring_sqe *sqe;
	struct uring_slot *u;

	if (!uring_on)
		return tun_write(p, len);
	if (uring_n == URING_DEPTH)
		tun_uring_flush();
	if ((sqe = io_uring_get_sqe(&uring)) == NULL) {
		tun_uring_flush();
		if ((sqe = io_uring_get_sqe(&uring)) == NULL)
			return tun_write(p, len);
	}
	u = &uslot[uring_n++];
	memset(&u->vh, 0, sizeof(u->vh));
	u->iov[0].iov_base = &u->vh;
	u->iov[0].iov_len = (size_t)tun_vnet_len;
	u->iov[1].iov_base = (void *)(uintptr_t)p;
	u->iov[1].iov_len = len;
	if (tun_vnet_len)
		io_uring_prep_writev(sqe, 0, u->iov, 2, 0);
	else
		io_uring_prep_writev(sqe, 0, u->iov + 1, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = len;
	return 0;
}

/*
 * One IP packet to the kernel; counted, never logged per packet.  `vh`
 * is its virtio-net header (NULL: none, a plain packet), used only when
 * the device has them; a super-segment counts as the packets it holds.
 */
int
tun_write_vnet(const void *vh, const uint8_t *p, size_t len)
{
	static const struct virtio_net_hdr plain;
	const struct virtio_net_hdr *h = vh ? vh : &plain;
	struct iovec iov[2];
	ssize_t n;

	if (uring_n)
		tun_uring_flush();	/* what is queued goes first */
	stats->dp_syscalls++;
	if (tun_vnet_len) {
		iov[0].iov_base = (void *)(uintptr_t)h;
		iov[0].iov_len = (size_t)tun_vnet_len;
		iov[1].iov_base = (void *)(uintptr_t)p;
		iov[1].iov_len = len;
		n = writev(tun_fd, iov, 2);
	} else
		n = write(tun_fd, p, len);
	if (n < 0) {
		stats->tun_tx_errors++;
		return -1;
	}
	if (tun_vnet_len && h->gso_size && len > h->hdr_len) {
		uint64_t segs = (len - h->hdr_len + h->gso_size - 1) /
		    h->gso_size;

		stats->tun_tx_packets += segs;
		stats->tun_tx_bytes += len + (segs - 1) * h->hdr_len;
		stats->tun_gro_writes++;
		stats->tun_gro_segments += segs;
	} else {
		stats->tun_tx_packets++;
		stats->tun_tx_bytes += len;
	}
	return 0;
}

int
tun_write(const uint8_t *p, size_t len)
{
	return tun_write_vnet(NULL, p, len);
}

int
tun_set_mtu(const char *ifname, int mtu)
{
	struct ifreq ifr;
	int s, rc = 0;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		log_error("cannot set MTU %d on %s: %s", mtu, ifname,
		    strerror(errno));
		rc = -1;
	}
	close(s);
	return rc;
}

/*
 * Give the device its address and MTU and bring it up.  The address is a
 * /32: subscribers' addresses are routed to the device, not on-link.
 */
int
tun_configure(const char *ifname, in_addr_t addr, int mtu)
{
	struct ifreq ifr;
	struct sockaddr_in *sin;
	int s, rc = -1;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		log_crit("socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
		log_crit("cannot set address of %s: %s", ifname,
		    strerror(errno));
		goto out;
	}
	sin->sin_addr.s_addr = htonl(0xffffffff);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) {
		log_crit("cannot set netmask of %s: %s", ifname,
		    strerror(errno));
		goto out;
	}
	if (tun_set_mtu(ifname, mtu) < 0)
		goto out;
	memset(&ifr.ifr_ifru, 0, sizeof(ifr.ifr_ifru));
	ifr.ifr_qlen = 1000;
	if (ioctl(s, SIOCSIFTXQLEN, &ifr) < 0)
		log_warnx("cannot set txqueuelen of %s: %s", ifname,
		    strerror(errno));
	memset(&ifr.ifr_ifru, 0, sizeof(ifr.ifr_ifru));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		log_crit("cannot read flags of %s: %s", ifname,
		    strerror(errno));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		log_crit("cannot bring %s up: %s", ifname, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(s);
	return rc;
}
