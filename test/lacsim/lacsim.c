/*
 * lacsim.c - an L2TP LAC simulator for testing the l2tpns LNS.
 *
 * It opens tunnels and incoming-call sessions towards an LNS the way a LAC
 * does (RFC 2661 5.1, 5.2.1, 7.2.1, 7.4.1), holds them, answering HELLOs,
 * then clears them with CDN and StopCCN (5.6, 5.7), and reports every
 * event as a line on stdout (JSON with --json).  It is strict about what
 * the LNS sends: each breach of the RFC is an `error' event and makes the
 * exit status non-zero.  A raw mode sends hex datagrams and prints the
 * replies, for malformed-packet tests.
 *
 * State: the option block `opt', the run state `sim' (phase, counters,
 * the tunnel and session arrays, the PPP clients, all allocated once at
 * start), the data-message batch `dtx'.
 * Implements: the LAC side of RFC 2661 5.1.1 (tunnel authentication), 5.5
 * (HELLO), 5.8 (reliable delivery: Ns/Nr, ZLB, retransmission with
 * backoff, peer receive window, duplicate and out-of-order discard), 7.2.1
 * and 7.4.1 (the originator and LAC incoming call state tables), data
 * messages (3.1, 5.4 sequencing), and with --ppp the glue between each
 * session and its PPP client: frames in and out, PPP events, the teardown
 * order of RFC 1661 3.7, traffic timers; with --tun, a TUN device per
 * session whose packets it relays both ways.  The wire format lives in
 * l2tp_wire.c, the timer heap in lac_timer.c, PPP in ppp_wire.c and
 * ppp_client.c, IP traffic in traffic.c, the TUN devices and their
 * routing in tundev.c.
 *
 * Sockets: one UDP socket per tunnel, bound to --bind with an ephemeral
 * port and never connect()ed, so each tunnel looks to the LNS like a LAC
 * endpoint of its own.  The first control message from the LNS pins its
 * source port (RFC 2661 8.1 lets the LNS answer from a port other than
 * 1701); any datagram from another address or port is reported as an
 * error rather than silently filtered by the kernel.  All sockets are
 * non-blocking and share one epoll set; a single thread runs the loop.
 * Nothing is allocated per packet: each tunnel owns a ring of LAC_TXQ
 * message buffers for its unacknowledged messages, and a session waiting
 * for the window sits on a per-tunnel FIFO until a slot frees.  Data
 * messages (PPP frames) are written in place into a batch of LAC_DTX_BATCH
 * slots that goes out with one sendmmsg() per tunnel socket; packets read
 * from the TUN devices (--tun) are copied into the same batch.  The epoll
 * set tells the two kinds of descriptor apart by tag (EP_TDEV).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "l2tp_wire.h"
#include "lac_timer.h"
#include "ppp_client.h"
#include "traffic.h"
#include "tundev.h"

#define LAC_TXQ		8	/* in-flight messages per tunnel; 2^n */
#define LAC_MSG_MAX	1024	/* largest control message we build */
#define LAC_RX_BUDGET	64	/* datagrams read per socket per turn */
#define LAC_STR_MAX	128	/* --calling/--called after expansion */
#define LAC_CHAL_LEN	16
#define LAC_DEFAULT_RWS	4	/* RFC 2661 4.4.3, when the AVP is absent */
#define LAC_MAX_SESSIONS (1 << 22)	/* --tunnels times --sessions */
#define LAC_DTX_BATCH	64	/* data messages per sendmmsg() */
#define LAC_DTX_SLOT	1664	/* L2TP header, FF 03, a 1600-octet packet */
#define LAC_TIMERS_PPP	(CP_COUNT + 2)	/* timers per PPP client */
#define LAC_IFNAME_MAX	16	/* IFNAMSIZ, the NUL included */
#define LAC_TUN_PRIO	1000	/* --tun: priority of the source rules */
#define EP_TDEV		(1ULL << 32)	/* epoll tag: a session's TUN */

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* ---- options ---- */

static struct {
	const char		*lns_arg;
	struct sockaddr_storage	 lns;
	socklen_t		 lns_len;
	struct sockaddr_storage	 bind;
	socklen_t		 bind_len;
	int			 bind_port;	/* --bind gave a port */
	int			 tunnels;
	int			 sessions;
	const uint8_t		*secret;
	size_t			 secret_len;
	int			 hide;
	int			 challenge;
	const char		*hostname;
	const char		*vendor;
	double			 hold;
	int			 no_teardown;
	int			 json;
	int			 verbose;
	const char		*calling;
	const char		*called;
	double			 timeout;
	int			 retries;
	uint64_t		 rtx_initial;	/* microseconds */
	uint64_t		 rtx_cap;
	uint16_t		 rws;		/* 0: leave the AVP out */
	double			 hello;
	double			 linger;
	double			 rate;
	int			 max_pending;	/* --max-pending, 0: no cap */
	uint32_t		 tx_speed;
	uint32_t		 bearer_type;
	const char		*raw[64];
	int			 nraw;

	/* PPP, --ppp */
	int			 ppp;
	int			 no_ppp;	/* given explicitly */
	int			 ppp_implied;	/* a PPP option was given */
	uint16_t		 auth;
	int			 mschapv2;
	const char		*user;
	const char		*password;
	int			 wrong_password;
	int			 ipv6;
	uint16_t		 mru;
	double			 lcp_echo;
	double			 ppp_restart;
	int			 max_configure, max_terminate, max_failure;
	int			 no_echo_reply;
	int			 lcp_test_opt;
	int			 reject_mru;
	int			 send_ccp;

	/* traffic */
	const char		*traffic_dst;
	struct traffic_conf	 tc;
	const char		*control;	/* --control FILE */
	int			 hold_given;

	/* --tun: a TUN device per session */
	const char		*tun;
	uint32_t		 tun_table;	/* table of session number 0 */
} opt = {
	.tunnels = 1,
	.sessions = 1,
	.challenge = 1,
	.hostname = "lacsim",
	.vendor = "lacsim",
	.calling = "lacsim-%d",
	.called = "l2tpns",
	.timeout = 10,
	.retries = 5,
	.rtx_initial = 1000000,
	.rtx_cap = 8000000,
	.rws = 8,
	.hello = 60,
	.tx_speed = 100000000,
	.bearer_type = L2TP_BEARER_DIGITAL,
	.auth = PPP_PROTO_PAP,
	.user = "user%d",
	.password = "password",
	/*
	 * Below 1500 so that a full frame still fits a 1500-octet path
	 * after the outer IP, UDP and L2TP headers; RFC 1661 5.1 also
	 * asks not to send the default (1500) in a request.
	 */
	.mru = 1460,
	.ppp_restart = 3,		/* RFC 1661 4.6 defaults */
	.max_configure = 10,
	.max_terminate = 2,
	.max_failure = 5,
	.tc = { .dport = 9, .size = 100, .pps = 100, .duration = 10 },
	.tun_table = 1000,
};

/* ---- run state ---- */

enum tstate {
	T_IDLE,			/* not opened yet (--rate) */
	T_WAIT_REPLY,		/* 7.2.1 wait-ctl-reply: SCCRQ sent */
	T_ESTABLISHED,		/* SCCCN queued or sent */
	T_CLOSING,		/* StopCCN queued or sent */
	T_DONE
};

static const char *const tstate_name[] = {
	[T_IDLE] = "idle",
	[T_WAIT_REPLY] = "wait-ctl-reply",
	[T_ESTABLISHED] = "established",
	[T_CLOSING] = "closing",
	[T_DONE] = "done",
};

enum sstate {
	S_WAIT_TUNNEL,		/* 7.4.1 wait-tunnel: ICRQ not sent yet */
	S_WAIT_REPLY,		/* ICRQ sent */
	S_WAIT_ACK,		/* ICCN queued or sent, not acknowledged */
	S_UP,			/* ICCN acknowledged */
	S_CLOSING,		/* CDN queued or sent */
	S_DOWN
};

static const char *const sstate_name[] = {
	[S_WAIT_TUNNEL] = "wait-tunnel",
	[S_WAIT_REPLY] = "wait-reply",
	[S_WAIT_ACK] = "wait-iccn-ack",
	[S_UP] = "established",
	[S_CLOSING] = "closing",
	[S_DOWN] = "down",
};

struct txslot {
	uint16_t	 len;
	uint16_t	 ns;
	uint16_t	 type;
	int32_t		 sess;		/* index in the tunnel, or -1 */
	uint8_t		 buf[LAC_MSG_MAX];
};

struct tunnel;

struct session {
	struct tunnel	*t;
	int32_t		 idx;		/* in the tunnel; local sid - 1 */
	int32_t		 pend_next;	/* FIFO link */
	int32_t		 start_next;	/* --max-pending FIFO link, global */
	uint8_t		 in_setup;	/* counted in sim.in_setup */
	uint16_t	 lsid, psid;
	uint8_t		 state;
	uint8_t		 want;		/* message to send when there is room */
	uint8_t		 in_pend;
	uint8_t		 settled;	/* up or failed: no longer pending */
	uint8_t		 up;
	uint8_t		 failed;
	uint8_t		 lns_state;	/* the LNS knows it (in sess_open) */
	uint8_t		 ppp_ready;	/* PPP came up (once) */
	uint8_t		 ppp_closing;	/* teardown: LCP Close sent */
	uint8_t		 expect_down;	/* --wrong-password: LNS may clear */
	uint8_t		 data_seq;	/* RFC 2661 5.4: send Ns */
	uint16_t	 data_ns;
	uint16_t	 cdn_result, cdn_error;
	uint32_t	 serial;
	uint64_t	 t_start, t_up, t_ppp;
	struct ppp	*ppp;		/* NULL without --ppp */
	int		 tdev_fd;	/* --tun: the session's device, or -1 */
	unsigned	 tdev_ifindex;
	uint32_t	 tdev_addr;	/* the source of its rule */
	uint8_t		 tdev_rule;	/* the rule is in place */
};

#define WANT_SCCCN	0x01
#define WANT_HELLO	0x02
#define WANT_STOPCCN	0x04

struct tunnel {
	int		 idx;
	int		 fd;
	enum tstate	 state;
	uint16_t	 ltid, ptid;
	struct sockaddr_storage peer;
	socklen_t	 peer_len;
	int		 port_pinned;

	/* RFC 2661 5.8 */
	uint16_t	 ns_next;	/* Ns of our next message */
	uint16_t	 una;		/* oldest unacknowledged Ns */
	uint16_t	 nr;		/* Ns we expect next from the LNS */
	uint16_t	 peer_rws;
	int		 tries;
	int		 ack_due;
	struct txslot	 q[LAC_TXQ];
	struct ltimer	 rtx;
	struct ltimer	 aux;		/* HELLO when up, linger when done */

	uint8_t		 want;
	uint16_t	 stop_result, stop_error;
	char		 stop_msg[96];
	int32_t		 pend_head, pend_tail;
	struct session	*sess;
	int		 sess_open;	/* sessions the LNS holds state for */

	uint8_t		 chal[LAC_CHAL_LEN];
	int		 chal_sent;
	uint8_t		 resp[L2TP_CHAL_RESP_LEN];
	int		 resp_due;
	uint32_t	 framing;
	char		 peer_host[64];
	char		 peer_vendor[64];

	uint64_t	 t_start, t_up, last_rx;
	uint8_t		 settled, up, failed, clean, teardown, closed;
};

enum phase { PH_SETUP, PH_HOLD, PH_TEARDOWN, PH_EXIT };

static struct {
	uint64_t	 t0, now;
	enum phase	 phase;
	int		 epfd;
	struct tunnel	*tun;
	struct session	*sess;
	int		 ntun, nsess;
	int		 next_open;	/* --rate: next tunnel to open */
	int32_t		 start_head, start_tail;	/* --max-pending */
	int		 in_setup;	/* sessions between ICRQ and settled */
	struct ltimer	 deadline, hold, starter;
	uint32_t	 serial;
	uint64_t	 setup_end;
	int		 interrupted;

	int		 tun_pending, sess_pending, tun_open;
	int		 tunnels_up, sessions_up;
	int		 tunnels_clean, sessions_clean;
	int		 unexpected_down;
	long		 errors, timeouts, retransmits, hello_rx, data_rx;
	long		 ctrl_rx, ctrl_tx, zlb_tx, dup_rx, ooo_rx;

	/* PPP */
	struct ppp	*ppp;
	struct ppp_conf	 pconf;
	char		 password[256];
	long		 lcp_up, auth_ok, auth_failures, ppp_up, ppp_down;
	long		 auth_refused;	/* sessions, --wrong-password */
	long		 ppp_rejects, echo_rx, echo_tx, echo_ignored;
	long		 data_tx, data_tx_dropped;

	/* traffic */
	struct ltimer	 traffic_tm, report_tm;
	uint64_t	 last_tx, last_rx;
	int		 traffic;	/* generator or reflector on */

	/* --tun */
	int		 nl;		/* rtnetlink socket, or -1 */
	long		 tdev_up, tdev_down;
	uint64_t	 tdev_out_packets, tdev_out_bytes;	/* to the LNS */
	uint64_t	 tdev_in_packets, tdev_in_bytes;	/* from it */
	uint64_t	 tdev_dropped;
} sim;

static volatile sig_atomic_t	 got_signal;
static volatile sig_atomic_t	 got_control;	/* SIGUSR1, --control */
static uint8_t			 rxbuf[65536];

/* ---- event output: one line per event, JSON or key=value ---- */

#define EVBUF_LEN	(2 * sizeof(rxbuf) + 4096)
static char	 evbuf[EVBUF_LEN];
static size_t	 evlen;

