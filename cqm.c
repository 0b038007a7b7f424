/*
 * cqm.c - call quality per login (CQM): the round-trip time and loss of
 * the LCP echoes ppp.c sends (RFC 1661 5.8), kept in 100-second buckets
 * for 24 hours.
 *
 * State owned:
 *   - the logins' histories: quality_max_logins `struct cqm_login` in
 *     one MAP_SHARED | MAP_NORESERVE mapping made at startup, so CLI
 *     children read them live and only the pages of logins seen are
 *     resident (CQM_LOGIN_BYTES, about 20 KiB, a login);
 *   - per session (private): the login's slot and the echo awaiting its
 *     reply (identifier, send time, bucket).
 *
 * A bucket lives at b[epoch % CQM_BUCKETS] where epoch = time / 100, and
 * carries its epoch: a bucket whose epoch is not the one asked for is
 * stale (24 hours old or more) and reads as absent, so nothing ever
 * scans the ring to expire it.  An echo counts as sent in the bucket of
 * its send; its reply is added to that bucket; when the next echo of the
 * session goes out unanswered, the previous one becomes lost (lost =
 * sent - answered - inflight).  When every login slot is taken, the one
 * unused longest, among those without a session now, is given to the new
 * login; with none free the new login is not recorded.
 *
 * Exports (cqm.h): the two echo hooks and the session end for ppp.c,
 * cqm_find and cqm_format for the CLI and the web view.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "l2tpns.h"
#include "cqm.h"
#include "event.h"
#include "log.h"
#include "util.h"

struct cqm_sess {
	uint32_t	login;		/* slot + 1; 0 = not looked up yet */
	uint32_t	epoch;		/* bucket of the pending echo */
	uint64_t	sent_us;
	uint8_t		pending, id;
	uint8_t		no_login;	/* looked up, none available */
};

static struct cqm_login *logins;
static uint32_t nlogins;
static struct cqm_sess *cs;
static uint32_t cs_max;

/*
 * The daemon's index of the logins (private memory; the CLI children
 * read the shared map with a copy as of their fork, see cqm_find):
 * hash chains by username, and the idle logins (no session now) in
 * least-recently-used order, the next to be reused first.  Links are
 * slot + 1, 0 = none.  Slots never used yet are taken first, in order.
 */
struct login_link {
	uint32_t	hnext;		/* next in its hash chain */
	uint32_t	prev, next;	/* idle list */
	uint8_t		idle;
};
static struct login_link *ll;
static uint32_t *hheads, hmask;
static uint32_t idle_head, idle_tail, fresh;

static const char *const state_names[] = {
	[CQM_UP] = "established", [CQM_NEGOTIATING] = "negotiating",
	[CQM_DOWN] = "down",
};

const char *
cqm_state_name(int s)
{
	return s >= 0 && s <= CQM_DOWN ? state_names[s] : "unknown";
}

int
cqm_init(uint32_t max_sessions)
{
	size_t len;

	/* Again (the unit tests): start from nothing. */
	if (logins != NULL)
		munmap(logins, (size_t)nlogins * sizeof(struct cqm_login));
	free(cs);
	free(ll);
	free(hheads);
	logins = NULL;
	ll = NULL;
	hheads = NULL;
	nlogins = fresh = idle_head = idle_tail = 0;
	if ((cs = calloc((size_t)max_sessions + 1, sizeof(*cs))) == NULL)
		return -1;
	cs_max = max_sessions;
	nlogins = (uint32_t)config->quality_max_logins;
	if (nlogins == 0)
		return 0;
	len = (size_t)nlogins * sizeof(struct cqm_login);
	logins = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (logins == MAP_FAILED) {
		logins = NULL;
		nlogins = 0;
		log_error("call quality: cannot map %zu bytes: %s", len,
		    strerror(errno));
		return -1;
	}
	for (hmask = 1; hmask < nlogins; hmask <<= 1)
		;
	ll = calloc(nlogins, sizeof(*ll));
	hheads = calloc(hmask, sizeof(*hheads));
	if (ll == NULL || hheads == NULL) {
		log_error("call quality: cannot index %u logins", nlogins);
		return -1;
	}
	hmask--;
	return 0;
}

/* ---- the login index ---- */

