/*
 * acctfile.h - usage files in accounting_dir (acctfile.c).
 */
#ifndef L2TPNS_ACCTFILE_H
#define L2TPNS_ACCTFILE_H

#include <stdint.h>
#include <time.h>

#include "l2tpns.h"

int	 acctfile_init(uint32_t max_sessions, time_t start);
/* accounting_dir or its interval changed (reload, CLI set). */
void	 acctfile_config_changed(void);
void	 acctfile_session_start(sid_t);
/* Before the session's address and counters go. */
void	 acctfile_session_end(sid_t);
/* Write a file now (the timer does it; the daemon at exit). */
int	 acctfile_dump(void);

#endif /* L2TPNS_ACCTFILE_H */
