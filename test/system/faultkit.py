"""Helpers shared by the fault suite (test_faults.py), the abuse suite
(test_abuse.py) and the soak (bench/soak.py): lacsim run in the
background with its JSON events collected, the daemon's counters and
sessions read through its CLI, a UDP echo server, and FreeRADIUS
configured for any subscriber."""
import json
import re
import signal
import subprocess
import threading
from pathlib import Path

from conftest import LACSIM, of, wait_until  # noqa: F401 (of: re-exported)
from test_cli import Cli

HOST = "lns-cli"                # test_cli's PROMPT expects this hostname
SERVER = "203.0.113.1"          # a host behind the LNS (on its lo)

# FreeRADIUS's files module: every user, password "password" (lacsim's).
ANY_USER = 'DEFAULT\tCleartext-Password := "password"\n'


class Lacsim:
    """lacsim in a namespace, in the background; its JSON events are
    collected by a thread so that the pipe never fills."""

    def __init__(self, ns, *args, lns="127.0.0.1"):
        self.evs = []
        self.lock = threading.Lock()
        self.p = ns.popen([str(LACSIM), "--lns", lns, "--json",
                           *map(str, args)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            if line.strip():
                with self.lock:
                    self.evs.append(json.loads(line))

    def events(self, name=None):
        with self.lock:
            evs = list(self.evs)
        return evs if name is None else of(evs, name)

    def wait(self, name, n, timeout):
        def enough():
            got = self.events(name)
            if len(got) >= n:
                return got
            assert self.p.poll() is None, \
                f"lacsim exited (rc {self.p.returncode}): " \
                f"{self.events()[-5:]} {self.p.stderr.read()}"
            return None
        return wait_until(enough, timeout, f"{n} {name} events")

    def finish(self, timeout=60):
        """Wait for lacsim to exit; (exit status, its done event)."""
        rc = self.p.wait(timeout)
        self.reader.join(5)
        done = self.events("done")
        assert done, self.events()[-5:]
        return rc, done[-1]

    def stop(self, timeout=60):
        """SIGTERM (lacsim tears down), then finish()."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return self.finish(timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(5)


class DaemonCli:
    """A logged-in CLI on the daemon, for its counters and sessions."""

    def __init__(self, d):
        self.d = d
        self.c = Cli(d, timeout=20).login()

    def counters(self):
        return json.loads(self.c.cmd("show counters json", timeout=20))

    def sessions(self):
        return json.loads(self.c.cmd("show session json",
                                     timeout=20))["sessions"]

    def cmd(self, line, timeout=20):
        return self.c.cmd(line, timeout=timeout)

    def close(self):
        self.c.close()


def freeradius_config(fr_dir, lines):
    """Append raw lines to a FreeRadius object's radiusd.conf."""
    conf = Path(fr_dir) / "radiusd.conf"
    conf.write_text(conf.read_text() + lines)


def rss_kb(pid):
    m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status")
                  .read_text(), re.M)
    return int(m.group(1))


class ReorderRelay:
    """A UDP relay in a namespace between LACs and the LNS that holds
    every datagram, both ways, for a random time up to ``max_delay``
    seconds: datagrams overtake one another (reordering and jitter, as
    netem would make; this kernel has no netem).  Each LAC socket gets
    its own upstream socket, so the LNS still sees one source port per
    tunnel."""

    def __init__(self, ns, listen=("127.0.0.1", 1801),
                 lns=("127.0.0.1", 1701), max_delay=0.08, seed=1):
        import heapq
        import random
        import select
        self._heapq, self._select = heapq, select
        self.ns, self.lns, self.max_delay = ns, lns, max_delay
        self.rng = random.Random(seed)
        self.listen = ns.socket()
        self.listen.bind(listen)
        self.up = {}            # LAC address -> upstream socket
        self.down = {}          # upstream socket fd -> LAC address
        self.queue = []         # (due, n, socket, data, address)
        self.n = 0
        self.relayed = 0
        self.overtaken = 0      # datagrams sent before an earlier one
        self._last_seq = {}
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _schedule(self, sock, data, addr):
        import time
        self.n += 1
        due = time.monotonic() + self.rng.uniform(0, self.max_delay)
        self._heapq.heappush(self.queue, (due, self.n, sock, data, addr))

    def _loop(self):
        import time
        while not self.stop.is_set():
            socks = [self.listen] + list(self.up.values())
            wait = 0.05
            if self.queue:
                wait = max(0.0, min(wait, self.queue[0][0] -
                                    time.monotonic()))
            r, _, _ = self._select.select(socks, [], [], wait)
            for s in r:
                try:
                    data, addr = s.recvfrom(65536)
                except OSError:
                    continue
                if s is self.listen:
                    u = self.up.get(addr)
                    if u is None:
                        u = self.ns.socket()
                        u.bind(("127.0.0.1", 0))
                        self.up[addr] = u
                        self.down[u.fileno()] = addr
                    self._schedule(u, data, self.lns)
                else:
                    self._schedule(self.listen, data,
                                   self.down[s.fileno()])
            now = time.monotonic()
            while self.queue and self.queue[0][0] <= now:
                _, n, sock, data, addr = self._heapq.heappop(self.queue)
                key = (sock.fileno(), addr)
                if n < self._last_seq.get(key, 0):
                    self.overtaken += 1
                else:
                    self._last_seq[key] = n
                try:
                    sock.sendto(data, addr)
                    self.relayed += 1
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.t.join()
        for s in [self.listen] + list(self.up.values()):
            s.close()
