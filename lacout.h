/*
 * lacout.h - outgoing L2TP (FireBrick 12.3.1, issue 23): configured
 * tunnels of ours to a remote LNS, each carrying one PPP session of our
 * own as a client.  lacout.c owns their life (open, reconnect with
 * backoff, routes); pppc.c is the PPP client on the session.
 */
#ifndef L2TPNS_LACOUT_H
#define L2TPNS_LACOUT_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "l2tpns.h"

struct l2tp_outgoing;

/* lacout.c: start the configured tunnels; after a reload, follow the
 * new configuration (changed or removed ones are closed). */
void	 lacout_init(void);
void	 lacout_reload(void);

/* l2tp.c tells lacout.c about its tunnels and calls. */
void	 lacout_tunnel_up(tid_t);
void	 lacout_tunnel_gone(tid_t, const char *why);
void	 lacout_call_up(sid_t);
void	 lacout_call_gone(sid_t, const char *why);
/* pppc.c: the network layer is up with our address, or PPP failed (the
 * call is cleared by pppc.c itself). */
void	 lacout_ppp_up(sid_t, in_addr_t addr, in_addr_t dns1, in_addr_t dns2);

/* pppc.c: the PPP client of session s, as configured by g (kept by
 * reference: lacout.c keeps it alive while the session lives). */
int	 pppc_start(sid_t, const struct l2tp_outgoing *g);
void	 pppc_end(sid_t);
void	 pppc_input(sid_t, const uint8_t *frame, size_t len);
int	 pppc_ip_up(sid_t);
/* The name of the authentication protocol agreed, "" before. */
const char *pppc_auth_name(sid_t);

/* l2tp.c, for lacout.c: a tunnel of ours to lns (SCCRQ, challenged
 * with secret if any), and an outgoing-side call on it (ICRQ) whose PPP
 * is ours (session->client).  0 when none could be made. */
tid_t	 l2tp_out_tunnel(const struct sockaddr_in *lns, const char *name,
	    const char *host, const char *secret);
sid_t	 l2tp_out_call(tid_t, const char *user);

#endif /* L2TPNS_LACOUT_H */
