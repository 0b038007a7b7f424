"""FreeRADIUS's drops in a burst, with and without radius_window (issue
22; Docs/performance.md, "Bursts and the RADIUS window").  Not part of
`make system` (the name does not match test_*.py); run it by name:

    cd test/system && /usr/bin/python3 -m pytest -q bench_radius_window.py

lacsim brings 5,000 PPP sessions (50 tunnels of 100, every ICRQ at once)
up through FreeRADIUS (not in debug mode) with 2 threads (test_radius.py's
configuration) and with Debian's default pool (5 to 32); for radius_window
0, 64 (the default) and 256, five runs each.  Counted, not timed: the
datagrams FreeRADIUS's sockets dropped (the skmem "d" of ``ss -uamn``)
and the daemon's retransmissions.  One JSON line per run is appended to
$RADWIN_OUT (/tmp/radwin-bench.jsonl).
"""
import json
import os
import time

import pytest

from conftest import wait_until
from faultkit import ANY_USER, HOST, Lacsim, DaemonCli
from test_cli import USERS
from test_faults import Radius
from test_radius import radius_cfg
from test_radius_window import radius_drops

POOL = "10.64.0.0/18"
OUT = os.environ.get("RADWIN_OUT", "/tmp/radwin-bench.jsonl")
DEBIAN_POOL = {"start_servers = 1": "start_servers = 5",
               "max_servers = 2": "max_servers = 32",
               "min_spare_servers = 1": "min_spare_servers = 3",
               "max_spare_servers = 1": "max_spare_servers = 10"}


@pytest.mark.parametrize("run", range(5))
@pytest.mark.parametrize("threads", [2, 32])
@pytest.mark.parametrize("window", [0, 64, 256])
def test_burst_drops(daemon, netns, tmp_path, window, threads, run):
    n = 5000
    ns = netns()
    rad = Radius(ns, tmp_path / "radius", users=ANY_USER)
    conf = rad.dir / "radiusd.conf"
    text = conf.read_text()
    if threads == 32:
        for a, b in DEBIAN_POOL.items():
            text = text.replace(a, b)
    conf.write_text(text)
    rad.start()
    try:
        cfg = radius_cfg(debug=1, hostname=HOST, radius_timeout=3,
                         radius_window=window)
        d = daemon(cfg, ns=ns, users=USERS, ip_pool=POOL + "\n")
        t0 = time.monotonic()
        lac = Lacsim(d.ns, "--ppp", "--tunnels", n // 100, "--sessions", 100,
                     "--hold", 600, "--timeout", 200,
                     "--ppp-max-configure", 60)
        try:
            lac.wait("ppp_up", n, 250)
            t1 = time.monotonic()
            cli = DaemonCli(d)
            want = {s["acct_session_id"] for s in cli.sessions()
                    if s["state"] == "Open"}
            wait_until(lambda: {r["Acct-Session-Id"] for r in rad.starts()}
                       >= want, 120, "every Start")
            c = cli.counters()
            ports, drops = radius_drops(ns)
            assert len(ports) == 2
            rec = dict(n=n, window=window, threads=threads, drops=drops,
                       retransmits=c["radius_retransmits"],
                       queued=c["radius_queued"], setup_s=round(t1 - t0, 1))
            with open(OUT, "a") as f:
                f.write(json.dumps(rec) + "\n")
            cli.close()
        finally:
            lac.kill()
    finally:
        rad.stop()
