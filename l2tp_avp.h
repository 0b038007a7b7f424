/*
 * l2tp_avp.h - private interface between l2tp.c and its message codec,
 * l2tp_avp.c (not for other modules).
 */
#ifndef L2TPNS_L2TP_AVP_H
#define L2TPNS_L2TP_AVP_H

#include <stddef.h>
#include <stdint.h>

#include "l2tp.h"
#include "rd.h"

#define MAXCTL		1400	/* largest control message we build */
#define BIT(a)		(1ULL << (a))

/* One parsed control message. */
struct msg {
	int		 type;
	int		 mbit;			/* M bit of Message Type */
	uint64_t	 present;		/* bit per attribute seen */
	int		 unknown_m;		/* unknown mandatory attr, or -1 */
	int		 bad_avp;		/* malformed AVP attr, or -1 */
	char		 why[128];		/* why bad_avp */
	uint16_t	 result, error;
	char		 errmsg[128];
	uint16_t	 proto_ver;
	uint16_t	 firmware;
	uint32_t	 framing_cap, bearer_cap, framing_type, bearer_type;
	uint32_t	 tx_speed, rx_speed, serial, min_bps, max_bps;
	uint16_t	 tunnel_id, session_id, rws;
	char		 host[MAXHOST], vendor[MAXHOST];
	char		 called[MAXCALLING], calling[MAXCALLING];
	char		 sub_address[MAXCALLING];
	uint8_t		 challenge[64];
	size_t		 chal_len;
	uint8_t		 chal_resp[16];
	uint8_t		 tie[8];
	uint8_t		 rv[64];
	size_t		 rv_len;
	struct l2tp_proxy proxy;
	int		 have_proxy;
	int		 hidden;		/* some AVP was hidden */
	uint32_t	 call_errors[6];
	uint32_t	 accm_send, accm_recv;
};


/*
 * Walk the AVPs of a control message (RFC 2661 4.1).  Returns 0, or -1
 * for a malformed message (m->why says why).
 */
int	 parse_avps(struct msg *, struct rd *, const char *secret);
/* 1 when `type` is a message type RFC 2661 defines (ZLB excluded). */
int	 l2tp_msg_known(int type);

/* Builders: a control message in a struct wr (util.h). */
struct wr;
void	 msg_start(struct wr *, uint8_t *buf, int type);
void	 put_header(uint8_t *p, uint16_t len, uint16_t tunnel,
	    uint16_t session, uint16_t ns, uint16_t nr);
void	 avp_hdr(struct wr *, uint16_t attr, size_t vlen, int mandatory);
void	 avp_u16(struct wr *, uint16_t attr, uint16_t v, int m);
void	 avp_u32(struct wr *, uint16_t attr, uint32_t v, int m);
void	 avp_bytes(struct wr *, uint16_t attr, const void *p, size_t n,
	    int m);
void	 avp_result(struct wr *, uint16_t attr, uint16_t result,
	    uint16_t error, const char *text);

#endif /* L2TPNS_L2TP_AVP_H */
