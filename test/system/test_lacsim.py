"""The LAC simulator (test/lacsim/lacsim, README there).

First on its own in an empty namespace (nothing answers: timeout events and
a failing exit status; raw mode), then against the daemon: tunnels and
sessions up and cleanly down, with tunnel authentication both ways and
hidden AVPs.  lacsim's L2TP code is an independent reading of RFC 2661, so
these runs check that the daemon's reading meets another one on the wire.
"""
import subprocess

import pytest

from conftest import lacsim_events as events, of


def test_nothing_listening_times_out(netns, lacsim_bin):
    ns = netns()
    p = ns.run([lacsim_bin, "--lns", "127.0.0.1:1701", "--timeout", "2",
                "--json"], check=False)
    assert p.returncode == 1, p.stderr
    evs = events(p.stdout)
    assert of(evs, "retransmit")[0]["msg"] == "SCCRQ"
    to = of(evs, "timeout")
    assert to and to[0]["what"] == "setup"
    assert to[0]["state"] == "wait-ctl-reply"
    done = evs[-1]
    assert done["event"] == "done" and done["ok"] is False
    assert done["tunnels_up"] == 0 and done["timeouts"] == 1


def test_raw_mode_without_reply(netns, lacsim_bin):
    ns = netns()
    p = ns.run([lacsim_bin, "--lns", "127.0.0.1", "--raw-hex",
                "c802 000c 0000 0000 0000 0000", "--timeout", "0.3",
                "--json"])
    evs = events(p.stdout)
    assert of(evs, "tx")[0]["hex"] == "c802000c0000000000000000"
    assert not of(evs, "rx")
    done = evs[-1]
    assert done["event"] == "done"
    assert done["sent"] == 1 and done["received"] == 0


def test_bad_options(lacsim_bin):
    for args in (["--lns", "127.0.0.1", "--hide"],
                 ["--lns", "127.0.0.1", "--tunnels", "0"],
                 ["--tunnels", "1"],
                 ["--lns", "127.0.0.1", "--raw-hex", "abc"]):
        p = subprocess.run([lacsim_bin, *args], capture_output=True,
                           timeout=10)
        assert p.returncode == 2, args


@pytest.mark.parametrize("extra", [
    [],
    ["--secret", "s3cret"],
    ["--secret", "s3cret", "--hide"],
], ids=["plain", "secret", "hidden"])
def test_against_daemon(daemon, lacsim_bin, extra):
    cfg = {"debug": 3}
    if extra:
        cfg["l2tp_secret"] = "s3cret"
    d = daemon(cfg)
    p = d.ns.run([lacsim_bin, "--lns", "127.0.0.1", "--tunnels", "3",
                  "--sessions", "4", "--timeout", "10", "--json", *extra],
                 check=False, timeout=60)
    evs = events(p.stdout)
    errors = of(evs, "error")
    assert not errors, errors
    assert p.returncode == 0, p.stdout[-2000:]
    done = evs[-1]
    assert done["ok"] is True
    assert done["tunnels_up"] == done["tunnels_closed"] == 3
    assert done["sessions_up"] == done["sessions_closed"] == 12
    ups = of(evs, "tunnel_up")
    assert len({e["peer_tid"] for e in ups}) == 3
    assert all(e["peer_tid"] != 0 for e in ups)
    sids = {(e["tunnel"], e["peer_sid"]) for e in of(evs, "session_up")}
    assert len(sids) == 12
