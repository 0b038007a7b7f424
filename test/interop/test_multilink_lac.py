"""Multilink PPP (RFC 1990) with a real LAC: pppd with ``multilink`` and
an endpoint discriminator over xl2tpd (test_real_lac.py has the guest,
the fixtures and the summary this test uses).

pppd negotiates MRRU and the endpoint discriminator with us, and its
kernel (ppp_generic's multilink) sends everything in MP fragments: the
guest's pings, small and 1200 octets, cross our reassembly upstream.
Then xl2tpd dials a second call, pppd attaches it to ppp0's bundle, and
l2tpns joins it to the first link's bundle.

Data over both links at once is not tested here: xl2tpd opens the
second call in a tunnel of its own on its one UDP socket, and the
kernel's L2TP data path serves one tunnel per socket, so the second
tunnel's data messages reach xl2tpd, which drops them ("write_packet:
tty is not open yet"); test_multilink.py covers two links (one tunnel
and two) with a scripted peer.  Run alone with
``make interop PYTEST_ARGS="-k multilink"``.
"""
import json
import re

from test_real_lac import (Cli, USER, PASSWORD, check_link,
                           check_guest_pings, summary, lines,
                           lns)  # noqa: F401


def test_multilink_pppd_mp_fragments_and_second_link(lns, guests):  # noqa: F811
    d = lns(multilink=True, radius_authtypes="chap")
    g = guests({"auth": "chap", "user": USER, "pass": PASSWORD,
                "multilink": "yes", "links": 2, "hold": 3})
    extra = []
    cli = None
    rows, mp = [], {}
    try:
        ip = check_link(g, d)
        check_guest_pings(g)
        ev, rest = g.wait_for(["LINK2"], 90)
        extra.append(f"guest LINK2: {rest}")
        d.wait_for_log(rf'multilink: "{USER}" joins the bundle of session '
                       r'\d+ \(2 links\)')
        cli = Cli(d).login()
        c = json.loads(cli.cmd("show counters json"))
        mp = {k: v for k, v in c.items() if k.startswith("mp_")}
        extra.append(f"LNS multilink counters: {mp}")
        rows = [l.split() for l in cli.cmd("show session").split("\n")
                if re.search(rf"\b{USER}\b", l)]
        extra.append(f"show session rows of {USER}: {rows}")
        g.wait_for(["PPPD_EXIT", "LINKDOWN"], 60)
    finally:
        if cli:
            cli.close()
        summary("multilink: pppd's MP fragments, a second link joins", g, d,
                extra)
    # RFC 1990 5.1: MRRU and endpoint discriminator both ways.
    assert lines(g, r"^sent \[LCP ConfReq .*<mrru \d+> <endpoint \[IP:")
    assert lines(g, r"^rcvd \[LCP ConfReq .*<mrru 1600> <endpoint \[local:")
    assert lines(g, r"New bundle ppp0 created")
    assert lines(g, r"Link attached to ppp0")
    assert "pppds=2" in rest, rest
    # One address: the second link shows none (it is the bundle's).
    assert len(rows) == 2 and sorted(r[3] for r in rows) == \
        sorted([ip, "0.0.0.0"]), rows
    assert mp["mp_bundles"] == 1 and mp["mp_joins"] == 1
    # The guest's 7 echo requests (and IPCP) came as MP fragments.
    assert mp["mp_rx_frames"] >= 7
    assert mp["mp_rx_bad"] == 0 and mp["mp_rx_overflow"] == 0
    assert mp["mp_rx_lost"] == 0
