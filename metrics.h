/*
 * metrics.h - the monitoring HTTP server (libmicrohttpd, driven from our
 * event loop) and the Prometheus text exposition of GET /metrics.
 */
#ifndef L2TPNS_METRICS_H
#define L2TPNS_METRICS_H

#include <stddef.h>

/* A growing text buffer; err is set (and text dropped) when out of memory. */
struct mbuf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};
void	 mbuf_printf(struct mbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 mbuf_free(struct mbuf *);

/*
 * Listen on metrics_bind_address:metrics_port when metrics_port is set:
 * 0 (also when off), or -1 (logged) when the port cannot be opened.
 */
int	 metrics_init(void);
void	 metrics_close(void);
/* The whole exposition (Prometheus text format 0.0.4) into b. */
void	 metrics_render(struct mbuf *b);

/* HTTP limits, also stated in the manual (Monitoring). */
#define HTTP_MAX_CONNECTIONS	16
#define HTTP_MAX_PER_IP		4
#define HTTP_TIMEOUT_S		10

#endif /* L2TPNS_METRICS_H */
