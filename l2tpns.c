/*
 * l2tpns.c - startup, the main loop, signals and configuration reload.
 *
 * State owned: the running config (swapped in here), the counters, the
 * TUN fd, the pid file.  The session/tunnel tables are in tables.c.
 *
 * Startup (the order matters for setuid):
 *	parse options -> read startup-config (refuse to start on any error)
 *	-> open the log -> read users and ip_pool -> allocate the tables
 *	-> create the TUN device -> (later issues: bind sockets) -> drop
 *	privileges -> daemonize -> pid file -> main loop.
 *
 * Signals arrive through a signalfd in the loop, never in a handler:
 *	HUP	reload startup-config and users, reopen the log
 *	TERM/INT  exit, leaving tunnels and sessions to the cluster or, with
 *		  save_state, to the next process (state.c)
 *	QUIT	shut tunnels and sessions down cleanly, then exit
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "l2tpns.h"
#include "dataplane.h"
#include "acctfile.h"
#include "acl.h"
#include "auth.h"
#include "bgp.h"
#include "cluster.h"
#include "event.h"
#include "intercept.h"
#include "l2tp.h"
#include "lacout.h"
#include "log.h"
#include "cqm.h"
#include "evring.h"
#include "metrics.h"
#include "web.h"
#include "radius.h"
#include "state.h"
#include "util.h"

static const char *config_path = CONFIGFILE;
static char hostname_opt[MAXHOSTNAME_CFG];
static int verbose_opt;
static int tun_fd = -1;
static char tun_name[IFNAMSIZ];
static int sig_fd = -1;
static int reload_pending;
static int term_again;		/* a second TERM/INT: stop waiting */
static struct users users;
static struct pool_file pool;
static time_t start_time;
static struct timer second_timer;
static int pid_written;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-d] [-n] [-S] [-v...] [-c FILE] [-h HOSTNAME]\n"
	    "  -c FILE      startup-config (default %s)\n"
	    "  -d           detach and run in the background\n"
	    "  -h HOSTNAME  hostname used towards LACs and in the CLI prompt\n"
	    "  -n           check the configuration files and exit\n"
	    "  -S           say whether the state file would be adopted; exit\n"
	    "               0 yes, 1 refused, 2 none (save_state)\n"
	    "  -v           raise the debug level by one (repeatable)\n"
	    "  -V           print the version and exit\n"
	    "  --help       this text\n", progname, CONFIGFILE);
}

/* Configuration errors during startup go to stderr as FILE:LINE: text. */
static void
startup_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: %s\n", progname, msg);
}

/* After startup they go to the log, warnings at level 2. */
static void
log_err(void *arg, const char *msg)
{
	(void)arg;
	if (strstr(msg, ": warning: ") != NULL)
		LOG(LOG_WARN_L, 0, 0, "%s", msg);
	else
		LOG(LOG_ERROR_L, 0, 0, "%s", msg);
}

static void
apply_hostname(struct config *c)
{
	char *dot;

	if (hostname_opt[0])
		snprintf(c->hostname, sizeof(c->hostname), "%s", hostname_opt);
	if (c->hostname[0] == '\0') {
		if (gethostname(c->hostname, sizeof(c->hostname) - 1) < 0)
			snprintf(c->hostname, sizeof(c->hostname), "l2tpns");
		c->hostname[sizeof(c->hostname) - 1] = '\0';
		/* The short name, as a router prompt shows it. */
		if ((dot = strchr(c->hostname, '.')) != NULL)
			*dot = '\0';
	}
}

static void
load_users(const struct config *c, cfg_errfn fn)
{
	struct users nu;
	int rc;

	rc = users_load(&nu, c->users_file, fn, NULL);
	users_free(&users);
	users = nu;
	if (rc < 0 && errno == ENOENT)
		LOG(LOG_WARN_L, 0, 0, "no users file %s: the CLI will only "
		    "listen on 127.0.0.1 and ask for no password",
		    c->users_file);
	else
		LOG(LOG_INFO_L, 0, 0, "%d CLI users loaded from %s%s", users.n,
		    c->users_file, users.have_enable ? " (with enable password)"
		    : "");
}