static uint32_t *
chain_of(const char *user)
{
	return &hheads[hash_str(user) & hmask];
}

static void
hash_unlink(uint32_t slot)
{
	uint32_t *p = chain_of(logins[slot].user);

	while (*p != 0 && *p != slot + 1)
		p = &ll[*p - 1].hnext;
	if (*p != 0)
		*p = ll[slot].hnext;
	ll[slot].hnext = 0;
}

static void
idle_remove(uint32_t slot)
{
	struct login_link *k = &ll[slot];

	if (!k->idle)
		return;
	if (k->prev)
		ll[k->prev - 1].next = k->next;
	else
		idle_head = k->next;
	if (k->next)
		ll[k->next - 1].prev = k->prev;
	else
		idle_tail = k->prev;
	k->prev = k->next = 0;
	k->idle = 0;
}

static void
idle_append(uint32_t slot)
{
	struct login_link *k = &ll[slot];

	if (k->idle)
		return;
	k->idle = 1;
	k->next = 0;
	k->prev = idle_tail;
	if (idle_tail)
		ll[idle_tail - 1].next = slot + 1;
	else
		idle_head = slot + 1;
	idle_tail = slot + 1;
}

/* The slot of user in the index, or -1. */
static int64_t
index_find(const char *user)
{
	uint32_t i;

	for (i = *chain_of(user); i != 0; i = ll[i - 1].hnext)
		if (strcmp(logins[i - 1].user, user) == 0)
			return (int64_t)i - 1;
	return -1;
}

const struct cqm_login *
cqm_find(const char *user)
{
	int64_t slot;
	uint32_t i;

	if (user == NULL || user[0] == '\0' || nlogins == 0)
		return NULL;
	/*
	 * In the daemon the index is current.  A CLI child's copy dates
	 * from its fork: a hit is checked against the shared map (the
	 * slot may have been reused since), a miss falls back to a scan.
	 */
	if ((slot = index_find(user)) >= 0 &&
	    strcmp(logins[slot].user, user) == 0)
		return &logins[slot];
	for (i = 0; i < nlogins; i++)
		if (logins[i].user[0] == user[0] &&
		    strcmp(logins[i].user, user) == 0)
			return &logins[i];
	return NULL;
}

/*
 * The login slot of session s, found or taken once per session: O(1),
 * whatever the number of logins (a slot never used yet, else the login
 * idle the longest; none when every login has a session now).
 */
static struct cqm_login *
login_of(sid_t s)
{
	struct cqm_sess *c = &cs[s];
	const struct session *sp = session_get(s);
	struct cqm_login *l;
	int64_t slot;

	if (c->login)
		return &logins[c->login - 1];
	if (c->no_login || nlogins == 0 || sp == NULL || sp->user[0] == '\0')
		return NULL;
	if ((slot = index_find(sp->user)) < 0) {
		if (fresh < nlogins)
			slot = fresh++;
		else if (idle_head != 0)
			slot = idle_head - 1;
		else {
			c->no_login = 1;
			return NULL;
		}
		l = &logins[slot];
		if (l->user[0] != '\0')
			hash_unlink((uint32_t)slot);
		memset(l, 0, sizeof(*l));
		snprintf(l->user, sizeof(l->user), "%s", sp->user);
		ll[slot].hnext = *chain_of(l->user);
		*chain_of(l->user) = (uint32_t)slot + 1;
	}
	idle_remove((uint32_t)slot);
	l = &logins[slot];
	l->sessions++;
	l->last_used = time_now;
	c->login = (uint32_t)slot + 1;
	return l;
}

static struct cqm_bucket *
bucket_at(struct cqm_login *l, uint32_t epoch, int create)
{
	struct cqm_bucket *b = &l->b[epoch % CQM_BUCKETS];

	if (b->epoch == epoch)
		return b;
	if (!create)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->epoch = epoch;
	return b;
}

static void
mark(struct cqm_bucket *b, int state)
{
	if (state > b->state)
		b->state = (uint8_t)state;
}

/* The pending echo went unanswered: it is lost, or forgotten. */
static void
pending_drop(sid_t s, int forget)
{
	struct cqm_sess *c = &cs[s];
	struct cqm_bucket *b;

	if (!c->pending)
		return;
	c->pending = 0;
	if (c->login == 0)
		return;
	if ((b = bucket_at(&logins[c->login - 1], c->epoch, 0)) == NULL)
		return;
	if (b->inflight)
		b->inflight--;
	if (forget && b->sent)
		b->sent--;
}

