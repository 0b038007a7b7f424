/*
 * testplugin.c - a plugin for the system tests (test_plugins.py,
 * test_nsctl.py).  It hooks every event and records each call with its
 * parameters; nsctl commands read the record back and exercise the
 * control event's results.  The same .so may be loaded under several
 * names (copies of the file): each copy answers to its own file name.
 *
 *	test_echo ARGS...	OK, the arguments joined (then STOP)
 *	test_fail		ERR with a message
 *	test_error		PLUGIN_RET_ERROR without a message
 *	test_notmaster		PLUGIN_RET_NOTMASTER
 *	test_pass		recorded, then PLUGIN_RET_OK (not handled)
 *	test_events NAME	the record of the copy named NAME
 *	test_config KEY		the value of a directive, through config_get
 *	test_find USER		the session id of USER (session_by_user)
 *	test_session SID	fields of a session, through the accessors
 *	test_set SID FIELD VAL	session_set_int
 *	test_drop SID		session_drop
 *	test_many N		N lines of output
 *
 * Timer events are counted (the "timer_calls=N" line that ends the
 * record), and a run of ticks with no other event between them is
 * recorded as one "timer n=N" line.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugutil.h"

int plugin_api_version = PLUGIN_API_VERSION;

const char *plugin_control_help[] = {
	"test_echo ARGS...  echo the arguments",
	"test_events NAME   events recorded by plugin NAME",
	NULL
};

#define RECORD_MAX	200

static struct pluginfuncs *f;
static char myname[64];
static char *record[RECORD_MAX];
static int nrecord;
static unsigned long timer_calls;


static void
rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
rec(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	if (nrecord == RECORD_MAX) {
		free(record[0]);
		memmove(record, record + 1, (RECORD_MAX - 1) * sizeof(*record));
		nrecord--;
	}
	record[nrecord++] = s;
}

/* Behaviour switches, read from the daemon's environment. */
static int
env_is(const char *what)
{
	char key[96];
	const char *v;

	snprintf(key, sizeof(key), "TESTPLUGIN_%s", what);
	return (v = getenv(key)) != NULL && strstr(v, myname) != NULL;
}

int
plugin_init(struct pluginfuncs *funcs)
{
	Dl_info info;
	const char *base, *dot;

	f = funcs;
	snprintf(myname, sizeof(myname), "testplugin");
	if (dladdr((void *)plugin_init, &info) && info.dli_fname) {
		base = strrchr(info.dli_fname, '/');
		base = base ? base + 1 : info.dli_fname;
		dot = strrchr(base, '.');
		snprintf(myname, sizeof(myname), "%.*s",
		    (int)(dot ? dot - base : (long)strlen(base)), base);
	}
	if (env_is("REFUSE"))
		return -1;
	rec("init api=%d size=%zu", funcs->api_version, funcs->size);
	f->log(PLUGIN_LOG_WARN, 0, 0, "%s initialised", myname);
	return 0;
}

void
plugin_done(void)
{
	int i;

	f->log(PLUGIN_LOG_WARN, 0, 0, "%s done", myname);
	for (i = 0; i < nrecord; i++)
		free(record[i]);
	nrecord = 0;
}

int
plugin_pre_auth(struct param_pre_auth *p)
{
	rec("pre_auth sid=%u tid=%u user=%s proto=0x%04x", p->sid, p->tid,
	    p->username ? p->username : "", (unsigned)p->protocol);
	if (env_is("REJECT"))
		p->continue_auth = 0;
	return env_is("STOP") ? PLUGIN_RET_STOP : PLUGIN_RET_OK;
}

int
plugin_post_auth(struct param_post_auth *p)
{
	rec("post_auth sid=%u tid=%u user=%s allowed=%d proto=0x%04x",
	    p->sid, p->tid, p->username ? p->username : "", p->auth_allowed,
	    (unsigned)p->protocol);
	return PLUGIN_RET_OK;
}

int
plugin_packet_rx(struct param_packet *p)
{
	rec("packet_rx sid=%u len=%zu", p->sid, p->len);
	return PLUGIN_RET_OK;
}