/* Subscribers for local authentication, when no RADIUS server is set. */
static void
load_local_auth(const struct config *c, cfg_errfn fn)
{
	int rc = local_auth_load(c->local_auth_file, fn, NULL);

	if (rc < 0) {
		if (c->primary_radius == 0)
			LOG(LOG_WARN_L, 0, 0, "no RADIUS server and no "
			    "local_auth_file %s: every subscriber %swill be "
			    "refused", c->local_auth_file, c->nl2tp_sessions ||
			    c->nforwards ? "without an l2tp session or "
			    "setforward rule " : "");
	} else
		LOG(LOG_INFO_L, 0, 0, "local subscribers read from %s%s",
		    c->local_auth_file, rc ? " (bad lines skipped)" : "");
}

/* Keys of older manuals are accepted; say they do nothing. */
static void
report_obsolete(const struct config *c)
{
	const struct cfg_directive *d;
	size_t n, i;

	d = cfg_directives(&n);
	for (i = 0; i < n; i++)
		if ((d[i].flags & CF_OBSOLETE) &&
		    (c->was_set[i / 8] & (1 << (i % 8))))
			log_warnx("%s: obsolete key %s accepted and ignored (%s)",
			    config_path, d[i].name, d[i].help);
		else if ((d[i].flags & CF_UNSUPPORTED) &&
		    (c->was_set[i / 8] & (1 << (i % 8))))
			log_warnx("%s: %s is not supported by this server: "
			    "accepted and ignored (%s)", config_path,
			    d[i].name, d[i].help);
}

/* ---- pid file ---- */

static int
write_pid_file(const char *path)
{
	char buf[32];
	int fd, n;

	if (*path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("cannot write pid file %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		log_error("cannot write pid file %s: %s", path, strerror(errno));
	close(fd);
	pid_written = 1;
	return 0;
}

/* ---- privileges ---- */

/*
 * setuid: run as an unprivileged user once every privileged resource is
 * bound, keeping only the capabilities the running daemon still needs
 * (routes and addresses: NET_ADMIN; raw ICMP and GARP: NET_RAW; binding
 * the CLI and BGP ports on reload: NET_BIND_SERVICE).
 */
static int
drop_privileges(int uid)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct passwd *pw;
	gid_t gid = (gid_t)uid;
	uint32_t keep = (1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW) |
	    (1u << CAP_NET_BIND_SERVICE);

	if (uid <= 0)
		return 0;
	if ((pw = getpwuid((uid_t)uid)) != NULL)
		gid = pw->pw_gid;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
	    setuid((uid_t)uid) < 0) {
		log_crit("cannot change to uid %d: %s", uid, strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) < 0) {
		log_crit("cannot keep network capabilities after setuid: %s",
		    strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	log_info("running as uid %d gid %d with CAP_NET_ADMIN, CAP_NET_RAW "
	    "and CAP_NET_BIND_SERVICE", uid, (int)gid);
	return 0;
}

static void
tune_process(const struct config *c)
{
	if (c->scheduler_fifo) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sysconf(_SC_NPROCESSORS_ONLN) <= 1)
			log_warnx("scheduler_fifo ignored on a single CPU");
		else if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			log_error("cannot set SCHED_FIFO: %s", strerror(errno));
		else
			log_info("scheduling policy SCHED_FIFO");
	}
	if (c->lock_pages) {
		if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
			log_error("cannot lock pages in memory: %s",
			    strerror(errno));
		else
			log_info("pages locked in memory");
	}
}

/* ---- reload ---- */

/*
 * Whether directive d reads differently in nc than in old (legacy
 * aliases aside); a and b (len octets each) get the new and old text.
 */
static int
reload_differs(const struct config *nc, const struct config *old,
    const struct cfg_directive *d, char *a, char *b, size_t len)
{
	if (d->type == CT_LEGACY)
		return 0;
	cfg_format(nc, d, a, len);
	cfg_format(old, d, b, len);
	return strcmp(a, b) != 0;
}

