"""RADIUS against a real FreeRADIUS (Debian's freeradius, freeradius-utils):
authentication (PAP, CHAP, reject), the attributes of an Access-Accept
applied to the session, accounting Start/Interim/Stop as FreeRADIUS's
detail module writes them, failover to the secondary server, and
Dynamic Authorization (Disconnect-Request, CoA-Request) sent with
radclient (RFC 2865, 2866, 2869, 2548, 3576).

Each test starts FreeRADIUS (``freeradius -X -d DIR``) inside the
daemon's network namespace with a configuration written under tmp_path:
one client (127.0.0.0/8), a users file for the files module, the pap
and chap modules and a detail file recording accounting.  A scripted
subscriber (pppwire.Ppp over l2tpwire.Lac) brings the sessions up.
"""
import hashlib
import hmac
import re
import socket
import struct
import subprocess
import time

import pytest

from conftest import wait_until
from l2tpwire import Lac, CDN, result_code
from nsctlhelp import nsctl, plugin_dir
from pppwire import (Ppp, LCP, PAP, CHAP, IP, TERMREQ, TERMACK, ipv4_udp)

SECRET = "s3cret-lns"
POOL = "198.51.100.0/26"
AUTH_PORT, ACCT_PORT, DEAD_PORT, DAE_PORT = 1812, 1813, 1645, 3799

USERS = """\
alice	Cleartext-Password := "secret"
	Framed-IP-Address = 198.51.100.40,
	MS-Primary-DNS-Server = 192.0.2.153,
	MS-Secondary-DNS-Server = 192.0.2.154,
	Session-Timeout = 3600,
	Idle-Timeout = 1800,
	Class = "class-alice",
	Acct-Interim-Interval = 2,
	Framed-Route = "203.0.113.0/28 0.0.0.0 1",
	Cisco-AVPair += "throttle=512",
	Cisco-AVPair += "lcp:interface-config#1=service-policy output 2048"

bob	Cleartext-Password := "two words"

carol	Cleartext-Password := "pw3"
	Session-Timeout = 0

erin	Cleartext-Password := "pw5"
	Session-Timeout = 2

frank	Cleartext-Password := "pw6"
	Idle-Timeout = 2

mallory	Auth-Type := Reject
	Reply-Message = "Account disabled"
"""

RADIUSD_CONF = """\
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = {dir}
sbindir = /usr/sbin
logdir = {dir}
raddbdir = {dir}
radacctdir = {dir}
name = freeradius
confdir = {dir}
modconfdir = {dir}
run_dir = {dir}
db_dir = {dir}
libdir = /usr/lib/freeradius
dictdir = /usr/share/freeradius
pidfile = {dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 2
max_requests = 16384
hostname_lookups = no
log {{
	destination = files
	file = {dir}/radius.log
	auth = yes
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}}
thread pool {{
	start_servers = 1
	max_servers = 2
	min_spare_servers = 1
	max_spare_servers = 1
	max_requests_per_server = 0
}}
client lns {{
	ipaddr = 127.0.0.0/8
	secret = {secret}
}}
modules {{
	files {{
		filename = {dir}/authorize
	}}
	pap {{
		normalise = yes
	}}
	chap {{
	}}
	detail {{
		filename = {dir}/detail
		permissions = 0600
		header = "%t"
	}}
}}
server default {{
	listen {{
		type = auth
		ipaddr = 127.0.0.1
		port = {auth}
	}}
	listen {{
		type = acct
		ipaddr = 127.0.0.1
		port = {acct}
	}}
	authorize {{
		chap
		files
		pap
	}}
	authenticate {{
		Auth-Type PAP {{
			pap
		}}
		Auth-Type CHAP {{
			chap
		}}
	}}
	preacct {{
	}}
	accounting {{
		detail
	}}
	post-auth {{
	}}
}}
"""


