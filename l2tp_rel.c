/*
 * l2tp_rel.c - reliable delivery of L2TP control messages (RFC 2661
 * 5.8): per tunnel, the queue of messages waiting for acknowledgement,
 * the peer's window, retransmission with backoff, acknowledgements and
 * the reordering of early messages.
 *
 * State owned: the queues and out-of-order slots inside struct tctl
 * (l2tp_int.h), and the global byte counts that cap them (finding 6 of
 * issue 20).  Gives up on a tunnel through tunnel_event() (l2tp.c),
 * which owns the tunnel's state.
 */
#include <stdlib.h>
#include <string.h>

#include "l2tp_int.h"
#include "cluster.h"
#include "l2tp_avp.h"
#include "log.h"
#include "rd.h"
#include "state.h"
#include "util.h"

static size_t sendq_bytes, ooo_bytes;

static void send_window(tid_t);

/*
 * A copy of the message p (len octets) with Ns ns at the tail of c's
 * send queue, not sent yet; NULL when out of memory.
 */
static struct qmsg *
sendq_add(struct tctl *c, uint16_t ns, const void *p, uint16_t len)
{
	struct qmsg *q = malloc(sizeof(*q) + len);

	if (q == NULL)
		return NULL;
	q->next = NULL;
	q->ns = ns;
	q->len = len;
	q->sent = 0;
	memcpy(q->data, p, len);
	if (c->q_tail)
		c->q_tail->next = q;
	else
		c->q_head = q;
	c->q_tail = q;
	c->qlen++;
	sendq_bytes += len;
	return q;
}

void
send_zlb(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	uint8_t p[12];

	put_header(p, 12, tp->far_id, 0, c->ns, c->nr);
	l2tp_udp_send(&tp->peer, p, 12, t);
	stats->l2tp_zlb_tx++;
	c->sent_since_rx = 1;
}

/*
 * Queue a built message (Ns assigned now) and send what the peer's
 * window allows.  `session` is the peer's session id for the header.
 * Past the send queue's caps the message is not queued and the tunnel
 * is cleared from the retransmission timer (not here: the caller still
 * uses the tunnel).
 */
int
ctl_queue(tid_t t, struct wr *w, uint16_t session, int type)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;

	if (w->err) {
		LOG(LOG_ERROR_L, 0, t, "%s too large to build",
		    l2tp_msg_name(type));
		return -1;
	}
	if (c->overflow)
		return -1;
	if (c->qlen >= SENDQ_MAX || sendq_bytes + w->len > SENDQ_MAX_BYTES) {
		stats->l2tp_sendq_overflows++;
		LOG(LOG_ERROR_L, 0, t, "send queue full (%u messages, %zu bytes "
		    "queued in all): peer %s does not acknowledge, clearing",
		    c->qlen, sendq_bytes, tp->hostname);
		c->overflow = 1;
		timer_set(&c->rtx, 0);
		return -1;
	}
	if ((q = sendq_add(c, c->ns, w->p, (uint16_t)w->len)) == NULL) {
		LOG(LOG_ERROR_L, 0, t, "out of memory queueing %s",
		    l2tp_msg_name(type));
		return -1;
	}
	c->ns++;
	stats->l2tp_ctrl_tx_type[type > 0 && type <= M_MAX ? type : 0]++;
	put_header(q->data, q->len, tp->far_id, session, q->ns, 0);
	LOG(LOG_INFO_L, 0, t, "send %s Ns=%u", l2tp_msg_name(type), q->ns);
	send_window(t);
	state_tunnel(t);	/* Ns committed (state.c) */
	cluster_tunnel_changed(t);	/* the queue, replicated */
	return 0;
}

static int
seq_lt(uint16_t a, uint16_t b)
{
	return (int16_t)(a - b) < 0;
}

