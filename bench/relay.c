/*
 * relay.c - the benchmark's ceiling: a TUN <-> UDP relay that does no
 * protocol work, run in the LNS's place with the LNS's sessions.
 *
 *   relay --tun NAME --bind ADDR[:PORT] --map FILE
 *
 * The driver (bench/bench.py) brings the sessions up through l2tpns with
 * lacsim, stops l2tpns, and starts this relay on the same address, port
 * and TUN name, with a map of the sessions written from lacsim's ppp_up
 * events, one a line:
 *
 *     IP LOCAL_TID LOCAL_SID LNS_TID
 *
 * (the session's address, lacsim's tunnel and session ids, the tunnel id
 * the LNS had assigned).  lacsim goes on sending what it sent to l2tpns.
 *
 * Upstream, each L2TP data message has its header (RFC 2661 3.1) and the
 * PPP address, control and protocol fields skipped and the IPv4 packet is
 * written to the TUN device; the source address of the first message of
 * each LNS tunnel id is remembered as that tunnel's LAC endpoint.
 * Downstream, each packet read from the TUN device is looked up by
 * destination address (open addressing, O(1)), given an L2TP header with
 * lacsim's ids and FF 03 00 21, and sent to the tunnel's endpoint; the
 * messages of one turn go out with one sendmmsg().  Control messages are
 * ignored: this is the cost of moving the packets and nothing else.
 *
 * SIGUSR1 prints the counters as a JSON line; SIGTERM prints them and
 * exits.  Nothing is allocated per packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "benchsig.h"

#define BUDGET		64		/* packets per fd per turn */
#define PKT_MAX		2048
#define HEADROOM	16		/* L2TP (6) and PPP (4) fit */
#define L2TP_T		0x8000
#define L2TP_L		0x4000
#define L2TP_S		0x0800
#define L2TP_O		0x0200
#define L2TP_VER_MASK	0x000f

struct sess {
	uint32_t	 ip;		/* network order; 0: empty slot */
	uint16_t	 ltid, lsid;	/* lacsim's */
	uint16_t	 ptid;		/* the LNS's tunnel id */
};

static struct {
	const char		*tun;
	struct sockaddr_in	 bind;
	const char		*map;
} opt;

static struct sess		*tab;
static uint32_t			 tab_mask;
static struct sockaddr_in	 endpoint[65536];	/* by LNS tunnel id */
static uint8_t			 learned[65536];

static struct {
	uint64_t	 up_rx, up_tx, up_ctrl, up_bad;
	uint64_t	 down_rx, down_tx, down_nosess, down_nopeer, down_err;
} st;

static uint32_t
hash_ip(uint32_t ip)
{
	/* Fibonacci hashing: the pool's addresses differ in the low bits. */
	return (uint32_t)((ip * 2654435769u) >> 7);
}

static struct sess *
sess_find(uint32_t ip, int insert)
{
	uint32_t i = hash_ip(ip) & tab_mask;

	while (tab[i].ip != 0) {
		if (tab[i].ip == ip)
			return &tab[i];
		i = (i + 1) & tab_mask;
	}
	return insert ? &tab[i] : NULL;
}

static int
load_map(void)
{
	unsigned ltid, lsid, ptid;
	char line[256], ipbuf[64];
	uint32_t n = 0, size;
	struct in_addr a;
	struct sess *s;
	FILE *f;

	if ((f = fopen(opt.map, "r")) == NULL) {
		perror(opt.map);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	for (size = 1024; size < 2 * n; size *= 2)
		;
	if ((tab = calloc(size, sizeof(*tab))) == NULL) {
		fclose(f);
		return -1;
	}
	tab_mask = size - 1;
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %u %u %u", ipbuf, &ltid, &lsid,
		    &ptid) != 4 || inet_pton(AF_INET, ipbuf, &a) != 1 ||
		    a.s_addr == 0 || ltid > 65535 || lsid > 65535 ||
		    ptid > 65535) {
			fprintf(stderr, "relay: %s: bad line: %s", opt.map,
			    line);
			fclose(f);
			return -1;
		}
		s = sess_find(a.s_addr, 1);
		s->ip = a.s_addr;
		s->ltid = (uint16_t)ltid;
		s->lsid = (uint16_t)lsid;
		s->ptid = (uint16_t)ptid;
	}
	fclose(f);
	return 0;
}