class FreeRadius:
    """One FreeRADIUS in namespace ``ns``, configured under ``directory``."""

    def __init__(self, ns, directory, users=USERS, secret=SECRET,
                 auth=AUTH_PORT):
        self.ns = ns
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "radiusd.conf").write_text(RADIUSD_CONF.format(
            dir=self.dir, secret=secret, auth=auth, acct=auth + 1))
        (self.dir / "authorize").write_text(users)
        self.out_path = self.dir / "stdout"
        self.detail = self.dir / "detail"
        self.proc = None

    def start(self):
        self._out = open(self.out_path, "ab")
        self.proc = self.ns.popen(["freeradius", "-X", "-d", self.dir],
                                  stdout=self._out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        wait_until(lambda: "Ready to process requests" in self.output() or
                   self.proc.poll() is not None, 15, "FreeRADIUS to start")
        assert self.proc.poll() is None, self.output()[-3000:]
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)

    def output(self):
        return self.out_path.read_text(errors="replace") \
            if self.out_path.exists() else ""

    def records(self):
        """The accounting records of the detail file, as dicts (the first
        value of each attribute; "Class" keeps its 0x form)."""
        if not self.detail.exists():
            return []
        recs, cur = [], None
        for line in self.detail.read_text().splitlines():
            if not line.strip():
                if cur:
                    recs.append(cur)
                cur = None
            elif not line[0].isspace():
                cur = {}
            elif cur is not None:
                k, _, v = line.strip().partition(" = ")
                cur.setdefault(k, v.strip('"'))
        if cur:
            recs.append(cur)
        return recs

    def wait_record(self, status, timeout=8, **match):
        """The first record of Acct-Status-Type ``status`` whose fields
        equal ``match`` (underscores in keys read as dashes)."""
        want = {k.replace("_", "-"): str(v) for k, v in match.items()}

        def find():
            for r in self.records():
                if r.get("Acct-Status-Type") == status and all(
                        r.get(k) == v for k, v in want.items()):
                    return r
            return None
        return wait_until(find, timeout, f"a {status} record {want} in "
                          f"{self.detail}")


def radius_cfg(**extra):
    cfg = {"debug": 4, "hostname": "lns-rad",
           "primary_radius": "127.0.0.1", "primary_radius_port": AUTH_PORT,
           "radius_secret": SECRET, "radius_accounting": True,
           "radius_timeout": 1,
           "primary_dns": "192.0.2.53", "secondary_dns": "192.0.2.54",
           "peer_address": "192.0.2.1", "ppp_restart_time": 1}
    cfg.update(extra)
    return cfg


@pytest.fixture
def setup(daemon, netns, tmp_path):
    """setup(cfg=None, start_radius=True, users=USERS) -> (lns, radius)"""
    def make(cfg=None, start_radius=True, users=USERS, plugins=False):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius", users=users)
        if start_radius:
            rad.start()
        c = radius_cfg(**(cfg or {}))
        extra = []
        if plugins:
            c["plugin_dir"] = str(plugin_dir(tmp_path))
            extra = ["load plugin testplugin", "load plugin autothrottle"]
        d = daemon(c, ns=ns, extra_lines=extra)
        return d, rad
    return make


def link(d, our_sid=77, calling="0123456789"):
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-rad")
    sid = lac.open_session(our_sid=our_sid, calling=calling)
    return lac, Ppp(lac, sid, our_sid)


def up(p, user, password, auth=PAP, timeout=10):
    """LCP, authentication through RADIUS, IPCP; ipcp_up()'s tuple."""
    p.lcp_up()
    if auth == PAP:
        code, msg = p.pap(user, password, timeout=timeout)
        assert code == 2, msg
    else:
        code, msg, _, _ = p.chap(user, password, timeout=timeout)
        assert code == 3, msg
    return p.ipcp_up()


def radclient(d, command, attrs, secret=SECRET, port=DAE_PORT):
    """radclient in the daemon's namespace; returns its output."""
    p = d.ns.run(["radclient", "-x", "-r", "1", "-t", "2",
                  f"127.0.0.1:{port}", command, secret], check=False,
                 input=attrs + "\n", timeout=15)
    return p.stdout + p.stderr


def kernel_route(d, prefix):
    return [r for r in d.ns.routes() if r.get("dst") == prefix and
            r.get("dev") == d.tun]


def sid_of(rec):
    """The LNS session index: NAS-Port of an accounting record."""
    return int(rec["NAS-Port"])