/*
 * Send queued messages that fit in the peer's receive window.
 *
 * Until the peer acknowledges one of our messages its address is
 * unverified (anyone can send an SCCRQ with a forged source), so our
 * answer (SCCRP, or a refusing StopCCN) is transmitted UNVERIFIED_TRIES
 * times, not l2tp_max_retries: one retransmission covers a lost SCCRP
 * as RFC 2661 5.8 asks, and beyond that the LAC, which MUST retransmit
 * its SCCRQ until it hears from us, gets the answer again for each
 * SCCRQ (input_new_tunnel).  A forged SCCRQ so costs at most two
 * datagrams, and the tunnel goes at l2tp_setup_timeout.
 */
static void
send_window(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;
	uint16_t first;

	if (c->q_head == NULL)
		return;
	first = c->q_head->ns;
	for (q = c->q_head; q; q = q->next) {
		if ((uint16_t)(q->ns - first) >= c->peer_rws)
			break;
		if (q->sent)
			continue;
		/* Nr is current at every transmission (5.8). */
		wr_put16_at(&(struct wr){ q->data, q->len, q->len, 0 }, 10, c->nr);
		l2tp_udp_send(&tp->peer, q->data, q->len, t);
		q->sent = 1;
		c->sent_since_rx = 1;
	}
	/* An unverified peer: one timer run only (UNVERIFIED_TRIES). */
	if (!timer_pending(&c->rtx) && (c->verified || c->tries == 0)) {
		c->tries = 1;
		c->rtx_ms = RTX_FIRST_MS;
		timer_set(&c->rtx, c->rtx_ms);
	}
}

/* Send again what was sent and not acknowledged, within the window. */
uint16_t
ctl_resend(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;
	uint16_t first = c->q_head ? c->q_head->ns : c->ns;

	for (q = c->q_head; q; q = q->next) {
		if ((uint16_t)(q->ns - first) >= c->peer_rws || !q->sent)
			break;
		wr_put16_at(&(struct wr){ q->data, q->len, q->len, 0 }, 10, c->nr);
		l2tp_udp_send(&tp->peer, q->data, q->len, t);
		stats->l2tp_retransmits++;
	}
	return first;
}

static void
rtx_fire(struct timer *tm, void *arg)
{
	tid_t t = (tid_t)(uintptr_t)arg;
	struct tctl *c = tctl[t];
	uint16_t first;

	(void)tm;
	if (c->overflow) {
		tunnel_event(t, TEV_RTX_FAIL, "send queue overflow");
		return;
	}
	if (c->q_head == NULL)
		return;
	if (c->tries >= config->l2tp_max_retries) {
		/*
		 * RFC 2661 5.8: no response after several tries (5 by
		 * default, and it SHOULD be configurable): clear.
		 */
		LOG(LOG_ERROR_L, 0, t, "peer %s did not acknowledge Ns=%u after "
		    "%d tries: clearing tunnel", tunnel_get(t)->hostname,
		    c->q_head->ns, c->tries);
		stats->l2tp_rtx_timeouts++;
		tunnel_event(t, TEV_RTX_FAIL, "no acknowledgement");
		return;
	}
	if (!c->verified && c->tries >= UNVERIFIED_TRIES)
		return;		/* see send_window */
	first = ctl_resend(t);
	LOG(LOG_WARN_L, 0, t, "retransmitted from Ns=%u (try %d)", first,
	    c->tries + 1);
	c->tries++;
	c->rtx_ms *= 2;
	if (c->rtx_ms > RTX_CAP_MS)
		c->rtx_ms = RTX_CAP_MS;
	timer_set(&c->rtx, c->rtx_ms);
}

/* Peer acknowledged everything before nr. */
void
ctl_ack(tid_t t, uint16_t nr)
{
	struct tctl *c = tctl[t];
	struct qmsg *q;
	int freed = 0;

	while ((q = c->q_head) != NULL && seq_lt(q->ns, nr) && q->sent) {
		c->q_head = q->next;
		c->qlen--;
		sendq_bytes -= q->len;
		free(q);
		freed++;
	}
	if (c->q_head == NULL)
		c->q_tail = NULL;
	if (!freed)
		return;
	c->verified = 1;
	if (!c->overflow)
		timer_cancel(&c->rtx);
	if (c->q_head) {
		send_window(t);
	} else if (tunnel_get(t)->state == TUNNEL_DYING && main_quit == 2) {
		/* Shutting down: our StopCCN was acknowledged. */
		tunnel_event(t, TEV_HOLD_DONE, "StopCCN acknowledged");
	}
}

