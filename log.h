/*
 * log.h - logging with the manual's debug levels.
 *
 *	0 critical	things are probably broken
 *	1 error		things might have gone wrong, probably will recover
 *	2 warning	not quite perfect
 *	3 info		parameters of control packets
 *	4 calls		tracing the execution of the code
 *	5 packets	everything, with hex dumps
 *
 * A message is formatted only when its level is enabled: the LOG macros
 * test the level first, so a disabled message costs one comparison.
 */
#ifndef L2TPNS_LOG_H
#define L2TPNS_LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_CRIT_L	0
#define LOG_ERROR_L	1
#define LOG_WARN_L	2
#define LOG_INFO_L	3
#define LOG_CALLS_L	4
#define LOG_PACKET_L	5

extern int log_level;

/*
 * Open the destination: "" = standard output, an absolute path (opened
 * for append), or "syslog:FACILITY".  Returns 0, or -1 with a reason in
 * err (the previous destination then stays in use).
 */
int	 log_open(const char *dest, const char *ident, char *err, size_t errlen);
void	 log_close(void);
int	 log_fileno(void);	/* the open log file or stdout; -1 = syslog */

void	 log_msg(int level, uint32_t sid, uint32_t tid, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 log_hex(int level, uint32_t sid, uint32_t tid, const char *title,
	    const uint8_t *data, size_t len);
/*
 * The one rate limiter for what peers can make us log (STYLE 11): at
 * most `per_sec` lines a second for each limiter; when a new second
 * starts, one line says how many were held back.  Declare one per
 * kind of message: static struct log_rl rl = LOG_RL(20, "L2TP datagrams
 * dropped"); then `if (log_rl_ok(&rl, time_now)) LOG(...)`.
 */
struct log_rl {
	unsigned	 per_sec;
	const char	*what;		/* "N more <what> (not logged)" */
	int64_t		 window;
	unsigned	 logged, suppressed;
};
#define LOG_RL(n, what)	{ (n), (what), 0, 0, 0 }
int	 log_rl_ok(struct log_rl *, int64_t now);

/*
 * The live log of the CLI's "debug" command: the daemon keeps its last
 * LOG_RING_LINES lines in shared memory (log_ring_init, before the CLI
 * forks), one writer, read by the CLI children without a lock (each line
 * carries a sequence number written last; a line overwritten while it is
 * read is skipped).  A child calls log_ring_reader() so that its own
 * log lines stay out of the ring.
 */
#define LOG_RING_LINES	1024
#define LOG_RING_TEXT	256
int	 log_ring_init(void);
void	 log_ring_reader(void);
/* The sequence number the next line will get. */
uint64_t log_ring_next(void);
/*
 * Hand the lines from sequence `from` on to fn(level, text, arg), text
 * without the time stamp ("INFO tid=3 sid=17 message"), oldest first;
 * *lost counts those already overwritten.  Returns where to go on from.
 */
uint64_t log_ring_read(uint64_t from, void (*fn)(int level, const char *text,
	    void *arg), void *arg, uint64_t *lost);

void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#define LOG(level, sid, tid, ...) do {					\
	if ((level) <= log_level)					\
		log_msg((level), (sid), (tid), __VA_ARGS__);		\
} while (0)

#define log_crit(...)	LOG(LOG_CRIT_L, 0, 0, __VA_ARGS__)
#define log_error(...)	LOG(LOG_ERROR_L, 0, 0, __VA_ARGS__)
#define log_warnx(...)	LOG(LOG_WARN_L, 0, 0, __VA_ARGS__)
#define log_info(...)	LOG(LOG_INFO_L, 0, 0, __VA_ARGS__)
#define log_debug(...)	LOG(LOG_CALLS_L, 0, 0, __VA_ARGS__)

#endif /* L2TPNS_LOG_H */