# ---------------------------------------------------------------------------
# authentication


def test_pap_accept_applies_attributes(setup):
    d, rad = setup(plugins=True)
    lac, p = link(d)
    ip, dns1, dns2, gw = up(p, "alice", "secret")
    # Framed-IP-Address, MS-Primary/Secondary-DNS-Server (RFC 2548)
    assert (ip, dns1, dns2, gw) == ("198.51.100.40", "192.0.2.153",
                                    "192.0.2.154", "192.0.2.1")
    d.wait_for_log(r"RADIUS: Access-Accept for \"alice\"")
    d.wait_for_log(r"rate from RADIUS: in 512, out 2048 kbit/s")
    # FreeRADIUS saw the NAS attributes we send
    out = rad.output()
    for want in ("NAS-Port-Type = Virtual", "Service-Type = Framed-User",
                 "Framed-Protocol = PPP", 'Calling-Station-Id = "0123456789"',
                 'Called-Station-Id = "lns"', 'NAS-Identifier = "lns-rad"',
                 "Message-Authenticator = 0x"):
        assert want in out, want
    start = rad.wait_record("Start", User_Name="alice")
    sid = sid_of(start)
    # the rate fields of the session and the Cisco-AVPairs to plugins
    s = nsctl(d.ns, "test_session", str(sid), check=0).stdout
    assert "rate_in=512" in s and "rate_out=2048" in s, s
    ev = nsctl(d.ns, "test_events", "testplugin", check=0).stdout
    assert f"radius_response sid={sid} key=throttle value=512" in ev
    assert (f"radius_response sid={sid} key=lcp:interface-config#1 "
            "value=service-policy output 2048") in ev
    # autothrottle reports the rates applied in the accounting records
    detail = rad.detail.read_text()
    assert ('Cisco-AVPair = "lcp:interface-config#1=service-policy input '
            '512"') in detail, detail
    assert ('Cisco-AVPair = "lcp:interface-config#2=service-policy output '
            '2048"') in detail, detail


def lcp_up_through(setup, *args, **kw):
    """A daemon through FreeRADIUS (setup's arguments) and a call to it
    with LCP Opened, authentication next: (daemon, FreeRADIUS, ppp)."""
    d, rad = setup(*args, **kw)
    lac, p = link(d)
    p.lcp_up()
    return d, rad, p


def test_chap_accept_pool_address(setup):
    d, rad = setup({"radius_authtypes": "chap"})
    lac, p = link(d)
    ip = up(p, "bob", "two words", auth=CHAP)[0]
    assert ip.startswith("198.51.100.")
    assert "CHAP-Password = 0x" in rad.output()
    assert "CHAP-Challenge = 0x" in rad.output()
    d.wait_for_log(r"RADIUS: Access-Accept for \"bob\"")


def test_pap_reject_nak_then_cdn(setup):
    d, rad, p = lcp_up_through(setup)
    code, msg = p.pap("alice", "wrong", timeout=10)
    assert code == 3 and msg == "Authentication failed"
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn()
    assert result_code(m)[0] == 2
    d.wait_for_log(r"RADIUS: Access-Reject for \"alice\"")
    # Reply-Message of a reject reaches the subscriber
    lac2, q = link(d, our_sid=78)
    q.lcp_up()
    code, msg = q.pap("mallory", "x", timeout=10)
    assert code == 3 and msg == "Account disabled"


def test_chap_reject_failure(setup):
    d, rad, p = lcp_up_through(setup, {"radius_authtypes": "chap"})
    code, msg, _, _ = p.chap("bob", "not it", timeout=10)
    assert code == 4
    p.expect(LCP, TERMREQ)
    assert result_code(p.cdn(timeout=6))[0] == 2


def test_session_timeout_zero_refused_with_kill_timedout_sessions(setup):
    d, rad, p = lcp_up_through(setup)
    code, msg = p.pap("carol", "pw3", timeout=10)
    assert code == 3 and msg == "Session timed out"
    d.wait_for_log(r"Session-Timeout 0 for \"carol\"")


# ---------------------------------------------------------------------------
# accounting


