/*
 * control.c - the daemon's end of the nsctl control protocol (wire
 * format in control.h, codec in ctlmsg.c).
 *
 * State owned:
 *   - the UDP socket on nsctl_port (all addresses; a reply leaves from
 *     the address its request came to, through IP_PKTINFO);
 *   - the compiled nsctl_allow list, rebuilt when the directive changes;
 *   - a small cache of recent replies, so that a retried request (same
 *     source and xid) is answered again rather than run twice;
 *   - the rate limiter of the drop log lines.
 *
 * Input is triaged by control_input(): source check (a source outside
 * nsctl_allow gets no reply at all), decode, the reply cache, then one
 * handler per built-in command from the `builtins` table; any other
 * command goes to the plugins' control event in load order until one
 * handles it.  Every rejected datagram is counted by reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "l2tpns.h"
#include "cluster.h"
#include "control.h"
#include "event.h"
#include "log.h"
#include "peercred.h"
#include "plugin.h"

#define ALLOW_MAX	64	/* networks in nsctl_allow */
#define CACHE_SLOTS	16	/* recent replies kept for retries */
#define CACHE_MS	10000	/* a retry later than this runs again */
#define DROP_LOGS_PER_SEC 10
#define PLUGIN_REPLY	4096	/* text a plugin may return */

struct net {
	uint32_t	addr, mask;	/* host order */
};

struct cached {
	in_addr_t	 addr;
	uint16_t	 port;
	uint32_t	 xid;
	uint64_t	 at_ms;
	size_t		 len;
	uint8_t		*data;
};

static int ctl_fd = -1;
static char allow_src[CFG_STRLEN];	/* nsctl_allow the list was built from */
static int allow_built;
static struct net allow[ALLOW_MAX];
static int nallow;
static struct cached cache[CACHE_SLOTS];
static int cache_next;

/* ---- logging and counting of rejected datagrams ---- */

static struct log_rl drop_rl = LOG_RL(DROP_LOGS_PER_SEC,
    "nsctl requests rejected");

static void
drop(enum ctl_err why, const struct sockaddr_in *from)
{
	char a[INET_ADDRSTRLEN];

	stats->ctl_malformed++;
	stats->ctl_drops[why - 1]++;
	if (log_level < LOG_WARN_L || !log_rl_ok(&drop_rl, time_now))
		return;
	inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
	log_warnx("nsctl: dropped malformed request from %s:%u: %s "
	    "(%llu malformed so far)", a, ntohs(from->sin_port),
	    ctl_err_name(why), (unsigned long long)stats->ctl_malformed);
}

static void
denied(const struct sockaddr_in *from)
{
	char a[INET_ADDRSTRLEN];

	stats->ctl_denied++;
	if (log_level < LOG_WARN_L || !log_rl_ok(&drop_rl, time_now))
		return;
	inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
	log_warnx("nsctl: ignored request from %s:%u: not in nsctl_allow "
	    "(%llu ignored so far)", a, ntohs(from->sin_port),
	    (unsigned long long)stats->ctl_denied);
}

/* ---- nsctl_allow ---- */

/*
 * "a.b.c.d[/len]" entries separated by commas or blanks.  A bad entry is
 * reported and left out: the list only ever grants less than written.
 */
static void
build_allow(const char *src)
{
	char buf[CFG_STRLEN], *tok, *save = NULL, *slash, *end;
	struct in_addr in;
	long plen;

	snprintf(allow_src, sizeof(allow_src), "%s", src);
	snprintf(buf, sizeof(buf), "%s", src);
	allow_built = 1;
	nallow = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok;
	    tok = strtok_r(NULL, ", \t", &save)) {
		plen = 32;
		if ((slash = strchr(tok, '/')) != NULL) {
			*slash = '\0';
			errno = 0;
			plen = strtol(slash + 1, &end, 10);
			if (errno || end == slash + 1 || *end || plen < 0 ||
			    plen > 32) {
				log_error("nsctl_allow: bad prefix length in "
				    "\"%s/%s\": entry ignored", tok, slash + 1);
				continue;
			}
		}
		if (inet_pton(AF_INET, tok, &in) != 1) {
			log_error("nsctl_allow: \"%s\" is not an IPv4 address: "
			    "entry ignored", tok);
			continue;
		}
		if (nallow == ALLOW_MAX) {
			log_error("nsctl_allow: more than %d networks; the "
			    "rest are ignored", ALLOW_MAX);
			break;
		}
		allow[nallow].mask = plen ? 0xffffffffu << (32 - plen) : 0;
		allow[nallow].addr = ntohl(in.s_addr) & allow[nallow].mask;
		nallow++;
	}
}

