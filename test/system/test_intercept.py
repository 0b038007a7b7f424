"""Interception (manual, "Interception"): the CLI's snoop / no snoop,
nsctl snoop (snoopctl), Cisco-AVPair "intercept=IP:PORT" from RADIUS
(autosnoop) and the capture tool scripts/l2tpns-capture.

A scripted subscriber (pppwire.Ppp over l2tpwire.Lac) brings a session up
and sends known packets up while a socket on the LNS side sends known
packets down.  l2tpns-capture runs in the daemon's namespace as the
interception target; its pcap file is read back with tshark (decoded
fields) and with a small reader here (the exact bytes), and must hold
exactly the packets of the intercepted session, in order, as the
subscriber and the LNS side saw them.
"""
import json
import signal
import socket
import struct
import subprocess

import pytest

from conftest import REPO, local_auth, wait_until
from nsctlhelp import nsctl, plugin_dir
from pppwire import IP, ipv4_udp, ppp_call
from test_cli import Cli, HOST, rows
from test_ppp import udp6, ipv6cp_up
from test_radius import FreeRadius, radius_cfg, radclient
from test_dataplane import OFFLOADS

CAPTURE = REPO / "scripts" / "l2tpns-capture"
SUBSCRIBERS = "alice secret\nbob pw2\ncarol pw3 198.51.100.40\n"
USERS = "admin:admin\nenable:en\n"
LINKTYPE_RAW = 101
PREFIX6 = "2001:db8:1::/64"
SIX = 0x0057                    # PPP protocol IPv6


# ---------------------------------------------------------------------------
# helpers


def pcap_records(path):
    """The packets of a pcap file (classic format, as libpcap writes it):
    (linktype, [bytes, ...]).  A record still being written is left out."""
    data = path.read_bytes() if path.exists() else b""
    if len(data) < 24:
        return None, []
    magic, = struct.unpack_from("<I", data)
    assert magic == 0xA1B2C3D4, hex(magic)
    linktype, = struct.unpack_from("<I", data, 20)
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from("<IIII", data, off)
        off += 16
        if off + incl > len(data):
            break
        assert incl == orig
        out.append(data[off:off + incl])
        off += incl
    return linktype, out


def tshark(path, *fields):
    """Decoded fields of every packet of a capture file, one tuple per
    packet."""
    cmd = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [tuple(line.split("|")) for line in p.stdout.splitlines()]


class Capture:
    """l2tpns-capture running in a namespace."""

    def __init__(self, ns, path, port, *args):
        self.ns, self.path, self.port = ns, path, port
        self.err_path = path.with_suffix(".stderr")
        self._err = open(self.err_path, "wb")
        self.proc = ns.popen([CAPTURE, "-p", port, "-w", path, *args],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=self._err)
        wait_until(self.listening, what=f"l2tpns-capture on port {port}")

    def listening(self):
        assert self.proc.poll() is None, self.stderr()
        out = self.ns.run(["ss", "-Hlun"]).stdout
        return any(line.split()[3].endswith(f":{self.port}")
                   for line in out.splitlines() if line.strip())

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def packets(self):
        return pcap_records(self.path)[1]

    def wait_packets(self, n):
        """Wait until the file holds n packets (written and flushed while
        the tool runs); returns them."""
        wait_until(lambda: len(self.packets()) >= n,
                   what=f"{n} packets in {self.path}")
        return self.packets()

    def wait(self):
        """Wait for the tool to exit by itself; its status."""
        rc = self.proc.wait(5)
        self._err.close()
        return rc

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.wait() == 0, self.stderr()
        return self.packets()


@pytest.fixture(params=list(OFFLOADS))
def lns(daemon, tmp_path, request):
    """With the data-plane offloads and without: the LNS's own sockets
    hand the TUN device UDP with the checksum left to us."""
    subs = local_auth(tmp_path, SUBSCRIBERS)
    return daemon({"hostname": HOST, "local_auth_file": str(subs),
                   "debug": 4, "ppp_restart_time": 1,
                   "ipv6_prefix": PREFIX6,
                   "plugin_dir": str(plugin_dir(tmp_path)),
                   **OFFLOADS[request.param]},
                  users=USERS)


