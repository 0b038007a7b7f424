/*
 * tbf.c - token-bucket throttling per session and direction (tbf.h).
 *
 * State owned: the bucket table (throttle_buckets entries, allocated at
 * start), a table of queued-packet slots shared by all buckets, and the
 * session -> bucket map.  A bucket is taken the first time a throttled
 * direction carries a packet and given back when the session ends or
 * is unthrottled (session_set_rates).
 *
 * Credit is kept in bits: a rate of R kbit/s adds R bits per
 * millisecond, so refilling costs one multiplication on now_ms.  The
 * queue holds about 100 ms of traffic at the rate (at least four
 * full-size packets): enough for a TCP sender to keep the link busy
 * without the burst losses a pure policer causes, short enough not to
 * add much delay.  The bucket depth (burst) is 50 ms at the rate, at
 * least two full-size packets.
 */
#include <stdlib.h>
#include <string.h>

#include "evring.h"
#include "tbf.h"
#include "config.h"
#include "event.h"
#include "log.h"

#define QUEUE_MS	100
#define BURST_MS	50
#define MIN_QUEUE	(4 * 1500)
#define MIN_BURST	(2 * 1600)
#define MAX_SLOTS	8192

struct slot {
	uint32_t	next;		/* slot index + 1; 0 = end */
	uint16_t	len;
	uint8_t		buf[TBF_HEADROOM + TBF_FRAME_MAX];
};

struct bucket {
	sid_t		sid;		/* 0 = free */
	uint8_t		dir;
	uint32_t	rate;		/* kbit/s = bits per ms */
	int64_t		credit;		/* bits */
	int64_t		burst;		/* bits */
	uint64_t	last_ms;
	uint32_t	head, tail;	/* queued slots, index + 1 */
	uint32_t	qlen, qbytes, qmax;
	uint32_t	next_free;
	struct timer	timer;
	uint64_t	bytes_in, pkts_in, bytes_sent, pkts_sent;
	uint64_t	pkts_dropped, pkts_delayed;
};

static struct bucket *buckets;		/* [1..nbuckets] */
static uint32_t nbuckets, free_bucket, used_buckets;
static struct slot *slots;		/* [0..nslots) */
static uint32_t nslots, free_slot;	/* index + 1 */
static uint32_t (*owner)[2];		/* session -> bucket index */
static uint32_t nsess;
static tbf_send_fn send_fn;

static void fire(struct timer *, void *);

int
tbf_init(int n, tbf_send_fn fn)
{
	uint32_t i;

	nbuckets = n > 0 ? (uint32_t)n : 1;
	nslots = nbuckets * 4 < MAX_SLOTS ? nbuckets * 4 : MAX_SLOTS;
	if (nslots < 64)
		nslots = 64;
	nsess = (uint32_t)config->max_sessions;
	free(buckets);
	free(slots);
	free(owner);
	/* calloc: the pages of unused slots are never touched. */
	buckets = calloc((size_t)nbuckets + 1, sizeof(*buckets));
	slots = calloc(nslots, sizeof(*slots));
	owner = calloc((size_t)nsess + 1, sizeof(*owner));
	if (buckets == NULL || slots == NULL || owner == NULL) {
		LOG(LOG_CRIT_L, 0, 0, "no memory for %u token buckets",
		    nbuckets);
		return -1;
	}
	free_bucket = 0;
	for (i = nbuckets; i >= 1; i--) {
		buckets[i].next_free = free_bucket;
		free_bucket = i;
		timer_init(&buckets[i].timer, fire, &buckets[i]);
	}
	free_slot = 0;
	for (i = nslots; i >= 1; i--) {
		slots[i - 1].next = free_slot;
		free_slot = i;
	}
	used_buckets = 0;
	send_fn = fn;
	return 0;
}

