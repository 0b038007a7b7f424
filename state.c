/*
 * state.c - the state file: sessions and tunnels kept over a restart, an
 * upgrade or a crash (issue 21; manual, "Upgrading without dropping
 * subscribers").
 *
 * State owned: the mapping of STATE_DIR/state (state_dir, save_state),
 * which slot of each record's pair is the newer, the previous process's
 * records until state_adopt has taken them over.
 *
 * The file (state.h) is memory-mapped and shared with the page cache: a
 * record written here is in the file the moment it is written, so a
 * SIGKILL or an abort loses nothing that had been committed.  Commit
 * points: the L2TP tunnel and call state setters, Ns/Nr after each
 * control message (l2tp.c, l2tp_rel.c), PPP's phase (ppp.c), every
 * change through the session core (the notifier); the traffic counters
 * are refreshed by a timer (every session within STATE_REFRESH_MS).
 *
 * A record is written into the older slot of its pair, its CRC-32C last;
 * a record cut half-way fails its checksum and the previous version in
 * the other slot is used.  The header carries a format version, the
 * slot sizes and a fingerprint of the record layouts: a file of another
 * format or build layout, truncated, or with a bad header checksum is
 * refused with the reason logged, and the daemon starts clean.
 *
 * Adoption (state_adopt): tunnels and sessions back into the tables and
 * their indexes, addresses marked used in the pool, routes re-added, the
 * L2TP control state with the saved Ns/Nr (l2tp_seq_set), PPP up as it
 * was (ppp_adopt: no renegotiation), accounting carried on (radius_adopt:
 * no second Start; the Interim-Update timer re-armed).  A session that
 * was not up, or whose tunnel is gone, is ended and accounted (Stop); a
 * call that was not up gets a CDN on its adopted tunnel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "state.h"
#include "acctfile.h"
#include "cluster.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"
#include "plugin.h"
#include "session.h"
#include "tbf.h"

#define STATE_REFRESH_MS	2000	/* every session's counters, at most */
#define STATE_TICK_MS		250

/* ---- the codec ---- */

static uint32_t crc_table[256];

uint32_t
state_crc32c(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;
	size_t i;

	if (crc_table[1] == 0) {
		uint32_t k, v;
		int j;

		for (k = 0; k < 256; k++) {
			v = k;
			for (j = 0; j < 8; j++)	/* Castagnoli, reflected */
				v = v & 1 ? (v >> 1) ^ 0x82f63b78u : v >> 1;
			crc_table[k] = v;
		}
	}
	for (i = 0; i < n; i++)
		c = crc_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/*
 * Sizes and offsets of what a record holds: a build whose structs differ
 * (a field added, moved or resized) has another fingerprint, and its
 * file is refused rather than misread.
 */
#define OFF(t, f)	((uint32_t)offsetof(t, f))
uint32_t
state_layout(void)
{
	const uint32_t v[] = {
		sizeof(struct session), sizeof(struct tunnel),
		sizeof(struct state_sess), sizeof(struct state_tun),
		sizeof(struct radius_saved), sizeof(struct auth_route),
		sizeof(time_t), AUTH_MAX_ROUTES, AUTH_CLASS_MAX,
		OFF(struct session, tunnel), OFF(struct session, far_id),
		OFF(struct session, local_id), OFF(struct session, user),
		OFF(struct session, ip), OFF(struct session, phase),
		OFF(struct session, mru), OFF(struct session, magic),
		OFF(struct session, rate_in), OFF(struct session, cin),
		OFF(struct session, intercept),
		OFF(struct session, acct_session_id),
		OFF(struct session, filter_in), OFF(struct session, next_free),
		OFF(struct tunnel, far_id), OFF(struct tunnel, peer),
		OFF(struct tunnel, hostname), OFF(struct tunnel, peer_rws),
		OFF(struct tunnel, next_free),
		OFF(struct state_sess, acct), OFF(struct state_sess, route),
		OFF(struct state_tun, ns),
	};
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		h ^= v[i];
		h *= 16777619u;
	}
	return h;
}

