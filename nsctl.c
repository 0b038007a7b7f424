/*
 * nsctl.c - send one command to a running l2tpns over its control
 * protocol (control.h) and print the answer.
 *
 *	nsctl [-d] [-h HOST[:PORT]] [-t TIMEOUT] COMMAND [ARG...]
 *
 * The request goes to HOST (default 127.0.0.1) port PORT (default 1702).
 * Without an answer it is sent again, with the same id, after a third of
 * TIMEOUT and after two thirds; nsctl gives up after TIMEOUT seconds
 * (default 3).  The daemon answers a repeat without running the command
 * twice.
 *
 * Exit status, for scripts:
 *	0	the command succeeded (its output on stdout)
 *	1	the command failed (the daemon's message on stderr)
 *	2	no built-in command or plugin knows the command
 *	3	no answer: timeout, port unreachable, or a malformed reply
 *	64	usage error
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "control.h"

#define DEFAULT_HOST	"127.0.0.1"
#define DEFAULT_PORT	1702
#define DEFAULT_TIMEOUT	3.0
#define ATTEMPTS	3

#define EXIT_FAILED	1
#define EXIT_UNKNOWN	2
#define EXIT_NOANSWER	3
#define EXIT_USAGE	64

static const char *progname = "nsctl";
static int dump;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-d] [-h HOST[:PORT]] [-t TIMEOUT] COMMAND [ARG...]\n"
	    "  -h HOST[:PORT]  l2tpns to talk to (default %s:%d)\n"
	    "  -t TIMEOUT      seconds to wait for the answer (default %.0f)\n"
	    "  -d              dump the datagrams sent and received\n"
	    "  --help          this text\n"
	    "\"%s help\" lists the commands the daemon and its plugins know.\n"
	    "Exit status: 0 done, 1 failed, 2 unknown command, 3 no answer,\n"
	    "64 usage.\n", progname, DEFAULT_HOST, DEFAULT_PORT,
	    DEFAULT_TIMEOUT, progname);
}

static void
hexdump(const char *title, const uint8_t *p, size_t len)
{
	size_t i;

	fprintf(stderr, "%s (%zu bytes):", title, len);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fputc('\n', stderr);
}

/* HOST, HOST:PORT, or [V6HOST]:PORT is not supported: IPv4 only. */
static int
resolve(const char *arg, struct sockaddr_in *sin)
{
	char host[256], *colon, *end;
	struct addrinfo hints, *res;
	long port = DEFAULT_PORT;
	int rc;

	if (snprintf(host, sizeof(host), "%s", arg) >= (int)sizeof(host)) {
		fprintf(stderr, "%s: host name too long\n", progname);
		return -1;
	}
	if ((colon = strrchr(host, ':')) != NULL) {
		*colon = '\0';
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || port < 1 ||
		    port > 65535) {
			fprintf(stderr, "%s: bad port \"%s\"\n", progname,
			    colon + 1);
			return -1;
		}
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, host,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(sin, res->ai_addr, sizeof(*sin));
	sin->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The request of the words argv[0..argc) under a new xid, encoded
 * into out; its length, or -1 (said why). */
static int
build_request(int argc, char **argv, uint32_t *xid, uint8_t *out,
    size_t cap)
{
	static struct ctl_msg req;
	int i, len;

	if (getrandom(xid, sizeof(*xid), 0) != (ssize_t)sizeof(*xid))
		*xid = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	ctl_init(&req, CTL_REQUEST, *xid, 0);
	if (argc > CTL_MAXARGS) {
		fprintf(stderr, "%s: too many arguments (at most %d)\n",
		    progname, CTL_MAXARGS - 1);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (strlen(argv[i]) > CTL_MAXARGLEN ||
		    ctl_add(&req, argv[i], strlen(argv[i])) < 0) {
			fprintf(stderr, "%s: arguments too long (at most %d "
			    "bytes each, %d in all)\n", progname,
			    CTL_MAXARGLEN, CTL_MAXMSG - CTL_HDRLEN);
			return -1;
		}
	}
	if ((len = ctl_encode(&req, out, cap)) < 0) {
		fprintf(stderr, "%s: request too large\n", progname);
		return -1;
	}
	return len;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctl_msg rep;
	static uint8_t out[CTL_MAXMSG], in[CTL_MAXMSG + 1];
	struct sockaddr_in to;
	const char *host = DEFAULT_HOST;
	char where[64], *end;
	double timeout = DEFAULT_TIMEOUT, start, next_send;
	uint32_t xid;
	int ch, fd, i, len, sent = 0;
	FILE *f;

	if (strrchr(argv[0], '/'))
		progname = strrchr(argv[0], '/') + 1;
	while ((ch = getopt_long(argc, argv, "+dh:t:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dump = 1;
			break;
		case 'h':
			host = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(timeout > 0) ||
			    timeout > 3600) {
				fprintf(stderr, "%s: bad timeout \"%s\" (seconds, "
				    "more than 0)\n", progname, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (resolve(host, &to) < 0)
		return EXIT_USAGE;
	snprintf(where, sizeof(where), "%s:%u", inet_ntoa(to.sin_addr),
	    ntohs(to.sin_port));

	if ((len = build_request(argc - optind, argv + optind, &xid, out,
	    sizeof(out))) < 0)
		return EXIT_USAGE;

	/* Connected, so an ICMP port unreachable comes back as an error. */
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, where,
		    strerror(errno));
		return EXIT_NOANSWER;
	}
	start = now_s();
	next_send = start;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		double now = now_s(), wait_s;
		ssize_t n;
		enum ctl_err e;

		if (now - start >= timeout) {
			fprintf(stderr, "%s: no answer from %s after %g s (is "
			    "l2tpns running there, with this nsctl_port, and "
			    "does its nsctl_allow include this host?)\n",
			    progname, where, timeout);
			return EXIT_NOANSWER;
		}
		if (now >= next_send && sent < ATTEMPTS) {
			if (dump)
				hexdump("request", out, (size_t)len);
			if (send(fd, out, (size_t)len, 0) < 0 &&
			    errno != ECONNREFUSED) {
				fprintf(stderr, "%s: send to %s: %s\n",
				    progname, where, strerror(errno));
				return EXIT_NOANSWER;
			}
			sent++;
			next_send = start + timeout * sent / ATTEMPTS;
		}
		wait_s = (sent < ATTEMPTS ? next_send : start + timeout) - now;
		if (wait_s < 0)
			wait_s = 0;
		if (poll(&pfd, 1, (int)(wait_s * 1000) + 1) <= 0)
			continue;
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				fprintf(stderr, "%s: %s: connection refused "
				    "(nothing listens on that port: is l2tpns "
				    "running there, with this nsctl_port?)\n",
				    progname, where);
				return EXIT_NOANSWER;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "%s: %s: %s\n", progname, where,
			    strerror(errno));
			return EXIT_NOANSWER;
		}
		if (dump)
			hexdump("reply", in, (size_t)n);
		if ((size_t)n > CTL_MAXMSG ||
		    (e = ctl_decode(&rep, in, (size_t)n, CTL_REPLY)) !=
		    CTL_E_NONE) {
			fprintf(stderr, "%s: malformed reply from %s: %s\n",
			    progname, where, (size_t)n > CTL_MAXMSG ?
			    "too long" : ctl_err_name(e));
			return EXIT_NOANSWER;
		}
		if (rep.xid != xid)
			continue;	/* an answer to an earlier nsctl */
		break;
	}
	close(fd);

	f = rep.result == CTL_RES_OK ? stdout : stderr;
	for (i = 0; i < rep.argc; i++)
		fprintf(f, "%s\n", rep.argv[i]);
	if (rep.argc == 0 && rep.result != CTL_RES_OK)
		fprintf(stderr, "%s: %s: %s\n", progname, argv[optind],
		    ctl_result_name(rep.result));
	switch (rep.result) {
	case CTL_RES_OK:
		return 0;
	case CTL_RES_UNKNOWN:
		return EXIT_UNKNOWN;
	default:
		return EXIT_FAILED;
	}
}
