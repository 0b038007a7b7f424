"""RADIUS and DAE hardening (issue 20, findings 4 and 8).

Blast-RADIUS (CVE-2024-3596): radius_require_message_authenticator
auto|yes|no, against a scripted server that forges unsigned replies and
against the real FreeRADIUS (whose 3.2.1 signs an Access-Accept only
when its reply list holds ``Message-Authenticator := 0x00``).
"""
import hashlib
import hmac
import struct
import signal
import time

from test_cli import HOST, counters
from test_radius import (FreeRadius, radius_cfg, link, up, USERS, SECRET,
                         AUTH_PORT, dae_ask, dae_packet,
                         setup)  # noqa
from l2tpwire import CDN
from pppwire import PAP, LCP, TERMREQ

ADMIN = "admin:admin\nenable:en\n"


def access_reply(req, code, signed, secret=SECRET):
    """An Access reply (2 Accept, 3 Reject) to ``req``, with a correct
    Response Authenticator and, when ``signed``, a Message-Authenticator
    (RFC 2869 5.14)."""
    rid, ra = req[1], req[4:20]
    attrs = b""
    if signed:
        hdr = struct.pack("!BBH", code, rid, 20 + 18)
        ma = hmac.new(secret.encode(), hdr + ra + b"\x50\x12" + bytes(16),
                      "md5").digest()
        attrs = b"\x50\x12" + ma
    hdr = struct.pack("!BBH", code, rid, 20 + len(attrs))
    auth = hashlib.md5(hdr + ra + attrs + secret.encode()).digest()
    return hdr + auth + attrs


class Fake:
    """A scripted RADIUS server on the primary's port."""

    def __init__(self, ns):
        self.s = ns.socket()
        self.s.bind(("127.0.0.1", AUTH_PORT))
        self.s.settimeout(5)

    def request(self):
        req, src = self.s.recvfrom(4096)
        assert req[0] == 1
        return req, src

    def answer(self, code, signed):
        req, src = self.request()
        self.s.sendto(access_reply(req, code, signed), src)
        return req


def login(d, fake, replies, our_sid):
    """A subscriber's PAP login answered by ``replies`` (code, signed),
    one per Access-Request (the daemon resends after a dropped reply);
    the PAP answer code (2 Ack, 3 Nak)."""
    lac, p = link(d, our_sid=our_sid)
    p.lcp_up()
    ident = p.next_id()
    p.send_cp(PAP, 1, ident, b"\x05alice\x06secret")
    for code, signed in replies:
        fake.answer(code, signed)
    return p.expect(PAP, timeout=5).code


def fake_daemon(daemon, netns, mode):
    ns = netns()
    fake = Fake(ns)
    cfg = radius_cfg(radius_accounting=False, allow_duplicate_users=True,
                     hostname=HOST)
    if mode is not None:
        cfg["radius_require_message_authenticator"] = mode
    return daemon(cfg, ns=ns, users=ADMIN), fake


def test_radius_msgauth_auto_learns_from_a_signing_server(daemon, netns):
    d, fake = fake_daemon(daemon, netns, None)	# the default: auto
    # A server not yet seen signing: an unsigned Accept is taken, and we
    # say once that the server is open to forgery.
    assert login(d, fake, [(2, False)], 71) == 2
    d.wait_for_log(r"server 127\.0\.0\.1:1812 sends Access replies without "
                   r"Message-Authenticator.*CVE-2024-3596")
    assert login(d, fake, [(2, False)], 72) == 2
    assert d.log_text().count("sends Access replies without") == 1
    # Once it signed a reply, an unsigned one is a forgery: dropped, the
    # request is sent again and the real (signed) Reject decides.
    assert login(d, fake, [(2, True)], 73) == 2
    assert login(d, fake, [(2, False), (3, True)], 74) == 3
    d.wait_for_log(r"reply from 127\.0\.0\.1:1812 dropped: no "
                   r"Message-Authenticator")
    assert counters(d)["radius_no_msgauth"] == 1


def test_radius_msgauth_yes_drops_unsigned_replies(daemon, netns):
    d, fake = fake_daemon(daemon, netns, "yes")
    assert login(d, fake, [(2, False), (3, False), (2, True)], 71) == 2
    assert counters(d)["radius_no_msgauth"] == 2


def test_radius_msgauth_no_keeps_the_old_behaviour(daemon, netns):
    d, fake = fake_daemon(daemon, netns, "no")
    assert login(d, fake, [(2, True)], 71) == 2
    assert login(d, fake, [(2, False)], 72) == 2
    assert counters(d)["radius_no_msgauth"] == 0
    d.assert_not_logged(r"sends Access replies without")


def test_radius_msgauth_bad_value_refused(daemon):
    d = daemon({"radius_require_message_authenticator": "maybe"},
               start=False)
    r = d.run("-n")
    assert r.returncode != 0
    assert "radius_require_message_authenticator" in r.stdout + r.stderr


