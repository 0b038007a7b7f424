/*
 * l2tpns-capture - write the copies of an intercepted session to a pcap
 * file (manual, "Interception").
 *
 *	l2tpns-capture -p PORT -w FILE [-b ADDR] [-f FROM] [-c COUNT] [-q]
 *
 * l2tpns sends each packet of an intercepted session, both ways, as the
 * payload of one UDP datagram, with no header of its own.  This tool
 * listens on ADDR:PORT (every address by default) and writes each
 * datagram's payload to FILE ("-" for standard output) as one packet of
 * link type RAW (LINKTYPE_RAW, 101): the packet starts with its IP
 * header, so IPv4 and IPv6 both decode (tcpdump -r FILE, tshark -r
 * FILE).  The time of a packet is the time the datagram arrived.
 *
 * The file is flushed whenever the socket has been drained, so a reader
 * sees each packet within moments.  TERM, INT or HUP write what has
 * already arrived, then close the file and end the program (status 0),
 * as COUNT packets (-c) do.  With -f only datagrams from the address
 * FROM (the LNS) are written; others are counted and dropped.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#define MAXPKT		65535	/* the largest UDP payload */
#define RCVBUF		(4 * 1024 * 1024)
#define BUDGET		64	/* datagrams between two flushes */
#define LATE		64	/* batches still read after a signal */

static volatile sig_atomic_t stop;

static void
usage(void)
{
	fprintf(stderr, "usage: l2tpns-capture -p PORT -w FILE [-b ADDR] "
	    "[-f FROM] [-c COUNT] [-q]\n"
	    "  -p PORT   UDP port to listen on (the port given to snoop)\n"
	    "  -w FILE   pcap file to write, - for standard output\n"
	    "  -b ADDR   listen on ADDR only (default: every address)\n"
	    "  -f FROM   keep only datagrams sent from FROM\n"
	    "  -c COUNT  stop after COUNT packets\n"
	    "  -q        no summary on exit\n");
	exit(2);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end || errno || *v > max ? -1 : 0;
}