def test_accounting_start_interim_stop_with_octets(setup):
    d, rad, p, ip, start = accounted(setup, "alice", "secret")
    sid = sid_of(start)
    assert start["Acct-Session-Id"] == "%08X%08X" % (
        int(start["Acct-Session-Id"][:8], 16), sid)
    assert start["Class"] == "0x" + b"class-alice".hex()
    assert start["Framed-IP-Address"] == "198.51.100.40"
    assert start["NAS-Port-Type"] == "Virtual"
    assert start["Acct-Authentic"] == "RADIUS"
    # upstream: 5 packets to a listener on the LNS side
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    tun = d.tun_addrs()[0].split("/")[0]
    up_bytes = 0
    for i in range(5):
        pkt = ipv4_udp(ip, tun, 4444, 9999, b"x" * (100 + i))
        up_bytes += len(pkt)
        p.send(IP, pkt)
    rx.settimeout(5)
    for i in range(5):
        rx.recvfrom(2000)
    # downstream: 3 packets to the session, and one to its Framed-Route,
    # which the LNS routed to the tun device
    assert kernel_route(d, "203.0.113.0/28")
    d.ns.ip("route", "replace", POOL, "dev", d.tun)
    tx = d.ns.socket()
    down_bytes = 0
    for i in range(3):
        tx.sendto(b"y" * (50 + i), (ip, 5555))
        down_bytes += 20 + 8 + 50 + i
    tx.sendto(b"routed", ("203.0.113.5", 5555))
    down_bytes += 20 + 8 + 6
    got = 0
    while got < 4:
        f = p.expect(IP, timeout=5)
        got += 1
    assert socket.inet_ntoa(f.payload[16:20]) == "203.0.113.5"
    # Acct-Interim-Interval 2 from the Accept
    interim = rad.wait_record("Interim-Update", timeout=8,
                              Acct_Session_Id=start["Acct-Session-Id"],
                              Acct_Input_Octets=up_bytes,
                              Acct_Output_Octets=down_bytes)
    assert interim["Acct-Input-Packets"] == "5"
    assert interim["Acct-Output-Packets"] == "4"
    assert interim["Acct-Input-Gigawords"] == "0"
    assert interim["Class"] == start["Class"]
    # the subscriber hangs up
    p.send_cp(LCP, TERMREQ, 0x31, b"bye")
    p.expect(LCP, TERMACK, timeout=5)
    p.cdn(timeout=6)
    stop = rad.wait_record("Stop", Acct_Session_Id=start["Acct-Session-Id"])
    assert stop["Acct-Terminate-Cause"] == "User-Request"
    assert stop["Acct-Input-Octets"] == str(up_bytes)
    assert stop["Acct-Output-Octets"] == str(down_bytes)
    assert stop["Acct-Input-Packets"] == "5"
    assert stop["Acct-Output-Packets"] == "4"
    assert stop["Acct-Output-Gigawords"] == "0"
    assert int(stop["Acct-Session-Time"]) >= 2
    assert stop["Class"] == start["Class"]
    # the Framed-Route left with the session
    wait_until(lambda: not kernel_route(d, "203.0.113.0/28"), 3,
               "the Framed-Route to go")


def test_radius_interim_directive(setup):
    d, rad, p, _, start = accounted(
        setup, "bob", "two words", {"radius_interim": 1})
    rad.wait_record("Interim-Update", Acct_Session_Id=start["Acct-Session-Id"])
    time.sleep(2.2)
    n = sum(1 for r in rad.records() if r.get("Acct-Status-Type") ==
            "Interim-Update")
    assert 2 <= n <= 5, n


def test_session_timeout_from_accept(setup):
    d, rad = setup()
    lac, p = link(d)
    t0 = time.time()
    up(p, "erin", "pw5")
    t = p.expect(LCP, TERMREQ, timeout=6)
    assert time.time() - t0 >= 1.5
    p.send_cp(LCP, TERMACK, t.id)
    p.cdn()
    stop = rad.wait_record("Stop", User_Name="erin")
    assert stop["Acct-Terminate-Cause"] == "Session-Timeout"