static void
set_rate(struct bucket *b, uint32_t rate)
{
	int64_t q = (int64_t)rate * QUEUE_MS / 8;	/* bytes */

	b->rate = rate;
	b->burst = (int64_t)rate * BURST_MS;
	if (b->burst < MIN_BURST * 8)
		b->burst = MIN_BURST * 8;
	if (b->credit > b->burst)
		b->credit = b->burst;
	b->qmax = (uint32_t)(q < MIN_QUEUE ? MIN_QUEUE :
	    q > 16 * 1024 * 1024 ? 16 * 1024 * 1024 : q);
}

static void
refill(struct bucket *b)
{
	if (now_ms > b->last_ms) {
		b->credit += (int64_t)(now_ms - b->last_ms) * b->rate;
		if (b->credit > b->burst)
			b->credit = b->burst;
	}
	b->last_ms = now_ms;
}

static struct bucket *
bucket_get(sid_t s, int dir, uint32_t rate)
{
	struct bucket *b;
	uint32_t i;

	if (s == 0 || s > nsess)
		return NULL;
	if ((i = owner[s][dir]) != 0)
		return &buckets[i];
	if ((i = free_bucket) == 0) {
		stats->tbf_no_bucket++;
		return NULL;
	}
	b = &buckets[i];
	free_bucket = b->next_free;
	b->sid = s;
	b->dir = (uint8_t)dir;
	b->credit = 0;
	set_rate(b, rate);
	b->credit = b->burst;		/* start with a full bucket */
	b->last_ms = now_ms;
	b->head = b->tail = 0;
	b->qlen = b->qbytes = 0;
	b->bytes_in = b->pkts_in = b->bytes_sent = b->pkts_sent = 0;
	b->pkts_dropped = b->pkts_delayed = 0;
	owner[s][dir] = i;
	used_buckets++;
	LOG(LOG_CALLS_L, s, 0, "token bucket %u: %s at %u kbit/s", i,
	    dir == TBF_UP ? "upstream" : "downstream", rate);
	return b;
}

static void
slot_free(uint32_t i)
{
	slots[i - 1].next = free_slot;
	free_slot = i;
}

/* Give a bucket back; its queue is sent (flush) or discarded. */
static void
bucket_put(struct bucket *b, int flush)
{
	uint32_t i;

	timer_cancel(&b->timer);
	while ((i = b->head) != 0) {
		struct slot *sl = &slots[i - 1];

		b->head = sl->next;
		if (flush)
			send_fn(b->sid, b->dir, sl->buf + TBF_HEADROOM, sl->len);
		slot_free(i);
	}
	owner[b->sid][b->dir] = 0;
	b->sid = 0;
	b->tail = 0;
	b->qlen = b->qbytes = 0;
	b->next_free = free_bucket;
	free_bucket = (uint32_t)(b - buckets);
	used_buckets--;
}

/* Arm the timer for when the head of the queue will have its credit. */
static void
arm(struct bucket *b)
{
	int64_t need = (int64_t)slots[b->head - 1].len * 8 - b->credit;
	uint64_t ms = need <= 0 ? 1 : (uint64_t)(need + b->rate - 1) / b->rate;

	timer_set(&b->timer, ms ? ms : 1);
}

