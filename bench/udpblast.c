/*
 * udpblast.c - the benchmark's host behind the LNS: a UDP sink for the
 * upstream runs and a UDP source for the downstream runs.
 *
 *   udpblast sink --port P [--sessions N] [--report-ms MS]
 *   udpblast source --dsts FILE --port P --size BYTES --pps N
 *       --seconds S [--report-ms MS]
 *
 * The sink counts every datagram on UDP port P (recvmmsg() in batches)
 * and, for those that carry lacsim's traffic header (the magic "LACS",
 * the session's global number, a sequence number, the send time;
 * test/lacsim/traffic.c), how many distinct sessions were heard, so that
 * a run can show that every session forwarded and not just a few.
 * SIGUSR1 forgets which sessions were heard.
 *
 * The source sends datagrams of BYTES octets of IP packet round robin to
 * the IPv4 addresses listed in FILE (one a line: the sessions' addresses),
 * at N a second (0: as fast as it can) for S seconds, sendmmsg() in
 * batches of BATCH.  The kernel builds the IP and UDP headers and the
 * payload is the same for every datagram but for a sequence number, so
 * the work per packet here is one slot of a sendmmsg() call.
 *
 * Both print a JSON line of cumulative counters every MS milliseconds
 * (and a last one at the end) with "t", the CLOCK_MONOTONIC time in
 * seconds: the same clock as Python's time.monotonic(), which is how the
 * driver (bench/bench.py) lines them up with its own samples.
 *
 * Nothing is allocated per packet; the only state is the option block,
 * the batch buffers and the per-session counters of the sink.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "benchsig.h"

#define BATCH		64
#define BUF_LEN		2048
#define LACS_MAGIC	0x4c414353	/* "LACS" */
#define MAX_DSTS	(1 << 24)
#define UDP_IP_HDRS	28		/* IPv4 and UDP headers */

static struct {
	int		 sink;
	uint16_t	 port;
	uint32_t	 sessions;	/* sink: highest session number kept */
	const char	*dsts;
	unsigned	 size;
	double		 pps;
	double		 seconds;
	double		 report_ms;
} opt = {
	.sessions = 1 << 22,
	.size = 64,
	.report_ms = 200,
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: udpblast sink --port P [--sessions N] [--report-ms MS]\n"
	    "       udpblast source --dsts FILE --port P --size BYTES "
	    "--pps N --seconds S\n"
	    "                [--report-ms MS]\n");
	exit(2);
}

static double
num(const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "udpblast: bad number %s (%g to %g)\n", s, lo,
		    hi);
		exit(2);
	}
	return v;
}

static void
parse_args(int argc, char **argv)
{
	int i;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "sink") == 0)
		opt.sink = 1;
	else if (strcmp(argv[1], "source") != 0)
		usage();
	for (i = 2; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc)
			usage();
		if (strcmp(o, "--port") == 0)
			opt.port = (uint16_t)num(argv[++i], 1, 65535);
		else if (strcmp(o, "--sessions") == 0)
			opt.sessions = (uint32_t)num(argv[++i], 1, MAX_DSTS);
		else if (strcmp(o, "--dsts") == 0)
			opt.dsts = argv[++i];
		else if (strcmp(o, "--size") == 0)
			opt.size = (unsigned)num(argv[++i], UDP_IP_HDRS + 4,
			    1500);
		else if (strcmp(o, "--pps") == 0)
			opt.pps = num(argv[++i], 0, 1e9);
		else if (strcmp(o, "--seconds") == 0)
			opt.seconds = num(argv[++i], 0.001, 1e6);
		else if (strcmp(o, "--report-ms") == 0)
			opt.report_ms = num(argv[++i], 10, 60000);
		else
			usage();
	}
	if (opt.port == 0 || (!opt.sink && (opt.dsts == NULL ||
	    opt.seconds == 0)))
		usage();
}

static int
big_buffer(int fd, int which)
{
	int v = 8 << 20;

	/* The FORCE variants pass rmem_max/wmem_max; we run as root. */
	if (setsockopt(fd, SOL_SOCKET, which == SO_RCVBUF ? SO_RCVBUFFORCE :
	    SO_SNDBUFFORCE, &v, sizeof(v)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, which, &v, sizeof(v)) == -1)
		return -1;
	return 0;
}

/* ---- sink ---- */

