/*
 * benchsig.h - the signals of the benchmark's C tools (relay.c,
 * udpblast.c): SIGUSR1 asks for a report (got_usr1), SIGTERM and SIGINT
 * for the end (got_term).  The main loop polls and clears them.
 */
#ifndef BENCHSIG_H
#define BENCHSIG_H

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t	 got_usr1, got_term;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static void
bench_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

#endif
