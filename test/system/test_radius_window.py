"""The per-server window of outstanding RADIUS requests (radius_window,
issue 22, "Set-up under bursts"): a LAC brings hundreds of sessions at
once (lacsim, every ICRQ at once), and the daemon never has more than
the window outstanding at its RADIUS server; the rest wait in order and
every session still comes up, with every accounting Start and Stop.

The server in the first tests is a RADIUS server scripted here: it
answers every request after a delay and records, by the request's
source port and identifier, how many it had received and not yet
answered at most.  The last test runs the same burst against the real
FreeRADIUS of test_radius.py and reads the drops of its sockets
(``ss -m``, the skmem "d" field) beside the daemon's counters.
"""
import hashlib
import heapq
import re
import select
import struct
import threading
import time

import pytest

from conftest import wait_until
from faultkit import ANY_USER, HOST, Lacsim, DaemonCli
from test_cli import USERS
from test_metrics import PORT as METRICS_PORT, http_get, sample
from test_radius import FreeRadius, radius_cfg, SECRET, AUTH_PORT

POOL = "10.64.0.0/22"           # room for 1,000 sessions
SCRIPTED_PORT = 1912            # its accounting port is 1913
ACCESS_REQUEST, ACCESS_ACCEPT = 1, 2
ACCT_REQUEST, ACCT_RESPONSE = 4, 5
A_ACCT_STATUS_TYPE, A_ACCT_SESSION_ID = 40, 44


class ScriptedRadius:
    """Accepts every Access-Request and acknowledges every
    Accounting-Request, each `delay` seconds after it came; counts the
    requests outstanding (received, not yet answered; a retransmission
    of one is not another) and their maximum."""

    def __init__(self, ns, port=SCRIPTED_PORT, secret=SECRET, delay=0.02):
        self.secret = secret.encode()
        self.delay = delay
        self.auth = ns.socket()
        self.auth.bind(("127.0.0.1", port))
        self.acct = ns.socket()
        self.acct.bind(("127.0.0.1", port + 1))
        self.lock = threading.Lock()
        self.outstanding = set()        # (socket, source, identifier)
        self.max_outstanding = 0
        self.access = 0                 # distinct Access-Requests
        self.starts, self.stops = set(), set()      # Acct-Session-Ids
        self.duplicates = 0
        self.due = []                   # (when, n, socket, reply, to, key)
        self.n = 0
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _reply(self, code, req):
        # RFC 2865 3: MD5(Code+ID+Length+RequestAuth+Attributes+Secret)
        head = struct.pack("!BBH", code, req[1], 20)
        auth = hashlib.md5(head + req[4:20] + self.secret).digest()
        return head + auth

    def _attrs(self, req):
        out, i = {}, 20
        while i + 2 <= len(req):
            t, n = req[i], req[i + 1]
            if n < 2:
                break
            out.setdefault(t, req[i + 2:i + n])
            i += n
        return out

    def _take(self, sock, data, src):
        key = (sock.fileno(), src, data[1])
        with self.lock:
            if key in self.outstanding:
                self.duplicates += 1
                return
            self.outstanding.add(key)
            self.max_outstanding = max(self.max_outstanding,
                                       len(self.outstanding))
            if data[0] == ACCESS_REQUEST:
                self.access += 1
                reply = self._reply(ACCESS_ACCEPT, data)
            else:
                a = self._attrs(data)
                status = struct.unpack("!I", a[A_ACCT_STATUS_TYPE])[0]
                sid = a[A_ACCT_SESSION_ID].decode()
                (self.starts if status == 1 else
                 self.stops if status == 2 else set()).add(sid)
                reply = self._reply(ACCT_RESPONSE, data)
        self.n += 1
        heapq.heappush(self.due, (time.monotonic() + self.delay, self.n,
                                  sock, reply, src, key))

    def _loop(self):
        socks = [self.auth, self.acct]
        while not self.stop.is_set():
            wait = 0.05
            if self.due:
                wait = max(0.0, min(wait, self.due[0][0] - time.monotonic()))
            r, _, _ = select.select(socks, [], [], wait)
            for s in r:
                data, src = s.recvfrom(4096)
                if len(data) >= 20:
                    self._take(s, data, src)
            now = time.monotonic()
            while self.due and self.due[0][0] <= now:
                _, _, s, reply, to, key = heapq.heappop(self.due)
                with self.lock:     # answered: no longer outstanding
                    self.outstanding.discard(key)
                s.sendto(reply, to)

    def close(self):
        self.stop.set()
        self.t.join()
        self.auth.close()
        self.acct.close()


@pytest.fixture
def scripted_lns(daemon, netns):
    servers = []

    def make(window, delay=0.02):
        ns = netns()
        srv = ScriptedRadius(ns, delay=delay)
        servers.append(srv)
        cfg = radius_cfg(debug=2, hostname=HOST, radius_timeout=3,
                         primary_radius_port=SCRIPTED_PORT,
                         radius_window=window, metrics_port=METRICS_PORT)
        d = daemon(cfg, ns=ns, users=USERS, ip_pool=POOL + "\n")
        return d, srv
    yield make
    for s in servers:
        s.close()


def burst(d, tunnels, sessions):
    """Every session of every tunnel at once; (rc, done event) once all
    are up and torn down."""
    lac = Lacsim(d.ns, "--ppp", "--tunnels", tunnels, "--sessions",
                 sessions, "--timeout", 120, "--ppp-max-configure", 30)
    try:
        rc, done = lac.finish(180)
    finally:
        lac.kill()
    return rc, done