static void ev_printf(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
ev_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (evlen >= EVBUF_LEN - 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(evbuf + evlen, EVBUF_LEN - 2 - evlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		evlen += (size_t)n < EVBUF_LEN - 2 - evlen ? (size_t)n :
		    EVBUF_LEN - 3 - evlen;
}

static void
ev_begin(const char *name)
{
	double t = (double)(lt_now() - sim.t0) / 1e6;

	evlen = 0;
	if (opt.json)
		ev_printf("{\"event\":\"%s\",\"t\":%.3f", name, t);
	else
		ev_printf("[%9.3f] %s", t, name);
}

static void
ev_key(const char *key)
{
	if (opt.json)
		ev_printf(",\"%s\":", key);
	else
		ev_printf(" %s=", key);
}

static void
ev_int(const char *key, long long v)
{
	ev_key(key);
	ev_printf("%lld", v);
}

static void
ev_ms(const char *key, uint64_t us)
{
	ev_key(key);
	ev_printf("%.3f", (double)us / 1000);
}

static void
ev_bool(const char *key, int v)
{
	ev_key(key);
	ev_printf("%s", v ? "true" : "false");
}

/* Quoted and escaped so any byte string makes valid JSON. */
static void
ev_str(const char *key, const char *s)
{
	const unsigned char *p;

	ev_key(key);
	ev_printf("\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			ev_printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			ev_printf("\\u%04x", *p);
		else
			ev_printf("%c", *p);
	}
	ev_printf("\"");
}

static void
ev_hex(const char *key, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	ev_key(key);
	ev_printf("\"");
	if (evlen + 8 >= EVBUF_LEN)
		n = 0;
	else if (evlen + 2 * n + 8 >= EVBUF_LEN)
		n = (EVBUF_LEN - evlen - 8) / 2;
	for (i = 0; i < n; i++) {
		evbuf[evlen++] = digits[p[i] >> 4];
		evbuf[evlen++] = digits[p[i] & 0xf];
	}
	ev_printf("\"");
}

static void
ev_end(void)
{
	if (opt.json)
		evbuf[evlen++] = '}';
	evbuf[evlen++] = '\n';
	fwrite(evbuf, 1, evlen, stdout);
	fflush(stdout);
}

static void
ev_tunnel(const struct tunnel *t)
{
	ev_int("tunnel", t->idx);
	ev_int("local_tid", t->ltid);
	ev_int("peer_tid", t->ptid);
}

static void
ev_session(const struct session *s)
{
	ev_tunnel(s->t);
	ev_int("session", s->idx);
	ev_int("local_sid", s->lsid);
	ev_int("peer_sid", s->psid);
}

static void terr(struct tunnel *, struct session *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* A protocol breach by the LNS, or a local failure, in a tunnel. */
static void
terr(struct tunnel *t, struct session *s, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim.errors++;
	ev_begin("error");
	if (s != NULL)
		ev_session(s);
	else if (t != NULL)
		ev_tunnel(t);
	if (t != NULL)
		ev_str("state", tstate_name[t->state]);
	ev_str("reason", why);
	ev_end();
}

static void gerr(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
gerr(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim.errors++;
	ev_begin("error");
	ev_str("reason", why);
	ev_end();
}

static const char *
msg_name(uint16_t type)
{
	const char *n = l2tp_msg_name(type);

	return n != NULL ? n : "unknown";
}

/* ---- helpers ---- */

static void
rand_fill(void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		r = getrandom(b, n, 0);
		if (r <= 0) {
			/* Only padding and nonces: random() will do. */
			for (; n > 0; n--)
				*b++ = (uint8_t)random();
			return;
		}
		b += r;
		n -= (size_t)r;
	}
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr))
	    == 0;
}

static uint16_t
addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

static const char *
addr_str(const struct sockaddr_storage *a)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	char host[INET6_ADDRSTRLEN];
	const void *src;

	if (a->ss_family == AF_INET)
		src = &((const struct sockaddr_in *)a)->sin_addr;
	else
		src = &((const struct sockaddr_in6 *)a)->sin6_addr;
	if (inet_ntop(a->ss_family, src, host, sizeof(host)) == NULL)
		return "?";
	snprintf(buf, sizeof(buf), a->ss_family == AF_INET6 ? "[%s]:%u" :
	    "%s:%u", host, addr_port(a));
	return buf;
}

/* --calling and --called: each %d becomes the session's global index. */
static void
expand_number(char *dst, size_t cap, const char *tmpl, long idx)
{
	struct wr w;
	char num[24];
	const char *p;
	int n;

	wr_init(&w, dst, cap - 1);
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			n = snprintf(num, sizeof(num), "%ld", idx);
			wr_bytes(&w, num, (size_t)n);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			wr_u8(&w, '%');
			p++;
		} else {
			wr_u8(&w, (uint8_t)*p);
		}
	}
	dst[w.err ? 0 : w.len] = '\0';
}

