"""The data plane end to end: kernel TCP through PPP subscribers.

Three namespaces, chained by veth pairs:

    LAC                      LNS (the daemon's)             server
    lacsim --tun  lac0 ---- lns0  l2tpns  tun0  lns1 ---- srv0
    192.0.2.2/24            192.0.2.1/24        198.18.0.1/24  198.18.0.2/24
    dp1..dpN: one TUN       routes the pool to tun0,       routes the pool
    device per session      forwards                        via 198.18.0.1

lacsim (test/lacsim/README.md, --tun) brings PPP subscribers up through
l2tpns and gives each a TUN device in the LAC namespace with its pool
address, a routing table and a source rule of its own, so a socket bound
to a subscriber's address is that subscriber.  The LAC namespace has no
other route to the server: whatever reaches it went through a session,
the daemon and its tun device; whatever comes back went through the
daemon's pool route, the tunnel and lacsim.

Checked: 100 sessions, for each a TCP connection from the subscriber to
the server and one from the server to the subscriber, both ways on each,
every payload unique to its session and compared byte for byte at the
far end; the daemon's per-session counters (`show session json` in the
CLI) grow by at least what each session sent and received; and the
devices, tables and rules lacsim adds are there while the sessions are
and gone after it exits (SIGTERM), and its option checks.

The tests that move packets run twice, with the data-plane offloads
(tun_offload, tun_gro, udp_gso, udp_gro: the defaults) and without
them: the same bytes must arrive, the daemon's per-session
counters must equal, byte for byte and packet for packet, what lacsim's
devices sent and received, and the offload counters must show the
offloads at work (or idle, when off).
"""
import hashlib
import json
import selectors
import signal
import socket
import subprocess
import time

import pytest

import faultkit
from conftest import local_auth, wait_until
from test_cli import Cli

HOST = "lns-cli"                # test_cli's PROMPT expects this hostname
LAC_ADDR, LNS_LAC_ADDR = "192.0.2.2", "192.0.2.1"
LNS_SRV_ADDR, SRV_ADDR = "198.18.0.1", "198.18.0.2"
POOL = "100.64.0.0/24"
PORT_UP = 5001                  # the server's listener
PORT_DOWN = 5002                # each subscriber's listener
SIZE = 48 * 1024                # each way on each connection


class Lacsim(faultkit.Lacsim):
    """lacsim with PPP (--ppp) towards the LNS's LAC-side address."""

    def __init__(self, ns, *args):
        super().__init__(ns, "--ppp", *args, lns=LNS_LAC_ADDR)


def make_net(daemon, netns, tmp_path, config=None):
    """The three namespaces; returns (daemon, lac ns, server ns)."""
    auth = local_auth(tmp_path, "* password\n")
    cfg = {"hostname": HOST, "debug": 2, "local_auth_file": str(auth),
           "peer_address": LNS_SRV_ADDR}
    cfg.update(config or {})
    d = daemon(cfg, ip_pool=POOL + "\n")
    lac, srv = netns(), netns()
    netns.veth(lac, d.ns, f"{LAC_ADDR}/24", f"{LNS_LAC_ADDR}/24",
               "lac0", "lns0")
    netns.veth(d.ns, srv, f"{LNS_SRV_ADDR}/24", f"{SRV_ADDR}/24",
               "lns1", "srv0")
    d.ns.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
    srv.ip("route", "add", POOL, "via", LNS_SRV_ADDR)
    return d, lac, srv


# The data-plane offloads (manual, "Data-plane offloads"): on (the
# defaults) and every one turned off.
OFFLOADS = {"offload": {},
            "no_offload": {"tun_offload": "no", "tun_gro": "no",
                           "udp_gso": "no", "udp_gro": "no"}}
# test_dataplane's own runs add the io_uring writes (tun_uring).
MODES = dict(OFFLOADS, uring={"tun_uring": "yes"})
OFFLOAD_COUNTERS = ("tun_gso_rx", "tun_gso_segments", "tun_gro_writes",
                    "tun_gro_segments", "udp_gso_sends", "udp_gso_segments",
                    "udp_gro_rx", "udp_gro_segments")


def make_net_offload(daemon, netns, tmp_path, mode, config=None):
    """make_net with the offloads of `mode` (MODES)."""
    cfg = dict(MODES[mode])
    cfg.update(config or {})
    return make_net(daemon, netns, tmp_path, cfg)


