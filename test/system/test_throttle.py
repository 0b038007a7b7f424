"""Throttling (tbf.c; manual, "Throttling") measured on real traffic.

A scripted subscriber (pppwire.Ppp) receives a paced UDP stream sent
from the daemon's namespace (downstream) or sends one to a socket there
(upstream), well above the session's rate; the rate the other end sees
must settle near the throttle rate, while an unthrottled session gets
its whole stream.  Rates are set from the CLI (a real telnet client),
from nsctl (throttlectl) and from RADIUS (autothrottle at FreeRADIUS).

Tolerance: the measured rate, over the window after the first second
(the bucket's burst and the queue fill first), must lie within 15% of
the configured rate.  The stream sends 1000-byte datagrams (1028 octets
of IP) at about 3.3 Mbit/s.
"""
import socket
import threading
import time

import pytest

from conftest import LACSIM, wait_until
from nsctlhelp import nsctl, plugin_dir
from pppwire import IP, ipv4_udp, ppp_call
from test_cli import Cli, rows

POOL = "198.51.100.0/26"
SUBSCRIBERS = "alice secret\nbob pw2\n"
USERS = "admin:admin\nenable:en\n"
PAYLOAD = 1000
PPS = 400
TOLERANCE = 0.15


@pytest.fixture
def lns(daemon, tmp_path):
    def make(cfg=None, extra=()):
        subs = tmp_path / "subscribers"
        subs.write_text(SUBSCRIBERS)
        c = {"hostname": "lns-cli", "local_auth_file": str(subs),
             "debug": 3, "ppp_restart_time": 1,
             "plugin_dir": str(plugin_dir(tmp_path))}
        c.update(cfg or {})
        return daemon(c, users=USERS, extra_lines=list(extra))
    return make


def session(d, user, password, our_sid):
    lac, p = ppp_call(d.ns, "127.0.0.1", f"lac-{user}", our_sid)
    ip = p.up(user, password)[0]
    return lac, p, ip


def cli(d):
    c = Cli(d).login()
    c.enable("en")
    return c


def downstream_rate(d, p, ip, seconds=3.0, port=6000):
    """Send a paced stream from the daemon's namespace to `ip`; return
    the rate (kbit/s of IP octets) the subscriber receives after the
    first second."""
    tx = d.ns.socket()
    stop = threading.Event()

    def pace():
        t0 = time.time()
        n = 0
        while not stop.is_set():
            tx.sendto(b"x" * PAYLOAD, (ip, port))
            n += 1
            delay = t0 + n / PPS - time.time()
            if delay > 0:
                time.sleep(delay)
    th = threading.Thread(target=pace)
    th.start()
    got = []
    t0 = time.time()
    try:
        while time.time() - t0 < seconds:
            try:
                f = p.recv(0.5)
            except TimeoutError:
                continue
            if f.proto == IP and len(f.payload) == 20 + 8 + PAYLOAD:
                got.append((time.time() - t0, len(f.payload)))
    finally:
        stop.set()
        th.join()
        tx.close()
    octets = sum(n for t, n in got if t >= 1.0)
    return octets * 8 / 1000 / (seconds - 1.0)


def upstream_rate(d, p, ip, seconds=3.0, port=6001):
    """Send a paced stream from the subscriber to a socket in the
    daemon's namespace; return the rate received there after the first
    second (kbit/s of IP octets)."""
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", port))
    rx.settimeout(0.2)
    dst = d.tun_addrs()[0].split("/")[0]
    got = []
    stop = threading.Event()
    t0 = time.time()

    def sink():
        while not stop.is_set():
            try:
                data = rx.recv(4096)
            except socket.timeout:
                continue
            got.append((time.time() - t0, 20 + 8 + len(data)))
    th = threading.Thread(target=sink)
    th.start()
    pkt = ipv4_udp(ip, dst, 5000, port, b"y" * PAYLOAD)
    n = 0
    try:
        while time.time() - t0 < seconds:
            p.send(IP, pkt)
            n += 1
            delay = t0 + n / PPS - time.time()
            if delay > 0:
                time.sleep(delay)
        time.sleep(0.2)
    finally:
        stop.set()
        th.join()
        rx.close()
    octets = sum(n for t, n in got if 1.0 <= t < seconds)
    return octets * 8 / 1000 / (seconds - 1.0)


def near(measured, rate):
    return abs(measured - rate) <= TOLERANCE * rate


