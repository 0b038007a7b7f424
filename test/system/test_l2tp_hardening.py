"""L2TP hardening (issue 20, findings 1 and 6, and the l2tp_secret
challenge): each test proves one fix against the running daemon, with the
scripted LAC of l2tpwire.py for exact or abusive messages and the LAC
simulator (test/lacsim) for a real subscriber.

- setup timeouts: a tunnel without SCCCN, a call without ICCN;
- an unverified source gets our SCCRP twice at most;
- admission control: an SCCRQ flood from many source ports neither takes
  the tunnel table nor disturbs an established subscriber;
- the send queue and the out-of-order slots are capped;
- l2tp_secret challenges only a LAC that asked, unless
  l2tp_challenge_lac is set.
"""
import json
import socket
import struct
import subprocess
import time

import pytest

from test_cli import Cli
from conftest import lacsim_events as events, local_auth, of
from l2tpwire import (Lac, avp, u32, result_code, get, SCCRP, STOPCCN,
                      HELLO, ICRQ, ICRP, CDN, A_MSGTYPE, A_SESSION_ID,
                      A_SERIAL, A_TUNNEL_ID, control)

POOL = "198.51.100.0/26"


def lac_for(d, bind="0.0.0.0"):
    return d.ns.run_in(Lac, "127.0.0.1", bind=(bind, 0))


def collect(lac, seconds):
    """Every control message (ZLBs included) for `seconds`."""
    out = []
    end = time.time() + seconds
    while time.time() < end:
        try:
            out.append(lac.recv_any(max(0.05, end - time.time())))
        except (socket.timeout, TimeoutError, BlockingIOError):
            pass
    return out


# ---- finding 1: every establishment state has a timeout ----

@pytest.mark.parametrize("secret", [False, True], ids=["plain", "secret"])
def test_tunnel_without_scccn_times_out(daemon, secret):
    cfg = {"l2tp_setup_timeout": 2}
    if secret:
        cfg.update({"l2tp_secret": "s3cret", "l2tp_challenge_lac": "yes"})
    d = daemon(cfg)
    lac = lac_for(d)
    lac.send(lac.sccrq())
    rp = lac.recv()
    assert rp["type"] == SCCRP
    lac.tid, = struct.unpack("!H", get(rp, A_TUNNEL_ID))
    lac.ack()                       # the SCCRP is acknowledged ...
    # ... and then nothing: the tunnel must not stay forever
    stop = lac.recv(5)
    assert stop["type"] == STOPCCN and result_code(stop)[0] == 2
    d.wait_for_log(r"no SCCCN from lac1 within 2 s")
    d.wait_for_log(r"tunnel wait-ctl-conn -> closing: no SCCCN in time")
    d.assert_not_logged(r"tunnel up")


def test_call_without_iccn_times_out(daemon):
    d = daemon({"l2tp_setup_timeout": 2})
    lac = lac_for(d)
    lac.open_tunnel()
    lac.recv_any(2)                 # the ZLB for our SCCCN
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 5) +
             avp(A_SERIAL, u32(1)))
    rp = lac.recv()
    assert rp["type"] == ICRP
    lac.ack()
    cdn = lac.recv(5)
    assert cdn["type"] == CDN and cdn["sid"] == 5
    assert result_code(cdn)[0] == 2
    d.wait_for_log(r"session \(no user\) closed: no ICCN in time")
    d.assert_not_logged(r"tunnel to lac1 .* cleared")


# ---- finding 1: no amplified answers to a forged source ----

def test_sccrp_to_unverified_source_sent_twice(daemon):
    d = daemon({"l2tp_setup_timeout": 60})
    lac = lac_for(d)
    lac.send(lac.sccrq())
    # never acknowledged: the original l2tpns sent it 5 times (0, 1, 3,
    # 7, 15 s); an unverified source gets it twice
    got = [m for m in collect(lac, 9) if m["type"] == SCCRP]
    assert len(got) == 2, got
    assert got[0]["ns"] == got[1]["ns"] == 0
    # the LAC's own retransmission of its SCCRQ gets one answer each
    lac.send_raw(control(0, 0, 0, 0, lac.sccrq()))
    again = [m for m in collect(lac, 1.5) if m["type"] == SCCRP]
    assert len(again) == 1


