"""Call quality (cqm.c): LCP echo round-trip time and loss per login in
100-second buckets, read through the CLI (show session ID quality, its
JSON and CSV forms).

The LAC simulator runs in its own namespace behind a veth pair whose LAC
end has `tc netem delay 40ms loss 20%`: every LCP Echo-Reply (and every
other packet) from the LAC is delayed 40 ms and one in five is lost.  On
a kernel without netem (CONFIG_NET_SCH_NETEM off, as on the CI machines
this was written on) the same impairment is made by a UDP relay in the
test between the LAC simulator and the daemon: each datagram from the LAC
is dropped with probability 0.2 or forwarded 40 ms later.  The daemon
sends an echo a second (echo_timeout 1, ppp_keepalive no) on 30
sessions of one login, so the login's buckets gather about a thousand
echoes; their RTT and loss must be what netem imposes, within 20%.
"""
import csv
import heapq
import io
import json
import random
import select
import socket
import subprocess
import threading
import time

from conftest import LACSIM, local_auth, wait_until
from test_cli import clis, rows  # noqa: F401 (clis: a fixture)

LAC_ADDR, LNS_ADDR = "10.77.0.1", "10.77.0.2"
DELAY_MS, LOSS = 40.0, 0.20
SESSIONS = 30
USER = "cqmuser"


class Relay:
    """netem in user space: LAC -> LNS datagrams lost with probability
    `loss`, the others delayed `delay` seconds; LNS -> LAC untouched."""

    def __init__(self, ns, lns, delay, loss, port=11701):
        def socks():
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            a.bind(("127.0.0.1", port))
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            b.connect(lns)
            return a, b
        self.a, self.b = ns.run_in(socks)
        self.addr = f"127.0.0.1:{port}"
        self.delay, self.loss = delay, loss
        self.lac = None
        self.queue = []
        self.stop = False
        self.rng = random.Random(1701)
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            now = time.monotonic()
            while self.queue and self.queue[0][0] <= now:
                _, _, pkt = heapq.heappop(self.queue)
                self.b.send(pkt)
            wait = min(0.05, self.queue[0][0] - now) if self.queue else 0.05
            r, _, _ = select.select([self.a, self.b], [], [], max(0, wait))
            if self.a in r:
                pkt, self.lac = self.a.recvfrom(4096)
                if self.rng.random() >= self.loss:
                    heapq.heappush(self.queue, (time.monotonic() +
                                                self.delay, id(pkt), pkt))
            if self.b in r:
                pkt = self.b.recv(4096)
                if self.lac:
                    self.a.sendto(pkt, self.lac)

    def close(self):
        self.stop = True
        self.t.join(2)
        self.a.close()
        self.b.close()


def impaired_link(d, netns):
    """(LAC namespace, the LNS address lacsim uses, cleanup)."""
    lac_ns = netns()
    lac_dev, _ = netns.veth(lac_ns, d.ns, f"{LAC_ADDR}/24", f"{LNS_ADDR}/24")
    p = lac_ns.run(["tc", "qdisc", "add", "dev", lac_dev, "root", "netem",
                    "delay", f"{int(DELAY_MS)}ms", "loss",
                    f"{LOSS * 100:g}%"], check=False)
    if p.returncode == 0:
        return lac_ns, LNS_ADDR, lambda: None
    assert "unknown" in p.stderr, p.stderr      # only a missing netem
    r = Relay(d.ns, ("127.0.0.1", 1701), DELAY_MS / 1000, LOSS)
    return d.ns, r.addr, r.close


def test_quality_buckets_match_netem_delay_and_loss(daemon, netns, clis,
                                                      tmp_path, request):
    subs = local_auth(tmp_path, "* password\n")
    d = daemon({"local_auth_file": str(subs), "echo_timeout": 1,
                "ppp_keepalive": False, "ppp_restart_time": 1,
                "allow_duplicate_users": True,
                "hostname": "lns-cli", "debug": 3})
    lac_ns, lns_addr, cleanup = impaired_link(d, netns)
    request.addfinalizer(cleanup)
    t0 = time.time()
    lac = lac_ns.popen([str(LACSIM), "--lns", lns_addr, "--json", "--ppp",
                        "--sessions", str(SESSIONS), "--user", USER,
                        "--hold", "60", "--timeout", "30"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    c = clis(d).login()
    wait_until(lambda: len(rows(c.cmd("show session"))) == SESSIONS and
               "cqmuser" in c.cmd("show users"), 40, "the sessions up")
    sid = rows(c.cmd("show session"))[0][0]
    # about 40 s of echoes on every session
    time.sleep(max(0, 45 - (time.time() - t0)))
    out = c.cmd(f"show session {sid} quality json")
    assert out.startswith("{"), out
    js = json.loads(out)
    text = c.cmd(f"show session {sid} quality csv")
    table = c.cmd(f"show session {sid} quality")
    lac.kill()
    lac.communicate(timeout=10)

    assert js["user"] == USER and js["bucket_seconds"] == 100
    n = len(js["time"])
    assert 1 <= n <= 2, js          # the run spans one or two buckets
    for col in ("sent", "lost", "loss", "rtt_min_ms", "rtt_avg_ms",
                "rtt_max_ms", "state"):
        assert len(js[col]) == n, col
    assert all(t % 100 == 0 and t0 - 200 <= t <= time.time() for t in
               js["time"]), js["time"]
    sent = sum(js["sent"])
    lost = sum(js["lost"])
    # sent counts echoes still awaiting their reply: at most one a session
    answered_w = [(s - l, a) for s, l, a in zip(js["sent"], js["lost"],
                                                js["rtt_avg_ms"]) if a]
    assert sent >= SESSIONS * 25, sent
    loss = lost / sent
    assert abs(loss - LOSS) <= 0.2 * LOSS, (loss, js)
    avg = sum(w * a for w, a in answered_w) / sum(w for w, _ in answered_w)
    assert abs(avg - DELAY_MS) <= 0.2 * DELAY_MS, (avg, js)
    assert min(js["rtt_min_ms"]) >= DELAY_MS, js["rtt_min_ms"]
    assert max(js["rtt_max_ms"]) < DELAY_MS * 3, js["rtt_max_ms"]
    assert set(js["state"]) <= {"established", "negotiating"}, js["state"]

    # the CSV has the same buckets
    # (read a moment after the JSON: the live last bucket may have grown)
    recs = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["time"]) for r in recs] == js["time"]
    assert [int(r["sent"]) for r in recs][:-1] == js["sent"][:-1]
    assert [int(r["lost"]) for r in recs][:-1] == js["lost"][:-1]
    assert int(recs[-1]["sent"]) >= js["sent"][-1]
    assert int(recs[-1]["lost"]) >= js["lost"][-1]
    for r, a in list(zip(recs, js["rtt_avg_ms"]))[:-1]:
        assert abs(float(r["rtt_avg_ms"]) - a) < 0.01
    # and the table one line a bucket
    assert f'Call quality of "{USER}"' in table
    assert len([l for l in table.splitlines() if l[:2] == "20"]) == n, table

    out = c.cmd("show session 99999 quality")
    assert "No session 99999" in out
