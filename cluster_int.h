/*
 * cluster_int.h - what cluster.c and cluster_show.c share: the node's
 * state, its peers and the small helpers both use.  Nothing outside the
 * cluster includes this; the rest of the daemon uses cluster.h.
 */
#ifndef L2TPNS_CLUSTER_INT_H
#define L2TPNS_CLUSTER_INT_H

#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include "l2tpns.h"
#include "clustermsg.h"
#include "event.h"

#define HB_HISTORY	128	/* heartbeats kept for LASTSEEN */

enum cl_state { CS_STANDALONE, CS_WAITING, CS_SLAVE, CS_MASTER, CS_MAX };
extern const char *const cl_state_names[CS_MAX];

struct peer {
	in_addr_t	 addr;		/* 0 = free slot */
	uint64_t	 epoch;		/* its start, ms since 1970 */
	uint64_t	 last_ms;	/* now_ms of its last good datagram */
	struct cl_replay rp;
	struct cl_node	 info;		/* from its last ping/heartbeat */
	int		 gone;		/* said goodbye */
	/* master side: a resync in progress to this peer */
	int		 syncing;
	uint32_t	 sync_id, sync_base;
	uint8_t		 sync_kind;
	uint32_t	 sync_next;
};

struct hb_hist {
	uint32_t	 seq;
	uint16_t	 len;
	uint8_t		*body;
};

struct cluster_state {
	enum cl_state	 state;
	int		 fd;
	in_addr_t	 my_addr;
	uint64_t	 epoch;		/* our start, ms since 1970 */
	uint32_t	 tx_seq;	/* datagram sequence, per epoch */
	time_t		 started;
	struct sockaddr_in group;
	struct timer	 tick, sync_timer;
	struct peer	 peers[CL_MAX_PEERS];
	/* slave */
	struct peer	*master;
	uint64_t	 master_last_ms;	/* last heartbeat, or entering WAITING */
	uint32_t	 master_hb;	/* highest hb seq the master announced */
	int		 have_base;	/* synced: applied != gaps */
	uint32_t	 expected;	/* next hb seq to apply */
	uint32_t	 applied;	/* last applied */
	uint64_t	 last_ask_ms;
	uint32_t	 sync_id;	/* the sync being received */
	uint8_t		 sync_kind;
	uint32_t	 sync_next;
	int		 syncing;
	int		 master_lost;	/* goodbye or restart: elect now */
	uint64_t	 last_sync_ms;	/* last sync chunk applied */
	uint32_t	 created;	/* entries allocated while master */
	uint32_t	 adopted;	/* entries taken over on becoming master */
	/* slave: each tunnel's replicated control channel (CL_REC_TCTL,
	 * the record's data as received), for become_master */
	uint8_t		**tctl;
	uint16_t	*tctl_len;
	/* master */
	uint32_t	 hb_seq;	/* last heartbeat sent */
	uint8_t		*dirty_s, *dirty_t;	/* bit per index */
	uint32_t	*queue;		/* (kind << 31) | index */
	uint32_t	 qlen, qcap;
	struct hb_hist	 hist[HB_HISTORY];
	uint32_t	 next_sync_id;
	uint32_t	 walk_s, walk_t;	/* round-robin refresh cursors */
	/* counters */
	uint64_t	 rx, tx, tx_errors, forwarded, fwd_received, fwd_failed;
	uint64_t	 tx_bytes, hb_bytes;	/* datagrams' sizes, MAC included */
	uint64_t	 changes_sent, refresh_sent;	/* heartbeat records */
	uint64_t	 takeover_us;	/* the last become_master() */
	int		 announcing;	/* what BGP was told, -1 nothing yet */
	int		 ever_uptodate;	/* a resync completed in this run */
	uint32_t	 uptodate_slaves;	/* master: alive, up to date */
	uint64_t	 records_applied, resyncs, elections;
	uint64_t	 drops[CL_E_MAX];
	uint64_t	 drop_self, drop_layout;
	int		 warned_nokey;
	char		 why_standalone[96];
};

extern struct cluster_state cl;

const char	*cl_ipstr(in_addr_t, char *buf);	/* INET_ADDRSTRLEN */
uint64_t	 cl_wall_ms(void);		/* ms since 1970 */
int		 cl_peer_alive(const struct peer *);
/* This node holds the tables as the master has them. */
int		 cl_my_uptodate(void);

#endif /* L2TPNS_CLUSTER_INT_H */