# ---- finding 1: admission control under an SCCRQ flood ----

def flood_sccrqs(ports, rounds):
    """SCCRQs from `ports` sockets on 127.0.0.1, each `rounds` times (the
    duplicates as a retransmitting LAC would send them)."""
    socks = []
    for i in range(ports):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    lac = Lac.__new__(Lac)
    sent = 0
    for r in range(rounds):
        for i, s in enumerate(socks):
            lac.our_tid = 1000 + i
            s.sendto(control(0, 0, 0, 0, Lac.sccrq(lac, host=f"flood{i}")),
                     ("127.0.0.1", 1701))
            sent += 1
        time.sleep(0.2)
    for s in socks:
        s.close()
    return sent


def test_sccrq_flood_keeps_subscribers(daemon, tmp_path, lacsim_bin):
    auth = local_auth(tmp_path, "* password\n")
    d = daemon({"hostname": "lns-cli",
                "local_auth_file": str(auth), "echo_timeout": 1,
                "ppp_keepalive": "no", "max_tunnels": 300,
                "l2tp_max_opening_per_source": 16,
                "hello_interval": 1}, ip_pool=POOL + "\n")
    # a subscriber, up before the flood and for the whole of it
    sim = d.ns.popen([lacsim_bin, "--lns", "127.0.0.1", "--bind",
                      "127.0.0.2", "--json", "--ppp", "--hold", "10",
                      "--lcp-echo", "1", "--hello", "1", "--timeout", "20"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
    d.wait_for_log(r"tunnel up with lacsim", timeout=10)
    d.wait_for_log(r"IPCP.*(opened|up)", timeout=10)
    sent = d.ns.run_in(flood_sccrqs, 400, 5)
    assert sent == 2000
    # at most 16 tunnels for the flooding address: the table has room
    # for another LAC (without admission control, 400 flooding ports
    # take all 300 slots and it gets StopCCN "no free tunnel")
    other = lac_for(d, bind="127.0.0.3")
    other.send(other.sccrq(host="late-lac"))
    rp = other.recv()
    assert rp["type"] == SCCRP, result_code(rp)
    d.wait_for_log(r"dropped L2TP datagram from 127\.0\.0\.1:\d+: "
                   r"admission limit")
    js = json.loads(Cli(d).login().cmd("show counters json"))
    assert js["l2tp_admission_refused"] >= 2000 - 5 * 16 - 400, js
    assert js["l2tp_drops"]["admission limit"] == js["l2tp_admission_refused"]
    out, err = sim.communicate(timeout=40)
    evs = events(out)
    assert evs and evs[-1]["event"] == "done", out[-3000:] + err
    done = evs[-1]
    assert done["ok"] is True and done.get("unexpected_down", 0) == 0, done
    echo = of(evs, "ppp_echo")
    assert echo, evs[-5:]
    # the LNS kept answering our echoes and sending its own during the flood
    assert echo[0]["tx_requests"] >= 8, echo
    # (the last request may cross the teardown unanswered)
    assert echo[0]["rx_replies"] >= echo[0]["tx_requests"] - 1, echo
    assert echo[0]["rx_requests"] >= 5, echo
    d.assert_not_logged(r"tunnel to lacsim .* cleared")


# ---- finding 6: memory a peer can make us hold ----

def test_send_queue_capped(daemon):
    d = daemon({"debug": 2})
    lac = lac_for(d)
    lac.open_tunnel()
    # ICRQs that never acknowledge the ICRPs: the queue may not grow
    # without bound
    for i in range(1100):
        lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, i + 1) +
                 avp(A_SERIAL, u32(i)))
        lac.nr = 0
        if i % 100 == 99:
            time.sleep(0.02)
    d.wait_for_log(r"send queue full \(1024 messages")
    d.wait_for_log(r"tunnel to lac1 .* cleared: send queue overflow")
    assert d.running()


