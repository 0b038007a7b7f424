/*
 * daemon_globals.h - what the unit tests (test/unit/unit_daemon.h) and
 * the fuzz targets (test/fuzz/harness.h) set up before daemon code
 * runs: config with the defaults, the counters zeroed, nothing logged.
 */
#ifndef TEST_DAEMON_GLOBALS_H
#define TEST_DAEMON_GLOBALS_H

#include <stdlib.h>

#include "l2tpns.h"
#include "log.h"

/* 0, or -1 when out of memory. */
static inline int
daemon_globals(void)
{
	stats = calloc(1, sizeof(*stats));
	config = calloc(1, sizeof(*config));
	if (stats == NULL || config == NULL)
		return -1;
	cfg_defaults(config);
	log_level = -1;
	return 0;
}

#endif