def test_idle_timeout_from_accept(setup):
    d, rad = setup()
    lac, p = link(d)
    up(p, "frank", "pw6")
    t = p.expect(LCP, TERMREQ, timeout=6)
    p.send_cp(LCP, TERMACK, t.id)
    p.cdn()
    stop = rad.wait_record("Stop", User_Name="frank")
    assert stop["Acct-Terminate-Cause"] == "Idle-Timeout"


# ---------------------------------------------------------------------------
# servers: failover, both down, HUP


def test_failover_to_secondary(setup):
    d, rad = setup({"primary_radius_port": DEAD_PORT,
                    "secondary_radius": "127.0.0.1",
                    "secondary_radius_port": AUTH_PORT})
    lac, p = link(d)
    t0 = time.time()
    ip = up(p, "alice", "secret", timeout=12)[0]
    assert ip == "198.51.100.40"
    assert time.time() - t0 >= 2.5         # 3 tries, 1 s apart
    d.wait_for_log(r"RADIUS: no answer to AUTH after 3 tries: trying the "
                   r"secondary server")
    # accounting also ends up with the secondary (its port + 1)
    rad.wait_record("Start", User_Name="alice", timeout=12)
    # the primary is now skipped: the next login is quick
    lac2, q = link(d, our_sid=78)
    t1 = time.time()
    up(q, "bob", "two words")
    assert time.time() - t1 < 2.5       # not 3 s of retries


def test_both_servers_down_then_recovery(setup):
    d, rad, p = lcp_up_through(setup, start_radius=False)
    code, msg = p.pap("alice", "secret", timeout=10)
    assert code == 3 and msg == "Authentication server not responding"
    p.expect(LCP, TERMREQ)
    assert result_code(p.cdn(timeout=6))[0] == 2
    d.wait_for_log(r"RADIUS: no RADIUS server answered for \"alice\"")
    rad.start()
    lac2, q = link(d, our_sid=78)
    assert up(q, "alice", "secret")[0] == "198.51.100.40"


def test_secret_reloaded_on_hup(setup):
    d, rad, p = lcp_up_through(setup, {"radius_secret": "not-the-secret",
                                       "radius_accounting": False})
    code, msg = p.pap("bob", "two words", timeout=10)
    assert code == 3
    d.reload({"radius_secret": SECRET})
    lac2, q = link(d, our_sid=78)
    assert up(q, "bob", "two words")[0].startswith("198.51.100.")


# ---------------------------------------------------------------------------
# replies that fail verification (a scripted server, not FreeRADIUS)


def pap_to_scripted_server(daemon, netns):
    """A daemon whose RADIUS server is a bare socket (srv, for the test
    to answer from), and alice's PAP Authenticate-Request sent to it:
    (srv, daemon, ppp)."""
    ns = netns()
    srv = ns.socket()
    srv.bind(("127.0.0.1", AUTH_PORT))
    srv.settimeout(5)
    d = daemon(radius_cfg(radius_accounting=False), ns=ns)
    lac, p = link(d)
    p.lcp_up()
    ident = p.next_id()
    p.send_cp(PAP, 1, ident, b"\x05alice\x06secret")
    return srv, d, p


def test_reply_with_bad_authenticator_dropped(daemon, netns):
    srv, d, p = pap_to_scripted_server(daemon, netns)
    for wrong in (True, False):
        req, src = srv.recvfrom(4096)
        code, rid, ln = struct.unpack("!BBH", req[:4])
        assert code == 1
        attrs = b""
        hdr = struct.pack("!BBH", 2, rid, 20 + len(attrs))
        key = b"wrong" if wrong else SECRET.encode()
        auth = hashlib.md5(hdr + req[4:20] + attrs + key).digest()
        srv.sendto(hdr + auth + attrs, src)
    f = p.expect(PAP, timeout=5)
    assert f.code == 2
    d.wait_for_log(r"dropped: bad Response Authenticator")


