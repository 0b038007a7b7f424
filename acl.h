/*
 * acl.h - access lists applied to sessions' traffic (manual, "Access
 * Lists", "Filtering"): Filter-Id "NAME.in" filters what the subscriber
 * sends, "NAME.out" what it is sent.
 */
#ifndef L2TPNS_ACL_H
#define L2TPNS_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"

/* A session's acl_in/acl_out when it names no list, or one that is gone. */
#define ACL_NONE	0xffff
#define ACL_GONE	0xfffe	/* its list was removed: deny everything */

/*
 * Compile the access lists of `c` (the running configuration after a
 * reload, or after a CLI edit) and make them the ones packets meet.  The
 * hit counter of a rule that is still there, unchanged, in a list of the
 * same name carries over; the others start at 0.  Every session looks its
 * filter names up again at its next packet.  Returns 0, or -1 when out of
 * memory (the previous lists then stay in force).
 */
int	 acl_reload(const struct config *c);

/*
 * Whether the session's filter lets an IPv4 packet through: 1 permit,
 * 0 deny.  Called only when the session names a filter that way.
 */
int	 acl_check_in(sid_t, const uint8_t *ip, size_t len);
int	 acl_check_out(sid_t, const uint8_t *ip, size_t len);

/* Index of a compiled list by name, or -1. */
int	 acl_lookup(const char *name);
/*
 * Run one IPv4 packet through compiled list `list`: 1 permit, 0 deny.
 * Counts the hit on the rule that decided (or on the implicit deny).
 */
int	 acl_match(int list, const uint8_t *ip, size_t len);
/*
 * The hit counter of rule `rule` (0-based) of list `name`; rule ==
 * the list's rule count reads the implicit deny at its end.  Returns 0,
 * or -1 if there is no such list or rule.
 */
int	 acl_hits(const char *name, int rule, uint64_t *hits);

#endif /* L2TPNS_ACL_H */