SIGNED = USERS.replace('alice	Cleartext-Password := "secret"\n',
                       'alice	Cleartext-Password := "secret"\n'
                       '	Message-Authenticator := 0x00,\n')


def test_radius_msgauth_yes_with_freeradius(daemon, netns, tmp_path):
    # FreeRADIUS signing its Accept (the fix the manual gives): accepted.
    ns = netns()
    FreeRadius(ns, tmp_path / "r1", users=SIGNED).start()
    d = daemon(radius_cfg(radius_require_message_authenticator="yes",
                          hostname=HOST),
               ns=ns, users=ADMIN)
    lac, p = link(d)
    assert up(p, "alice", "secret")[0] == "198.51.100.40"
    assert counters(d)["radius_no_msgauth"] == 0
    d.assert_not_logged(r"sends Access replies without")


def test_radius_msgauth_with_unsigning_freeradius(daemon, netns, tmp_path):
    # Debian 12's FreeRADIUS 3.2.1 as installed: no Message-Authenticator
    # in its Accept.  auto (the default) logs in and warns; yes refuses.
    ns = netns()
    FreeRadius(ns, tmp_path / "r2").start()
    d = daemon(radius_cfg(hostname=HOST), ns=ns, users=ADMIN)
    lac, p = link(d)
    assert up(p, "alice", "secret")[0] == "198.51.100.40"
    d.wait_for_log(r"sends Access replies without Message-Authenticator")
    d.reload({"radius_require_message_authenticator": "yes"})
    lac, p = link(d, our_sid=78, calling="1")
    p.lcp_up()
    code, msg = p.pap("bob", "two words", timeout=12)
    assert code == 3 and "not responding" in msg
    assert counters(d)["radius_no_msgauth"] >= 3


# ---------------------------------------------------------------------------
# DAE: dae_clients, Event-Timestamp (RFC 5176 3, 3.5)


def test_dae_clients_and_required_event_timestamp(setup):
    d, rad = setup({"dae_clients": "127.0.0.8/30=dac-secret",
                    "dae_require_event_timestamp": True,
                    "hostname": HOST}, users=USERS)
    lac, p = link(d)
    up(p, "alice", "secret")
    now = int(time.time())
    name = b"\x01\x07alice"
    ts = b"\x37\x06" + struct.pack("!I", now)
    old = b"\x37\x06" + struct.pack("!I", now - 3600)
    # the RADIUS server is no longer a client once dae_clients is set
    assert dae_ask(d, dae_packet(40, name + ts, SECRET.encode()),
                   "127.0.0.1") is None
    d.wait_for_log(r"from 127\.0\.0\.1:\d+ dropped: not in dae_clients")
    # a listed client with the server's secret: wrong secret
    assert dae_ask(d, dae_packet(40, name + ts, SECRET.encode()),
                   "127.0.0.9") is None
    # with its own secret but no Event-Timestamp, or an old one: replay
    assert dae_ask(d, dae_packet(40, name, b"dac-secret"),
                   "127.0.0.9") is None
    d.wait_for_log(r"dropped: no Event-Timestamp")
    assert dae_ask(d, dae_packet(40, name + old, b"dac-secret", ident=8),
                   "127.0.0.9") is None
    d.wait_for_log(r"dropped: Event-Timestamp outside dae_event_window")
    assert counters(d)["dae_stale"] == 2
    assert not [m for m in p.ctrl if m["type"] == CDN]
    # a current one is acted on, the answer signed with its secret
    req = dae_packet(40, name + ts, b"dac-secret", ident=9)
    reply = dae_ask(d, req, "127.0.0.10")
    assert reply is not None and reply[0] == 41
    assert reply[4:20] == hashlib.md5(reply[:4] + req[4:20] + reply[20:] +
                                      b"dac-secret").digest()
    p.expect(LCP, TERMREQ)


# ---------------------------------------------------------------------------
# SIGTERM with no cluster: every session's Acct-Stop (finding 4)


def test_radius_sigterm_standalone_sends_acct_stop(setup):
    d, rad = setup({"hostname": HOST})
    lac, p = link(d)
    up(p, "alice", "secret")
    start = rad.wait_record("Start", User_Name="alice")
    d.signal(signal.SIGTERM)
    assert d.wait_exit(15) == 0
    stop = rad.wait_record("Stop", User_Name="alice")
    assert stop["Acct-Session-Id"] == start["Acct-Session-Id"]
    assert stop["Acct-Terminate-Cause"] == "Admin-Reboot"
    d.wait_for_log(r"no cluster to take 1 accounted sessions over: "
                   r"Acct-Stop sent for each")
    d.wait_for_log(r"RADIUS: accounting STOP acknowledged")