static int
open_socket(void)
{
	int fd, on = 1;

	fd = socket(opt.lns.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* RFC 2661 8.1: UDP checksums stay on; nothing to set for that. */
	/*
	 * --tun: kernel TCP bursts a window at a time into every session;
	 * a buffer that holds them keeps the counts exact (the tests compare
	 * ours with the LNS's).
	 */
	if (opt.tun != NULL) {
		int rcvbuf = 8 * 1024 * 1024;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		    sizeof(rcvbuf)) == -1)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			    sizeof(rcvbuf));
	}
	if (opt.bind_port)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (opt.bind_len > 0 &&
	    bind(fd, (struct sockaddr *)&opt.bind, opt.bind_len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- state changes, traced by name with -v (STYLE 6) ---- */

static void
tun_set_state(struct tunnel *t, enum tstate to)
{
	if (opt.verbose && t->state != to) {
		ev_begin("tunnel_state");
		ev_tunnel(t);
		ev_str("from", tstate_name[t->state]);
		ev_str("to", tstate_name[to]);
		ev_end();
	}
	t->state = to;
}

static void
sess_set_state(struct session *s, enum sstate to)
{
	if (opt.verbose && s->state != to) {
		ev_begin("session_state");
		ev_session(s);
		ev_str("from", sstate_name[s->state]);
		ev_str("to", sstate_name[to]);
		ev_end();
	}
	s->state = (uint8_t)to;
}

/* ---- forward declarations of the FSM ---- */

static void	tunnel_kick(struct tunnel *);
static void	tunnel_finish(struct tunnel *, int clean, const char *why);
static void	tunnel_stop(struct tunnel *, uint16_t, uint16_t,
		    const char *);
static void	tunnel_fail(struct tunnel *, uint16_t, uint16_t,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static void	session_fail(struct session *, uint16_t, uint16_t,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static void	session_down(struct session *, int clean, const char *why);
static void	tdev_down(struct session *, const char *why);

/* ---- message builders, RFC 2661 section 6 ---- */

static void
build_begin(struct l2tp_builder *b, struct txslot *q, uint16_t tid,
    uint16_t sid, uint16_t ns, uint16_t nr, uint16_t type)
{
	memset(b, 0, sizeof(*b));
	wr_init(&b->w, q->buf, sizeof(q->buf));
	b->hide = opt.hide;
	b->secret = opt.secret;
	b->secret_len = opt.secret_len;
	b->pad_to = 16;
	b->fill = rand_fill;
	if (opt.hide)
		rand_fill(b->rv, sizeof(b->rv));
	l2tp_ctrl_begin(&b->w, tid, sid, ns, nr);
	avp_put_u16(b, L2TP_AVP_MSG_TYPE, type);
}

static void
put_result(struct l2tp_builder *b, uint16_t result, uint16_t error,
    const char *msg)
{
	uint8_t val[128];
	struct wr w;
	size_t n;

	wr_init(&w, val, sizeof(val));
	wr_u16(&w, result);
	if (error != 0 || (msg != NULL && *msg != '\0')) {
		wr_u16(&w, error);
		n = msg != NULL ? strlen(msg) : 0;
		wr_bytes(&w, msg, n < sizeof(val) - 4 ? n : sizeof(val) - 4);
	}
	avp_put(b, L2TP_AVP_RESULT_CODE, val, w.len);
}

/* 6.1: SCCRQ, with a Challenge when there is a secret (5.1.1). */
static void
build_sccrq(struct l2tp_builder *b, struct tunnel *t)
{
	static const uint8_t ver[2] = { 1, 0 };

	avp_put(b, L2TP_AVP_PROTO_VER, ver, sizeof(ver));
	avp_put(b, L2TP_AVP_HOST_NAME, opt.hostname, strlen(opt.hostname));
	avp_put_u32(b, L2TP_AVP_FRAMING_CAP,
	    L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	/* 4.4.3: no outgoing calls, so no bearer bits. */
	avp_put_u32(b, L2TP_AVP_BEARER_CAP, 0);
	avp_put_u16(b, L2TP_AVP_FIRMWARE_REV, 0x0100);
	avp_put(b, L2TP_AVP_VENDOR_NAME, opt.vendor, strlen(opt.vendor));
	avp_put_u16(b, L2TP_AVP_ASSIGNED_TID, t->ltid);
	if (opt.rws > 0)
		avp_put_u16(b, L2TP_AVP_RWS, opt.rws);
	if (t->chal_sent)
		avp_put(b, L2TP_AVP_CHALLENGE, t->chal, sizeof(t->chal));
}

static void
build_scccn(struct l2tp_builder *b, struct tunnel *t)
{
	if (t->resp_due)
		avp_put(b, L2TP_AVP_CHAL_RESPONSE, t->resp, sizeof(t->resp));
}

static void
build_stopccn(struct l2tp_builder *b, struct tunnel *t)
{
	/* 4.4.3: the Assigned Tunnel ID we first sent. */
	avp_put_u16(b, L2TP_AVP_ASSIGNED_TID, t->ltid);
	put_result(b, t->stop_result, t->stop_error, t->stop_msg);
}

static void
build_icrq(struct l2tp_builder *b, struct session *s)
{
	char num[LAC_STR_MAX + 1];
	long gidx = (long)s->t->idx * opt.sessions + s->idx;

	avp_put_u16(b, L2TP_AVP_ASSIGNED_SID, s->lsid);
	avp_put_u32(b, L2TP_AVP_CALL_SERIAL, s->serial);
	avp_put_u32(b, L2TP_AVP_BEARER_TYPE, opt.bearer_type);
	expand_number(num, sizeof(num), opt.calling, gidx);
	avp_put(b, L2TP_AVP_CALLING_NUMBER, num, strlen(num));
	expand_number(num, sizeof(num), opt.called, gidx);
	avp_put(b, L2TP_AVP_CALLED_NUMBER, num, strlen(num));
}

static void
build_iccn(struct l2tp_builder *b, struct session *s)
{
	avp_put_u32(b, L2TP_AVP_TX_SPEED, opt.tx_speed);
	/* 4.4.4: only a framing the LNS advertised. */
	avp_put_u32(b, L2TP_AVP_FRAMING_TYPE, s->t->framing);
}

static void
build_cdn(struct l2tp_builder *b, struct session *s)
{
	put_result(b, s->cdn_result, s->cdn_error, NULL);
	/* 4.4.4: the Assigned Session ID we first sent. */
	avp_put_u16(b, L2TP_AVP_ASSIGNED_SID, s->lsid);
}

/* ---- reliable delivery, RFC 2661 5.8 ---- */

static void
tx_send(struct tunnel *t, const uint8_t *buf, size_t len)
{
	ssize_t n;

	n = sendto(t->fd, buf, len, 0, (const struct sockaddr *)&t->peer,
	    t->peer_len);
	if (n == -1 && errno != EAGAIN && errno != ENOBUFS &&
	    errno != EINTR)
		terr(t, NULL, "sendto: %s", strerror(errno));
	/* A lost datagram is the retransmit timer's business. */
}

static void
trace(const char *what, struct tunnel *t, const char *msg, uint16_t sid,
    uint16_t ns, uint16_t nr, size_t len)
{
	if (!opt.verbose)
		return;
	ev_begin(what);
	ev_tunnel(t);
	ev_str("msg", msg);
	ev_int("sid", sid);
	ev_int("ns", ns);
	ev_int("nr", nr);
	ev_int("len", (long long)len);
	ev_end();
}

static void
send_zlb(struct tunnel *t)
{
	uint8_t buf[L2TP_CTRL_HDR_LEN];
	struct wr w;

	/* 5.8: a ZLB takes no sequence slot; Ns is our next one. */
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, t->ptid, 0, t->ns_next, t->nr);
	if (l2tp_ctrl_end(&w) == -1)
		return;
	t->ack_due = 0;
	sim.zlb_tx++;
	trace("ctrl_tx", t, "ZLB", 0, t->ns_next, t->nr, w.len);
	tx_send(t, buf, w.len);
}

static int
window_open(const struct tunnel *t)
{
	uint16_t inflight = (uint16_t)(t->ns_next - t->una);
	uint16_t win = t->state == T_WAIT_REPLY ? 1 : t->peer_rws;

	if (win > LAC_TXQ)
		win = LAC_TXQ;
	return inflight < win;
}

static void
rtx_arm(struct tunnel *t)
{
	uint64_t delay = opt.rtx_initial;
	int i;

	/* 5.8: exponential backoff, capped. */
	for (i = 0; i < t->tries && delay < opt.rtx_cap; i++)
		delay *= 2;
	if (delay > opt.rtx_cap)
		delay = opt.rtx_cap;
	lt_set_at(&t->rtx, sim.now + delay);
}

/* Build message type for tunnel t (and session s) and send it. */
static void
tx_queue(struct tunnel *t, uint16_t type, struct session *s)
{
	struct txslot *q = &t->q[t->ns_next % LAC_TXQ];
	struct l2tp_builder b;
	uint16_t sid = s != NULL ? s->psid : 0;

	build_begin(&b, q, t->ptid, sid, t->ns_next, t->nr, type);
	switch (type) {
	case L2TP_SCCRQ:
		build_sccrq(&b, t);
		break;
	case L2TP_SCCCN:
		build_scccn(&b, t);
		break;
	case L2TP_STOPCCN:
		build_stopccn(&b, t);
		break;
	case L2TP_HELLO:
		break;
	case L2TP_ICRQ:
		build_icrq(&b, s);
		break;
	case L2TP_ICCN:
		build_iccn(&b, s);
		break;
	case L2TP_CDN:
		build_cdn(&b, s);
		break;
	}
	if (l2tp_ctrl_end(&b.w) == -1) {
		terr(t, s, "cannot build %s: over %d bytes", msg_name(type),
		    LAC_MSG_MAX);
		return;
	}
	q->len = (uint16_t)b.w.len;
	q->ns = t->ns_next;
	q->type = type;
	q->sess = s != NULL ? s->idx : -1;
	if (t->una == t->ns_next) {
		t->tries = 0;
		rtx_arm(t);
	}
	t->ns_next++;
	t->ack_due = 0;		/* Nr rides on this message */
	sim.ctrl_tx++;
	trace("ctrl_tx", t, msg_name(type), sid, q->ns, t->nr, q->len);
	tx_send(t, q->buf, q->len);
}

static void
rtx_fire(struct ltimer *tm, void *arg)
{
	struct tunnel *t = arg;
	struct txslot *q;
	uint16_t ns;

	if (t->una == t->ns_next || t->state == T_DONE)
		return;
	q = &t->q[t->una % LAC_TXQ];
	if (++t->tries > opt.retries) {
		sim.timeouts++;
		ev_begin("timeout");
		ev_tunnel(t);
		ev_str("what", "retransmit");
		ev_str("msg", msg_name(q->type));
		ev_int("ns", q->ns);
		ev_int("retransmits", t->tries - 1);
		ev_str("state", tstate_name[t->state]);
		ev_end();
		/* 5.8: no response after several retries: clear it all. */
		t->failed = 1;
		tunnel_finish(t, 0, "timeout");
		return;
	}
	for (ns = t->una; ns != t->ns_next; ns++) {
		q = &t->q[ns % LAC_TXQ];
		/* 5.8: same Ns, Nr brought up to date. */
		l2tp_ctrl_set_nr(q->buf, q->len, t->nr);
		sim.retransmits++;
		ev_begin("retransmit");
		ev_tunnel(t);
		ev_str("msg", msg_name(q->type));
		ev_int("ns", q->ns);
		ev_int("attempt", t->tries);
		ev_end();
		tx_send(t, q->buf, q->len);
	}
	t->ack_due = 0;
	rtx_arm(t);
}

static void
on_acked(struct tunnel *t, const struct txslot *q)
{
	struct session *s = q->sess >= 0 ? &t->sess[q->sess] : NULL;

	switch (q->type) {
	case L2TP_SCCCN:
		if (t->state == T_ESTABLISHED && !t->settled) {
			t->t_up = sim.now;
			t->up = t->settled = 1;
			sim.tun_pending--;
			sim.tunnels_up++;
			ev_begin("tunnel_up");
			ev_tunnel(t);
			ev_str("peer_host", t->peer_host);
			ev_str("peer_vendor", t->peer_vendor);
			ev_int("peer_rws", t->peer_rws);
			ev_ms("latency_ms", t->t_up - t->t_start);
			ev_end();
		}
		break;
	case L2TP_ICCN:
		if (s->state == S_WAIT_ACK) {
			sess_set_state(s, S_UP);
			s->t_up = sim.now;
			/* Not if it timed out; PPP may have settled it. */
			if (!s->up && !s->failed) {
				s->up = 1;
				sim.sessions_up++;
			}
			/* With PPP, the session is settled by PPP. */
			if (s->ppp == NULL && !s->settled) {
				s->settled = 1;
				sim.sess_pending--;
			}
			ev_begin("session_up");
			ev_session(s);
			ev_ms("latency_ms", s->t_up - s->t_start);
			ev_end();
		}
		break;
	case L2TP_CDN:
		if (s->state == S_CLOSING)
			session_down(s, !s->failed, "cdn_acked");
		break;
	case L2TP_STOPCCN:
		tunnel_finish(t, !t->failed, "stopccn_acked");
		break;
	}
}

/* Nr from the LNS: release what it acknowledges. */
static void
tx_ack(struct tunnel *t, uint16_t nr)
{
	uint16_t acked = (uint16_t)(nr - t->una);
	uint16_t inflight = (uint16_t)(t->ns_next - t->una);
	struct txslot *q;

	if (acked > inflight) {
		/* Behind the window is a stale message; ahead is a lie. */
		if ((uint16_t)(nr - t->ns_next) < 0x8000)
			terr(t, NULL, "Nr %u acknowledges messages never sent "
			    "(next Ns %u, oldest unacknowledged %u)", nr,
			    t->ns_next, t->una);
		return;
	}
	if (acked == 0)
		return;
	while (t->una != nr && t->state != T_DONE) {
		q = &t->q[t->una % LAC_TXQ];
		t->una++;
		on_acked(t, q);
	}
	if (t->state == T_DONE)
		return;
	t->tries = 0;
	if (t->una == t->ns_next)
		lt_cancel(&t->rtx);
	else
		rtx_arm(t);
}

/* ---- data messages, RFC 2661 3.1 and 5.4, batched for sendmmsg() ---- */

static struct {
	struct tunnel	*t;		/* whose socket the batch goes out of */
	unsigned	 n;
	struct mmsghdr	 m[LAC_DTX_BATCH];
	struct iovec	 iov[LAC_DTX_BATCH];
	uint8_t		 buf[LAC_DTX_BATCH][LAC_DTX_SLOT];
} dtx;

static void
dtx_flush(void)
{
	struct tunnel *t = dtx.t;
	unsigned i, done = 0;
	int n;

	if (dtx.n == 0)
		return;
	if (t->fd < 0) {
		sim.data_tx_dropped += dtx.n;
		dtx.n = 0;
		return;
	}
	for (i = 0; i < dtx.n; i++) {
		memset(&dtx.m[i].msg_hdr, 0, sizeof(dtx.m[i].msg_hdr));
		dtx.m[i].msg_hdr.msg_name = &t->peer;
		dtx.m[i].msg_hdr.msg_namelen = t->peer_len;
		dtx.m[i].msg_hdr.msg_iov = &dtx.iov[i];
		dtx.m[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < dtx.n) {
		n = sendmmsg(t->fd, dtx.m + done, dtx.n - done, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* Data messages are unreliable (5.4): count, go on. */
			if (errno != EAGAIN && errno != ENOBUFS)
				terr(t, NULL, "sendmmsg: %s", strerror(errno));
			sim.data_tx_dropped += dtx.n - done;
			break;
		}
		done += (unsigned)n;
		sim.data_tx += n;
	}
	dtx.n = 0;
}

/*
 * Room for len octets of PPP information of protocol proto in a data
 * message of session s, written in place.  The batch goes out when it is
 * full, when another tunnel's message comes, or at the end of the turn.
 */
static uint8_t *
dtx_slot(struct session *s, uint16_t proto, size_t len)
{
	struct tunnel *t = s->t;
	uint8_t *buf;
	struct wr w;

	if (t->fd < 0)
		return NULL;
	if (dtx.n > 0 && (dtx.t != t || dtx.n == LAC_DTX_BATCH))
		dtx_flush();
	dtx.t = t;
	buf = dtx.buf[dtx.n];
	wr_init(&w, buf, LAC_DTX_SLOT);
	/* 3.1: no Length; 5.4: Ns when the LNS sequences its own. */
	wr_u16(&w, (uint16_t)((s->data_seq ? L2TP_HDR_S : 0) | L2TP_VERSION));
	wr_u16(&w, t->ptid);
	wr_u16(&w, s->psid);
	if (s->data_seq) {
		wr_u16(&w, s->data_ns++);
		wr_u16(&w, 0);		/* Nr: reserved on data messages */
	}
	ppp_frame_begin(&w, proto);
	if (w.err || LAC_DTX_SLOT - w.len < len)
		return NULL;
	dtx.iov[dtx.n].iov_base = buf;
	dtx.iov[dtx.n].iov_len = w.len + len;
	dtx.n++;
	return buf + w.len;
}

/* ---- sessions ---- */

static void
sess_want(struct session *s, uint8_t type)
{
	struct tunnel *t = s->t;

	s->want = type;
	if (s->in_pend)
		return;
	s->in_pend = 1;
	s->pend_next = -1;
	if (t->pend_tail < 0)
		t->pend_head = s->idx;
	else
		t->sess[t->pend_tail].pend_next = s->idx;
	t->pend_tail = s->idx;
}

static struct session *
pend_pop(struct tunnel *t)
{
	struct session *s;

	if (t->pend_head < 0)
		return NULL;
	s = &t->sess[t->pend_head];
	t->pend_head = s->pend_next;
	if (t->pend_head < 0)
		t->pend_tail = -1;
	s->in_pend = 0;
	return s;
}

static uint32_t
sess_gidx(const struct session *s)
{
	return (uint32_t)s->t->idx * (uint32_t)opt.sessions +
	    (uint32_t)s->idx;
}

/* Settled as it should be (PPP up, or refused under --wrong-password). */
static void
sess_settle_ok(struct session *s)
{
	if (s->settled)
		return;
	s->settled = 1;
	sim.sess_pending--;
	if (s->in_setup) {
		s->in_setup = 0;
		sim.in_setup--;
	}
}

static void
sess_settle_failed(struct session *s)
{
	if (s->settled)
		return;
	s->settled = 1;
	s->failed = 1;
	sim.sess_pending--;
	if (s->in_setup) {
		s->in_setup = 0;
		sim.in_setup--;
	}
}

/*
 * --max-pending: the calls of established tunnels wait in one FIFO, in
 * order, and an ICRQ goes out only while fewer than N sessions are
 * between their ICRQ and PPP up (or failure).  A closed loop: the LNS's
 * own pace sets the rate, and a slow LNS is not flooded.
 */
static void
start_enqueue(struct session *s)
{
	int32_t g = (int32_t)sess_gidx(s);

	s->start_next = -1;
	if (sim.start_tail < 0)
		sim.start_head = g;
	else
		sim.sess[sim.start_tail].start_next = g;
	sim.start_tail = g;
}

static void
start_more(void)
{
	struct session *s;

	while (sim.start_head >= 0 && sim.in_setup < opt.max_pending) {
		s = &sim.sess[sim.start_head];
		sim.start_head = s->start_next;
		if (sim.start_head < 0)
			sim.start_tail = -1;
		if (s->settled || s->state != S_WAIT_TUNNEL ||
		    s->t->state != T_ESTABLISHED)
			continue;
		s->in_setup = 1;
		sim.in_setup++;
		sess_want(s, L2TP_ICRQ);
		tunnel_kick(s->t);
	}
}

/* The session is gone, on both sides as far as we know. */
static void
session_down(struct session *s, int clean, const char *why)
{
	struct tunnel *t = s->t;
	int was_up = s->state == S_UP;

	if (s->state == S_DOWN)
		return;
	s->want = 0;
	/* The PPP link goes with its call. */
	if (s->ppp != NULL) {
		ppp_lower_down(s->ppp, sim.now);
		traffic_down(sess_gidx(s));
		tdev_down(s, "session_down");
	}
	if (!clean && was_up && sim.phase < PH_TEARDOWN)
		sim.unexpected_down++;
	if (!clean)
		s->failed = 1;
	sess_settle_failed(s);
	sess_set_state(s, S_DOWN);
	if (clean)
		sim.sessions_clean++;
	if (s->lns_state) {
		s->lns_state = 0;
		t->sess_open--;
		ev_begin("session_down");
		ev_session(s);
		ev_str("reason", why);
		ev_bool("clean", clean);
		ev_end();
	}
	/* 5.6: after the last session, the control connection. */
	if (t->teardown && t->sess_open == 0 && t->state == T_ESTABLISHED)
		tunnel_stop(t, L2TP_STOP_CLEAR, 0, NULL);
}

/* 7.4.1: local close request, whatever state the call is in. */
static void
session_close(struct session *s, uint16_t result, uint16_t error)
{
	switch (s->state) {
	case S_WAIT_TUNNEL:
		session_down(s, 0, "closed before ICRQ");
		break;
	case S_WAIT_REPLY:
	case S_WAIT_ACK:
	case S_UP:
		s->cdn_result = result;
		s->cdn_error = error;
		sess_set_state(s, S_CLOSING);
		sess_want(s, L2TP_CDN);
		break;
	default:
		break;
	}
}

static void
session_fail(struct session *s, uint16_t result, uint16_t error,
    const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	terr(s->t, s, "%s", why);
	s->failed = 1;
	sess_settle_failed(s);
	session_close(s, result, error);
}

static struct session *
sess_by_sid(struct tunnel *t, uint16_t sid)
{
	if (sid == 0 || sid > opt.sessions)
		return NULL;
	return &t->sess[sid - 1];
}

/* ---- tunnels ---- */

static void
tunnel_close_fd(struct tunnel *t)
{
	if (t->closed)
		return;
	if (dtx.t == t)
		dtx_flush();
	t->closed = 1;
	if (t->fd >= 0) {
		epoll_ctl(sim.epfd, EPOLL_CTL_DEL, t->fd, NULL);
		close(t->fd);
		t->fd = -1;
	}
	sim.tun_open--;
}

static void
aux_fire(struct ltimer *tm, void *arg)
{
	struct tunnel *t = arg;
	uint64_t idle = (uint64_t)(opt.hello * 1e6);

	switch (t->state) {
	case T_ESTABLISHED:
		/*
		 * 5.5: a HELLO after a quiet period (the RFC's 60 s), unless
		 * something is in flight: its retransmission tests the path.
		 */
		if (sim.now >= t->last_rx + idle) {
			if (t->una == t->ns_next)
				t->want |= WANT_HELLO;
			tunnel_kick(t);
			lt_set_at(&t->aux, sim.now + idle);
		} else {
			lt_set_at(&t->aux, t->last_rx + idle);
		}
		break;
	case T_DONE:
		tunnel_close_fd(t);
		break;
	default:
		break;
	}
}

static void
tunnel_settle_failed(struct tunnel *t)
{
	if (t->settled)
		return;
	t->settled = 1;
	t->failed = 1;
	sim.tun_pending--;
}

static void
tunnel_finish(struct tunnel *t, int clean, const char *why)
{
	int i, lingered = 0;

	if (t->state == T_DONE)
		return;
	lt_cancel(&t->rtx);
	lt_cancel(&t->aux);
	/* 6.4: the sessions go with the tunnel, without CDNs. */
	for (i = 0; i < opt.sessions; i++)
		session_down(&t->sess[i], 0, "tunnel_down");
	if (!clean)
		t->failed = 1;
	tunnel_settle_failed(t);
	if (t->up && !clean && sim.phase < PH_TEARDOWN)
		sim.unexpected_down++;
	tun_set_state(t, T_DONE);
	t->clean = (uint8_t)clean;
	if (clean)
		sim.tunnels_clean++;
	if (t->ack_due && t->fd >= 0)
		send_zlb(t);
	if (t->fd >= 0) {
		ev_begin("tunnel_down");
		ev_tunnel(t);
		ev_str("reason", why);
		ev_bool("clean", clean);
		ev_end();
	}
	/*
	 * 5.7, 5.8: keep answering retransmissions for a while after the
	 * last exchange, if asked to (--linger).
	 */
	if (opt.linger > 0 && t->fd >= 0 && strcmp(why, "timeout") != 0 &&
	    strcmp(why, "abandoned") != 0) {
		lt_set_at(&t->aux, sim.now + (uint64_t)(opt.linger * 1e6));
		lingered = 1;
	}
	if (!lingered)
		tunnel_close_fd(t);
}

/* Clear the control connection with a StopCCN (7.2.1, 6.4). */
static void
tunnel_stop(struct tunnel *t, uint16_t result, uint16_t error,
    const char *msg)
{
	int i;

	if (t->state != T_ESTABLISHED && t->state != T_WAIT_REPLY)
		return;
	t->stop_result = result;
	t->stop_error = error;
	snprintf(t->stop_msg, sizeof(t->stop_msg), "%s", msg ? msg : "");
	tun_set_state(t, T_CLOSING);
	t->want = WANT_STOPCCN;
	lt_cancel(&t->aux);
	/* 6.4: the sessions are cleared implicitly. */
	for (i = 0; i < opt.sessions; i++)
		session_down(&t->sess[i], !t->failed && t->teardown,
		    "stopccn");
}

static void
tunnel_fail(struct tunnel *t, uint16_t result, uint16_t error,
    const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	terr(t, NULL, "%s", why);
	t->failed = 1;
	tunnel_settle_failed(t);
	tunnel_stop(t, result, error, why);
}

/* Send what the window allows, then an explicit ack if one is owed. */
static void
tunnel_kick(struct tunnel *t)
{
	struct session *s;
	uint8_t type;

	if (t->fd < 0)
		return;
	while (t->state != T_DONE && window_open(t)) {
		if (t->want & WANT_STOPCCN) {
			t->want = 0;
			tx_queue(t, L2TP_STOPCCN, NULL);
			continue;
		}
		if (t->state != T_ESTABLISHED)
			break;
		if (t->want & WANT_SCCCN) {
			t->want &= ~WANT_SCCCN;
			tx_queue(t, L2TP_SCCCN, NULL);
			continue;
		}
		if (t->want & WANT_HELLO) {
			t->want &= ~WANT_HELLO;
			tx_queue(t, L2TP_HELLO, NULL);
			continue;
		}
		if ((s = pend_pop(t)) == NULL)
			break;
		type = s->want;
		s->want = 0;
		switch (type) {
		case L2TP_ICRQ:
			if (s->state != S_WAIT_TUNNEL)
				break;
			sess_set_state(s, S_WAIT_REPLY);
			s->lns_state = 1;
			t->sess_open++;
			s->t_start = sim.now;
			tx_queue(t, L2TP_ICRQ, s);
			break;
		case L2TP_ICCN:
			if (s->state != S_WAIT_ACK)
				break;
			tx_queue(t, L2TP_ICCN, s);
			/* The call is connected: PPP starts (RFC 2661 2). */
			if (s->ppp != NULL)
				ppp_start(s->ppp, sim.now);
			break;
		case L2TP_CDN:
			if (s->state == S_CLOSING)
				tx_queue(t, L2TP_CDN, s);
			break;
		}
	}
	if (t->ack_due)
		send_zlb(t);
}

static int
tunnel_open(struct tunnel *t)
{
	struct epoll_event ev;

	t->fd = open_socket();
	if (t->fd == -1) {
		terr(t, NULL, "socket: %s", strerror(errno));
		tunnel_finish(t, 0, "abandoned");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)t->idx;
	if (epoll_ctl(sim.epfd, EPOLL_CTL_ADD, t->fd, &ev) == -1) {
		terr(t, NULL, "epoll_ctl: %s", strerror(errno));
		tunnel_finish(t, 0, "abandoned");
		return -1;
	}
	tun_set_state(t, T_WAIT_REPLY);
	t->t_start = sim.now;
	/* 5.1.1: challenge the LNS when we share a secret with it. */
	if (opt.secret != NULL && opt.challenge) {
		rand_fill(t->chal, sizeof(t->chal));
		t->chal_sent = 1;
	}
	tx_queue(t, L2TP_SCCRQ, NULL);
	return 0;
}

/* ---- PPP over the session (ppp_client.c) and its traffic ---- */

static void
ev_ip(const char *key, uint32_t a)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
	    (a >> 8) & 0xff, a & 0xff);
	ev_str(key, buf);
}

static void
ev_hex16(const char *key, unsigned v)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%04x", v & 0xffff);
	ev_str(key, buf);
}

static void
ev_magic(const char *key, uint32_t v)
{
	char buf[12];

	snprintf(buf, sizeof(buf), "%08x", v);
	ev_str(key, buf);
}

/* RFC 5072 4.1 identifiers, written as the low half of an address. */
static void
ev_ifid(const char *key, const uint8_t *id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%02x%02x:%02x%02x:%02x%02x:%02x%02x",
	    id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7]);
	ev_str(key, buf);
}