size_t
state_slot_size(int kind)
{
	size_t p = kind == STATE_REC_SESSION ? sizeof(struct state_sess) :
	    sizeof(struct state_tun);

	return (sizeof(struct state_rec) + p + 4 + 7) & ~(size_t)7;
}

static size_t
payload_size(int kind)
{
	return kind == STATE_REC_SESSION ? sizeof(struct state_sess) :
	    sizeof(struct state_tun);
}

size_t
state_file_size(uint32_t max_sessions, uint32_t max_tunnels)
{
	return STATE_HEAD_SIZE +
	    (size_t)max_sessions * 2 * state_slot_size(STATE_REC_SESSION) +
	    (size_t)max_tunnels * 2 * state_slot_size(STATE_REC_TUNNEL);
}

void
state_head_init(struct state_head *h, uint32_t max_sessions,
    uint32_t max_tunnels, const char *tundev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, STATE_MAGIC, sizeof(h->magic));
	h->version = STATE_VERSION;
	h->head_size = STATE_HEAD_SIZE;
	h->layout = state_layout();
	h->endian = 0x01020304;
	h->sess_slot = (uint32_t)state_slot_size(STATE_REC_SESSION);
	h->tun_slot = (uint32_t)state_slot_size(STATE_REC_TUNNEL);
	h->max_sessions = max_sessions;
	h->max_tunnels = max_tunnels;
	h->status = STATE_LIVE;
	h->pid = (uint32_t)getpid();
	h->created = (int64_t)time(NULL);
	snprintf(h->tundev, sizeof(h->tundev), "%s", tundev ? tundev : "");
	h->crc = state_crc32c(h, offsetof(struct state_head, crc));
}

/* A slot's record if whole and of this entry, else NULL. */
static const struct state_rec *
slot_ok(const uint8_t *slot, size_t size, int kind, uint32_t idx)
{
	const struct state_rec *r = (const struct state_rec *)slot;
	uint32_t crc;

	memcpy(&crc, slot + size - 4, 4);
	if (r->seq == 0 && crc == 0)
		return NULL;
	if (crc != state_crc32c(slot, sizeof(*r) + payload_size(kind)) ||
	    r->kind != kind || r->idx != idx ||
	    (r->len != 0 && r->len != payload_size(kind)))
		return NULL;
	return r;
}

static int
written(const uint8_t *slot, size_t size)
{
	const struct state_rec *r = (const struct state_rec *)slot;
	uint32_t crc;

	memcpy(&crc, slot + size - 4, 4);
	return r->seq != 0 || crc != 0;
}

static void
walk(const uint8_t *base, uint32_t n, int kind, struct state_info *in,
    state_rec_fn fn, void *arg)
{
	size_t slot = state_slot_size(kind);
	uint32_t i;

	for (i = 1; i <= n; i++) {
		const uint8_t *a = base + (size_t)(i - 1) * 2 * slot;
		const uint8_t *b = a + slot;
		const struct state_rec *ra = slot_ok(a, slot, kind, i);
		const struct state_rec *rb = slot_ok(b, slot, kind, i);
		const struct state_rec *r;

		if (ra && rb)
			r = (int32_t)(rb->seq - ra->seq) > 0 ? rb : ra;
		else
			r = ra ? ra : rb;
		if (r == NULL) {
			if (written(a, slot) || written(b, slot))
				in->bad++;
			continue;
		}
		/* The other copy written but not whole: cut by a crash. */
		if ((r == ra && rb == NULL && written(b, slot)) ||
		    (r == rb && ra == NULL && written(a, slot)))
			in->torn++;
		if ((int32_t)(r->seq - in->seq) > 0)
			in->seq = r->seq;
		if (r->len == 0)
			continue;
		if (kind == STATE_REC_SESSION)
			in->sessions++;
		else
			in->tunnels++;
		if (fn != NULL)
			fn(arg, kind, i, (const uint8_t *)r + sizeof(*r),
			    r->len);
	}
}

