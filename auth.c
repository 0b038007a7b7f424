/*
 * auth.c - authentication backends behind auth_submit() (auth.h).
 *
 * State owned: the subscribers of `local_auth_file`, a hash by name.
 * The local backend answers at once; RADIUS (radius.c, when
 * primary_radius is set) answers from its socket later.  Either way the
 * answer reaches ppp_auth_done().  The session hooks (cancel, up, down)
 * go to radius.c: accounting, Framed-Routes, the Interim-Update timer.
 *
 * local_auth_file format, one subscriber per line, '#' comments:
 *
 *	NAME PASSWORD [ADDRESS]
 *
 * fields separated by blanks; PASSWORD may be written in double quotes
 * to hold blanks ("\"" and "\\" inside).  ADDRESS, an IPv4 address,
 * is given to that subscriber instead of one from the pool.  NAME "*"
 * matches any name not listed (labs, load tests).  The password is kept
 * in clear text because CHAP needs it (RFC 1994 4.1; MS-CHAPv2, RFC 2759
 * 8.3, needs its MD4 hash of the UTF-16 form): keep the file mode 0600.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <md5.h>

#include "auth.h"
#include "event.h"
#include "log.h"
#include "util.h"
#include "radius.h"
#include "session.h"

struct local_user {
	char		name[MAXUSER];
	char		password[256];
	size_t		password_len;
	in_addr_t	ip;
	uint32_t	next;		/* hash chain, index + 1 */
};

/* What peers can make us log at level 1 (STYLE 11). */
static struct log_rl auth_rl = LOG_RL(10, "authentication errors");

static struct local_user *users;
static uint32_t nusers;
static uint32_t *buckets;
static uint32_t nbuckets;
static int have_file;
static int wildcard = -1;

void
chap_md5(uint8_t id, const uint8_t *secret, size_t secret_len,
    const uint8_t *chal, size_t chal_len, uint8_t out[16])
{
	MD5_CTX ctx;

	MD5Init(&ctx);
	MD5Update(&ctx, &id, 1);
	MD5Update(&ctx, secret, secret_len);
	MD5Update(&ctx, chal, chal_len);
	MD5Final(out, &ctx);
}

/* Compare without a data-dependent early exit. */
static int
same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t d = alen != blen;
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Next field of `p`; quoted fields unescape \" and \\.  NULL at end. */
static char *
field(char **p, char *out, size_t cap, int *err)
{
	char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return NULL;
	if (*s == '"') {
		s++;
		while (*s && *s != '"') {
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (n + 1 < cap)
				out[n++] = *s;
			else
				*err = 1;
			s++;
		}
		if (*s != '"')
			*err = 1;
		else
			s++;
	} else {
		while (*s && *s != ' ' && *s != '\t') {
			if (n + 1 < cap)
				out[n++] = *s;
			else
				*err = 1;
			s++;
		}
	}
	out[n] = '\0';
	*p = s;
	return out;
}

static void
report(void (*err)(void *, const char *), void *arg, const char *path,
    int line, const char *what)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s:%d: %s", path, line, what);
	if (err)
		err(arg, buf);
}

