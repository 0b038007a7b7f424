"""Restart without losing a subscriber (issue 21; manual, "Upgrading
without dropping subscribers"): the state file (save_state, state_dir),
adoption by the next process, the signals, l2tpns -S.

The parts are the real ones: the LAC simulator (--ppp) for the
subscribers, with its traffic generator driven by --control so that the
traffic runs in bursts between restarts; FreeRADIUS for authentication
and accounting (its detail file); a UDP echo server behind the LNS that
counts every datagram per session address, which gives the octets the
accounting must report.
"""
import os
import re
import shutil
import signal
import struct
import time
from collections import Counter

import pytest

from conftest import UdpEcho, wait_until
from faultkit import SERVER, DaemonCli, Lacsim
from test_faults import radius_lns  # noqa: F401 (a fixture)

N_SESSIONS = int(os.environ.get("RESTART_SESSIONS", "1000"))
TUNNELS = 10
SIZE = 100          # IP packet size of the generator's datagrams
PPS = 2000          # in all: each session sends every N_SESSIONS/PPS s
STATE_HEAD = 4096


class Subscribers:
    """lacsim with N_SESSIONS PPP sessions holding, traffic on command."""

    def __init__(self, d, tmp_path, n):
        self.control = tmp_path / "lacsim.control"
        self.control.write_text("")
        self.lac = Lacsim(d.ns, "--ppp", "--tunnels", TUNNELS,
                          "--sessions", n // TUNNELS, "--max-pending", 200,
                          "--hold", 900, "--timeout", 200,
                          "--traffic-dst", SERVER, "--dport", 7,
                          "--size", SIZE, "--control", self.control)
        self.ups = self.lac.wait("ppp_up", n, 240)
        self.ips = {e["ip"] for e in self.ups}
        assert len(self.ips) == n

    def command(self, line):
        n = len(self.lac.events("control"))
        self.control.write_text(line + "\n")
        self.lac.p.send_signal(signal.SIGUSR1)
        wait_until(lambda: len(self.lac.events("control")) > n, 10,
                   f"lacsim to run '{line}'")
        ctl = self.lac.events("control")[-1]
        assert ctl.get("ok"), ctl

    def burst(self, seconds):
        self.command(f"traffic {SIZE} {PPS} {seconds}")

    def assert_undisturbed(self):
        """No CDN, StopCCN, PPP renegotiation or link loss, no breach."""
        for ev in ("cdn_rx", "stopccn_rx", "ppp_down", "session_down",
                   "tunnel_down", "error", "ppp_failed", "timeout"):
            assert not self.lac.events(ev), (ev, self.lac.events(ev)[:3])


def start_lns(radius_lns, tmp_path, **extra):
    cfg = {"save_state": "yes", "state_dir": str(tmp_path / "state"),
           "max_sessions": 2000, "max_tunnels": 100}
    cfg.update(extra)
    return radius_lns(cfg)


def state_file(tmp_path):
    return tmp_path / "state" / "state"


def restart(d, how, tmp_path):
    """Stop the daemon (TERM, KILL), start it again (for "newbin" from a
    fresh copy of the binary); the time the new process was started."""
    mark = d.log_mark()
    if how == "kill":
        d.signal(signal.SIGKILL)
        d.wait_exit(10)
    else:
        d.signal(signal.SIGTERM)
        assert d.wait_exit(20) == 0
        text = d.log_text(mark)
        assert "state file" in text and " kept: " in text, text[-2000:]
        assert "Acct-Stop sent" not in text
    if how == "newbin":
        new = tmp_path / "l2tpns-new"
        shutil.copy2(d.binary, new)
        d.binary = new
    assert state_file(tmp_path).exists()
    r = d.run("-S")
    assert r.returncode == 0 and "would be adopted" in r.stdout, r.stdout
    t0 = time.monotonic()
    d.start(wait_ready=False)
    d.wait_for_log(r" ready: ", 30, since=mark)
    return t0, mark


def holding(d, n, event, timeout, wait=60, tunnels=1):
    """lacsim holding n PPP calls (over `tunnels` tunnels) on daemon d,
    giving up after `timeout` s; returned once `event` was seen for each
    (within `wait` s), the caller kills it."""
    lac = Lacsim(d.ns, "--ppp", *(["--tunnels", tunnels] if tunnels > 1
                                  else []),
                 "--sessions", n // tunnels, "--hold", 900,
                 "--timeout", timeout)
    try:
        lac.wait(event, n, wait)
    except BaseException:
        lac.kill()
        raise
    return lac


