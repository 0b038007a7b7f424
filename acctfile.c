/*
 * acctfile.c - usage files in accounting_dir (manual, accounting_dir).
 *
 * Every accounting_dir_interval seconds (300, the manual's 5 minutes) a
 * file named after the local time, YYYYMMDDHHMMSS, is written in the
 * directory: a header of lines starting with "#", then one line per
 * session that moved traffic since the previous file:
 *
 *	username ip qos uptxoctets downrxoctets [origin]
 *
 * qos is 1 for a standard session and 2 for a throttled one; the octets
 * are those sent by the user (up) and to the user (down) since the
 * previous file, so that summing the files gives the usage; origin (L,
 * the session came from a LAC) only with account_all_origin.  Sessions
 * that end between two files are kept (MAX_ENDED of them; a file is
 * written early when that fills, and when it cannot be written - an
 * unwritable directory, a full disk - the list grows up to
 * MAX_ENDED_CAP, after which an ended session's octets are lost, logged
 * and counted) so that their last octets are not lost.  Sessions in the
 * walled garden and sessions without an address are left out.  A last
 * file is written when the daemon exits.
 *
 * The file is written under a temporary name and linked to its final
 * name, so that a collector never reads half a file.  Two files in the
 * same second (an early file, the file at exit, the repeated hour when
 * daylight saving time ends) must not overwrite each other: link(2)
 * refuses an existing name, and the later file gets a suffix, ".1",
 * ".2", ...  Writing runs in the main loop:
 * one line per session, buffered by stdio, a few milliseconds for tens
 * of thousands of sessions every five minutes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "acctfile.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "util.h"
#include "session.h"

#define MAX_ENDED	8192		/* a file early when this many */
#define MAX_ENDED_CAP	(16 * MAX_ENDED)	/* while files cannot be written */
#define MAX_SUFFIX	1000		/* ".1" .. ".999" in one second */
#define RETRY_SECS	10		/* early file after a failure */

struct ended {
	char		user[MAXUSER];
	in_addr_t	ip;
	uint8_t		qos;
	uint64_t	up, down;
};

static uint64_t (*base)[2];	/* per session: cin, cout at the last file */
static uint32_t nsess;
static struct ended *ended;
static uint32_t nended, ended_size;
static time_t failed_at;	/* last failed write, 0 = none */
static struct timer dump_timer;
static time_t started;

static void dump_fire(struct timer *, void *);

/* A session's usage goes to the next file when it ends (session.h). */
static void
follow(sid_t s, enum session_event ev, void *arg)
{
	(void)arg;
	if (ev == SESSION_EV_DOWN)
		acctfile_session_end(s);
}

int
acctfile_init(uint32_t max_sessions, time_t start)
{
	nsess = max_sessions;
	started = start;
	base = calloc((size_t)max_sessions + 1, sizeof(*base));
	ended = calloc(MAX_ENDED, sizeof(*ended));
	if (base == NULL || ended == NULL)
		return -1;
	ended_size = MAX_ENDED;
	timer_init(&dump_timer, dump_fire, NULL);
	acctfile_config_changed();
	return session_subscribe(follow, NULL);
}

void
acctfile_config_changed(void)
{
	if (config->accounting_dir[0] == '\0') {
		timer_cancel(&dump_timer);
		return;
	}
	if (!timer_pending(&dump_timer))
		timer_set(&dump_timer,
		    (uint64_t)config->accounting_dir_interval * 1000);
}

static int
counted(const struct session *sp)
{
	return sp->state != SESSION_FREE && sp->ip != 0 && sp->user[0] &&
	    !sp->walled_garden;
}

/* Octets since the last file, and the new base. */
static void
delta(sid_t s, const struct session *sp, uint64_t *up, uint64_t *down)
{
	/* Counters started again (ungarden): from zero. */
	if (sp->cin < base[s][0] || sp->cout < base[s][1])
		base[s][0] = base[s][1] = 0;
	*up = sp->cin - base[s][0];
	*down = sp->cout - base[s][1];
}

void
acctfile_session_start(sid_t s)
{
	if (base != NULL && s <= nsess)
		base[s][0] = base[s][1] = 0;
}

/* Room for more ended sessions while files cannot be written. */
static int
ended_grow(void)
{
	struct ended *n;
	uint32_t size = ended_size * 2;

	if (size > MAX_ENDED_CAP)
		return 0;
	if ((n = realloc(ended, (size_t)size * sizeof(*ended))) == NULL)
		return 0;
	ended = n;
	ended_size = size;
	return 1;
}