/* Drop the queues of a tunnel being freed. */
void
rel_free(struct tctl *c)
{
	struct qmsg *q;
	int i;

	timer_cancel(&c->rtx);
	timer_cancel(&c->st);
	while ((q = c->q_head) != NULL) {
		c->q_head = q->next;
		sendq_bytes -= q->len;
		free(q);
	}
	for (i = 0; i < OUR_RWS; i++)
		if (c->ooo[i] != NULL) {
			ooo_bytes -= c->ooo_len[i];
			free(c->ooo[i]);
		}
	free(c);
}

/*
 * A control message with Ns ahead of the one we expect, within our
 * window: keep it (session id, then the AVPs) until the gap fills.
 */
static void
ooo_store(tid_t t, const struct sockaddr_in *from, uint16_t ns,
    uint16_t session, const uint8_t *p, size_t len)
{
	struct tctl *c = tctl[t];
	unsigned slot = ns % OUR_RWS;

	if (c->ooo[slot] != NULL) {
		l2tp_drop(D_DUPLICATE, from, t);
		return;
	}
	if (ooo_bytes + len + 2 > OOO_MAX_BYTES) {
		stats->l2tp_ooo_overflows++;
		l2tp_drop(D_OOO_FULL, from, t);
		return;
	}
	if ((c->ooo[slot] = malloc(len + 2)) == NULL) {
		l2tp_drop(D_NO_RESOURCES, from, t);
		return;
	}
	c->ooo[slot][0] = (uint8_t)(session >> 8);
	c->ooo[slot][1] = (uint8_t)session;
	memcpy(c->ooo[slot] + 2, p, len);
	c->ooo_len[slot] = (uint16_t)(len + 2);
	ooo_bytes += len + 2;
	stats->l2tp_out_of_order++;
}


/*
 * The reordering queue (RFC 2661 5.8): deliver a message in sequence,
 * then whatever was waiting behind it; keep one that is early; drop a
 * duplicate (it is acknowledged again) or one outside the window.
 */
void
ctl_reorder(tid_t t, const struct sockaddr_in *from, uint16_t ns,
    uint16_t session, const uint8_t *p, size_t len)
{
	struct tctl *c = tctl[t];

	if (seq_lt(ns, c->nr)) {
		l2tp_drop(D_DUPLICATE, from, t);
		return;
	}
	if (ns != c->nr) {
		if ((uint16_t)(ns - c->nr) < OUR_RWS)
			ooo_store(t, from, ns, session, p, len);
		else
			l2tp_drop(D_OUT_OF_WINDOW, from, t);
		return;
	}
	c->nr++;
	ctl_deliver(t, from, session, p, len);
	while ((c = tctl[t]) != NULL) {
		unsigned slot = c->nr % OUR_RWS;
		uint8_t *q = c->ooo[slot];
		uint16_t qlen = c->ooo_len[slot], qs = 0;
		struct rd r;

		if (q == NULL)
			break;
		c->ooo[slot] = NULL;
		ooo_bytes -= qlen;
		rd_init(&r, q, qlen);
		rd_u16(&r, &qs);
		c->nr++;
		ctl_deliver(t, from, qs, r.p, r.left);
		free(q);
	}
}

void
rel_init(tid_t t)
{
	timer_init(&tctl[t]->rtx, rtx_fire, (void *)(uintptr_t)t);
}

/* ---- cluster replication (issue 18; l2tp.h) ---- */