int
control_allowed(in_addr_t addr)
{
	uint32_t a = ntohl(addr);
	int i;

	if (!allow_built || strcmp(allow_src, config->nsctl_allow) != 0)
		build_allow(config->nsctl_allow);
	for (i = 0; i < nallow; i++)
		if ((a & allow[i].mask) == allow[i].addr)
			return 1;
	return 0;
}

/* ---- replies ---- */

static void
send_reply(const uint8_t *buf, size_t len, const struct sockaddr_in *to,
    in_addr_t local)
{
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *c;
	struct in_pktinfo *pi;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)to;
	mh.msg_namelen = sizeof(*to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (local != INADDR_ANY) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(*pi));
		pi = (struct in_pktinfo *)CMSG_DATA(c);
		pi->ipi_spec_dst.s_addr = local;
	}
	if (ctl_fd < 0 || sendmsg(ctl_fd, &mh, 0) < 0) {
		stats->ctl_tx_errors++;
		if (ctl_fd >= 0)
			log_error("nsctl: cannot send reply: %s",
			    strerror(errno));
		return;
	}
	stats->ctl_tx++;
}

static struct cached *
cache_find(const struct sockaddr_in *from, uint32_t xid)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		struct cached *c = &cache[i];

		if (c->data && c->addr == from->sin_addr.s_addr &&
		    c->port == from->sin_port && c->xid == xid &&
		    now_ms - c->at_ms < CACHE_MS)
			return c;
	}
	return NULL;
}

static void
cache_put(const struct sockaddr_in *from, uint32_t xid, const uint8_t *buf,
    size_t len)
{
	struct cached *c = &cache[cache_next];
	uint8_t *copy;

	if ((copy = malloc(len)) == NULL)
		return;
	cache_next = (cache_next + 1) % CACHE_SLOTS;
	free(c->data);
	memcpy(copy, buf, len);
	c->data = copy;
	c->len = len;
	c->addr = from->sin_addr.s_addr;
	c->port = from->sin_port;
	c->xid = xid;
	c->at_ms = now_ms;
}

/* ---- commands ---- */

struct builtin {
	const char	*name;
	int		 min_args, max_args;	/* after the command word */
	const char	*usage;
	const char	*help;
	void		(*fn)(const struct ctl_msg *, struct ctl_msg *);
};

static void cmd_help(const struct ctl_msg *, struct ctl_msg *);
static void cmd_load(const struct ctl_msg *, struct ctl_msg *);
static void cmd_unload(const struct ctl_msg *, struct ctl_msg *);

