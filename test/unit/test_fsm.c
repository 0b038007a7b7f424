/*
 * test_fsm.c - the automaton of fsm.c against RFC 1661 4.1, cell by cell.
 *
 * The table below is the RFC's transition table transcribed by hand
 * (states across, events down: "actions/new-state", "-" illegal).  For
 * every state and event the test puts an automaton in that state, fires
 * the event (receive events as real packets through fsm_input) and
 * checks the new state and the actions seen: packets sent (scr, sca,
 * scn, str, sta, scj) and layer calls (tlu, tld, tls, tlf).  irc and
 * zrc are checked through the restart counter where they apply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fsm.h"
#include "log.h"


/* Actions seen, as a comma list in the RFC's words. */
static char seen[128];

static void
note(const char *a)
{
	if (seen[0])
		strcat(seen, ",");
	strcat(seen, a);
}

static void t_tlu(struct fsm *f) { (void)f; note("tlu"); }
static void t_tld(struct fsm *f) { (void)f; note("tld"); }
static void t_tls(struct fsm *f) { (void)f; note("tls"); }
static void t_tlf(struct fsm *f) { (void)f; note("tlf"); }

static size_t
t_build(struct fsm *f, uint8_t *out, size_t cap)
{
	(void)f;
	(void)cap;
	out[0] = 1; out[1] = 4; out[2] = 0x05; out[3] = 0xdc;	/* MRU */
	return 4;
}

/* Option type 1 is acceptable; type 2 gets a Nak. */
static int
t_check(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	(void)f;
	(void)cap;
	(void)may_nak;
	if (len >= 2 && opt[0] == 2) {
		memcpy(out, opt, len);
		*outlen = len;
		return CI_NAK;
	}
	return CI_ACK;
}

static int
t_ext(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *d, size_t n)
{
	(void)f; (void)id; (void)d; (void)n;
	return code == CP_ECHO_REP ? 0 : -1;
}

static void
t_send(struct fsm *f, const uint8_t *pkt, size_t len)
{
	static const char *const names[] = { "?", "scr", "sca", "scn", "scn",
	    "str", "sta", "scj" };

	(void)f;
	assert_true(len >= 4);
	assert_int_equal((pkt[2] << 8) | pkt[3], len);
	note(pkt[0] <= 7 ? names[pkt[0]] : "?");
}

static const struct fsm_proto tproto = {
	.name = "T", .proto = 0xc021,
	.tlu = t_tlu, .tld = t_tld, .tls = t_tls, .tlf = t_tlf,
	.build_req = t_build, .check_req = t_check, .extcode = t_ext,
	.send = t_send,
};

/*
 * RFC 1661 4.1, rows in enum fsm_event order, columns 0..9.  irc and zrc
 * are left out of the action lists (they send nothing); "ser" is LCP's
 * (ppp.c) and leaves the automaton untouched.
 */
static const char *const table[EV_MAX][10] = {
	/* Up */   { "2", "scr/6", "-", "-", "-", "-", "-", "-", "-", "-" },
	/* Down */ { "-", "-", "0", "tls/1", "0", "1", "1", "1", "1", "tld/1" },
	/* Open */ { "tls/1", "1", "scr/6", "3", "5", "5", "6", "7", "8", "9" },
	/* Close */{ "0", "tlf/0", "2", "2", "4", "4", "str/4", "str/4",
		     "str/4", "tld,str/4" },
	/* TO+ */  { "-", "-", "-", "-", "str/4", "str/5", "scr/6", "scr/6",
		     "scr/8", "-" },
	/* TO- */  { "-", "-", "-", "-", "tlf/2", "tlf/3", "tlf/3", "tlf/3",
		     "tlf/3", "-" },
	/* RCR+ */ { "-", "-", "sta/2", "scr,sca/8", "4", "5", "sca/8",
		     "sca,tlu/9", "sca/8", "tld,scr,sca/8" },
	/* RCR- */ { "-", "-", "sta/2", "scr,scn/6", "4", "5", "scn/6", "scn/7",
		     "scn/6", "tld,scr,scn/6" },
	/* RCA */  { "-", "-", "sta/2", "sta/3", "4", "5", "7", "scr/6",
		     "tlu/9", "tld,scr/6" },
	/* RCN */  { "-", "-", "sta/2", "sta/3", "4", "5", "scr/6", "scr/6",
		     "scr/8", "tld,scr/6" },
	/* RTR */  { "-", "-", "sta/2", "sta/3", "sta/4", "sta/5", "sta/6",
		     "sta/6", "sta/6", "tld,sta/5" },
	/* RTA */  { "-", "-", "2", "3", "tlf/2", "tlf/3", "6", "6", "8",
		     "tld,scr/6" },
	/* RUC */  { "-", "-", "scj/2", "scj/3", "scj/4", "scj/5", "scj/6",
		     "scj/7", "scj/8", "scj/9" },
	/* RXJ+ */ { "-", "-", "2", "3", "4", "5", "6", "6", "8", "9" },
	/* RXJ- */ { "-", "-", "tlf/2", "tlf/3", "tlf/2", "tlf/3", "tlf/3",
		     "tlf/3", "tlf/3", "tld,str/5" },
	/* RXR */  { "-", "-", "2", "3", "4", "5", "6", "7", "8", "9" },
};