int
local_auth_load(const char *path, void (*err)(void *, const char *),
    void *arg)
{
	struct local_user *nu = NULL, *tmp;
	uint32_t n = 0, cap = 0, *nb, nbk = 64, i;
	int errors = 0, lineno = 0, wild = -1;
	char line[1024];
	FILE *f;

	if (path == NULL || path[0] == '\0' || (f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[MAXUSER], pw[256], ip[64], extra[8], *p = line;
		int ferr = 0;
		struct in_addr a;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (field(&p, name, sizeof(name), &ferr) == NULL)
			continue;	/* blank or comment */
		if (field(&p, pw, sizeof(pw), &ferr) == NULL) {
			report(err, arg, path, lineno, "missing password");
			errors++;
			continue;
		}
		a.s_addr = 0;
		if (field(&p, ip, sizeof(ip), &ferr) != NULL &&
		    inet_pton(AF_INET, ip, &a) != 1) {
			report(err, arg, path, lineno, "bad IPv4 address");
			errors++;
			continue;
		}
		if (ferr || field(&p, extra, sizeof(extra), &ferr) != NULL) {
			report(err, arg, path, lineno, ferr ? "field too long "
			    "or unterminated quote" : "too many fields");
			errors++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((tmp = realloc(nu, cap * sizeof(*nu))) == NULL) {
				fclose(f);
				free(nu);
				return -1;
			}
			nu = tmp;
		}
		memset(&nu[n], 0, sizeof(nu[n]));
		snprintf(nu[n].name, sizeof(nu[n].name), "%s", name);
		nu[n].password_len = strlen(pw);
		memcpy(nu[n].password, pw, nu[n].password_len);
		nu[n].ip = a.s_addr;
		if (strcmp(name, "*") == 0)
			wild = (int)n;
		n++;
	}
	fclose(f);
	while (nbk < 2 * n)
		nbk <<= 1;
	if ((nb = calloc(nbk, sizeof(*nb))) == NULL) {
		free(nu);
		return -1;
	}
	/* Chains are built front to back so a later line wins. */
	for (i = 0; i < n; i++) {
		uint32_t h = hash_str(nu[i].name) & (nbk - 1);

		nu[i].next = nb[h];
		nb[h] = i + 1;
	}
	free(users);
	free(buckets);
	users = nu;
	nusers = n;
	buckets = nb;
	nbuckets = nbk;
	have_file = 1;
	wildcard = wild;
	return errors;
}

static const struct local_user *
find(const char *name)
{
	uint32_t v;

	if (!have_file)
		return NULL;
	for (v = buckets[hash_str(name) & (nbuckets - 1)]; v;
	    v = users[v - 1].next)
		if (strcmp(users[v - 1].name, name) == 0)
			return &users[v - 1];
	return wildcard >= 0 ? &users[wildcard] : NULL;
}

void
local_auth_check(const struct auth_req *rq, struct auth_reply *rp)
{
	const struct local_user *u;
	uint8_t want[16];

	memset(rp, 0, sizeof(*rp));
	if (!have_file) {
		snprintf(rp->msg, sizeof(rp->msg), "Authentication failed");
		return;
	}
	if ((u = find(rq->user)) == NULL) {
		snprintf(rp->msg, sizeof(rp->msg), "Authentication failed");
		return;
	}
	if (rq->proto == PPP_PAP)
		rp->ok = same_bytes(rq->password, rq->password_len,
		    (const uint8_t *)u->password, u->password_len);
	else if (rq->proto == PPP_CHAP &&
	    rq->chap_alg == CHAP_ALG_MSCHAPV2) {
		/* RFC 2759 8.1, and the answer of 8.7 for the peer to check */
		const char *un = mschap2_user(rq->user);
		uint8_t ph[16], nt[MSCHAP2_NT_LEN];

		mschap2_nt_hash((const uint8_t *)u->password, u->password_len,
		    ph);
		mschap2_nt_response(rq->challenge, rq->ms_peer_chal, un, ph,
		    nt);
		rp->ok = same_bytes(nt, sizeof(nt), rq->ms_nt_resp,
		    sizeof(rq->ms_nt_resp));
		if (rp->ok)
			mschap2_auth_response(ph, nt, rq->ms_peer_chal,
			    rq->challenge, un, rp->ms_success);
		memset(ph, 0, sizeof(ph));
	} else if (rq->proto == PPP_CHAP) {
		chap_md5(rq->chap_id, (const uint8_t *)u->password,
		    u->password_len, rq->challenge, rq->challenge_len, want);
		rp->ok = same_bytes(want, 16, rq->response, 16);
	}
	if (rp->ok) {
		rp->ip = u->ip;
		snprintf(rp->msg, sizeof(rp->msg), "Welcome");
	} else
		snprintf(rp->msg, sizeof(rp->msg), "Authentication failed");
}

/*
 * Static incoming sessions (`l2tp session` rules, FireBrick 12.3.2):
 * the first rule for this user (and, if it names one, this LAC) decides
 * without RADIUS: its password checked (PAP, or CHAP-MD5 RFC 1994 4.1;
 * "*" takes any), then its address and routes, or a relay to its LNS
 * (rp's one tunnel, l2tp.c).  0 when no rule is for this user.
 */
static int
static_session(const struct auth_req *rq, struct auth_reply *rp)
{
	const struct session *sp = session_get(rq->sid);
	const char *host = sp ? tunnel_get(sp->tunnel)->hostname : "";
	const struct l2tp_session_rule *r = NULL;
	uint8_t want[16];
	size_t plen;
	int i;

	/* The rules check PAP and CHAP-MD5 only: an MS-CHAPv2 login goes
	 * on to RADIUS or the users file. */
	if (rq->proto == PPP_CHAP && rq->chap_alg == CHAP_ALG_MSCHAPV2)
		return 0;
	for (i = 0; i < config->nl2tp_sessions; i++) {
		r = &config->l2tp_sessions[i];
		if (strcmp(r->user, rq->user) == 0 &&
		    (r->tunnel[0] == '\0' || strcmp(r->tunnel, host) == 0))
			break;
	}
	if (i == config->nl2tp_sessions)
		return 0;
	memset(rp, 0, sizeof(*rp));
	plen = strlen(r->password);
	if (strcmp(r->password, "*") == 0)
		rp->ok = 1;
	else if (rq->proto == PPP_PAP)
		rp->ok = same_bytes(rq->password, rq->password_len,
		    (const uint8_t *)r->password, plen);
	else if (rq->proto == PPP_CHAP) {
		chap_md5(rq->chap_id, (const uint8_t *)r->password, plen,
		    rq->challenge, rq->challenge_len, want);
		rp->ok = same_bytes(want, 16, rq->response, 16);
	}
	snprintf(rp->msg, sizeof(rp->msg), rp->ok ? "Welcome" :
	    "Authentication failed");
	if (!rp->ok)
		return 1;
	if (r->relay) {
		rp->ntunnels = 1;
		rp->tunnel[0].type = 3;			/* L2TP over IPv4 */
		rp->tunnel[0].medium = 1;
		rp->tunnel[0].endpoint = r->relay;
		rp->tunnel[0].port = r->relay_port;
		snprintf(rp->tunnel[0].password, sizeof(rp->tunnel[0].password),
		    "%s", r->relay_secret);
		return 1;
	}
	rp->ip = r->ip;
	for (i = 0; i < r->nroutes && i < AUTH_MAX_ROUTES; i++) {
		rp->route[i].net = r->route_net[i];
		rp->route[i].plen = r->route_len[i];
	}
	rp->nroutes = (uint8_t)i;
	if (r->haset[0]) {	/* as RADIUS would name it (haset.c) */
		snprintf(rp->avpair[0].key, sizeof(rp->avpair[0].key),
		    "ha-set");
		snprintf(rp->avpair[0].value, sizeof(rp->avpair[0].value),
		    "%s", r->haset);
		rp->navpairs = 1;
	}
	return 1;
}

void
auth_submit(const struct auth_req *rq)
{
	struct auth_reply rp;
	int radius = config->primary_radius != 0;

	if (static_session(rq, &rp)) {
		radius_session_begin(rq->sid, 0);
		LOG(rp.ok ? LOG_INFO_L : LOG_WARN_L, rq->sid, 0, "%s %s for "
		    "\"%s\" (static l2tp session rule%s)", rq->proto == PPP_PAP ?
		    "PAP" : "CHAP", rp.ok ? "accepted" : "rejected", rq->user,
		    rp.ntunnels ? ": relay" : "");
		if (rp.ok && rp.nroutes)
			session_set_routes(rq->sid, rp.route, rp.nroutes);
		ppp_auth_done(rq->sid, &rp);
		return;
	}
	radius_session_begin(rq->sid, radius);
	if (radius) {
		/* radius.c answers when a server does (or none does). */
		radius_auth_submit(rq);
		return;
	}
	local_auth_check(rq, &rp);
	if (!have_file)
		if (log_rl_ok(&auth_rl, time_now))
			LOG(LOG_ERROR_L, rq->sid, 0, "cannot authenticate \"%s\": no "
			    "RADIUS server and no local_auth_file (%s)", rq->user,
			    config->local_auth_file);
	LOG(rp.ok ? LOG_INFO_L : LOG_WARN_L, rq->sid, 0, "%s %s for \"%s\" "
	    "(local)", rq->proto == PPP_PAP ? "PAP" :
	    rq->chap_alg == CHAP_ALG_MSCHAPV2 ? "MS-CHAPv2" : "CHAP",
	    rp.ok ? "accepted" : "rejected", rq->user);
	ppp_auth_done(rq->sid, &rp);
}

void
auth_cancel(sid_t s)
{
	radius_auth_cancel(s);	/* local answers are never pending */
}
