/*
 * log.c - log destinations: standard output, a file, or syslog.
 *
 * One line is written with one write(2) so that lines from a forked CLI
 * child never interleave with the daemon's.  A file is opened O_APPEND;
 * HUP reopens it (logrotate).  syslog is opened with LOG_NDELAY.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int log_level;

static int log_fd = STDOUT_FILENO;	/* -1 while syslog is in use */
static int use_syslog;

static const struct {
	const char *name;
	int fac;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "kern", LOG_KERN }, { "lpr", LOG_LPR },
	{ "mail", LOG_MAIL }, { "news", LOG_NEWS }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static const char *level_names[] = {
	"CRIT", "ERROR", "WARN", "INFO", "CALLS", "PACKET"
};

/* ---- the live log ring (CLI "debug") ---- */

struct ring_line {
	uint64_t	seq;		/* 1 + its sequence number; 0 = being written */
	int		level;
	char		text[LOG_RING_TEXT];
};

static struct log_ring {
	uint64_t	next;
	struct ring_line line[LOG_RING_LINES];
} *ring;
static int ring_writer;

int
log_ring_init(void)
{
	void *p = shm_alloc(sizeof(*ring));

	if (p == NULL)
		return -1;
	ring = p;
	ring_writer = 1;
	return 0;
}

void
log_ring_reader(void)
{
	ring_writer = 0;
}

uint64_t
log_ring_next(void)
{
	return ring ? __atomic_load_n(&ring->next, __ATOMIC_ACQUIRE) : 0;
}

static void
ring_put(int level, const char *text, size_t len)
{
	uint64_t n = ring->next;
	struct ring_line *l = &ring->line[n % LOG_RING_LINES];

	__atomic_store_n(&l->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (len >= sizeof(l->text))
		len = sizeof(l->text) - 1;
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	l->level = level;
	__atomic_store_n(&l->seq, n + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->next, n + 1, __ATOMIC_RELEASE);
}

uint64_t
log_ring_read(uint64_t from, void (*fn)(int, const char *, void *), void *arg,
    uint64_t *lost)
{
	char text[LOG_RING_TEXT];
	uint64_t next = log_ring_next(), n, s1;
	int level;

	*lost = 0;
	if (ring == NULL)
		return from;
	if (next - from > LOG_RING_LINES) {
		*lost = next - LOG_RING_LINES - from;
		from = next - LOG_RING_LINES;
	}
	for (n = from; n < next; n++) {
		struct ring_line *l = &ring->line[n % LOG_RING_LINES];

		s1 = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
		if (s1 != n + 1) {
			(*lost)++;
			continue;
		}
		memcpy(text, l->text, sizeof(text));
		level = l->level;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&l->seq, __ATOMIC_RELAXED) != s1) {
			(*lost)++;		/* overwritten while copied */
			continue;
		}
		text[sizeof(text) - 1] = '\0';
		fn(level, text, arg);
	}
	return next;
}

int
log_open(const char *dest, const char *ident, char *err, size_t errlen)
{
	size_t i;
	int fd;

	if (strncmp(dest, "syslog:", 7) == 0) {
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcmp(dest + 7, facilities[i].name) == 0)
				break;
		if (i == sizeof(facilities) / sizeof(facilities[0])) {
			snprintf(err, errlen, "unknown syslog facility \"%s\" "
			    "(expected e.g. daemon or local0..local7)", dest + 7);
			return -1;
		}
		log_close();
		openlog(ident, LOG_PID | LOG_NDELAY, facilities[i].fac);
		use_syslog = 1;
		return 0;
	}
	if (*dest == '\0') {
		log_close();
		log_fd = STDOUT_FILENO;
		return 0;
	}
	fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open log file %s: %s", dest,
		    strerror(errno));
		return -1;
	}
	log_close();
	log_fd = fd;
	return 0;
}

void
log_close(void)
{
	if (use_syslog) {
		closelog();
		use_syslog = 0;
	}
	if (log_fd > STDERR_FILENO)
		close(log_fd);
	log_fd = STDOUT_FILENO;
}

/* The descriptor a forked CLI child must keep open; -1 under syslog. */
int
log_fileno(void)
{
	return use_syslog ? -1 : log_fd;
}

static void
emit(int level, const char *line, size_t len)
{
	static const int prio[] = {
		LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG
	};
	ssize_t n;

	if (use_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	/* A full disk or closed stdout must not stop the daemon. */
	n = write(log_fd, line, len);
	(void)n;
}

static void
vlog(int level, uint32_t sid, uint32_t tid, const char *fmt, va_list ap)
{
	char line[2048];
	size_t o = 0, start;
	struct timeval tv;
	struct tm tm;

	if (level < 0)
		level = 0;
	if (level > 5)
		level = 5;
	if (!use_syslog) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		o = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
		o += (size_t)snprintf(line + o, sizeof(line) - o, ".%03ld ",
		    (long)tv.tv_usec / 1000);
	}
	start = o;
	o += (size_t)snprintf(line + o, sizeof(line) - o, "%s ",
	    level_names[level]);
	if (tid)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "tid=%u ", tid);
	if (sid)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "sid=%u ", sid);
	if (o < sizeof(line))
		o += (size_t)vsnprintf(line + o, sizeof(line) - o, fmt, ap);
	if (o >= sizeof(line) - 1)
		o = sizeof(line) - 2;
	if (o > 0 && line[o - 1] == '\n')
		o--;
	if (ring != NULL && ring_writer)
		ring_put(level, line + start, o - start);
	line[o++] = '\n';
	line[o] = '\0';
	emit(level, line, o);
}

void
log_msg(int level, uint32_t sid, uint32_t tid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, sid, tid, fmt, ap);
	va_end(ap);
}

void
log_hex(int level, uint32_t sid, uint32_t tid, const char *title,
    const uint8_t *data, size_t len)
{
	char buf[16 * 3 + 1];
	size_t i, j;

	if (level > log_level)
		return;
	log_msg(level, sid, tid, "%s: %zu bytes", title, len);
	for (i = 0; i < len; i += 16) {
		for (j = 0; j < 16 && i + j < len; j++)
			snprintf(buf + j * 3, 4, "%02x ", data[i + j]);
		log_msg(level, sid, tid, "  %04zx: %s", i, buf);
	}
}

int
log_rl_ok(struct log_rl *rl, int64_t now)
{
	if (now != rl->window) {
		if (rl->suppressed)
			log_msg(LOG_WARN_L, 0, 0, "%u more %s (not logged)",
			    rl->suppressed, rl->what);
		rl->window = now;
		rl->logged = rl->suppressed = 0;
	}
	if (rl->logged >= rl->per_sec) {
		rl->suppressed++;
		return 0;
	}
	rl->logged++;
	return 1;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT_L, 0, 0, fmt, ap);
	va_end(ap);
	if (!use_syslog && log_fd != STDERR_FILENO && log_fd != STDOUT_FILENO) {
		va_start(ap, fmt);
		fputs("l2tpns: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	exit(1);
}
