/*
 * intercept.h - lawful interception (manual, "Interception"): a copy of
 * every packet of an intercepted session, both ways, sent as the
 * payload of a UDP datagram (the raw IP packet, no extra header) to the
 * session's snoop_ip:snoop_port.
 */
#ifndef L2TPNS_INTERCEPT_H
#define L2TPNS_INTERCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"

int	 intercept_init(void);
void	 intercept_copy(sid_t, const uint8_t *ip, size_t len);

#endif /* L2TPNS_INTERCEPT_H */
