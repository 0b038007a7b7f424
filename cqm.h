/*
 * cqm.h - call quality per login: LCP echo round-trip time and loss in
 * 100-second buckets, 24 hours of them (FireBrick's CQM, Ze's sample
 * ring).  ppp.c reports each echo sent and each reply; the CLI (and the
 * web view) read the buckets.
 */
#ifndef L2TPNS_CQM_H
#define L2TPNS_CQM_H

#include <stdint.h>
#include <time.h>

#include "l2tpns.h"

#define CQM_BUCKET_S	100
#define CQM_BUCKETS	864		/* 24 hours */

enum cqm_state { CQM_UP = 0, CQM_NEGOTIATING = 1, CQM_DOWN = 2 };

struct cqm_bucket {
	uint32_t	epoch;		/* start time / CQM_BUCKET_S; 0 = unused */
	uint32_t	rtt_min_us, rtt_max_us;
	uint32_t	rtt_sum_us;	/* over `answered` replies */
	uint16_t	sent, answered;
	uint16_t	inflight;	/* sent, neither answered nor lost yet */
	uint8_t		state;		/* worst enum cqm_state seen */
	uint8_t		pad;
};

struct cqm_login {
	char		user[MAXUSER];	/* "" = free */
	uint32_t	sessions;	/* sessions of this login now */
	time_t		last_used;
	struct cqm_bucket b[CQM_BUCKETS];	/* b[epoch % CQM_BUCKETS] */
};

/* Bytes of one login's history (the manual states the bound). */
#define CQM_LOGIN_BYTES	sizeof(struct cqm_login)

/* Map quality_max_logins logins (shared with CLI children). */
int	 cqm_init(uint32_t max_sessions);
/* ppp.c: an LCP Echo-Request with `id` sent, an Echo-Reply received. */
void	 cqm_echo_sent(sid_t, uint8_t id);
void	 cqm_echo_reply(sid_t, uint8_t id);
/* ppp.c: the session is going away (its pending echo is dropped). */
void	 cqm_session_end(sid_t);

/* Readers: the login's history (NULL if none). */
const struct cqm_login *cqm_find(const char *user);
enum cqm_fmt { CQM_TEXT, CQM_JSON, CQM_CSV };
/*
 * The buckets of the last 24 hours up to `now`, oldest first, in `fmt`;
 * buckets without any sample are left out.  One call of `line` per line.
 */
void	 cqm_format(const struct cqm_login *, time_t now, enum cqm_fmt,
	    void (*line)(void *arg, const char *text), void *arg);
const char *cqm_state_name(int);

#endif /* L2TPNS_CQM_H */