int
plugin_packet_tx(struct param_packet *p)
{
	rec("packet_tx sid=%u len=%zu", p->sid, p->len);
	return PLUGIN_RET_OK;
}

/*
 * Ticks in a row make one record, "timer n=COUNT", so that a session's
 * record shows where the timer ran between its other events.
 */
int
plugin_timer(struct param_timer *p)
{
	static unsigned long run;

	timer_calls++;
	if (nrecord > 0 && strncmp(record[nrecord - 1], "timer ", 6) == 0) {
		free(record[--nrecord]);
		run++;
	} else
		run = 1;
	rec("timer n=%lu", run);
	return PLUGIN_RET_OK;
}

int
plugin_new_session(struct param_new_session *p)
{
	rec("new_session sid=%u tid=%u", p->sid, p->tid);
	return PLUGIN_RET_OK;
}

int
plugin_kill_session(struct param_kill_session *p)
{
	rec("kill_session sid=%u tid=%u reason=%s", p->sid, p->tid,
	    p->reason ? p->reason : "");
	return PLUGIN_RET_OK;
}

int
plugin_radius_response(struct param_radius_response *p)
{
	rec("radius_response sid=%u key=%s value=%s", p->sid, p->key,
	    p->value);
	return PLUGIN_RET_OK;
}

int
plugin_radius_reset(struct param_radius_reset *p)
{
	rec("radius_reset sid=%u", p->sid);
	return PLUGIN_RET_OK;
}

int
plugin_radius_account(struct param_radius_account *p)
{
	rec("radius_account sid=%u status=%d", p->sid, p->status_type);
	return PLUGIN_RET_OK;
}

int
plugin_become_master(struct param_become_master *p)
{
	rec("become_master");
	return PLUGIN_RET_OK;
}

int
plugin_new_session_master(struct param_new_session_master *p)
{
	rec("new_session_master sid=%u", p->sid);
	return PLUGIN_RET_OK;
}

static int
reply(struct param_control *p, int res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reply(struct param_control *p, int res, const char *fmt, ...)
{
	va_list ap;

	p->response = res;
	va_start(ap, fmt);
	vsnprintf(p->reply, p->reply_size, fmt, ap);
	va_end(ap);
	return PLUGIN_RET_STOP;
}

static int
show_session(struct param_control *p, uint32_t sid)
{
	static const struct { int field; const char *name; } ints[] = {
		{ PSF_TUNNEL, "tunnel" }, { PSF_IP, "ip" },
		{ PSF_TX_SPEED, "tx_speed" }, { PSF_RX_SPEED, "rx_speed" },
		{ PSF_RATE_IN, "rate_in" }, { PSF_RATE_OUT, "rate_out" },
		{ PSF_SNOOP_IP, "snoop_ip" }, { PSF_SNOOP_PORT, "snoop_port" },
		{ PSF_WALLED_GARDEN, "walled_garden" }, { PSF_CIN, "cin" },
		{ PSF_COUT, "cout" },
	};
	char user[128];
	size_t off, i;
	uint64_t v;

	if (f->session_get_str(sid, PSF_USERNAME, user, sizeof(user)) < 0)
		return reply(p, NSCTL_RES_ERR, "no session %u", sid);
	off = (size_t)snprintf(p->reply, p->reply_size, "user=%s", user);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]) &&
	    off < p->reply_size; i++)
		if (f->session_get_int(sid, ints[i].field, &v) == 0)
			off += (size_t)snprintf(p->reply + off,
			    p->reply_size - off, "\n%s=%llu", ints[i].name,
			    (unsigned long long)v);
	p->response = NSCTL_RES_OK;
	return PLUGIN_RET_STOP;
}

static const struct { const char *name; int field; } setfields[] = {
	{ "rate_in", PSF_RATE_IN }, { "rate_out", PSF_RATE_OUT },
	{ "rx_speed", PSF_RX_SPEED }, { "tx_speed", PSF_TX_SPEED },
	{ "snoop_ip", PSF_SNOOP_IP }, { "snoop_port", PSF_SNOOP_PORT },
	{ "walled_garden", PSF_WALLED_GARDEN }, { "cin", PSF_CIN },
};