static int
tun_open(const char *name)
{
	struct ifreq ifr;
	int fd, s;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		goto fail;
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		goto fail;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) {
		close(s);
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		close(s);
		goto fail;
	}
	close(s);
	return fd;
fail:
	close(fd);
	return -1;
}

static void
report(void)
{
	printf("{\"up_rx\":%llu,\"up_tx\":%llu,\"up_ctrl\":%llu,"
	    "\"up_bad\":%llu,\"down_rx\":%llu,\"down_tx\":%llu,"
	    "\"down_nosess\":%llu,\"down_nopeer\":%llu,\"down_err\":%llu}\n",
	    (unsigned long long)st.up_rx, (unsigned long long)st.up_tx,
	    (unsigned long long)st.up_ctrl, (unsigned long long)st.up_bad,
	    (unsigned long long)st.down_rx, (unsigned long long)st.down_tx,
	    (unsigned long long)st.down_nosess,
	    (unsigned long long)st.down_nopeer,
	    (unsigned long long)st.down_err);
	fflush(stdout);
}

/*
 * One L2TP data message: skip the header and PPP's fields, hand the IPv4
 * packet to the TUN device.
 */
static void
upstream_one(int tunfd, const uint8_t *p, size_t n,
    const struct sockaddr_in *from)
{
	size_t off = 6;
	uint16_t flags, tid;

	st.up_rx++;
	if (n < 6)
		goto bad;
	flags = (uint16_t)(p[0] << 8 | p[1]);
	if ((flags & L2TP_VER_MASK) != 2)
		goto bad;
	if (flags & L2TP_T) {
		st.up_ctrl++;
		return;
	}
	if (flags & L2TP_L)
		off += 2;
	tid = (uint16_t)(p[off - 4] << 8 | p[off - 3]);
	if (flags & L2TP_S)
		off += 4;
	if (flags & L2TP_O) {
		if (n < off + 2)
			goto bad;
		off += 2 + (size_t)(p[off] << 8 | p[off + 1]);
	}
	if (n >= off + 2 && p[off] == 0xff && p[off + 1] == 0x03)
		off += 2;
	if (n >= off + 1 && p[off] == 0x21)
		off += 1;
	else if (n >= off + 2 && p[off] == 0x00 && p[off + 1] == 0x21)
		off += 2;
	else
		goto bad;
	if (n < off + 20)
		goto bad;
	if (!learned[tid] || endpoint[tid].sin_port != from->sin_port ||
	    endpoint[tid].sin_addr.s_addr != from->sin_addr.s_addr) {
		endpoint[tid] = *from;
		learned[tid] = 1;
	}
	if (write(tunfd, p + off, n - off) == (ssize_t)(n - off))
		st.up_tx++;
	else
		st.up_bad++;
	return;
bad:
	st.up_bad++;
}

