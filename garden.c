/*
 * garden.c - plugin: the walled garden (manual, "Walled garden").
 *
 * A subscriber whose authentication fails (a RADIUS Access-Reject, or a
 * wrong password in local_auth_file) is let in instead of refused, with
 * the session's walled-garden flag set (the G column of "show session"),
 * and the packets it sends go through the iptables nat chain "garden",
 * which the build-garden script fills: typically DNAT of the web to a
 * portal that explains what is wrong with the account.
 *
 *	nsctl garden SID|USER		put a live session in the garden
 *	nsctl ungarden SID|USER		let it out, at once
 *
 * The nat table (the daemon's network namespace):
 *	PREROUTING	-i TUN -j garden_users	inserted first; ours
 *	garden_users	-s IP -j garden		one per gardened session; ours
 *	garden		what the garden allows	build-garden's; never touched
 * plugin_done removes the first two, whatever is gardened: a session the
 * garden confined is dropped then, since it would be unconfined.
 *
 * State owned: `fenced`, the sessions that have their rule in
 * garden_users (session id and address), and `waiting`, gardened
 * sessions whose rule could not be added yet (retried once a second,
 * then dropped: a rejected subscriber is never left unconfined).
 *
 * Environment: L2TPNS_BUILD_GARDEN names the script (default
 * /etc/l2tpns/build-garden), run with /bin/sh when the plugin loads.
 *
 * iptables runs as a child process (fork and exec, never a shell line
 * with user data in it).  At load and unload the plugin waits for it;
 * the per-session rules are the worker's (below), so that the daemon's
 * loop never waits for iptables while subscribers log in.  Every wait
 * has a deadline after which the child is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugutil.h"

#define CHAIN_USERS	"garden_users"
#define CHAIN_GARDEN	"garden"
#define SCRIPT_ENV	"L2TPNS_BUILD_GARDEN"
#define SCRIPT_DEFAULT	"/etc/l2tpns/build-garden"
#define IPT_TIMEOUT_MS	5000	/* one iptables command */
#define SCRIPT_TIMEOUT_MS 30000	/* the whole build-garden script */
#define OUT_MAX		512	/* of a child's output, kept for the log */
#define WORKER_RESTARTS	5	/* new workers after one is lost */
#define STOP_WAIT_MS	10000	/* for the worker's last jobs, at unload */

int plugin_api_version = PLUGIN_API_VERSION;

const char *plugin_control_help[] = {
	"garden SID|USER    put a session in the walled garden",
	"ungarden SID|USER  let a session out of the walled garden",
	NULL
};

int plugin_init(struct pluginfuncs *funcs);
void plugin_done(void);
int plugin_post_auth(struct param_post_auth *p);
int plugin_new_session(struct param_new_session *p);
int plugin_kill_session(struct param_kill_session *p);
int plugin_new_session_master(struct param_new_session_master *p);
int plugin_timer(struct param_timer *p);
int plugin_control(struct param_control *p);

struct fence {
	uint32_t	 sid;
	uint32_t	 ip;		/* network order, as in the rule */
	uint32_t	 seq;		/* the worker's job that adds it */
	uint8_t		 tries;		/* 1, or 2 once the timer retried */
};

static struct pluginfuncs *f;
static char tun[16];
static struct fence *fenced;
static size_t nfenced, capfenced;
static uint32_t *waiting;
static size_t nwaiting, capwaiting;

static int64_t now_ms(void);
static int gardened(uint32_t sid);

/* ---- child processes ---- */

/* Child side of run(): never returns. */
static void
child(const char *const argv[], int in, int out)
{
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);	/* the daemon blocks some */
	signal(SIGPIPE, SIG_DFL);
	if (in < 0 && (in = open("/dev/null", O_RDONLY)) < 0)
		_exit(126);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	/* Not the daemon's sockets. */
	if (close_range(3, ~0U, 0) < 0)
		for (fd = 3; fd < 1024; fd++)
			close(fd);
	if (getenv("PATH") == NULL)
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run argv (argv[0] looked up in PATH), `input` on its standard input
 * (NULL: /dev/null), and wait for it for at most timeout_ms.  What it
 * prints (output and errors) is kept in out, newlines turned into "; ".
 * Returns its exit status, or -1 if it could not be started, was
 * killed, or ran out of time (then it is killed).
 */
