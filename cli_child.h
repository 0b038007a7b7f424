/*
 * cli_child.h - private to the child's half of the CLI: what
 * cli_child.c (the session, the command table, requests to the daemon)
 * and cli_show.c (the views printed from the shared tables) share.
 * Only these two files include it.
 */
#ifndef L2TPNS_CLI_CHILD_H
#define L2TPNS_CLI_CHILD_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libcli.h>

#include "l2tpns.h"

/* The child's one libcli session (cli_child.c). */
extern struct cli_def *cli;

/* cli_show.c: copies of table entries, and the show commands. */
int	 session_copy(sid_t, struct session *);
int	 cmd_show_session(struct cli_def *, const char *, char **, int);
int	 cmd_show_users(struct cli_def *, const char *, char **, int);
int	 cmd_show_user(struct cli_def *, const char *, char **, int);
int	 cmd_show_throttle(struct cli_def *, const char *, char **, int);
int	 cmd_show_ipcache(struct cli_def *, const char *, char **, int);
int	 cmd_show_histogram(struct cli_def *, const char *, char **, int);
int	 cmd_show_tunnel(struct cli_def *, const char *, char **, int);
int	 cmd_show_pool(struct cli_def *, const char *, char **, int);
int	 cmd_show_counters(struct cli_def *, const char *, char **, int);
int	 cmd_show_version(struct cli_def *, const char *, char **, int);
int	 cmd_uptime(struct cli_def *, const char *, char **, int);

/* ---- small helpers of both files ---- */

/*
 * Make a string from the shared tables safe to print: terminated even if
 * the loop was rewriting it, and without bytes a terminal or the telnet
 * protocol (IAC is 0xff) would act on.
 */
static inline void
clean(char *s, size_t size)
{
	size_t i;

	s[size - 1] = '\0';
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
}

static inline int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "?" typed after a command's words reaches the command as its last word. */
static inline int
wants_help(char **argv, int argc)
{
	size_t n;

	if (argc == 0)
		return 0;
	n = strlen(argv[argc - 1]);
	return n > 0 && argv[argc - 1][n - 1] == '?';
}

static inline void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static inline int
help_lines(const char *const *lines)
{
	for (; *lines; lines += 2)
		cli_error(cli, "  %-20s %s", lines[0], lines[1]);
	return CLI_OK;
}

#endif /* L2TPNS_CLI_CHILD_H */