static void
upstream(int udpfd, int tunfd)
{
	static uint8_t bufs[BUDGET][PKT_MAX];
	static struct mmsghdr mm[BUDGET];
	static struct iovec iov[BUDGET];
	static struct sockaddr_in from[BUDGET];
	int i, n;

	for (i = 0; i < BUDGET; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = PKT_MAX;
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	n = recvmmsg(udpfd, mm, BUDGET, MSG_DONTWAIT, NULL);
	for (i = 0; i < n; i++)
		upstream_one(tunfd, bufs[i], mm[i].msg_len, &from[i]);
}

static void
downstream(int tunfd, int udpfd)
{
	static uint8_t bufs[BUDGET][HEADROOM + PKT_MAX];
	static struct mmsghdr mm[BUDGET];
	static struct iovec iov[BUDGET];
	const struct sess *s;
	uint32_t dst;
	uint8_t *p;
	ssize_t n;
	int i, k = 0, sent;

	for (i = 0; i < BUDGET; i++) {
		p = bufs[k] + HEADROOM;
		n = read(tunfd, p, PKT_MAX);
		if (n < 0)
			break;
		st.down_rx++;
		if (n < 20 || (p[0] >> 4) != 4)
			continue;
		memcpy(&dst, p + 16, 4);
		if ((s = sess_find(dst, 0)) == NULL) {
			st.down_nosess++;
			continue;
		}
		if (!learned[s->ptid]) {
			st.down_nopeer++;
			continue;
		}
		p -= 10;
		p[0] = 0x00;		/* no T, L, S, O, P: RFC 2661 3.1 */
		p[1] = 0x02;		/* version 2 */
		p[2] = (uint8_t)(s->ltid >> 8);
		p[3] = (uint8_t)s->ltid;
		p[4] = (uint8_t)(s->lsid >> 8);
		p[5] = (uint8_t)s->lsid;
		p[6] = 0xff;
		p[7] = 0x03;
		p[8] = 0x00;
		p[9] = 0x21;
		iov[k].iov_base = p;
		iov[k].iov_len = (size_t)n + 10;
		memset(&mm[k].msg_hdr, 0, sizeof(mm[k].msg_hdr));
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
		mm[k].msg_hdr.msg_name = &endpoint[s->ptid];
		mm[k].msg_hdr.msg_namelen = sizeof(endpoint[s->ptid]);
		k++;
	}
	for (i = 0; i < k; i += sent) {
		sent = sendmmsg(udpfd, mm + i, (unsigned)(k - i), 0);
		if (sent <= 0) {
			st.down_err += (uint64_t)(k - i);
			break;
		}
		st.down_tx += (uint64_t)sent;
	}
}

static int
parse_args(int argc, char **argv)
{
	char addr[64], *colon;
	int i;

	opt.bind.sin_family = AF_INET;
	opt.bind.sin_port = htons(1701);
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--tun") == 0) {
			opt.tun = argv[i + 1];
		} else if (strcmp(argv[i], "--map") == 0) {
			opt.map = argv[i + 1];
		} else if (strcmp(argv[i], "--bind") == 0) {
			snprintf(addr, sizeof(addr), "%s", argv[i + 1]);
			if ((colon = strchr(addr, ':')) != NULL) {
				*colon = '\0';
				opt.bind.sin_port =
				    htons((uint16_t)atoi(colon + 1));
			}
			if (inet_pton(AF_INET, addr,
			    &opt.bind.sin_addr) != 1)
				return -1;
		} else {
			return -1;
		}
	}
	if (i != argc || opt.tun == NULL || opt.map == NULL)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[2];
	int udpfd, tunfd, epfd, i, n, v = 8 << 20;

	if (parse_args(argc, argv) == -1) {
		fprintf(stderr, "usage: relay --tun NAME --bind ADDR[:PORT] "
		    "--map FILE\n");
		return 2;
	}
	if (load_map() == -1)
		return 1;
	if ((tunfd = tun_open(opt.tun)) == -1) {
		fprintf(stderr, "relay: tun %s: %s\n", opt.tun,
		    strerror(errno));
		return 1;
	}
	udpfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (udpfd == -1 || bind(udpfd, (struct sockaddr *)&opt.bind,
	    sizeof(opt.bind)) == -1) {
		perror("relay: udp");
		return 1;
	}
	/* The same buffers as l2tpns's L2TP socket (8 MB). */
	setsockopt(udpfd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	setsockopt(udpfd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v));
	bench_signals();
	if ((epfd = epoll_create1(0)) == -1)
		return 1;
	ev.events = EPOLLIN;
	ev.data.fd = udpfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, udpfd, &ev);
	ev.data.fd = tunfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tunfd, &ev);
	printf("{\"ready\":true}\n");
	fflush(stdout);
	while (!got_term) {
		n = epoll_wait(epfd, evs, 2, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == udpfd)
				upstream(udpfd, tunfd);
			else
				downstream(tunfd, udpfd);
		}
		if (got_usr1) {
			got_usr1 = 0;
			report();
		}
	}
	report();
	return 0;
}
