/*
 * plugin.h - the l2tpns plugin interface, version PLUGIN_API_VERSION.
 *
 * This header is the whole contract between l2tpns and a plugin; a
 * plugin includes nothing else from the daemon.  It is a C ABI: build a
 * plugin as a shared object,
 *
 *	cc -fPIC -shared -o myplugin.so myplugin.c
 *
 * and put it in `plugin_dir` (default /usr/lib/l2tpns) as NAME.so; then
 * "load plugin NAME" in startup-config or the CLI, or
 * "nsctl load_plugin NAME", loads it.
 *
 * What a plugin exports (looked up by name with dlsym):
 *
 *	int plugin_api_version = PLUGIN_API_VERSION;	(required)
 *		The daemon refuses a plugin whose value differs from its
 *		own PLUGIN_API_VERSION.  Versions below 100 belong to the
 *		l2tpns 2.x interface and are never accepted: this interface
 *		is not binary compatible with it.
 *
 *	int plugin_init(struct pluginfuncs *f);		(optional)
 *		Called once after loading, before any event.  Keep `f`: it
 *		stays valid until plugin_done returns.  Return 0 to accept
 *		the load, anything else to refuse it (plugin_done is then
 *		not called).
 *
 *	void plugin_done(void);				(optional)
 *		Called before the plugin is unloaded ("remove plugin",
 *		"nsctl unload_plugin", a reload that drops it, exit).
 *
 *	const char *plugin_control_help[] = { "cmd ARGS  what", ..., NULL };
 *		(optional) lines added to the output of "nsctl help".
 *
 *	int plugin_EVENT(struct param_EVENT *p);	(optional, each)
 *		One hook per event below, e.g. plugin_timer(struct
 *		param_timer *).  A plugin defines only the hooks it needs;
 *		an event no loaded plugin hooks costs the daemon nothing.
 *
 * Hooks of one event run in the order the plugins were loaded.  Each
 * returns:
 *	PLUGIN_RET_OK		done, run the next plugin's hook;
 *	PLUGIN_RET_STOP		done, and no later plugin sees this event;
 *	PLUGIN_RET_ERROR	failed: no later plugin sees this event, and
 *				the daemon treats the event as failed where
 *				the event says so (below);
 *	PLUGIN_RET_NOTMASTER	control only: the command must be run on the
 *				cluster master.
 *
 * Sessions and tunnels are named by their ids (the numbers "show
 * session" and "show tunnel" print), never by pointers: a plugin does
 * not see the daemon's tables.  Read and change a session through the
 * accessors of struct pluginfuncs.  An id is valid during the call that
 * passed it; a session id may be reused once the session is gone, so a
 * plugin that keeps ids across events should also keep something to
 * recheck (the username, or PSF_OPENED).
 *
 * Everything runs on the daemon's single thread, from its event loop: a
 * hook must not block (no DNS, no waiting on a child), or every tunnel
 * and session waits with it.  Strings passed in are valid for the call
 * only; copy what you keep.
 */
#ifndef L2TPNS_PLUGIN_H
#define L2TPNS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLUGIN_API_VERSION	100

/* Hook return values. */
#define PLUGIN_RET_ERROR	0
#define PLUGIN_RET_OK		1
#define PLUGIN_RET_STOP		2
#define PLUGIN_RET_NOTMASTER	3

/* param_control.response: the result nsctl reports. */
#define NSCTL_RES_OK		0
#define NSCTL_RES_ERR		1

/* Authentication protocols (PPP protocol numbers). */
#define PLUGIN_PROTO_PAP	0xc023
#define PLUGIN_PROTO_CHAP	0xc223

/* Log levels, as the `debug` directive counts them. */
#define PLUGIN_LOG_CRIT		0
#define PLUGIN_LOG_ERROR	1
#define PLUGIN_LOG_WARN		2
#define PLUGIN_LOG_INFO		3
#define PLUGIN_LOG_DEBUG	4

