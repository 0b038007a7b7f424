/*
 * haset.h - HA sets (FireBrick 12.3.3), haset.c.
 *
 * Sessions given the same HA set name (Cisco-AVPair "ha-set=NAME" in
 * the Access-Accept, or `ha-set NAME` on an `l2tp session` rule) form
 * one set: one address, held by the set's anchor; every downstream
 * packet goes to each member, and of the copies coming up the first is
 * passed on, the later ones dropped.
 */
#ifndef L2TPNS_HASET_H
#define L2TPNS_HASET_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"

#define HASET_MAX_MEMBERS	4
#define HASET_NAME_MAX		32	/* with its NUL */

struct auth_reply;

int	 haset_init(uint32_t max_sessions);
/* The set a reply names ("ha-set" Cisco-AVPair), or NULL. */
const char *haset_reply_name(const struct auth_reply *);
/*
 * s authenticated with set `name`: it joins (creating the set as its
 * anchor).  Returns the anchor (s when it is the first), 0 when the set
 * is full or its anchor has no address yet.
 */
sid_t	 haset_join(sid_t s, const char *name);
/* s shares an address it does not hold: no route, no pool entry. */
int	 haset_passive(sid_t s);
/*
 * The members of s's set in join order (s among them), up to
 * HASET_MAX_MEMBERS; 0 when s is in no set.
 */
unsigned haset_members(sid_t s, sid_t *out);
/* n copies more than one went down for s's set. */
void	 haset_count_copies(sid_t s, unsigned n);
/* 1 when this upstream IP packet of s's set was seen already. */
int	 haset_dup(sid_t s, const uint8_t *p, size_t len);
/*
 * s's IPCP goes down or s ends: it leaves its set; an anchor hands the
 * address (route, pool entry) to the next member with IPCP up first.
 */
void	 haset_leave(sid_t s);
/* s's slot is done with (the end of ppp_session_end). */
void	 haset_link_end(sid_t s);

/* For show ha-set: the i-th set in use, -1 past the last. */
struct haset_view {
	char		 name[HASET_NAME_MAX];
	in_addr_t	 ip;
	sid_t		 anchor;
	sid_t		 member[HASET_MAX_MEMBERS];
	unsigned	 n;
	uint64_t	 copies_tx, dups_rx, first_rx;
};
int	 haset_get(unsigned i, struct haset_view *);
unsigned haset_count(void);

#endif /* L2TPNS_HASET_H */