void
acctfile_session_end(sid_t s)
{
	struct session *sp = session_get(s);
	struct ended *e;
	uint64_t up, down;

	if (base == NULL || s > nsess || config->accounting_dir[0] == '\0' ||
	    sp == NULL || !counted(sp))
		return;
	delta(s, sp, &up, &down);
	base[s][0] = base[s][1] = 0;
	if (up == 0 && down == 0)
		return;
	if (nended >= MAX_ENDED && (failed_at == 0 ||
	    time(NULL) - failed_at >= RETRY_SECS))
		acctfile_dump();	/* early, not to lose any */
	if (nended == ended_size && !ended_grow()) {
		static time_t logged;
		time_t now = time(NULL);

		stats->acctfile_lost++;
		if (now - logged >= RETRY_SECS) {
			logged = now;
			LOG(LOG_ERROR_L, s, sp->tunnel, "accounting_dir: %u "
			    "ended sessions wait for a file that cannot be "
			    "written: usage of %s lost (%llu up, %llu down; "
			    "acctfile_lost counts every loss)", nended,
			    sp->user, (unsigned long long)up,
			    (unsigned long long)down);
		}
		return;
	}
	e = &ended[nended++];
	snprintf(e->user, sizeof(e->user), "%s", sp->user);
	e->ip = sp->ip;
	e->qos = sp->throttle ? 2 : 1;
	e->up = up;
	e->down = down;
}

static void
line(FILE *f, const char *user, in_addr_t ip, int qos, uint64_t up,
    uint64_t down)
{
	char a[INET_ADDRSTRLEN], esc[MAXUSER * 4];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	/* Space-separated: a space or backslash in the name is escaped. */
	fprintf(f, "%s %s %d %llu %llu%s\n",
	    username_escape(user, esc, sizeof(esc)), a, qos,
	    (unsigned long long)up, (unsigned long long)down,
	    config->account_all_origin ? " L" : "");
}

/*
 * Give the written file `tmp` its final name `path` (PATH_MAX bytes),
 * or `path`.N when a file of that name exists: link(2) never replaces
 * one, where rename(2) would.  On success `path` holds the name used.
 */
static int
publish(const char *tmp, char *path, size_t size)
{
	char base_name[PATH_MAX];
	int n;

	snprintf(base_name, sizeof(base_name), "%s", path);
	for (n = 0; n < MAX_SUFFIX; n++) {
		if (n > 0 && snprintf(path, size, "%s.%d", base_name, n) >=
		    (int)size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (link(tmp, path) == 0) {
			unlink(tmp);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

int
acctfile_dump(void)
{
	char name[32], path[PATH_MAX], tmp[PATH_MAX + 8], ep[INET_ADDRSTRLEN];
	struct tm tm;
	time_t now = time(NULL);
	in_addr_t endpoint;
	uint32_t i, lines = 0;
	FILE *f;

	if (config->accounting_dir[0] == '\0' || base == NULL)
		return 0;
	localtime_r(&now, &tm);
	strftime(name, sizeof(name), "%Y%m%d%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/%s", config->accounting_dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL) {
		LOG(LOG_ERROR_L, 0, 0, "accounting_dir: cannot write %s: %s "
		    "(usage kept for the next file)", tmp, strerror(errno));
		failed_at = now;
		stats->acctfile_errors++;
		return -1;
	}
	endpoint = config->bind_address ? config->bind_address :
	    config->iftun_address;
	inet_ntop(AF_INET, &endpoint, ep, sizeof(ep));
	fprintf(f, "# dslwatch.pl dump file V1.01\n# host: %s\n"
	    "# endpoint: %s\n# time: %lld\n# uptime: %lld\n"
	    "# format: username ip qos uptxoctets downrxoctets%s\n",
	    config->hostname, ep, (long long)now,
	    (long long)(now - started),
	    config->account_all_origin ? " origin" : "");
	for (i = 0; i < nended; i++, lines++)
		line(f, ended[i].user, ended[i].ip, ended[i].qos, ended[i].up,
		    ended[i].down);
	for (i = 1; i <= nsess && i <= tables_session_hwm(); i++) {
		struct session *sp = session_get(i);
		uint64_t up, down;

		if (sp == NULL || !counted(sp))
			continue;
		delta(i, sp, &up, &down);
		if (up == 0 && down == 0)
			continue;
		line(f, sp->user, sp->ip, sp->throttle ? 2 : 1, up, down);
		lines++;
	}
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0) {
		LOG(LOG_ERROR_L, 0, 0, "accounting_dir: writing %s failed: %s "
		    "(usage kept for the next file)", tmp, strerror(errno));
		unlink(tmp);
		failed_at = now;
		stats->acctfile_errors++;
		return -1;
	}
	if (publish(tmp, path, sizeof(path)) < 0) {
		LOG(LOG_ERROR_L, 0, 0, "accounting_dir: cannot link %s to %s: "
		    "%s (usage kept for the next file)", tmp, path,
		    strerror(errno));
		unlink(tmp);
		failed_at = now;
		stats->acctfile_errors++;
		return -1;
	}
	/* Written: these octets are accounted, the next file starts here. */
	failed_at = 0;
	nended = 0;
	for (i = 1; i <= nsess && i <= tables_session_hwm(); i++) {
		struct session *sp = session_get(i);

		if (sp != NULL && counted(sp)) {
			base[i][0] = sp->cin;
			base[i][1] = sp->cout;
		}
	}
	LOG(LOG_INFO_L, 0, 0, "accounting_dir: %s written, %u session%s",
	    path, lines, lines == 1 ? "" : "s");
	return 0;
}

static void
dump_fire(struct timer *t, void *arg)
{
	(void)arg;
	acctfile_dump();
	if (config->accounting_dir[0])
		timer_set(t, (uint64_t)config->accounting_dir_interval * 1000);
}
