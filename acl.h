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

/*
 * Whether the session's filter lets an IPv4 packet through: 1 permit,
 * 0 deny.  Called only when the session names a filter that way.
 */
int	 acl_check_in(sid_t, const uint8_t *ip, size_t len);
int	 acl_check_out(sid_t, const uint8_t *ip, size_t len);

#endif /* L2TPNS_ACL_H */
