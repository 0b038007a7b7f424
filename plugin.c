/*
 * plugin.c - the daemon side of the plugin interface (plugin.h).
 *
 * State owned:
 *   - the loaded plugins, in load order (`loaded`), each with its dlopen
 *     handle and the hook it exports for every event;
 *   - per event, the array of hooks to run, rebuilt whenever a plugin
 *     comes or goes, and `plugin_hooked`, one byte per event that the
 *     plugin_run() macro (l2tpns.h) tests before calling in: an event no
 *     plugin hooks costs one branch and no call;
 *   - the struct pluginfuncs handed to every plugin.
 *
 * Exports (l2tpns.h, "plugin.c"): plugin_run_hooks, plugin_load,
 * plugin_unload, plugin_config_apply, plugin_unload_all, plugin_get_info,
 * plugin_help_lines, plugin_second, plugin_event_name.
 *
 * Plugins come from three places: the `load plugin` lines of
 * startup-config (applied at startup and again on every reload, which
 * unloads the ones whose line went away), the CLI, and nsctl's
 * load_plugin/unload_plugin.  A plugin that cannot be opened, lacks
 * plugin_api_version, was built for another API version or refuses in
 * plugin_init is not loaded, with one log line that says why; the daemon
 * carries on without it.
 *
 * A plugin runs as the daemon (root), so it loads only from a path no
 * other user can change: plugin_dir is the one read at startup (the CLI
 * cannot set it, a reload does not move it), the file is a regular file
 * and it and every directory above it are owned by root (or the daemon's
 * user) and writable by nobody else; a world-writable directory is
 * accepted only with the sticky bit and a root owner (/tmp), where no
 * other user can rename what lies in it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "l2tpns.h"
#include "cluster.h"
#include "event.h"
#include "evring.h"
#include "log.h"
#include "plugin.h"
#include "radius.h"
#include "session.h"
#include "util.h"

#define PLUGIN_MAX	64	/* loaded at once, from every source */
#define NAME_MAX_LEN	63

struct plugin {
	char		 name[NAME_MAX_LEN + 1];
	char		 path[CFG_STRLEN + NAME_MAX_LEN + 8];
	void		*handle;
	int		 from_config;	/* loaded for a `load plugin` line */
	int		(*hook[PLUGIN_EVENTS])(void *);
	void		(*done)(void);
	const char *const *help;
};

/* plugin_dir as read at startup (see the opening comment). */
static char plugin_dir[CFG_STRLEN];

struct hook {
	struct plugin	*p;
	int		(*fn)(void *);
};

/* The hook function of event e is "plugin_" + this name. */
static const char *const event_names[PLUGIN_EVENTS] = {
	[PLUGIN_PRE_AUTH]		= "pre_auth",
	[PLUGIN_POST_AUTH]		= "post_auth",
	[PLUGIN_PACKET_RX]		= "packet_rx",
	[PLUGIN_PACKET_TX]		= "packet_tx",
	[PLUGIN_TIMER]			= "timer",
	[PLUGIN_NEW_SESSION]		= "new_session",
	[PLUGIN_KILL_SESSION]		= "kill_session",
	[PLUGIN_CONTROL]		= "control",
	[PLUGIN_RADIUS_RESPONSE]	= "radius_response",
	[PLUGIN_RADIUS_RESET]		= "radius_reset",
	[PLUGIN_RADIUS_ACCOUNT]		= "radius_account",
	[PLUGIN_BECOME_MASTER]		= "become_master",
	[PLUGIN_NEW_SESSION_MASTER]	= "new_session_master",
};

unsigned char plugin_hooked[PLUGIN_EVENTS];

static struct plugin *loaded[PLUGIN_MAX];
static int nloaded;
static struct hook hooks[PLUGIN_EVENTS][PLUGIN_MAX];
static int nhooks[PLUGIN_EVENTS];
/* The plugin whose code is running: names it in its log lines. */
static struct plugin *current;