/* ---- --tun: a TUN device per session, for the kernel's own stack ---- */

static void
tdev_name(const struct session *s, char *buf)
{
	expand_number(buf, LAC_IFNAME_MAX, opt.tun, (long)sess_gidx(s) + 1);
}

static uint32_t
tdev_table(const struct session *s)
{
	return opt.tun_table + sess_gidx(s) + 1;
}

static void
tdev_release(struct session *s)
{
	if (s->tdev_rule)
		tundev_rule(sim.nl, 0, s->tdev_addr, tdev_table(s),
		    LAC_TUN_PRIO);
	s->tdev_rule = 0;
	if (s->tdev_fd >= 0) {
		epoll_ctl(sim.epfd, EPOLL_CTL_DEL, s->tdev_fd, NULL);
		close(s->tdev_fd);
	}
	s->tdev_fd = -1;
}

/* RFC 5072 4.1: the link-local address from the negotiated identifier. */
static void
tdev_ipv6(struct session *s, const struct ppp *p)
{
	char name[LAC_IFNAME_MAX];

	if (s->tdev_fd < 0 ||
	    tundev_addr6_ll(sim.nl, s->tdev_ifindex, p->ifid) == 0)
		return;
	tdev_name(s, name);
	terr(s->t, s, "--tun %s: IPv6 address: %s", name, strerror(errno));
}

/*
 * IPCP is Opened: the device with the session's address, a table of its
 * own holding the default route through it, and the rule sending what
 * leaves from the address to that table.
 */
static void
tdev_up(struct session *s, const struct ppp *p)
{
	char name[LAC_IFNAME_MAX];
	struct epoll_event ev;
	const char *step;
	uint32_t table = tdev_table(s);
	unsigned mtu;

	if (s->tdev_fd >= 0 || p->addr == 0)
		return;
	tdev_name(s, name);
	/* What either end may send: the LNS's MRU, and ours (6.1). */
	mtu = p->peer_mru;
	if ((p->lcp_want & LW_MRU) && p->mru < mtu)
		mtu = p->mru;
	if (mtu > IP4_MAX_PKT)
		mtu = IP4_MAX_PKT;
	step = "TUNSETIFF";
	s->tdev_fd = tundev_create(name, &s->tdev_ifindex);
	if (s->tdev_fd == -1)
		goto fail;
	s->tdev_addr = p->addr;
	/* No router solicitations or MLD reports to drop without IPV6CP. */
	if (!opt.ipv6)
		tundev_no_ipv6(name);
	step = "link up";
	if (tundev_link_up(sim.nl, s->tdev_ifindex, mtu) == -1)
		goto fail;
	step = "address";
	if (tundev_addr4(sim.nl, s->tdev_ifindex, p->addr,
	    p->peer_addr) == -1)
		goto fail;
	step = "route";
	if (tundev_route(sim.nl, s->tdev_ifindex, p->addr, table) == -1)
		goto fail;
	step = "rule";
	if (tundev_rule(sim.nl, 1, p->addr, table, LAC_TUN_PRIO) == -1)
		goto fail;
	s->tdev_rule = 1;
	step = "epoll_ctl";
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = EP_TDEV | sess_gidx(s);
	if (epoll_ctl(sim.epfd, EPOLL_CTL_ADD, s->tdev_fd, &ev) == -1)
		goto fail;
	sim.tdev_up++;
	ev_begin("tun_up");
	ev_session(s);
	ev_int("number", (long long)sess_gidx(s) + 1);
	ev_str("ifname", name);
	ev_ip("address", p->addr);
	ev_ip("peer", p->peer_addr);
	ev_int("mtu", mtu);
	ev_int("table", table);
	ev_end();
	if (p->fsm[CP_IPV6CP].state == CPS_OPENED)
		tdev_ipv6(s, p);
	return;
fail:
	terr(s->t, s, "--tun %s: %s: %s", name, step, strerror(errno));
	tdev_release(s);
}

/* The device goes, and its addresses and routes with it; the rule too. */
static void
tdev_down(struct session *s, const char *why)
{
	char name[LAC_IFNAME_MAX];

	if (s->tdev_fd < 0)
		return;
	tdev_release(s);
	tdev_name(s, name);
	sim.tdev_down++;
	ev_begin("tun_down");
	ev_session(s);
	ev_int("number", (long long)sess_gidx(s) + 1);
	ev_str("ifname", name);
	ev_str("reason", why);
	ev_end();
}

/* A packet from the LNS into the subscriber's stack. */
static void
tdev_write(struct session *s, const uint8_t *pkt, size_t len)
{
	if (write(s->tdev_fd, pkt, len) != (ssize_t)len) {
		sim.tdev_dropped++;
		return;
	}
	sim.tdev_in_packets++;
	sim.tdev_in_bytes += len;
}

/*
 * What the subscriber's stack sends, up the session: each read() is one
 * packet, copied into the data-message batch (nothing allocated).  Only
 * over an Opened NCP (RFC 1332 3, RFC 5072 3) and within the LNS's MRU.
 */