@pytest.mark.parametrize("how", ["term", "kill", "newbin"])
def test_restart_keeps_every_session(radius_lns, lacsim_bin, tmp_path, how):
    """Expected: N_SESSIONS PPP sessions with RADIUS accounting pass
    traffic; the daemon is restarted (TERM, KILL, or TERM and a new copy
    of the binary): the new process adopts every session, each passes
    traffic again within 5 s of the restart, the LAC sees no CDN, no
    StopCCN and no LCP renegotiation, and RADIUS has one Start per
    session; after the final QUIT, one Stop per session whose octets are
    the traffic the echo server saw for that session, both ways."""
    n = N_SESSIONS
    d, rad = start_lns(radius_lns, tmp_path)
    echo = UdpEcho(d.ns, SERVER, 7)
    subs = None
    try:
        subs = Subscribers(d, tmp_path, n)
        cli = DaemonCli(d)
        before = {s["user"]: s for s in cli.sessions()}
        cli.close()
        assert len(before) == n
        ids = {s["acct_session_id"] for s in before.values()}
        wait_until(lambda: {r["Acct-Session-Id"] for r in rad.starts()} >=
                   ids, 60, "an accounting Start for every session")
        # traffic, then quiet long enough for the counters to be saved
        subs.burst(3)
        wait_until(lambda: set(echo.snapshot()) >= subs.ips, 20,
                   "traffic from every session")
        time.sleep(6)
        t0, mark = restart(d, how, tmp_path)
        adopted = d.wait_for_log(r"state: adopted (\d+) sessions and "
                                 r"(\d+) tunnels", 10, since=mark)
        assert int(adopted.group(1)) == n and \
            int(adopted.group(2)) == TUNNELS, adopted.group(0)
        seen = echo.snapshot()
        subs.burst(4)

        def all_again():
            now = echo.snapshot()
            return all(now[ip] > seen[ip] for ip in subs.ips)
        wait_until(all_again, 15, "traffic from every session again")
        took = time.monotonic() - t0
        assert took < 5, f"every session passed traffic after {took:.1f} s"
        time.sleep(6)           # the burst is over
        subs.assert_undisturbed()
        cli = DaemonCli(d)
        after = {s["user"]: s for s in cli.sessions()}
        cli.close()
        assert set(after) == set(before)
        for u, s in after.items():
            b = before[u]
            assert (s["acct_session_id"], s["ip"]) == \
                (b["acct_session_id"], b["ip"]), (s, b)
        # no second Start, no Stop so far
        starts = Counter(r["Acct-Session-Id"] for r in rad.starts())
        assert set(starts) == ids and set(starts.values()) == {1}
        assert not rad.stops()
        counts = echo.snapshot()
        mark = d.log_mark()
        d.signal(signal.SIGQUIT)
        assert d.wait_exit(60) == 0
        assert not state_file(tmp_path).exists()
        assert "removed (clean shutdown)" in d.log_text(mark)
    finally:
        if subs is not None:
            subs.lac.kill()
        echo.close()
    wait_until(lambda: len(rad.stops()) >= n, 30, "a Stop per session")
    stops = rad.stops()
    assert Counter(r["Acct-Session-Id"] for r in stops) == \
        Counter({i: 1 for i in ids})
    by_id = {s["acct_session_id"]: s for s in before.values()}
    for r in stops:
        ip = by_id[r["Acct-Session-Id"]]["ip"]
        want = counts[ip] * SIZE
        assert (int(r["Acct-Input-Octets"]), int(r["Acct-Output-Octets"])) \
            == (want, want), (r, counts[ip])
        assert int(r["Acct-Input-Packets"]) == counts[ip]


# ---------------------------------------------------------------------------
# a state file that cannot be adopted


def damage_version(p):
    with open(p, "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<I", 99))
    return r"format version 99; this build reads version 1"


def damage_header(p):
    with open(p, "r+b") as f:
        f.seek(60)              # inside the tun device name
        b = f.read(1)
        f.seek(60)
        f.write(bytes([b[0] ^ 0x55]))
    return r"header checksum mismatch \(corrupt\)"


