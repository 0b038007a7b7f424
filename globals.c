/*
 * globals.c - the process-wide variables every module may read, in one
 * small file, so that a unit test or a fuzz harness links it and needs
 * no stubs of its own.
 *
 * State owned:
 *   - `stats`, the counters of "show counters" (l2tpns.h).  They start
 *     in a zeroed static block; the daemon moves them to a MAP_SHARED
 *     page at startup (l2tpns.c) so that CLI children read them live.
 *   - `main_quit`, set by the signal handling of l2tpns.c: 1 on
 *     TERM/INT (sessions left to the cluster), 2 on QUIT (clean).
 *   - `progname`, for messages to standard error.
 *   - `config`, the running configuration (config.h), swapped whole by
 *     config.c on a reload.
 */
#include "l2tpns.h"
#include "config.h"

static struct counters counters_at_start;

struct counters *stats = &counters_at_start;
const char *progname = "l2tpns";
int main_quit;
struct config *config;