def test_cli_throttle_each_direction_and_unthrottled_neighbour(lns):
    d = lns()
    _, pa, ipa = session(d, "alice", "secret", 77)
    _, pb, ipb = session(d, "bob", "pw2", 78)
    c = cli(d)
    out = c.cmd("throttle alice in 600 out 1000")
    assert "Throttling user alice (in 600, out 1000 kbit/s)" in out
    # the T column
    flags = {r[2]: r[5] for r in rows(c.cmd("show session"))}
    assert flags == {"alice": "Y", "bob": "N"}, flags
    down = downstream_rate(d, pa, ipa)
    assert near(down, 1000), down
    up = upstream_rate(d, pa, ipa)
    assert near(up, 600), up
    # bob is not slowed: he gets the whole stream (3.3 Mbit/s)
    free = downstream_rate(d, pb, ipb)
    assert free > 0.9 * PPS * (20 + 8 + PAYLOAD) * 8 / 1000, free
    # no throttle: alice's stream is whole again at once
    assert "Unthrottling user alice" in c.cmd("no throttle alice")
    flags = {r[2]: r[5] for r in rows(c.cmd("show session"))}
    assert flags["alice"] == "N"
    free = downstream_rate(d, pa, ipa)
    assert free > 0.9 * PPS * (20 + 8 + PAYLOAD) * 8 / 1000, free
    assert "% User alice is not throttled" in c.cmd("no throttle alice")


def test_rate_change_takes_effect_on_a_live_stream(lns):
    d = lns({"throttle_speed": 800})
    _, p, ip = session(d, "alice", "secret", 77)
    c = cli(d)
    # no rate: throttle_speed both ways
    assert "(in 800, out 800 kbit/s)" in c.cmd("throttle alice")
    assert near(downstream_rate(d, p, ip), 800)
    assert "(in 800, out 1600 kbit/s)" in c.cmd("throttle alice out 1600")
    assert near(downstream_rate(d, p, ip), 1600)


def test_nsctl_throttlectl(lns):
    d = lns(extra=["load plugin throttlectl"])
    _, p, ip = session(d, "alice", "secret", 77)
    r = nsctl(d.ns, "throttle", "alice", "out", "700", check=0)
    assert "throttled: in 0, out 700 kbit/s" in r.stdout, r.stdout
    assert near(downstream_rate(d, p, ip), 700)
    nsctl(d.ns, "unthrottle", "alice", check=0)
    free = downstream_rate(d, p, ip)
    assert free > 0.9 * PPS * (20 + 8 + PAYLOAD) * 8 / 1000, free


def test_queue_full_drops_counted_and_session_end_frees_buckets(lns):
    d = lns()
    lac, p, ip = session(d, "alice", "secret", 77)
    c = cli(d)
    c.cmd("throttle alice 200")

    def counter(text):
        for line in c.cmd("show counters").splitlines():
            if line.strip().startswith(text):
                return int(line.split()[-1])
        raise AssertionError(text)
    downstream_rate(d, p, ip, seconds=2.0)
    assert counter("throttled packets dropped") > 0
    assert counter("throttled packets queued") > 0
    # the session goes while packets wait: nothing is left behind, and
    # a new session of the same user is not throttled
    c.cmd("drop session 1")
    wait_until(lambda: not rows(c.cmd("show session")), what="session gone")
    _, p2, ip2 = session(d, "alice", "secret", 79)
    flags = {r[2]: r[5] for r in rows(c.cmd("show session"))}
    assert flags == {"alice": "N"}, flags
    free = downstream_rate(d, p2, ip2, seconds=2.0)
    assert free > 0.9 * PPS * (20 + 8 + PAYLOAD) * 8 / 1000, free


def local_burst(src, src_ip, dst, dst_ip, n=60, wait=1.5):
    """`src` sends n 1000-byte datagrams to `dst_ip` (another session of
    the server) at PPS; returns how many `dst` receives within `wait`
    seconds after the last one."""
    pkt = ipv4_udp(src_ip, dst_ip, 5000, 6002, b"l" * PAYLOAD)
    for i in range(n):
        src.send(IP, pkt)
        time.sleep(1 / PPS)
    got = 0
    end = time.time() + wait
    while time.time() < end:
        try:
            f = dst.recv(max(0.01, end - time.time()))
        except TimeoutError:
            break
        if f.proto == IP and f.payload[12:16] == socket.inet_aton(src_ip):
            got += 1
    return got