int
l2tp_ctl_export(tid_t t, uint16_t *ns, uint16_t *nr, l2tp_qmsg_fn fn,
    void *arg)
{
	struct tctl *c = tctl != NULL && t && t <= tables->max_tunnels ?
	    tctl[t] : NULL;
	const struct qmsg *q;

	/* Inherited and the LAC not heard yet: no numbers to give. */
	if (c == NULL || c->adopted == 1)
		return -1;
	*ns = c->ns;
	*nr = c->nr;
	for (q = c->q_head; q != NULL; q = q->next)
		fn(arg, q->ns, q->data, q->len);
	return 0;
}

void
l2tp_ctl_import(tid_t t, uint16_t ns, uint16_t nr)
{
	struct tctl *c = tctl != NULL && t && t <= tables->max_tunnels ?
	    tctl[t] : NULL;

	if (c == NULL || c->adopted != 1 || c->q_head != NULL)
		return;
	c->adopted = 2;
	c->ns = ns;
	c->nr = nr;
	c->verified = 1;	/* the old master heard from this peer */
}

int
l2tp_ctl_requeue(tid_t t, uint16_t ns, const uint8_t *p, uint16_t len)
{
	struct tctl *c = tctl != NULL && t && t <= tables->max_tunnels ?
	    tctl[t] : NULL;
	struct qmsg *q;

	/* In order, before our next Ns, a whole control header at least. */
	if (c == NULL || c->adopted != 2 || len < 12 ||
	    !seq_lt(ns, c->ns) ||
	    (c->q_tail != NULL && ns != (uint16_t)(c->q_tail->ns + 1)) ||
	    c->qlen >= SENDQ_MAX || sendq_bytes + len > SENDQ_MAX_BYTES ||
	    (q = sendq_add(c, ns, p, len)) == NULL)
		return -1;
	/* Our tunnel id at the LAC and the Ns are ours to vouch for. */
	wr_put16_at(&(struct wr){ q->data, len, len, 0 }, 4,
	    tunnel_get(t)->far_id);
	wr_put16_at(&(struct wr){ q->data, len, len, 0 }, 8, ns);
	LOG(LOG_INFO_L, 0, t, "send again Ns=%u (unacknowledged at the old "
	    "master)", ns);
	stats->l2tp_retransmits++;
	send_window(t);
	return 0;
}

/*
 * RFC 2661 5.8: the LAC's Nr is the next Ns it expects from us and
 * acknowledges the ones before; its Ns is at most the one we expect (a
 * lower one is a duplicate we acknowledge).  The replicated numbers fit
 * unless the old master sent or accepted a message after the heartbeat
 * that carried them.
 */
int
rel_adopt_ok(tid_t t, uint16_t ns, uint16_t nr)
{
	struct tctl *c = tctl[t];
	uint16_t lo = c->q_head != NULL ? c->q_head->ns : c->ns;

	return !seq_lt(c->ns, nr) && !seq_lt(nr, lo) && !seq_lt(c->nr, ns);
}

void
rel_drop_queue(tid_t t)
{
	struct tctl *c = tctl[t];
	struct qmsg *q;

	timer_cancel(&c->rtx);
	while ((q = c->q_head) != NULL) {
		c->q_head = q->next;
		sendq_bytes -= q->len;
		free(q);
	}
	c->q_tail = NULL;
	c->qlen = 0;
	c->tries = 0;
}

/* The numbers a state file or a new cluster master carries over. */
int
l2tp_seq_get(tid_t t, uint16_t *ns, uint16_t *nr)
{
	struct tctl *c = tctl != NULL && t && t <= tables->max_tunnels ?
	    tctl[t] : NULL;
	const struct qmsg *q;

	if (c == NULL)
		return -1;
	*ns = c->ns;
	for (q = c->q_head; q != NULL; q = q->next)
		if (!q->sent) {
			*ns = q->ns;
			break;
		}
	*nr = c->nr;
	return 0;
}

void
l2tp_seq_set(tid_t t, uint16_t ns, uint16_t nr)
{
	struct tctl *c = tctl != NULL && t && t <= tables->max_tunnels ?
	    tctl[t] : NULL;

	if (c == NULL || !c->adopted)
		return;
	c->adopted = 0;
	c->ns = ns;
	c->nr = nr;
	c->verified = 1;
}