const char *
plugin_event_name(int e)
{
	if (e < 0 || e >= PLUGIN_EVENTS)
		return "unknown";
	return event_names[e];
}

/* ---- callbacks (struct pluginfuncs) ---- */

static void
cb_log(int level, uint32_t sid, uint32_t tid, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level < LOG_CRIT_L)
		level = LOG_CRIT_L;
	if (level > LOG_PACKET_L)
		level = LOG_PACKET_L;
	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(level, sid, tid, "plugin %s: %s", current ? current->name :
	    "?", msg);
}

static uint32_t
cb_session_by_user(const char *name)
{
	return session_by_user(name);
}

static uint32_t
cb_session_by_ip(uint32_t ip)
{
	sid_t s = session_by_ip(ip);

	return session_live(s) ? s : 0;
}

static int
cb_session_exists(uint32_t sid)
{
	return session_live(sid) != NULL;
}

static int
cb_session_get_int(uint32_t sid, int field, uint64_t *v)
{
	struct session *s = session_live(sid);

	if (s == NULL || v == NULL)
		return -1;
	switch (field) {
	case PSF_TUNNEL:	*v = s->tunnel; break;
	case PSF_IP:		*v = s->ip; break;
	case PSF_OPENED:	*v = (uint64_t)s->opened; break;
	case PSF_LAST_PACKET:	*v = (uint64_t)s->last_packet; break;
	case PSF_CIN:		*v = s->cin; break;
	case PSF_COUT:		*v = s->cout; break;
	case PSF_PIN:		*v = s->pin; break;
	case PSF_POUT:		*v = s->pout; break;
	case PSF_TX_SPEED:	*v = s->tx_speed; break;
	case PSF_RX_SPEED:	*v = s->rx_speed; break;
	case PSF_RATE_IN:	*v = s->rate_in; break;
	case PSF_RATE_OUT:	*v = s->rate_out; break;
	case PSF_SNOOP_IP:	*v = s->snoop_ip; break;
	case PSF_SNOOP_PORT:	*v = s->snoop_port; break;
	case PSF_WALLED_GARDEN:	*v = s->walled_garden; break;
	default:
		return -1;
	}
	return 0;
}

static int
cb_session_set_int(uint32_t sid, int field, uint64_t v)
{
	struct session *s = session_live(sid);

	if (s == NULL)
		return -1;
	/* session.c keeps the flags the CLI shows with their values. */
	switch (field) {
	case PSF_TX_SPEED:
	case PSF_RX_SPEED:
		if (v > UINT32_MAX)
			return -1;
		session_set_speeds(sid, field == PSF_TX_SPEED ? (uint32_t)v :
		    s->tx_speed, field == PSF_RX_SPEED ? (uint32_t)v :
		    s->rx_speed);
		return 0;
	case PSF_RATE_IN:
	case PSF_RATE_OUT:
		if (v > UINT32_MAX)
			return -1;
		session_set_rates(sid, field == PSF_RATE_IN ? (uint32_t)v :
		    s->rate_in, field == PSF_RATE_OUT ? (uint32_t)v :
		    s->rate_out);
		return 0;
	case PSF_SNOOP_IP:
	case PSF_SNOOP_PORT: {
		in_addr_t ip = field == PSF_SNOOP_IP ? (in_addr_t)v : s->snoop_ip;
		uint16_t port = field == PSF_SNOOP_PORT ? (uint16_t)v :
		    s->snoop_port;

		if (v > (field == PSF_SNOOP_IP ? UINT32_MAX : UINT16_MAX))
			return -1;
		if (s->intercept != (ip != 0 && port != 0))
			evring_add(sid, SEV_INTERCEPT, SEA_PLUGIN, 0, "%s",
			    s->intercept ? "stopped" : "started");
		session_set_intercept(sid, ip, port);
		return 0;
	}
	case PSF_WALLED_GARDEN:
		if (v > 1)
			return -1;
		session_set_garden(sid, (int)v);
		return 0;
	}
	return -1;	/* unknown, or read-only */
}