static int
run(const char *const argv[], const char *input, int timeout_ms, char *out,
    size_t outlen)
{
	int op[2], ip[2] = { -1, -1 }, status = 0, timed_out = 0;
	size_t got = 0;
	int64_t deadline = now_ms() + timeout_ms;
	pid_t pid, w;

	out[0] = '\0';
	if (pipe2(op, O_CLOEXEC) < 0) {
		snprintf(out, outlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (input && pipe2(ip, O_CLOEXEC) < 0) {
		snprintf(out, outlen, "pipe: %s", strerror(errno));
		close(op[0]);
		close(op[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(out, outlen, "fork: %s", strerror(errno));
		close(op[0]);
		close(op[1]);
		if (input) {
			close(ip[0]);
			close(ip[1]);
		}
		return -1;
	}
	if (pid == 0)
		child(argv, ip[0], op[1]);
	close(op[1]);
	if (input) {
		size_t len = strlen(input), off = 0;
		ssize_t n;

		/* A few hundred bytes: the pipe takes them all at once. */
		close(ip[0]);
		while (off < len && ((n = write(ip[1], input + off,
		    len - off)) > 0 || (n < 0 && errno == EINTR)))
			if (n > 0)
				off += (size_t)n;
		close(ip[1]);
	}
	for (;;) {
		struct pollfd pfd = { .fd = op[0], .events = POLLIN };
		char buf[256];
		int64_t left = deadline - now_ms();
		ssize_t n, i;
		int r;

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if ((r = poll(&pfd, 1, (int)left)) < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if ((n = read(op[0], buf, sizeof(buf))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* EOF: it has finished, or closed them */
		for (i = 0; i < n && got + 3 < outlen; i++) {
			if (buf[i] != '\n') {
				out[got++] = buf[i];
				continue;
			}
			out[got++] = ';';
			out[got++] = ' ';
		}
		out[got] = '\0';
	}
	close(op[0]);
	/* Its output is closed; its exit is still due by the deadline. */
	while ((w = waitpid(pid, &status, timed_out ? 0 : WNOHANG)) == 0 ||
	    (w < 0 && errno == EINTR)) {
		struct timespec pause = { 0, 2000000 };

		if (w == 0 && now_ms() >= deadline) {
			timed_out = 1;
			kill(pid, SIGKILL);
		} else if (w == 0)
			nanosleep(&pause, NULL);
	}
	while (got >= 2 && out[got - 2] == ';' && out[got - 1] == ' ')
		out[got -= 2] = '\0';
	if (timed_out) {
		snprintf(out, outlen, "no answer within %d s: killed",
		    timeout_ms / 1000);
		return -1;
	}
	if (!WIFEXITED(status)) {
		snprintf(out + got, outlen - got, "%skilled by signal %d",
		    got ? "; " : "", WIFSIGNALED(status) ? WTERMSIG(status) :
		    0);
		return -1;
	}
	return WEXITSTATUS(status);
}

/*
 * iptables -w -t nat ARGS... (NULL-terminated).  Returns 0 on success;
 * a failure is logged (against `sid`, 0 = none) unless `quiet`, or,
 * with `why` given, described there instead.
 */
static int
iptables_v(uint32_t sid, int quiet, char *why, size_t whylen, va_list ap)
{
	const char *argv[16] = { "iptables", "-w", "-t", "nat" };
	char out[OUT_MAX];
	size_t n = 4;
	int rc;

	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	argv[n] = NULL;
	if ((rc = run(argv, NULL, IPT_TIMEOUT_MS, out, sizeof(out))) == 0)
		return 0;
	if (why)
		snprintf(why, whylen, "iptables -t nat %s %s failed (%d): %.400s",
		    argv[4], argv[5] ? argv[5] : "", rc, out[0] ? out :
		    "no message");
	else if (!quiet)
		f->log(PLUGIN_LOG_ERROR, sid, 0, "iptables -t nat %s %s "
		    "failed (%d): %s", argv[4], argv[5] ? argv[5] : "", rc,
		    out[0] ? out : "no message");
	return -1;
}

static int
iptables(uint32_t sid, int quiet, ...)
{
	va_list ap;
	int rc;

	va_start(ap, quiet);
	rc = iptables_v(sid, quiet, NULL, 0, ap);
	va_end(ap);
	return rc;
}

/* The same, its failure described in why[] (the worker has no log). */
static int
iptables_why(char *why, size_t whylen, ...)
{
	va_list ap;
	int rc;

	va_start(ap, whylen);
	rc = iptables_v(0, 1, why, whylen, ap);
	va_end(ap);
	return rc;
}

/* iptables-restore --noflush with `text` (the nat table only). */
static int
iptables_batch(const char *what, const char *text, char *why, size_t whylen)
{
	const char *argv[] = { "iptables-restore", "-w", "--noflush", NULL };
	char out[OUT_MAX];
	int rc;

	if ((rc = run(argv, text, IPT_TIMEOUT_MS, out, sizeof(out))) == 0)
		return 0;
	if (why)
		snprintf(why, whylen, "iptables-restore (%s) failed (%d): "
		    "%.400s",
		    what, rc, out[0] ? out : "no message");
	else
		f->log(PLUGIN_LOG_ERROR, 0, 0, "iptables-restore (%s) failed "
		    "(%d): %s", what, rc, out[0] ? out : "no message");
	return -1;
}

/*
 * ---- the worker ----
 *
 * iptables takes milliseconds when all is well and seconds when the
 * machine is loaded or the xtables lock is held (a login storm while
 * RADIUS is down gardens every subscriber): the daemon's one thread must
 * not wait for it.  The per-session rules are therefore changed by a
 * worker process forked when the plugin loads.  The daemon writes one
 * line per job down a pipe and goes on; the worker runs them in the
 * order written, so a session's add and delete (and a slot reused by
 * the next session) never overtake each other, and answers each with a
 * line the plugin reads, without blocking, on its next hook call or on
 * the once-a-second timer.  Jobs that arrive together go in one
 * iptables-restore (one lock, one commit); if that fails they are run
 * one at a time so that each gets its own answer.
 *
 *	job:	SEQ OP SID IP\n		OP: A (add), D (delete), F (flush)
 *	answer:	SEQ OP SID IP RC TEXT\n	RC 0 done, else TEXT says why
 */
#define JOB_LINE	64
#define WORKER_BATCH	256

struct job {
	uint32_t	 seq;
	char		 op;
	uint32_t	 sid;
	uint32_t	 ip;		/* network order */
};

static pid_t worker_pid;
static int job_fd = -1;		/* ours: jobs to the worker (non-blocking) */
static int ans_fd = -1;		/* ours: its answers (non-blocking) */
static struct job *queue;	/* not yet written to job_fd */
static size_t nqueue, capqueue;
static char ansbuf[4096];
static size_t nans;
static uint32_t job_seq;
static unsigned worker_restarts;
static unsigned worker_gen;	/* workers started: a job outlives none */
static int collecting;		/* in collect(): its hooks must not recurse */
static int stopping;		/* in worker_stop(): no new worker */

static int grow(void **arr, size_t *cap, size_t n, size_t size);

/* The worker: one job the slow way, its answer's rc and text. */
static int
work_one(const struct job *j, char *why, size_t whylen)
{
	char a[INET_ADDRSTRLEN];

	why[0] = '\0';
	inet_ntop(AF_INET, &j->ip, a, sizeof(a));
	switch (j->op) {
	case 'A':
		return iptables_why(why, whylen, "-A", CHAIN_USERS, "-s", a,
		    "-j", CHAIN_GARDEN, NULL);
	case 'D':
		if (iptables_why(why, whylen, "-D", CHAIN_USERS, "-s", a,
		    "-j", CHAIN_GARDEN, NULL) == 0)
			return 0;
		/* Already gone (the chain was emptied by hand)?  Done. */
		if (iptables_why(NULL, 0, "-C", CHAIN_USERS, "-s", a, "-j",
		    CHAIN_GARDEN, NULL) < 0) {
			why[0] = '\0';
			return 0;
		}
		return -1;
	case 'F':
		return iptables_why(why, whylen, "-F", CHAIN_USERS, NULL);
	}
	snprintf(why, whylen, "unknown job %c", j->op);
	return -1;
}

static void
worker_answer(int out, const struct job *j, int rc, const char *why)
{
	char line[JOB_LINE + OUT_MAX + 32];
	size_t len, off = 0;
	ssize_t n;
	char *p;

	snprintf(line, sizeof(line), "%u %c %u %u %d %s", j->seq, j->op,
	    j->sid, j->ip, rc, why);
	for (p = line; *p; p++)
		if (*p == '\n')
			*p = ' ';
	len = strlen(line);
	line[len++] = '\n';
	while (off < len) {
		if ((n = write(out, line + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(0);	/* the daemon is gone */
		}
		off += (size_t)n;
	}
}

/* The jobs that came together: one iptables-restore, else one by one. */
static void
work_batch(int out, const struct job *jobs, size_t n)
{
	static char text[WORKER_BATCH * 64 + 32];
	char why[OUT_MAX], a[INET_ADDRSTRLEN];
	size_t i, off;
	int rc;

	if (n > 1) {
		off = (size_t)snprintf(text, sizeof(text), "*nat\n");
		for (i = 0; i < n; i++) {
			inet_ntop(AF_INET, &jobs[i].ip, a, sizeof(a));
			if (jobs[i].op == 'F')
				off += (size_t)snprintf(text + off,
				    sizeof(text) - off, "-F %s\n", CHAIN_USERS);
			else
				off += (size_t)snprintf(text + off,
				    sizeof(text) - off, "-%c %s -s %s -j %s\n",
				    jobs[i].op, CHAIN_USERS, a, CHAIN_GARDEN);
		}
		snprintf(text + off, sizeof(text) - off, "COMMIT\n");
		if (iptables_batch("rules", text, why, sizeof(why)) == 0) {
			for (i = 0; i < n; i++)
				worker_answer(out, &jobs[i], 0, "");
			return;
		}
	}
	for (i = 0; i < n; i++) {
		rc = work_one(&jobs[i], why, sizeof(why));
		worker_answer(out, &jobs[i], rc, why);
	}
}

static int
parse_job(const char *line, struct job *j)
{
	char op;

	if (sscanf(line, "%u %c %u %u", &j->seq, &op, &j->sid, &j->ip) != 4 ||
	    (op != 'A' && op != 'D' && op != 'F'))
		return -1;
	j->op = op;
	return 0;
}

/* The worker's life: jobs from `in` until the daemon closes it. */
static void __attribute__((noreturn))
worker_main(int in, int out)
{
	static struct job jobs[WORKER_BATCH];
	static char buf[WORKER_BATCH * JOB_LINE];
	size_t got = 0, n, start, i;
	ssize_t r;

	for (;;) {
		if ((r = read(in, buf + got, sizeof(buf) - got)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (r == 0)
			_exit(0);	/* unloaded: everything is answered */
		got += (size_t)r;
		n = 0;
		start = 0;
		for (i = 0; i < got; i++) {
			if (buf[i] != '\n')
				continue;
			buf[i] = '\0';
			if (parse_job(buf + start, &jobs[n]) == 0)
				n++;
			start = i + 1;
			if (n == WORKER_BATCH) {
				work_batch(out, jobs, n);
				n = 0;
			}
		}
		if (n)
			work_batch(out, jobs, n);
		memmove(buf, buf + start, got - start);
		got -= start;
		if (got == sizeof(buf))
			got = 0;	/* no line is that long: not ours */
	}
}

/* Fork the worker; 0 or -1. */
static int
worker_start(void)
{
	int jp[2], ap[2];
	pid_t pid;

	if (pipe2(jp, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(ap, O_CLOEXEC) < 0) {
		close(jp[0]);
		close(jp[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(jp[0]);
		close(jp[1]);
		close(ap[0]);
		close(ap[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "l2tpns-garden", 0, 0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* Its pipes on 0 and 1; none of the daemon's sockets. */
		if (dup2(jp[0], 0) < 0 || dup2(ap[1], 1) < 0)
			_exit(1);
		if (close_range(3, ~0U, 0) < 0) {
			int fd;

			for (fd = 3; fd < 1024; fd++)
				close(fd);
		}
		worker_main(0, 1);
	}
	close(jp[0]);
	close(ap[1]);
	fcntl(jp[1], F_SETFL, O_NONBLOCK);
	fcntl(ap[0], F_SETFL, O_NONBLOCK);
	worker_pid = pid;
	worker_gen++;
	job_fd = jp[1];
	ans_fd = ap[0];
	nans = 0;
	return 0;
}

static void worker_lost(const char *why);

/* Write what is queued, in order, as far as the pipe takes it. */
static void
pump(void)
{
	char line[JOB_LINE];
	size_t i = 0;
	int len;
	ssize_t n;

	while (i < nqueue && job_fd >= 0) {
		const struct job *j = &queue[i];

		len = snprintf(line, sizeof(line), "%u %c %u %u\n", j->seq,
		    j->op, j->sid, j->ip);
		/* Under PIPE_BUF: written whole or not at all. */
		if ((n = write(job_fd, line, (size_t)len)) == len) {
			i++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		worker_lost(strerror(errno));
		return;
	}
	if (i == 0)
		return;		/* nothing sent (queue may be unallocated) */
	memmove(queue, queue + i, (nqueue - i) * sizeof(*queue));
	nqueue -= i;
}

/* Queue a job; its sequence number, 0 if it cannot be queued. */
static uint32_t
submit(char op, uint32_t sid, uint32_t ip)
{
	unsigned gen = worker_gen;
	uint32_t seq;

	if (job_fd < 0 || grow((void **)&queue, &capqueue, nqueue,
	    sizeof(*queue)) < 0)
		return 0;
	if (++job_seq == 0)
		job_seq = 1;
	seq = job_seq;
	queue[nqueue].seq = seq;
	queue[nqueue].op = op;
	queue[nqueue].sid = sid;
	queue[nqueue].ip = ip;
	nqueue++;
	pump();
	/* The worker was lost meanwhile: the job went with it. */
	return job_fd >= 0 && worker_gen == gen ? seq : 0;
}

static void answered(const struct job *j, int rc, const char *why);

/* Read the worker's answers that have come (never waits). */
static void
collect(void)
{
	unsigned gen = worker_gen;
	size_t i, start;
	ssize_t n;

	/* An answer may drop a session, whose kill_session calls here. */
	if (collecting)
		return;
	collecting = 1;
	while (ans_fd >= 0) {
		if ((n = read(ans_fd, ansbuf + nans, sizeof(ansbuf) - 1 -
		    nans)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				worker_lost(strerror(errno));
			goto out;
		}
		if (n == 0 && job_fd < 0) {
			close(ans_fd);	/* worker_stop: it finished */
			ans_fd = -1;
			goto out;
		}
		if (n == 0) {
			worker_lost("it exited");
			goto out;
		}
		nans += (size_t)n;
		for (i = start = 0; i < nans; i++) {
			struct job j;
			int rc, off = 0;

			if (ansbuf[i] != '\n')
				continue;
			ansbuf[i] = '\0';
			if (parse_job(ansbuf + start, &j) == 0 &&
			    sscanf(ansbuf + start, "%*u %*c %*u %*u %d %n",
			    &rc, &off) == 1 && off > 0)
				answered(&j, rc, ansbuf + start + off);
			/* It dropped a session and the worker went meanwhile:
			 * the rest of this buffer went with it. */
			if (worker_gen != gen || ans_fd < 0)
				goto out;
			start = i + 1;
		}
		memmove(ansbuf, ansbuf + start, nans - start);
		nans -= start;
		if (nans == sizeof(ansbuf) - 1)
			nans = 0;
	}
out:
	collecting = 0;
}

/* Close our ends; wait up to `ms` for the worker to finish its jobs. */
static void
worker_stop(int ms)
{
	int64_t deadline = now_ms() + ms;
	int status;

	stopping = 1;
	if (job_fd >= 0) {
		/* What is still queued goes first, if it can. */
		fcntl(job_fd, F_SETFL, 0);
		pump();
		if (job_fd >= 0)
			close(job_fd);
		job_fd = -1;
	}
	while (ans_fd >= 0 && now_ms() < deadline) {
		struct pollfd pfd = { .fd = ans_fd, .events = POLLIN };

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			break;
		collect();
	}
	if (ans_fd >= 0)
		close(ans_fd);
	ans_fd = -1;
	/* Gone already, normally; ECHILD if the loop reaped it. */
	if (worker_pid > 0 && waitpid(worker_pid, &status, WNOHANG) == 0) {
		kill(worker_pid, SIGKILL);
		waitpid(worker_pid, &status, 0);
	}
	worker_pid = 0;
	nqueue = 0;
	nans = 0;
	stopping = 0;
}

/* ---- the per-session rules ---- */

static int
fence_find(uint32_t sid)
{
	size_t i;

	for (i = 0; i < nfenced; i++)
		if (fenced[i].sid == sid)
			return (int)i;
	return -1;
}

static int
fence_by_seq(uint32_t seq)
{
	size_t i;

	for (i = 0; i < nfenced; i++)
		if (fenced[i].seq == seq)
			return (int)i;
	return -1;
}

static int
waiting_find(uint32_t sid)
{
	size_t i;

	for (i = 0; i < nwaiting; i++)
		if (waiting[i] == sid)
			return (int)i;
	return -1;
}

static void
waiting_del(uint32_t sid)
{
	int i = waiting_find(sid);

	if (i >= 0)
		waiting[i] = waiting[--nwaiting];
}

/* Grow *arr (of *cap elements of `size`) to hold one more than n. */
static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if ((p = realloc(*arr, c * size)) == NULL)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

/*
 * Send the session's packets through the garden: the rule is queued for
 * the worker (try 1, or 2 for the timer's retry); 0, or -1 if it cannot
 * be queued.
 */
static int
fence_add(uint32_t sid, uint32_t ip, int tries)
{
	uint32_t seq;

	if (fence_find(sid) >= 0)
		return 0;
	if (grow((void **)&fenced, &capfenced, nfenced, sizeof(*fenced)) < 0)
		return -1;
	if ((seq = submit('A', sid, ip)) == 0)
		return -1;
	fenced[nfenced].sid = sid;
	fenced[nfenced].ip = ip;
	fenced[nfenced].seq = seq;
	fenced[nfenced].tries = (uint8_t)tries;
	nfenced++;
	waiting_del(sid);
	return 0;
}

/* Queue the removal of the session's rule, if it has one; 0 or -1. */
static int
fence_del(uint32_t sid)
{
	int i = fence_find(sid);

	waiting_del(sid);
	if (i < 0)
		return 0;
	if (submit('D', sid, fenced[i].ip) == 0)
		return -1;
	fenced[i] = fenced[--nfenced];
	return 0;
}

/* A gardened session waits for the timer to try its rule again. */
static void
wait_or_drop(uint32_t sid)
{
	if (waiting_find(sid) >= 0)
		return;
	if (grow((void **)&waiting, &capwaiting, nwaiting,
	    sizeof(*waiting)) == 0)
		waiting[nwaiting++] = sid;
	else
		f->session_drop(sid, "walled garden: out of memory");
}

/*
 * A gardened session that is up gets its rule now; if it cannot be
 * queued it waits for the timer to try again (and is dropped if that
 * fails too).
 */
static void
fence_or_wait(uint32_t sid)
{
	uint64_t ip = 0;

	if (f->session_get_int(sid, PSF_IP, &ip) < 0 || ip == 0)
		return;		/* no address yet: new_session will do it */
	if (fence_add(sid, (uint32_t)ip, 1) < 0)
		wait_or_drop(sid);
}

/* The worker's answer to job j. */
static void
answered(const struct job *j, int rc, const char *why)
{
	char a[INET_ADDRSTRLEN];
	int i, tries;

	inet_ntop(AF_INET, &j->ip, a, sizeof(a));
	if (rc != 0)
		f->log(PLUGIN_LOG_ERROR, j->sid, 0, "%s", why[0] ? why :
		    "iptables failed");
	switch (j->op) {
	case 'A':
		/* Still the rule of a session in the garden? */
		if ((i = fence_by_seq(j->seq)) < 0)
			return;
		if (rc == 0) {
			f->log(PLUGIN_LOG_INFO, j->sid, 0, "%s in the walled "
			    "garden", a);
			return;
		}
		tries = fenced[i].tries;
		fenced[i] = fenced[--nfenced];
		/* A rejected subscriber is never left unconfined. */
		if (tries < 2)
			wait_or_drop(j->sid);
		else
			f->session_drop(j->sid, "walled garden: cannot add "
			    "the iptables rule");
		return;
	case 'D':
		if (rc == 0)
			f->log(PLUGIN_LOG_INFO, j->sid, 0, "%s out of the walled "
			    "garden", a);
		return;
	}
}

/*
 * The worker died or its pipe broke: what it had not done yet is
 * unknown, so a new one empties garden_users and adds every rule again.
 * Without a worker nobody can be confined: the gardened sessions go.
 */
static void
worker_lost(const char *why)
{
	int status;
	size_t i;

	if (job_fd >= 0)
		close(job_fd);
	if (ans_fd >= 0)
		close(ans_fd);
	job_fd = ans_fd = -1;
	if (worker_pid > 0 && waitpid(worker_pid, &status, WNOHANG) == 0)
		kill(worker_pid, SIGKILL);	/* alive, but no pipe: end it */
	worker_pid = 0;
	nqueue = 0;
	nans = 0;
	if (stopping)
		return;		/* unloading: the chain goes anyway */
	if (worker_restarts < WORKER_RESTARTS && worker_start() == 0) {
		worker_restarts++;
		f->log(PLUGIN_LOG_ERROR, 0, 0, "walled garden: the iptables "
		    "worker was lost (%s); a new one rebuilds %s", why,
		    CHAIN_USERS);
		submit('F', 0, 0);
		for (i = 0; i < nfenced && job_fd >= 0; i++)
			fenced[i].seq = submit('A', fenced[i].sid,
			    fenced[i].ip);
		if (job_fd >= 0)
			return;
	}
	f->log(PLUGIN_LOG_ERROR, 0, 0, "walled garden: no iptables worker "
	    "(%s): the gardened sessions are dropped", why);
	while (nfenced > 0)
		f->session_drop(fenced[--nfenced].sid, "walled garden: no "
		    "iptables worker");
	while (nwaiting > 0)
		f->session_drop(waiting[--nwaiting], "walled garden: no "
		    "iptables worker");
}

static int
gardened(uint32_t sid)
{
	uint64_t g = 0;

	return f->session_get_int(sid, PSF_WALLED_GARDEN, &g) == 0 && g;
}

/* ---- setting up and tearing down ---- */

/* An interface name iptables takes, with nothing a batch line could
 * misread. */
static int
valid_ifname(const char *s)
{
	size_t n;

	if (*s == '\0' || *s == '-' || (n = strlen(s)) >= sizeof(tun))
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

/* The build-garden script, with /bin/sh; 0 if it succeeded or is absent. */
static int
build_garden(void)
{
	const char *path = getenv(SCRIPT_ENV);
	const char *argv[] = { "/bin/sh", NULL, NULL };
	char out[OUT_MAX];
	int rc;

	if (path == NULL || *path == '\0')
		path = SCRIPT_DEFAULT;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		f->log(PLUGIN_LOG_WARN, 0, 0, "no build-garden script %s: the "
		    "nat chain %s is used as it is", path, CHAIN_GARDEN);
		return 0;
	}
	argv[1] = path;
	if ((rc = run(argv, NULL, SCRIPT_TIMEOUT_MS, out, sizeof(out))) != 0) {
		f->log(PLUGIN_LOG_ERROR, 0, 0, "build-garden script %s failed "
		    "(%d): %s", path, rc, out[0] ? out : "no message");
		return -1;
	}
	f->log(PLUGIN_LOG_INFO, 0, 0, "build-garden script %s done%s%s", path,
	    out[0] ? ": " : "", out);
	return 0;
}

/* Remove our PREROUTING rule and garden_users (at once, or one by one). */
static void
unhook(void)
{
	char batch[256];

	snprintf(batch, sizeof(batch), "*nat\n-D PREROUTING -i %s -j %s\n"
	    "-F %s\n-X %s\nCOMMIT\n", tun, CHAIN_USERS, CHAIN_USERS,
	    CHAIN_USERS);
	if (iptables_batch("removing " CHAIN_USERS, batch, NULL, 0) < 0) {
		/* One at a time, as far as they go (the hook may be gone). */
		iptables(0, 1, "-D", "PREROUTING", "-i", tun, "-j",
		    CHAIN_USERS, NULL);
		iptables(0, 0, "-F", CHAIN_USERS, NULL);
		iptables(0, 0, "-X", CHAIN_USERS, NULL);
	}
}

/* Rules in the garden chain, or -1 when it does not exist. */
static int
garden_rules(void)
{
	const char *argv[] = { "iptables", "-w", "-t", "nat", "-S",
	    CHAIN_GARDEN, NULL };
	char out[OUT_MAX], *p;
	int n = 0;

	if (run(argv, NULL, IPT_TIMEOUT_MS, out, sizeof(out)) != 0)
		return -1;
	/* "-N garden; -A garden ...; " (run() joins the lines) */
	for (p = out; (p = strstr(p, "-A " CHAIN_GARDEN)) != NULL; p++)
		n++;
	return n;
}

int
plugin_init(struct pluginfuncs *funcs)
{
	char batch[256], v[64];
	int i;

	f = funcs;
	if (f->config_get("setuid", v, sizeof(v)) == 0 && strcmp(v, "0")) {
		f->log(PLUGIN_LOG_ERROR, 0, 0, "setuid is set: the walled "
		    "garden runs iptables for every gardened session and "
		    "needs root");
		return -1;
	}
	if (f->config_get("tundevicename", tun, sizeof(tun)) < 0 ||
	    !valid_ifname(tun)) {
		f->log(PLUGIN_LOG_ERROR, 0, 0, "tundevicename \"%s\" cannot "
		    "be named in an iptables rule (set a fixed name)", tun);
		return -1;
	}
	/*
	 * The manual: the plugin creates the chain, then build-garden
	 * fills it (a script of bare "-A garden" lines, like the manual's
	 * example, must work).  "Chain already exists" is fine.
	 */
	iptables(0, 1, "-N", CHAIN_GARDEN, NULL);
	if (build_garden() < 0)
		return -1;
	/* A garden that does not exist, or is empty, would confine nobody:
	 * a gardened session's packets would go where they like. */
	switch (garden_rules()) {
	case -1:
		f->log(PLUGIN_LOG_ERROR, 0, 0, "no nat chain \"%s\": run "
		    "build-garden or create it", CHAIN_GARDEN);
		return -1;
	case 0:
		f->log(PLUGIN_LOG_ERROR, 0, 0, "the nat chain \"%s\" is "
		    "empty: a gardened session would not be confined (fill "
		    "it in build-garden)", CHAIN_GARDEN);
		return -1;
	}
	/* A hook left by an l2tpns that did not stop cleanly. */
	for (i = 0; i < 8; i++)
		if (iptables(0, 1, "-D", "PREROUTING", "-i", tun, "-j",
		    CHAIN_USERS, NULL) < 0)
			break;
	/* Declaring garden_users creates it, or empties it. */
	snprintf(batch, sizeof(batch), "*nat\n:%s - [0:0]\n-I PREROUTING 1 "
	    "-i %s -j %s\nCOMMIT\n", CHAIN_USERS, tun, CHAIN_USERS);
	if (iptables_batch("setting up " CHAIN_USERS, batch, NULL, 0) < 0)
		return -1;
	worker_restarts = 0;
	if (worker_start() < 0) {
		f->log(PLUGIN_LOG_ERROR, 0, 0, "cannot start the iptables "
		    "worker: %s", strerror(errno));
		unhook();
		return -1;
	}
	f->log(PLUGIN_LOG_INFO, 0, 0, "walled garden ready: packets from "
	    "%s go through nat chain %s", tun, CHAIN_USERS);
	return 0;
}

void
plugin_done(void)
{
	uint32_t *drop;
	size_t i, n = 0;

	collect();
	/* They were let in on the garden's terms only (a copy: dropping
	 * one calls kill_session, which changes the lists). */
	if ((drop = calloc(nfenced + nwaiting + 1, sizeof(*drop))) != NULL) {
		for (i = 0; i < nfenced; i++)
			drop[n++] = fenced[i].sid;
		for (i = 0; i < nwaiting; i++)
			drop[n++] = waiting[i];
		for (i = 0; i < n; i++)
			if (gardened(drop[i]))
				f->session_drop(drop[i], "walled garden "
				    "closed");
		free(drop);
	}
	worker_stop(STOP_WAIT_MS);
	unhook();
	free(fenced);
	free(waiting);
	free(queue);
	fenced = NULL;
	waiting = NULL;
	queue = NULL;
	nfenced = capfenced = nwaiting = capwaiting = nqueue = capqueue = 0;
}

/* ---- events ---- */

/*
 * Authentication failed: let the subscriber in, gardened.  Its rule is
 * added once it has an address (new_session).
 */
int
plugin_post_auth(struct param_post_auth *p)
{
	if (p->auth_allowed)
		return PLUGIN_RET_OK;
	if (f->session_set_int(p->sid, PSF_WALLED_GARDEN, 1) < 0)
		return PLUGIN_RET_OK;
	p->auth_allowed = 1;
	f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "authentication of \"%s\" "
	    "failed: let into the walled garden", p->username);
	return PLUGIN_RET_OK;
}

int
plugin_new_session(struct param_new_session *p)
{
	collect();
	if (gardened(p->sid))
		fence_or_wait(p->sid);
	return PLUGIN_RET_OK;
}

/*
 * A new cluster master: a gardened session it inherited has its rule
 * here from now on (the old master's went with it; manual,
 * "Clustering").
 */
int
plugin_new_session_master(struct param_new_session_master *p)
{
	if (gardened(p->sid))
		fence_or_wait(p->sid);
	return PLUGIN_RET_OK;
}

int
plugin_kill_session(struct param_kill_session *p)
{
	collect();
	fence_del(p->sid);
	return PLUGIN_RET_OK;
}

/*
 * Once a second: the worker's answers, then retry the rules iptables
 * refused (the session is dropped if it refuses again), and remove
 * those whose session went without a kill_session or left the garden
 * some other way.
 */
int
plugin_timer(struct param_timer *p)
{
	size_t i;

	(void)p;
	collect();
	pump();
	for (i = nwaiting; i-- > 0; ) {
		uint32_t sid = waiting[i];
		uint64_t ip = 0;

		if (!gardened(sid) || f->session_get_int(sid, PSF_IP,
		    &ip) < 0 || ip == 0) {
			waiting_del(sid);
			continue;
		}
		if (fence_add(sid, (uint32_t)ip, 2) < 0) {
			waiting_del(sid);
			f->session_drop(sid, "walled garden: cannot add the "
			    "iptables rule");
		}
	}
	for (i = nfenced; i-- > 0; ) {
		uint64_t ip = 0;

		if (gardened(fenced[i].sid) && f->session_get_int(fenced[i].sid,
		    PSF_IP, &ip) == 0 && ip == fenced[i].ip)
			continue;
		fence_del(fenced[i].sid);
	}
	return PLUGIN_RET_OK;
}

int
plugin_control(struct param_control *p)
{
	uint32_t sid;
	int in;

	if (strcmp(p->argv[0], "garden") == 0)
		in = 1;
	else if (strcmp(p->argv[0], "ungarden") == 0)
		in = 0;
	else
		return PLUGIN_RET_OK;
	if (!p->iam_master)
		return PLUGIN_RET_NOTMASTER;
	collect();
	if (p->argc != 2)
		return pu_reply(p, NSCTL_RES_ERR, "usage: %s SID|USER",
		    p->argv[0]);
	if ((sid = pu_find_session(f, p->argv[1])) == 0)
		return pu_reply(p, NSCTL_RES_ERR, "no session %s", p->argv[1]);
	if (in) {
		uint64_t ip = 0;

		if (gardened(sid))
			return pu_reply(p, NSCTL_RES_ERR, "session %u is "
			    "already in the walled garden", sid);
		/* The rule is queued first (the worker adds it within
		 * milliseconds; if iptables refuses, the timer tries once
		 * more, then drops the session).  Without an address,
		 * new_session queues it. */
		if (f->session_get_int(sid, PSF_IP, &ip) == 0 && ip != 0 &&
		    fence_add(sid, (uint32_t)ip, 1) < 0)
			return pu_reply(p, NSCTL_RES_ERR, "session %u: "
			    "no iptables worker (see the log)", sid);
		if (f->session_set_int(sid, PSF_WALLED_GARDEN, 1) < 0) {
			fence_del(sid);
			return pu_reply(p, NSCTL_RES_ERR, "session %u: "
			    "cannot set its walled garden flag", sid);
		}
		return pu_reply(p, NSCTL_RES_OK, "session %u gardened", sid);
	}
	if (!gardened(sid))
		return pu_reply(p, NSCTL_RES_ERR, "session %u is not in the "
		    "walled garden", sid);
	/* Still confined if the rule stays: so is the flag, then. */
	if (fence_del(sid) < 0)
		return pu_reply(p, NSCTL_RES_ERR, "session %u: no iptables "
		    "worker (see the log)", sid);
	f->session_set_int(sid, PSF_WALLED_GARDEN, 0);
	return pu_reply(p, NSCTL_RES_OK, "session %u ungardened", sid);
}