static void
tdev_readable(struct session *s)
{
	const struct ppp *p = s->ppp;
	uint16_t proto;
	uint8_t *buf, vihl;
	struct rd r;
	ssize_t n;
	int budget;

	for (budget = LAC_RX_BUDGET; budget > 0 && s->tdev_fd >= 0;
	    budget--) {
		n = read(s->tdev_fd, rxbuf, sizeof(rxbuf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				terr(s->t, s, "--tun: read: %s",
				    strerror(errno));
			break;
		}
		rd_init(&r, rxbuf, (size_t)n);
		proto = 0;
		if (rd_u8(&r, &vihl) == 0) {
			if (vihl >> 4 == 4 && p->up4)
				proto = PPP_PROTO_IP;
			else if (vihl >> 4 == 6 &&
			    p->fsm[CP_IPV6CP].state == CPS_OPENED)
				proto = PPP_PROTO_IPV6;
		}
		if (proto == 0 || (size_t)n > p->peer_mru ||
		    (s->state != S_UP && s->state != S_WAIT_ACK) ||
		    (buf = dtx_slot(s, proto, (size_t)n)) == NULL) {
			sim.tdev_dropped++;
			continue;
		}
		memcpy(buf, rxbuf, (size_t)n);
		sim.tdev_out_packets++;
		sim.tdev_out_bytes += (uint64_t)n;
	}
}

static size_t
ppp_user_hook(struct ppp *p, char *buf, size_t cap)
{
	const struct session *s = p->ctx;

	/* --user: %d is the global session number, from 1. */
	expand_number(buf, cap, opt.user, (long)sess_gidx(s) + 1);
	return strlen(buf);
}

static void
ppp_send_hook(struct ppp *p, uint16_t proto, const uint8_t *info,
    size_t len)
{
	uint8_t *buf = dtx_slot(p->ctx, proto, len);

	if (buf == NULL) {
		sim.data_tx_dropped++;
		return;
	}
	memcpy(buf, info, len);
}

static void
ppp_ip_hook(struct ppp *p, const uint8_t *pkt, size_t len)
{
	struct session *s = p->ctx;

	if (s->tdev_fd >= 0)
		tdev_write(s, pkt, len);
	else
		traffic_input(sess_gidx(s), pkt, len, sim.now);
}

static void
ppp_ip6_hook(struct ppp *p, const uint8_t *pkt, size_t len)
{
	struct session *s = p->ctx;

	if (s->tdev_fd >= 0)
		tdev_write(s, pkt, len);
}

static uint8_t *
traffic_slot(uint32_t gidx, size_t len)
{
	struct session *s = &sim.sess[gidx];

	if (s->state != S_UP && s->state != S_WAIT_ACK)
		return NULL;
	return dtx_slot(s, PPP_PROTO_IP, len);
}

static void
ev_lcp_up(struct session *s, const struct ppp *p)
{
	char rej[64];

	snprintf(rej, sizeof(rej), "%s%s%s",
	    (p->lcp_rejected & LW_MRU) ? "mru," : "",
	    (p->lcp_rejected & LW_MAGIC) ? "magic," : "",
	    (p->lcp_rejected & LW_TEST) ? "0x7f," : "");
	if (*rej != '\0')
		rej[strlen(rej) - 1] = '\0';
	sim.lcp_up++;
	ev_begin("ppp_lcp_up");
	ev_session(s);
	ev_str("auth", p->auth_proto == PPP_PROTO_CHAP && p->conf->mschapv2 ?
	    "mschapv2" : ppp_auth_name(p->auth_proto));
	ev_int("mru", (p->lcp_want & LW_MRU) ? p->mru : PPP_MRU_DEFAULT);
	ev_int("peer_mru", p->peer_mru);
	ev_magic("magic", p->magic_acked ? p->magic : 0);
	ev_magic("peer_magic", p->peer_magic);
	ev_str("rejected", rej);
	ev_ms("latency_ms", sim.now - s->t_start);
	ev_end();
}

static void
ev_auth(struct session *s, struct ppp *p, const char *name,
    const char *msg)
{
	char user[256];

	ppp_user_hook(p, user, sizeof(user));
	ev_begin(name);
	ev_session(s);
	ev_str("auth", p->auth_proto == PPP_PROTO_CHAP && p->conf->mschapv2 ?
	    "mschapv2" : ppp_auth_name(p->auth_proto));
	ev_str("user", user);
	ev_str("message", msg != NULL ? msg : "");
	ev_end();
}

static void
ev_ppp_up(struct session *s, const struct ppp *p)
{
	ev_begin("ppp_up");
	ev_session(s);
	ev_ip("ip", p->addr);
	ev_ip("dns1", p->dns1);
	ev_ip("dns2", p->dns2);
	ev_ip("peer_ip", p->peer_addr);
	ev_ms("latency_ms", sim.now - s->t_start);
	ev_end();
	/* Whatever reaches this address counts for this session. */
	traffic_up(sess_gidx(s), p->addr, sess_gidx(s) + 1,
	    p->peer_mru < IP4_MAX_PKT ? p->peer_mru : IP4_MAX_PKT);
	if (opt.tun != NULL)
		tdev_up(s, p);
}

static void
ev_ppp_down(struct session *s, const struct ppp *p, const char *why,
    int clean)
{
	uint32_t g = sess_gidx(s);

	sim.ppp_down++;
	ev_begin("ppp_down");
	ev_session(s);
	ev_str("reason", why);
	ev_bool("clean", clean);
	ev_int("tx_packets", (long long)traffic_session_tx(g));
	ev_int("rx_packets", (long long)traffic_session_rx(g));
	ev_end();
	/* The L2TP layer counts a lost call; here a lost link on a call. */
	if (s->ppp_ready && !s->ppp_closing && sim.phase < PH_TEARDOWN &&
	    strcmp(why, "lower_down") != 0)
		sim.unexpected_down++;
}

static void
ev_rx_reject(struct session *s, const struct ppp_event *e)
{
	sim.ppp_rejects++;
	ev_begin("ppp_rx_reject");
	ev_session(s);
	ev_str("kind", e->rej_code >= 0 ? "code" : "protocol");
	ev_hex16("protocol", e->proto);
	if (e->rej_code >= 0) {
		ev_int("rejected_code", e->rej_code);
		ev_str("rejected", cp_code_name((uint8_t)e->rej_code));
	} else {
		ev_hex16("rejected_protocol", e->rej_proto);
		ev_str("rejected", ppp_proto_name(e->rej_proto));
	}
	ev_end();
}

static void
ev_ppp_trace(struct session *s, const struct ppp_event *e)
{
	if (!opt.verbose)
		return;
	if (e->type == PPP_EV_STATE) {
		ev_begin("ppp_state");
		ev_session(s);
		ev_str("protocol", ppp_proto_name(e->proto));
		ev_str("from", e->from);
		ev_str("to", e->to);
		ev_end();
		return;
	}
	ev_begin(e->type == PPP_EV_RX ? "ppp_rx" : "ppp_tx");
	ev_session(s);
	ev_str("protocol", ppp_proto_name(e->proto));
	ev_int("code", e->code);
	ev_int("id", e->id);
	ev_int("len", (long long)e->len);
	ev_end();
}

static void
ppp_event_hook(struct ppp *p, const struct ppp_event *e)
{
	struct session *s = p->ctx;

	switch (e->type) {
	case PPP_EV_LCP_UP:
		ev_lcp_up(s, p);
		break;
	case PPP_EV_AUTH_OK:
		sim.auth_ok++;
		ev_auth(s, p, "ppp_auth_ok", e->text);
		break;
	case PPP_EV_AUTH_FAIL:
		sim.auth_failures++;
		ev_auth(s, p, "ppp_auth_fail", e->text);
		/* Refused as it should be: the LNS may now clear the call. */
		if (opt.wrong_password && !s->expect_down) {
			s->expect_down = 1;
			sim.auth_refused++;
			sess_settle_ok(s);
		}
		break;
	case PPP_EV_UP:
		ev_ppp_up(s, p);
		break;
	case PPP_EV_IPV6_UP:
		ev_begin("ppp_ipv6_up");
		ev_session(s);
		ev_ifid("local_ifid", p->ifid);
		ev_ifid("peer_ifid", p->peer_ifid);
		ev_end();
		tdev_ipv6(s, p);
		break;
	case PPP_EV_READY:
		if (s->ppp_ready)
			break;
		s->ppp_ready = 1;
		s->t_ppp = sim.now;
		sim.ppp_up++;
		sess_settle_ok(s);
		break;
	case PPP_EV_IP_DOWN:
		traffic_down(sess_gidx(s));
		tdev_down(s, "ipcp_down");
		break;
	case PPP_EV_DOWN:
		ev_ppp_down(s, p, e->text, e->clean);
		break;
	case PPP_EV_FAILED:
		ev_begin("ppp_failed");
		ev_session(s);
		ev_str("reason", e->text);
		ev_end();
		if (!s->expect_down)
			sess_settle_failed(s);
		break;
	case PPP_EV_FINISHED:
		/* 3.7: the link is closed; now the call (teardown). */
		if (s->ppp_closing) {
			session_close(s, L2TP_CDN_ADMIN, 0);
			tunnel_kick(s->t);
		}
		break;
	case PPP_EV_RX_REJECT:
		ev_rx_reject(s, e);
		break;
	case PPP_EV_ECHO:
		ev_begin("ppp_echo");
		ev_session(s);
		ev_int("rx_requests", p->echo_rx);
		ev_int("tx_replies", p->echo_tx);
		ev_int("ignored", p->echo_ignored);
		ev_int("tx_requests", p->echo_req_tx);
		ev_int("rx_replies", p->echo_rep_rx);
		ev_end();
		break;
	case PPP_EV_ERROR:
		terr(s->t, s, "PPP: %s", e->text);
		break;
	case PPP_EV_STATE:
	case PPP_EV_RX:
	case PPP_EV_TX:
		ev_ppp_trace(s, e);
		break;
	}
}

static void
traffic_fire(struct ltimer *tm, void *arg)
{
	uint64_t next = traffic_tick(sim.now);

	if (next != 0)
		lt_set_at(&sim.traffic_tm, next);
}

static void
ev_traffic(const char *name)
{
	const struct traffic_stats *st = traffic_stats();

	ev_begin(name);
	ev_int("sessions", traffic_active());
	ev_int("tx_packets", (long long)st->tx_packets);
	ev_int("rx_packets", (long long)st->rx_packets);
	ev_int("rx_wrong_session", (long long)st->rx_wrong_session);
	ev_int("tx_pps", (long long)(st->tx_packets - sim.last_tx));
	ev_int("rx_pps", (long long)(st->rx_packets - sim.last_rx));
	ev_int("icmp_replies", (long long)st->icmp_replies);
	ev_int("udp_reflected", (long long)st->udp_reflected);
	ev_int("data_tx_dropped", sim.data_tx_dropped);
	ev_end();
	sim.last_tx = st->tx_packets;
	sim.last_rx = st->rx_packets;
}

/* A traffic event a second, from the last one's due time (STYLE 7). */
static void
report_fire(struct ltimer *tm, void *arg)
{
	ev_traffic("traffic");
	if (sim.phase == PH_HOLD)
		lt_set_at(&sim.report_tm, tm->when + 1000000);
}

/* ---- receive: one handler per message (STYLE 5) ---- */

static void
recv_sccrp(struct tunnel *t, const struct l2tp_hdr *h,
    const struct l2tp_msg *m)
{
	uint8_t want[L2TP_CHAL_RESP_LEN];
	int i;

	if (t->state != T_WAIT_REPLY) {
		tunnel_fail(t, L2TP_STOP_FSM, 0, "SCCRP in state %s",
		    tstate_name[t->state]);
		return;
	}
	if (h->sid != 0)
		terr(t, NULL, "SCCRP with session id %u in its header",
		    h->sid);
	/* 5.8: a reply that does not acknowledge the request. */
	if (t->una != t->ns_next) {
		terr(t, NULL, "SCCRP with Nr %u does not acknowledge the "
		    "SCCRQ", h->nr);
		tx_ack(t, t->ns_next);
	}
	t->ptid = m->assigned_tid;
	snprintf(t->peer_host, sizeof(t->peer_host), "%.*s",
	    (int)sizeof(t->peer_host) - 1, m->host_name);
	snprintf(t->peer_vendor, sizeof(t->peer_vendor), "%.*s",
	    (int)sizeof(t->peer_vendor) - 1, m->vendor_name);

	/* 7.2.1 wait-ctl-reply: version 1.0 is all there is. */
	if (m->proto_ver != 1 || m->proto_rev != 0) {
		tunnel_fail(t, 5, 0x0100, "SCCRP Protocol Version %u.%u",
		    m->proto_ver, m->proto_rev);
		return;
	}
	/* 5.1.1, 4.4.3: the LNS answers our challenge with ID 2. */
	if (t->chal_sent) {
		if (!(m->seen & ((uint64_t)1 << L2TP_AVP_CHAL_RESPONSE))) {
			tunnel_fail(t, L2TP_STOP_NOT_AUTH, 0,
			    "SCCRP without a Challenge Response");
			return;
		}
		l2tp_chal_response(L2TP_SCCRP, opt.secret, opt.secret_len,
		    t->chal, sizeof(t->chal), want);
		if (memcmp(want, m->chal_response, sizeof(want)) != 0) {
			tunnel_fail(t, L2TP_STOP_NOT_AUTH, 0,
			    "SCCRP Challenge Response does not match");
			return;
		}
	} else if (m->seen & ((uint64_t)1 << L2TP_AVP_CHAL_RESPONSE))
		terr(t, NULL, "SCCRP has a Challenge Response to no "
		    "challenge");
	/* ... and we answer the LNS's with ID 3, in the SCCCN. */
	if (m->seen & ((uint64_t)1 << L2TP_AVP_CHALLENGE)) {
		if (opt.secret == NULL) {
			tunnel_fail(t, L2TP_STOP_NOT_AUTH, 0,
			    "the LNS challenges us but we have no --secret");
			return;
		}
		l2tp_chal_response(L2TP_SCCCN, opt.secret, opt.secret_len,
		    m->challenge, m->challenge_len, t->resp);
		t->resp_due = 1;
	}
	/* 4.4.3: RWS 4 when absent (0 was refused by the parser). */
	t->peer_rws = (m->seen & ((uint64_t)1 << L2TP_AVP_RWS)) ? m->rws :
	    LAC_DEFAULT_RWS;
	/* 4.4.4: our ICCN framing must be one the LNS takes. */
	if (m->framing_cap & L2TP_FRAMING_SYNC)
		t->framing = L2TP_FRAMING_SYNC;
	else if (m->framing_cap & L2TP_FRAMING_ASYNC)
		t->framing = L2TP_FRAMING_ASYNC;
	else {
		terr(t, NULL, "SCCRP Framing Capabilities 0x%x offer "
		    "neither sync nor async", m->framing_cap);
		t->framing = L2TP_FRAMING_SYNC;
	}

	tun_set_state(t, T_ESTABLISHED);
	t->want |= WANT_SCCCN;
	/* 7.4.1 wait-tunnel -> tunnel-open: every call sends its ICRQ. */
	for (i = 0; i < opt.sessions; i++) {
		if (opt.max_pending > 0)
			start_enqueue(&t->sess[i]);
		else
			sess_want(&t->sess[i], L2TP_ICRQ);
	}
	if (opt.hello > 0)
		lt_set_at(&t->aux, t->last_rx + (uint64_t)(opt.hello * 1e6));
}

static void
recv_stopccn(struct tunnel *t, const struct l2tp_hdr *h,
    const struct l2tp_msg *m)
{
	int expected;

	ev_begin("stopccn_rx");
	ev_tunnel(t);
	ev_int("assigned_tid", m->assigned_tid);
	ev_int("result", m->result);
	if (m->has_error)
		ev_int("error", m->error);
	ev_str("message", m->result_msg);
	ev_end();
	if (t->ptid != 0 && m->assigned_tid != t->ptid)
		terr(t, NULL, "StopCCN Assigned Tunnel ID %u, the LNS "
		    "assigned %u", m->assigned_tid, t->ptid);
	if (h->sid != 0)
		terr(t, NULL, "StopCCN with session id %u in its header",
		    h->sid);
	/* Crossing our own StopCCN, or after our last CDN: as planned. */
	expected = t->state == T_CLOSING ||
	    (t->teardown && t->sess_open == 0);
	if (!expected)
		t->failed = 1;
	/* 5.7: acknowledge, then clean up. */
	tunnel_finish(t, expected && !t->failed, "stopccn_rx");
}

static void
recv_hello(struct tunnel *t, const struct l2tp_hdr *h)
{
	sim.hello_rx++;
	ev_begin("hello_rx");
	ev_tunnel(t);
	ev_end();
	/* 6.5: the Session ID of a HELLO MUST be 0. */
	if (h->sid != 0)
		terr(t, NULL, "HELLO with session id %u", h->sid);
}

static void
recv_icrp(struct tunnel *t, const struct l2tp_hdr *h,
    const struct l2tp_msg *m)
{
	struct session *s = sess_by_sid(t, h->sid);

	if (s == NULL) {
		terr(t, NULL, "ICRP for session id %u, which we never "
		    "assigned", h->sid);
		return;
	}
	switch (s->state) {
	case S_WAIT_REPLY:
		break;
	case S_CLOSING:
	case S_DOWN:
		return;		/* crossed our CDN */
	default:
		/* 7.4.1: ICRP in established: CDN. */
		session_fail(s, L2TP_CDN_GENERAL, L2TP_ERR_VENDOR,
		    "ICRP in session state %s", sstate_name[s->state]);
		return;
	}
	s->psid = m->assigned_sid;
	sess_set_state(s, S_WAIT_ACK);
	sess_want(s, L2TP_ICCN);
}

static void
recv_cdn(struct tunnel *t, const struct l2tp_hdr *h,
    const struct l2tp_msg *m)
{
	struct session *s = sess_by_sid(t, h->sid);
	int i, expected;

	if (s == NULL && h->sid == 0) {
		terr(t, NULL, "CDN with session id 0 in its header, "
		    "Assigned Session ID %u", m->assigned_sid);
		for (i = 0; i < opt.sessions && s == NULL; i++)
			if (t->sess[i].psid == m->assigned_sid)
				s = &t->sess[i];
	}
	if (s == NULL) {
		terr(t, NULL, "CDN for session id %u, which we never "
		    "assigned", h->sid);
		return;
	}
	ev_begin("cdn_rx");
	ev_session(s);
	ev_int("assigned_sid", m->assigned_sid);
	ev_int("result", m->result);
	if (m->has_error)
		ev_int("error", m->error);
	ev_str("message", m->result_msg);
	ev_end();
	if (s->psid != 0 && m->assigned_sid != s->psid)
		terr(t, s, "CDN Assigned Session ID %u, the LNS assigned %u",
		    m->assigned_sid, s->psid);
	/*
	 * Ours crossing, or the LNS clearing the call after our LCP
	 * Terminate-Request, or after refusing --wrong-password.
	 */
	expected = s->state == S_CLOSING || s->ppp_closing ||
	    s->expect_down;
	if (!expected && !s->settled)
		sess_settle_failed(s);
	session_down(s, expected && !s->failed, "cdn_rx");
}

static void
data_input(struct tunnel *t, const struct l2tp_hdr *h, const struct rd *r)
{
	struct session *s;

	sim.data_rx++;
	if (h->tid != t->ltid) {
		terr(t, NULL, "data message for tunnel id %u, ours is %u",
		    h->tid, t->ltid);
		return;
	}
	s = sess_by_sid(t, h->sid);
	if (s == NULL || s->state == S_WAIT_TUNNEL) {
		terr(t, NULL, "data message for session id %u, which we "
		    "never assigned", h->sid);
		return;
	}
	/* 5.4: sequence ours as long as the LNS sequences its own. */
	s->data_seq = (uint8_t)h->has_seq;
	if (opt.verbose) {
		ev_begin("data_rx");
		ev_session(s);
		ev_int("len", (long long)r->left);
		ev_hex("head", r->p, r->left < 16 ? r->left : 16);
		ev_end();
	}
	if (s->ppp != NULL && (s->state == S_WAIT_ACK || s->state == S_UP))
		ppp_input(s->ppp, r->p, r->left, sim.now);
}

/* Triage: header, transport, parse, then one handler per type. */
static void
tunnel_input(struct tunnel *t, size_t n, const struct sockaddr_storage *from)
{
	struct l2tp_msg m;
	struct l2tp_hdr h;
	struct session *s;
	const char *why;
	struct rd r;
	int i;

	memset(&h, 0, sizeof(h));
	why = "from an address other than the LNS's";
	if (!same_addr(from, &opt.lns))
		goto drop;
	/* 8.1: the ports stay static for the life of the tunnel. */
	why = "from a port other than the tunnel's";
	if (t->port_pinned && addr_port(from) != addr_port(&t->peer))
		goto drop;
	rd_init(&r, rxbuf, n);
	if (l2tp_hdr_parse(&r, &h, &why) == -1)
		goto drop;
	t->last_rx = sim.now;
	if (!h.ctrl) {
		data_input(t, &h, &r);
		return;
	}
	if (l2tp_hdr_check_ctrl(&h, n, &why) == -1)
		goto drop;
	why = "control message for another tunnel id";
	if (h.tid != t->ltid)
		goto drop;
	if (!t->port_pinned) {
		t->peer = *from;
		t->peer_len = opt.lns_len;
		t->port_pinned = 1;
	}
	sim.ctrl_rx++;

	/* 5.8: Nr acknowledges whatever the Ns. */
	tx_ack(t, h.nr);
	if (t->fd < 0)
		return;
	if (r.left == 0) {
		trace("ctrl_rx", t, "ZLB", h.sid, h.ns, h.nr, n);
		return;
	}
	if (h.ns != t->nr) {
		if ((uint16_t)(t->nr - 1 - h.ns) < 0x8000) {
			/* A duplicate: acknowledge it again (5.8). */
			sim.dup_rx++;
			t->ack_due = 1;
			trace("duplicate", t, "?", h.sid, h.ns, h.nr, n);
		} else {
			/* Ahead of a gap: the LNS will retransmit. */
			sim.ooo_rx++;
			trace("out_of_order", t, "?", h.sid, h.ns, h.nr, n);
		}
		return;
	}
	t->nr++;
	t->ack_due = 1;

	if (l2tp_msg_parse(&r, opt.secret, opt.secret_len, &m) == -1) {
		s = l2tp_msg_is_session(m.type) ? sess_by_sid(t, h.sid) :
		    NULL;
		/* 4.2, 7.1: the session or the whole tunnel goes. */
		if (s != NULL && s->state != S_WAIT_TUNNEL)
			session_fail(s, m.fail_result, m.fail_error,
			    "%s: %s", msg_name(m.type), m.why);
		else if (t->state == T_WAIT_REPLY ||
		    t->state == T_ESTABLISHED)
			tunnel_fail(t, m.fail_result, m.fail_error, "%s: %s",
			    msg_name(m.type), m.why);
		else
			terr(t, NULL, "%s: %s", msg_name(m.type), m.why);
		return;
	}
	trace("ctrl_rx", t, msg_name(m.type), h.sid, h.ns, h.nr, n);
	for (i = 0; i < m.nviol; i++)
		terr(t, NULL, "%s: %s", msg_name(m.type), m.viol[i]);

	if (t->state == T_CLOSING || t->state == T_DONE) {
		/* Only a StopCCN matters now; the rest is acknowledged. */
		if (m.type == L2TP_STOPCCN && t->state == T_CLOSING)
			recv_stopccn(t, &h, &m);
		return;
	}
	switch (m.type) {
	case L2TP_SCCRP:
		recv_sccrp(t, &h, &m);
		break;
	case L2TP_STOPCCN:
		recv_stopccn(t, &h, &m);
		break;
	case L2TP_HELLO:
		recv_hello(t, &h);
		break;
	case L2TP_ICRP:
		recv_icrp(t, &h, &m);
		break;
	case L2TP_CDN:
		recv_cdn(t, &h, &m);
		break;
	case L2TP_SLI:
		/* 6.14: ACCM for a PPP we do not run yet; accept it. */
		if (sess_by_sid(t, h.sid) == NULL)
			terr(t, NULL, "SLI for session id %u, which we "
			    "never assigned", h.sid);
		break;
	case L2TP_SCCRQ:
	case L2TP_SCCCN:
		/* 7.2.1: StopCCN. */
		tunnel_fail(t, L2TP_STOP_FSM, 0, "%s sent to the originator "
		    "in state %s", msg_name(m.type), tstate_name[t->state]);
		break;
	case L2TP_ICRQ:
	case L2TP_ICCN:
	case L2TP_OCRP:
	case L2TP_OCCN:
	case L2TP_WEN:
		/* LAC-to-LNS messages; 7.4.1 clears the call if any. */
		s = sess_by_sid(t, h.sid);
		if (s != NULL && s->state != S_WAIT_TUNNEL &&
		    s->state != S_DOWN)
			session_fail(s, L2TP_CDN_GENERAL, L2TP_ERR_VENDOR,
			    "%s sent to the LAC", msg_name(m.type));
		else
			terr(t, NULL, "%s sent to the LAC", msg_name(m.type));
		break;
	case L2TP_OCRQ:
		/* 6.9: not without Bearer Capabilities; we sent none set. */
		terr(t, NULL, "OCRQ, but our Bearer Capabilities are 0");
		break;
	default:
		/* 4.4.1: an unknown type with M set clears the tunnel. */
		if (m.type_m)
			tunnel_fail(t, L2TP_STOP_GENERAL, L2TP_ERR_RANGE,
			    "unknown mandatory message type %u", m.type);
		break;
	}
	return;

drop:
	/* 7.1: a malformed header is discarded. */
	terr(t, NULL, "discarded datagram of %zu bytes from %s (tunnel id "
	    "%u): %s", n, addr_str(from), h.tid, why);
}

static void
tunnel_readable(struct tunnel *t)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;
	int budget;

	for (budget = LAC_RX_BUDGET; budget > 0 && t->fd >= 0; budget--) {
		fromlen = sizeof(from);
		n = recvfrom(t->fd, rxbuf, sizeof(rxbuf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				terr(t, NULL, "recvfrom: %s", strerror(errno));
			break;
		}
		tunnel_input(t, (size_t)n, &from);
	}
	tunnel_kick(t);
}

/* ---- the run's phases ---- */

static void begin_teardown(void);

static void
end_setup(int deadline)
{
	struct tunnel *t;
	struct session *s;
	int i, j;

	if (sim.phase != PH_SETUP)
		return;
	lt_cancel(&sim.deadline);
	lt_cancel(&sim.starter);
	sim.setup_end = sim.now;
	for (i = 0; deadline && i < sim.ntun; i++) {
		t = &sim.tun[i];
		if (!t->settled) {
			sim.timeouts++;
			ev_begin("timeout");
			ev_tunnel(t);
			ev_str("what", "setup");
			ev_str("state", tstate_name[t->state]);
			ev_end();
			tunnel_settle_failed(t);
			if (t->state == T_IDLE || t->state == T_WAIT_REPLY)
				tunnel_finish(t, 0, "abandoned");
		}
		for (j = 0; j < opt.sessions; j++) {
			s = &t->sess[j];
			if (s->settled)
				continue;
			sim.timeouts++;
			ev_begin("timeout");
			ev_session(s);
			ev_str("what", "setup");
			ev_str("state", sstate_name[s->state]);
			ev_end();
			sess_settle_failed(s);
		}
	}
	ev_begin("setup");
	ev_int("tunnels_up", sim.tunnels_up);
	ev_int("sessions_up", sim.sessions_up);
	ev_ms("ms", sim.setup_end - sim.t0);
	ev_end();
	if (sim.tunnels_up == 0 || opt.hold <= 0) {
		begin_teardown();
		return;
	}
	sim.phase = PH_HOLD;
	lt_set_at(&sim.hold, sim.now + (uint64_t)(opt.hold * 1e6));
	/*
	 * Traffic runs in the hold phase, over the sessions that are up;
	 * with --control, when a command says so.
	 */
	if (opt.tc.dst != 0 && opt.control == NULL) {
		traffic_start(sim.now);
		lt_set_at(&sim.traffic_tm, sim.now);
	}
	if (opt.tc.dst != 0 || opt.tc.echo)
		lt_set_at(&sim.report_tm, sim.now + 1000000);
}

/*
 * RFC 1661 3.7: close the PPP link with Terminate packets first when the
 * LNS speaks PPP at all; the CDN follows on This-Layer-Finished.
 */
static void
session_teardown(struct session *s)
{
	struct ppp *p = s->ppp;

	if (p != NULL && (s->state == S_UP || s->state == S_WAIT_ACK) &&
	    ppp_heard(p) && !ppp_finished(p)) {
		s->ppp_closing = 1;
		ppp_close(p, sim.now);
		if (!ppp_finished(p))
			return;
	}
	session_close(s, L2TP_CDN_ADMIN, 0);
}

static void
begin_teardown(void)
{
	struct tunnel *t;
	int i, j;

	lt_cancel(&sim.hold);
	lt_cancel(&sim.traffic_tm);
	lt_cancel(&sim.report_tm);
	sim.phase = PH_TEARDOWN;
	if (opt.no_teardown) {
		sim.phase = PH_EXIT;
		return;
	}
	for (i = 0; i < sim.ntun; i++) {
		t = &sim.tun[i];
		switch (t->state) {
		case T_IDLE:
		case T_WAIT_REPLY:
			tunnel_finish(t, 0, "abandoned");
			break;
		case T_ESTABLISHED:
			t->teardown = 1;
			for (j = 0; j < opt.sessions; j++)
				session_teardown(&t->sess[j]);
			if (t->sess_open == 0)
				tunnel_stop(t, L2TP_STOP_CLEAR, 0, NULL);
			tunnel_kick(t);
			break;
		default:
			break;
		}
	}
}

static void
deadline_fire(struct ltimer *tm, void *arg)
{
	end_setup(1);
}

static void
hold_fire(struct ltimer *tm, void *arg)
{
	if (sim.phase == PH_HOLD)
		begin_teardown();
}

/* --rate: open tunnels on schedule; otherwise all at once. */
static void
starter_fire(struct ltimer *tm, void *arg)
{
	uint64_t due;

	while (sim.next_open < sim.ntun) {
		due = opt.rate > 0 ? sim.t0 +
		    (uint64_t)((double)sim.next_open * 1e6 / opt.rate) : 0;
		if (due > sim.now) {
			lt_set_at(&sim.starter, due);
			return;
		}
		tunnel_open(&sim.tun[sim.next_open++]);
	}
}

/*
 * --control: on SIGUSR1, the commands in the file, one a line, in the
 * hold phase: "traffic SIZE PPS SECONDS" starts the generator anew with
 * these values, "stop" stops it, "report" prints a traffic event now.
 * Each command is answered by a control event.
 */
static void
control_run(void)
{
	char line[256], cmd[16];
	double size, pps, secs;
	const char *why;
	FILE *f;
	int n;

	if ((f = fopen(opt.control, "r")) == NULL) {
		gerr("--control %s: %s", opt.control, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		n = sscanf(line, "%15s %lf %lf %lf", cmd, &size, &pps, &secs);
		if (n < 1 || cmd[0] == '#')
			continue;
		why = NULL;
		if (sim.phase != PH_HOLD) {
			why = "not in the hold phase";
		} else if (strcmp(cmd, "traffic") == 0) {
			if (opt.tc.dst == 0)
				why = "no --traffic-dst";
			else if (n != 4 || traffic_set((size_t)size, pps,
			    secs) == -1)
				why = "traffic SIZE PPS SECONDS";
			else {
				traffic_start(sim.now);
				lt_set_at(&sim.traffic_tm, sim.now);
			}
		} else if (strcmp(cmd, "stop") == 0) {
			traffic_stop();
			lt_cancel(&sim.traffic_tm);
		} else if (strcmp(cmd, "report") != 0) {
			why = "unknown command";
		}
		ev_begin("control");
		ev_str("command", line);
		ev_bool("ok", why == NULL);
		if (why != NULL)
			ev_str("error", why);
		ev_end();
		if (why == NULL && strcmp(cmd, "report") == 0)
			ev_traffic("traffic");
	}
	fclose(f);
}

static void
phase_step(void)
{
	if (got_control) {
		got_control = 0;
		control_run();
	}
	if (opt.max_pending > 0 && sim.phase == PH_SETUP)
		start_more();
	if (got_signal >= 2) {
		sim.interrupted = 1;
		sim.phase = PH_EXIT;
		return;
	}
	if (got_signal == 1 && !sim.interrupted) {
		sim.interrupted = 1;
		if (sim.phase == PH_SETUP)
			end_setup(1);
		if (sim.phase == PH_HOLD)
			begin_teardown();
	}
	switch (sim.phase) {
	case PH_SETUP:
		if (sim.tun_pending == 0 && sim.sess_pending == 0)
			end_setup(0);
		break;
	case PH_HOLD:
		if (sim.tun_open == 0)
			begin_teardown();
		break;
	case PH_TEARDOWN:
		if (sim.tun_open == 0)
			sim.phase = PH_EXIT;
		break;
	case PH_EXIT:
		break;
	}
}

/* ---- summary ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
ev_latency(const char *prefix, uint64_t *v, size_t n)
{
	char key[64];
	uint64_t sum = 0;
	size_t i;

	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	snprintf(key, sizeof(key), "%s_min_ms", prefix);
	ev_ms(key, v[0]);
	snprintf(key, sizeof(key), "%s_avg_ms", prefix);
	ev_ms(key, sum / n);
	snprintf(key, sizeof(key), "%s_p50_ms", prefix);
	ev_ms(key, v[(n - 1) / 2]);
	snprintf(key, sizeof(key), "%s_p95_ms", prefix);
	ev_ms(key, v[(n - 1) * 95 / 100]);
	snprintf(key, sizeof(key), "%s_max_ms", prefix);
	ev_ms(key, v[n - 1]);
}

static int
report_done(void)
{
	const struct traffic_stats *st = traffic_stats();
	long echo_rx = 0, echo_tx = 0, echo_ignored = 0;
	uint64_t *lat;
	size_t n, cap;
	int i, j, ok;

	ok = sim.tunnels_up == sim.ntun && sim.sessions_up == sim.nsess &&
	    sim.errors == 0 && sim.unexpected_down == 0 &&
	    (opt.no_teardown || (sim.tunnels_clean == sim.ntun &&
	    sim.sessions_clean == sim.nsess));
	/* Every session's PPP up, or with --wrong-password every refused. */
	if (opt.ppp && opt.wrong_password)
		ok = ok && sim.auth_refused == sim.nsess && sim.ppp_up == 0;
	else if (opt.ppp)
		ok = ok && sim.ppp_up == sim.nsess && sim.auth_failures == 0;
	for (i = 0; sim.ppp != NULL && i < sim.nsess; i++) {
		echo_rx += sim.ppp[i].echo_rx;
		echo_tx += sim.ppp[i].echo_tx;
		echo_ignored += sim.ppp[i].echo_ignored;
	}
	ev_begin("done");
	ev_bool("ok", ok);
	ev_int("tunnels", sim.ntun);
	ev_int("tunnels_up", sim.tunnels_up);
	ev_int("tunnels_closed", sim.tunnels_clean);
	ev_int("sessions", sim.nsess);
	ev_int("sessions_up", sim.sessions_up);
	ev_int("sessions_closed", sim.sessions_clean);
	ev_int("errors", sim.errors);
	ev_int("timeouts", sim.timeouts);
	ev_int("retransmits", sim.retransmits);
	ev_int("unexpected_down", sim.unexpected_down);
	ev_int("hello_rx", sim.hello_rx);
	ev_int("ctrl_tx", sim.ctrl_tx);
	ev_int("ctrl_rx", sim.ctrl_rx);
	ev_int("zlb_tx", sim.zlb_tx);
	ev_int("duplicates", sim.dup_rx);
	ev_int("out_of_order", sim.ooo_rx);
	ev_int("data_rx", sim.data_rx);
	ev_int("data_tx", sim.data_tx);
	ev_int("data_tx_dropped", sim.data_tx_dropped);
	ev_int("lcp_up", sim.lcp_up);
	ev_int("auth_ok", sim.auth_ok);
	ev_int("auth_failures", sim.auth_failures);
	ev_int("ppp_up", sim.ppp_up);
	ev_int("ppp_down", sim.ppp_down);
	ev_int("ppp_rejects_rx", sim.ppp_rejects);
	ev_int("echo_rx", echo_rx);
	ev_int("echo_tx", echo_tx);
	ev_int("echo_ignored", echo_ignored);
	ev_int("tx_packets", (long long)st->tx_packets);
	ev_int("tx_bytes", (long long)st->tx_bytes);
	ev_int("rx_packets", (long long)st->rx_packets);
	ev_int("rx_bytes", (long long)st->rx_bytes);
	ev_int("rx_wrong_session", (long long)st->rx_wrong_session);
	ev_int("rx_bad", (long long)st->rx_bad);
	ev_int("rx_own", (long long)st->rx_own);
	if (st->rx_own > 0) {
		ev_ms("rtt_avg_ms", st->rtt_sum_us / st->rx_own);
		ev_ms("rtt_max_ms", st->rtt_max_us);
	}
	ev_int("icmp_replies", (long long)st->icmp_replies);
	ev_int("udp_reflected", (long long)st->udp_reflected);
	ev_int("tx_no_session", (long long)st->tx_no_session);
	if (opt.tun != NULL) {
		ev_int("tun_up", sim.tdev_up);
		ev_int("tun_down", sim.tdev_down);
		ev_int("tun_out_packets", (long long)sim.tdev_out_packets);
		ev_int("tun_out_bytes", (long long)sim.tdev_out_bytes);
		ev_int("tun_in_packets", (long long)sim.tdev_in_packets);
		ev_int("tun_in_bytes", (long long)sim.tdev_in_bytes);
		ev_int("tun_dropped", (long long)sim.tdev_dropped);
	}
	ev_bool("interrupted", sim.interrupted);
	if (sim.setup_end != 0)
		ev_ms("setup_ms", sim.setup_end - sim.t0);
	ev_ms("elapsed_ms", lt_now() - sim.t0);
	cap = (size_t)(sim.ntun > sim.nsess ? sim.ntun : sim.nsess);
	lat = calloc(cap ? cap : 1, sizeof(*lat));
	if (lat != NULL) {
		for (n = 0, i = 0; i < sim.ntun; i++)
			if (sim.tun[i].up)
				lat[n++] = sim.tun[i].t_up -
				    sim.tun[i].t_start;
		ev_latency("tunnel_setup", lat, n);
		for (n = 0, i = 0; i < sim.ntun; i++)
			for (j = 0; j < opt.sessions; j++)
				if (sim.tun[i].sess[j].up)
					lat[n++] = sim.tun[i].sess[j].t_up -
					    sim.tun[i].sess[j].t_start;
		ev_latency("session_setup", lat, n);
		for (n = 0, i = 0; i < sim.nsess; i++)
			if (sim.sess[i].ppp_ready)
				lat[n++] = sim.sess[i].t_ppp -
				    sim.sess[i].t_start;
		ev_latency("ppp_setup", lat, n);
		free(lat);
	}
	ev_end();
	return ok ? EXIT_OK : EXIT_FAIL;
}

/* ---- raw mode: hex datagrams out, every reply printed ---- */

static int
hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	int hi = -1, v;

	*len = 0;
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s) || *s == ':' || *s == '-')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		v = isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (*len >= cap)
			return -1;
		out[(*len)++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? 0 : -1;
}