/* Order-insensitive comparison of action lists ("a,b" == "b,a"). */
static int
same_actions(const char *want, const char *got)
{
	char a[128], b[128], *t, *save;
	int n = 0, m = 0;

	snprintf(a, sizeof(a), "%s", want);
	for (t = strtok_r(a, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		n++;
		snprintf(b, sizeof(b), ",%s,", got);
		if (strstr(b, t) == NULL)
			return 0;
	}
	snprintf(b, sizeof(b), "%s", got);
	for (t = strtok_r(b, ",", &save); t; t = strtok_r(NULL, ",", &save))
		m++;
	return n == m;
}

static void
packet(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *d, size_t n)
{
	uint8_t buf[64];

	buf[0] = code;
	buf[1] = id;
	buf[2] = 0;
	buf[3] = (uint8_t)(n + 4);
	if (n)
		memcpy(buf + 4, d, n);
	fsm_input(f, buf, n + 4);
}

static void
fire(struct fsm *f, int e)
{
	static const uint8_t good[] = { 1, 4, 0x05, 0xdc };
	static const uint8_t bad[] = { 2, 4, 0, 0 };
	static const uint8_t rej_echo[] = { CP_ECHO_REQ, 1, 0, 4 };
	static const uint8_t rej_conf[] = { CP_CONF_REQ, 1, 0, 4 };

	switch (e) {
	case EV_RCR_PLUS: packet(f, CP_CONF_REQ, 9, good, 4); break;
	case EV_RCR_MINUS: packet(f, CP_CONF_REQ, 9, bad, 4); break;
	case EV_RCA: packet(f, CP_CONF_ACK, f->id, good, 4); break;
	case EV_RCN: packet(f, CP_CONF_NAK, f->id, good, 4); break;
	case EV_RTR: packet(f, CP_TERM_REQ, 3, NULL, 0); break;
	case EV_RTA: packet(f, CP_TERM_ACK, f->term_id, NULL, 0); break;
	case EV_RUC: packet(f, 0x33, 4, NULL, 0); break;
	case EV_RXJ_PLUS: packet(f, CP_CODE_REJ, 5, rej_echo, 4); break;
	case EV_RXJ_MINUS: packet(f, CP_CODE_REJ, 5, rej_conf, 4); break;
	case EV_RXR: packet(f, CP_ECHO_REP, 6, NULL, 0); break;
	case EV_TO_PLUS:
		f->restart = 2;
		fsm_event(f, EV_TO_PLUS);
		break;
	case EV_TO_MINUS:
		f->restart = 0;
		fsm_event(f, EV_TO_MINUS);
		break;
	default:
		fsm_event(f, (enum fsm_event)e);
		break;
	}
}

static void
test_transition_table(void **state)
{
	struct fsm f;
	int s, e, failures = 0;

	(void)state;
	memset(&f, 0, sizeof(f));
	for (e = 0; e < EV_MAX; e++) {
		for (s = 0; s <= ST_OPENED; s++) {
			const char *cell = table[e][s];
			const char *slash = strchr(cell, '/');
			char want_act[64] = "";
			int want_state;

			fsm_init(&f, &tproto, 1, 3, 10, 5);
			f.state = (uint8_t)s;
			f.id = 7;
			f.heard = 1;	/* early resend: test_early_resend */
			seen[0] = '\0';
			fire(&f, e);
			if (strcmp(cell, "-") == 0) {
				want_state = s;	/* illegal: ignored */
			} else if (slash) {
				snprintf(want_act, sizeof(want_act), "%.*s",
				    (int)(slash - cell), cell);
				want_state = atoi(slash + 1);
			} else
				want_state = atoi(cell);
			if (f.state != want_state ||
			    !same_actions(want_act, seen)) {
				print_error("%s in %s: want \"%s\", got "
				    "\"%s/%d\"\n", fsm_event_name(e),
				    fsm_state_name(s), cell, seen, f.state);
				failures++;
			}
			fsm_stop(&f);
		}
	}
	fsm_free(&f);
	assert_int_equal(failures, 0);
}

/* irc: the counter is reloaded; zrc: zero, one more period, then TO-. */
static void
test_restart_counters(void **state)
{
	struct fsm f;
	uint8_t ack[] = { 1, 4, 0x05, 0xdc };

	(void)state;
	memset(&f, 0, sizeof(f));
	fsm_init(&f, &tproto, 1, 3, 4, 5);
	fsm_open(&f);
	fsm_up(&f);
	assert_int_equal(f.state, ST_REQ_SENT);
	assert_int_equal(f.restart, 3);		/* irc (4), then scr */
	assert_true(timer_pending(&f.timer));
	/* Max-Configure transmissions, then TO-. */
	fsm_event(&f, EV_TO_PLUS);
	fsm_event(&f, EV_TO_PLUS);
	fsm_event(&f, EV_TO_PLUS);
	assert_int_equal(f.restart, 0);
	seen[0] = '\0';
	fsm_event(&f, EV_TO_MINUS);
	assert_int_equal(f.state, ST_STOPPED);
	assert_string_equal(seen, "tlf");
	assert_false(timer_pending(&f.timer));
	/* Opened + RTR: zrc leaves the timer running with a zero count. */
	fsm_init(&f, &tproto, 1, 3, 4, 5);
	fsm_open(&f);
	fsm_up(&f);
	packet(&f, CP_CONF_ACK, f.id, ack, 4);
	packet(&f, CP_CONF_REQ, 1, ack, 4);
	assert_int_equal(f.state, ST_OPENED);
	assert_false(timer_pending(&f.timer));
	packet(&f, CP_TERM_REQ, 2, NULL, 0);
	assert_int_equal(f.state, ST_STOPPING);
	assert_int_equal(f.restart, 0);
	assert_true(timer_pending(&f.timer));
	fsm_stop(&f);
	fsm_free(&f);
}

/*
 * The peer's first Configure-Request while ours is unanswered: the
 * Restart timer is cut to 500 ms (the peer may have missed ours);
 * later requests follow the table.
 */
static void
test_early_resend(void **state)
{
	struct fsm f;
	uint8_t o[] = { 1, 4, 0x05, 0xdc };
	uint8_t id;

	(void)state;
	memset(&f, 0, sizeof(f));
	fsm_init(&f, &tproto, 1, 3, 4, 5);
	fsm_open(&f);
	fsm_up(&f);
	id = f.id;
	seen[0] = '\0';
	packet(&f, CP_CONF_REQ, 1, o, 4);
	assert_string_equal(seen, "sca");
	assert_int_equal(f.state, ST_ACK_SENT);
	/* ours goes again in 500 ms, not a whole Restart period */
	assert_true(timer_pending(&f.timer));
	assert_true(f.timer.when <= now_ms + 500);
	seen[0] = '\0';
	fsm_event(&f, EV_TO_PLUS);
	assert_string_equal(seen, "scr");
	assert_int_equal(f.id, id);
	seen[0] = '\0';
	packet(&f, CP_CONF_REQ, 2, o, 4);
	assert_string_equal(seen, "sca");
	fsm_stop(&f);
	fsm_free(&f);
}

/* Replies to another request, bad lengths: discarded, no change. */
static void
test_discards(void **state)
{
	struct fsm f;
	uint8_t ack[] = { 1, 4, 0x05, 0xdc };
	uint8_t bad_len[] = { CP_CONF_REQ, 1, 0, 9, 1, 4 };

	(void)state;
	memset(&f, 0, sizeof(f));
	fsm_init(&f, &tproto, 1, 3, 4, 5);
	fsm_open(&f);
	fsm_up(&f);
	seen[0] = '\0';
	packet(&f, CP_CONF_ACK, (uint8_t)(f.id + 1), ack, 4);
	assert_int_equal(f.state, ST_REQ_SENT);
	fsm_input(&f, bad_len, sizeof(bad_len));
	fsm_input(&f, bad_len, 3);
	assert_int_equal(f.state, ST_REQ_SENT);
	assert_string_equal(seen, "");
	fsm_stop(&f);
	fsm_free(&f);
}

/* Max-Failure Naks, then the checker is told to reject (may_nak 0). */
static int last_may_nak;

static int
nak_always(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	(void)f; (void)cap;
	last_may_nak = may_nak;
	memcpy(out, opt, len);
	*outlen = len;
	return may_nak ? CI_NAK : CI_REJ;
}

static void
test_max_failure_and_no_convergence(void **state)
{
	struct fsm_proto p = tproto;
	struct fsm f;
	uint8_t o[] = { 2, 4, 0, 0 };
	int i, naks = 0, rejs = 0;

	(void)state;
	p.check_req = nak_always;
	memset(&f, 0, sizeof(f));
	fsm_init(&f, &p, 1, 3, 4, 2);
	fsm_open(&f);
	fsm_up(&f);
	for (i = 0; i < 10 && f.state != ST_STOPPED; i++) {
		seen[0] = '\0';
		packet(&f, CP_CONF_REQ, (uint8_t)i, o, 4);
		if (last_may_nak)
			naks++;
		else
			rejs++;
	}
	assert_int_equal(naks, 2);		/* Max-Failure */
	assert_int_equal(f.state, ST_STOPPED);	/* gave up: tlf */
	assert_non_null(strstr(seen, "tlf"));
	assert_int_equal(naks + rejs, 4 + 2 + 1);
	/* The reason is kept for the link's end, then freed. */
	assert_non_null(strstr(fsm_reason(&f), "negotiation not converging"));
	fsm_stop(&f);
	fsm_free(&f);
	assert_string_equal(fsm_reason(&f), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_restart_counters),
		cmocka_unit_test(test_early_resend),
		cmocka_unit_test(test_discards),
		cmocka_unit_test(test_max_failure_and_no_convergence),
	};

	log_level = -1;
	if (ev_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
