/*
 * lac_timer.h - lacsim's timer min-heap on CLOCK_MONOTONIC microseconds
 * (STYLE 7).  Each timer lives inside the object it serves and keeps its
 * heap position, so arming and cancelling cost O(log n) and nothing is
 * allocated after lt_heap_init().
 */
#ifndef LACSIM_LAC_TIMER_H
#define LACSIM_LAC_TIMER_H

#include <stddef.h>
#include <stdint.h>

struct ltimer;
typedef void (*lt_fn)(struct ltimer *, void *);

struct ltimer {
	uint64_t	 when;		/* monotonic microseconds */
	uint32_t	 idx;		/* heap position + 1; 0 when idle */
	lt_fn		 fn;
	void		*arg;
};

int	 lt_heap_init(size_t cap);
void	 lt_heap_free(void);
void	 lt_init(struct ltimer *, lt_fn, void *);
void	 lt_set_at(struct ltimer *, uint64_t when);
void	 lt_cancel(struct ltimer *);
int	 lt_armed(const struct ltimer *);
/* Microseconds from now until the first timer; -1 when none is armed. */
int64_t	 lt_next(uint64_t now);
/* Fire the timers due at now, at most as many as were armed on entry. */
int	 lt_run(uint64_t now);
uint64_t lt_now(void);

#endif /* LACSIM_LAC_TIMER_H */
