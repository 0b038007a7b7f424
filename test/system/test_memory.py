"""Memory per session (issue 22; Docs/performance.md, "Memory"): the
daemon's resident memory idle with max_sessions slots, and with sessions
up (lacsim, PPP with local authentication), read from /proc/PID/status.

These are memory measurements, not timings: they hold on a loaded
machine.  The bounds are the design's (tables touched only where a
session has been), with room; the figures are printed for the
performance page (pytest -s)."""
import json
import os
import subprocess
import time

import pytest

from conftest import wait_until
from test_lacsim_ppp import lacsim_bin, lns  # noqa: F401

KB = 1024


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field}")


def rss_kb(pid):
    return status_kb(pid, "VmRSS")


def under_asan(pid):
    """The daemon runs with AddressSanitizer (make SAN=1): its shadow
    memory (an eighth of what the process touches) and the redzones
    around each allocation come on top of the daemon's own memory."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def bring_up(d, lacsim_bin, tunnels, per_tunnel, timeout=300):
    """lacsim holds tunnels x per_tunnel PPP sessions up; returns its
    Popen once every session is up (terminated at teardown)."""
    p = d.ns.popen([lacsim_bin, "--lns", "127.0.0.1", "--json", "--ppp",
                    "--tunnels", str(tunnels), "--sessions", str(per_tunnel),
                    "--max-pending", "500", "--hold", "600",
                    "--no-teardown", "--timeout", str(timeout)],
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                   text=True)
    want, up, deadline = tunnels * per_tunnel, 0, time.monotonic() + timeout
    for line in p.stdout:
        e = json.loads(line)
        if e["event"] == "ppp_up":
            up += 1
            if up == want:
                return p
        assert e["event"] != "done", e
        assert time.monotonic() < deadline, f"{up} of {want} up"
    raise AssertionError(f"lacsim ended with {up} of {want} up")


@pytest.mark.parametrize("n", [10000, 60000])
def test_memory_per_session(lns, lacsim_bin, n):
    d = lns({"max_sessions": 65535, "debug": 1}, pool="10.64.0.0/16")
    idle = rss_kb(d.pid)
    p = bring_up(d, lacsim_bin, n // 1000, 1000)
    time.sleep(1)
    up = rss_kb(d.pid)
    per = (up - idle) * KB / n
    print(f"\nmemory: {n} sessions: idle {idle} kB, up {up} kB, "
          f"{per:.0f} octets/session above idle, "
          f"{up * KB / n:.0f} octets/session all told")
    p.terminate()
    # A session up costs its entries in the per-session tables and a
    # few small allocations: issue 22's goal of 2 KiB (measured 1,841
    # octets at 10,000 and 1,736 at 60,000, Docs/performance.md).  Under
    # ASan three quarters more: its shadow, and its quarantine holding
    # what a session frees once authenticated (the proxy LCP copies,
    # the request), measured 1.67x to 1.69x.
    assert per < (2048 * 1.75 if under_asan(d.pid) else 2048), per


def test_a_million_slots_start_and_idle(lns):
    """max_sessions 1,000,000: the daemon starts at once, and its idle
    memory does not grow with the slots it has not used."""
    small = lns({"max_sessions": 1000, "debug": 1})
    base = rss_kb(small.pid)
    small.stop()
    t0 = time.monotonic()
    d = lns({"max_sessions": 1000000, "debug": 1})
    took = time.monotonic() - t0
    idle = rss_kb(d.pid)
    print(f"\nmemory: max_sessions 1000: idle {base} kB; 1000000: idle "
          f"{idle} kB (virtual {status_kb(d.pid, 'VmSize')} kB), started "
          f"in {took:.1f} s")
    assert (idle - base) * KB / 1000000 < 64, (base, idle)