int
state_parse(const uint8_t *buf, size_t len, struct state_info *in,
    state_rec_fn fn, void *arg, char *why, size_t whylen)
{
	struct state_head h;
	size_t want;

	memset(in, 0, sizeof(*in));
	if (len < sizeof(h)) {
		snprintf(why, whylen, "truncated: %zu bytes, shorter than the "
		    "header", len);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, STATE_MAGIC, sizeof(h.magic)) != 0) {
		snprintf(why, whylen, "not an l2tpns state file (bad magic)");
		return -1;
	}
	if (h.endian != 0x01020304) {
		snprintf(why, whylen, "written on a machine of another byte "
		    "order");
		return -1;
	}
	if (h.version != STATE_VERSION) {
		snprintf(why, whylen, "format version %u; this build reads "
		    "version %u", h.version, STATE_VERSION);
		return -1;
	}
	if (h.crc != state_crc32c(&h, offsetof(struct state_head, crc))) {
		snprintf(why, whylen, "header checksum mismatch (corrupt)");
		return -1;
	}
	if (h.head_size != STATE_HEAD_SIZE ||
	    h.sess_slot != state_slot_size(STATE_REC_SESSION) ||
	    h.tun_slot != state_slot_size(STATE_REC_TUNNEL) ||
	    h.layout != state_layout()) {
		snprintf(why, whylen, "record layout %08x (slots %u/%u bytes) "
		    "differs from this build's %08x (%zu/%zu): written by a "
		    "build with other tables", h.layout, h.sess_slot,
		    h.tun_slot, state_layout(),
		    state_slot_size(STATE_REC_SESSION),
		    state_slot_size(STATE_REC_TUNNEL));
		return -1;
	}
	if (h.max_sessions == 0 || h.max_sessions > 16777215 ||
	    h.max_tunnels == 0 || h.max_tunnels > 65535) {
		snprintf(why, whylen, "table sizes %u sessions, %u tunnels out "
		    "of range", h.max_sessions, h.max_tunnels);
		return -1;
	}
	if (h.status != STATE_LIVE) {
		snprintf(why, whylen, "marked closed (status %u)", h.status);
		return -1;
	}
	want = state_file_size(h.max_sessions, h.max_tunnels);
	if (len < want) {
		snprintf(why, whylen, "truncated: %zu bytes of %zu", len, want);
		return -1;
	}
	if (len > want) {
		snprintf(why, whylen, "%zu bytes where the header says %zu",
		    len, want);
		return -1;
	}
	in->max_sessions = h.max_sessions;
	in->max_tunnels = h.max_tunnels;
	in->pid = h.pid;
	in->created = h.created;
	memcpy(in->tundev, h.tundev, sizeof(in->tundev));
	in->tundev[sizeof(in->tundev) - 1] = '\0';
	walk(buf + STATE_HEAD_SIZE + (size_t)h.max_sessions * 2 *
	    h.sess_slot, h.max_tunnels, STATE_REC_TUNNEL, in, fn, arg);
	walk(buf + STATE_HEAD_SIZE, h.max_sessions, STATE_REC_SESSION, in,
	    fn, arg);
	return 0;
}

void
state_rec_write(uint8_t *pair, size_t slot, int *newer, uint32_t seq,
    int kind, uint32_t idx, const void *payload, size_t len)
{
	int to = *newer ^ 1;
	uint8_t *p = pair + (size_t)to * slot;
	struct state_rec r = { .seq = seq, .kind = (uint16_t)kind,
	    .len = (uint16_t)(len ? payload_size(kind) : 0), .idx = idx };
	uint32_t crc = 0;

	/* The checksum goes first to an invalid value, last to the right
	 * one: a record cut anywhere in between fails it. */
	memset(p + slot - 4, 0xff, 4);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(p, &r, sizeof(r));
	if (len)
		memcpy(p + sizeof(r), payload, payload_size(kind));
	else
		memset(p + sizeof(r), 0, payload_size(kind));
	crc = state_crc32c(p, sizeof(r) + payload_size(kind));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(p + slot - 4, &crc, 4);
	*newer = to;
}

