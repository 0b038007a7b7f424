/*
 * mlppp.h - Multilink PPP bundles (RFC 1990), mlppp.c.
 *
 * ppp.c calls these at its hooks: the three LCP options of RFC 1990
 * 5.1 (MRRU, Short Sequence Number Header Format, Endpoint
 * Discriminator) while `multilink` is on, the bundle a link joins once
 * it is authenticated, protocol 0x003d frames, and the end of a link.
 * dataplane.c hands every downstream frame of a bundle to mlppp_send.
 *
 * A bundle is named by its first link (the "master" session): that
 * session holds the bundle's address, its IPCP/IPV6CP, its RADIUS
 * accounting and traffic counters.  The other links ("members") carry
 * LCP and authentication only; session.bundle names the master on
 * every link of a bundle of two links or more.
 */
#ifndef L2TPNS_MLPPP_H
#define L2TPNS_MLPPP_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"
#include "rd.h"
#include "mpreasm.h"

/* LCP option types, RFC 1990 5.1. */
#define LCP_MRRU	17
#define LCP_SSNHF	18
#define LCP_EPDISC	19

int	 mlppp_init(uint32_t max_sessions);
/* A new link: what our Configure-Request offers starts afresh. */
void	 mlppp_link_start(sid_t);
/* Our options (MRRU, Endpoint Discriminator) appended to `w`. */
void	 mlppp_lcp_build(sid_t, struct wr *w);
/* A peer Configure-Request is about to be checked. */
void	 mlppp_lcp_peer_reset(sid_t);
/*
 * One of the peer's options 17-19: 0 to acknowledge, 1 to Nak with
 * the value left in `nak` (`*naklen` octets), -1 to reject.
 */
int	 mlppp_lcp_check(sid_t, uint8_t type, const struct rd *val,
	    uint8_t *nak, size_t *naklen);
/* The peer's Configure-Nak / Configure-Reject of our option `type`. */
void	 mlppp_lcp_nak(sid_t, uint8_t type, const struct rd *val);
void	 mlppp_lcp_rej(sid_t, uint8_t type);
/* 1 when multilink is in effect on this link (MRRU both ways). */
int	 mlppp_active(sid_t);
/*
 * The link is authenticated as session_get(s)->user.  The master of
 * the existing bundle it joins (another session), or s itself (first
 * link of a new bundle, or no multilink): then it goes on as a session
 * of its own.
 */
sid_t	 mlppp_join(sid_t);
/* The master of s's bundle, or s. */
sid_t	 mlppp_master(sid_t);
/* 1 when s is a bundle's master, with its own link and others. */
int	 mlppp_others(sid_t);
/* s's link goes, the bundle stays on its others: 1 when so. */
int	 mlppp_detach(sid_t);
/* The link a detached master's frames leave on, 0 if s is none. */
sid_t	 mlppp_carrier(sid_t);
/* A 0x003d frame's Information from link s.  -1: not multilink. */
int	 mlppp_input(sid_t, const uint8_t *p, size_t len);
/*
 * A downstream frame of master s (its PPP Protocol field, headroom in
 * front): 1 when sent across the bundle, 0 when the caller sends it on
 * s as usual (no bundle, or a bundle of one link).
 */
int	 mlppp_send(sid_t, const uint8_t *frame, size_t len);
/* Link s ends (before DOWN): it leaves its bundle; a master's end
 * takes its members down with it. */
void	 mlppp_link_end(sid_t);

struct mlppp_stats {
	uint64_t	 bundles, joins;
	uint64_t	 tx_fragments, tx_whole;
	struct mp_reasm_stats rx;
};
/* Totals for show counters and the tests. */
void	 mlppp_get_stats(struct mlppp_stats *);

#endif /* L2TPNS_MLPPP_H */