int
plugin_control(struct param_control *p)
{
	const char *cmd = p->argv[0];
	size_t off = 0, i;
	char buf[256];
	int n;

	if (strncmp(cmd, "test_", 5) == 0)
		rec("control %s argc=%d master=%d", cmd, p->argc,
		    p->iam_master);
	if (strcmp(cmd, "test_pass") == 0)
		return PLUGIN_RET_OK;
	if (strcmp(cmd, "test_events") == 0) {
		if (p->argc != 2 || strcmp(p->argv[1], myname) != 0)
			return PLUGIN_RET_OK;	/* another copy's */
		p->reply[0] = '\0';
		for (n = 0; n < nrecord && off < p->reply_size; n++)
			off += (size_t)snprintf(p->reply + off,
			    p->reply_size - off, "%s\n", record[n]);
		if (off < p->reply_size)
			snprintf(p->reply + off, p->reply_size - off,
			    "timer_calls=%lu", timer_calls);
		p->response = NSCTL_RES_OK;
		return PLUGIN_RET_STOP;
	}
	if (strcmp(cmd, "test_echo") == 0) {
		p->reply[0] = '\0';
		for (n = 1; n < p->argc && off < p->reply_size; n++)
			off += (size_t)snprintf(p->reply + off,
			    p->reply_size - off, "%s%s", n > 1 ? " " : "",
			    p->argv[n]);
		p->response = NSCTL_RES_OK;
		return PLUGIN_RET_STOP;
	}
	if (strcmp(cmd, "test_fail") == 0)
		return reply(p, NSCTL_RES_ERR, "%s: failure requested",
		    myname);
	if (strcmp(cmd, "test_error") == 0)
		return PLUGIN_RET_ERROR;
	if (strcmp(cmd, "test_notmaster") == 0)
		return PLUGIN_RET_NOTMASTER;
	if (strcmp(cmd, "test_config") == 0 && p->argc == 2) {
		if (f->config_get(p->argv[1], buf, sizeof(buf)) < 0)
			return reply(p, NSCTL_RES_ERR, "no directive %s",
			    p->argv[1]);
		return reply(p, NSCTL_RES_OK, "%s=%s", p->argv[1], buf);
	}
	if (strcmp(cmd, "test_find") == 0 && p->argc == 2) {
		uint32_t sid = f->session_by_user(p->argv[1]);

		if (sid == 0)
			return reply(p, NSCTL_RES_ERR, "no user %s",
			    p->argv[1]);
		return reply(p, NSCTL_RES_OK, "%u", sid);
	}
	if (strcmp(cmd, "test_session") == 0 && p->argc == 2)
		return show_session(p, (uint32_t)strtoul(p->argv[1], NULL,
		    10));
	if (strcmp(cmd, "test_set") == 0 && p->argc == 4) {
		for (i = 0; i < sizeof(setfields) / sizeof(setfields[0]); i++)
			if (strcmp(setfields[i].name, p->argv[2]) == 0)
				break;
		if (i == sizeof(setfields) / sizeof(setfields[0]) ||
		    f->session_set_int((uint32_t)strtoul(p->argv[1], NULL,
		    10), setfields[i].field, strtoull(p->argv[3], NULL,
		    10)) < 0)
			return reply(p, NSCTL_RES_ERR, "set refused");
		return reply(p, NSCTL_RES_OK, "set");
	}
	if (strcmp(cmd, "test_drop") == 0 && p->argc == 2) {
		if (f->session_drop((uint32_t)strtoul(p->argv[1], NULL, 10),
		    "test_drop") < 0)
			return reply(p, NSCTL_RES_ERR, "drop refused");
		return reply(p, NSCTL_RES_OK, "dropped");
	}
	if (strcmp(cmd, "test_many") == 0 && p->argc == 2) {
		int lines = atoi(p->argv[1]);

		p->reply[0] = '\0';
		for (n = 0; n < lines && off < p->reply_size; n++)
			off += (size_t)snprintf(p->reply + off,
			    p->reply_size - off, "line %d\n", n);
		p->response = NSCTL_RES_OK;
		return PLUGIN_RET_STOP;
	}
	return PLUGIN_RET_OK;
}