/* ---- the daemon ---- */

static struct {
	int		 fd;
	uint8_t		*map;
	size_t		 len;
	uint8_t		*newer_s, *newer_t;	/* bit per entry: slot 1 */
	uint32_t	 seq;
	char		 path[CFG_STRLEN + 16];
	/* the previous process's entries, until state_adopt */
	struct state_sess **old_s;
	struct state_tun **old_t;
	uint32_t	 old_n_s, old_n_t;
	struct state_info old;
	struct timer	 refresh;
	uint32_t	 cursor;
} st = { .fd = -1 };

static void
state_path(char *out, size_t n, const char *suffix)
{
	snprintf(out, n, "%s/%s%s", config->state_dir, STATE_FILE, suffix);
}

static int
bit(const uint8_t *b, uint32_t i)
{
	return (b[i >> 3] >> (i & 7)) & 1;
}

static void
set_bit(uint8_t *b, uint32_t i, int v)
{
	if (v)
		b[i >> 3] |= (uint8_t)(1 << (i & 7));
	else
		b[i >> 3] &= (uint8_t)~(1 << (i & 7));
}

static void
put(int kind, uint32_t idx, const void *payload, size_t len)
{
	size_t slot = state_slot_size(kind);
	uint8_t *base = st.map + STATE_HEAD_SIZE;
	uint8_t *bits = kind == STATE_REC_SESSION ? st.newer_s : st.newer_t;
	int newer = bit(bits, idx);

	if (kind == STATE_REC_TUNNEL)
		base += (size_t)tables->max_sessions * 2 *
		    state_slot_size(STATE_REC_SESSION);
	if (++st.seq == 0)
		st.seq = 1;
	state_rec_write(base + (size_t)(idx - 1) * 2 * slot, slot, &newer,
	    st.seq, kind, idx, payload, len);
	set_bit(bits, idx, newer);
}