@pytest.fixture
def cli(cleanup):
    return lambda d: cleanup(Cli(d).login().enable("en"))


def session(d, user="alice", password="secret", our_sid=77):
    lac, p = ppp_call(d.ns, "127.0.0.1", "lac-icpt", our_sid)
    return lac, p, p.up(user, password)[0]


class Traffic:
    """Known packets through one session, each checked on arrival: up
    from the subscriber to a socket on the LNS side, down from that
    socket to the subscriber.  ``sent`` lists, in order, the IP packets
    as they crossed the LNS (what a copy must hold)."""

    def __init__(self, d, p, ip):
        self.d, self.p, self.ip = d, p, ip
        self.server = d.tun_addrs()[0].split("/")[0]
        self.sock = d.ns.socket()
        self.sock.bind((self.server, 9999))
        self.sock.settimeout(3)
        self.sent = []

    def up(self, payload):
        pkt = ipv4_udp(self.ip, self.server, 4444, 9999, payload)
        self.p.send(IP, pkt)
        data, src = self.sock.recvfrom(2048)
        # the subscriber's own traffic is untouched by the interception
        assert (data, src) == (payload, (self.ip, 4444))
        self.sent.append(("up", pkt))

    def down(self, payload):
        self.sock.sendto(payload, (self.ip, 5555))
        f = self.p.expect(IP)
        assert f.payload[-len(payload):] == payload
        assert socket.inet_ntoa(f.payload[16:20]) == self.ip
        self.sent.append(("down", f.payload))


def i_flag(c, user):
    row = [f for f in rows(c.cmd("show session")) if f[2] == user]
    assert len(row) == 1, row
    return row[0][4]


def counters(c):
    return json.loads(c.cmd("show counters json"))


# ---------------------------------------------------------------------------
# the CLI


def test_snoop_copies_both_ways_in_order_and_no_snoop_stops(lns, cli,
                                                           tmp_path):
    lac, p, ip = session(lns)
    cap = Capture(lns.ns, tmp_path / "alice.pcap", 40001)
    c = cli(lns)
    t = Traffic(lns, p, ip)
    t.up(b"before snoop")              # not intercepted yet
    assert i_flag(c, "alice") == "N"
    base = counters(c)

    assert c.cmd("snoop alice 127.0.0.1 40001") == \
        "Snooping user alice to 127.0.0.1:40001"
    assert i_flag(c, "alice") == "Y"
    sid = [f for f in rows(c.cmd("show session")) if f[2] == "alice"][0][0]
    assert "yes, to 127.0.0.1:40001" in c.cmd(f"show session {sid}")
    lns.wait_for_log(r"user alice intercepted to 127\.0\.0\.1:40001 from "
                     r"the CLI by admin")
    t.sent.clear()
    for i in range(3):                  # 3 up, 2 down, interleaved
        t.up(b"up-%d" % i)
        if i < 2:
            t.down(b"down-%d" % i)
    got = cap.wait_packets(5)
    assert got == [pkt for _, pkt in t.sent]

    assert c.cmd("no snoop alice") == "Not snooping user alice"
    assert i_flag(c, "alice") == "N"
    lns.wait_for_log(r"interception of user alice stopped from the CLI "
                     r"by admin")
    t.up(b"after no snoop")
    t.down(b"after no snoop")
    after = counters(c)
    assert after["packets_snooped"] - base["packets_snooped"] == 5
    assert after["snoop_errors"] == base["snoop_errors"]

    # the tool writes what has arrived, then closes the file on TERM
    got = cap.stop()
    assert len(got) == 5
    assert "5 packets written" in cap.stderr()
    assert pcap_records(cap.path)[0] == LINKTYPE_RAW
    fields = tshark(cap.path, "frame.protocols", "ip.src", "ip.dst",
                    "udp.srcport", "udp.dstport", "data")
    server = t.server
    want = [("raw:ip:udp:data", ip, server, "4444", "9999", b"up-0".hex()),
            ("raw:ip:udp:data", server, ip, "9999", "5555",
             b"down-0".hex()),
            ("raw:ip:udp:data", ip, server, "4444", "9999", b"up-1".hex()),
            ("raw:ip:udp:data", server, ip, "9999", "5555",
             b"down-1".hex()),
            ("raw:ip:udp:data", ip, server, "4444", "9999", b"up-2".hex())]
    assert fields == want


