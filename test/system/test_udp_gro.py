"""UDP GRO on the L2TP socket end to end (issue 22; manual, "Data-plane
offloads", udp_gro): a LAC that sends its data messages with UDP GSO
(one sendmsg() with a UDP_SEGMENT control message carries many
equal-sized L2TP datagrams) through a veth, as a LAC with GSO does.
With udp_gro on, the daemon's socket receives them still coalesced and
splits them itself (udp_gro_rx, udp_gro_segments); with it off, the
kernel splits them before the socket.  Either way every subscriber
packet must reach the server once, intact, in order, and the session's
counters must count each one.

Namespaces as in test_dataplane.py: LAC --veth-- LNS --veth-- server.
The LAC is scripted (l2tpwire, pppwire) so that it can send with
UDP_SEGMENT from the tunnel's own socket.
"""
import json
import socket
import struct

import pytest

from conftest import wait_until
from l2tpwire import Lac
from pppwire import Ppp, ipv4_udp
from test_cli import Cli
from test_dataplane import LNS_LAC_ADDR, SRV_ADDR, make_net

UDP_SEGMENT = 103           # linux/udp.h
PER_SEND = 16               # datagrams in one UDP_SEGMENT send
SENDS = 8
PAYLOAD = 600               # each subscriber UDP payload (equal sizes)
PORT = 9999


def frames(p, src, tag, n):
    """n L2TP data messages of one size, each a PPP IPv4/UDP packet from
    the subscriber to the server with a payload unique to it."""
    out = []
    for i in range(n):
        data = f"{tag} {i:04d} ".encode().ljust(PAYLOAD, b".")
        pkt = ipv4_udp(src, SRV_ADDR, 40000, PORT, data)
        out.append((struct.pack("!HHH", 0x0002, p.lac.tid, p.sid) +
                    b"\xff\x03\x00\x21" + pkt, data))
    assert len({len(f) for f, _ in out}) == 1
    return out


@pytest.mark.parametrize("gro", ["yes", "no"])
def test_udp_gso_from_the_lac_forwarded_exactly(daemon, netns, tmp_path,
                                                gro):
    d, lac_ns, srv = make_net(daemon, netns, tmp_path,
                              {"udp_gro": gro, "tun_gro": "no"})
    lac = lac_ns.run_in(Lac, LNS_LAC_ADDR)
    lac.open_tunnel(host="lac-gso")
    p = Ppp(lac, lac.open_session(our_sid=61), 61)
    ip = p.up("sub1", "password")[0]
    sink = srv.socket()
    sink.bind((SRV_ADDR, PORT))
    sink.settimeout(3)
    cli = Cli(d).login()
    try:
        ctr0 = json.loads(cli.cmd("show counters json"))
        sent = []
        for k in range(SENDS):
            batch = frames(p, ip, f"{gro}-{k}", PER_SEND)
            seg = len(batch[0][0])
            n = lac.sock.sendmsg(
                [b"".join(f for f, _ in batch)],
                [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("=H", seg))],
                0, lac.lns)
            assert n == seg * PER_SEND
            sent += [data for _, data in batch]
        got = []
        while len(got) < len(sent):
            try:
                got.append(sink.recv(65536))
            except socket.timeout:
                break
        # every packet once, intact, in the order sent
        assert got == sent, (len(got), len(sent))

        def counted():
            js = json.loads(cli.cmd("show session json"))
            s = [s for s in js["sessions"] if s["ip"] == ip][0]
            return s if s["packets_in"] >= len(sent) else None
        s = wait_until(counted, 5, "the session's packets_in")
        assert s["packets_in"] == len(sent), s       # no more, no less
        ctr = json.loads(cli.cmd("show counters json"))
        rx = ctr["udp_gro_rx"] - ctr0["udp_gro_rx"]
        segs = ctr["udp_gro_segments"] - ctr0["udp_gro_segments"]
        if gro == "yes":
            # coalesced datagrams reached the socket and were split here
            assert rx > 0 and segs >= 2 * rx, (rx, segs)
            assert segs <= len(sent), (rx, segs)
        else:
            assert (rx, segs) == (0, 0)
    finally:
        cli.close()
