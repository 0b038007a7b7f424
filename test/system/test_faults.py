"""Fault suite (issue 20, "Suites"): the daemon under faults of the
parts around it, each test stating the outcome it expects and checking
that no session that should stay is lost.

The parts are the real ones: the LAC simulator (test/lacsim/lacsim,
--ppp) for the subscribers, FreeRADIUS for authentication and
accounting, the kernel's TUN device, nftables for loss (this kernel has
no netem: `numgen random`, as in test_l2tp_scale.py), prlimit for file
descriptors.  Reordering and jitter come from a UDP relay in Python
(faultkit.ReorderRelay) that holds each datagram for a random time.

Sizes are for AddressSanitizer builds on two shared cores: each test
well under two minutes.
"""
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import UdpEcho, local_auth, wait_until
from nsctlhelp import nsctl
from faultkit import (ANY_USER, HOST, SERVER, DaemonCli, Lacsim,
                      ReorderRelay)
from test_cli import USERS
from test_lacsim_ppp import ping
from test_radius import FreeRadius, radius_cfg

STORM_POOL = "10.64.0.0/19"        # 8192 addresses


class Radius(FreeRadius):
    """FreeRADIUS that can be killed and started again on the same
    files (its detail file keeps every accounting record)."""

    READY = "Ready to process requests"

    def start(self):
        seen = self.output().count(self.READY)
        self._out = open(self.out_path, "ab")
        self.proc = self.ns.popen(["freeradius", "-f", "-l", "stdout",
                                   "-d", self.dir],
                                  stdout=self._out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        wait_until(lambda: self.output().count(self.READY) > seen or
                   self.proc.poll() is not None, 15, "FreeRADIUS to start")
        assert self.proc.poll() is None, self.output()[-3000:]
        return self

    def kill(self):
        self.proc.kill()
        self.proc.wait(5)

    def starts(self):
        return [r for r in self.records()
                if r.get("Acct-Status-Type") == "Start"]

    def stops(self):
        return [r for r in self.records()
                if r.get("Acct-Status-Type") == "Stop"]


@pytest.fixture
def radius_lns(daemon, netns, tmp_path):
    """(lns, FreeRADIUS) in one namespace; every user's password is
    "password"; a pool of 8192 addresses; SERVER on lo behind the LNS."""
    def make(config=None):
        ns = netns()
        rad = Radius(ns, tmp_path / "radius", users=ANY_USER).start()
        cfg = radius_cfg(debug=2, hostname=HOST, radius_timeout=3)
        cfg.update(config or {})
        d = daemon(cfg, ns=ns, users=USERS, ip_pool=STORM_POOL + "\n")
        d.ns.run(["ip", "addr", "add", f"{SERVER}/32", "dev", "lo"])
        return d, rad
    return make


def open_sessions(cli):
    return [s for s in cli.sessions() if s["state"] == "Open"]


# ---------------------------------------------------------------------------
# RADIUS dies during a login storm


def test_radius_killed_in_storm_restarted_within_retry_window(radius_lns,
                                                              lacsim_bin):
    """Expected: FreeRADIUS SIGKILLed while 5,000 PPP sessions log in and
    started again 2 s later, inside the daemon's retry window (3 tries
    radius_timeout=3 s apart): every Access-Request pending at the kill
    is answered by the new server on a retry, so every session comes up,
    none is refused, and each has exactly one accounting Start (and, at
    teardown, one Stop) whatever the server lost."""
    d, rad = radius_lns()
    n = 5000
    lac = Lacsim(d.ns, "--ppp", "--tunnels", 50, "--sessions", n // 50,
                 "--max-pending", 200, "--hold", 600, "--timeout", 100,
                 "--ppp-max-configure", 20)
    try:
        lac.wait("ppp_up", n // 4, 60)
        rad.kill()
        killed_at = len(lac.events("ppp_up"))
        time.sleep(2)
        rad.start()
        lac.wait("setup", 1, 100)
        assert killed_at < n, "the storm was over before the kill"
        ups = lac.events("ppp_up")
        assert len(ups) == n, lac.events("setup")
        assert not lac.events("ppp_auth_fail")
        cli = DaemonCli(d)
        c = cli.counters()
        # the kill was felt: requests were sent again
        assert c["radius_retransmits"] > 0, c
        assert c["radius_timeouts"] == 0 and c["ppp_auth_failed"] == 0, c
        assert c["sessions"] == n, c
        sess = open_sessions(cli)
        assert len(sess) == n
        want = {s["acct_session_id"] for s in sess}
        # every Start reaches the restarted server (Acct-Start retried)
        def started():
            return {r["Acct-Session-Id"] for r in rad.starts()} >= want
        wait_until(started, 30, "an accounting Start for every session")
        got = [r["Acct-Session-Id"] for r in rad.starts()]
        assert set(got) == want
        cli.close()
        rc, done = lac.stop(120)
    finally:
        lac.kill()
    assert done["ppp_up"] == n and done["unexpected_down"] == 0, done
    assert done["errors"] == 0 and rc == 0, done
    wait_until(lambda: {r["Acct-Session-Id"] for r in rad.stops()} >= want,
               30, "an accounting Stop for every session")
    assert d.running()


def test_radius_down_longer_than_retry_window(radius_lns, lacsim_bin):
    """Expected: FreeRADIUS SIGKILLed half way through a 2,000-session
    storm and kept down well past the retry window (3 tries 1 s apart):
    each session whose authentication was pending or started later is
    refused cleanly (PAP Authenticate-Nak, LCP Terminate, CDN), the
    sessions already up stay up and pass traffic, and the daemon holds
    exactly those: every one Open, nothing half-open, the counters
    agreeing.  Started again, the server serves new logins."""
    d, rad = radius_lns({"radius_timeout": 1})
    n = 2000
    echo = UdpEcho(d.ns, SERVER, 7)
    lac = Lacsim(d.ns, "--ppp", "--tunnels", 20, "--sessions", n // 20,
                 "--max-pending", 100, "--hold", 5, "--timeout", 100,
                 # PAP sent again every 2 s under a new Identifier: the
                 # refusal (after 3 s) must carry the latest one (RFC
                 # 1334 2.2.1); not 3 s, where the two would cross
                 "--ppp-restart", 2,
                 "--traffic-dst", SERVER, "--dport", 7, "--pps", 2000,
                 "--duration", 3)
    try:
        lac.wait("ppp_up", n // 2, 60)
        rad.kill()
        lac.wait("setup", 1, 100)
        ups = lac.events("ppp_up")
        fails = lac.events("ppp_auth_fail")
        assert len(ups) + len(fails) == n, lac.events("setup")
        assert n // 2 <= len(ups) < n and fails
        assert all(f["message"] == "Authentication server not responding"
                   for f in fails), fails[:3]
        # while the survivors carry traffic, the daemon holds just them
        cli = DaemonCli(d)
        sess = cli.sessions()
        assert all(s["state"] == "Open" for s in sess), \
            [s for s in sess if s["state"] != "Open"][:3]
        assert {s["ip"] for s in sess} == {e["ip"] for e in ups}
        c = cli.counters()
        assert c["sessions"] == len(ups) and c["tunnels"] == 20, c
        assert c["radius_timeouts"] >= len(fails), c
        assert c["ppp_auth_failed"] == len(fails), c
        rc, done = lac.finish(120)
    finally:
        lac.kill()
        echo.close()
    assert done["errors"] == 0, done
    assert done["ppp_up"] == len(ups), done
    assert done["auth_failures"] == len(fails)
    # (lacsim counts each refused link in unexpected_down: only those)
    assert done["unexpected_down"] == len(fails), done
    # the refused: Nak, then the link and the call closed by the LNS
    downs = {(e["tunnel"], e["session"]): e for e in lac.events("ppp_down")}
    for f in fails:
        e = downs[(f["tunnel"], f["session"])]
        assert e["reason"] == "auth_failed", e
    # the survivors went down only at the LAC's teardown, with traffic
    for u in ups:
        e = downs[(u["tunnel"], u["session"])]
        assert e["reason"] == "closed" and e["clean"], e
    key = lambda e: (e["tunnel"], e["session"])    # noqa: E731
    cdns = {key(e): e for e in lac.events("cdn_rx")}
    sdowns = {key(e): e for e in lac.events("session_down")}
    assert len(sdowns) == n
    for f in fails:
        e = cdns[key(f)]
        assert e["result"] == 2 and "not responding" in e["message"], e
        assert sdowns[key(f)]["reason"] == "cdn_rx"
    for u in ups:
        assert key(u) not in cdns and sdowns[key(u)]["clean"], \
            sdowns[key(u)]
    # the survivors' traffic went through and came back, every one of them
    assert {a for a, _ in echo.sources} == {e["ip"] for e in ups}
    assert done["rx_own"] >= 0.9 * done["tx_packets"] > 0, done
    # nothing is left behind once the LAC has gone
    wait_until(lambda: cli.counters()["sessions"] == 0, 20, "no session")
    # the server back: a new login goes through
    rad.start()
    lac2 = Lacsim(d.ns, "--ppp", "--sessions", 3, "--user", "late%d",
                  "--timeout", 30)
    rc2, done2 = lac2.finish(60)
    assert rc2 == 0 and done2["ppp_up"] == 3, done2
    cli.close()


def test_vanished_lac_cleared_with_accounting_others_stay(radius_lns,
                                                          lacsim_bin):
    """Expected: two LACs with 500 PPP sessions each (RADIUS
    authentication and accounting); one is SIGKILLed (no CDN, no
    StopCCN).  Dead-peer detection (hello_interval 1 s, 2 silent
    intervals) clears its tunnels, and each of its sessions gets an
    accounting Stop; the other LAC's sessions stay up, pass traffic and
    keep their accounting open."""
    d, rad = radius_lns({"hello_interval": 1, "dead_peer_hellos": 2})
    echo = UdpEcho(d.ns, SERVER, 7)
    stay = Lacsim(d.ns, "--ppp", "--tunnels", 5, "--sessions", 100,
                  "--user", "stay%d", "--hold", 600, "--hello", 1,
                  "--traffic-dst", SERVER, "--dport", 7, "--pps", 500,
                  "--duration", 600, "--timeout", 60)
    gone = Lacsim(d.ns, "--ppp", "--tunnels", 5, "--sessions", 100,
                  "--user", "gone%d", "--hold", 600, "--timeout", 60)
    try:
        stay_up = stay.wait("ppp_up", 500, 60)
        gone_up = gone.wait("ppp_up", 500, 60)
        cli = DaemonCli(d)
        by_user = {s["user"]: s for s in cli.sessions()}
        gone_ids = {by_user[f"gone{i}"]["acct_session_id"]
                    for i in range(1, 501)}
        stay_ids = {by_user[f"stay{i}"]["acct_session_id"]
                    for i in range(1, 501)}
        wait_until(lambda: {r["Acct-Session-Id"] for r in rad.starts()} >=
                   gone_ids | stay_ids, 30, "1000 accounting Starts")
        gone.kill()
        t0 = time.monotonic()
        wait_until(lambda: cli.counters()["sessions"] == 500, 20,
                   "the vanished LAC's sessions cleared")
        assert time.monotonic() - t0 < 10
        assert cli.counters()["l2tp_dead_peers"] == 5
        wait_until(lambda: {r["Acct-Session-Id"] for r in rad.stops()} >=
                   gone_ids, 30, "an accounting Stop for each")
        stopped = {r["Acct-Session-Id"] for r in rad.stops()}
        assert not stopped & stay_ids
        assert {s["user"] for s in cli.sessions()} == \
            {f"stay{i}" for i in range(1, 501)}
        mark = echo.count
        wait_until(lambda: echo.count > mark + 500, 10, "traffic flowing")
        cli.close()
        assert not stay.events("ppp_down")
        rc, done = stay.stop(120)
    finally:
        gone.kill()
        stay.kill()
        echo.close()
    assert rc == 0 and done["unexpected_down"] == 0, done
    assert {a for a, _ in echo.sources} >= {e["ip"] for e in stay_up}
    assert len(gone_up) == 500


# ---------------------------------------------------------------------------
# a lossy LAC link

# 30% of L2TP control messages (T bit, the first bit of the UDP payload)
# dropped each way; data messages (PPP) pass.
CONTROL_LOSS = """
table inet ctlloss {
  chain input { type filter hook input priority 0;
    udp dport 1701 @th,64,1 1 numgen random mod 10 < 3 counter drop; }
  chain output { type filter hook output priority 0;
    udp sport 1701 @th,64,1 1 numgen random mod 10 < 3 counter drop; }
}
"""


@pytest.fixture
def ppp_lns(daemon, tmp_path):
    """A daemon authenticating locally (every user, "password"), SERVER
    on its lo."""
    def make(config=None, pool="10.64.0.0/22"):
        auth = local_auth(tmp_path, "* password\n")
        cfg = {"debug": 2, "hostname": HOST, "local_auth_file": str(auth),
               "peer_address": "192.0.2.1"}
        cfg.update(config or {})
        d = daemon(cfg, users=USERS, ip_pool=pool + "\n")
        d.ns.run(["ip", "addr", "add", f"{SERVER}/32", "dev", "lo"])
        return d
    return make


def test_control_loss_30_percent_during_setup_converges(ppp_lns, lacsim_bin):
    """Expected: with 30% of control messages lost each way, a message
    and its acknowledgement get through together with p = 0.49 per try,
    so with 20 tries on both sides (the daemon's most; lacsim's interval
    capped at 4 s) every tunnel and session comes up through
    retransmissions (p of a message never acknowledged < 2e-4 in all),
    PPP comes up on every call, and once the loss stops the LAC's
    teardown is clean; the daemon holds exactly the calls, all Open."""
    d = ppp_lns({"l2tp_max_retries": 20})
    d.ns.run(["nft", "-f", "-"], input=CONTROL_LOSS)
    n = 20
    lac = Lacsim(d.ns, "--ppp", "--tunnels", 4, "--sessions", n // 4,
                 "--retries", 20, "--rtx-cap", 4000, "--hold", 600,
                 "--timeout", 110)
    try:
        setup = lac.wait("setup", 1, 115)[0]
        assert setup["tunnels_up"] == 4, setup
        # PPP settles a call in lacsim: an ICCN still being retransmitted
        # may be acknowledged after the setup event
        lac.wait("session_up", n, 100)
        lac.wait("ppp_up", n, 30)
        dropped = d.ns.run(["nft", "list", "table", "inet",
                            "ctlloss"]).stdout
        d.ns.run(["nft", "delete", "table", "inet", "ctlloss"])
        counts = [int(c) for c in re.findall(r"packets (\d+)", dropped)]
        assert len(counts) == 2 and all(c > 0 for c in counts), dropped
        cli = DaemonCli(d)
        sess = cli.sessions()
        assert len(sess) == n and all(s["state"] == "Open" for s in sess)
        assert cli.counters()["l2tp_retransmits"] > 0
        cli.close()
        rc, done = lac.stop(60)
    finally:
        lac.kill()
    assert done["retransmits"] > 0, done
    assert done["ppp_up"] == n and done["sessions_closed"] == n, done
    assert done["tunnels_closed"] == 4 and done["errors"] == 0, done
    assert rc == 0, done


def test_reordering_and_control_loss_during_setup_converges(ppp_lns,
                                                            lacsim_bin):
    """Expected: every datagram between the LACs and the LNS, control
    and data, both ways, held 0-80 ms at random by a relay (so they
    overtake one another), and 30% of control messages lost each way on
    top: the daemon queues what arrives ahead of a gap (RFC 2661 5.8),
    retransmissions fill the gaps, so every tunnel, call and PPP link
    comes up; traffic then flows through the reordering path and the
    teardown, without loss, is clean."""
    d = ppp_lns({"l2tp_max_retries": 20})
    relay = ReorderRelay(d.ns)
    d.ns.run(["nft", "-f", "-"], input=CONTROL_LOSS)
    echo = UdpEcho(d.ns, SERVER, 7)
    n = 20
    lac = Lacsim(d.ns, "--ppp", "--tunnels", 4, "--sessions", n // 4,
                 "--retries", 20, "--rtx-cap", 4000, "--hold", 600,
                 "--timeout", 110,
                 "--traffic-dst", SERVER, "--dport", 7, "--pps", 200,
                 "--duration", 600, lns="127.0.0.1:1801")
    try:
        setup = lac.wait("setup", 1, 115)[0]
        assert setup["tunnels_up"] == 4, setup
        lac.wait("session_up", n, 100)
        ups = lac.wait("ppp_up", n, 30)
        d.ns.run(["nft", "delete", "table", "inet", "ctlloss"])
        wait_until(lambda: {a for a, _ in echo.sources} ==
                   {e["ip"] for e in ups}, 15, "UDP from every session")
        assert relay.overtaken > 0, "the relay reordered nothing"
        cli = DaemonCli(d)
        sess = cli.sessions()
        assert len(sess) == n and all(s["state"] == "Open" for s in sess)
        c = cli.counters()
        assert c["l2tp_retransmits"] > 0 and c["l2tp_out_of_order"] > 0, c
        cli.close()
        rc, done = lac.stop(90)
    finally:
        lac.kill()
        echo.close()
        relay.close()
    assert done["ppp_up"] == n and done["sessions_closed"] == n, done
    assert done["tunnels_closed"] == 4 and done["errors"] == 0, done
    assert done["rx_own"] > 0 and done["rx_wrong_session"] == 0, done
    assert rc == 0, done


# ---------------------------------------------------------------------------
# the TUN device fails


def reachable(ns, ip, ident, seq):
    """A ping answered; False, not an error, while there is no route."""
    try:
        return ping(ns, ip, ident, seq)
    except OSError:
        return False


def test_tun_down_write_errors_counted_sessions_survive(ppp_lns, lacsim_bin):
    """Expected: while the tun device is down (an operator's `ip link set
    down`), every write of the subscribers' packets to it fails (EIO):
    the daemon keeps running and counts them in tun_tx_errors; the
    sessions stay up (LCP echoes go on over L2TP); once the device is up
    again the daemon puts back the routes the kernel flushed with it, and
    every session passes traffic both ways again."""
    d = ppp_lns({"echo_timeout": 1, "idle_echo_timeout": 4})
    n = 5
    echo = UdpEcho(d.ns, SERVER, 7)
    lac = Lacsim(d.ns, "--ppp", "--sessions", n, "--echo", "--hold", 600,
                 "--traffic-dst", SERVER, "--dport", 7, "--pps", 100,
                 "--duration", 600, "--timeout", 20)
    try:
        ips = [e["ip"] for e in lac.wait("ppp_up", n, 30)]
        for k, ip in enumerate(ips):
            assert ping(d.ns, ip, 0x5400 + k, 1), ip
        wait_until(lambda: {a for a, _ in echo.sources} == set(ips), 10,
                   "UDP from every session")
        cli = DaemonCli(d)
        before = cli.counters()
        d.ns.ip("link", "set", d.tun, "down")
        # 5 s down: longer than idle_echo_timeout, so the echoes matter
        time.sleep(5)
        during = cli.counters()
        assert during["tun_tx_errors"] > before["tun_tx_errors"] + 100, \
            (before["tun_tx_errors"], during["tun_tx_errors"])
        assert during["sessions"] == n and d.running()
        d.ns.ip("link", "set", d.tun, "up")
        mark = echo.count
        for k, ip in enumerate(ips):
            assert wait_until(lambda: reachable(d.ns, ip, 0x5500 + k, 2), 10,
                              f"a ping to {ip} after the device came up")
        wait_until(lambda: echo.count > mark + 100, 10,
                   "UDP flowing again")
        assert all(s["state"] == "Open" for s in cli.sessions())
        after = cli.counters()
        assert after["sessions"] == n and after["ppp_echo_timeouts"] == 0
        cli.close()
        assert not lac.events("ppp_down") and not lac.events("cdn_rx")
        rc, done = lac.stop(30)
    finally:
        lac.kill()
        echo.close()
    assert done["unexpected_down"] == 0 and done["errors"] == 0, done
    assert done["icmp_replies"] >= 2 * n, done


# ---------------------------------------------------------------------------
# file descriptors run out


def nofile(pid, soft):
    """Set the daemon's soft RLIMIT_NOFILE (the hard one stays)."""
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"],
                   check=True)


def test_fd_exhaustion_sessions_keep_traffic_and_echoes(ppp_lns, lacsim_bin):
    """Expected: with the daemon's soft descriptor limit at the number it
    has open (prlimit), every new descriptor fails: a CLI connection is
    not served (accept EMFILE, counted), nsctl is refused because its
    sender cannot be checked (fail closed, logged, counted), while what
    needs none goes on: the established sessions pass traffic both ways
    and answer LCP echoes in both directions, and a new PPP session on a
    pool address comes up.  With the limit raised again, the CLI serves
    the waiting connection, nsctl answers, and no session was lost."""
    # ppp_keepalive off: the LNS sends its Echo-Requests every second
    # even while traffic flows
    d = ppp_lns({"echo_timeout": 1, "idle_echo_timeout": 3,
                 "ppp_keepalive": False})
    n = 4
    echo = UdpEcho(d.ns, SERVER, 7)
    lac = Lacsim(d.ns, "--ppp", "--sessions", n, "--hold", 600,
                 "--traffic-dst", SERVER, "--dport", 7, "--pps", 200,
                 "--duration", 600, "--lcp-echo", 1, "--timeout", 20)
    waiting = None
    try:
        ips = {e["ip"] for e in lac.wait("ppp_up", n, 30)}
        wait_until(lambda: {a for a, _ in echo.sources} == ips, 10,
                   "UDP from every session")
        cli = DaemonCli(d)          # connected before the limit
        before = cli.counters()
        pid = d.read_pid_file()
        # the lowest free descriptor number: every new one is past it
        used = {int(f.name) for f in Path(f"/proc/{pid}/fd").iterdir()}
        nofile(pid, min(set(range(len(used) + 1)) - used))
        try:
            # new work that needs a descriptor fails, and is counted
            waiting = d.ns.run_in(socket.create_connection,
                                  ("127.0.0.1", 23), 3)
            wait_until(lambda: cli.counters()["cli_accept_errors"] >
                       before["cli_accept_errors"], 5, "accept() to fail")
            mark = echo.count
            t0 = time.monotonic()
            # nsctl: its sender cannot be checked (the socket-table
            # lookup needs a descriptor), so it is refused: fail closed
            p = nsctl(d.ns, "help", timeout=1)
            assert p.returncode != 0, p.stdout
            d.wait_for_log(r"nsctl: ignored request from 127\.0\.0\.1:\d+: "
                           r"its sender cannot be checked: Too many open")
            # a new PPP session on a pool address needs no descriptor
            lac2 = Lacsim(d.ns, "--ppp", "--sessions", 1, "--user",
                          "late%d", "--timeout", 20)
            rc2, done2 = lac2.finish(40)
            assert rc2 == 0 and done2["ppp_up"] == 1, done2
            # 4 s at the limit: past idle_echo_timeout, echoes must flow
            time.sleep(max(0.0, 4 - (time.monotonic() - t0)))
            assert echo.count > mark + 400, (mark, echo.count)
            during = cli.counters()
            assert during["sessions"] == n, during["sessions"]
            assert during["cli_accept_errors"] > before["cli_accept_errors"]
            assert during["ppp_echo_timeouts"] == 0
            assert not lac.events("ppp_down") and d.running()
        finally:
            nofile(pid, 1024)
        # the waiting CLI connection is served now, nsctl answers
        waiting.settimeout(5)
        got = b""
        while b"Username:" not in got:
            b = waiting.recv(4096)
            assert b, got
            got += b
        assert nsctl(d.ns, "help").returncode == 0
        assert cli.counters()["ctl_denied"] > before["ctl_denied"]
        cli.close()
        rc, done = lac.stop(30)
    finally:
        if waiting is not None:
            waiting.close()
        lac.kill()
        echo.close()
    assert rc == 0 and done["unexpected_down"] == 0, done
    assert done["echo_rx"] > 0 and done["echo_tx"] == done["echo_rx"], done
    ech = lac.events("ppp_echo")
    assert len(ech) == n and all(e["rx_replies"] >= 4 for e in ech), ech