static int
run_sink(void)
{
	static uint8_t bufs[BATCH][BUF_LEN];
	static struct mmsghdr mm[BATCH];
	static struct iovec iov[BATCH];
	struct sockaddr_in sin;
	struct timeval tmo;
	uint64_t pkts = 0, bytes = 0, tagged = 0, seen = 0;
	uint8_t *heard;
	double next;
	int fd, i, n;

	heard = calloc((size_t)opt.sessions + 1, 1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (heard == NULL || fd == -1) {
		perror("udpblast: sink");
		return 1;
	}
	big_buffer(fd, SO_RCVBUF);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(opt.port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("udpblast: bind");
		return 1;
	}
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = BUF_LEN;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	next = now_s();
	/* A receive timeout wakes us for the report when idle. */
	tmo.tv_sec = 0;
	tmo.tv_usec = (long)(opt.report_ms * 500);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	while (!got_term) {
		n = recvmmsg(fd, mm, BATCH, MSG_WAITFORONE, NULL);
		for (i = 0; i < n; i++) {
			const uint8_t *p = bufs[i];
			uint32_t len = mm[i].msg_len, magic, num_;

			pkts++;
			bytes += len + UDP_IP_HDRS;
			if (len < 8)
				continue;
			magic = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[2] << 8 | p[3];
			num_ = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
			    (uint32_t)p[6] << 8 | p[7];
			if (magic != LACS_MAGIC)
				continue;
			tagged++;
			if (num_ <= opt.sessions && !heard[num_]) {
				heard[num_] = 1;
				seen++;
			}
		}
		if (got_usr1) {
			got_usr1 = 0;
			memset(heard, 0, (size_t)opt.sessions + 1);
			seen = 0;
		}
		if (now_s() >= next) {
			printf("{\"t\":%.6f,\"rx\":%llu,\"rx_bytes\":%llu,"
			    "\"tagged\":%llu,\"sessions_seen\":%llu}\n",
			    now_s(), (unsigned long long)pkts,
			    (unsigned long long)bytes,
			    (unsigned long long)tagged,
			    (unsigned long long)seen);
			fflush(stdout);
			next += opt.report_ms / 1e3;
			if (next < now_s())
				next = now_s() + opt.report_ms / 1e3;
		}
	}
	return 0;
}

/* ---- source ---- */

static uint32_t *
read_dsts(uint32_t *count)
{
	char line[128];
	struct in_addr a;
	uint32_t *v = NULL, n = 0, cap = 0;
	FILE *f;

	if ((f = fopen(opt.dsts, "r")) == NULL) {
		perror(opt.dsts);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (inet_pton(AF_INET, line, &a) != 1) {
			fprintf(stderr, "udpblast: %s: bad address %s\n",
			    opt.dsts, line);
			fclose(f);
			free(v);
			return NULL;
		}
		if (n == cap) {
			uint32_t *nv;

			cap = cap ? cap * 2 : 1024;
			if (cap > MAX_DSTS ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				fprintf(stderr, "udpblast: too many "
				    "addresses\n");
				fclose(f);
				free(v);
				return NULL;
			}
			v = nv;
		}
		v[n++] = a.s_addr;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "udpblast: %s: no address\n", opt.dsts);
		free(v);
		return NULL;
	}
	*count = n;
	return v;
}

static void
source_report(double t, uint64_t tx, uint64_t err)
{
	printf("{\"t\":%.6f,\"tx\":%llu,\"tx_bytes\":%llu,\"tx_errors\":"
	    "%llu}\n", t, (unsigned long long)tx,
	    (unsigned long long)(tx * opt.size), (unsigned long long)err);
	fflush(stdout);
}

static int
run_source(void)
{
	static uint8_t payload[BATCH][BUF_LEN];
	static struct mmsghdr mm[BATCH];
	static struct iovec iov[BATCH];
	static struct sockaddr_in to[BATCH];
	uint64_t tx = 0, err = 0, due;
	uint32_t *dst, ndst, rr = 0, j;
	double t0, t, end, next;
	size_t plen = opt.size - UDP_IP_HDRS;
	int fd, i, n, want;

	if ((dst = read_dsts(&ndst)) == NULL)
		return 1;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		perror("udpblast: socket");
		return 1;
	}
	big_buffer(fd, SO_SNDBUF);
	for (i = 0; i < BATCH; i++) {
		memcpy(payload[i], "BNCH", 4);
		iov[i].iov_base = payload[i];
		iov[i].iov_len = plen;
		to[i].sin_family = AF_INET;
		to[i].sin_port = htons(opt.port);
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_name = &to[i];
		mm[i].msg_hdr.msg_namelen = sizeof(to[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	end = t0 + opt.seconds;
	next = t0 + opt.report_ms / 1e3;
	source_report(t0, 0, 0);
	while (!got_term && (t = now_s()) < end) {
		want = BATCH;
		if (opt.pps > 0) {
			due = (uint64_t)((t - t0) * opt.pps) + 1;
			if (due <= tx + err) {
				struct timespec ts = { 0, 50000 };

				nanosleep(&ts, NULL);
				goto report;
			}
			if (due - tx - err < (uint64_t)want)
				want = (int)(due - tx - err);
		}
		for (i = 0, j = rr; i < want; i++) {
			uint64_t seq = tx + err + (uint64_t)i;

			to[i].sin_addr.s_addr = dst[j];
			if (++j == ndst)
				j = 0;
			memcpy(payload[i] + 4, &seq, sizeof(seq));
		}
		/*
		 * An error (ENOBUFS, say) loses the datagram it happened on;
		 * it counts as sent and failed, and the rest of the batch is
		 * left for the next call.
		 */
		n = sendmmsg(fd, mm, (unsigned)want, 0);
		if (n < 0 && errno != EINTR) {
			err++;
			n = 1;
		} else if (n > 0) {
			tx += (uint64_t)n;
		}
		/* Round robin resumes after what went out. */
		if (n > 0)
			rr = (uint32_t)(((uint64_t)rr + (uint64_t)n) % ndst);
report:
		if (t >= next) {
			source_report(t, tx, err);
			next += opt.report_ms / 1e3;
		}
	}
	source_report(now_s(), tx, err);
	free(dst);
	return 0;
}

int
main(int argc, char **argv)
{

	parse_args(argc, argv);
	bench_signals();
	return opt.sink ? run_sink() : run_source();
}
