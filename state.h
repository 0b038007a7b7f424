/*
 * state.h - the state file: sessions and tunnels kept over a restart,
 * an upgrade or a crash (state.c; manual, "Upgrading without dropping
 * subscribers").
 */
#ifndef L2TPNS_STATE_H
#define L2TPNS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"
#include "auth.h"
#include "radius.h"

#define STATE_MAGIC	"l2tpnsST"
#define STATE_VERSION	1
#define STATE_HEAD_SIZE	4096
#define STATE_FILE	"state"
#define STATE_LIVE	1	/* written by a running (or killed) daemon */

/* Record kinds. */
#define STATE_REC_SESSION	1
#define STATE_REC_TUNNEL	2

/*
 * The file: this header (its own checksum last), then per session index
 * 1..max_sessions two slots of sess_slot bytes, then per tunnel index
 * two slots of tun_slot bytes.  A record is written into the older slot
 * of its pair, its checksum last: a record cut by a crash fails its
 * checksum and the other slot (the previous version) is used.
 */
struct state_head {
	char		magic[8];
	uint32_t	version;
	uint32_t	head_size;
	uint32_t	layout;		/* fingerprint of the record layouts */
	uint32_t	endian;		/* 0x01020304 as written */
	uint32_t	sess_slot, tun_slot;
	uint32_t	max_sessions, max_tunnels;
	uint32_t	status;		/* STATE_LIVE */
	uint32_t	pid;		/* the writer */
	int64_t		created;	/* wall clock, seconds */
	char		tundev[32];
	uint32_t	crc;		/* CRC-32C of everything before it */
};

/* A slot: this, the payload, the CRC-32C of both in the slot's last
 * four octets.  seq 0 and crc 0: never written. */
struct state_rec {
	uint32_t	seq;		/* newer wins (serial arithmetic) */
	uint16_t	kind;
	uint16_t	len;		/* 0: the entry is free */
	uint32_t	idx;
	uint32_t	pad;
};

/* The payloads. */
struct state_sess {
	struct session		s;
	struct radius_saved	acct;
	uint8_t			nroutes;
	struct auth_route	route[AUTH_MAX_ROUTES];
};

struct state_tun {
	struct tunnel	t;
	uint8_t		have_seq;
	uint16_t	ns, nr;		/* l2tp_seq_get */
};

/* What a parse found. */
struct state_info {
	uint32_t	max_sessions, max_tunnels;
	uint32_t	pid;
	int64_t		created;
	char		tundev[32];
	uint32_t	sessions, tunnels;	/* live entries */
	uint32_t	torn;	/* newest copy half-written: previous one used */
	uint32_t	bad;	/* no valid copy: entry dropped */
	uint32_t	seq;	/* the newest record's */
};

typedef void (*state_rec_fn)(void *arg, int kind, uint32_t idx,
    const void *payload, size_t len);

/* ---- the codec (pure: unit test, fuzzer) ---- */
uint32_t state_crc32c(const void *, size_t);
uint32_t state_layout(void);
size_t	 state_slot_size(int kind);
size_t	 state_file_size(uint32_t max_sessions, uint32_t max_tunnels);
/* A fresh header for these sizes. */
void	 state_head_init(struct state_head *, uint32_t max_sessions,
	    uint32_t max_tunnels, const char *tundev);
/*
 * Check a whole file image and call fn for each live entry (newest valid
 * copy, payload checked for size).  0, or -1 with why set: what is wrong
 * (truncated, other version, other layout, checksum...).
 */
int	 state_parse(const uint8_t *buf, size_t len, struct state_info *,
	    state_rec_fn fn, void *arg, char *why, size_t whylen);
/* Write one record into the slot pair at `pair` (2 * slot bytes). */
void	 state_rec_write(uint8_t *pair, size_t slot, int *newer, uint32_t seq,
	    int kind, uint32_t idx, const void *payload, size_t len);

/* ---- the daemon ---- */
/* Startup, before privileges are dropped: read and check the previous
 * file (kept for state_adopt), create the new one.  Nothing without
 * save_state. */
int	 state_open(void);
/* Once every module is initialised: take the previous process's
 * sessions and tunnels over. */
void	 state_adopt(void);
/* Commit points: the entry as it stands goes to the file. */
void	 state_session(sid_t);
void	 state_tunnel(tid_t);
/* Whether a TERM leaves the sessions to the next process. */
int	 state_kept(void);
/* Exit: keep the file (TERM, for the next process) or remove it (QUIT). */
void	 state_close(int keep);
/* l2tpns -S: would the file be adopted?  Prints why; 0 yes, 1 refused
 * or unreadable, 2 none (no file, or save_state off). */
int	 state_check(void);

#endif /* L2TPNS_STATE_H */