/* Events; the hook of event X is named plugin_X. */
enum plugin_event {
	PLUGIN_PRE_AUTH = 0,
	PLUGIN_POST_AUTH,
	PLUGIN_PACKET_RX,
	PLUGIN_PACKET_TX,
	PLUGIN_TIMER,
	PLUGIN_NEW_SESSION,
	PLUGIN_KILL_SESSION,
	PLUGIN_CONTROL,
	PLUGIN_RADIUS_RESPONSE,
	PLUGIN_RADIUS_RESET,
	PLUGIN_RADIUS_ACCOUNT,
	PLUGIN_BECOME_MASTER,
	PLUGIN_NEW_SESSION_MASTER,
	PLUGIN_EVENTS		/* count, not an event */
};

/*
 * pre_auth: the subscriber sent PAP or CHAP credentials; nothing has been
 * asked of RADIUS yet.  A hook may rewrite `username` in place (at most
 * username_size bytes with the NUL), and for PAP `password`; the daemon
 * authenticates with what is left.  Setting continue_auth to 0 rejects
 * the attempt (the subscriber gets a PAP Nak / CHAP Failure).
 * Returning PLUGIN_RET_ERROR also rejects it.
 */
struct param_pre_auth {
	uint32_t	 sid, tid;
	char		*username;	/* NUL-terminated, writable */
	size_t		 username_size;
	char		*password;	/* PAP: NUL-terminated, writable */
	size_t		 password_size;
	const uint8_t	*response;	/* CHAP: the peer's response value */
	size_t		 response_len;
	int		 protocol;	/* PLUGIN_PROTO_PAP or _CHAP */
	int		 continue_auth;	/* 1 on entry; 0 = reject */
};

/*
 * post_auth: the authentication answer is known.  auth_allowed is 1 if
 * it was accepted, 0 if rejected; a hook may change it (the walled
 * garden accepts rejected users this way).
 */
struct param_post_auth {
	uint32_t	 sid, tid;
	const char	*username;
	int		 auth_allowed;
	int		 protocol;
};

/*
 * packet_rx, packet_tx: one IP packet from (rx) or to (tx) the session.
 * These run per packet: hook them only when you must.
 */
struct param_packet {
	uint32_t	 sid, tid;
	const uint8_t	*buf;		/* the IP packet */
	size_t		 len;
};
#define param_packet_rx	param_packet
#define param_packet_tx	param_packet

/* timer: once a second. */
struct param_timer {
	time_t		 time_now;	/* wall clock */
};

/*
 * new_session: the session is up (authenticated, address assigned) and
 * carries traffic.  kill_session: the session is going down; it may be
 * called more than once for one session.
 */
struct param_new_session {
	uint32_t	 sid, tid;
};
struct param_kill_session {
	uint32_t	 sid, tid;
	const char	*reason;	/* may be NULL */
};

/*
 * control: an nsctl command that is not built in (argv[0] is the
 * command word).  A hook that does not know the command returns
 * PLUGIN_RET_OK and the next plugin is asked.  A hook that handles it
 * sets `response` (NSCTL_RES_OK or NSCTL_RES_ERR), may write text
 * for nsctl to print into `reply` (lines separated by '\n', at most
 * reply_size bytes with the NUL), and returns PLUGIN_RET_STOP.
 * PLUGIN_RET_ERROR reports a failure with the text in `reply` (or a
 * generic one); PLUGIN_RET_NOTMASTER says the command needs the master.
 */
struct param_control {
	int		 iam_master;
	int		 argc;
	char		**argv;		/* argv[argc] is NULL */
	int		 response;	/* out: NSCTL_RES_* */
	char		*reply;		/* out: text, '\n'-separated lines */
	size_t		 reply_size;
};

/* radius_response: one Cisco-AVPair "key=value" of an answer or CoA. */
struct param_radius_response {
	uint32_t	 sid, tid;
	const char	*key;
	const char	*value;
};

/* radius_reset: a CoA arrived; reset what the pairs set to defaults. */
struct param_radius_reset {
	uint32_t	 sid, tid;
};

/*
 * radius_account: an accounting request is being built.  Append whole
 * RADIUS attributes at buf + *len, never past `cap`, and add their size
 * to *len.
 */
struct param_radius_account {
	uint32_t	 sid, tid;
	int		 status_type;	/* Acct-Status-Type: 1 start, 2 stop, 3 interim */
	uint8_t		*buf;
	size_t		*len;
	size_t		 cap;
};

/* become_master: this node has just become the cluster master. */
struct param_become_master {
	time_t		 time_now;
};

