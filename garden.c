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
 * with user data in it) and the plugin waits for it, on the daemon's
 * only thread: a few milliseconds per gardened session, when it logs in
 * or on an nsctl command, never per packet, as the original plugin
 * did.  Every wait has a deadline after which the child is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
};

static struct pluginfuncs *f;
static char tun[16];
static struct fence *fenced;
static size_t nfenced, capfenced;
static uint32_t *waiting;
static size_t nwaiting, capwaiting;

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
 * a failure is logged (against `sid`, 0 = none) unless `quiet`.
 */
static int
iptables(uint32_t sid, int quiet, ...)
{
	const char *argv[16] = { "iptables", "-w", "-t", "nat" };
	char out[OUT_MAX];
	size_t n = 4;
	va_list ap;
	int rc;

	va_start(ap, quiet);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if ((rc = run(argv, NULL, IPT_TIMEOUT_MS, out, sizeof(out))) == 0)
		return 0;
	if (!quiet)
		f->log(PLUGIN_LOG_ERROR, sid, 0, "iptables -t nat %s %s "
		    "failed (%d): %s", argv[4], argv[5] ? argv[5] : "", rc,
		    out[0] ? out : "no message");
	return -1;
}

/* iptables-restore --noflush with `text` (the nat table only). */
static int
iptables_batch(const char *what, const char *text)
{
	const char *argv[] = { "iptables-restore", "-w", "--noflush", NULL };
	char out[OUT_MAX];
	int rc;

	if ((rc = run(argv, text, IPT_TIMEOUT_MS, out, sizeof(out))) == 0)
		return 0;
	f->log(PLUGIN_LOG_ERROR, 0, 0, "iptables-restore (%s) failed (%d): %s",
	    what, rc, out[0] ? out : "no message");
	return -1;
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

/* "-s IP -j garden" in garden_users: add (1) or delete (0). */
static int
rule(int add, uint32_t sid, uint32_t ip)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	if (add)
		return iptables(sid, 0, "-A", CHAIN_USERS, "-s", a, "-j",
		    CHAIN_GARDEN, NULL);
	if (iptables(sid, 0, "-D", CHAIN_USERS, "-s", a, "-j", CHAIN_GARDEN,
	    NULL) == 0)
		return 0;
	/* Already gone (the chain was emptied by hand)?  Then it is done. */
	if (iptables(sid, 1, "-C", CHAIN_USERS, "-s", a, "-j", CHAIN_GARDEN,
	    NULL) < 0)
		return 0;
	return -1;
}

/* Send the session's packets through the garden; 0 or -1. */
static int
fence_add(uint32_t sid, uint32_t ip)
{
	char a[INET_ADDRSTRLEN];

	if (fence_find(sid) >= 0)
		return 0;
	if (grow((void **)&fenced, &capfenced, nfenced, sizeof(*fenced)) < 0)
		return -1;
	if (rule(1, sid, ip) < 0)
		return -1;
	fenced[nfenced].sid = sid;
	fenced[nfenced].ip = ip;
	nfenced++;
	waiting_del(sid);
	inet_ntop(AF_INET, &ip, a, sizeof(a));
	f->log(PLUGIN_LOG_INFO, sid, 0, "%s in the walled garden", a);
	return 0;
}

/* Remove the session's rule, if it has one; 0 or -1. */
static int
fence_del(uint32_t sid)
{
	int i = fence_find(sid);

	waiting_del(sid);
	if (i < 0)
		return 0;
	if (rule(0, sid, fenced[i].ip) < 0)
		return -1;
	fenced[i] = fenced[--nfenced];
	f->log(PLUGIN_LOG_INFO, sid, 0, "out of the walled garden");
	return 0;
}

/*
 * A gardened session that is up gets its rule now; if iptables fails it
 * waits for the timer to try again (and drop it if that fails too).
 */
static void
fence_or_wait(uint32_t sid)
{
	uint64_t ip = 0;

	if (f->session_get_int(sid, PSF_IP, &ip) < 0 || ip == 0)
		return;		/* no address yet: new_session will do it */
	if (fence_add(sid, (uint32_t)ip) == 0 || waiting_find(sid) >= 0)
		return;
	if (grow((void **)&waiting, &capwaiting, nwaiting,
	    sizeof(*waiting)) == 0)
		waiting[nwaiting++] = sid;
	else
		f->session_drop(sid, "walled garden: out of memory");
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
	if (iptables_batch("setting up " CHAIN_USERS, batch) < 0)
		return -1;
	f->log(PLUGIN_LOG_INFO, 0, 0, "walled garden ready: packets from "
	    "%s go through nat chain %s", tun, CHAIN_USERS);
	return 0;
}

void
plugin_done(void)
{
	char batch[256];
	size_t i;

	/* They were let in on the garden's terms only. */
	for (i = 0; i < nfenced; i++)
		if (gardened(fenced[i].sid))
			f->session_drop(fenced[i].sid, "walled garden closed");
	for (i = 0; i < nwaiting; i++)
		if (gardened(waiting[i]))
			f->session_drop(waiting[i], "walled garden closed");
	snprintf(batch, sizeof(batch), "*nat\n-D PREROUTING -i %s -j %s\n"
	    "-F %s\n-X %s\nCOMMIT\n", tun, CHAIN_USERS, CHAIN_USERS,
	    CHAIN_USERS);
	if (iptables_batch("removing " CHAIN_USERS, batch) < 0) {
		/* One at a time, as far as they go (the hook may be gone). */
		iptables(0, 1, "-D", "PREROUTING", "-i", tun, "-j",
		    CHAIN_USERS, NULL);
		iptables(0, 0, "-F", CHAIN_USERS, NULL);
		iptables(0, 0, "-X", CHAIN_USERS, NULL);
	}
	free(fenced);
	free(waiting);
	fenced = NULL;
	waiting = NULL;
	nfenced = capfenced = nwaiting = capwaiting = 0;
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
	fence_del(p->sid);
	return PLUGIN_RET_OK;
}

/*
 * Once a second: retry the rules iptables refused (drop the session if
 * it refuses again), and remove those whose session went without a
 * kill_session or left the garden some other way.
 */
int
plugin_timer(struct param_timer *p)
{
	size_t i;

	(void)p;
	for (i = nwaiting; i-- > 0; ) {
		uint32_t sid = waiting[i];
		uint64_t ip = 0;

		if (!gardened(sid) || f->session_get_int(sid, PSF_IP,
		    &ip) < 0 || ip == 0) {
			waiting_del(sid);
			continue;
		}
		if (fence_add(sid, (uint32_t)ip) < 0) {
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
		/* The rule first: the flag never claims a garden that is
		 * not there.  Without an address, new_session adds it. */
		if (f->session_get_int(sid, PSF_IP, &ip) == 0 && ip != 0 &&
		    fence_add(sid, (uint32_t)ip) < 0)
			return pu_reply(p, NSCTL_RES_ERR, "session %u: "
			    "iptables failed (see the log)", sid);
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
		return pu_reply(p, NSCTL_RES_ERR, "session %u: iptables "
		    "failed (see the log)", sid);
	f->session_set_int(sid, PSF_WALLED_GARDEN, 0);
	return pu_reply(p, NSCTL_RES_OK, "session %u ungardened", sid);
}
