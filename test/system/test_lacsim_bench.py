"""lacsim's options for the benchmarks (bench/README.md), against the
daemon: --max-pending (at most N sessions between ICRQ and IPCP up) and
--control (the traffic generator run by commands on SIGUSR1)."""
import json
import queue
import signal
import subprocess
import threading
import time

from conftest import UdpEcho, wait_until
from test_lacsim_ppp import (SERVER, behind_lns, lns,  # noqa: F401
                             of, run_lacsim)

POOL = "10.64.0.0/24"           # room for the 100 sessions


def test_max_pending_caps_sessions_in_setup(lns, lacsim_bin):
    """The sessions between their ICRQ and IPCP up never exceed the cap,
    the cap is reached, and every session comes up."""
    d = lns(pool=POOL)
    rc, evs = run_lacsim(d, lacsim_bin, "--tunnels", 4, "--sessions", 25,
                         "--max-pending", 5, "--timeout", 30, "-v")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    assert evs[-1]["ppp_up"] == 100
    sent, pending, peak = set(), 0, 0
    for e in evs:
        if e["event"] == "ctrl_tx" and e["msg"] == "ICRQ":
            key = (e["tunnel"], e["ns"])      # a retransmission repeats it
            if key not in sent:
                sent.add(key)
                pending += 1
        elif e["event"] == "ppp_up":
            pending -= 1
        peak = max(peak, pending)
    assert len(sent) == 100
    assert peak == 5, peak


def test_max_pending_off_sends_every_icrq_at_once(lns, lacsim_bin):
    """Without the cap, the same run has far more than 5 in flight (the
    check above can fail)."""
    d = lns(pool=POOL)
    rc, evs = run_lacsim(d, lacsim_bin, "--tunnels", 4, "--sessions", 25,
                         "--timeout", 30, "-v")
    assert rc == 0
    pending, peak = 0, 0
    for e in evs:
        if e["event"] == "ctrl_tx" and e["msg"] == "ICRQ":
            pending += 1
        elif e["event"] == "ppp_up":
            pending -= 1
        peak = max(peak, pending)
    assert peak > 5, peak


class Reader:
    """lacsim's JSON lines, read by a thread, waited for by name."""

    def __init__(self, p):
        self.q = queue.Queue()
        self.evs = []
        threading.Thread(target=self.loop, args=(p,), daemon=True).start()

    def loop(self, p):
        for line in p.stdout:
            if line.strip():
                self.q.put(json.loads(line))
        self.q.put(None)

    def wait(self, name, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                e = self.q.get(timeout=0.1)
            except queue.Empty:
                continue
            assert e is not None, f"lacsim ended before {name}: {self.evs}"
            self.evs.append(e)
            if e["event"] == name:
                return e
        raise AssertionError(f"no {name} event in {timeout}s: {self.evs}")


def test_control_runs_traffic_on_command(lns, lacsim_bin, tmp_path):
    d = lns()
    behind_lns(d)
    echo = UdpEcho(d.ns, SERVER, 7)
    ctl = tmp_path / "control"
    ctl.write_text("")
    p = d.ns.popen([lacsim_bin, "--lns", "127.0.0.1", "--json", "--ppp",
                    "--tunnels", 1, "--sessions", 4, "--traffic-dst", SERVER,
                    "--dport", 7, "--control", ctl, "--hold", 60,
                    "--timeout", 20], stdout=subprocess.PIPE, text=True)
    r = Reader(p)

    def command(text):
        ctl.write_text(text + "\n")
        p.send_signal(signal.SIGUSR1)
        return r.wait("control")
    try:
        r.wait("setup")
        # With --control nothing is sent until a command says so.
        time.sleep(0.5)
        assert echo.count == 0
        e = command("traffic 120 400 1")
        assert e["ok"] is True and e["command"] == "traffic 120 400 1", e
        wait_until(lambda: echo.count >= 380, 5, "the burst")
        time.sleep(0.5)
        assert 380 <= echo.count <= 420, echo.count
        assert echo.sizes == {120 - 28}, echo.sizes
        e = command("report")
        assert e["ok"] is True
        t = r.wait("traffic")
        assert t["tx_packets"] == echo.count, (t, echo.count)
        # A second burst, another size: the counters go on.
        e = command("traffic 60 400 0.5")
        assert e["ok"] is True
        wait_until(lambda: echo.sizes == {92, 32} and
                   echo.count >= t["tx_packets"] + 190, 5, "burst 2")
        e = command("bogus 1 2 3")
        assert e["ok"] is False and e["error"] == "unknown command", e
        e = command("traffic 10 400 1")
        assert e["ok"] is False, e        # below 28 octets
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        echo.close()
    assert not of(r.evs, "error"), of(r.evs, "error")