static const struct builtin builtins[] = {
	{ "help", 0, 0, "help", "list the commands", cmd_help },
	{ "load_plugin", 1, 1, "load_plugin NAME",
	    "load plugin_dir/NAME.so", cmd_load },
	{ "unload_plugin", 1, 1, "unload_plugin NAME",
	    "unload a loaded plugin", cmd_unload },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

struct help_ctx {
	struct ctl_msg	*rep;
	const char	*last;		/* plugin whose heading is out */
};

static void
help_line(void *arg, const char *plugin, const char *line)
{
	struct help_ctx *h = arg;

	if (h->last == NULL || strcmp(h->last, plugin) != 0) {
		ctl_addf(h->rep, "Plugin %s:", plugin);
		h->last = plugin;
	}
	ctl_addf(h->rep, "  %s", line);
}

static void
cmd_help(const struct ctl_msg *req, struct ctl_msg *rep)
{
	struct help_ctx h = { rep, NULL };
	size_t i;

	ctl_add_lines(rep, "Built-in commands:");
	for (i = 0; i < NBUILTINS; i++)
		ctl_addf(rep, "  %-24s %s", builtins[i].usage,
		    builtins[i].help);
	plugin_help_lines(help_line, &h);
}

static void
cmd_load(const struct ctl_msg *req, struct ctl_msg *rep)
{
	struct plugin_info pi;
	char err[512];
	int i;

	if (plugin_load(req->argv[1], err, sizeof(err)) < 0) {
		rep->result = CTL_RES_ERR;
		ctl_add_lines(rep, err);
		return;
	}
	for (i = 0; plugin_get_info(i, &pi) == 0; i++)
		if (strcmp(pi.name, req->argv[1]) == 0)
			ctl_addf(rep, "plugin %s loaded from %s", pi.name,
			    pi.path);
}

static void
cmd_unload(const struct ctl_msg *req, struct ctl_msg *rep)
{
	char err[512];

	if (plugin_unload(req->argv[1], err, sizeof(err)) < 0) {
		rep->result = CTL_RES_ERR;
		ctl_add_lines(rep, err);
		return;
	}
	ctl_addf(rep, "plugin %s unloaded", req->argv[1]);
}

/* Not built in: each plugin's control hook in load order. */
static void
cmd_plugins(const struct ctl_msg *req, struct ctl_msg *rep)
{
	static char text[PLUGIN_REPLY];
	struct param_control pc;
	int rc;

	memset(&pc, 0, sizeof(pc));
	text[0] = '\0';
	pc.iam_master = iam_master();
	pc.argc = req->argc;
	pc.argv = (char **)req->argv;
	pc.response = NSCTL_RES_OK;
	pc.reply = text;
	pc.reply_size = sizeof(text);
	rc = plugin_run(PLUGIN_CONTROL, &pc);
	text[sizeof(text) - 1] = '\0';
	switch (rc) {
	case PLUGIN_RET_OK:
		rep->result = CTL_RES_UNKNOWN;
		ctl_addf(rep, "unknown command \"%s\" (\"help\" lists the "
		    "commands)", req->argv[0]);
		return;
	case PLUGIN_RET_STOP:
		rep->result = pc.response == NSCTL_RES_OK ? CTL_RES_OK :
		    CTL_RES_ERR;
		break;
	case PLUGIN_RET_NOTMASTER:
		rep->result = CTL_RES_NOTMASTER;
		if (text[0] == '\0')
			snprintf(text, sizeof(text), "%s must be run on the "
			    "cluster master", req->argv[0]);
		break;
	default:
		rep->result = CTL_RES_ERR;
		if (text[0] == '\0')
			snprintf(text, sizeof(text), "%s failed in a plugin",
			    req->argv[0]);
		break;
	}
	ctl_add_lines(rep, text);
}

static void
dispatch(const struct ctl_msg *req, struct ctl_msg *rep)
{
	const struct builtin *b;
	size_t i;
	int nargs = req->argc - 1;

	for (i = 0; i < NBUILTINS; i++) {
		b = &builtins[i];
		if (strcmp(req->argv[0], b->name) != 0)
			continue;
		if (nargs < b->min_args || nargs > b->max_args) {
			rep->result = CTL_RES_ERR;
			ctl_addf(rep, "usage: %s", b->usage);
			return;
		}
		b->fn(req, rep);
		return;
	}
	cmd_plugins(req, rep);
}

/* ---- input ---- */

/*
 * nsctl loads plugins and starts interception: a request sent by a
 * process of this host is answered only when root (or the daemon's user)
 * sent it, unless trust_local_users.  A request from another host is
 * judged by nsctl_allow alone.
 */
static int
local_user_allowed(const struct sockaddr_in *from, in_addr_t local)
{
	struct sockaddr_in me;
	char a[INET_ADDRSTRLEN];
	uid_t uid = (uid_t)-1;
	int rc;

	if (config->trust_local_users)
		return 1;
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = local != INADDR_ANY ? local : from->sin_addr.s_addr;
	me.sin_port = htons((uint16_t)config->nsctl_port);
	rc = peer_uid(IPPROTO_UDP, &me, from, &uid);
	if (rc == PEER_REMOTE || (rc == PEER_LOCAL &&
	    (uid == 0 || uid == geteuid())))
		return 1;
	if (log_level >= LOG_WARN_L && log_rl_ok(&drop_rl, time_now)) {
		inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
		if (rc == PEER_LOCAL)
			log_warnx("nsctl: ignored request from %s:%u: sent by "
			    "local uid %u, not root (trust_local_users lets "
			    "any local user)", a, ntohs(from->sin_port),
			    (unsigned)uid);
		else
			log_warnx("nsctl: ignored request from %s:%u: its "
			    "sender cannot be checked: %s", a,
			    ntohs(from->sin_port), strerror(errno));
	}
	return 0;
}

void
control_input(const uint8_t *buf, size_t len, const struct sockaddr_in *from,
    in_addr_t local)
{
	static struct ctl_msg req, rep;
	static uint8_t out[CTL_MAXMSG];
	struct cached *c;
	char a[INET_ADDRSTRLEN];
	enum ctl_err e;
	int n;

	stats->ctl_rx++;
	/* Outsiders learn nothing, not even whether we parse. */
	if (!control_allowed(from->sin_addr.s_addr)) {
		denied(from);
		return;
	}
	if (!local_user_allowed(from, local)) {
		stats->ctl_denied++;
		return;
	}
	if (len >= 2 && buf[0] == (CTL2_MAGIC >> 8) &&
	    buf[1] == (CTL2_MAGIC & 0xff)) {
		/* A 2.x nsctl: the same commands, its own wire format. */
		if ((e = ctl_decode_v2(&req, buf, len)) != CTL_E_NONE) {
			drop(e, from);
			return;
		}
		ctl_init(&rep, CTL_REPLY, 0, CTL_RES_OK);
		dispatch(&req, &rep);
		inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
		LOG(LOG_INFO_L, 0, 0, "nsctl (2.x format) from %s:%u: %s: %s",
		    a, ntohs(from->sin_port), req.argv[0],
		    ctl_result_name(rep.result));
		if ((n = ctl_encode_v2(&rep, out, sizeof(out))) > 0)
			send_reply(out, (size_t)n, from, local);
		return;
	}
	if ((e = ctl_decode(&req, buf, len, CTL_REQUEST)) != CTL_E_NONE) {
		drop(e, from);
		return;
	}
	if ((c = cache_find(from, req.xid)) != NULL) {
		stats->ctl_retries++;
		send_reply(c->data, c->len, from, local);
		return;
	}
	ctl_init(&rep, CTL_REPLY, req.xid, CTL_RES_OK);
	dispatch(&req, &rep);
	if (rep.truncated) {
		/* Make room for the note: drop lines until it fits. */
		while (rep.argc > 0 && ctl_add(&rep, "(output truncated)",
		    18) < 0) {
			rep.argc--;
			rep.used = (size_t)(rep.argv[rep.argc] - rep.store);
			rep.wire -= 2 + strlen(rep.argv[rep.argc]);
			rep.argv[rep.argc] = NULL;
		}
	}
	inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
	LOG(LOG_INFO_L, 0, 0, "nsctl from %s:%u: %s%s%s: %s", a,
	    ntohs(from->sin_port), req.argv[0], req.argc > 1 ? " " : "",
	    req.argc > 1 ? req.argv[1] : "", ctl_result_name(rep.result));
	if ((n = ctl_encode(&rep, out, sizeof(out))) < 0) {
		log_error("nsctl: reply to %s does not encode", req.argv[0]);
		return;
	}
	cache_put(from, req.xid, out, (size_t)n);
	send_reply(out, (size_t)n, from, local);
}

static void
ctl_readable(int fd, uint32_t events, void *arg)
{
	static uint8_t buf[CTL_MAXMSG + 1];
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
	} cm;
	struct sockaddr_in from;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	in_addr_t local;
	ssize_t n;
	int budget = config->multi_read_count;

	(void)events;
	(void)arg;
	while (budget-- > 0) {
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_error("nsctl: recvmsg: %s", strerror(errno));
			return;
		}
		if (mh.msg_namelen < sizeof(from) ||
		    from.sin_family != AF_INET)
			continue;
		local = INADDR_ANY;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				local = pi.ipi_addr.s_addr;
			}
		/* A datagram longer than CTL_MAXMSG arrives cut (MSG_TRUNC). */
		if (mh.msg_flags & MSG_TRUNC)
			n = CTL_MAXMSG + 1;
		control_input(buf, (size_t)n, &from, local);
	}
}