/*
 * HUP: parse the file into a fresh config.  A bad line keeps the
 * running value of its key.  Every changed directive is then handled by
 * its reload class (config.h, the directive table's flags) and logged
 * with what happened: applied at once, applied to new sessions only, or
 * kept at its running value until a restart (the configured value is
 * remembered, and show running-config marks it).
 */
static void
reload_config(void)
{
	const struct cfg_directive *dirs;
	struct config *nc, *old = config;
	char a[CFG_STRLEN * 2], b[CFG_STRLEN * 2], err[256];
	size_t nd, i;
	int errors, changes = 0;

	stats->config_reloads++;
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		log_error("reload of %s: out of memory", config_path);
		return;
	}
	cfg_defaults(nc);
	errors = cfg_load(nc, config_path, old, log_err, NULL);
	if (errors < 0) {
		log_error("reload of %s failed; running configuration kept",
		    config_path);
		stats->config_reload_errors++;
		cfg_free(nc);
		free(nc);
		return;
	}
	if (errors > 0)
		stats->config_reload_errors++;
	apply_hostname(nc);
	if (verbose_opt > nc->debug)
		nc->debug = verbose_opt > 5 ? 5 : verbose_opt;

	dirs = cfg_directives(&nd);
	for (i = 0; i < nd; i++) {
		const struct cfg_directive *d = &dirs[i];

		if (d->type == CT_LEGACY || cfg_reload_class(d) != CFG_RESTART)
			continue;
		/* Remembered (or forgotten, if the file is back to it). */
		cfg_pending_note(old, nc, d);
		if (memcmp((char *)nc + d->offset, (char *)old + d->offset,
		    d->size) == 0)
			continue;
		cfg_format(nc, d, a, sizeof(a));
		cfg_format(old, d, b, sizeof(b));
		if (d->flags & CF_SECRET)
			log_warnx("%s: %s changed but %s; keeping the running "
			    "value", config_path, d->name,
			    cfg_reload_text(CFG_RESTART));
		else
			log_warnx("%s: %s changed to \"%s\" but %s; keeping "
			    "\"%s\"", config_path, d->name, a,
			    cfg_reload_text(CFG_RESTART), b);
		cfg_copy_value(nc, old, d);
	}

	/* Counted here, logged after the swap at the new level, below. */
	for (i = 0; i < nd; i++)
		changes += reload_differs(nc, old, &dirs[i], a, b, sizeof(a));

	config = nc;
	acl_reload(nc);		/* sessions look their filters up again */
	log_level = nc->debug;
	if (log_open(nc->log_file, progname, err, sizeof(err)) < 0)
		log_error("%s (logging continues to the previous destination)",
		    err);

	for (i = 0; i < nd; i++) {
		const char *what = cfg_reload_text(cfg_reload_class(&dirs[i]));

		if (!reload_differs(nc, old, &dirs[i], a, b, sizeof(a)))
			continue;
		if (dirs[i].flags & CF_SECRET)
			LOG(LOG_INFO_L, 0, 0, "config: %s changed: %s",
			    dirs[i].name, what);
		else
			LOG(LOG_INFO_L, 0, 0, "config: %s changed from \"%s\" "
			    "to \"%s\": %s", dirs[i].name, b, a, what);
	}
	load_users(nc, log_err);
	load_local_auth(nc, log_err);
	acctfile_config_changed();
	cli_reload();
	radius_reload();
	bgp_reload();
	lacout_reload();	/* outgoing L2TP tunnels follow their lines */
	random_reopen(nc->random_device);
	report_obsolete(nc);
	plugin_config_apply();		/* load/remove plugin lines */
	if (nc->l2tp_mtu != old->l2tp_mtu && tun_set_mtu(tun_name,
	    nc->l2tp_mtu) == 0)
		log_info("tun device %s mtu now %d", tun_name, nc->l2tp_mtu);
	LOG(LOG_WARN_L, 0, 0, "configuration reloaded from %s: %d change%s, "
	    "%d error%s", config_path, changes, changes == 1 ? "" : "s",
	    errors, errors == 1 ? "" : "s");

	cfg_free(old);
	free(old);
}

