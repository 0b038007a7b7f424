/*
 * setrxspeed.c - plugin: fill in the receive connect speed.
 *
 * Some LACs report only the transmit speed of a line (Tx Connect Speed,
 * RFC 2661 4.4.5).  When a session is authenticated without an Rx
 * Connect Speed, this plugin sets one from the usual ADSL profiles, which
 * "show session" and accounting then report:
 *	Tx 256 kbit/s -> Rx 64 kbit/s, 512 -> 128, 1500 -> 256.
 * A LAC that reports speeds in kbit/s rather than bit/s is recognised by
 * the small value, and answered in the same unit.
 */
#include "plugutil.h"

PU_PLUGIN_HEAD

static const struct {
	uint64_t	tx, rx;		/* kbit/s */
} profiles[] = {
	{ 256, 64 },
	{ 512, 128 },
	{ 1500, 256 },
};


int
plugin_post_auth(struct param_post_auth *p)
{
	uint64_t tx, rx, scale = 1000;
	size_t i;

	if (!p->auth_allowed ||
	    f->session_get_int(p->sid, PSF_RX_SPEED, &rx) < 0 || rx != 0 ||
	    f->session_get_int(p->sid, PSF_TX_SPEED, &tx) < 0 || tx == 0)
		return PLUGIN_RET_OK;
	if (tx < 10000)
		scale = 1;	/* the LAC counts in kbit/s */
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (tx == profiles[i].tx * scale) {
			f->session_set_int(p->sid, PSF_RX_SPEED,
			    profiles[i].rx * scale);
			f->log(PLUGIN_LOG_DEBUG, p->sid, p->tid, "rx speed "
			    "set to %llu from tx %llu",
			    (unsigned long long)(profiles[i].rx * scale),
			    (unsigned long long)tx);
			break;
		}
	return PLUGIN_RET_OK;
}
