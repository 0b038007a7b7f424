/*
 * event.h - the main loop's machinery: an fd registry on epoll and one
 * min-heap of timers on CLOCK_MONOTONIC (STYLE 7, 8).
 *
 * Handlers run on the loop's thread; a handler for a readable fd drains
 * at most its budget (multi_read_count) and returns, the fd being level
 * triggered, so one busy fd cannot starve the others.
 */
#ifndef L2TPNS_EVENT_H
#define L2TPNS_EVENT_H

#include <stdint.h>
#include <time.h>

typedef void (*ev_fn)(int fd, uint32_t events, void *arg);

struct timer;
typedef void (*timer_fn)(struct timer *, void *arg);

/*
 * A timer is embedded in the object it serves.  heap_idx is its position
 * in the heap plus one (0 = not armed), so re-arming or cancelling costs
 * O(log n) without a search.
 */
struct timer {
	uint64_t	when;		/* now_ms at which it fires */
	uint32_t	heap_idx;
	timer_fn	fn;
	void		*arg;
};

extern uint64_t now_ms;
extern uint64_t ev_timers_fired;	/* timers fired since start */		/* monotonic milliseconds, cached per turn */
extern time_t time_now;		/* wall clock seconds, cached per turn */

int	 ev_init(void);
void	 ev_close(void);
int	 ev_add(int fd, uint32_t events, ev_fn, void *arg);
int	 ev_mod(int fd, uint32_t events);
int	 ev_del(int fd);
/*
 * One turn of the loop: wait until an fd is ready or the first timer is
 * due (never longer than max_wait_ms), dispatch ready fds, then fire due
 * timers.  Returns the number of fd events handled, or -1 on error.
 */
int	 ev_run_once(int max_wait_ms);
void	 ev_update_time(void);

void	 timer_init(struct timer *, timer_fn, void *arg);
void	 timer_set(struct timer *, uint64_t delay_ms);
void	 timer_set_at(struct timer *, uint64_t when_ms);
void	 timer_cancel(struct timer *);
int	 timer_pending(const struct timer *);
/* Fire every timer due at now_ms; returns how many fired. */
int	 timers_run(void);
/* Milliseconds until the first timer is due; -1 when none is armed. */
int64_t	 timers_next_ms(void);
uint32_t timers_count(void);

#endif /* L2TPNS_EVENT_H */