void
cqm_echo_sent(sid_t s, uint8_t id)
{
	const struct session *sp = session_get(s);
	struct cqm_login *l;
	struct cqm_bucket *b;
	struct cqm_sess *c;

	stats->lcp_echo_sent++;
	if (cs == NULL || s == 0 || s > cs_max || sp == NULL)
		return;
	c = &cs[s];
	pending_drop(s, 0);
	c->pending = 1;
	c->id = id;
	c->sent_us = mono_us();
	c->epoch = (uint32_t)(time_now / CQM_BUCKET_S);
	if ((l = login_of(s)) == NULL)
		return;
	l->last_used = time_now;
	b = bucket_at(l, c->epoch, 1);
	b->sent++;
	b->inflight++;
	mark(b, sp->phase == PHASE_NETWORK ? CQM_UP : CQM_NEGOTIATING);
}

void
cqm_echo_reply(sid_t s, uint8_t id)
{
	struct cqm_bucket *b;
	struct cqm_sess *c;
	uint64_t rtt;
	uint32_t us;

	if (cs == NULL || s == 0 || s > cs_max)
		return;
	c = &cs[s];
	if (!c->pending || c->id != id)
		return;		/* unsolicited, or a late reply */
	c->pending = 0;
	rtt = mono_us() - c->sent_us;
	us = rtt > UINT32_MAX / 128 ? UINT32_MAX / 128 : (uint32_t)rtt;
	stats->lcp_echo_replies++;
	lat_observe_us(&stats->lcp_echo_rtt, rtt);
	if (log_level >= LOG_PACKET_L)
		LOG(LOG_PACKET_L, s, 0, "LCP Echo-Reply %u after %llu us", id,
		    (unsigned long long)rtt);
	if (c->login == 0 ||
	    (b = bucket_at(&logins[c->login - 1], c->epoch, 0)) == NULL)
		return;
	if (b->inflight)
		b->inflight--;
	if (b->answered == 0 || us < b->rtt_min_us)
		b->rtt_min_us = us;
	if (us > b->rtt_max_us)
		b->rtt_max_us = us;
	b->rtt_sum_us += us;
	b->answered++;
}

void
cqm_session_end(sid_t s)
{
	struct cqm_login *l;
	struct cqm_sess *c;

	if (cs == NULL || s == 0 || s > cs_max)
		return;
	c = &cs[s];
	pending_drop(s, 1);
	if (c->login) {
		l = &logins[c->login - 1];
		mark(bucket_at(l, (uint32_t)(time_now / CQM_BUCKET_S), 1),
		    CQM_DOWN);
		if (l->sessions)
			l->sessions--;
		l->last_used = time_now;
		if (l->sessions == 0)
			idle_append(c->login - 1);
	}
	memset(c, 0, sizeof(*c));
}

/* ---- output ---- */

struct row {
	time_t		 t;
	unsigned	 sent, answered, lost;
	double		 loss, min, avg, max;	/* ms; avg < 0: no reply */
	const char	*state;
};

static int
row_of(const struct cqm_bucket *b, struct row *r)
{
	r->t = (time_t)b->epoch * CQM_BUCKET_S;
	r->sent = b->sent;
	r->answered = b->answered;
	r->lost = b->sent > b->answered + b->inflight ?
	    b->sent - b->answered - b->inflight : 0;
	r->loss = b->sent > b->inflight ?
	    (double)r->lost / (b->sent - b->inflight) : 0;
	r->min = b->rtt_min_us / 1000.0;
	r->max = b->rtt_max_us / 1000.0;
	r->avg = b->answered ? b->rtt_sum_us / 1000.0 / b->answered : -1;
	r->state = cqm_state_name(b->state);
	return 0;
}

/* Append to a line buffer, clipped (a JSON array line is long). */
struct lbuf {
	char	*p;
	size_t	 len, cap;
};

static void
lb_add(struct lbuf *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lb_add(struct lbuf *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= l->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->p + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= l->cap)
		l->len = l->cap - 1;
}