def test_burst_never_exceeds_the_window(scripted_lns):
    """500 sessions at once, radius_window 8: at most 8 requests
    outstanding at the server at any time, and 8 reached; every session
    comes up; 500 Access-Requests, 500 Starts and 500 Stops arrive, none
    sent again; the daemon counts the requests that waited."""
    n, window = 500, 8
    d, srv = scripted_lns(window)
    rc, done = burst(d, 5, n // 5)
    assert rc == 0 and done["ppp_up"] == n, done
    assert done["auth_failures"] == 0, done
    wait_until(lambda: len(srv.stops) == n, 60, "every accounting Stop")
    assert srv.access == n
    assert len(srv.starts) == n and len(srv.stops) == n
    assert srv.max_outstanding == window, srv.max_outstanding
    assert srv.duplicates == 0
    cli = DaemonCli(d)
    # the last answers reach the daemon: nothing outstanding or waiting
    idle = re.compile(r"^window 8 per server: 0 outstanding at the primary, "
                      r"0 at the secondary; 0 waiting, 0 Stops queued$", re.M)
    out = wait_until(lambda: (lambda o: o if idle.search(o) else None)(
        cli.cmd("show radius")), 10, "the window empty in show radius")
    c = cli.counters()
    assert c["radius_queued"] > 0 and c["radius_window_full"] > 0, c
    assert c["radius_queue_full"] == 0 and c["radius_timeouts"] == 0, c
    assert c["radius_retransmits"] == 0 and c["radius_stop_lost"] == 0, c
    m = re.search(r"^window: (\d+) queued, (\d+) found it full, 0 refused",
                  out, re.M)
    assert m and int(m.group(1)) == c["radius_queued"], out
    assert int(m.group(2)) == c["radius_window_full"], out
    cli.close()
    status, text = http_get(d.ns, "/metrics")
    assert status.startswith("200"), status
    srv_label = {"server": f"127.0.0.1:{SCRIPTED_PORT}"}
    assert sample(text, "l2tpns_radius_outstanding", **srv_label) == 0
    assert sample(text, "l2tpns_radius_queue_length") == 0
    assert sample(text, "l2tpns_radius_queued_total") == c["radius_queued"]
    assert sample(text, "l2tpns_radius_window_full_total") == \
        c["radius_window_full"]
    assert sample(text, "l2tpns_radius_queue_full_total") == 0


def test_without_window_the_burst_floods(scripted_lns):
    """The same burst with radius_window 0 (no window): far more than 8
    outstanding at once, nothing queued (the check above can fail)."""
    n = 200
    d, srv = scripted_lns(0)
    rc, done = burst(d, 2, n // 2)
    assert rc == 0 and done["ppp_up"] == n, done
    assert srv.max_outstanding > 8, srv.max_outstanding
    cli = DaemonCli(d)
    c = cli.counters()
    assert c["radius_queued"] == 0 and c["radius_window_full"] == 0, c
    cli.close()


def radius_drops(ns):
    """(ports found, datagrams dropped) of FreeRADIUS's auth and acct
    sockets (the skmem "d" of ``ss -uamn``), the ports of test_radius.py."""
    out = ns.run(["ss", "-uamn"]).stdout
    ports, drops = set(), 0
    for m in re.finditer(r"127\.0\.0\.1:(\d+)\s.*?\n\s*skmem:\(([^)]*)\)",
                         out):
        if int(m.group(1)) in (AUTH_PORT, AUTH_PORT + 1):
            ports.add(int(m.group(1)))
            drops += int(re.search(r"\bd(\d+)", m.group(2)).group(1))
    return ports, drops


@pytest.mark.parametrize("window", [16])
def test_burst_with_freeradius(daemon, netns, tmp_path, window):
    """The burst against FreeRADIUS with a window: every session up,
    every Start in its detail file, and its sockets drop nothing."""
    n = 500
    ns = netns()
    rad = FreeRadius(ns, tmp_path / "radius", users=ANY_USER).start()
    try:
        cfg = radius_cfg(debug=2, hostname=HOST, radius_timeout=3,
                         radius_window=window)
        d = daemon(cfg, ns=ns, users=USERS, ip_pool=POOL + "\n")
        lac = Lacsim(d.ns, "--ppp", "--tunnels", 5, "--sessions", n // 5,
                     "--hold", 600, "--timeout", 120,
                     "--ppp-max-configure", 30)
        try:
            lac.wait("ppp_up", n, 150)
            assert not lac.events("ppp_auth_fail")
            cli = DaemonCli(d)
            sess = [s for s in cli.sessions() if s["state"] == "Open"]
            assert len(sess) == n
            want = {s["acct_session_id"] for s in sess}

            def started():
                got = {r["Acct-Session-Id"] for r in rad.records()
                       if r.get("Acct-Status-Type") == "Start"}
                return got >= want
            wait_until(started, 60, "an accounting Start for every session")
            c = cli.counters()
            assert c["radius_timeouts"] == 0, c
            assert radius_drops(ns) == ({AUTH_PORT, AUTH_PORT + 1}, 0)
            cli.close()
            lac.stop(120)
        finally:
            lac.kill()
    finally:
        rad.stop()