/* A numeric address (IPv4 or IPv6) and port into *ss; -1 if not one. */
static int
numeric_addr(const char *host, unsigned long port,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *ai;
	char serv[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(serv, sizeof(serv), "%lu", port);
	if (getaddrinfo(host, serv, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Same address (v4-mapped IPv6 counts as IPv4), port ignored. */
static int
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const uint8_t *pa, *pb;
	uint8_t ma[16], mb[16];
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	pa = a->ss_family == AF_INET ?
	    (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr :
	    (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
	pb = b->ss_family == AF_INET ?
	    (const uint8_t *)&((const struct sockaddr_in *)b)->sin_addr :
	    (const uint8_t *)&((const struct sockaddr_in6 *)b)->sin6_addr;
	memcpy(ma, v4mapped, 12);
	memcpy(mb, v4mapped, 12);
	if (a->ss_family == AF_INET)
		memcpy(ma + 12, pa, 4);
	else
		memcpy(ma, pa, 16);
	if (b->ss_family == AF_INET)
		memcpy(mb + 12, pb, 4);
	else
		memcpy(mb, pb, 16);
	return memcmp(ma, mb, 16) == 0;
}

/*
 * A UDP socket bound to host:port; -1 on a system error (reported), -2
 * if the address family is not supported here, -3 for a bad address.
 */
static int
listener(const char *host, unsigned long port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, on = 1, off = 0, rcvbuf = RCVBUF;

	if (numeric_addr(host, port, &ss, &sslen) < 0) {
		fprintf(stderr, "l2tpns-capture: bad address \"%s\"\n", host);
		return -3;
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		if (errno == EAFNOSUPPORT)
			return -2;
		perror("l2tpns-capture: socket");
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off));
	/* Room for a burst; the time each datagram arrived. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		fprintf(stderr, "l2tpns-capture: cannot listen on %s port %lu: "
		    "%s\n", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	const char *file = NULL, *bind_host = NULL, *from_host = NULL;
	unsigned long port = 0, count = 0, captured = 0, foreign = 0;
	struct sockaddr_storage from, src;
	socklen_t fromlen = 0;
	struct sigaction sa;
	sigset_t block, orig;
	pcap_t *pd;
	pcap_dumper_t *dump;
	static uint8_t buf[MAXPKT];
	char cbuf[CMSG_SPACE(sizeof(struct timeval))];
	int c, fd, quiet = 0, failed = 0, late = 0;

	while ((c = getopt(argc, argv, "p:w:b:f:c:qh")) != -1) {
		switch (c) {
		case 'p':
			if (parse_ulong(optarg, 65535, &port) < 0 || port == 0)
				usage();
			break;
		case 'w':
			file = optarg;
			break;
		case 'b':
			bind_host = optarg;
			break;
		case 'f':
			from_host = optarg;
			break;
		case 'c':
			if (parse_ulong(optarg, ULONG_MAX, &count) < 0)
				usage();
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == 0 || file == NULL)
		usage();

	if (from_host && numeric_addr(from_host, 0, &from, &fromlen) < 0) {
		fprintf(stderr, "l2tpns-capture: bad address \"%s\"\n",
		    from_host);
		return 2;
	}
	/* Every address: IPv6's any address, which takes IPv4 too. */
	fd = listener(bind_host ? bind_host : "::", port);
	if (fd == -2 && bind_host == NULL)
		fd = listener("0.0.0.0", port);		/* no IPv6 here */
	if (fd < 0)
		return fd == -3 ? 2 : 1;

	if ((pd = pcap_open_dead(DLT_RAW, MAXPKT)) == NULL) {
		fprintf(stderr, "l2tpns-capture: pcap_open_dead failed\n");
		return 1;
	}
	if ((dump = pcap_dump_open(pd, file)) == NULL) {
		fprintf(stderr, "l2tpns-capture: %s\n", pcap_geterr(pd));
		pcap_close(pd);
		return 1;
	}
	pcap_dump_flush(dump);	/* the header: a reader can open it now */

	/*
	 * The signals stay blocked except inside ppoll(), so one that
	 * arrives between two waits is never missed.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);

	if (!quiet)
		fprintf(stderr, "l2tpns-capture: listening on UDP port %lu, "
		    "writing %s\n", port, file);
	/*
	 * After a signal, what has already arrived is still written (at
	 * most LATE more batches, so a flood cannot keep us running).
	 */
	while (!failed && (count == 0 || captured < count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n, got = 0, wrote = 0;

		if (!stop && ppoll(&pfd, 1, NULL, &orig) < 0 &&
		    errno != EINTR) {
			perror("l2tpns-capture: poll");
			failed = 1;
			break;
		}
		for (n = 0; n < BUDGET && (count == 0 || captured < count);
		    n++) {
			struct iovec iov = { .iov_base = buf,
			    .iov_len = sizeof(buf) };
			struct msghdr mh;
			struct cmsghdr *cm;
			struct pcap_pkthdr h;
			ssize_t len;

			memset(&mh, 0, sizeof(mh));
			mh.msg_name = &src;
			mh.msg_namelen = sizeof(src);
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			len = recvmsg(fd, &mh, MSG_DONTWAIT);
			if (len < 0) {
				if (errno != EAGAIN && errno != EINTR) {
					perror("l2tpns-capture: recvmsg");
					failed = 1;
				}
				break;
			}
			got++;
			if (len == 0 || (from_host && !same_host(&src, &from))) {
				foreign++;
				continue;
			}
			memset(&h, 0, sizeof(h));
			gettimeofday(&h.ts, NULL);
			for (cm = CMSG_FIRSTHDR(&mh); cm;
			    cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SO_TIMESTAMP)
					memcpy(&h.ts, CMSG_DATA(cm),
					    sizeof(h.ts));
			h.caplen = h.len = (bpf_u_int32)len;
			pcap_dump((u_char *)dump, &h, buf);
			captured++;
			wrote = 1;
		}
		if (wrote && pcap_dump_flush(dump) < 0) {
			fprintf(stderr, "l2tpns-capture: writing %s: %s\n",
			    file, strerror(errno));
			failed = 1;
		}
		if (stop && (got == 0 || ++late > LATE))
			break;
	}
	pcap_dump_close(dump);
	pcap_close(pd);
	close(fd);
	if (!quiet)
		fprintf(stderr, "l2tpns-capture: %lu packets written to %s, "
		    "%lu datagrams ignored\n", captured, file, foreign);
	return failed;
}
