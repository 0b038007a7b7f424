"""The cluster's row of the benchmarks (`make bench-cluster`, also run by
`make bench`): what replication costs and how long a failover takes with
10,000 sessions.  Not part of `make system` (the name does not match
test_*.py; pytest runs it when named).

Two nodes on a bridge, each in its own namespace, with cluster_key set
(every datagram signed), cluster_hb_interval 5 and cluster_hb_timeout
10 (0.5 s and 1 s); lacsim brings 10,000 PPP sessions (50 tunnels of
200) up through the slave, which forwards to the master.  Measured from
the master's counters ("show cluster json": bytes of heartbeat
datagrams sent, MAC and headers included; table entries sent because
they changed, and entries resent by the refresh walk):

  - heartbeat bytes per session set up, and per changed entry sent;
  - the idle cost: heartbeat bytes per second with 10,000 sessions up;
  - failover: SIGKILL of the master to "I am the master now" on the
    slave (detection, hence bounded below by cluster_hb_timeout), and
    the takeover itself (become_master(): L2TP, PPP, routes and
    accounting of every session), from its own log line.

These are bytes and seconds, not CPU speed: the figures do not depend
much on the machine.  The result is written into the "Clustering"
section of Docs/performance.md and kept in
/var/tmp/l2tpns-bench/cluster-DATE.json.
"""
import json
import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from conftest import REPO, wait_until
from test_cluster import KEY, NET, cluster  # noqa: F401
from test_cluster import lac_segment, wait_follows, wait_master

LACSIM = REPO / "test" / "lacsim" / "lacsim"
TUNNELS, PER_TUNNEL = 50, 200
N = TUNNELS * PER_TUNNEL
OUT = Path("/var/tmp/l2tpns-bench")


def test_cluster_replication_and_failover(cluster, netns):
    cl = cluster
    vip = f"{NET}.100"
    nodes = [cl.node(i, key=KEY, vip=vip, subscribers="* password\n",
                     ip_pool="10.200.0.0/18\n", debug=2,
                     cluster_hb_interval=5, cluster_hb_timeout=10)
             for i in (1, 2)]
    n1, n2 = nodes
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    lacns, _ = lac_segment(cl, netns, vip, n2)     # the LAC to the slave
    s0 = cl.state(n1)
    t0 = time.monotonic()
    p = lacns.popen([str(LACSIM), "--lns", vip, "--json", "--ppp",
                     "--tunnels", TUNNELS, "--sessions", PER_TUNNEL,
                     "--max-pending", 200, "--hold", 600, "--timeout", 300],
                    stdout=subprocess.PIPE, text=True)
    res = {}
    try:
        up = 0
        while up < N:
            line = p.stdout.readline()
            assert line, f"lacsim ended with {up} sessions up"
            ev = json.loads(line)
            assert ev["event"] not in ("done", "error"), ev
            up += ev["event"] == "ppp_up"
        setup_s = time.monotonic() - t0

        def on(d):
            c = json.loads(cl.cli(d).cmd("show counters json"))
            return c["sessions"]
        wait_until(lambda: on(n2) == N, 30, "every session on the slave")
        # Let the last changes go out, then read the master's counters.
        time.sleep(2)
        s1 = cl.state(n1)
        # Idle: 10 s with every session up and nothing changing.
        time.sleep(10)
        s2 = cl.state(n1)
        hb = s1["heartbeat_bytes"] - s0["heartbeat_bytes"]
        ch = s1["changes_sent"] - s0["changes_sent"]
        rf = s1["refreshes_sent"] - s0["refreshes_sent"]
        res.update(sessions=N, tunnels=TUNNELS, setup_s=round(setup_s, 2),
                   heartbeat_bytes=hb, changes_sent=ch, refreshes_sent=rf,
                   bytes_per_session=round(hb / N, 1),
                   bytes_per_change=round(hb / ch, 1),
                   changes_per_session=round(ch / N, 2),
                   idle_bytes_per_s=round((s2["heartbeat_bytes"] -
                                           s1["heartbeat_bytes"]) / 10.0),
                   idle_refreshes_per_s=round((s2["refreshes_sent"] -
                                               s1["refreshes_sent"]) / 10.0))

        # Failover.
        mark = n2.log_mark()
        t_kill = time.monotonic()
        n1.stop(sig=9)
        n2.wait_for_log(r"cluster: I am the master now \((\d+) sessions",
                        timeout=10, since=mark)
        t_master = time.monotonic() - t_kill
        m = n2.wait_for_log(r"cluster: takeover of (\d+) sessions and "
                            r"(\d+) tunnels done in (\d+) ms", timeout=30,
                            since=mark)
        assert int(m.group(1)) == N and int(m.group(2)) == TUNNELS
        st = cl.state(n2)
        assert st["status"] == "Master"
        assert on(n2) == N
        res.update(hb_timeout_s=1.0, hb_interval_s=0.5,
                   kill_to_master_s=round(t_master, 2),
                   takeover_ms=st["takeover_ms"])
    finally:
        p.send_signal(9)
        p.communicate(timeout=30)
    write(res)


def write(res):
    OUT.mkdir(parents=True, exist_ok=True)
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    (OUT / f"cluster-{stamp}.json").write_text(json.dumps(res, indent=1))
    section = f"""## Clustering

Measured {day} by `make bench-cluster` (test/system/bench_cluster.py):
two nodes on a bridge, `cluster_key` set, `cluster_hb_interval` 5,
`cluster_hb_timeout` 10; lacsim brings {res['sessions']:,} PPP sessions
({res['tunnels']} tunnels) up through the slave, which forwards every
datagram to the master.  Bytes are whole heartbeat datagrams as sent
(header and HMAC included), counted by the master.

| | |
|---|---|
| heartbeat bytes per session set up | {res['bytes_per_session']:,} |
| heartbeat bytes per changed entry sent | {res['bytes_per_change']:,} |
| changed entries sent per session set up | {res['changes_per_session']} |
| heartbeat bytes per second, {res['sessions']:,} sessions idle (refresh walk) | {res['idle_bytes_per_s']:,} ({res['idle_refreshes_per_s']:,} entries/s) |
| SIGKILL of the master to "I am the master now" on the slave | {res['kill_to_master_s']} s (`cluster_hb_timeout` is {res['hb_timeout_s']} s) |
| the takeover itself (L2TP, PPP, routes, accounting of every session) | {res['takeover_ms']} ms |
| setting the {res['sessions']:,} sessions up through the slave | {res['setup_s']} s |

A session changes several times on its way up (the tunnel, the call,
the PPP phases, the address, the accounting start), but an entry
queued again before the next heartbeat goes out once, as the whole
entry with its extras (`struct session` and the RADIUS and route
state, about {res['bytes_per_change']:,} bytes with the record and
datagram headers): at this setup rate that came to
{res['changes_per_session']} entries per session.  Idle, the master
still sends its refresh walk, which fills each heartbeat up to 8 kB
with entries in use, so that a field changed without a hook (the byte
counters) reaches the slaves: that is the steady cost above.  Failover
time is the detection (`cluster_hb_timeout`, counted from the last
heartbeat the slave heard) plus the takeover, one pass over the tables.
"""
    doc = REPO / "Docs" / "performance.md"
    text = doc.read_text()
    m = re.search(r"^## Clustering\b.*?(?=^## |\Z)", text, re.M | re.S)
    if m:
        text = text[:m.start()] + section + ("\n" if text[m.end():] else
                                             "") + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text)
