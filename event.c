/*
 * event.c - epoll fd registry and the timer min-heap.
 *
 * State owned: the epoll fd, the per-fd handler table (indexed by fd, so
 * dispatch is O(1)) and the heap of armed timers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event.h"

uint64_t now_ms;
uint64_t ev_timers_fired;
time_t time_now;

struct hent;

struct handler {
	ev_fn		fn;
	void		*arg;
};

static int epfd = -1;
static struct handler *handlers;	/* indexed by fd */
static int nhandlers;

static struct hent *heap;		/* heap[0] is the earliest */
static struct hent *heap_mem;		/* its allocation */
static uint32_t heap_len, heap_cap;

void
ev_update_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	time_now = time(NULL);
}

int
ev_init(void)
{
	if (epfd >= 0)
		return 0;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	ev_update_time();
	return 0;
}

void
ev_close(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
	free(handlers);
	handlers = NULL;
	nhandlers = 0;
	free(heap_mem);
	heap_mem = NULL;
	heap = NULL;
	heap_len = heap_cap = 0;
}

int
ev_add(int fd, uint32_t events, ev_fn fn, void *arg)
{
	struct epoll_event ev;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fd >= nhandlers) {
		int n = nhandlers ? nhandlers : 64;
		struct handler *h;

		while (n <= fd)
			n *= 2;
		if ((h = realloc(handlers, n * sizeof(*h))) == NULL)
			return -1;
		memset(h + nhandlers, 0, (n - nhandlers) * sizeof(*h));
		handlers = h;
		nhandlers = n;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	handlers[fd].fn = fn;
	handlers[fd].arg = arg;
	return 0;
}

int
ev_mod(int fd, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

int
ev_del(int fd)
{
	if (fd < 0 || fd >= nhandlers || handlers[fd].fn == NULL) {
		errno = ENOENT;
		return -1;
	}
	handlers[fd].fn = NULL;
	handlers[fd].arg = NULL;
	return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

#define MAXEVENTS 64

int
ev_run_once(int max_wait_ms)
{
	struct epoll_event evs[MAXEVENTS];
	int64_t next;
	int n, i, wait = max_wait_ms;

	next = timers_next_ms();
	if (next >= 0 && (wait < 0 || next < wait))
		wait = (int)next;
	n = epoll_wait(epfd, evs, MAXEVENTS, wait);
	ev_update_time();
	if (n < 0) {
		if (errno == EINTR)
			n = 0;
		else
			return -1;
	}
	for (i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		/* An earlier handler of this turn may have closed it. */
		if (fd < nhandlers && handlers[fd].fn != NULL)
			handlers[fd].fn(fd, evs[i].events, handlers[fd].arg);
	}
	ev_timers_fired += (uint64_t)timers_run();
	return n;
}

/* ---- timer heap ----
 *
 * A 4-ary min-heap of (when, timer) pairs.  The key is kept in the heap
 * itself, so a sift compares entries of one contiguous array instead of
 * following a pointer to a timer (a cache miss, and in a guest a TLB
 * miss, at every level: with a million sessions each holding an echo
 * timer, that was most of the idle daemon's time).  Four children per
 * node halve the depth, and the array is placed so that the four
 * children of a node (16-octet entries) share one 64-octet cache line.
 * A timer still records its index, to be cancelled or moved in place.
 */

struct hent {
	uint64_t	when;
	struct timer	*t;
};

#define ARITY		4
#define HEAP_ALIGN	64
/* Entries before heap[0] in the allocation: puts heap[1] on a line. */
#define HEAP_SKEW	(HEAP_ALIGN / sizeof(struct hent) - 1)

static void
heap_place(uint32_t i, struct hent e)
{
	heap[i] = e;
	e.t->heap_idx = i + 1;
}

static void
sift_up(uint32_t i)
{
	struct hent e = heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / ARITY;

		if (heap[p].when <= e.when)
			break;
		heap_place(i, heap[p]);
		i = p;
	}
	heap_place(i, e);
}

static void
sift_down(uint32_t i)
{
	struct hent e = heap[i];

	for (;;) {
		uint32_t c = ARITY * i + 1, end = c + ARITY, k, m;

		if (c >= heap_len)
			break;
		if (end > heap_len)
			end = heap_len;
		for (m = c, k = c + 1; k < end; k++)
			if (heap[k].when < heap[m].when)
				m = k;
		if (e.when <= heap[m].when)
			break;
		heap_place(i, heap[m]);
		i = m;
	}
	heap_place(i, e);
}

/* Room for at least one more entry; aborts when memory is out. */
static void
heap_grow(void)
{
	uint32_t n = heap_cap ? heap_cap * 2 : 256;
	size_t bytes = (n + HEAP_SKEW) * sizeof(struct hent);
	struct hent *m = aligned_alloc(HEAP_ALIGN,
	    (bytes + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1));

	/*
	 * Out of memory while arming a timer leaves the object without its
	 * timeout: a local invariant we cannot keep.
	 */
	if (m == NULL)
		abort();
	if (heap_len)
		memcpy(m + HEAP_SKEW, heap, heap_len * sizeof(*m));
	free(heap_mem);
	heap_mem = m;
	heap = m + HEAP_SKEW;
	heap_cap = n;
}

void
timer_init(struct timer *t, timer_fn fn, void *arg)
{
	t->when = 0;
	t->heap_idx = 0;
	t->fn = fn;
	t->arg = arg;
}

int
timer_pending(const struct timer *t)
{
	return t->heap_idx != 0;
}

void
timer_cancel(struct timer *t)
{
	uint32_t i;
	struct hent last;

	if (t->heap_idx == 0)
		return;
	i = t->heap_idx - 1;
	t->heap_idx = 0;
	last = heap[--heap_len];
	if (i == heap_len)
		return;
	heap_place(i, last);
	if (i > 0 && heap[(i - 1) / ARITY].when > last.when)
		sift_up(i);
	else
		sift_down(i);
}

void
timer_set_at(struct timer *t, uint64_t when)
{
	if (t->heap_idx != 0) {
		uint32_t i = t->heap_idx - 1;
		uint64_t old = t->when;

		t->when = when;
		heap[i].when = when;
		if (when < old)
			sift_up(i);
		else
			sift_down(i);
		return;
	}
	if (heap_len == heap_cap)
		heap_grow();
	t->when = when;
	heap_place(heap_len++, (struct hent){ when, t });
	sift_up(heap_len - 1);
}

void
timer_set(struct timer *t, uint64_t delay_ms)
{
	timer_set_at(t, now_ms + delay_ms);
}

int64_t
timers_next_ms(void)
{
	if (heap_len == 0)
		return -1;
	if (heap[0].when <= now_ms)
		return 0;
	return (int64_t)(heap[0].when - now_ms);
}

uint32_t
timers_count(void)
{
	return heap_len;
}

int
timers_run(void)
{
	int fired = 0;

	/*
	 * A callback may re-arm its own timer for now (delay 0); bound the
	 * work of one turn so the loop still polls its fds.
	 */
	while (heap_len > 0 && heap[0].when <= now_ms && fired < 100000) {
		struct timer *t = heap[0].t;

		timer_cancel(t);
		fired++;
		t->fn(t, t->arg);
	}
	return fired;
}
