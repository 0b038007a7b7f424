/*
 * fuzz_cli.c - libFuzzer harness for the CLI's command parser: the
 * command table of cli_child.c registered with libcli, every command's
 * argument parsing (cli_child.c, cli_show.c), and the daemon's side of
 * each request (cli.c ops[]), as one privileged session would see them.
 *
 * The input is command lines separated by newlines, run in order from
 * the exec mode (so "configure terminal", "ip access-list ...", "router
 * bgp ..." reach the modes below).  A thread stands for the daemon's
 * loop: it answers the requests that the commands send over the
 * SOCK_SEQPACKET pair, one at a time, while the session waits for each
 * answer, as in the daemon.  There is one tunnel and one session
 * ("fuzz", 10.0.0.1) to show, throttle, snoop and drop.  SIGHUP and
 * SIGQUIT (reload, shutdown) go to this process and are ignored; write
 * memory writes to a scratch file.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libcli.h>

#include "dp_fixture.h"
#include "cli.h"
#include "cli_child.h"

static int link_pair[2];
static struct users no_users;
static struct pool_file no_pool;
static char cfg_path[64];
static struct cli_def *session_cli;

/* The daemon's loop, for requests only. */
static void *
daemon_side(void *arg)
{
	struct pollfd pfd = { .fd = link_pair[1], .events = POLLIN };

	(void)arg;
	for (;;)
		if (poll(&pfd, 1, -1) > 0)
			cli_serve_link(link_pair[1]);
	return NULL;
}

static void
quiet(struct cli_def *c, const char *line)
{
	(void)c;
	(void)line;
}

static void
fuzz_setup(void)
{
	pthread_t th;

	(void)fuzz_session_setup();
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	snprintf(cfg_path, sizeof(cfg_path), "/tmp/fuzz_cli.%d.cfg",
	    (int)getpid());
	cli_cfg_path = cfg_path;
	cli_users = &no_users;
	cli_pool = &no_pool;
	cli_daemon_pid = getpid();
	cli_started = 1;
	if ((cli_rates = mmap(NULL, sizeof(*cli_rates), PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		abort();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, link_pair) < 0 ||
	    cli_child_commands(link_pair[0]) < 0 ||
	    pthread_create(&th, NULL, daemon_side, NULL) != 0)
		abort();
	session_cli = cli;
	cli_print_callback(session_cli, quiet);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[1024];
	size_t n;

	cli_set_privilege(session_cli, PRIVILEGE_PRIVILEGED);
	cli_set_configmode(session_cli, MODE_EXEC, NULL);
	while (size > 0) {
		for (n = 0; n < size && data[n] != '\n'; n++)
			;
		if (n < sizeof(line)) {
			memcpy(line, data, n);
			line[n] = '\0';
			cli_run_command(session_cli, line);
		}
		data += n < size ? n + 1 : n;
		size -= n < size ? n + 1 : n;
	}
	unlink(cfg_path);
	return 0;
}
