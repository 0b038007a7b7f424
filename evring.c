/*
 * evring.c - the per-session event rings (evring.h).
 *
 * State owned: one ring of EVRING_SIZE events per session slot, in a
 * MAP_SHARED | MAP_NORESERVE mapping made at startup (CLI children read
 * it live; a slot's pages become resident when it is first used: 1,184
 * bytes a slot, EVRING_SIZE events of EVRING_TEXT characters), and, private, the teardown each session's end will
 * report (actor, cause, reason).
 *
 * The events are recorded by direct calls where they happen, since
 * each knows its actor: l2tp.c (ICRQ, CDN, the session's end), ppp.c
 * (authentication, IPCP up, timeouts), session.c (rate changes), and
 * the front ends cli.c, plugin.c and dae.c (interception, CoA,
 * Disconnect); the actor and reason of a teardown come from
 * evring_teardown().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "l2tpns.h"
#include "evring.h"
#include "log.h"

struct teardown {
	uint8_t		set, actor;
	uint16_t	cause;
	char		reason[EVRING_TEXT];
};

static struct evring *rings;
static struct teardown *td;
static uint32_t nrings;

static const char *const type_names[SEV_MAX] = {
	[SEV_NONE] = "none", [SEV_TUNNEL_UP] = "tunnel-up",
	[SEV_CALL] = "call", [SEV_AUTH_OK] = "auth-ok",
	[SEV_AUTH_FAIL] = "auth-fail", [SEV_ADDRESS] = "address",
	[SEV_SESSION_UP] = "session-up", [SEV_THROTTLE] = "throttle",
	[SEV_INTERCEPT] = "intercept", [SEV_COA] = "coa",
	[SEV_DISCONNECT_REQ] = "disconnect-requested", [SEV_DOWN] = "down",
};

static const char *const actor_names[SEA_MAX] = {
	[SEA_NONE] = "-", [SEA_LAC] = "lac", [SEA_CLI] = "cli",
	[SEA_DAE] = "dae", [SEA_RADIUS] = "radius", [SEA_TIMEOUT] = "timeout",
	[SEA_LNS] = "lns", [SEA_PLUGIN] = "plugin", [SEA_WEB] = "web",
};

const char *
sev_type_name(int t)
{
	return t >= 0 && t < SEV_MAX ? type_names[t] : "unknown";
}

const char *
sev_actor_name(int a)
{
	return a >= 0 && a < SEA_MAX ? actor_names[a] : "unknown";
}

int
evring_init(uint32_t max_sessions)
{
	size_t len = ((size_t)max_sessions + 1) * sizeof(struct evring);

	rings = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rings == MAP_FAILED) {
		rings = NULL;
		return -1;
	}
	if ((td = calloc((size_t)max_sessions + 1, sizeof(*td))) == NULL) {
		munmap(rings, len);
		rings = NULL;
		return -1;
	}
	nrings = max_sessions;
	return 0;
}

const struct evring *
evring_get(sid_t s)
{
	return rings != NULL && s > 0 && s <= nrings ? &rings[s] : NULL;
}

void
evring_reset(sid_t s)
{
	if (rings == NULL || s == 0 || s > nrings)
		return;
	memset(&rings[s], 0, sizeof(rings[s]));
	memset(&td[s], 0, sizeof(td[s]));
}

void
evring_add(sid_t s, enum sev_type type, enum sev_actor actor, uint16_t cause,
    const char *fmt, ...)
{
	const struct session *sp;
	struct evring *r;
	struct timeval tv;
	struct sev *e;
	va_list ap;

	if (rings == NULL || s == 0 || s > nrings)
		return;
	r = &rings[s];
	/* The user, once known, names the ring after the session ends. */
	if ((sp = session_get(s)) != NULL && sp->user[0])
		memcpy(r->user, sp->user, sizeof(r->user));
	e = &r->ev[r->next % EVRING_SIZE];
	gettimeofday(&tv, NULL);
	memset(e, 0, sizeof(*e));
	e->t_s = (uint32_t)tv.tv_sec;
	e->t_ms = (uint16_t)(tv.tv_usec / 1000);
	e->type = (uint8_t)type;
	e->actor = (uint8_t)actor;
	e->cause = cause;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	r->next++;
}

void
evring_teardown(sid_t s, enum sev_actor actor, uint16_t cause,
    const char *reason)
{
	struct teardown *t;

	if (td == NULL || s == 0 || s > nrings || td[s].set)
		return;
	t = &td[s];
	t->set = 1;
	t->actor = (uint8_t)actor;
	t->cause = cause;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
}

void
evring_down(sid_t s, const char *why, uint16_t cause)
{
	struct teardown *t;

	if (td == NULL || s == 0 || s > nrings)
		return;
	t = &td[s];
	if (t->set)
		evring_add(s, SEV_DOWN, (enum sev_actor)t->actor,
		    t->cause ? t->cause : cause, "%s", t->reason[0] ?
		    t->reason : why);
	else
		evring_add(s, SEV_DOWN, SEA_LNS, cause, "%s", why);
	memset(t, 0, sizeof(*t));
}