#define JSON_LINE	(CQM_BUCKETS * 14 + 64)

void
cqm_format(const struct cqm_login *l, time_t now, enum cqm_fmt fmt,
    void (*line)(void *, const char *), void *arg)
{
	static const char *const cols[] = { "time", "sent", "lost", "loss",
		"rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "state" };
	uint32_t last = (uint32_t)(now / CQM_BUCKET_S), e;
	char buf[256], tm[32];
	struct row r;
	size_t c;

	if (fmt == CQM_CSV)
		line(arg, "time,sent,answered,lost,loss,rtt_min_ms,rtt_avg_ms,"
		    "rtt_max_ms,state");
	else if (fmt == CQM_TEXT)
		line(arg, "Bucket start (UTC)   Sent  Lost   Loss  RTT min/"
		    "avg/max ms           State");
	if (fmt == CQM_JSON) {
		struct lbuf lb;

		if ((lb.p = malloc(JSON_LINE)) == NULL)
			return;
		lb.cap = JSON_LINE;
		lb.len = 0;
		lb_add(&lb, "{\"user\":\"");
		for (c = 0; l->user[c]; c++)	/* names are printable */
			lb_add(&lb, l->user[c] == '"' || l->user[c] == '\\' ?
			    "\\%c" : "%c", l->user[c]);
		lb_add(&lb, "\",\"bucket_seconds\":%d,", CQM_BUCKET_S);
		line(arg, lb.p);
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			int n = 0;

			lb.len = 0;
			lb_add(&lb, "\"%s\":[", cols[c]);
			for (e = last - (CQM_BUCKETS - 1); e <= last; e++) {
				const struct cqm_bucket *b =
				    &l->b[e % CQM_BUCKETS];

				if (b->epoch != e || e == 0)
					continue;
				row_of(b, &r);
				lb_add(&lb, n++ ? "," : "");
				switch (c) {
				case 0: lb_add(&lb, "%lld", (long long)r.t); break;
				case 1: lb_add(&lb, "%u", r.sent); break;
				case 2: lb_add(&lb, "%u", r.lost); break;
				case 3: lb_add(&lb, "%.4f", r.loss); break;
				case 4: case 5: case 6:
					if (r.avg < 0)
						lb_add(&lb, "null");
					else
						lb_add(&lb, "%.3f", c == 4 ?
						    r.min : c == 5 ? r.avg :
						    r.max);
					break;
				default:
					lb_add(&lb, "\"%s\"", r.state);
				}
			}
			lb_add(&lb, "]%s", c + 1 < sizeof(cols) /
			    sizeof(cols[0]) ? "," : "}");
			line(arg, lb.p);
		}
		free(lb.p);
		return;
	}
	for (e = last - (CQM_BUCKETS - 1); e <= last; e++) {
		const struct cqm_bucket *b = &l->b[e % CQM_BUCKETS];
		struct tm t;

		if (b->epoch != e || e == 0)
			continue;
		row_of(b, &r);
		gmtime_r(&r.t, &t);
		strftime(tm, sizeof(tm), "%Y-%m-%d %H:%M:%S", &t);
		if (fmt == CQM_CSV) {
			if (r.avg < 0)
				snprintf(buf, sizeof(buf), "%lld,%u,%u,%u,%.4f,,,,%s",
				    (long long)r.t, r.sent, r.answered, r.lost,
				    r.loss, r.state);
			else
				snprintf(buf, sizeof(buf), "%lld,%u,%u,%u,%.4f,"
				    "%.3f,%.3f,%.3f,%s", (long long)r.t, r.sent,
				    r.answered, r.lost, r.loss, r.min, r.avg,
				    r.max, r.state);
		} else if (r.avg < 0)
			snprintf(buf, sizeof(buf), "%s  %5u %5u %5.1f%%  %-26s %s",
			    tm, r.sent, r.lost, r.loss * 100, "-", r.state);
		else {
			char rtt[64];

			snprintf(rtt, sizeof(rtt), "%.1f/%.1f/%.1f", r.min,
			    r.avg, r.max);
			snprintf(buf, sizeof(buf), "%s  %5u %5u %5.1f%%  %-26s %s",
			    tm, r.sent, r.lost, r.loss * 100, rtt, r.state);
		}
		line(arg, buf);
	}
}
