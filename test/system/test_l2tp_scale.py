"""L2TP at scale and under loss, with the C LAC simulator.

- 50 tunnels x 20 sessions come up and are torn down cleanly;
- with 20% of control packets dropped in each direction (nftables
  `numgen random`, since this kernel has no netem) setup still converges
  through retransmissions;
- a LAC that vanishes is cleared by dead-peer detection.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest

LACSIM = Path(__file__).resolve().parents[2] / "test" / "lacsim" / "lacsim"


def run_lacsim(ns, *args, timeout=120):
    p = ns.run([str(LACSIM), "--lns", "127.0.0.1", "--json", *map(str, args)],
               check=False, timeout=timeout)
    evs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    assert evs and evs[-1]["event"] == "done", p.stdout[-2000:] + p.stderr
    return p.returncode, evs[-1], evs


def test_50_tunnels_20_sessions(daemon):
    d = daemon({"debug": 2})
    rc, done, _ = run_lacsim(d.ns, "--tunnels", 50, "--sessions", 20,
                             "--timeout", 60)
    assert rc == 0, done
    assert done["ok"] is True
    assert done["tunnels_up"] == 50 and done["sessions_up"] == 1000
    assert done["tunnels_closed"] == 50 and done["sessions_closed"] == 1000
    assert done["errors"] == 0 and done["unexpected_down"] == 0
    log = d.log_text()
    # every tunnel was ended by the LAC's StopCCN, none by an error
    assert len(re.findall(r"StopCCN from lacsim: result 1", log)) == 50
    assert not re.search(r"ERROR|malformed|retransmitted", log), log[-3000:]
    assert d.running()


LOSS_RULES = """
table inet l2tploss {
  chain input { type filter hook input priority 0;
    udp dport 1701 numgen random mod 5 == 0 counter drop; }
  chain output { type filter hook output priority 0;
    udp sport 1701 numgen random mod 5 == 0 counter drop; }
}
"""


def test_control_packet_loss_converges(daemon):
    # A message and its ack both cross a lossy hop: each try succeeds
    # with p = 0.64, so ten tries on both sides keep the chance that some
    # message of the run is never acknowledged well under 1%.
    d = daemon({"debug": 2, "l2tp_max_retries": 10})
    d.ns.run(["nft", "-f", "-"], input=LOSS_RULES)
    rc, done, evs = run_lacsim(d.ns, "--tunnels", 10, "--sessions", 5,
                               "--retries", 10, "--timeout", 120,
                               timeout=240)
    assert done["tunnels_up"] == 10 and done["sessions_up"] == 50, done
    # the loss was real: both sides had to retransmit
    assert done["retransmits"] > 0
    assert re.search(r"retransmitted from Ns=", d.log_text())
    dropped = d.ns.run(["nft", "list", "table", "inet", "l2tploss"]).stdout
    counts = [int(c) for c in re.findall(r"packets (\d+)", dropped)]
    assert len(counts) == 2 and all(c > 0 for c in counts), dropped
    assert rc == 0, done


def test_vanished_lac_cleared_by_dead_peer_detection(daemon):
    d = daemon({"hello_interval": 1, "dead_peer_hellos": 2})
    # bring a tunnel up, then vanish without StopCCN
    rc, done, _ = run_lacsim(d.ns, "--tunnels", 1, "--sessions", 2,
                             "--no-teardown", "--timeout", 10)
    assert rc == 0 and done["sessions_up"] == 2, done
    d.wait_for_log(r"dead peer, clearing tunnel", timeout=10)
    d.wait_for_log(r"session \(no user\) closed: tunnel cleared")