def test_ipv6_packets_are_copied_too(lns, cli, tmp_path):
    lac, p, ip = session(lns, "carol", "pw3")
    ipv6cp_up(p, ip)
    ours = "2001:db8:1:0:c633:6428::"       # the prefix + 198.51.100.40
    far = "2001:db8:ff::1"
    lns.ns.ip("-6", "addr", "add", f"{far}/128", "dev", "lo")
    rx = lns.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.bind((far, 7777))
    rx.settimeout(3)
    cap = Capture(lns.ns, tmp_path / "six.pcap", 40002)
    c = cli(lns)
    assert c.cmd("snoop carol 127.0.0.1 40002").startswith("Snooping")
    up = udp6(ours, far, 5000, 7777, b"six-up")
    p.send(SIX, up)
    assert rx.recvfrom(100)[0] == b"six-up"
    rx.sendto(b"six-down", (ours, 6000))
    down = p.expect(SIX).payload
    assert down[-8:] == b"six-down"
    # an IPv4 packet of the same session, after them
    t = Traffic(lns, p, ip)
    t.up(b"four")
    assert cap.wait_packets(3) == [up, down, t.sent[0][1]]
    cap.stop()
    assert tshark(cap.path, "frame.protocols", "ipv6.src", "ipv6.dst",
                  "ip.src", "data") == [
        ("raw:ipv6:udp:data", ours, far, "", b"six-up".hex()),
        ("raw:ipv6:udp:data", far, ours, "", b"six-down".hex()),
        ("raw:ip:udp:data", "", "", ip, b"four".hex())]


def test_only_the_snooped_session_is_copied(lns, cli, tmp_path):
    lac1, p1, ip1 = session(lns, "alice", "secret", our_sid=11)
    lac2, p2, ip2 = session(lns, "bob", "pw2", our_sid=12)
    cap = Capture(lns.ns, tmp_path / "bob.pcap", 40003)
    c = cli(lns)
    assert c.cmd("snoop bob 127.0.0.1 40003") == \
        "Snooping user bob to 127.0.0.1:40003"
    assert (i_flag(c, "alice"), i_flag(c, "bob")) == ("N", "Y")
    ta, tb = Traffic(lns, p1, ip1), None
    ta.up(b"alice-1")
    ta.sock.close()
    tb = Traffic(lns, p2, ip2)
    tb.up(b"bob-1")
    tb.down(b"bob-2")
    assert cap.wait_packets(2) == [pkt for _, pkt in tb.sent]
    assert len(cap.stop()) == 2


def test_snoop_errors_and_checks(lns, cli, tmp_path):
    c = cli(lns)
    assert c.cmd("snoop nobody 127.0.0.1 5000") == \
        "% User nobody is not connected"
    assert c.cmd("no snoop nobody") == "% User nobody is not connected"
    assert '% Bad IP address "x"' in c.cmd("snoop alice x 5000")
    assert "% Bad port" in c.cmd("snoop alice 127.0.0.1 0")
    assert "Usage: snoop USER IP PORT" in c.cmd("snoop alice")
    lac, p, ip = session(lns)
    assert "% Bad interception target" in c.cmd("snoop alice 0.0.0.0 5000")
    assert i_flag(c, "alice") == "N"
    # without privilege the command does not exist
    c2 = Cli(lns).login()
    try:
        out = c2.cmd("snoop alice 127.0.0.1 5000")
        assert "Snooping" not in out
    finally:
        c2.close()
    assert i_flag(c, "alice") == "N"
    # no snoop of a user who is not intercepted: nothing to stop
    assert c.cmd("no snoop alice") == "Not snooping user alice"