def test_reply_with_bad_message_authenticator_dropped(daemon, netns):
    srv, d, p = pap_to_scripted_server(daemon, netns)
    for wrong in (True, False):
        req, src = srv.recvfrom(4096)
        rid = req[1]
        ra = req[4:20]
        ln = 20 + 18
        hdr = struct.pack("!BBH", 2, rid, ln)
        # RFC 2869 5.14: HMAC-MD5 with the Request Authenticator
        ma = hmac.new(SECRET.encode(), hdr + ra + b"\x50\x12" + b"\0" * 16,
                      "md5").digest()
        if wrong:
            ma = bytes(16)
        attrs = b"\x50\x12" + ma
        auth = hashlib.md5(hdr + ra + attrs + SECRET.encode()).digest()
        srv.sendto(hdr + auth + attrs, src)
    assert p.expect(PAP, timeout=5).code == 2
    d.wait_for_log(r"dropped: bad Message-Authenticator")


# ---------------------------------------------------------------------------
# Dynamic Authorization (RFC 3576)


def test_dae_disconnect_by_user_name(setup):
    d, rad, p, _, start = accounted(setup, "alice", "secret")
    out = radclient(d, "disconnect", 'User-Name = "alice"')
    assert "Received Disconnect-ACK" in out, out
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn()
    assert result_code(m)[0] == 3
    stop = rad.wait_record("Stop", Acct_Session_Id=start["Acct-Session-Id"])
    assert stop["Acct-Terminate-Cause"] == "Admin-Reset"
    d.wait_for_log(r"RADIUS Disconnect-Request for \"alice\"")


def test_dae_disconnect_by_session_id_with_message_authenticator(setup):
    d, rad, p, _, start = accounted(setup, "bob", "two words")
    out = radclient(d, "disconnect",
                    f'Acct-Session-Id = "{start["Acct-Session-Id"]}", '
                    'Message-Authenticator = 0x00')
    assert "Received Disconnect-ACK" in out, out
    p.expect(LCP, TERMREQ)
    rad.wait_record("Stop", Acct_Session_Id=start["Acct-Session-Id"])


def test_dae_unknown_session_nak(setup):
    d, rad = setup()
    out = radclient(d, "disconnect", 'User-Name = "nobody"')
    assert "Received Disconnect-NAK" in out, out
    assert "Error-Cause = Session-Context-Not-Found" in out, out
    out = radclient(d, "disconnect", 'Reply-Message = "hello"')
    assert "Error-Cause = Missing-Attribute" in out, out


def accounted(setup, user, password, cfg=None):
    """A daemon through FreeRADIUS (setup's, cfg added), user's session up
    on it and its accounting Start recorded: (daemon, FreeRADIUS, ppp,
    address, Start)."""
    d, rad = setup(cfg)
    lac, p = link(d)
    ip = up(p, user, password)[0]
    return d, rad, p, ip, rad.wait_record("Start", User_Name=user)


def dae_packet(code, attrs, secret, ident=7):
    hdr = struct.pack("!BBH", code, ident, 20 + len(attrs))
    auth = hashlib.md5(hdr + bytes(16) + attrs + secret).digest()
    return hdr + auth + attrs


def dae_ask(d, pkt, src):
    """pkt to the daemon's DAE port from address src (in its namespace);
    the answer, or None after a second without one."""
    def ask():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.settimeout(1)
        s.sendto(pkt, ("127.0.0.1", DAE_PORT))
        try:
            return s.recv(4096)
        except socket.timeout:
            return None
        finally:
            s.close()
    return d.ns.run_in(ask)


def test_dae_bad_authenticator_or_unknown_source_ignored(setup):
    d, rad = setup()
    lac, p = link(d)
    up(p, "alice", "secret")
    attrs = b"\x01\x07alice"
    # a wrong secret: no answer, the session stays
    assert dae_ask(d, dae_packet(40, attrs, b"guess"),
                   "127.0.0.1") is None
    d.wait_for_log(r"RADIUS DAE: \d+ octets from 127\.0\.0\.1:\d+ dropped: "
                   r"bad Request Authenticator")
    # the right secret from an address that is no RADIUS server: ignored
    assert dae_ask(d, dae_packet(40, attrs, SECRET.encode()),
                   "127.0.0.9") is None
    d.wait_for_log(r"from 127\.0\.0\.9:\d+ dropped: not from a configured "
                   r"RADIUS server")
    # a truncated one
    assert dae_ask(d, dae_packet(40, attrs, SECRET.encode())[:25],
                   "127.0.0.1") is None
    d.wait_for_log(r"dropped: malformed")
    assert not [m for m in p.ctrl if m["type"] == CDN]
    # and the real one works
    reply = dae_ask(d, dae_packet(40, attrs, SECRET.encode()),
                    "127.0.0.1")
    assert reply is not None and reply[0] == 41
    assert reply[4:20] == hashlib.md5(
        reply[:4] + dae_packet(40, attrs, SECRET.encode())[4:20] +
        reply[20:] + SECRET.encode()).digest()
    p.expect(LCP, TERMREQ)


