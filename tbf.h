/*
 * tbf.h - token-bucket throttling, per session and direction (manual,
 * "Throttling"; throttle_speed, throttle_buckets).
 *
 * A throttled direction owns one bucket from a fixed table sized by
 * throttle_buckets.  A packet within the bucket's credit goes at once;
 * one over it waits in a short queue (about 100 ms of traffic at the
 * rate) and leaves from a timer when credit has built up; one that does
 * not fit in the queue is dropped.  The rate is read from the session
 * (rate_in, rate_out, kbit/s = 1000 bit/s) on every packet, so a change
 * from the CLI, nsctl, a plugin or a CoA takes effect at once.
 */
#ifndef L2TPNS_TBF_H
#define L2TPNS_TBF_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"

enum { TBF_UP = 0, TBF_DOWN = 1 };	/* from / to the subscriber */

/*
 * Room kept in front of a queued frame so that the sender can prepend
 * its headers in place (the L2TP data header downstream).
 */
#define TBF_HEADROOM	16
#define TBF_FRAME_MAX	1700

/* Where a packet goes when the bucket lets it through (ppp.c). */
typedef void (*tbf_send_fn)(sid_t, int dir, uint8_t *frame, size_t len);

struct tbf_stats {
	uint32_t	rate;		/* kbit/s */
	int64_t		credit;		/* bytes, may be negative */
	uint32_t	queued;		/* packets waiting */
	uint64_t	bytes_in, pkts_in;	/* offered */
	uint64_t	bytes_sent, pkts_sent;
	uint64_t	pkts_dropped, pkts_delayed;
};

int	 tbf_init(int buckets, tbf_send_fn);
/*
 * Offer a frame in `dir` of a session with a non-zero rate that way.
 * Returns 1 when the caller is to send it now, 0 when the bucket took
 * it (queued: it is copied, the caller's buffer is free again; or
 * dropped).
 */
int	 tbf_admit(sid_t, int dir, uint8_t *frame, size_t len);
/* The session is going: its queued packets are discarded. */
void	 tbf_session_end(sid_t);
/* Stats of a session's bucket in `dir`; -1 when it has none. */
int	 tbf_get(sid_t, int dir, struct tbf_stats *);
int	 tbf_in_use(void);
int	 tbf_total(void);
/* A session's rates changed (session.c): a direction now unthrottled
 * sends what its bucket holds and frees the bucket. */
void	 tbf_rates_changed(sid_t, uint32_t in, uint32_t out);

#endif /* L2TPNS_TBF_H */