void
state_session(sid_t s)
{
	struct state_sess r;
	const struct session *sp;

	if (st.map == NULL || (sp = session_get(s)) == NULL)
		return;
	if (sp->state == SESSION_FREE) {
		put(STATE_REC_SESSION, s, NULL, 0);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.s = *sp;
	radius_save(s, &r.acct);
	r.nroutes = (uint8_t)session_routes_get(s, r.route);
	put(STATE_REC_SESSION, s, &r, sizeof(r));
}

void
state_tunnel(tid_t t)
{
	struct state_tun r;
	const struct tunnel *tp;

	if (st.map == NULL || (tp = tunnel_get(t)) == NULL)
		return;
	if (tp->state == TUNNEL_FREE) {
		put(STATE_REC_TUNNEL, t, NULL, 0);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.t = *tp;
	r.have_seq = l2tp_seq_get(t, &r.ns, &r.nr) == 0;
	put(STATE_REC_TUNNEL, t, &r, sizeof(r));
}

int
state_kept(void)
{
	return st.map != NULL;
}

/* The notifier: every change through the session core. */
static void
session_changed(sid_t s, enum session_event ev, void *arg)
{
	(void)ev;
	(void)arg;
	state_session(s);
}

/* The counters (dataplane.c writes them on every packet): a slice of
 * the table per tick, the whole within STATE_REFRESH_MS. */
static void
refresh(struct timer *t, void *arg)
{
	uint32_t n = tables->max_sessions, per, done = 0;

	(void)arg;
	per = (uint32_t)(((uint64_t)n * STATE_TICK_MS + STATE_REFRESH_MS - 1) /
	    STATE_REFRESH_MS);
	while (done < per) {
		if (++st.cursor > n)
			st.cursor = 1;
		if (tables->session[st.cursor].state != SESSION_FREE)
			state_session(st.cursor);
		done++;
	}
	timer_set(t, STATE_TICK_MS);
}

/* Keep a copy of each live entry of the previous file. */
static void
keep_old(void *arg, int kind, uint32_t idx, const void *payload, size_t len)
{
	(void)arg;
	if (kind == STATE_REC_SESSION && idx <= st.old_n_s &&
	    len == sizeof(struct state_sess)) {
		if ((st.old_s[idx] = malloc(len)) != NULL)
			memcpy(st.old_s[idx], payload, len);
	} else if (kind == STATE_REC_TUNNEL && idx <= st.old_n_t &&
	    len == sizeof(struct state_tun)) {
		if ((st.old_t[idx] = malloc(len)) != NULL)
			memcpy(st.old_t[idx], payload, len);
	}
}

/*
 * Read and check the file at path; with keep, copy its entries.  0, -1
 * refused (why), -2 none (why).  The file must fit the configured
 * tables.
 */
static int
read_old(const char *path, int keep, char *why, size_t whylen)
{
	struct stat sb;
	uint8_t *m;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return errno == ENOENT ? -2 : -1;
	}
	if (fstat(fd, &sb) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (sb.st_size == 0) {
		close(fd);
		snprintf(why, whylen, "truncated: 0 bytes");
		return -1;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (keep) {
		st.old_n_s = tables->max_sessions;
		st.old_n_t = tables->max_tunnels;
		st.old_s = calloc((size_t)st.old_n_s + 1, sizeof(*st.old_s));
		st.old_t = calloc((size_t)st.old_n_t + 1, sizeof(*st.old_t));
		if (st.old_s == NULL || st.old_t == NULL) {
			munmap(m, (size_t)sb.st_size);
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	rc = state_parse(m, (size_t)sb.st_size, &st.old, NULL, NULL, why,
	    whylen);
	if (rc == 0 && (st.old.max_sessions != (uint32_t)config->max_sessions ||
	    st.old.max_tunnels != (uint32_t)config->max_tunnels)) {
		snprintf(why, whylen, "written for max_sessions %u and "
		    "max_tunnels %u; configured %d and %d", st.old.max_sessions,
		    st.old.max_tunnels, config->max_sessions,
		    config->max_tunnels);
		rc = -1;
	}
	if (rc == 0 && strcmp(st.old.tundev, config->tundevicename) != 0) {
		snprintf(why, whylen, "written for tun device %s; configured "
		    "%s", st.old.tundev, config->tundevicename);
		rc = -1;
	}
	if (rc == 0 && keep)
		state_parse(m, (size_t)sb.st_size, &st.old, keep_old, NULL,
		    why, whylen);
	munmap(m, (size_t)sb.st_size);
	return rc;
}

static void
drop_old(void)
{
	uint32_t i;

	for (i = 0; st.old_s != NULL && i <= st.old_n_s; i++)
		free(st.old_s[i]);
	for (i = 0; st.old_t != NULL && i <= st.old_n_t; i++)
		free(st.old_t[i]);
	free(st.old_s);
	free(st.old_t);
	st.old_s = NULL;
	st.old_t = NULL;
}

int
state_open(void)
{
	char why[256], tmp[sizeof(st.path)];
	struct state_head h;
	size_t len;
	uint32_t i;
	int fd, rc;

	if (!config->save_state)
		return 0;
	if (cluster_active()) {
		log_warnx("save_state: clustering is on; the cluster carries "
		    "the sessions over a restart, no state file is kept");
		return 0;
	}
	if (mkdir(config->state_dir, 0700) < 0 && errno != EEXIST) {
		log_error("save_state: cannot create %s: %s; no state file",
		    config->state_dir, strerror(errno));
		return -1;
	}
	state_path(st.path, sizeof(st.path), "");
	state_path(tmp, sizeof(tmp), ".new");
	/* A running daemon holds a lock on its file. */
	if ((fd = open(st.path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			log_error("save_state: %s is in use by a running daemon; "
			    "no state file kept by this one", st.path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	rc = read_old(st.path, 1, why, sizeof(why));
	if (rc == -1) {
		char keep[sizeof(st.path)];

		log_error("state file %s refused: %s; starting clean", st.path,
		    why);
		/* Kept aside for a look, not overwritten. */
		state_path(keep, sizeof(keep), ".refused");
		rename(st.path, keep);
		drop_old();
	} else if (rc == -2)
		drop_old();
	else
		log_warnx("state file %s: %u sessions and %u tunnels of pid %u "
		    "to adopt%s", st.path, st.old.sessions, st.old.tunnels,
		    st.old.pid, st.old.torn ? " (some records cut by a crash: "
		    "their previous version used)" : "");
	if (rc == 0 && st.old.bad)
		log_error("state file %s: %u records with no valid copy "
		    "dropped", st.path, st.old.bad);

	/* The new file, complete before it replaces the old one. */
	len = state_file_size(tables->max_sessions, tables->max_tunnels);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    ftruncate(fd, (off_t)len) < 0 ||
	    (st.map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		log_error("save_state: cannot create %s: %s; no state file",
		    tmp, strerror(errno));
		st.map = NULL;
		if (fd >= 0)
			close(fd);
		drop_old();
		return -1;
	}
	st.len = len;
	st.fd = fd;
	st.newer_s = calloc(tables->max_sessions / 8 + 1, 1);
	st.newer_t = calloc(tables->max_tunnels / 8 + 1, 1);
	if (st.newer_s == NULL || st.newer_t == NULL)
		fatal("save_state: out of memory");
	state_head_init(&h, tables->max_sessions, tables->max_tunnels,
	    config->tundevicename);
	memcpy(st.map, &h, sizeof(h));
	st.seq = st.old.seq;
	/* What is to be adopted stays committed until it is. */
	for (i = 1; st.old_t != NULL && i <= st.old_n_t; i++)
		if (st.old_t[i] != NULL)
			put(STATE_REC_TUNNEL, i, st.old_t[i], sizeof(**st.old_t));
	for (i = 1; st.old_s != NULL && i <= st.old_n_s; i++)
		if (st.old_s[i] != NULL)
			put(STATE_REC_SESSION, i, st.old_s[i], sizeof(**st.old_s));
	flock(fd, LOCK_EX | LOCK_NB);
	if (rename(tmp, st.path) < 0) {
		log_error("save_state: cannot rename %s: %s; no state file",
		    tmp, strerror(errno));
		munmap(st.map, len);
		st.map = NULL;
		close(fd);
		st.fd = -1;
		drop_old();
		return -1;
	}
	session_subscribe(session_changed, NULL);
	timer_init(&st.refresh, refresh, NULL);
	timer_set(&st.refresh, STATE_TICK_MS);
	log_info("state file %s: %zu bytes for %u sessions and %u tunnels",
	    st.path, len, tables->max_sessions, tables->max_tunnels);
	return 0;
}

/* A record of the file: in use and sane (tables.c's checks). */
static int
tunnel_ok(struct tunnel *t)
{
	if (t->state == TUNNEL_FREE || tunnel_record_check(t) < 0)
		return 0;
	t->sessions = 0;
	return 1;
}

static int
session_ok(struct session *s)
{
	return s->state != SESSION_FREE && session_record_check(s) == 0;
}

static void
adopt_tunnel(tid_t t, const struct state_tun *r)
{
	struct tunnel *tp = tunnel_get(t);
	uint16_t wire;

	*tp = r->t;
	tables_written(1, t);	/* below the high-water mark */
	wire = tp->local_id;
	tp->local_id = 0;
	if (wire && tunnel_bind_wire(t, wire) < 0)
		LOG(LOG_ERROR_L, 0, t, "state: tunnel id %u taken", wire);
	tp->local_id = wire;
	if (tp->far_id)
		tunnel_bind_peer(t, tp->peer.sin_addr.s_addr,
		    tp->peer.sin_port, tp->far_id);
	tables->tunnels_used++;
}

/* Into the indexes, the pool and the kernel's routes; -1 (nothing
 * left indexed) if its ids or address are held already. */
static int
index_session(sid_t s, struct session *sp)
{
	uint16_t wire = sp->local_id;

	sp->local_id = 0;
	if (wire == 0 || session_bind_wire(s, wire) < 0)
		return -1;
	if (sp->ip) {
		if (session_route_add(s, sp->ip, 32) < 0) {
			session_unbind_wire(s);
			return -1;
		}
		if (ippool_take(s, sp->ip, sp->user) < 0) {
			session_route_del(s, sp->ip, 32);
			session_unbind_wire(s);
			return -1;
		}
		if ((ippool == NULL || ippool_find(sp->ip) < 0) &&
		    !tun_routed(sp->ip))
			tun_route(1, sp->ip, 32);
	}
	if (sp->ipv6_prefix_len && sp->ipv6_prefix_len <= 64)
		session_route6_add(s, &sp->ipv6_prefix, sp->ipv6_prefix_len);
	return 0;
}

/* Ended while nobody was there, or not up: accounted, slot freed; the
 * LAC clears the call by its own timers. */
static void
end_session(sid_t s, const struct state_sess *r, const char *why)
{
	struct session *sp = session_get(s);

	*sp = r->s;
	LOG(LOG_WARN_L, s, sp->tunnel, "state: session of \"%s\" not adopted: "
	    "%s; accounted as ended", sp->user, why);
	radius_adopt(s, &r->acct);
	session_ended(s, TERM_LOST_SERVICE, why);
	memset(sp, 0, sizeof(*sp));
	sp->state = SESSION_FREE;
	state_session(s);
}

static uint32_t
sessions_to_adopt(void)
{
	uint32_t i, n = 0;

	for (i = 1; i <= st.old_n_s; i++)
		n += st.old_s[i] != NULL;
	return n;
}

void
state_adopt(void)
{
	uint32_t i, nt = 0, ns = 0, nend = 0, nclear = 0, max_clear;
	struct clear {
		tid_t		t;
		uint16_t	our, far;
	} *clear;

	if (st.old_s == NULL || st.old_t == NULL)
		return;
	max_clear = sessions_to_adopt();
	clear = calloc((size_t)max_clear + 1, sizeof(*clear));
	if (clear == NULL)
		max_clear = 0;
	for (i = 1; i <= st.old_n_t; i++) {
		struct state_tun *r = st.old_t[i];

		if (r == NULL)
			continue;
		if (!tunnel_ok(&r->t)) {
			free(r);
			st.old_t[i] = NULL;
			state_tunnel(i);	/* free in the new file */
			continue;
		}
		adopt_tunnel(i, r);
		nt++;
	}
	/* Sessions not up or without their tunnel: accounted, not kept. */
	for (i = 1; i <= st.old_n_s; i++) {
		struct state_sess *r = st.old_s[i];
		const char *why = NULL;

		if (r == NULL)
			continue;
		if (!session_ok(&r->s)) {
			LOG(LOG_ERROR_L, i, 0, "state: inconsistent session "
			    "record dropped");
			why = "";
		} else if (st.old_t[r->s.tunnel] == NULL)
			why = "its tunnel is gone";
		else if (r->s.client)
			/* outgoing L2TP: our PPP client's state is not kept;
			 * lacout.c dials again */
			why = "outgoing L2TP session: dialled again";
		else if (r->s.state != SESSION_OPEN ||
		    r->s.phase != PHASE_NETWORK ||
		    r->s.lcp_state != ST_OPENED ||
		    r->s.ipcp_state != ST_OPENED)
			why = "it was not up";
		if (why == NULL) {
			struct session *sp = session_get(i);

			*sp = r->s;
			tables_written(0, i);
			if (index_session(i, sp) == 0)
				tables->sessions_used++;
			else {
				memset(sp, 0, sizeof(*sp));
				sp->state = SESSION_FREE;
				why = "its ids or address are held by another";
			}
		}
		if (why != NULL) {
			/* Its tunnel stays: the LAC gets a CDN for it below. */
			if (*why && st.old_t[r->s.tunnel] != NULL &&
			    r->s.local_id && r->s.far_id && nclear < max_clear)
				clear[nclear++] = (struct clear){ r->s.tunnel,
				    r->s.local_id, r->s.far_id };
			if (*why)
				end_session(i, r, why);
			else
				state_session(i);	/* free */
			free(r);
			st.old_s[i] = NULL;
			nend++;
		}
	}
	tables_mark_stale();
	tables_rebuild_free();
	l2tp_adopt();
	for (i = 1; i <= st.old_n_t; i++)
		if (st.old_t[i] != NULL && st.old_t[i]->have_seq)
			l2tp_seq_set(i, st.old_t[i]->ns, st.old_t[i]->nr);
	for (i = 0; i < nclear; i++)
		l2tp_clear_call(clear[i].t, clear[i].our, clear[i].far,
		    "not up when the LNS restarted");
	free(clear);
	/* Plugins see what a cluster takeover shows them: this process
	 * has the sessions now. */
	if (sessions_to_adopt() > 0) {
		struct param_become_master bm = { .time_now = time_now };

		plugin_run(PLUGIN_BECOME_MASTER, &bm);
	}
	for (i = 1; i <= st.old_n_s; i++) {
		struct state_sess *r = st.old_s[i];
		struct session *sp = session_get(i);
		struct param_new_session_master nm;

		if (r == NULL)
			continue;
		session_adopt(i, r->route, r->nroutes);
		radius_adopt(i, &r->acct);
		ppp_adopt(i);
		acctfile_session_start(i);
		if (sp->rate_in || sp->rate_out)
			tbf_rates_changed(i, sp->rate_in, sp->rate_out);
		nm.sid = i;
		nm.tid = sp->tunnel;
		plugin_run(PLUGIN_NEW_SESSION_MASTER, &nm);
		ns++;
	}
	/* The file as this process sees it now. */
	for (i = 1; i <= st.old_n_t; i++)
		if (st.old_t[i] != NULL)
			state_tunnel(i);
	for (i = 1; i <= st.old_n_s; i++)
		if (st.old_s[i] != NULL)
			state_session(i);
	log_warnx("state: adopted %u sessions and %u tunnels of pid %u%s",
	    ns, nt, st.old.pid, nend ? "; others ended and accounted" : "");
	if (nend)
		log_warnx("state: %u sessions ended (not up, or their tunnel "
		    "gone) and accounted", nend);
	drop_old();
}

void
state_close(int keep)
{
	if (st.map == NULL)
		return;
	timer_cancel(&st.refresh);
	if (keep) {
		uint32_t i;

		/* The counters as they are now. */
		for (i = 1; i <= tables->max_sessions; i++)
			if (tables->session[i].state != SESSION_FREE)
				state_session(i);
		msync(st.map, st.len, MS_ASYNC);
		log_warnx("state file %s kept: %u sessions and %u tunnels for "
		    "the next process", st.path, tables->sessions_used,
		    tables->tunnels_used);
	} else {
		unlink(st.path);
		log_warnx("state file %s removed (clean shutdown)", st.path);
	}
	munmap(st.map, st.len);
	st.map = NULL;
	close(st.fd);
	st.fd = -1;
}

int
state_check(void)
{
	char path[sizeof(st.path)], why[256];
	int rc, fd, busy = 0;

	if (!config->save_state) {
		printf("save_state is off: no state file is kept or adopted\n");
		return 2;
	}
	state_path(path, sizeof(path), "");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		busy = flock(fd, LOCK_SH | LOCK_NB) < 0;
		close(fd);
	}
	rc = read_old(path, 0, why, sizeof(why));
	if (rc == -2) {
		printf("%s: no state file (%s): the daemon would start "
		    "clean\n", path, why);
		return 2;
	}
	if (rc < 0) {
		printf("%s: would be refused: %s\n", path, why);
		return 1;
	}
	printf("%s: would be adopted: %u sessions and %u tunnels of pid "
	    "%u%s%s\n", path, st.old.sessions, st.old.tunnels, st.old.pid,
	    busy ? " (still held by a running daemon)" : "",
	    st.old.bad ? "; some records damaged (dropped)" : "");
	return 0;
}