static int
raw_run(void)
{
	static uint8_t pkt[65536];
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct pollfd pfd;
	uint64_t end;
	int64_t left;
	size_t len;
	ssize_t n;
	long sent = 0, received = 0;
	int fd, i;

	fd = open_socket();
	if (fd == -1) {
		fprintf(stderr, "lacsim: socket: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	for (i = 0; i < opt.nraw; i++) {
		if (hex_decode(opt.raw[i], pkt, sizeof(pkt), &len) == -1) {
			fprintf(stderr, "lacsim: --raw-hex: not an even "
			    "string of hex digits\n");
			close(fd);
			return EXIT_USAGE;
		}
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&opt.lns,
		    opt.lns_len) == -1) {
			gerr("sendto: %s", strerror(errno));
			continue;
		}
		sent++;
		ev_begin("tx");
		ev_int("len", (long long)len);
		ev_hex("hex", pkt, len);
		ev_end();
	}
	end = lt_now() + (uint64_t)(opt.timeout * 1e6);
	for (;;) {
		left = (int64_t)(end - lt_now());
		if (left <= 0 || got_signal)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)((left + 999) / 1000)) <= 0)
			continue;
		fromlen = sizeof(from);
		n = recvfrom(fd, rxbuf, sizeof(rxbuf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				gerr("recvfrom: %s", strerror(errno));
			continue;
		}
		received++;
		ev_begin("rx");
		ev_str("from", addr_str(&from));
		ev_int("len", (long long)n);
		ev_hex("hex", rxbuf, (size_t)n);
		ev_end();
	}
	close(fd);
	ev_begin("done");
	ev_int("sent", sent);
	ev_int("received", received);
	ev_int("errors", sim.errors);
	ev_end();
	return sent == opt.nraw ? EXIT_OK : EXIT_FAIL;
}