def test_unreachable_target_counts_errors_never_blocks(lns, cli):
    """Copies that cannot be sent are counted in snoop_errors; the
    subscriber's traffic goes on."""
    lac, p, ip = session(lns)
    c = cli(lns)
    # nothing routes there in the daemon's namespace
    assert c.cmd("snoop alice 203.0.113.99 40004").startswith("Snooping")
    base = counters(c)
    t = Traffic(lns, p, ip)
    for i in range(4):
        t.up(b"u%d" % i)
        t.down(b"d%d" % i)
    after = counters(c)
    assert after["snoop_errors"] - base["snoop_errors"] == 8
    assert after["packets_snooped"] == base["packets_snooped"]
    lns.wait_for_log(r"interception: copies to 203\.0\.113\.99:40004 are "
                     r"failing")


def test_capture_target_inside_the_session_does_not_loop(lns, cli):
    """A target reached through the intercepted session itself: the
    copies reach it, and are not copied again."""
    lac, p, ip = session(lns)
    c = cli(lns)
    assert c.cmd(f"snoop alice {ip} 40005").startswith("Snooping")
    base = counters(c)
    t = Traffic(lns, p, ip)
    t.up(b"once")
    # the copy comes down the session as a UDP datagram to ip:40005
    f = p.expect(IP)
    assert socket.inet_ntoa(f.payload[16:20]) == ip
    assert struct.unpack_from("!H", f.payload, 22)[0] == 40005
    assert f.payload[28:] == t.sent[0][1]
    with pytest.raises(TimeoutError):
        p.expect(IP, timeout=0.5)
    assert counters(c)["packets_snooped"] - base["packets_snooped"] == 1


# ---------------------------------------------------------------------------
# nsctl (snoopctl)


def test_nsctl_snoop_and_unsnoop(lns, cli, tmp_path):
    lns.wait_for_log(r"ready")
    nsctl(lns.ns, "load_plugin", "snoopctl", check=0)
    lac, p, ip = session(lns)
    cap = Capture(lns.ns, tmp_path / "ns.pcap", 40006)
    c = cli(lns)
    nsctl(lns.ns, "snoop", "alice", "127.0.0.1", "40006", check=0)
    assert i_flag(c, "alice") == "Y"
    t = Traffic(lns, p, ip)
    t.down(b"via nsctl")
    assert cap.wait_packets(1) == [t.sent[0][1]]
    nsctl(lns.ns, "unsnoop", "alice", check=0)
    assert i_flag(c, "alice") == "N"
    t.up(b"not copied")
    assert len(cap.stop()) == 1


# ---------------------------------------------------------------------------
# RADIUS (autosnoop)

RADIUS_USERS = """\
alice	Cleartext-Password := "secret"
	Cisco-AVPair += "intercept=127.0.0.1:40010"

bob	Cleartext-Password := "pw2"
	Cisco-AVPair += "intercept=not-an-address"
"""


@pytest.fixture
def radius_lns(daemon, netns, tmp_path):
    ns = netns()
    rad = FreeRadius(ns, tmp_path / "radius", users=RADIUS_USERS).start()
    cfg = radius_cfg(hostname=HOST, plugin_dir=str(plugin_dir(tmp_path)))
    d = daemon(cfg, ns=ns, users=USERS,
               extra_lines=["load plugin autosnoop"])
    d.wait_for_log(r"plugin autosnoop loaded .*hooks: radius_response "
                   r"radius_reset radius_account$")
    return d, rad