int
tbf_admit(sid_t s, int dir, uint8_t *frame, size_t len)
{
	struct session *sp = session_get(s);
	uint32_t rate = dir == TBF_UP ? sp->rate_in : sp->rate_out;
	struct bucket *b = bucket_get(s, dir, rate);
	struct slot *sl;
	uint32_t i;

	if (b == NULL)
		return 1;		/* no bucket: not throttled (counted) */
	refill(b);
	if (b->rate != rate)
		set_rate(b, rate);
	b->bytes_in += len;
	b->pkts_in++;
	if (b->head == 0 && b->credit >= (int64_t)len * 8) {
		b->credit -= (int64_t)len * 8;
		b->bytes_sent += len;
		b->pkts_sent++;
		return 1;
	}
	if (len > TBF_FRAME_MAX || b->qbytes + len > b->qmax ||
	    (i = free_slot) == 0) {
		b->pkts_dropped++;
		stats->tbf_dropped++;
		return 0;
	}
	/* Queued: a copy, with headroom for the sender's headers. */
	sl = &slots[i - 1];
	free_slot = sl->next;
	memcpy(sl->buf + TBF_HEADROOM, frame, len);
	sl->len = (uint16_t)len;
	sl->next = 0;
	if (b->tail)
		slots[b->tail - 1].next = i;
	else
		b->head = i;
	b->tail = i;
	b->qlen++;
	b->qbytes += (uint32_t)len;
	b->pkts_delayed++;
	stats->tbf_delayed++;
	if (!timer_pending(&b->timer))
		arm(b);
	return 0;
}

/* Send what the credit now covers, in order. */
static void
fire(struct timer *t, void *arg)
{
	struct bucket *b = arg;
	struct session *sp = session_get(b->sid);
	uint32_t rate;

	(void)t;
	if (sp == NULL)
		return;
	rate = b->dir == TBF_UP ? sp->rate_in : sp->rate_out;
	if (rate == 0) {
		bucket_put(b, 1);	/* unthrottled meanwhile */
		return;
	}
	refill(b);
	if (b->rate != rate)
		set_rate(b, rate);
	while (b->head != 0) {
		uint32_t i = b->head;
		struct slot *sl = &slots[i - 1];

		if (b->credit < (int64_t)sl->len * 8)
			break;
		b->credit -= (int64_t)sl->len * 8;
		b->head = sl->next;
		if (b->head == 0)
			b->tail = 0;
		b->qlen--;
		b->qbytes -= sl->len;
		b->bytes_sent += sl->len;
		b->pkts_sent++;
		send_fn(b->sid, b->dir, sl->buf + TBF_HEADROOM, sl->len);
		slot_free(i);
	}
	if (b->head != 0)
		arm(b);
}

void
tbf_session_end(sid_t s)
{
	int dir;

	if (s == 0 || s > nsess || owner == NULL)
		return;
	for (dir = 0; dir < 2; dir++)
		if (owner[s][dir])
			bucket_put(&buckets[owner[s][dir]], 0);
}

void
session_set_rates(sid_t s, uint32_t in, uint32_t out)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	if (sp->rate_in != in || sp->rate_out != out)
		evring_add(s, SEV_THROTTLE, SEA_NONE, 0, "in %u, out %u kbit/s%s",
		    in, out, in || out ? "" : " (none)");
	sp->rate_in = in;
	sp->rate_out = out;
	sp->throttle = in != 0 || out != 0;
	/* Unthrottled: what waits goes now, the bucket is free again. */
	if (owner != NULL && s <= nsess) {
		if (in == 0 && owner[s][TBF_UP])
			bucket_put(&buckets[owner[s][TBF_UP]], 1);
		if (out == 0 && owner[s][TBF_DOWN])
			bucket_put(&buckets[owner[s][TBF_DOWN]], 1);
	}
}

int
tbf_get(sid_t s, int dir, struct tbf_stats *st)
{
	struct bucket *b;

	if (owner == NULL || s == 0 || s > nsess || owner[s][dir] == 0)
		return -1;
	b = &buckets[owner[s][dir]];
	refill(b);
	st->rate = b->rate;
	st->credit = b->credit / 8;
	st->queued = b->qlen;
	st->bytes_in = b->bytes_in;
	st->pkts_in = b->pkts_in;
	st->bytes_sent = b->bytes_sent;
	st->pkts_sent = b->pkts_sent;
	st->pkts_dropped = b->pkts_dropped;
	st->pkts_delayed = b->pkts_delayed;
	return (int)owner[s][dir];
}

int
tbf_in_use(void)
{
	return (int)used_buckets;
}

int
tbf_total(void)
{
	return (int)nbuckets;
}