/* ---- options ---- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: lacsim --lns HOST[:PORT] [options]\n"
"  --lns HOST[:PORT]   LNS address (port 1701; [v6addr]:port for IPv6)\n"
"  --bind ADDR[:PORT]  local address (a port only with --tunnels 1)\n"
"  --tunnels N         tunnels to open (1)\n"
"  --sessions N        sessions per tunnel (1; 0 for tunnels only)\n"
"  --secret S          shared secret: Challenge the LNS, answer its own\n"
"  --no-challenge      with --secret, do not challenge the LNS\n"
"  --hide              hide every hideable AVP (RFC 2661 4.3)\n"
"  --hostname NAME     Host Name AVP (lacsim)\n"
"  --calling NUMBER    Calling Number, %%d = session index (lacsim-%%d)\n"
"  --called NUMBER     Called Number, %%d = session index (l2tpns)\n"
"  --hold SECONDS      keep everything up this long (0)\n"
"  --no-teardown       exit after --hold without CDN/StopCCN\n"
"  --timeout SECONDS   setup deadline; raw mode: reply wait (10)\n"
"  --retries N         retransmissions before giving up (5)\n"
"  --rtx-initial MS    first retransmission interval (1000)\n"
"  --rtx-cap MS        retransmission interval cap (8000)\n"
"  --rws N             our Receive Window Size, 0 = omit the AVP (8)\n"
"  --hello SECONDS     HELLO after this much silence, 0 = never (60)\n"
"  --linger SECONDS    keep a closed tunnel's socket this long (0)\n"
"  --rate N            open N tunnels per second, 0 = all at once (0)\n"
"  --max-pending N     at most N sessions between ICRQ and up at once (0:\n"
"                      no cap)\n"
"  --raw-hex HEX       send this datagram (repeatable) and print replies\n"
"  --json              one JSON object per event line\n"
"  -v, --verbose       also trace every control message and PPP packet\n"
"PPP over each session (off by default; the options below imply --ppp):\n"
"  --ppp               run a PPP client once the ICCN is sent\n"
"  --no-ppp            stop at the ICCN (the default)\n"
"  --auth pap|chap|mschapv2\n"
"                      authenticate with PAP, CHAP-MD5 or MS-CHAPv2 (pap)\n"
"  --user FMT          user name, %%d = session number from 1 (user%%d)\n"
"  --password PW       password or CHAP secret (password)\n"
"  --ipv6              also negotiate IPV6CP\n"
"  --mru N             MRU we request, 0 = no MRU option (1460)\n"
"  --lcp-echo SECONDS  send our own LCP Echo-Requests this often (0 = never)\n"
"  --ppp-restart SECONDS  Restart timer (3)\n"
"  --ppp-max-configure N, --ppp-max-terminate N, --ppp-max-failure N\n"
"                      RFC 1661 4.6 counters (10, 2, 5)\n"
"  --wrong-password    authenticate with a wrong password (expect refusal)\n"
"  --no-echo-reply     ignore the LNS's LCP Echo-Requests\n"
"  --lcp-unknown-option  add option 0x7f to our LCP Configure-Request\n"
"  --reject-mru        Configure-Reject the LNS's MRU option\n"
"  --send-ccp          a CCP Configure-Request once IPCP is up\n"
"Traffic (in the hold phase):\n"
"  --traffic-dst A.B.C.D  send UDP from each session's address to A.B.C.D\n"
"  --pps N             packets per second in all (100)\n"
"  --size BYTES        IP packet size, 28-1500 (100)\n"
"  --duration SECONDS  how long to send (10); --hold is raised to cover it\n"
"  --sport N           UDP source port, 0 = 1024 + session number (0)\n"
"  --dport N           UDP destination port (9)\n"
"  --echo              answer ICMP echo requests, send UDP back\n"
"  --control FILE      on SIGUSR1 run FILE's commands (traffic SIZE PPS\n"
"                      SECONDS, stop, report); no traffic until then\n"
"Kernel side (a TUN device per session, instead of the traffic above):\n"
"  --tun NAME          device NAME (%%d = session number) with the session's\n"
"                      address, table and source rule\n"
"  --tun-table N       session k's routing table is N + k (1000)\n");
}

static int
parse_num(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || isnan(*v) ||
	    *v < lo || *v > hi)
		return -1;
	return 0;
}

/* HOST[:PORT], [HOST]:PORT, or a bare IPv6 address. */
static int
parse_hostport(const char *arg, int family, int passive, const char *dport,
    struct sockaddr_storage *ss, socklen_t *len, int *had_port)
{
	struct addrinfo hints, *res;
	char host[256];
	const char *port = dport, *colon;
	size_t n;
	int e;

	*had_port = 0;
	if (arg[0] == '[') {
		colon = strchr(arg, ']');
		if (colon == NULL)
			return -1;
		n = (size_t)(colon - arg - 1);
		if (colon[1] == ':') {
			port = colon + 2;
			*had_port = 1;
		} else if (colon[1] != '\0')
			return -1;
		arg++;
	} else if ((colon = strrchr(arg, ':')) != NULL &&
	    strchr(arg, ':') == colon) {
		n = (size_t)(colon - arg);
		port = colon + 1;
		*had_port = 1;
	} else {
		n = strlen(arg);
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "lacsim: %s: %s\n", host, gai_strerror(e));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

enum {
	O_LNS = 256, O_BIND, O_TUNNELS, O_SESSIONS, O_SECRET, O_NOCHAL,
	O_HIDE, O_HOSTNAME, O_CALLING, O_CALLED, O_HOLD, O_NOTEAR, O_TIMEOUT,
	O_RETRIES, O_RTXI, O_RTXC, O_RWS, O_HELLO, O_LINGER, O_RATE, O_MAXPEND,
	O_RAW,
	O_JSON, O_PPP, O_NOPPP, O_AUTH, O_USER, O_PASSWORD, O_IPV6, O_MRU,
	O_LCPECHO, O_PPPRESTART, O_MAXCONF, O_MAXTERM, O_MAXFAIL, O_WRONGPW,
	O_NOECHOREPLY, O_LCPUNKNOWN, O_REJECTMRU, O_SENDCCP, O_TDST, O_PPS,
	O_SIZE, O_DURATION, O_SPORT, O_DPORT, O_ECHO, O_TUN, O_TUNTABLE,
	O_CONTROL
};

static const struct option longopts[] = {
	{ "lns",		required_argument, NULL, O_LNS },
	{ "bind",		required_argument, NULL, O_BIND },
	{ "tunnels",		required_argument, NULL, O_TUNNELS },
	{ "sessions",		required_argument, NULL, O_SESSIONS },
	{ "secret",		required_argument, NULL, O_SECRET },
	{ "no-challenge",	no_argument,	   NULL, O_NOCHAL },
	{ "hide",		no_argument,	   NULL, O_HIDE },
	{ "hostname",		required_argument, NULL, O_HOSTNAME },
	{ "calling",		required_argument, NULL, O_CALLING },
	{ "called",		required_argument, NULL, O_CALLED },
	{ "hold",		required_argument, NULL, O_HOLD },
	{ "no-teardown",	no_argument,	   NULL, O_NOTEAR },
	{ "timeout",		required_argument, NULL, O_TIMEOUT },
	{ "retries",		required_argument, NULL, O_RETRIES },
	{ "rtx-initial",	required_argument, NULL, O_RTXI },
	{ "rtx-cap",		required_argument, NULL, O_RTXC },
	{ "rws",		required_argument, NULL, O_RWS },
	{ "hello",		required_argument, NULL, O_HELLO },
	{ "linger",		required_argument, NULL, O_LINGER },
	{ "rate",		required_argument, NULL, O_RATE },
	{ "max-pending",	required_argument, NULL, O_MAXPEND },
	{ "raw-hex",		required_argument, NULL, O_RAW },
	{ "json",		no_argument,	   NULL, O_JSON },
	{ "ppp",		no_argument,	   NULL, O_PPP },
	{ "no-ppp",		no_argument,	   NULL, O_NOPPP },
	{ "auth",		required_argument, NULL, O_AUTH },
	{ "user",		required_argument, NULL, O_USER },
	{ "password",		required_argument, NULL, O_PASSWORD },
	{ "ipv6",		no_argument,	   NULL, O_IPV6 },
	{ "mru",		required_argument, NULL, O_MRU },
	{ "lcp-echo",		required_argument, NULL, O_LCPECHO },
	{ "ppp-restart",	required_argument, NULL, O_PPPRESTART },
	{ "ppp-max-configure",	required_argument, NULL, O_MAXCONF },
	{ "ppp-max-terminate",	required_argument, NULL, O_MAXTERM },
	{ "ppp-max-failure",	required_argument, NULL, O_MAXFAIL },
	{ "wrong-password",	no_argument,	   NULL, O_WRONGPW },
	{ "no-echo-reply",	no_argument,	   NULL, O_NOECHOREPLY },
	{ "lcp-unknown-option",	no_argument,	   NULL, O_LCPUNKNOWN },
	{ "reject-mru",		no_argument,	   NULL, O_REJECTMRU },
	{ "send-ccp",		no_argument,	   NULL, O_SENDCCP },
	{ "traffic-dst",	required_argument, NULL, O_TDST },
	{ "pps",		required_argument, NULL, O_PPS },
	{ "size",		required_argument, NULL, O_SIZE },
	{ "duration",		required_argument, NULL, O_DURATION },
	{ "sport",		required_argument, NULL, O_SPORT },
	{ "dport",		required_argument, NULL, O_DPORT },
	{ "echo",		no_argument,	   NULL, O_ECHO },
	{ "control",		required_argument, NULL, O_CONTROL },
	{ "tun",		required_argument, NULL, O_TUN },
	{ "tun-table",		required_argument, NULL, O_TUNTABLE },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL,			0,		   NULL, 0 }
};

/* The options of PPP and traffic; each implies --ppp. */
static int
parse_ppp_arg(int c, int li)
{
	struct in_addr a;
	double v;

#define PNUM(lo, hi) do {						\
	if (parse_num(optarg, (lo), (hi), &v) == -1) {			\
		fprintf(stderr, "lacsim: --%s: bad value %s\n",		\
		    longopts[li].name, optarg);				\
		return -1;						\
	}								\
} while (0)

	switch (c) {
	case O_AUTH:
		if (strcmp(optarg, "pap") == 0)
			opt.auth = PPP_PROTO_PAP;
		else if (strcmp(optarg, "chap") == 0)
			opt.auth = PPP_PROTO_CHAP;
		else if (strcmp(optarg, "mschapv2") == 0) {
			opt.auth = PPP_PROTO_CHAP;
			opt.mschapv2 = 1;
		} else {
			fprintf(stderr, "lacsim: --auth: pap, chap or "
			    "mschapv2\n");
			return -1;
		}
		break;
	case O_USER:
		opt.user = optarg;
		break;
	case O_PASSWORD:
		opt.password = optarg;
		break;
	case O_IPV6:
		opt.ipv6 = 1;
		break;
	case O_MRU:
		PNUM(0, 65000);
		if (v != 0 && v < 68) {
			fprintf(stderr, "lacsim: --mru: 0 or 68 to 65000\n");
			return -1;
		}
		opt.mru = (uint16_t)v;
		break;
	case O_LCPECHO:
		PNUM(0, 3600);
		opt.lcp_echo = v;
		break;
	case O_PPPRESTART:
		PNUM(0.01, 600);
		opt.ppp_restart = v;
		break;
	case O_MAXCONF:
		PNUM(1, 255);
		opt.max_configure = (int)v;
		break;
	case O_MAXTERM:
		PNUM(1, 255);
		opt.max_terminate = (int)v;
		break;
	case O_MAXFAIL:
		PNUM(1, 255);
		opt.max_failure = (int)v;
		break;
	case O_WRONGPW:
		opt.wrong_password = 1;
		break;
	case O_NOECHOREPLY:
		opt.no_echo_reply = 1;
		break;
	case O_LCPUNKNOWN:
		opt.lcp_test_opt = 1;
		break;
	case O_REJECTMRU:
		opt.reject_mru = 1;
		break;
	case O_SENDCCP:
		opt.send_ccp = 1;
		break;
	case O_TDST:
		if (inet_pton(AF_INET, optarg, &a) != 1 ||
		    a.s_addr == INADDR_ANY) {
			fprintf(stderr, "lacsim: --traffic-dst: an IPv4 "
			    "address\n");
			return -1;
		}
		opt.tc.dst = ntohl(a.s_addr);
		break;
	case O_PPS:
		PNUM(0.001, 1e7);
		opt.tc.pps = v;
		break;
	case O_SIZE:
		PNUM(IP4_MIN_PKT, IP4_MAX_PKT);
		opt.tc.size = (size_t)v;
		break;
	case O_DURATION:
		PNUM(0.001, 1e7);
		opt.tc.duration = v;
		break;
	case O_SPORT:
		PNUM(0, 65535);
		opt.tc.sport = (uint16_t)v;
		break;
	case O_DPORT:
		PNUM(1, 65535);
		opt.tc.dport = (uint16_t)v;
		break;
	case O_ECHO:
		opt.tc.echo = 1;
		break;
	case O_CONTROL:
		opt.control = optarg;
		break;
	case O_TUN:
		opt.tun = optarg;
		break;
	case O_TUNTABLE:
		/* Above the reserved 253-255, so the tables never meet them. */
		PNUM(256, 4000000000.0);
		opt.tun_table = (uint32_t)v;
		break;
	default:
		usage(stderr);
		return -1;
	}