@pytest.mark.parametrize("local_free", [True, False])
def test_no_throttle_local_ip(lns, local_free):
    # 60 datagrams of 1028 octets in 0.15 s: at 100 kbit/s a throttled
    # session passes a fraction of them in the 1.5 s that follow.
    d = lns({"no_throttle_local_IP": "yes" if local_free else "no"})
    d.ns.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    d.ns.run(["sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0"])
    d.ns.run(["sysctl", "-qw", f"net.ipv4.conf.{d.tun}.send_redirects=0"])
    _, pa, ipa = session(d, "alice", "secret", 77)
    _, pb, ipb = session(d, "bob", "pw2", 78)
    c = cli(d)
    assert "(in 100, out 100 kbit/s)" in c.cmd("throttle alice 100")
    up = local_burst(pa, ipa, pb, ipb)          # alice's upstream
    down = local_burst(pb, ipb, pa, ipa)        # alice's downstream
    if local_free:
        assert up >= 57 and down >= 57, (up, down)
        # Traffic to the rest of the world is still throttled.
        assert near(upstream_rate(d, pa, ipa), 100), "upstream"
    else:
        assert up <= 40 and down <= 40, (up, down)


# ---------------------------------------------------------------------------
# TCP through throttled sessions: kernel TCP at both ends (lacsim --tun,
# see test_dataplane.py), one bulk connection per direction.

TCP_RATE = 2000         # kbit/s
TCP_SECONDS = 5.0


def tcp_goodput(src_ns, src_addr, dst_ns, dst_addr, port):
    """Bulk TCP from src_addr to dst_addr for TCP_SECONDS; returns the
    receiver's goodput in kbit/s over the time after the first second."""
    from test_dataplane import make_sockets
    ls = make_sockets(dst_ns, 1)[0]
    ls.bind((dst_addr, port))
    ls.listen(1)
    ls.settimeout(5)
    c = make_sockets(src_ns, 1)[0]
    c.bind((src_addr, 0))
    got = []
    stop = threading.Event()

    def send():
        c.settimeout(10)
        c.connect((dst_addr, port))
        chunk = b"z" * 65536
        try:
            while not stop.is_set():
                c.send(chunk)
        except OSError:
            pass
    th = threading.Thread(target=send)
    th.start()
    a, _ = ls.accept()
    a.settimeout(1)
    t0 = time.time()
    try:
        while time.time() - t0 < TCP_SECONDS:
            try:
                n = len(a.recv(262144))
            except socket.timeout:
                continue
            got.append((time.time() - t0, n))
    finally:
        stop.set()
        c.close()
        th.join()
        a.close()
        ls.close()
    octets = sum(n for t, n in got if t >= 1.0)
    return octets * 8 / 1000 / (TCP_SECONDS - 1.0)


@pytest.mark.parametrize("offload", ["offload", "no_offload"])
def test_tcp_settles_near_the_rate_each_way(daemon, netns, tmp_path,
                                            offload):
    """A throttled session's TCP goodput each way lies between 75% and
    105% of its rate (payload only: headers take about 4% of a full
    segment); an unthrottled neighbour is not held to it.  With the
    data-plane offloads and without (test_dataplane.OFFLOADS): the
    bucket sees each segment cut from a super-segment."""
    from test_dataplane import Lacsim, make_net_offload, SRV_ADDR
    assert LACSIM.exists(), "run make"
    d, lac_ns, srv = make_net_offload(
        lambda cfg, **kw: daemon(cfg, users=USERS, **kw), netns, tmp_path,
        offload)
    lac = Lacsim(lac_ns, "--sessions", 2, "--tun", "tt%d", "--hold", 120,
                 "--timeout", 30, "--user", "sub%d")
    try:
        ups = lac.wait("tun_up", 2, 30)
        addr = {e["number"]: e["address"] for e in ups}
        c = Cli(d).login()
        c.enable("en")
        assert "Throttling user sub1" in c.cmd(f"throttle sub1 {TCP_RATE}")
        down = tcp_goodput(srv, SRV_ADDR, lac_ns, addr[1], 7101)
        up = tcp_goodput(lac_ns, addr[1], srv, SRV_ADDR, 7102)
        free = tcp_goodput(srv, SRV_ADDR, lac_ns, addr[2], 7103)
        print(f"goodput at {TCP_RATE} kbit/s: down {down:.0f}, up "
              f"{up:.0f}; unthrottled {free:.0f} kbit/s")
        assert 0.75 * TCP_RATE <= down <= 1.05 * TCP_RATE, down
        assert 0.75 * TCP_RATE <= up <= 1.05 * TCP_RATE, up
        assert free > 3 * TCP_RATE, free
    finally:
        lac.stop()