def flood_out_of_order(lacs, lns_ids):
    """On each tunnel, Ns 2..8 while 1 never comes: 7 held messages."""
    pad = avp(1000, b"p" * 1000, mandatory=False)
    for lac, t in zip(lacs, lns_ids):
        for ns in range(2, 9):
            lac.send_raw(control(t, 0, ns, 0, avp(A_MSGTYPE, HELLO) +
                                 pad * 4))
        time.sleep(0.001)


def open_many(n):
    """n tunnels in wait-ctl-conn, from one socket per tunnel."""
    ids, lacs = [], []
    for i in range(n):
        lac = Lac("127.0.0.1", timeout=2)
        lac.our_tid = 1 + i
        lac.send(lac.sccrq())
        rp = lac.recv()
        ids.append(struct.unpack("!H", get(rp, A_TUNNEL_ID))[0])
        lacs.append(lac)
    return ids, lacs


def test_out_of_order_capped(daemon):
    d = daemon({"debug": 2, "l2tp_max_opening_tunnels": 0,
                "l2tp_max_opening_per_source": 0,
                "l2tp_setup_timeout": 300})
    ids, lacs = d.ns.run_in(open_many, 320)
    # 320 x 7 x 4 kB = 9 MB offered; the LNS keeps 8 MB at most
    d.ns.run_in(flood_out_of_order, lacs, ids)
    d.wait_for_log(r"out-of-order memory full")
    assert d.running()
    for lac in lacs:
        lac.close()


# ---- the l2tp_secret challenge (found against a real xl2tpd) ----

def run_lacsim(d, lacsim_bin, *args):
    p = d.ns.run([lacsim_bin, "--lns", "127.0.0.1", "--json",
                  "--timeout", "6", *args], check=False, timeout=60)
    return p.returncode, events(p.stdout)


def test_secret_does_not_challenge_a_lac_without_one(daemon, lacsim_bin):
    """The manual: the secret is only used if the LAC requests
    authentication.  A LAC without a secret keeps working."""
    d = daemon({"l2tp_secret": "s3cret"})
    rc, evs = run_lacsim(d, lacsim_bin)
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["tunnels_up"] == 1, evs[-3:]
    d.wait_for_log(r"tunnel up with lacsim, local id \d+, peer id \d+$")
    d.assert_not_logged(r"authenticated")


def test_secret_with_a_lac_that_challenges(daemon, lacsim_bin):
    """A LAC that challenges us is answered and challenged back."""
    d = daemon({"l2tp_secret": "s3cret"})
    rc, evs = run_lacsim(d, lacsim_bin, "--secret", "s3cret")
    assert rc == 0 and evs[-1]["tunnels_up"] == 1, evs[-3:]
    d.wait_for_log(r"tunnel up with lacsim, .*authenticated")


def test_secret_lac_not_challenging_is_not_challenged(daemon, lacsim_bin):
    d = daemon({"l2tp_secret": "s3cret"})
    rc, evs = run_lacsim(d, lacsim_bin, "--secret", "s3cret",
                         "--no-challenge")
    assert rc == 0 and evs[-1]["tunnels_up"] == 1, evs[-3:]
    d.wait_for_log(r"tunnel up with lacsim, local id \d+, peer id \d+$")


def test_challenge_lac_directive(daemon, lacsim_bin):
    """l2tp_challenge_lac yes: every LAC is challenged, and one without
    the secret gets no tunnel."""
    d = daemon({"l2tp_secret": "s3cret", "l2tp_challenge_lac": "yes"})
    rc, evs = run_lacsim(d, lacsim_bin, "--secret", "s3cret",
                         "--no-challenge")
    assert rc == 0 and evs[-1]["tunnels_up"] == 1, evs[-3:]
    d.wait_for_log(r"tunnel up with lacsim, .*authenticated")
    rc, evs = run_lacsim(d, lacsim_bin)
    assert rc != 0 and evs[-1]["tunnels_up"] == 0, evs[-3:]
    assert any("challenges us" in e.get("message", "") +
               e.get("reason", "") + e.get("what", "")
               for e in of(evs, "error")), of(evs, "error")
    assert d.log_text().count("tunnel up with lacsim") == 1