/* ---- signals ---- */

static void
signal_readable(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP from pid %u: reloading configuration",
			    si.ssi_pid);
			reload_pending = 1;
			break;
		case SIGTERM:
		case SIGINT:
			/* A second one ends the wait for accounting. */
			if (main_quit == 1)
				term_again = 1;
			log_warnx("%s from pid %u: exiting, tunnels and sessions "
			    "left alone", si.ssi_signo == SIGTERM ? "SIGTERM" :
			    "SIGINT", si.ssi_pid);
			/* Also cuts short a QUIT shutdown in progress. */
			main_quit = 1;
			break;
		case SIGQUIT:
			log_warnx("SIGQUIT from pid %u: shutting down tunnels "
			    "and sessions, then exiting", si.ssi_pid);
			main_quit = 2;
			break;
		case SIGCHLD:
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		}
	}
}

static int
setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	if ((sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -1;
	return ev_add(sig_fd, EPOLLIN, signal_readable, NULL);
}

/* ---- loop handlers ---- */

static void
tun_readable(int fd, uint32_t events, void *arg)
{
	int n;

	(void)events;
	(void)arg;
	n = dp_tun_readable(fd, config->multi_read_count);
	if (n > 1)
		stats->multi_read_used++;
	if (n == config->multi_read_count)
		stats->multi_read_exceeded++;
}

/*
 * Once a second: the bandwidth line of "uptime" (logged when dump_speed
 * is set).  The next expiry follows from the last one so the tick does
 * not drift.
 */
static void
second_tick(struct timer *t, void *arg)
{
	static uint64_t last_rx_bytes, last_rx_packets;
	uint64_t b = stats->tun_rx_bytes - last_rx_bytes;
	uint64_t p = stats->tun_rx_packets - last_rx_packets;

	(void)arg;
	if (stats->tun_rx_bytes < last_rx_bytes) {	/* clear counters */
		b = stats->tun_rx_bytes;
		p = stats->tun_rx_packets;
	}
	last_rx_bytes = stats->tun_rx_bytes;
	last_rx_packets = stats->tun_rx_packets;
	if (config->dump_speed)
		LOG(LOG_CRIT_L, 0, 0, "Bandwidth: ETH-UDP:%.2f OUT:%llu "
		    "sessions:%u tunnels:%u", (double)b * 8 / 1e6,
		    (unsigned long long)p, tables->sessions_used,
		    tables->tunnels_used);
	plugin_second();
	timer_set_at(t, t->when + 1000);
}

#define TERM_ACCT_WAIT	20	/* seconds TERM waits for the Acct-Stops */

/*
 * QUIT: every tunnel gets a StopCCN (result 6) and the loop runs until
 * the LACs have acknowledged them or the retransmissions give up.
 */
static int
still_busy(void)
{
	static int shutdown_sent, stops_sent;
	static time_t stop_deadline;

	/*
	 * TERM: the sessions are left to the cluster; with nobody to take
	 * them over (stand-alone, or no up-to-date slave) their RADIUS
	 * records would stay open forever, so each gets its Acct-Stop
	 * (Admin-Reboot) and we wait, bounded, for the answers.
	 */
	if (main_quit == 1) {
		if (!stops_sent) {
			int n;

			stops_sent = 1;
			/* With save_state the next process carries them on. */
			if (cluster_successor() || state_kept())
				return 0;
			if ((n = radius_stop_all(TERM_ADMIN_REBOOT)) == 0)
				return 0;
			stop_deadline = time_now + TERM_ACCT_WAIT;
			log_warnx("no cluster to take %d accounted sessions over: "
			    "Acct-Stop sent for each, waiting up to %d s for "
			    "the answers", n, TERM_ACCT_WAIT);
		}
		return !term_again && radius_busy() > 0 &&
		    time_now < stop_deadline;
	}
	if (main_quit != 2)
		return 0;
	if (!shutdown_sent) {
		shutdown_sent = 1;
		l2tp_shutdown_all();
	}
	/* ... and until the accounting Stops are answered or given up. */
	return tables->tunnels_used > 0 || radius_busy() > 0;
}

static void
daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	setsid();
	if ((pid = fork()) < 0)
		fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* The command line; -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, int *detach, int *check_only)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	if (strrchr(argv[0], '/'))
		progname = strrchr(argv[0], '/') + 1;
	/* "-h" alone asks for help; "-h NAME" sets the hostname (2.x). */
	if (argc >= 2 && strcmp(argv[argc - 1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	while ((ch = getopt_long(argc, argv, "c:dh:nSvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			*detach = 1;
			break;
		case 'h':
			snprintf(hostname_opt, sizeof(hostname_opt), "%s", optarg);
			break;
		case 'n':
			*check_only = 1;
			break;
		case 'S':
			*check_only = 2;
			break;
		case 'v':
			verbose_opt++;
			break;
		case 'V':
			printf("l2tpns %s\n", L2TPNS_VERSION);
			return 0;
		case 'H':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", progname,
		    argv[optind]);
		usage(stderr);
		return 1;
	}
	return -1;
}

/* -n: the users and ip_pool files too; the exit status. */
static int
check_files(void)
{
	struct users u;
	struct pool_file p;
	int bad = 0;

	if (users_load(&u, config->users_file, startup_err, NULL) > 0)
		bad = 1;
	if (pool_load(&p, config->ip_pool_file, config->bind_address,
	    (uint64_t)config->max_sessions, startup_err, NULL) > 0)
		bad = 1;
	users_free(&u);
	pool_free(&p);
	printf("%s: %s%s\n", config_path, bad ? "errors in users or "
	    "ip_pool" : "configuration OK", "");
	return bad;
}

/* The tun device: bind_address, or 1.1.1.1 (manual, bind_address). */
static void
setup_tun(void)
{
	char addr[INET_ADDRSTRLEN];
	in_addr_t tun_addr;

	tun_addr = config->iftun_address ? config->iftun_address :
	    config->bind_address ? config->bind_address : htonl(0x01010101);
	if (strlen(config->tundevicename) >= sizeof(tun_name))
		fatal("tundevicename \"%s\" is longer than %zu characters",
		    config->tundevicename, sizeof(tun_name) - 1);
	memcpy(tun_name, config->tundevicename, strlen(config->tundevicename) + 1);
	if ((tun_fd = tun_open(tun_name, sizeof(tun_name))) < 0 ||
	    tun_configure(tun_name, tun_addr, config->l2tp_mtu) < 0)
		fatal("cannot set up the tun device; exiting");
	inet_ntop(AF_INET, &tun_addr, addr, sizeof(addr));
	log_info("tun device %s up with address %s mtu %d", tun_name, addr,
	    config->l2tp_mtu);
	if (config->tun_uring)
		tun_uring_init();
	if (ev_add(tun_fd, EPOLLIN, tun_readable, NULL) < 0)
		fatal("epoll_ctl tun: %s", strerror(errno));
	tun_add_pool_routes(&pool);
	tun_watch();
	if (config->ipv6_prefix.plen > 0) {
		char a6[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &config->ipv6_prefix.addr, a6, sizeof(a6));
		if (tun_route6(1, &config->ipv6_prefix.addr,
		    config->ipv6_prefix.plen) < 0)
			log_error("cannot route %s/%d to the tun device: %s",
			    a6, config->ipv6_prefix.plen, strerror(errno));
		else
			log_info("route %s/%d via the tun device", a6,
			    config->ipv6_prefix.plen);
		if (tun_addr6(&config->ipv6_prefix.addr) < 0)
			log_error("cannot give the tun device its IPv6 address "
			    "in %s: %s", a6, strerror(errno));
	}
}

/*
 * The configuration (startup-config, -v), checked: 0, or the exit
 * status when l2tpns must not go on.
 */
static int
load_startup_config(void)
{
	int errors;

	if ((config = malloc(sizeof(*config))) == NULL)
		return 1;
	cfg_defaults(config);
	errors = cfg_load(config, config_path, NULL, startup_err, NULL);
	if (errors != 0) {
		if (errors > 0)
			fprintf(stderr, "%s: refusing to start: %d error%s in "
			    "%s\n", progname, errors, errors == 1 ? "" : "s",
			    config_path);
		else
			fprintf(stderr, "%s: refusing to start: cannot read "
			    "%s\n", progname, config_path);
		return 1;
	}
	apply_hostname(config);
	if (verbose_opt > config->debug)
		config->debug = verbose_opt > 5 ? 5 : verbose_opt;
	log_level = config->debug;
	return 0;
}

/* Tables, files, sockets and listeners, in the order they depend on. */
static void
start_subsystems(void)
{
	char addr[INET_ADDRSTRLEN];
	int errors;

	if ((stats = shm_alloc(sizeof(*stats))) == NULL)
		fatal("cannot allocate counters: %s", strerror(errno));
	if (log_ring_init() < 0)	/* before the CLI forks (debug) */
		fatal("cannot allocate the live log: %s", strerror(errno));
	if (ev_init() < 0)
		fatal("epoll: %s", strerror(errno));
	start_time = time_now;

	load_users(config, log_err);
	errors = pool_load(&pool, config->ip_pool_file, config->bind_address,
	    (uint64_t)config->max_sessions, log_err, NULL);
	if (errors < 0)
		log_warnx("no address pool (%s): sessions only get addresses "
		    "from RADIUS", config->ip_pool_file);
	else
		log_info("ip_pool %s: %llu addresses in %d ranges%s",
		    config->ip_pool_file, (unsigned long long)pool.count,
		    pool.n, errors ? " (bad lines skipped)" : "");

	if (tables_init((uint32_t)config->max_sessions,
	    (uint32_t)config->max_tunnels) < 0)
		fatal("cannot allocate tables for %d sessions and %d tunnels: %s",
		    config->max_sessions, config->max_tunnels, strerror(errno));
	if (ippool_init(errors < 0 ? NULL : &pool,
	    (uint32_t)config->max_sessions) < 0 ||
	    ppp_init((uint32_t)config->max_sessions) < 0)
		fatal("cannot allocate PPP state: %s", strerror(errno));
	load_local_auth(config, log_err);
	acl_reload(config);

	setup_tun();

	random_reopen(config->random_device);
	if (l2tp_init() < 0)
		fatal("cannot start the L2TP listener; exiting");
	inet_ntop(AF_INET, &config->bind_address, addr, sizeof(addr));
	log_info("L2TP listening on %s:%d", addr, config->l2tp_port);
	/* Before RADIUS: its client sockets take ephemeral ports, and
	 * cluster_port (32792) is in the kernel's ephemeral range. */
	if (cluster_init(start_time) < 0)
		fatal("cannot open the cluster socket: %s", strerror(errno));
	if (radius_init() < 0)
		fatal("cannot start the RADIUS client; exiting");
	state_open();		/* save_state; before privileges go */
	if (intercept_init() < 0)
		fatal("cannot open the interception socket; exiting");
	if (evring_init((uint32_t)config->max_sessions) < 0)
		fatal("cannot allocate session event rings: %s", strerror(errno));
	if (cqm_init((uint32_t)config->max_sessions) < 0)
		fatal("cannot allocate call quality state: %s", strerror(errno));
	/* Not fatal: the LNS keeps serving without its CLI (logged). */
	cli_setup(config_path, &users, &pool, start_time);
	if (control_init() < 0)
		fatal("cannot start the nsctl listener; exiting");
	/* Session routes reach BGP through tables.c's route hook. */
	session_route_hook = bgp_session_route;
	bgp_init(errors < 0 ? NULL : &pool);

	/* Not fatal: the LNS keeps serving without its metrics (logged). */
	web_set_users(&users);
	metrics_init();
	plugin_config_apply();	/* before setuid: plugin_init may need root */
	lacout_init();		/* outgoing L2TP: first attempts in 1 s */
}

/* Signals, limits, privileges, the background and the pid file. */
static void
become_daemon(int detach)
{
	if (setup_signals() < 0)
		fatal("cannot set up signal handling: %s", strerror(errno));

	tune_process(config);
	if (drop_privileges(config->setuid) < 0)
		fatal("refusing to run with partial privileges");
	if (detach) {
		daemonize();
		/*
		 * A signalfd wakes the process that registered it with epoll:
		 * register it again from the daemon itself.
		 */
		ev_del(sig_fd);
		close(sig_fd);
		if (setup_signals() < 0)
			fatal("cannot set up signal handling: %s",
			    strerror(errno));
	}
	write_pid_file(config->pid_file);
}

/* The event loop, until TERM, or QUIT once everything is closed. */
static void
run_loop(void)
{
	while (!main_quit || still_busy()) {
		uint64_t fired = ev_timers_fired;
		int n;

		stats->loops++;
		if ((n = ev_run_once(1000)) < 0 && errno != EINTR)
			fatal("epoll_wait: %s", strerror(errno));
		dp_flush();	/* what the turn's timers queued (keepalives) */
		if (n > 0)
			stats->events += (uint64_t)n;
		stats->timers_fired += ev_timers_fired - fired;
		if (reload_pending) {
			reload_pending = 0;
			reload_config();
		}
	}
}

/* What the sessions become at exit, for the last log line. */
static const char *
exit_reason(void)
{
	if (main_quit == 2)
		return "clean shutdown";
	if (state_kept())
		return "sessions kept in the state file";
	if (cluster_active())
		return "sessions left to the cluster";
	return "tunnels and sessions left alone";
}

static void
shut_down(void)
{
	acctfile_dump();	/* the usage since the last file */
	log_warnx("exiting after %ld seconds (%s)", (long)(time_now - start_time),
	    exit_reason());
	state_close(main_quit != 2);
	cluster_close();	/* goodbye: the others elect at once */
	plugin_unload_all();
	/* TERM leaves the sessions to come back: a graceful restart. */
	bgp_close(main_quit != 2);
	control_close();
	metrics_close();
	radius_close();
	if (pid_written && config->pid_file[0])
		unlink(config->pid_file);
	users_free(&users);
	pool_free(&pool);
	log_close();
}

int
main(int argc, char **argv)
{
	char err[256];
	int ch, detach = 0, check_only = 0;

	if ((ch = parse_args(argc, argv, &detach, &check_only)) >= 0)
		return ch;
	if ((ch = load_startup_config()) != 0)
		return ch;
	if (check_only == 2)
		return state_check();
	if (check_only)
		return check_files();

	if (log_open(config->log_file, progname, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: refusing to start: %s\n", progname, err);
		return 1;
	}
	log_warnx("l2tpns %s starting, config %s, debug %d", L2TPNS_VERSION,
	    config_path, config->debug);
	report_obsolete(config);

	start_subsystems();
	become_daemon(detach);

	if (acctfile_init((uint32_t)config->max_sessions, start_time) < 0)
		fatal("cannot allocate accounting state: %s", strerror(errno));
	timer_init(&second_timer, second_tick, NULL);
	timer_set(&second_timer, 1000);
	state_adopt();		/* the previous process's sessions */

	/* The manual: ignored when BGP announces the routes instead. */
	/* A cluster slave does not: the master sends it when elected. */
	if (config->send_garp && config->bind_address && config->bgp.as == 0 &&
	    iam_master())
		send_garp(config->bind_address);
	log_warnx("ready: %llu pool addresses, up to %u sessions and %u "
	    "tunnels", (unsigned long long)pool.count, tables->max_sessions,
	    tables->max_tunnels);

	run_loop();
	shut_down();
	return 0;
}
