/*
 * lac_timer.c - the binary min-heap behind lac_timer.h.
 *
 * State: the heap array, sized once for every timer the simulator owns.
 */
#include <stdlib.h>
#include <time.h>

#include "lac_timer.h"

static struct ltimer	**heap;
static size_t		  heap_len, heap_cap;

int
lt_heap_init(size_t cap)
{
	heap = calloc(cap ? cap : 1, sizeof(*heap));
	if (heap == NULL)
		return -1;
	heap_cap = cap;
	heap_len = 0;
	return 0;
}

void
lt_heap_free(void)
{
	free(heap);
	heap = NULL;
	heap_len = heap_cap = 0;
}

uint64_t
lt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
put(size_t i, struct ltimer *t)
{
	heap[i] = t;
	t->idx = (uint32_t)i + 1;
}

static void
sift_up(size_t i)
{
	struct ltimer *t = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->when > t->when) {
		put(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	put(i, t);
}

static void
sift_down(size_t i)
{
	struct ltimer *t = heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && heap[c + 1]->when < heap[c]->when)
			c++;
		if (heap[c]->when >= t->when)
			break;
		put(i, heap[c]);
		i = c;
	}
	put(i, t);
}

void
lt_init(struct ltimer *t, lt_fn fn, void *arg)
{
	t->when = 0;
	t->idx = 0;
	t->fn = fn;
	t->arg = arg;
}

int
lt_armed(const struct ltimer *t)
{
	return t->idx != 0;
}

void
lt_cancel(struct ltimer *t)
{
	struct ltimer *last;
	size_t i;

	if (t->idx == 0)
		return;
	i = t->idx - 1;
	t->idx = 0;
	if (--heap_len == i)
		return;
	last = heap[heap_len];
	put(i, last);
	sift_down(i);
	sift_up(last->idx - 1);
}

void
lt_set_at(struct ltimer *t, uint64_t when)
{
	lt_cancel(t);
	/* The heap is sized for every timer there is: a local invariant. */
	if (heap_len >= heap_cap)
		abort();
	t->when = when;
	put(heap_len++, t);
	sift_up(heap_len - 1);
}

int64_t
lt_next(uint64_t now)
{
	if (heap_len == 0)
		return -1;
	if (heap[0]->when <= now)
		return 0;
	return (int64_t)(heap[0]->when - now);
}

int
lt_run(uint64_t now)
{
	struct ltimer *t;
	size_t budget = heap_len;
	int fired = 0;

	while (heap_len > 0 && budget-- > 0 && heap[0]->when <= now) {
		t = heap[0];
		lt_cancel(t);
		fired++;
		t->fn(t, t->arg);
	}
	return fired;
}