int
control_init(void)
{
	struct sockaddr_in sin;
	int on = 1;

	build_allow(config->nsctl_allow);
	if (config->nsctl_port == 0) {
		log_info("nsctl_port is 0: no control protocol");
		return 0;
	}
	ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl_fd < 0) {
		log_crit("nsctl socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(ctl_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(ctl_fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = INADDR_ANY;
	sin.sin_port = htons((uint16_t)config->nsctl_port);
	if (bind(ctl_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		log_crit("cannot bind nsctl to port %d: %s", config->nsctl_port,
		    strerror(errno));
		close(ctl_fd);
		ctl_fd = -1;
		return -1;
	}
	if (ev_add(ctl_fd, EPOLLIN, ctl_readable, NULL) < 0) {
		log_crit("epoll nsctl: %s", strerror(errno));
		close(ctl_fd);
		ctl_fd = -1;
		return -1;
	}
	log_info("nsctl listening on UDP port %d, allowed from \"%s\"",
	    config->nsctl_port, config->nsctl_allow);
	return 0;
}

void
control_close(void)
{
	int i;

	if (ctl_fd >= 0) {
		ev_del(ctl_fd);
		close(ctl_fd);
	}
	ctl_fd = -1;
	for (i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].data);
		cache[i].data = NULL;
	}
}
