/*
 * fuzz_acctfile.c - libFuzzer harness for the usage-file writer
 * (acctfile.c, manual "accounting_dir") with hostile usernames.
 *
 * The input is a list of operations on up to NSESS sessions, each an
 * opcode octet then its operands:
 *	0 K LEN NAME... UP(4) DOWN(4)	a session K with that name and usage
 *	1 K				session K ends (its usage is kept)
 *	2 K UP(4) DOWN(4)		more usage for session K
 *	3 F				a file now (F & 1: into a directory
 *					that does not exist: the write fails)
 * After each file the harness reads it back and checks what the format
 * promises: one line per session with usage, five fields separated by
 * single spaces (six with account_all_origin), and a username that
 * unescapes (\ooo) to the name of one of the sessions.  Anything else
 * aborts, so that the fuzzer reports it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "harness.h"
#include "acctfile.h"

#define NSESS	8

static char dir[64], missing[80];
static sid_t slot[NSESS];
/* Every name given this run: what a line may name. */
static char names[256][MAXUSER];
static unsigned nnames;

static void
fuzz_setup(void)
{

	fuzz_globals();
	snprintf(dir, sizeof(dir), "/tmp/fuzz_acctfile.%d", (int)getpid());
	snprintf(missing, sizeof(missing), "%s/none", dir);
	if (mkdir(dir, 0700) < 0 || ev_init() < 0 ||
	    tables_init(NSESS, 4) < 0 || acctfile_init(NSESS, 1) < 0)
		abort();
	snprintf(config->accounting_dir, sizeof(config->accounting_dir), "%s",
	    dir);
	config->accounting_dir_interval = 3600;
}

/* \ooo back to the octet; -1 if the escape is not one we write. */
static int
unescape(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in; in++) {
		if (n + 1 >= cap)
			return -1;
		if (*in != '\\') {
			if ((uint8_t)*in <= 0x20 || (uint8_t)*in == 0x7f)
				return -1;	/* should have been escaped */
			out[n++] = *in;
			continue;
		}
		if (in[1] < '0' || in[1] > '3' || in[2] < '0' || in[2] > '7' ||
		    in[3] < '0' || in[3] > '7')
			return -1;
		out[n++] = (char)((in[1] - '0') << 6 | (in[2] - '0') << 3 |
		    (in[3] - '0'));
		in += 3;
	}
	out[n] = '\0';
	return 0;
}

static int
known(const char *name)
{
	unsigned i;

	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* One data line: its fields, as the manual's format says. */
static void
check_line(char *l)
{
	char *field[8], name[MAXUSER * 4], *p = l;
	int n = 0, want = config->account_all_origin ? 6 : 5;

	while (n < 8) {
		field[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != want || unescape(field[0], name, sizeof(name)) < 0 ||
	    !known(name))
		abort();
}

/* Read back and remove every file; the number of data lines. */
static unsigned
check_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned lines = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX], buf[4096];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			abort();
		while (fgets(buf, sizeof(buf), f)) {
			size_t len = strlen(buf);

			/* Every line ends where the writer ended it. */
			if (len == 0 || buf[len - 1] != '\n')
				abort();
			buf[len - 1] = '\0';
			if (buf[0] == '#')
				continue;
			check_line(buf);
			lines++;
		}
		fclose(f);
		unlink(path);
	}
	closedir(d);
	return lines;
}

static int
take(const uint8_t **data, size_t *size, void *out, size_t n)
{
	if (*size < n)
		return -1;
	memcpy(out, *data, n);
	*data += n;
	*size -= n;
	return 0;
}

static void
end_session(unsigned k)
{
	if (slot[k] == 0)
		return;
	acctfile_session_end(slot[k]);
	session_release(slot[k]);
	slot[k] = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t op, k, len;
	uint32_t up, down;
	struct session *sp;
	unsigned i;

	nnames = 0;
	config->account_all_origin = size > 0 && (data[0] & 0x80);
	while (take(&data, &size, &op, 1) == 0) {
		switch (op & 3) {
		case 0:
			if (take(&data, &size, &k, 1) < 0 ||
			    take(&data, &size, &len, 1) < 0 ||
			    len >= MAXUSER || size < (size_t)len + 8)
				goto out;
			k %= NSESS;
			end_session(k);
			if ((slot[k] = session_alloc()) == 0)
				abort();
			sp = session_get(slot[k]);
			memset(sp->user, 0, sizeof(sp->user));
			take(&data, &size, sp->user, len);
			take(&data, &size, &up, 4);
			take(&data, &size, &down, 4);
			sp->state = SESSION_OPEN;
			sp->ip = htonl(0x0a000001u + k);
			sp->cin = up;
			sp->cout = down;
			sp->throttle = (op & 4) != 0;
			acctfile_session_start(slot[k]);
			if (nnames < 256)
				strcpy(names[nnames++], sp->user);
			break;
		case 1:
			if (take(&data, &size, &k, 1) < 0)
				goto out;
			end_session(k % NSESS);
			break;
		case 2:
			if (take(&data, &size, &k, 1) < 0 ||
			    take(&data, &size, &up, 4) < 0 ||
			    take(&data, &size, &down, 4) < 0)
				goto out;
			if ((sp = session_get(slot[k % NSESS])) != NULL &&
			    slot[k % NSESS] != 0) {
				sp->cin += up;
				sp->cout += down;
			}
			break;
		case 3:
			if (take(&data, &size, &k, 1) < 0)
				goto out;
			if (k & 1)
				snprintf(config->accounting_dir,
				    sizeof(config->accounting_dir), "%s",
				    missing);
			acctfile_dump();
			snprintf(config->accounting_dir,
			    sizeof(config->accounting_dir), "%s", dir);
			check_files();
			break;
		}
	}
out:
	/* Everything ends; the last file holds what is left. */
	for (i = 0; i < NSESS; i++)
		end_session(i);
	if (acctfile_dump() < 0)
		abort();
	check_files();
	return 0;
}