@pytest.fixture(params=list(MODES))
def offload(request):
    return request.param


@pytest.fixture
def net(daemon, netns, tmp_path, lacsim_bin, offload):
    return make_net_offload(daemon, netns, tmp_path, offload)


def payload(number, flow):
    """SIZE bytes only session `number` sends on `flow`."""
    return hashlib.shake_256(f"session {number} {flow}".encode()) \
        .digest(SIZE)


# ---------------------------------------------------------------------------
# TCP: every endpoint sends its payload, shuts down its sending side, reads
# to EOF and compares; one selector runs them all.


class End:
    def __init__(self, sock, out, want, what, connecting=False):
        self.sock, self.out, self.want, self.what = sock, out, want, what
        self.connecting = connecting
        self.sent = 0
        self.got = bytearray()
        self.eof = False
        self.error = None

    def done(self):
        return self.error is not None or (self.eof and
                                          self.sent == len(self.out))


class Traffic:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.ends = []
        self.listeners = {}         # socket -> accept callback

    def listen(self, sock, on_accept):
        sock.setblocking(False)
        sock.listen(256)
        self.listeners[sock] = on_accept
        self.sel.register(sock, selectors.EVENT_READ, None)

    def add(self, end):
        end.sock.setblocking(False)
        self.ends.append(end)
        self.sel.register(end.sock, selectors.EVENT_READ |
                          selectors.EVENT_WRITE, end)

    def connect(self, end, addr):
        self.add(end)
        err = end.sock.connect_ex(addr)
        assert err in (0, 115), (end.what, err)     # EINPROGRESS

    def _step(self, end, mask):
        s = end.sock
        if end.connecting and mask & selectors.EVENT_WRITE:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                end.error = f"connect: errno {err}"
                return
            end.connecting = False
        if mask & selectors.EVENT_WRITE and end.sent < len(end.out):
            try:
                end.sent += s.send(end.out[end.sent:end.sent + 65536])
            except BlockingIOError:
                pass
            if end.sent == len(end.out):
                s.shutdown(socket.SHUT_WR)
        if mask & selectors.EVENT_READ and not end.connecting:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                data = None
            if data == b"":
                end.eof = True
            elif data:
                end.got += data
        want = (0 if end.eof else selectors.EVENT_READ) | \
            (selectors.EVENT_WRITE if end.sent < len(end.out) else 0)
        if want == 0:
            self.sel.unregister(s)
        else:
            self.sel.modify(s, want, end)

    def run(self, expected_ends, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if len(self.ends) == expected_ends and \
                    all(e.done() for e in self.ends):
                return
            if time.monotonic() > deadline:
                late = [e.what for e in self.ends if not e.done()]
                pytest.fail(f"TCP not done after {timeout}s: "
                            f"{len(self.ends)} of {expected_ends} ends, "
                            f"unfinished {late[:10]}")
            for key, mask in self.sel.select(0.2):
                if key.data is None:
                    while True:
                        try:
                            c, peer = key.fileobj.accept()
                        except BlockingIOError:
                            break
                        self.listeners[key.fileobj](c, peer)
                else:
                    self._step(key.data, mask)

    def run_intact(self, expected_ends, timeout):
        """run(), then every end got exactly what it wanted, no error."""
        self.run(expected_ends, timeout)
        bad = [(e.what, e.error, len(e.got)) for e in self.ends
               if e.error or bytes(e.got) != e.want]
        assert not bad, bad

    def close(self):
        for e in self.ends:
            e.sock.close()
        for s in self.listeners:
            s.close()
        self.sel.close()


def make_sockets(ns, n):
    return ns.run_in(lambda: [socket.socket(socket.AF_INET,
                                            socket.SOCK_STREAM)
                              for _ in range(n)])


def session_counters(d, cli, packets=False):
    """{ip: (uploaded, downloaded)} from the daemon's CLI, with
    (packets_in, packets_out) after them if asked."""
    js = json.loads(cli.cmd("show session json", timeout=10))
    return {s["ip"]: (s["uploaded"], s["downloaded"]) +
            ((s["packets_in"], s["packets_out"]) if packets else ())
            for s in js["sessions"]}


def settled(d, cli, what="session counters"):
    """The session counters once two reads a second apart agree (the
    last ACKs and FINs have gone through)."""
    last = [None]

    def same():
        now = session_counters(d, cli, packets=True)
        if now == last[0]:
            return now
        last[0] = now
        return None
    return wait_until(same, 15, f"{what} to settle", interval=1.0)


def check_offload_counters(ctr, offload, downstream=True, upstream=True):
    """With the offloads on they were used; with them off, never; with
    tun_uring, upstream packets went through io_uring, several a
    submission."""
    if offload == "uring":
        assert ctr["tun_uring_writes"] > ctr["tun_uring_submits"] > 0, ctr
    else:
        assert ctr["tun_uring_writes"] == ctr["tun_uring_submits"] == 0
    print({k: ctr[k] for k in OFFLOAD_COUNTERS + ("dp_syscalls",
                                                   "tun_gso_bad")})
    if offload == "no_offload":
        assert {k: ctr[k] for k in OFFLOAD_COUNTERS} == \
            dict.fromkeys(OFFLOAD_COUNTERS, 0), ctr
        return
    if downstream:
        # kernel TCP handed us super-segments, cut into several each
        assert ctr["tun_gso_rx"] > 0, ctr
        assert ctr["tun_gso_segments"] > ctr["tun_gso_rx"], ctr
        assert ctr["udp_gso_sends"] > 0, ctr
        assert ctr["udp_gso_segments"] >= 2 * ctr["udp_gso_sends"], ctr
    if upstream:
        assert ctr["tun_gro_writes"] > 0, ctr
        assert ctr["tun_gro_segments"] >= 2 * ctr["tun_gro_writes"], ctr
    # (veth hands a socket coalesced datagrams only from a UDP_SEGMENT
    # sender, which lacsim is not: udp_gro_rx stays 0 here)
    assert ctr["tun_gso_bad"] == 0, ctr


# ---------------------------------------------------------------------------


def test_100_sessions_tcp_both_ways(net, lacsim_bin, offload):
    d, lac_ns, srv = net
    n = 100
    lac = Lacsim(lac_ns, "--tunnels", 4, "--sessions", 25, "--tun", "dp%d",
                 "--hold", 120, "--timeout", 30)
    traffic = Traffic()
    try:
        ups = lac.wait("tun_up", n, 30)
        addr = {e["number"]: e["address"] for e in ups}
        assert sorted(addr) == list(range(1, n + 1))
        assert len(set(addr.values())) == n, "two sessions share an address"
        number_of = {a: k for k, a in addr.items()}

        cli = Cli(d).login()
        before = wait_until(lambda: (lambda c: len(c) == n and c)(
            session_counters(d, cli)), 10, "100 sessions in the CLI")
        assert set(before) == set(number_of)

        # the server: identifies the session by the source address
        def server_accept(c, peer):
            k = number_of.get(peer[0])
            if k is None:
                c.close()
                pytest.fail(f"connection from {peer}, not a subscriber")
            traffic.add(End(c, payload(k, "up-s2c"), payload(k, "up-c2s"),
                            f"server end of up {k}"))
        lsock = make_sockets(srv, 1)[0]
        lsock.bind((SRV_ADDR, PORT_UP))
        traffic.listen(lsock, server_accept)

        # each subscriber: a listener on its own address
        def sub_accept(k):
            def accept(c, peer):
                assert peer[0] == SRV_ADDR, peer
                traffic.add(End(c, payload(k, "down-c2s"),
                                payload(k, "down-s2c"),
                                f"subscriber end of down {k}"))
            return accept
        socks = make_sockets(lac_ns, 2 * n)
        for k in range(1, n + 1):
            ls = socks[2 * k - 2]
            ls.bind((addr[k], PORT_DOWN))
            traffic.listen(ls, sub_accept(k))
        # subscriber -> server, from each session's address
        for k in range(1, n + 1):
            c = socks[2 * k - 1]
            c.bind((addr[k], 0))
            traffic.connect(End(c, payload(k, "up-c2s"),
                                payload(k, "up-s2c"), f"up {k}",
                                connecting=True), (SRV_ADDR, PORT_UP))
        # server -> each subscriber
        for k, c in enumerate(make_sockets(srv, n), 1):
            traffic.connect(End(c, payload(k, "down-s2c"),
                                payload(k, "down-c2s"), f"down {k}",
                                connecting=True), (addr[k], PORT_DOWN))
        traffic.run(4 * n, timeout=40)

        # (a) every byte at the right end
        bad = [e.what for e in traffic.ends
               if e.error or bytes(e.got) != e.want]
        assert not bad, [(e.what, e.error, len(e.got)) for e in
                         traffic.ends if e.what in bad[:5]]
        assert all(e.sent == SIZE for e in traffic.ends)

        # (b) the daemon counted at least that much for each session
        def grown():
            after = session_counters(d, cli)
            short = [ip for ip in number_of
                     if after[ip][0] - before[ip][0] < 2 * SIZE or
                     after[ip][1] - before[ip][1] < 2 * SIZE]
            return (not short and after) or None
        after = wait_until(grown, 5, "every session's counters to grow "
                           "by 2 x SIZE each way")
        assert len(after) == n
        final = settled(d, cli)
        ctr = json.loads(cli.cmd("show counters json"))
        cli.close()
    finally:
        traffic.close()
        rc, done = lac.stop()
    # (c) the daemon's accounting is exactly what lacsim's devices saw,
    # segment by segment, with offloads or without
    delta = [sum(final[ip][i] - (before[ip][i] if i < 2 else 0)
                 for ip in number_of) for i in range(4)]
    assert delta[0] == done["tun_out_bytes"], (delta, done)
    assert delta[1] == done["tun_in_bytes"], (delta, done)
    assert delta[2] == done["tun_out_packets"], (delta, done)
    assert delta[3] == done["tun_in_packets"], (delta, done)
    check_offload_counters(ctr, offload)
    print(f"{offload}: {ctr['dp_syscalls']} data-path system calls for "
          f"{done['tun_in_packets'] + done['tun_out_packets']} packets")
    assert not lac.events("error"), lac.events("error")[:5]
    assert rc == 0 and done["ok"] is True, done
    assert done["tun_up"] == n and done["tun_down"] == n
    assert done["tun_dropped"] == 0, done
    # the payloads plus TCP/IP headers went through the devices
    assert done["tun_out_bytes"] > 2 * n * SIZE, done
    assert done["tun_in_bytes"] > 2 * n * SIZE, done
    # torn down by SIGTERM: no device and no rule of ours left
    assert not [l for l in lac_ns.links() if l.startswith("dp")]
    assert not [r for r in lac_ns.ip_json("rule", "show")
                if r.get("src", "").startswith("100.64.")]


def test_tun_device_state_and_cleanup(net, lacsim_bin):
    d, lac_ns, srv = net
    lac = Lacsim(lac_ns, "--sessions", 2, "--tun", "sub%d", "--tun-table",
                 5000, "--hold", 60, "--timeout", 20)
    try:
        ups = lac.wait("tun_up", 2, 20)
        ppp = {e["session"]: e for e in lac.events("ppp_up")}
        for e in ups:
            k = e["number"]
            assert e["ifname"] == f"sub{k}" and e["table"] == 5000 + k
            assert e["address"] == ppp[e["session"]]["ip"]
            assert e["peer"] == LNS_SRV_ADDR
            link = lac_ns.link(e["ifname"])
            assert link and "UP" in link["flags"], link
            assert link["mtu"] == e["mtu"] <= 1460
            a = [i for i in lac_ns.addr(e["ifname"])["addr_info"]
                 if i["family"] == "inet"]
            assert [(i["local"], i["prefixlen"], i.get("address"))
                    for i in a] == [(e["address"], 32, LNS_SRV_ADDR)]
            routes = lac_ns.routes("table", e["table"])
            assert [(r["dst"], r["dev"]) for r in routes] == \
                [("default", e["ifname"])], routes
            rules = [r for r in lac_ns.ip_json("rule", "show")
                     if r.get("src") == e["address"]]
            assert len(rules) == 1 and rules[0]["table"] == \
                str(e["table"]), rules
        # no prefix route to the peer in the main table
        assert not [r for r in lac_ns.routes()
                    if r["dst"].startswith(LNS_SRV_ADDR)]
        # a bound socket is that subscriber: the server sees its address
        k = ups[0]["number"]
        srv_sock = srv.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv_sock.bind((SRV_ADDR, PORT_UP))
        srv_sock.listen(1)
        srv_sock.settimeout(5)
        c = lac_ns.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(5)
        c.bind((ups[0]["address"], 0))
        c.connect((SRV_ADDR, PORT_UP))
        a, peer = srv_sock.accept()
        assert peer[0] == ups[0]["address"]
        c.sendall(b"hello from %d" % k)
        c.shutdown(socket.SHUT_WR)
        a.settimeout(5)
        assert a.recv(100) == b"hello from %d" % k
        for s in (a, c, srv_sock):
            s.close()
        # an unbound socket has no route to the server at all
        u = lac_ns.socket(socket.AF_INET, socket.SOCK_STREAM)
        with pytest.raises(OSError):
            u.connect((SRV_ADDR, PORT_UP))
        u.close()
    finally:
        rc, done = lac.stop()
    assert not lac.events("error"), lac.events("error")
    assert rc == 0 and done["ok"] is True, done
    downs = lac.events("tun_down")
    assert sorted(e["ifname"] for e in downs) == ["sub1", "sub2"]
    # the teardown closes IPCP first: the devices go with it
    assert all(e["reason"] == "ipcp_down" for e in downs), downs
    assert not [l for l in lac_ns.links() if l.startswith("sub")]
    assert not [r for r in lac_ns.ip_json("rule", "show")
                if r.get("table") in ("5001", "5002")]
    assert not lac_ns.routes("table", 5001)


def test_tun_goes_when_the_lns_drops_the_session(net, lacsim_bin):
    """A session the LNS ends takes its device and rule with it."""
    d, lac_ns, srv = net
    lac = Lacsim(lac_ns, "--tun", "one", "--hold", 60, "--timeout", 20)
    try:
        up = lac.wait("tun_up", 1, 20)[0]
        assert up["ifname"] == "one"
        assert lac_ns.link("one")
        d.signal(signal.SIGQUIT)    # the LNS closes: CDN, StopCCN
        down = lac.wait("tun_down", 1, 10)[0]
        assert down["reason"] in ("session_down", "ipcp_down"), down
        assert lac_ns.link("one") is None
        assert not [r for r in lac_ns.ip_json("rule", "show")
                    if r.get("src") == up["address"]]
    finally:
        lac.stop()


def test_tun_ipv6_and_exit_without_teardown(daemon, netns, tmp_path,
                                            lacsim_bin):
    """With IPV6CP the device gets the link-local address of the
    negotiated Interface-Identifier and IPv6 packets go up the session;
    an exit without teardown still removes the device and its rule."""
    d, lac_ns, srv = make_net(daemon, netns, tmp_path,
                              {"ipv6_prefix": "2001:db8:100::/48"})
    lac = Lacsim(lac_ns, "--tun", "v6", "--ipv6", "--hold", 60,
                 "--no-teardown", "--timeout", 20)
    try:
        up = lac.wait("tun_up", 1, 20)[0]
        ifid = lac.wait("ppp_ipv6_up", 1, 5)[0]["local_ifid"]
        ll = "fe80::" + ":".join(w.lstrip("0") or "0"
                                 for w in ifid.split(":"))
        def has_ll():
            a = lac_ns.addr("v6") or {}
            return [i for i in a.get("addr_info", [])
                    if i["family"] == "inet6" and i["local"] == ll]
        wait_until(has_ll, 5, f"{ll} on v6")
        # IPv6 to the LNS's link-local address goes up the session
        # (a point-to-point device: no neighbour discovery first)
        peer = lac.events("ppp_ipv6_up")[0]["peer_ifid"]
        peer_ll = "fe80::" + ":".join(w.lstrip("0") or "0"
                                      for w in peer.split(":"))
        u = lac_ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        index = lac_ns.link("v6")["ifindex"]
        for i in range(3):
            u.sendto(b"v6 %d" % i, (peer_ll, 9, 0, index))
        u.close()
        wait_until(lambda: int(lac_ns.ip_json("-s", "link", "show", "v6")
                               [0]["stats64"]["tx"]["packets"]) >= 3, 5,
                   "IPv6 packets into the device")
    finally:
        rc, done = lac.stop()
    assert not lac.events("error"), lac.events("error")
    down = lac.events("tun_down")
    assert [(e["ifname"], e["reason"]) for e in down] == [("v6", "exit")]
    assert done["tun_out_packets"] >= 3 and done["tun_dropped"] == 0, done
    assert lac_ns.link("v6") is None
    assert not [r for r in lac_ns.ip_json("rule", "show")
                if r.get("src") == up["address"]]


def test_tun_option_checks(lacsim_bin):
    for args in (["--tun", "dev"],                      # two sessions
                 ["--tun", "averyveryverylongname%d"],
                 ["--tun", "a/%d"],
                 ["--tun", "d%d", "--echo"],
                 ["--tun", "d%d", "--traffic-dst", "192.0.2.9"],
                 ["--tun", "d%d", "--tun-table", "255"],
                 ["--tun", "d%d", "--no-ppp"]):
        p = subprocess.run([str(lacsim_bin), "--lns", "127.0.0.1",
                            "--sessions", "2", *args],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and "lacsim:" in p.stderr + p.stdout, \
            (args, p.returncode, p.stderr)


def l4_checksum_ok(pkt):
    """The TCP/UDP checksum of an IPv4 packet verifies (RFC 1071)."""
    ihl = (pkt[0] & 0x0F) * 4
    seg = pkt[ihl:]
    data = pkt[12:20] + bytes([0, pkt[9]]) + len(seg).to_bytes(2, "big") \
        + seg + (b"\0" if len(seg) % 2 else b"")
    s = sum(int.from_bytes(data[i:i + 2], "big")
            for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def test_tcp_segments_clamped_intercepted_and_counted(
        daemon, netns, tmp_path, lacsim_bin, offload):
    """Bulk kernel TCP both ways through one session whose link MTU
    (1300) is below the TUN device's (1500), the session snooped.  With
    offloads the daemon cuts the kernel's super-segments to the session
    itself; with or without, the SYNs are clamped, interception gets a
    copy of every packet the session counted (none above its MTU, every
    checksum right: the copies are what crossed), and the session's
    counters equal lacsim's device counts."""
    mtu = 1300                  # 8 x SIZE each way on each connection
    d, lac_ns, srv = make_net_offload(
        lambda cfg, **kw: daemon(cfg, users="admin:admin\nenable:en\n",
                                 **kw), netns, tmp_path, offload)
    cap = d.ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cap.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)    # SO_RCVBUFFORCE
    cap.bind(("127.0.0.1", 40001))
    cap.setblocking(False)
    lac = Lacsim(lac_ns, "--tun", "mt%d", "--mru", mtu, "--user", "sub%d",
                 "--hold", 120, "--timeout", 30)
    traffic = Traffic()
    try:
        up = lac.wait("tun_up", 1, 30)[0]
        ip = up["address"]
        cli = Cli(d).login()
        cli.enable("en")
        assert "Snooping user sub1" in cli.cmd("snoop sub1 127.0.0.1 40001")
        before = session_counters(d, cli, packets=True)[ip]
        ctr0 = json.loads(cli.cmd("show counters json"))

        lsock = make_sockets(srv, 1)[0]
        lsock.bind((SRV_ADDR, PORT_UP))
        traffic.listen(lsock, lambda c, peer: traffic.add(
            End(c, payload(1, "s2c") * 8, payload(1, "c2s") * 8,
                "server end")))
        ls, c = make_sockets(lac_ns, 2)
        ls.bind((ip, PORT_DOWN))
        traffic.listen(ls, lambda c2, peer: traffic.add(
            End(c2, payload(2, "c2s") * 8, payload(2, "s2c") * 8,
                "subscriber end")))
        c.bind((ip, 0))
        traffic.connect(End(c, payload(1, "c2s") * 8, payload(1, "s2c") * 8,
                            "up", connecting=True), (SRV_ADDR, PORT_UP))
        traffic.connect(End(make_sockets(srv, 1)[0], payload(2, "s2c") * 8,
                            payload(2, "c2s") * 8, "down", connecting=True),
                        (ip, PORT_DOWN))
        traffic.run_intact(4, timeout=60)
        final = settled(d, cli)[ip]
        ctr = json.loads(cli.cmd("show counters json"))
        copies = []
        while True:
            try:
                copies.append(cap.recv(65536))
            except BlockingIOError:
                break
        cli.close()
    finally:
        traffic.close()
        cap.close()
        rc, done = lac.stop()
    assert rc == 0 and done["tun_dropped"] == 0, done
    pin, pout = final[2] - before[2], final[3] - before[3]
    assert (final[0] - before[0], final[1] - before[1], pin, pout) == \
        (done["tun_out_bytes"], done["tun_in_bytes"],
         done["tun_out_packets"], done["tun_in_packets"])
    # the server's MSS lowered to the link's, on its SYN and SYN-ACK
    assert ctr["tcp_mss_clamped"] - ctr0["tcp_mss_clamped"] >= 2, ctr
    # interception saw every packet that crossed, as it crossed
    assert len(copies) == pin + pout, (len(copies), pin, pout)
    assert max(len(p) for p in copies) == mtu
    assert all(int.from_bytes(p[2:4], "big") == len(p) for p in copies)
    assert [i for i, p in enumerate(copies) if not l4_checksum_ok(p)] == []
    check_offload_counters(ctr, offload)
    print(f"{offload}: {ctr['dp_syscalls'] - ctr0['dp_syscalls']} "
          f"data-path system calls for {pin + pout} packets")
    if offload != "no_offload":
        # the super-segments were cut to this session's MTU
        assert ctr["tun_gso_segments"] > ctr["tun_gso_rx"] > 0, ctr


def test_tcp_over_ipv6_both_ways(daemon, netns, tmp_path, lacsim_bin,
                                 offload):
    """Kernel TCP over IPv6 through a session, both ways, the
    subscriber at the address the manual's rule routes (ipv6_prefix's
    first 64 bits, its IPv4 address, zeros): with offloads, TCPV6
    super-segments are cut per session and upstream segments coalesced;
    every byte arrives either way."""
    prefix, srv6, lns6 = "2001:db8:100::/48", "2001:db8:ff::2", \
        "2001:db8:ff::1"
    d, lac_ns, srv = make_net_offload(
        lambda cfg, **kw: daemon(cfg, users="admin:admin\n", **kw),
        netns, tmp_path, offload, {"ipv6_prefix": prefix})
    d.ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"])
    d.ns.ip("-6", "addr", "add", f"{lns6}/64", "dev", "lns1", "nodad")
    srv.ip("-6", "addr", "add", f"{srv6}/64", "dev", "srv0", "nodad")
    srv.ip("-6", "route", "add", prefix, "via", lns6)
    lac = Lacsim(lac_ns, "--tun", "v6", "--ipv6", "--hold", 120,
                 "--timeout", 30)
    traffic = Traffic()
    try:
        v4 = lac.wait("tun_up", 1, 30)[0]["address"]
        lac.wait("ppp_ipv6_up", 1, 20)
        o = [int(x) for x in v4.split(".")]
        a6 = "2001:db8:100:0:%x:%x::" % (o[0] << 8 | o[1], o[2] << 8 | o[3])
        lac_ns.ip("-6", "addr", "add", f"{a6}/128", "dev", "v6", "nodad")
        lac_ns.ip("-6", "route", "add", "2001:db8:ff::/64", "dev", "v6",
                  "src", a6)

        def sock6(ns):
            return ns.run_in(lambda: socket.socket(socket.AF_INET6,
                                                   socket.SOCK_STREAM))
        ls = sock6(srv)
        ls.bind((srv6, PORT_UP))
        traffic.listen(ls, lambda c, peer: traffic.add(
            End(c, payload(1, "s2c") * 4, payload(1, "c2s") * 4,
                "server end")))
        ls2 = sock6(lac_ns)
        ls2.bind((a6, PORT_DOWN))
        traffic.listen(ls2, lambda c, peer: traffic.add(
            End(c, payload(2, "c2s") * 4, payload(2, "s2c") * 4,
                "subscriber end")))
        c = sock6(lac_ns)
        c.bind((a6, 0))
        traffic.connect(End(c, payload(1, "c2s") * 4, payload(1, "s2c") * 4,
                            "up", connecting=True), (srv6, PORT_UP))
        traffic.connect(End(sock6(srv), payload(2, "s2c") * 4,
                            payload(2, "c2s") * 4, "down", connecting=True),
                        (a6, PORT_DOWN))
        traffic.run_intact(4, timeout=60)
        cli = Cli(d).login()
        ctr = json.loads(cli.cmd("show counters json"))
        cli.close()
    finally:
        traffic.close()
        rc, done = lac.stop()
    assert rc == 0 and done["tun_dropped"] == 0, done
    check_offload_counters(ctr, offload)
