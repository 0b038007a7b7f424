/*
 * test_acctfile.c - usage files (acctfile.c) when they cannot be
 * written, and when two are written in the same second.
 *
 * Issue 20, finding 2: with an unwritable accounting_dir the early file
 * for 8,192 ended sessions failed and every later session end wrote past
 * the list (AddressSanitizer catches it in test_unwritable_dir_*).
 * Finding 4: files named by the second replaced each other through
 * rename(2); test_same_second_* pre-creates the names of this second and
 * the next ones and checks that none is overwritten.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "acctfile.h"

#define NSESS	10000

static struct config cfg;
static char dir[64];

static int
setup(void **state)
{
	(void)state;
	cfg_defaults(&cfg);
	config = &cfg;
	snprintf(dir, sizeof(dir), "/tmp/test_acctfile.%d", (int)getpid());
	/* Not created yet: the directory is missing, nothing can be written. */
	snprintf(cfg.accounting_dir, sizeof(cfg.accounting_dir), "%s", dir);
	cfg.accounting_dir_interval = 3600;
	assert_int_equal(tables_init(NSESS, 16), 0);
	assert_int_equal(acctfile_init(NSESS, time(NULL)), 0);
	return 0;
}

/* A live session with an address and `up`/`down` octets. */
static sid_t
session(const char *user, uint32_t n, uint64_t up, uint64_t down)
{
	sid_t s = session_alloc();
	struct session *sp = session_get(s);

	assert_non_null(sp);
	sp->state = SESSION_OPEN;
	snprintf(sp->user, sizeof(sp->user), "%s%u", user, n);
	sp->ip = htonl(0x0a000000u + n);
	sp->cin = up;
	sp->cout = down;
	return s;
}

/* Lines and octet sums of every usage file in dir. */
static void
read_files(int *files, uint64_t *lines, uint64_t *up, uint64_t *down)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*files = 0;
	*lines = *up = *down = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], buf[512];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_non_null(f = fopen(path, "r"));
		(*files)++;
		while (fgets(buf, sizeof(buf), f)) {
			char user[128], ip[32];
			unsigned long long u, dn;
			int qos;

			if (buf[0] == '#')
				continue;
			assert_int_equal(sscanf(buf, "%127s %31s %d %llu %llu",
			    user, ip, &qos, &u, &dn), 5);
			(*lines)++;
			*up += u;
			*down += dn;
		}
		fclose(f);
	}
	closedir(d);
}

static void
rmdir_all(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * 9,000 sessions end while no file can be written: none is lost, and
 * once the directory exists one file holds them all.
 */
static void
test_unwritable_dir_keeps_every_ended_session(void **state)
{
	uint64_t lines, up, down, want_up = 0, want_down = 0;
	int files;
	uint32_t i;

	(void)state;
	rmdir_all();
	for (i = 0; i < 9000; i++) {
		sid_t s = session("u", i, 1000 + i, 2000 + i);

		want_up += 1000 + i;
		want_down += 2000 + i;
		acctfile_session_end(s);
		session_release(s);
	}
	assert_true(stats->acctfile_errors >= 1);
	assert_int_equal(stats->acctfile_lost, 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(acctfile_dump(), 0);
	read_files(&files, &lines, &up, &down);
	assert_int_equal(files, 1);
	assert_int_equal(lines, 9000);
	assert_int_equal(up, want_up);
	assert_int_equal(down, want_down);
	rmdir_all();
}

/*
 * Past the cap of the list (16 x 8,192) further ended sessions are
 * counted as lost, and memory stays bounded; the kept ones are written.
 */
static void
test_unwritable_dir_bounded(void **state)
{
	sid_t s;
	uint32_t i, n = 16 * 8192 + 100;
	uint64_t lines, up, down;
	int files;

	(void)state;
	rmdir_all();
	stats->acctfile_lost = 0;
	s = session("v", 1, 0, 0);
	for (i = 0; i < n; i++) {
		/* The same slot ends again and again with new octets. */
		session_get(s)->cin = 10;
		session_get(s)->cout = 20;
		acctfile_session_end(s);
	}
	session_release(s);
	assert_int_equal(stats->acctfile_lost, 100);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(acctfile_dump(), 0);
	read_files(&files, &lines, &up, &down);
	assert_int_equal(lines, 16 * 8192);
	assert_int_equal(up, 10ull * 16 * 8192);
	rmdir_all();
}

/* Files of this second and the next ones exist: none is replaced. */
static void
test_same_second_files_not_overwritten(void **state)
{
	char name[32], path[512];
	time_t now = time(NULL);
	uint64_t lines, up, down;
	int files, i;
	sid_t s;

	(void)state;
	rmdir_all();
	assert_int_equal(mkdir(dir, 0700), 0);
	for (i = 0; i < 3; i++) {
		time_t t = now + i;
		struct tm tm;
		FILE *f;

		localtime_r(&t, &tm);
		strftime(name, sizeof(name), "%Y%m%d%H%M%S", &tm);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "# earlier file\nold 10.9.9.9 1 7 8\n");
		fclose(f);
	}
	s = session("w", 1, 100, 200);
	assert_int_equal(acctfile_dump(), 0);
	session_get(s)->cin += 5;
	session_get(s)->cout += 6;
	assert_int_equal(acctfile_dump(), 0);
	read_files(&files, &lines, &up, &down);
	/* three earlier files untouched, two new ones */
	assert_int_equal(files, 5);
	assert_int_equal(lines, 5);
	assert_int_equal(up, 3 * 7 + 100 + 5);
	assert_int_equal(down, 3 * 8 + 200 + 6);
	session_release(s);
	rmdir_all();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwritable_dir_keeps_every_ended_session),
		cmocka_unit_test(test_unwritable_dir_bounded),
		cmocka_unit_test(test_same_second_files_not_overwritten),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