/* new_session_master: once per open session, after become_master. */
struct param_new_session_master {
	uint32_t	 sid, tid;
};

/*
 * Session fields for the accessors.  "int" fields are read and written
 * as uint64_t; "str" fields as strings.  Writable fields are marked rw.
 */
enum plugin_session_field {
	PSF_USERNAME = 1,	/* str: authenticated user name */
	PSF_CALLING,		/* str: Calling-Number (the "CLI" column) */
	PSF_CALLED,		/* str: Called-Number */
	PSF_TUNNEL,		/* int: tunnel id */
	PSF_IP,			/* int: IPv4 address, network byte order; 0 = none */
	PSF_OPENED,		/* int: time the session started (Unix time) */
	PSF_LAST_PACKET,	/* int: time of the last packet (Unix time) */
	PSF_CIN,		/* int: octets from the subscriber */
	PSF_COUT,		/* int: octets to the subscriber */
	PSF_PIN,		/* int: packets from the subscriber */
	PSF_POUT,		/* int: packets to the subscriber */
	PSF_TX_SPEED,		/* int rw: connect speed towards the user, bit/s */
	PSF_RX_SPEED,		/* int rw: connect speed from the user, bit/s */
	PSF_RATE_IN,		/* int rw: throttle from the user, kbit/s; 0 = off */
	PSF_RATE_OUT,		/* int rw: throttle to the user, kbit/s; 0 = off */
	PSF_SNOOP_IP,		/* int rw: intercept target, network order; 0 = off */
	PSF_SNOOP_PORT,		/* int rw: intercept target UDP port */
	PSF_WALLED_GARDEN,	/* int rw: 1 = in the walled garden; a session
				 * up while it is 1 gets no RADIUS accounting
				 * until it is set to 0 (then a Start) */
	PSF_FIELDS		/* count, not a field */
};

/*
 * Calls into the daemon.  The daemon fills `api_version` and `size`
 * (sizeof the struct it was built with); a later minor revision only
 * appends members, so check `size` before using a member this header
 * marks as added later.  Functions returning int return 0 on success
 * and -1 on failure (no such session, unknown or read-only field, bad
 * value) unless said otherwise.
 */
struct pluginfuncs {
	int		 api_version;
	size_t		 size;

	/* Log at `level` (PLUGIN_LOG_*), prefixed with the plugin's name;
	 * sid/tid (0 = none) add the session's and tunnel's fields. */
	void		(*log)(int level, uint32_t sid, uint32_t tid,
			    const char *fmt, ...)
			    __attribute__((format(printf, 4, 5)));

	/* Session lookups; 0 = not found.  by_user finds an
	 * authenticated session and skips those going down. */
	uint32_t	(*session_by_user)(const char *username);
	uint32_t	(*session_by_ip)(uint32_t ip);	/* network order */
	/* 1 if `sid` names a session in use, else 0. */
	int		(*session_exists)(uint32_t sid);

	/* Field accessors (enum plugin_session_field). */
	int		(*session_get_int)(uint32_t sid, int field,
			    uint64_t *value);
	int		(*session_set_int)(uint32_t sid, int field,
			    uint64_t value);
	/* Copies at most len bytes including the NUL; -1 if it does not
	 * fit (buf then holds the truncated value). */
	int		(*session_get_str)(uint32_t sid, int field, char *buf,
			    size_t len);

	/* Disconnect a session as "drop session" does (LCP Terminate,
	 * then CDN result 3); reason goes to the log. */
	int		(*session_drop)(uint32_t sid, const char *reason);

	/* The running value of directive `name` ("set NAME VALUE"), in
	 * startup-config syntax, into buf (len bytes with the NUL).
	 * -1 if there is no such directive or it does not fit. */
	int		(*config_get)(const char *name, char *buf, size_t len);

	/* This node's cluster role: 1 if it is the master.  A standalone
	 * server is its own master. */
	int		(*iam_master)(void);

	/* Added later (check `size`): end a session at once, the call
	 * cleared with a CDN (result 3) and no LCP Terminate-Request;
	 * reason goes to the log. */
	int		(*session_kill)(uint32_t sid, const char *reason);
};

#ifdef __cplusplus
}
#endif

#endif /* L2TPNS_PLUGIN_H */
