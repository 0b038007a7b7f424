/*
 * cluster.h - the cluster: master election over multicast and the
 * replication of the session and tunnel tables (manual, "Clustering";
 * wire format in clustermsg.h).
 */
#ifndef L2TPNS_CLUSTER_H
#define L2TPNS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "l2tpns.h"

#define CL_MAX_PEERS	32

/*
 * Open the cluster socket on cluster_interface and join cluster_address.
 * When the interface does not exist or has no IPv4 address the server
 * runs stand-alone (it is its own master at once) and this says so in
 * the log; 0 either way, -1 only when the socket itself fails.
 */
int	 cluster_init(time_t started);
/* Leaving (SIGTERM/QUIT): tell the others, then close the socket. */
void	 cluster_close(void);
/* 1 if this node is the master (a stand-alone server always is). */
int	 iam_master(void);
/* 1 when clustering runs (the socket is open). */
int	 cluster_active(void);
/* Someone takes the sessions over when we exit: we are a slave, or a
 * master with an up-to-date slave alive.  0 when stand-alone. */
int	 cluster_successor(void);

/*
 * The replication hooks: the master queues the entry for its next
 * heartbeat.  cluster.c subscribes cluster_session_changed() to the
 * session notifier (UP, CHANGED, UNGARDENED; a freed slot comes through
 * tables.c's hook), l2tp.c's state setters call both for tunnels and
 * calls, and tables.c calls them from the alloc/release/bind functions.
 * Cheap: one bit test on a slave or a stand-alone server.
 */
void	 cluster_session_changed(sid_t);
void	 cluster_tunnel_changed(tid_t);

/*
 * A slave hands the master an L2TP control datagram it received from
 * `from` (the master answers from its own socket).  Returns 0 if it was
 * forwarded, -1 if there is no master to forward to.
 */
int	 cluster_forward_l2tp(const uint8_t *, size_t,
	    const struct sockaddr_in *from);

/*
 * A slave hands the master a downstream IP packet read from its TUN
 * device for a session (every node may raise routes: manual,
 * "Clustering"), or a Disconnect/CoA request that reached its DAE port
 * from `from` (the master answers from its own DAE socket).  0 if
 * forwarded, -1 if there is no master to forward to.
 */
int	 cluster_forward_ip(const uint8_t *, size_t);
int	 cluster_forward_dae(const uint8_t *, size_t,
	    const struct sockaddr_in *from);

/* One datagram from the cluster socket (exposed for the fuzz harness). */
void	 cluster_input(const uint8_t *, size_t);
/* The fuzz harness: a slave `me` following `master`, without a socket. */
void	 cluster_fuzz_reset(in_addr_t me, in_addr_t master);

/* "show cluster" (json = 0 text, 1 JSON), one line per call of fn. */
void	 cluster_show(int json, void (*fn)(void *, const char *), void *arg);

#endif /* L2TPNS_CLUSTER_H */