static int
cb_session_get_str(uint32_t sid, int field, char *buf, size_t len)
{
	struct session *s = session_live(sid);
	const char *v;
	size_t n;

	if (s == NULL || buf == NULL || len == 0)
		return -1;
	switch (field) {
	case PSF_USERNAME:	v = s->user; break;
	case PSF_CALLING:	v = s->calling; break;
	case PSF_CALLED:	v = s->called; break;
	default:
		buf[0] = '\0';
		return -1;
	}
	n = strnlen(v, MAXUSER);
	if (n >= len) {
		memcpy(buf, v, len - 1);
		buf[len - 1] = '\0';
		return -1;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

/*
 * A plugin ends a session: dropped (kill 0: the peer is told, as the
 * CLI's drop does) or killed (at once); reason, or the default, logged.
 */
static int
end_session(uint32_t sid, const char *reason, int kill)
{
	if (session_live(sid) == NULL)
		return -1;
	if (reason == NULL || *reason == '\0')
		reason = kill ? "killed by plugin" : "requested by plugin";
	LOG(LOG_INFO_L, sid, 0, "plugin %s %s the session: %s",
	    current ? current->name : "?", kill ? "kills" : "drops", reason);
	if (kill)
		session_kill(sid, TERM_ADMIN_RESET, reason);
	else
		session_drop(sid, TERM_ADMIN_RESET, reason);
	return 0;
}

static int
cb_session_drop(uint32_t sid, const char *reason)
{
	return end_session(sid, reason, 0);
}

static int
cb_session_kill(uint32_t sid, const char *reason)
{
	return end_session(sid, reason, 1);
}

static int
cb_config_get(const char *name, char *buf, size_t len)
{
	const struct cfg_directive *d;
	int n;

	if (name == NULL || buf == NULL || len == 0 ||
	    (d = cfg_find(name)) == NULL || d->type == CT_LEGACY)
		return -1;
	n = cfg_format(config, d, buf, len);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
cb_iam_master(void)
{
	return iam_master();
}

static struct pluginfuncs funcs = {
	.api_version		= PLUGIN_API_VERSION,
	.size			= sizeof(struct pluginfuncs),
	.log			= cb_log,
	.session_by_user	= cb_session_by_user,
	.session_by_ip		= cb_session_by_ip,
	.session_exists		= cb_session_exists,
	.session_get_int	= cb_session_get_int,
	.session_set_int	= cb_session_set_int,
	.session_get_str	= cb_session_get_str,
	.session_drop		= cb_session_drop,
	.config_get		= cb_config_get,
	.iam_master		= cb_iam_master,
	.session_kill		= cb_session_kill,
};

/* ---- hook tables ---- */

static void
rebuild_hooks(void)
{
	int e, i;

	for (e = 0; e < PLUGIN_EVENTS; e++) {
		nhooks[e] = 0;
		for (i = 0; i < nloaded; i++)
			if (loaded[i]->hook[e]) {
				hooks[e][nhooks[e]].p = loaded[i];
				hooks[e][nhooks[e]].fn = loaded[i]->hook[e];
				nhooks[e]++;
			}
		plugin_hooked[e] = nhooks[e] > 0;
	}
}

/*
 * Run every hook of `event` in load order until one returns something
 * other than PLUGIN_RET_OK; that value is returned (PLUGIN_RET_OK if all
 * did).  Hooks may call back into the daemon, which may raise another
 * event (a drop from a control hook runs kill_session): the loop works
 * on a copy so that nothing it walks can change under it.
 */
int
plugin_run_hooks(int event, void *params)
{
	struct hook run[PLUGIN_MAX];
	struct plugin *saved = current;
	int i, n, rc = PLUGIN_RET_OK;

	if (event < 0 || event >= PLUGIN_EVENTS)
		return PLUGIN_RET_ERROR;
	n = nhooks[event];
	memcpy(run, hooks[event], (size_t)n * sizeof(run[0]));
	for (i = 0; i < n; i++) {
		current = run[i].p;
		rc = run[i].fn(params);
		if (rc != PLUGIN_RET_OK)
			break;
	}
	current = saved;
	return rc;
}

/* ---- loading ---- */

static int
valid_plugin_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-')
			return 0;
	return n > 0 && n <= NAME_MAX_LEN;
}

static int
find_loaded(const char *name)
{
	int i;

	for (i = 0; i < nloaded; i++)
		if (strcmp(loaded[i]->name, name) == 0)
			return i;
	return -1;
}

/*
 * Whether `st` (of `path`) may be changed by a user other than root or
 * ourselves: then whoever that is could run code as the daemon.
 */
static const char *
unsafe_mode(const struct stat *st, int dir)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "owned by another user";
	/* Sticky and root's: others cannot rename what is in it (/tmp). */
	if (dir && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return NULL;
	if (st->st_mode & S_IWGRP)
		return "writable by its group";
	if (st->st_mode & S_IWOTH)
		return "writable by anybody";
	return NULL;
}

/*
 * -1 with the reason in err unless the plugin file and every directory
 * from it up to / are safe (unsafe_mode).  The resolved path is checked,
 * so a symbolic link cannot lead around the check.
 */
static int
unsafe_path(const char *path, char *resolved, size_t rsize, char *err,
    size_t errlen, const char *name)
{
	char real[PATH_MAX], *slash;
	struct stat st;
	const char *why;
	int dir = 0;

	if (realpath(path, real) == NULL) {
		seterr(err, errlen, "cannot load plugin %s: %s: %s", name,
		    path, strerror(errno));
		return -1;
	}
	if (snprintf(resolved, rsize, "%s", real) >= (int)rsize) {
		seterr(err, errlen, "cannot load plugin %s: %s: %s", name,
		    real, strerror(ENAMETOOLONG));
		return -1;
	}
	for (;;) {
		if (stat(real[0] ? real : "/", &st) < 0) {
			seterr(err, errlen, "cannot load plugin %s: %s: %s",
			    name, real, strerror(errno));
			return -1;
		}
		if ((why = unsafe_mode(&st, dir)) != NULL) {
			seterr(err, errlen, "cannot load plugin %s: %s is %s "
			    "(plugins run as root: the file and its "
			    "directories must be root's alone)", name,
			    real[0] ? real : "/", why);
			return -1;
		}
		if (real[0] == '\0')
			return 0;
		if ((slash = strrchr(real, '/')) == NULL)
			return 0;
		*slash = '\0';		/* up one directory; "" is / */
		dir = 1;
	}
}

/*
 * The new_session and kill_session events follow the sessions
 * (session.h): new_session when one is up, kill_session when one that
 * was up ends.
 */
static void
follow(sid_t s, enum session_event ev, void *arg)
{
	const struct session *sp = session_get(s);

	(void)arg;
	if (ev == SESSION_EV_UP) {
		struct param_new_session ns = { .sid = s, .tid = sp->tunnel };

		plugin_run(PLUGIN_NEW_SESSION, &ns);
	} else if (ev == SESSION_EV_DOWN && session_is_up(s)) {
		struct param_kill_session ks = { .sid = s, .tid = sp->tunnel,
		    .reason = session_end_reason(s) };

		plugin_run(PLUGIN_KILL_SESSION, &ks);
	}
}

static int
load_one(const char *name, int from_config, char *err, size_t errlen)
{
	struct plugin *p;
	struct stat st;
	const int *version;
	int (*init)(struct pluginfuncs *);
	char sym[64], real[PATH_MAX];
	int e, i;

	session_subscribe(follow, NULL);
	if (name == NULL || !valid_plugin_name(name)) {
		seterr(err, errlen, "bad plugin name \"%s\": use letters, "
		    "digits, '_' or '-'", name ? name : "");
		return -1;
	}
	if ((i = find_loaded(name)) >= 0) {
		if (from_config)
			loaded[i]->from_config = 1;
		seterr(err, errlen, "plugin %s is already loaded", name);
		return -1;
	}
	if (nloaded == PLUGIN_MAX) {
		seterr(err, errlen, "cannot load plugin %s: %d plugins are "
		    "loaded already", name, PLUGIN_MAX);
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		seterr(err, errlen, "cannot load plugin %s: out of memory",
		    name);
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (plugin_dir[0] == '\0')
		snprintf(plugin_dir, sizeof(plugin_dir), "%s",
		    config->plugin_dir);
	snprintf(p->path, sizeof(p->path), "%s/%s.so", plugin_dir, name);
	p->from_config = from_config;

	/*
	 * Whoever can write the file runs code as the daemon: refuse one
	 * that anybody may modify.
	 */
	if (stat(p->path, &st) < 0) {
		seterr(err, errlen, "cannot load plugin %s: %s: %s", name,
		    p->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_IWOTH)) {
		seterr(err, errlen, "cannot load plugin %s: %s is %s", name,
		    p->path, S_ISREG(st.st_mode) ? "writable by anybody" :
		    "not a regular file");
		goto fail;
	}
	/* The checked file itself, not a link that may move meanwhile. */
	if (unsafe_path(p->path, real, sizeof(real), err, errlen, name) < 0)
		goto fail;
	if ((p->handle = dlopen(real, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		seterr(err, errlen, "cannot load plugin %s: %s", name,
		    dlerror());
		goto fail;
	}
	version = dlsym(p->handle, "plugin_api_version");
	if (version == NULL) {
		seterr(err, errlen, "cannot load plugin %s: %s exports no "
		    "plugin_api_version (not an l2tpns plugin?)", name,
		    p->path);
		goto fail;
	}
	if (*version != PLUGIN_API_VERSION) {
		seterr(err, errlen, "cannot load plugin %s: built for plugin "
		    "API version %d, this l2tpns has version %d", name,
		    *version, PLUGIN_API_VERSION);
		goto fail;
	}
	for (e = 0; e < PLUGIN_EVENTS; e++) {
		snprintf(sym, sizeof(sym), "plugin_%s", event_names[e]);
		*(void **)&p->hook[e] = dlsym(p->handle, sym);
	}
	*(void **)&p->done = dlsym(p->handle, "plugin_done");
	p->help = dlsym(p->handle, "plugin_control_help");
	*(void **)&init = dlsym(p->handle, "plugin_init");
	if (init) {
		struct plugin *saved = current;
		int rc;

		current = p;
		rc = init(&funcs);
		current = saved;
		if (rc != 0) {
			seterr(err, errlen, "cannot load plugin %s: its "
			    "plugin_init refused (returned %d)", name, rc);
			goto fail;
		}
	}
	loaded[nloaded++] = p;
	rebuild_hooks();
	return 0;

fail:
	if (p->handle)
		dlclose(p->handle);
	free(p);
	return -1;
}

static void
unload_at(int i)
{
	struct plugin *p = loaded[i], *saved = current;

	memmove(&loaded[i], &loaded[i + 1],
	    (size_t)(nloaded - i - 1) * sizeof(loaded[0]));
	nloaded--;
	rebuild_hooks();
	if (p->done) {
		current = p;
		p->done();
		current = saved;
	}
	dlclose(p->handle);
	free(p);
}

static void
log_loaded(const struct plugin *p, const char *how)
{
	char list[PLUGIN_EVENTS * 20];
	size_t off = 0;
	int e;

	list[0] = '\0';
	for (e = 0; e < PLUGIN_EVENTS; e++)
		if (p->hook[e] && off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", off ? " " : "", event_names[e]);
	log_warnx("plugin %s loaded from %s (%s); hooks: %s", p->name,
	    p->path, how, list[0] ? list : "none");
}

int
plugin_load(const char *name, char *err, size_t errlen)
{
	char e[512];

	if (load_one(name, 0, e, sizeof(e)) < 0) {
		log_error("%s", e);
		seterr(err, errlen, "%s", e);
		return -1;
	}
	log_loaded(loaded[nloaded - 1], "on request");
	return 0;
}

int
plugin_unload(const char *name, char *err, size_t errlen)
{
	int i;

	if (name == NULL || (i = find_loaded(name)) < 0) {
		seterr(err, errlen, "plugin %s is not loaded",
		    name ? name : "");
		return -1;
	}
	unload_at(i);
	log_warnx("plugin %s unloaded", name);
	return 0;
}

/*
 * Bring the loaded set in line with the `load plugin` lines of the
 * running config: load what is listed and missing, in the listed order,
 * and unload what was loaded for a line that is gone.  Plugins loaded
 * on request (nsctl, CLI) are left alone.  Called at startup and after
 * every reload.
 */
void
plugin_config_apply(void)
{
	char e[512];
	int i, j;

	if (plugin_dir[0] == '\0')	/* startup: the one plugin_dir */
		snprintf(plugin_dir, sizeof(plugin_dir), "%s",
		    config->plugin_dir);

	for (i = nloaded - 1; i >= 0; i--) {
		if (!loaded[i]->from_config)
			continue;
		for (j = 0; j < config->nplugins; j++)
			if (strcmp(config->plugins[j], loaded[i]->name) == 0)
				break;
		if (j == config->nplugins) {
			char name[NAME_MAX_LEN + 1];

			snprintf(name, sizeof(name), "%s", loaded[i]->name);
			unload_at(i);
			log_warnx("plugin %s unloaded (no longer in the "
			    "configuration)", name);
		}
	}
	for (j = 0; j < config->nplugins; j++) {
		if ((i = find_loaded(config->plugins[j])) >= 0) {
			loaded[i]->from_config = 1;
			continue;
		}
		if (load_one(config->plugins[j], 1, e, sizeof(e)) < 0)
			log_error("%s; carrying on without it", e);
		else
			log_loaded(loaded[nloaded - 1], "startup-config");
	}
}

void
plugin_unload_all(void)
{
	while (nloaded > 0) {
		char name[NAME_MAX_LEN + 1];

		snprintf(name, sizeof(name), "%s", loaded[nloaded - 1]->name);
		unload_at(nloaded - 1);
		log_info("plugin %s unloaded", name);
	}
}

int
plugin_get_info(int i, struct plugin_info *info)
{
	int e;

	if (i < 0 || i >= nloaded || info == NULL)
		return -1;
	info->name = loaded[i]->name;
	info->path = loaded[i]->path;
	info->from_config = loaded[i]->from_config;
	info->events = 0;
	for (e = 0; e < PLUGIN_EVENTS; e++)
		if (loaded[i]->hook[e])
			info->events |= 1u << e;
	return 0;
}

/*
 * The help lines of every plugin that has plugin_control_help, in load
 * order; `fn` is called once per line.  At most 64 lines per plugin.
 */
void
plugin_help_lines(void (*fn)(void *, const char *plugin, const char *line),
    void *arg)
{
	int i, j;

	for (i = 0; i < nloaded; i++) {
		const char *const *h = loaded[i]->help;

		for (j = 0; h && j < 64 && h[j]; j++)
			fn(arg, loaded[i]->name, h[j]);
	}
}

/* The timer event, from the daemon's once-a-second tick. */
void
plugin_second(void)
{
	struct param_timer pt;

	if (!plugin_hooked[PLUGIN_TIMER])
		return;
	pt.time_now = time_now;
	plugin_run_hooks(PLUGIN_TIMER, &pt);
}