def damage_truncate(p):
    size = p.stat().st_size
    os.truncate(p, size // 2)
    return rf"truncated: {size // 2} bytes of {size}"


@pytest.mark.parametrize("damage", [damage_version, damage_header,
                                    damage_truncate])
def test_damaged_state_file_refused_start_clean(radius_lns, lacsim_bin,
                                                tmp_path, damage):
    """Expected: a state file of another version, with a corrupt header,
    or truncated is refused by l2tpns -S (exit 1, the reason) and by the
    daemon (logged with the reason), which starts clean: no session, a
    new valid state file, new sessions served."""
    d, rad = start_lns(radius_lns, tmp_path)
    lac = holding(d, 5, "ppp_up", 60)
    try:
        d.signal(signal.SIGKILL)
        d.wait_exit(10)
        p = state_file(tmp_path)
        r = d.run("-S")
        assert r.returncode == 0 and "5 sessions" in r.stdout, r.stdout
        why = damage(p)
        damaged = p.read_bytes()
        r = d.run("-S")
        assert r.returncode == 1, r.stdout
        assert "would be refused" in r.stdout
        assert re.search(why, r.stdout), r.stdout
        mark = d.log_mark()
        d.start(wait_ready=False)
        d.wait_for_log(r" ready: ", 30, since=mark)
        d.wait_for_log(r"state file \S+ refused: " + why +
                       r"; starting clean", 5, since=mark)
        assert "state: adopted" not in d.log_text(mark)
        # the refused file kept aside, as it was
        assert p.with_name("state.refused").read_bytes() == damaged
        cli = DaemonCli(d)
        assert cli.counters()["sessions"] == 0
        cli.close()
        r = d.run("-S")
        assert r.returncode == 0 and "0 sessions" in r.stdout and \
            "held by a running daemon" in r.stdout, r.stdout
        lac2 = Lacsim(d.ns, "--ppp", "--sessions", 2, "--user", "new%d",
                      "--timeout", 30)
        rc, done = lac2.finish(60)
        assert rc == 0 and done["ppp_up"] == 2, done
    finally:
        lac.kill()


def test_check_without_state(daemon, tmp_path):
    """l2tpns -S: exit 2 with save_state off, or with no file yet."""
    d = daemon(start=False)
    r = d.run("-S")
    assert r.returncode == 2 and "save_state is off" in r.stdout, r.stdout
    d.write_config({"save_state": "yes",
                    "state_dir": str(tmp_path / "none")})
    r = d.run("-S")
    assert r.returncode == 2 and "no state file" in r.stdout, r.stdout


# ---------------------------------------------------------------------------
# what ended is not adopted


def test_ended_sessions_and_tunnels_not_adopted(radius_lns, lacsim_bin,
                                                tmp_path):
    """Expected: sessions and tunnels closed by the LAC (CDN, StopCCN)
    are freed in the state file at once: after a SIGKILL, l2tpns -S and
    the next process find nothing to adopt, and RADIUS has one Stop per
    session, none added by the restart."""
    d, rad = start_lns(radius_lns, tmp_path)
    lac = Lacsim(d.ns, "--ppp", "--tunnels", 2, "--sessions", 3,
                 "--hold", 2, "--timeout", 60)
    rc, done = lac.finish(60)
    assert rc == 0 and done["ppp_up"] == 6, done
    cli = DaemonCli(d)
    # (a tunnel closed by the LAC's StopCCN is held a while, RFC 2661
    # 5.7: it may still be there, dying)
    wait_until(lambda: cli.counters()["sessions"] == 0, 20,
               "every session closed")
    cli.close()
    wait_until(lambda: len(rad.stops()) >= 6, 20, "a Stop per session")
    d.signal(signal.SIGKILL)
    d.wait_exit(10)
    r = d.run("-S")
    assert r.returncode == 0 and \
        "would be adopted: 0 sessions and " in r.stdout, r.stdout
    mark = d.log_mark()
    d.start(wait_ready=False)
    d.wait_for_log(r"state: adopted 0 sessions and \d+ tunnels", 30,
                   since=mark)
    time.sleep(1)
    assert len(rad.stops()) == 6 and len(rad.starts()) == 6


def test_lac_gone_while_down_sessions_cleared_and_accounted(radius_lns,
                                                            lacsim_bin,
                                                            tmp_path):
    """Expected: the LAC vanishes (SIGKILL, no StopCCN) while the daemon
    is down; the new process adopts its tunnels and sessions, finds the
    LAC dead through its HELLOs (hello_interval 1 s, 2 silent intervals)
    and ends every session with its one Stop."""
    d, rad = start_lns(radius_lns, tmp_path, hello_interval=1,
                       dead_peer_hellos=2)
    lac = holding(d, 10, "ppp_up", 60, tunnels=2)
    try:
        cli = DaemonCli(d)
        ids = {s["acct_session_id"] for s in cli.sessions()}
        cli.close()
        wait_until(lambda: {r["Acct-Session-Id"] for r in rad.starts()} >=
                   ids, 20, "the Starts")
        d.signal(signal.SIGKILL)
        d.wait_exit(10)
    finally:
        lac.kill()
    mark = d.log_mark()
    d.start(wait_ready=False)
    d.wait_for_log(r"state: adopted 10 sessions and 2 tunnels", 30,
                   since=mark)
    d.wait_for_log(r"dead peer, clearing tunnel", 15, since=mark)
    wait_until(lambda: len(rad.stops()) >= 10, 20, "a Stop per session")
    stops = Counter(r["Acct-Session-Id"] for r in rad.stops())
    assert stops == Counter({i: 1 for i in ids})
    cli = DaemonCli(d)
    wait_until(lambda: cli.counters()["sessions"] == 0, 10, "no session")
    cli.close()


def test_plugins_see_the_adopted_sessions(radius_lns, lacsim_bin, tmp_path):
    """Expected: plugins loaded by the new process hear become_master and
    one new_session_master per adopted session (as after a cluster
    takeover), and no new_session or kill_session."""
    from nsctlhelp import nsctl, plugin_dir
    d, rad = start_lns(radius_lns, tmp_path)
    lac = holding(d, 3, "ppp_up", 60)
    try:
        cli = DaemonCli(d)
        sids = sorted(int(s["sid"]) for s in cli.sessions())
        cli.close()
        d.signal(signal.SIGKILL)
        d.wait_exit(10)
        d.write_config({"plugin_dir": str(plugin_dir(tmp_path))},
                       extra_lines=["load plugin testplugin"])
        mark = d.log_mark()
        d.start(wait_ready=False)
        d.wait_for_log(r"state: adopted 3 sessions", 30, since=mark)
        ev = nsctl(d.ns, "test_events", "testplugin",
                   check=0).stdout.splitlines()
        assert "become_master" in ev, ev
        got = sorted(int(e.split("sid=")[1]) for e in ev
                     if e.startswith("new_session_master "))
        assert got == sids, ev
        assert not [e for e in ev if e.startswith(("new_session ",
                                                   "kill_session"))], ev
        assert not lac.events("cdn_rx") and not lac.events("ppp_down")
    finally:
        lac.kill()


def test_call_not_up_at_the_restart_cleared_with_cdn(radius_lns, lacsim_bin,
                                                     tmp_path):
    """Expected: calls whose PPP was still authenticating (RADIUS down)
    when the daemon was killed are not adopted: the new process sends
    the LAC a CDN (result 3) for each, on the adopted tunnel, which stays
    up; no accounting record is written for them."""
    d, rad = start_lns(radius_lns, tmp_path)
    rad.kill()
    lac = holding(d, 2, "ppp_lcp_up", 100, wait=30)
    try:
        d.signal(signal.SIGKILL)
        d.wait_exit(10)
        mark = d.log_mark()
        d.start(wait_ready=False)
        d.wait_for_log(r"state: adopted 0 sessions and 1 tunnels", 30,
                       since=mark)
        cdns = lac.wait("cdn_rx", 2, 10)
        assert all(e["result"] == 3 and
                   "not up when the LNS restarted" in e["message"]
                   for e in cdns), cdns
        assert not lac.events("stopccn_rx") and not lac.events("error")
        assert len(re.findall(r"not adopted: it was not up",
                              d.log_text(mark))) == 2
    finally:
        lac.kill()
    assert not rad.records()