def test_coa_session_timeout_and_rate(setup):
    d, rad = setup(plugins=True)
    lac, p = link(d)
    t0 = time.time()
    up(p, "alice", "secret")
    start = rad.wait_record("Start", User_Name="alice")
    sid = sid_of(start)
    # Session-Timeout counts from authentication, which was after t0
    st = int(time.time() - t0) + 4
    out = radclient(d, "coa",
                    f'User-Name = "alice", Session-Timeout = {st}, '
                    'Cisco-AVPair = "throttle=64", Idle-Timeout = 600')
    assert "Received CoA-ACK" in out, out
    t_coa = time.time()
    s = nsctl(d.ns, "test_session", str(sid), check=0).stdout
    assert "rate_in=64" in s and "rate_out=64" in s, s
    ev = nsctl(d.ns, "test_events", "testplugin", check=0).stdout
    assert f"radius_reset sid={sid}" in ev
    assert f"radius_response sid={sid} key=throttle value=64" in ev
    d.wait_for_log(r"RADIUS CoA-Request for \"alice\": session-timeout "
                   r"\d+, idle-timeout 600, rate in 64 out 64 kbit/s")
    # dropped at the new Session-Timeout, well before the old 3600 s
    t = p.expect(LCP, TERMREQ, timeout=10)
    assert time.time() - t_coa < 8
    p.send_cp(LCP, TERMACK, t.id)
    p.cdn()
    stop = rad.wait_record("Stop", Acct_Session_Id=start["Acct-Session-Id"])
    assert stop["Acct-Terminate-Cause"] == "Session-Timeout"


def test_coa_unsupported_attribute_nak_changes_nothing(setup):
    d, rad = setup(plugins=True)
    lac, p = link(d)
    up(p, "alice", "secret")
    sid = sid_of(rad.wait_record("Start", User_Name="alice"))
    out = radclient(d, "coa", 'User-Name = "alice", '
                    'Cisco-AVPair = "throttle=64", Framed-MTU = 1400')
    assert "Received CoA-NAK" in out, out
    assert "Error-Cause = Unsupported-Attribute" in out, out
    s = nsctl(d.ns, "test_session", str(sid), check=0).stdout
    assert "rate_in=512" in s, s
    out = radclient(d, "coa", 'User-Name = "alice", '
                    'Cisco-AVPair = "throttle=lots"')
    assert "Error-Cause = Invalid-Request" in out, out


def test_bind_range_and_nas_ip_address(setup):
    """radius_bind_min/max: the requests come from that range;
    bind_address is the NAS-IP-Address, and DAE requests naming
    another NAS are refused (RFC 3576 3)."""
    d, rad = setup({"radius_bind_min": 40000, "radius_bind_max": 40063,
                    "bind_address": "127.0.0.1",
                    "iftun_address": "10.255.255.1"})
    lac, p = link(d)
    up(p, "bob", "two words")
    ports = {int(m) for m in re.findall(
        r"Received Access-Request Id \d+ from 127\.0\.0\.1:(\d+)",
        rad.output())}
    assert ports and all(40000 <= x <= 40063 for x in ports), ports
    assert "NAS-IP-Address = 127.0.0.1" in rad.output()
    out = radclient(d, "disconnect", 'User-Name = "bob", '
                    "NAS-IP-Address = 127.0.0.2")
    assert "Error-Cause = NAS-Identification-Mismatch" in out, out
    out = radclient(d, "disconnect", 'User-Name = "bob", '
                    "NAS-IP-Address = 127.0.0.1")
    assert "Received Disconnect-ACK" in out, out
    p.expect(LCP, TERMREQ)