def test_autosnoop_from_access_accept_and_coa(radius_lns, cli, tmp_path):
    d, rad = radius_lns
    cap = Capture(d.ns, tmp_path / "rad.pcap", 40010)
    cap2 = Capture(d.ns, tmp_path / "rad2.pcap", 40011)
    lac, p, ip = session(d)
    c = cli(d)
    # intercepted from the start: the I column, and the accounting Start
    # says so (radius_account)
    assert i_flag(c, "alice") == "Y"
    start = rad.wait_record("Start", User_Name="alice")
    assert start.get("Cisco-AVPair") == "intercept=127.0.0.1:40010", start
    d.wait_for_log(r"autosnoop.*intercepted to 127\.0\.0\.1:40010 "
                   r"\(RADIUS\)")
    t = Traffic(d, p, ip)
    t.up(b"radius-up")
    t.down(b"radius-down")
    assert cap.wait_packets(2) == [pkt for _, pkt in t.sent]

    # a CoA with another target moves the copies there
    out = radclient(d, "coa", 'User-Name = "alice", '
                    'Cisco-AVPair = "intercept=127.0.0.1:40011"')
    assert "Received CoA-ACK" in out, out
    t.sent.clear()
    t.up(b"moved")
    assert cap2.wait_packets(1) == [t.sent[0][1]]

    # a CoA whose pairs name no target stops the interception
    out = radclient(d, "coa", 'User-Name = "alice", '
                    'Cisco-AVPair = "throttle=no"')
    assert "Received CoA-ACK" in out, out
    assert i_flag(c, "alice") == "N"
    d.wait_for_log(r"interception reset \(CoA\)")
    t.up(b"not copied")
    t.down(b"not copied")
    assert len(cap.stop()) == 2
    assert len(cap2.stop()) == 1


def test_autosnoop_bad_pair_ignored(radius_lns, cli):
    d, rad = radius_lns
    lac, p, ip = session(d, "bob", "pw2")
    d.wait_for_log(r'Cisco-AVPair intercept="not-an-address" is not '
                   r'IP:PORT; ignored')
    c = cli(d)
    assert i_flag(c, "bob") == "N"
    start = rad.wait_record("Start", User_Name="bob")
    assert "Cisco-AVPair" not in start


# ---------------------------------------------------------------------------
# the capture tool alone


def test_capture_tool_count_and_source_filter(netns, tmp_path):
    ns = netns()
    path = tmp_path / "c.pcap"
    cap = Capture(ns, path, 40020, "-c", "2", "-f", "127.0.0.1")
    pkts = [ipv4_udp("10.0.0.%d" % i, "10.0.0.9", 1, 2, b"p%d" % i)
            for i in range(4)]

    def send():
        for src, pkt in (("127.0.0.2", pkts[0]), ("127.0.0.1", pkts[1]),
                         ("127.0.0.1", pkts[2]), ("127.0.0.1", pkts[3])):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((src, 0))
            s.sendto(pkt, ("127.0.0.1", 40020))
            s.close()
    ns.run_in(send)
    # -c 2: it exits by itself once two packets are written
    assert cap.wait() == 0, cap.stderr()
    assert cap.packets() == pkts[1:3]
    assert "2 packets written" in cap.stderr()
    assert "1 datagrams ignored" in cap.stderr()
    assert tshark(path, "ip.src") == [("10.0.0.1",), ("10.0.0.2",)]


def test_capture_tool_usage_errors(netns, tmp_path):
    for args in ([], ["-p", "0", "-w", "x"], ["-p", "5000"],
                 ["-p", "5000", "-w", "x", "-b", "nowhere"],
                 ["-p", "70000", "-w", "x"]):
        p = subprocess.run([CAPTURE, *args], capture_output=True, text=True,
                           timeout=10, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stderr)
        assert p.stderr, args
