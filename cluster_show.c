/*
 * cluster_show.c - `show cluster` and its JSON form: this node's role,
 * its master, every peer with its uptime, last packet, up-to-date state
 * and lag, and the cluster's counters.  The original's lines (Cluster
 * status, My master, Uptodate) are kept for operators' scripts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "cluster.h"
#include "cluster_int.h"
#include "config.h"


static void
linef(void (*fn)(void *, const char *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
linef(void (*fn)(void *, const char *), void *arg, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, line);
}

int
cl_my_uptodate(void)
{
	return iam_master() || (cl.state == CS_SLAVE && cl.have_base &&
	    !cl.syncing);
}

/* Heartbeats behind: seen from the master, each slave; from a slave, us. */
static uint32_t
peer_lag(const struct peer *p)
{
	if (cl.state == CS_MASTER)
		return p->info.role ? 0 : cl.hb_seq - p->info.hb_seq;
	if (p->info.role)
		return 0;
	return cl.master_hb > p->info.hb_seq ? cl.master_hb -
	    p->info.hb_seq : 0;
}

void
cluster_show(int json, void (*fn)(void *, const char *), void *arg)
{
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	char drops[512];
	const char *status = iam_master() ? "Master" : "Slave";
	in_addr_t master = iam_master() ? cl.my_addr :
	    cl.master ? cl.master->addr : 0;
	uint32_t lag = cl.state == CS_SLAVE && cl.master_hb > cl.applied ?
	    cl.master_hb - cl.applied : 0;
	size_t dl = 0;
	int i, n = 0;

	drops[0] = '\0';
	for (i = 1; i < CL_E_MAX; i++)
		dl += (size_t)snprintf(drops + dl, sizeof(drops) - dl,
		    json ? "%s\"%s\":%llu" : "%s%s %llu", i > 1 ? (json ? "," :
		    ", ") : "", cl_err_name(i), (unsigned long long)cl.drops[i]);
	dl += (size_t)snprintf(drops + dl, sizeof(drops) - dl,
	    json ? ",\"layout\":%llu" : ", layout %llu",
	    (unsigned long long)cl.drop_layout);

	if (json) {
		linef(fn, arg, "{\"status\":\"%s\",\"state\":\"%s\","
		    "\"standalone\":%s,\"address\":\"%s\",\"master\":\"%s\","
		    "\"uptodate\":%s,\"authenticated\":%s,\"hb_seq\":%u,"
		    "\"applied\":%u,\"lag\":%u,\"rx\":%llu,\"tx\":%llu,"
		    "\"tx_errors\":%llu,\"forwarded\":%llu,"
		    "\"forwards_received\":%llu,\"forward_failures\":%llu,"
		    "\"tx_bytes\":%llu,\"heartbeat_bytes\":%llu,"
		    "\"changes_sent\":%llu,\"refreshes_sent\":%llu,"
		    "\"takeover_ms\":%.1f,\"announcing\":%s,"
		    "\"uptodate_slaves\":%u,\"records_applied\":%llu,"
		    "\"resyncs\":%llu,\"elections\":%llu,\"drops\":{%s},"
		    "\"peers\":[", status, cl_state_names[cl.state],
		    cl.state == CS_STANDALONE ? "true" : "false",
		    cl_ipstr(cl.my_addr, a), cl_ipstr(master, m),
		    cl_my_uptodate() ? "true" : "false",
		    config->cluster_key[0] ? "true" : "false",
		    cl.state == CS_MASTER ? cl.hb_seq : cl.master_hb,
		    cl.applied, lag, (unsigned long long)cl.rx,
		    (unsigned long long)cl.tx,
		    (unsigned long long)cl.tx_errors,
		    (unsigned long long)cl.forwarded,
		    (unsigned long long)cl.fwd_received,
		    (unsigned long long)cl.fwd_failed,
		    (unsigned long long)cl.tx_bytes,
		    (unsigned long long)cl.hb_bytes,
		    (unsigned long long)cl.changes_sent,
		    (unsigned long long)cl.refresh_sent,
		    (double)cl.takeover_us / 1000.0,
		    cl.announcing == 1 ? "true" : "false", cl.uptodate_slaves,
		    (unsigned long long)cl.records_applied,
		    (unsigned long long)cl.resyncs,
		    (unsigned long long)cl.elections, drops);
		for (i = 0; i < CL_MAX_PEERS; i++) {
			const struct peer *p = &cl.peers[i];

			if (!p->addr)
				continue;
			linef(fn, arg, "%s{\"address\":\"%s\",\"role\":\"%s\","
			    "\"uptime_s\":%lld,\"last_seen_ms\":%llu,"
			    "\"alive\":%s,\"uptodate\":%s,\"lag\":%u,"
			    "\"sessions\":%u,\"tunnels\":%u}", n++ ? "," : "",
			    cl_ipstr(p->addr, a), p->info.role ? "master" :
			    "slave", (long long)(cl_wall_ms() - p->epoch) / 1000,
			    (unsigned long long)(now_ms - p->last_ms),
			    cl_peer_alive(p) ? "true" : "false",
			    p->info.uptodate ? "true" : "false", peer_lag(p),
			    p->info.sessions, p->info.tunnels);
		}
		linef(fn, arg, "]}");
		return;
	}

	linef(fn, arg, "Cluster status : %s", status);
	if (cl.state == CS_STANDALONE) {
		linef(fn, arg, "Cluster        : stand-alone (%s)",
		    cl.why_standalone);
		linef(fn, arg, "Uptodate       : Yes");
		return;
	}
	linef(fn, arg, "My address     : %s", cl_ipstr(cl.my_addr, a));
	linef(fn, arg, "VIP address    : %s", cl_ipstr(config->bind_address, a));
	linef(fn, arg, "Multicast      : %s port %d on %s, ttl %d",
	    cl_ipstr(config->cluster_address, g), config->cluster_port,
	    config->cluster_interface, config->cluster_mcast_ttl);
	linef(fn, arg, "Authentication : %s", config->cluster_key[0] ?
	    "HMAC-SHA-256 (cluster_key)" : "none (no cluster_key)");
	linef(fn, arg, "State          : %s", cl_state_names[cl.state]);
	if (master)
		linef(fn, arg, "My master      : %s", cl_ipstr(master, m));
	else
		linef(fn, arg, "My master      : (none)");
	linef(fn, arg, "Uptodate       : %s", cl_my_uptodate() ? "Yes" : "No");
	if (cl.state == CS_MASTER)
		linef(fn, arg, "Heartbeat      : %u sent, %u changes queued",
		    cl.hb_seq, cl.qlen);
	else
		linef(fn, arg, "Heartbeat      : %u applied, %u announced, "
		    "lag %u%s", cl.applied, cl.master_hb, lag, cl.syncing ?
		    ", resync in progress" : "");
	linef(fn, arg, "Packets        : %llu received, %llu sent, %llu "
	    "forwarded, %llu forwards received",
	    (unsigned long long)cl.rx, (unsigned long long)cl.tx,
	    (unsigned long long)cl.forwarded,
	    (unsigned long long)cl.fwd_received);
	linef(fn, arg, "Routes         : %s (%u up-to-date slave%s, "
	    "cluster_master_min_adv %d)", cl.announcing == 1 ? "raised" :
	    "dropped", cl.uptodate_slaves, cl.uptodate_slaves == 1 ? "" : "s",
	    config->cluster_master_min_adv);
	linef(fn, arg, "Dropped        : %s", drops);
	linef(fn, arg, "%-15s %-6s %10s %12s %-8s %6s", "Peer", "Role",
	    "Uptime", "Last seen", "Uptodate", "Lag");
	for (i = 0; i < CL_MAX_PEERS; i++) {
		const struct peer *p = &cl.peers[i];

		if (!p->addr)
			continue;
		linef(fn, arg, "%-15s %-6s %9llds %10.1fs %-8s %6u%s",
		    cl_ipstr(p->addr, a), p->info.role ? "master" : "slave",
		    (long long)(cl_wall_ms() - p->epoch) / 1000,
		    (double)(now_ms - p->last_ms) / 1000.0,
		    p->info.uptodate ? "Yes" : "No", peer_lag(p),
		    cl_peer_alive(p) ? "" : " (gone)");
	}
}