#undef PNUM
	opt.ppp_implied = 1;
	return 0;
}

/* --tun: a device name per session, tables clear of the last one. */
static int
check_tun_args(void)
{
	char a[LAC_STR_MAX + 2], b[LAC_STR_MAX + 2];
	long nsess = (long)opt.tunnels * opt.sessions;

	expand_number(a, sizeof(a), opt.tun, LAC_MAX_SESSIONS);
	if (*a == '\0' || strlen(a) >= LAC_IFNAME_MAX) {
		fprintf(stderr, "lacsim: --tun: 1 to %d bytes once %%d is "
		    "expanded\n", LAC_IFNAME_MAX - 1);
		return -1;
	}
	expand_number(a, sizeof(a), opt.tun, 1);
	expand_number(b, sizeof(b), opt.tun, 2);
	if (nsess > 1 && strcmp(a, b) == 0) {
		fprintf(stderr, "lacsim: --tun: a name with %%d for more "
		    "than one session\n");
		return -1;
	}
	if (strpbrk(a, "/: \t\n") != NULL) {
		fprintf(stderr, "lacsim: --tun: not a device name\n");
		return -1;
	}
	/* The kernel's stack carries the session's traffic. */
	if (opt.tc.dst != 0 || opt.tc.echo) {
		fprintf(stderr, "lacsim: --tun: not with --traffic-dst or "
		    "--echo\n");
		return -1;
	}
	if ((uint64_t)opt.tun_table + (uint64_t)nsess > UINT32_MAX) {
		fprintf(stderr, "lacsim: --tun-table: too high for %ld "
		    "sessions\n", nsess);
		return -1;
	}
	return 0;
}

/* After parsing: PPP's options checked together. */
static int
check_ppp_args(void)
{
	char buf[LAC_STR_MAX + 2];

	if (opt.ppp_implied && opt.no_ppp) {
		fprintf(stderr, "lacsim: PPP and traffic options need PPP, "
		    "not --no-ppp\n");
		return -1;
	}
	if (opt.ppp_implied)
		opt.ppp = 1;
	if (!opt.ppp)
		return 0;
	/* RFC 1334 2.2.1: one-octet lengths; RFC 1994 4.1: a Name. */
	expand_number(buf, sizeof(buf), opt.user, LAC_MAX_SESSIONS);
	if (*buf == '\0' || strlen(buf) > 255) {
		fprintf(stderr, "lacsim: --user: 1 to 255 bytes\n");
		return -1;
	}
	/* RFC 1994 2.3: a secret of at least one octet. */
	if (*opt.password == '\0' ||
	    strlen(opt.password) + strlen("wrong-") > 255) {
		fprintf(stderr, "lacsim: --password: 1 to 249 bytes\n");
		return -1;
	}
	if (opt.sessions == 0) {
		fprintf(stderr, "lacsim: --ppp needs sessions\n");
		return -1;
	}
	if (opt.tun != NULL && check_tun_args() == -1)
		return -1;
	/* The hold phase carries the traffic, and a second to drain. */
	if (opt.tc.dst != 0 && opt.hold < opt.tc.duration + 1)
		opt.hold = opt.tc.duration + 1;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	const char *bind_arg = NULL;
	char num[LAC_STR_MAX + 2];
	double v;
	int c, li, had_port;

#define NUM(lo, hi) do {						\
	if (parse_num(optarg, (lo), (hi), &v) == -1) {			\
		fprintf(stderr, "lacsim: --%s: bad value %s\n",		\
		    longopts[li].name, optarg);				\
		return -1;						\
	}								\
} while (0)

	li = 0;
	while ((c = getopt_long(argc, argv, "vh", longopts, &li)) != -1) {
		switch (c) {
		case O_LNS:
			opt.lns_arg = optarg;
			break;
		case O_BIND:
			bind_arg = optarg;
			break;
		case O_TUNNELS:
			NUM(1, 65535);
			opt.tunnels = (int)v;
			break;
		case O_SESSIONS:
			NUM(0, 65535);
			opt.sessions = (int)v;
			break;
		case O_SECRET:
			opt.secret = (const uint8_t *)optarg;
			opt.secret_len = strlen(optarg);
			break;
		case O_NOCHAL:
			opt.challenge = 0;
			break;
		case O_HIDE:
			opt.hide = 1;
			break;
		case O_HOSTNAME:
			opt.hostname = optarg;
			break;
		case O_CALLING:
			opt.calling = optarg;
			break;
		case O_CALLED:
			opt.called = optarg;
			break;
		case O_HOLD:
			NUM(0, 1e7);
			opt.hold = v;
			break;
		case O_NOTEAR:
			opt.no_teardown = 1;
			break;
		case O_TIMEOUT:
			NUM(0.001, 1e7);
			opt.timeout = v;
			break;
		case O_RETRIES:
			NUM(0, 1000);
			opt.retries = (int)v;
			break;
		case O_RTXI:
			NUM(1, 3600000);
			opt.rtx_initial = (uint64_t)(v * 1000);
			break;
		case O_RTXC:
			NUM(1, 3600000);
			opt.rtx_cap = (uint64_t)(v * 1000);
			break;
		case O_RWS:
			NUM(0, 65535);
			opt.rws = (uint16_t)v;
			break;
		case O_HELLO:
			NUM(0, 1e7);
			opt.hello = v;
			break;
		case O_LINGER:
			NUM(0, 3600);
			opt.linger = v;
			break;
		case O_RATE:
			NUM(0, 1e7);
			opt.rate = v;
			break;
		case O_MAXPEND:
			NUM(0, LAC_MAX_SESSIONS);
			opt.max_pending = (int)v;
			break;
		case O_RAW:
			if (opt.nraw >= (int)(sizeof(opt.raw) /
			    sizeof(opt.raw[0]))) {
				fprintf(stderr, "lacsim: too many --raw-hex\n");
				return -1;
			}
			opt.raw[opt.nraw++] = optarg;
			break;
		case O_JSON:
			opt.json = 1;
			break;
		case O_PPP:
			opt.ppp = 1;
			opt.no_ppp = 0;
			break;
		case O_NOPPP:
			opt.ppp = 0;
			opt.no_ppp = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			/* PPP and traffic options, or a bad one. */
			if (parse_ppp_arg(c, li) == -1)
				return -1;
			break;
		}
	}
#undef NUM
	if (optind != argc || opt.lns_arg == NULL) {
		usage(stderr);
		return -1;
	}
	if (parse_hostport(opt.lns_arg, AF_UNSPEC, 0, "1701", &opt.lns,
	    &opt.lns_len, &had_port) == -1 || addr_port(&opt.lns) == 0) {
		fprintf(stderr, "lacsim: --lns %s: bad address\n",
		    opt.lns_arg);
		return -1;
	}
	if (bind_arg != NULL) {
		if (parse_hostport(bind_arg, opt.lns.ss_family, 1, "0",
		    &opt.bind, &opt.bind_len, &had_port) == -1) {
			fprintf(stderr, "lacsim: --bind %s: bad address\n",
			    bind_arg);
			return -1;
		}
		opt.bind_port = had_port && addr_port(&opt.bind) != 0;
		if (opt.bind_port && opt.tunnels > 1) {
			fprintf(stderr, "lacsim: --bind with a port needs "
			    "--tunnels 1\n");
			return -1;
		}
	}
	if ((long)opt.tunnels * opt.sessions > LAC_MAX_SESSIONS) {
		fprintf(stderr, "lacsim: at most %d sessions in all\n",
		    LAC_MAX_SESSIONS);
		return -1;
	}
	if (opt.hide && opt.secret == NULL) {
		fprintf(stderr, "lacsim: --hide needs --secret\n");
		return -1;
	}
	if (opt.secret != NULL && opt.secret_len == 0) {
		fprintf(stderr, "lacsim: --secret must not be empty\n");
		return -1;
	}
	if (*opt.hostname == '\0' || strlen(opt.hostname) > 255) {
		fprintf(stderr, "lacsim: --hostname: 1 to 255 bytes\n");
		return -1;
	}
	expand_number(num, sizeof(num), opt.calling, 65535L * 65535L);
	if (strlen(num) > LAC_STR_MAX - 1 || (*num == '\0' &&
	    *opt.calling != '\0')) {
		fprintf(stderr, "lacsim: --calling is too long\n");
		return -1;
	}
	expand_number(num, sizeof(num), opt.called, 65535L * 65535L);
	if (strlen(num) > LAC_STR_MAX - 1 || (*num == '\0' &&
	    *opt.called != '\0')) {
		fprintf(stderr, "lacsim: --called is too long\n");
		return -1;
	}
	if (opt.rtx_cap < opt.rtx_initial)
		opt.rtx_cap = opt.rtx_initial;
	return check_ppp_args();
}

/* ---- main ---- */

static void
on_signal(int sig)
{
	(void)sig;
	if (got_signal < 2)
		got_signal++;
}

static void
on_control(int sig)
{
	(void)sig;
	got_control = 1;
}

static void
ppp_conf_init(void)
{
	struct ppp_conf *c = &sim.pconf;

	/* --wrong-password: a password the LNS cannot have for us. */
	snprintf(sim.password, sizeof(sim.password), "%s%s",
	    opt.wrong_password ? "wrong-" : "", opt.password);
	c->auth = opt.auth;
	c->mschapv2 = opt.mschapv2;
	c->password = sim.password;
	c->password_len = strlen(sim.password);
	c->mru = opt.mru;
	c->ipv6 = opt.ipv6;
	c->send_ccp = opt.send_ccp;
	c->no_echo_reply = opt.no_echo_reply;
	c->lcp_test_opt = opt.lcp_test_opt;
	c->reject_mru = opt.reject_mru;
	c->trace = opt.verbose;
	c->restart_us = (uint64_t)(opt.ppp_restart * 1e6);
	c->echo_us = (uint64_t)(opt.lcp_echo * 1e6);
	c->max_configure = (uint8_t)opt.max_configure;
	c->max_terminate = (uint8_t)opt.max_terminate;
	c->max_failure = (uint8_t)opt.max_failure;
	c->send = ppp_send_hook;
	c->event = ppp_event_hook;
	c->ip_input = ppp_ip_hook;
	c->ip6_input = ppp_ip6_hook;
	c->user = ppp_user_hook;
	c->random = rand_fill;
}

static int
sim_init(void)
{
	struct rlimit rl;
	struct tunnel *t;
	struct session *s;
	int i, j;

	size_t ntimers;

	sim.ntun = opt.tunnels;
	sim.nsess = opt.tunnels * opt.sessions;
	sim.tun = calloc((size_t)sim.ntun, sizeof(*sim.tun));
	sim.sess = calloc(sim.nsess ? (size_t)sim.nsess : 1,
	    sizeof(*sim.sess));
	/* Two per tunnel, three for the run, two for traffic, PPP's. */
	ntimers = 2 * (size_t)sim.ntun + 8;
	if (opt.ppp)
		ntimers += (size_t)sim.nsess * LAC_TIMERS_PPP;
	if (sim.tun == NULL || sim.sess == NULL ||
	    lt_heap_init(ntimers) == -1)
		return -1;
	if (opt.ppp) {
		sim.ppp = calloc(sim.nsess ? (size_t)sim.nsess : 1,
		    sizeof(*sim.ppp));
		opt.tc.slot = traffic_slot;
		if (sim.ppp == NULL ||
		    traffic_init(&opt.tc, (uint32_t)sim.nsess) == -1)
			return -1;
		ppp_conf_init();
	}
	sim.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sim.epfd == -1)
		return -1;
	sim.nl = -1;
	if (opt.tun != NULL && (sim.nl = tundev_nl_open()) == -1)
		return -1;
	/* One descriptor per tunnel, and with --tun one per session. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)sim.ntun + (opt.tun != NULL ?
	    (rlim_t)sim.nsess : 0) + 32) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	rand_fill(&sim.serial, sizeof(sim.serial));
	for (i = 0; i < sim.ntun; i++) {
		t = &sim.tun[i];
		t->idx = i;
		t->fd = -1;
		t->ltid = (uint16_t)(i + 1);
		t->peer = opt.lns;
		t->peer_len = opt.lns_len;
		t->peer_rws = 1;
		t->pend_head = t->pend_tail = -1;
		t->sess = &sim.sess[(size_t)i * opt.sessions];
		lt_init(&t->rtx, rtx_fire, t);
		lt_init(&t->aux, aux_fire, t);
		for (j = 0; j < opt.sessions; j++) {
			s = &t->sess[j];
			s->t = t;
			s->idx = j;
			s->lsid = (uint16_t)(j + 1);
			s->pend_next = -1;
			s->serial = sim.serial++;
			s->tdev_fd = -1;
			if (sim.ppp != NULL) {
				s->ppp = &sim.ppp[(size_t)i * opt.sessions +
				    j];
				ppp_init(s->ppp, &sim.pconf, s);
			}
		}
	}
	sim.tun_pending = sim.tun_open = sim.ntun;
	sim.sess_pending = sim.nsess;
	sim.start_head = sim.start_tail = -1;
	lt_init(&sim.deadline, deadline_fire, NULL);
	lt_init(&sim.hold, hold_fire, NULL);
	lt_init(&sim.starter, starter_fire, NULL);
	lt_init(&sim.traffic_tm, traffic_fire, NULL);
	lt_init(&sim.report_tm, report_fire, NULL);
	return 0;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[64];
	struct sigaction sa;
	enum phase old;
	int64_t wait_us;
	int i, n, rc;

	if (parse_args(argc, argv) == -1)
		return EXIT_USAGE;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_control;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sim.t0 = sim.now = lt_now();

	if (opt.nraw > 0)
		return raw_run();

	if (sim_init() == -1) {
		fprintf(stderr, "lacsim: setup: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	lt_set_at(&sim.deadline, sim.t0 + (uint64_t)(opt.timeout * 1e6));
	lt_set_at(&sim.starter, sim.t0);

	while (sim.phase != PH_EXIT) {
		sim.now = lt_now();
		wait_us = lt_next(sim.now);
		if (wait_us < 0 || wait_us > 1000000)
			wait_us = 1000000;
		n = epoll_wait(sim.epfd, evs, 64, (int)((wait_us + 999) /
		    1000));
		if (n == -1 && errno != EINTR) {
			gerr("epoll_wait: %s", strerror(errno));
			break;
		}
		sim.now = lt_now();
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 & EP_TDEV)
				tdev_readable(&sim.sess[(uint32_t)
				    evs[i].data.u64]);
			else
				tunnel_readable(&sim.tun[evs[i].data.u64]);
		}
		lt_run(sim.now);
		dtx_flush();
		do {
			old = sim.phase;
			phase_step();
		} while (sim.phase != old);
	}
	dtx_flush();
	/* --tun: no device or rule outlives us, whatever ended the run. */
	for (i = 0; opt.tun != NULL && i < sim.nsess; i++)
		tdev_down(&sim.sess[i], "exit");
	if (sim.nl >= 0)
		close(sim.nl);
	rc = report_done();
	for (i = 0; i < sim.ntun; i++)
		if (sim.tun[i].fd >= 0)
			close(sim.tun[i].fd);
	close(sim.epfd);
	lt_heap_free();
	traffic_free();
	free(sim.ppp);
	free(sim.tun);
	free(sim.sess);
	return rc;
}
