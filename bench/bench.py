#!/usr/bin/python3
"""bench.py - l2tpns benchmarks (`make bench`), measured against the
original l2tpns (Debian's package, 2.4.1) in the same run.

What it measures, each as the median of repeated runs with min and max:

1. session setup rate: sessions per second from the first SCCRQ to the
   last IPCP up, with local authentication and with FreeRADIUS, PAP and
   CHAP, at 1k and 10k sessions;
2. forwarding rate, upstream and downstream, 64- and 1400-octet IP
   packets, with 1k, 10k and 60k sessions up, and the CPU time the LNS
   spends per packet;
3. resident memory per session at those counts, and the largest session
   count one process holds;
4. a ceiling: the same packets through bench/relay (a TUN <-> UDP relay
   doing no protocol work) in an LNS's place;
5. all of it against the original, as ratios (ours / original).

The network: one LAC namespace (lacsim), one server namespace (udpblast,
FreeRADIUS) and three LNS namespaces side by side, so that ours, the
original and the relay hold their sessions at the same time and their
runs can be interleaved (noise from whatever else the machine does then
falls on all three alike):

            to-a 192.0.2.2 ----- 192.0.2.1 [lns a: ours]  198.51.100.1 --- to-a
  [lac]     to-b 192.0.3.2 ----- 192.0.3.1 [lns b: orig]  198.51.101.1 --- to-b  [srv]
  lacsim    to-c 192.0.4.2 ----- 192.0.4.1 [lns c: relay] 198.51.102.1 --- to-c  udpblast
                                                                   198.51.10x.2  FreeRADIUS

Pools: a 10.64.0.0/16 (10.64.0.0/12 for the largest count), b
10.96.0.0/16, c 10.112.0.0/16, routed back from the server.  The side c
sessions are brought up by ours, which is then killed and replaced by
the relay.

Every LNS runs on CPU 1; lacsim, udpblast, FreeRADIUS and the rest on
CPU 0 (taskset), all at nice -5.  Packets are counted by nftables in the
LAC and server namespaces; an LNS's CPU time comes from
/proc/PID/task/*/schedstat.

Run as root from the top of the tree: `make bench`, or
`/usr/bin/python3 bench/bench.py [--quick]`.  --quick runs every group at
small counts with one repetition (a few minutes), for checking the
harness; its report goes to the work directory, not to Docs/.
"""

import argparse
import atexit
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
L2TPNS = ROOT / "l2tpns"
LACSIM = ROOT / "test/lacsim/lacsim"
RELAY = ROOT / "bench/relay"
UDPBLAST = ROOT / "bench/udpblast"
CACHE = Path("/var/tmp/l2tpns-bench")

SINK_PORT = 9
RADIUS_SECRET = "bench-radius"
PASSWORD = "benchpw"
DAEMON_CPU, GEN_CPU = "1", "0"
PREFIX = f"l2b{os.getpid()}"

# The original's compile-time limits: MAXSESSION 60000 (ids 1..59999),
# MAXTUNNEL 500.
ORIG_MAX_SESSIONS = 59999


class Side:
    """One LNS namespace and its links to the LAC and the server."""

    def __init__(self, key, third):
        self.key = key
        self.lac_addr = f"192.0.{third}.2"
        self.lns_addr = f"192.0.{third}.1"
        self.lns_srv = f"198.51.{98 + third}.1"
        self.srv_addr = f"198.51.{98 + third}.2"
        self.ns = f"{PREFIX}-lns{key}"
        self.dev = f"to-{key}"          # its link in the LAC and server


SIDES = {"a": Side("a", 2), "b": Side("b", 3), "c": Side("c", 4)}
POOLS = {"a": "10.64.0.0/16", "b": "10.96.0.0/16", "c": "10.112.0.0/16"}
ROUTES = {"a": "10.64.0.0/12", "b": "10.96.0.0/16", "c": "10.112.0.0/16"}
BIG_POOL = "10.64.0.0/12"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(cmd, check=True, **kw):
    """Run a command, return its stdout."""
    p = subprocess.run([str(c) for c in cmd], capture_output=True,
                       text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit "
                           f"{p.returncode}\n{p.stdout}{p.stderr}")
    return p.stdout


def wait_until(pred, timeout, what, interval=0.05):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise RuntimeError(f"timed out after {timeout}s waiting for "
                               f"{what}")
        time.sleep(interval)


# ---------------------------------------------------------------------
# processes: every one we start is recorded and ended by its pid

class Procs:
    def __init__(self):
        self.live = []
        self.nice = -5

    def pin(self, cpu):
        return ["nice", "-n", str(self.nice), "taskset", "-c", cpu]

    def start(self, cmd, **kw):
        # A session of its own: the original signals its process group
        # (its CLI children) when it exits.
        p = subprocess.Popen([str(c) for c in cmd], start_new_session=True,
                             **kw)
        self.live.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(sig)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)

    def stop_all(self):
        for p in reversed(self.live):
            self.stop(p, signal.SIGTERM, 5)


PROCS = Procs()


# ---------------------------------------------------------------------
# network

class Net:
    def __init__(self):
        self.lac, self.srv = f"{PREFIX}-lac", f"{PREFIX}-srv"
        self.made = []
        self.dropping = False

    @staticmethod
    def ns(ns, *cmd):
        return ["ip", "netns", "exec", ns] + [str(c) for c in cmd]

    def up(self):
        for ns in [self.lac, self.srv] + [s.ns for s in SIDES.values()]:
            sh(["ip", "netns", "add", ns])
            self.made.append(ns)
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for k, s in SIDES.items():
            sh(["ip", "-n", self.lac, "link", "add", s.dev, "type", "veth",
                "peer", "name", "to-lac", "netns", s.ns])
            sh(["ip", "-n", s.ns, "link", "add", "to-srv", "type", "veth",
                "peer", "name", s.dev, "netns", self.srv])
            for ns, dev, addr in ((self.lac, s.dev, s.lac_addr),
                                  (s.ns, "to-lac", s.lns_addr),
                                  (s.ns, "to-srv", s.lns_srv),
                                  (self.srv, s.dev, s.srv_addr)):
                sh(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev",
                    dev])
                sh(["ip", "-n", ns, "link", "set", dev, "up"])
            sh(self.ns(s.ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))
            # A UDP_SEGMENT send (udp_gso) would cross veth as one
            # packet and be counted as one at the LAC's ingress: the
            # LNS's link cuts it into datagrams itself, in software, on
            # the LNS's CPU (as a NIC without UDP segmentation offload
            # would have the kernel do; one with it does so for free).
            sh(self.ns(s.ns, "ethtool", "-K", "to-lac",
                       "tx-udp-segmentation", "off"))
            # The pool, and the LNS's L2TP address (RADIUS comes from it).
            for dst in (ROUTES[k], s.lns_addr.rsplit(".", 1)[0] + ".0/24"):
                sh(["ip", "-n", self.srv, "route", "add", dst, "via",
                    s.lns_srv])
        # No receive packet steering: veth runs the receiving side's
        # stack on the sending CPU.  The LNS's ingress (UDP receive,
        # forwarding into tun0) is therefore on the generators' CPU, so
        # an overload is shed there rather than by starving the LNS's
        # CPU with packets it then drops (RPS to CPU 1 did exactly
        # that); the LAC's and the server's ingress (counted and dropped
        # at once by nftables) runs on the LNS's CPU, a small part of
        # its figures (RPS to CPU 0 cost more, in IPIs).
        self.counters_setup()

    def counters_setup(self):
        """nftables counters.  LAC: data messages sent and received per
        side, at least as long as a 64-octet packet needs (92 octets of
        outer IP packet) and as a 1400-octet one (1428), which keeps
        LCP echoes and L2TP control messages out.  Server: datagrams to
        and from the sink's port per side.  What is received is counted
        at ingress, where the throughput runs also drop it (drop(True)):
        a real LAC or server is another machine, and its socket work
        does not belong on these CPUs."""
        out, inb, srv_out, srv_in = [], [], [], []
        tx, rx, srv_tx, srv_rx = [], [], [], []
        for k, s in SIDES.items():
            for size, thr in (("small", 92), ("big", 1428)):
                tx.append(f"tx_{k}_{size}")
                rx.append(f"rx_{k}_{size}")
                out.append(f'oifname "{s.dev}" udp dport 1701 ip length '
                           f'>= {thr} counter name tx_{k}_{size}')
            inb.append(f'chain in_{k} {{ type filter hook ingress device '
                       f'"{s.dev}" priority 0; policy accept; ' + "; ".join(
                           f"ip protocol udp udp sport 1701 ip length >= "
                           f"{thr} counter name rx_{k}_{size}"
                           for size, thr in (("small", 92), ("big", 1428)))
                       + "; }")
            srv_tx.append(f"tx_{k}")
            srv_rx.append(f"rx_{k}")
            srv_out.append(f'oifname "{s.dev}" udp dport {SINK_PORT} '
                           f'counter name tx_{k}')
            srv_in.append(f'chain in_{k} {{ type filter hook ingress device '
                          f'"{s.dev}" priority 0; policy accept; ip protocol '
                          f'udp udp dport {SINK_PORT} counter name rx_{k}; }}')

        def conf(tx_names, out_rules, rx_names, in_chains):
            def decl(names):
                return "".join(f"counter {n} {{ }}\n" for n in names)
            return (f"table inet bench {{\n{decl(tx_names)}chain out {{ type "
                    "filter hook output priority 0; policy accept;\n" +
                    "\n".join(out_rules) + "\n}\n}\n"
                    f"table netdev benchin {{\n{decl(rx_names)}" +
                    "\n".join(in_chains) + "\n}\n")
        sh(self.ns(self.lac, "nft", "-f", "-"), input=conf(tx, out, rx, inb))
        sh(self.ns(self.srv, "nft", "-f", "-"),
           input=conf(srv_tx, srv_out, srv_rx, srv_in))

    def drop(self, on):
        """Drop what the LAC and the server receive, after counting."""
        if on == self.dropping:
            return
        for ns, rule in ((self.lac, "ip protocol udp udp sport 1701 ip "
                          "length >= 92 drop"),
                         (self.srv, f"ip protocol udp udp dport {SINK_PORT} "
                          "drop")):
            if on:
                chains = "".join(
                    f'chain in_{k} {{ type filter hook ingress device '
                    f'"{s.dev}" priority 10; policy accept; {rule}; }}\n'
                    for k, s in SIDES.items())
                sh(self.ns(ns, "nft", "-f", "-"),
                   input=f"table netdev benchdrop {{\n{chains}}}\n")
            else:
                sh(self.ns(ns, "nft", "delete", "table", "netdev",
                           "benchdrop"))
        self.dropping = on

    def counters(self, ns):
        out = sh(self.ns(ns, "nft", "-j", "list", "counters"))
        res = {}
        for item in json.loads(out)["nftables"]:
            c = item.get("counter")
            if c:
                res[c["name"]] = c["packets"]
        return res

    def snmp(self, ns):
        """UDP counters of a namespace (receive buffer errors)."""
        out = sh(self.ns(ns, "cat", "/proc/net/snmp"))
        lines = [l.split() for l in out.splitlines() if l.startswith("Udp:")]
        return dict(zip(lines[0][1:], map(int, lines[1][1:])))

    def down(self):
        for ns in self.made:
            # Anything still in the namespace was started by us.
            for pid in sh(["ip", "netns", "pids", ns], check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh(["ip", "netns", "delete", ns], check=False)
        self.made = []


# ---------------------------------------------------------------------
# CPU and memory of a process

def cpu_ns(pid):
    """CPU time of every thread of pid, in nanoseconds (schedstat)."""
    total = 0
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((t / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def user_sys(pid):
    """User and system CPU time of pid in seconds (tick resolution)."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return int(f[11]) / hz, int(f[12]) / hz


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def smaps_top(pid, limit=6):
    """The mappings of pid holding the most resident memory: (kB, size
    kB, what) each."""
    maps, cur = [], None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        f = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            cur = {"size_kb": (hi - lo) // 1024, "rss_kb": 0,
                   "what": f[5] if len(f) > 5 else
                   ("[anonymous, shared]" if f[1][3] == "s" else
                    "[anonymous]")}
            maps.append(cur)
        elif f and f[0] == "Rss:" and cur is not None:
            cur["rss_kb"] = int(f[1])
    maps.sort(key=lambda m: -m["rss_kb"])
    return maps[:limit]


def cpu_times():
    """Per CPU: (busy, total) jiffies from /proc/stat."""
    res = {}
    for line in Path("/proc/stat").read_text().splitlines():
        f = line.split()
        if f[0].startswith("cpu") and f[0] != "cpu":
            v = list(map(int, f[1:9]))
            res[f[0]] = (sum(v) - v[3] - v[4], sum(v))
    return res


def busy(a, b, cpu):
    db, dt = b[cpu][0] - a[cpu][0], b[cpu][1] - a[cpu][1]
    return db / dt if dt else 0.0


# ---------------------------------------------------------------------
# FreeRADIUS (Debian's), in the server namespace, no debug output

RADIUSD_CONF = """\
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = {dir}
sbindir = /usr/sbin
logdir = {dir}
raddbdir = {dir}
radacctdir = {dir}
name = freeradius
confdir = {dir}
modconfdir = {dir}
run_dir = {dir}
db_dir = {dir}
libdir = /usr/lib/freeradius
dictdir = /usr/share/freeradius
pidfile = {dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 2
max_requests = 65536
hostname_lookups = no
log {{
	destination = files
	file = {dir}/radius.log
	auth = no
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}}
thread pool {{
	start_servers = 4
	max_servers = 8
	min_spare_servers = 2
	max_spare_servers = 8
	max_requests_per_server = 0
}}
client lns {{
	ipaddr = 192.0.0.0/16
	secret = {secret}
}}
client lns_servers_side {{
	ipaddr = 198.51.96.0/20
	secret = {secret}
}}
modules {{
	files {{
		filename = {dir}/authorize
	}}
	pap {{
		normalise = yes
	}}
	chap {{
	}}
}}
server default {{
	listen {{
		type = auth
		ipaddr = *
		port = 1812
	}}
	listen {{
		type = acct
		ipaddr = *
		port = 1813
	}}
	authorize {{
		chap
		files
		pap
	}}
	authenticate {{
		Auth-Type PAP {{
			pap
		}}
		Auth-Type CHAP {{
			chap
		}}
	}}
	preacct {{
	}}
	accounting {{
	}}
	post-auth {{
	}}
}}
"""


class Radius:
    def __init__(self, net, work, nusers):
        self.net = net
        self.dir = work / "radius"
        self.dir.mkdir()
        (self.dir / "radiusd.conf").write_text(RADIUSD_CONF.format(
            dir=self.dir, secret=RADIUS_SECRET))
        with open(self.dir / "authorize", "w") as f:
            for i in range(1, nusers + 1):
                f.write(f'bench{i}\tCleartext-Password := "{PASSWORD}"\n')
        self.proc = None

    def start(self):
        logf = self.dir / "radius.log"
        self.proc = PROCS.start(
            self.net.ns(self.net.srv, *PROCS.pin(GEN_CPU), "freeradius",
                        "-f", "-d", self.dir),
            stdout=open(self.dir / "stdout", "w"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_until(lambda: (logf.exists() and "Ready to process requests" in
                            logf.read_text(errors="replace")) or
                   self.proc.poll() is not None, 60, "FreeRADIUS")
        if self.proc.poll() is not None:
            raise RuntimeError("FreeRADIUS exited: " +
                               (self.dir / "stdout").read_text())


# ---------------------------------------------------------------------
# the LNSs

class Lns:
    """A daemon on CPU 1 in its side's namespace."""
    name = "?"
    max_sessions = None

    def __init__(self, net, work, side):
        self.net = net
        self.work = work
        self.side = side
        self.proc = None
        self.pid = None
        self.idle_rss = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        PROCS.stop(self.proc, sig, 20)
        self.proc = None
        # The TUN device goes with the process; wait until it has.
        wait_until(lambda: "tun0" not in sh(
            ["ip", "-n", self.side.ns, "-o", "link"], check=False),
            10, "tun0 to go")

    def wait_ready(self, text, what):
        wait_until(lambda: text in self.log.read_text(errors="replace") or
                   not self.alive(), 60, what)
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n" +
                               self.log.read_text()[-3000:])
        time.sleep(0.3)
        self.idle_rss = rss_kb(self.pid)


class Ours(Lns):
    name = "ours"

    def start(self, radius=False, max_sessions=65535, pool=None, tag="run",
              nusers=0, more_users=()):
        s = self.side
        d = self.work / f"ours-{s.key}-{tag}"
        d.mkdir()
        (d / "ip_pool").write_text((pool or POOLS[s.key]) + "\n")
        (d / "users").write_text("")
        lines = [
            "set debug 2",
            f"set log_file {d}/l2tpns.log",
            f"set pid_file {d}/l2tpns.pid",
            f"set users_file {d}/users",
            f"set ip_pool_file {d}/ip_pool",
            f"set bind_address {s.lns_addr}",
            f"set peer_address {s.lns_srv}",
            "set primary_dns 198.51.100.53",
            "set secondary_dns 198.51.100.54",
            "set cli_bind_address 127.0.0.1",
            f"set max_sessions {max_sessions}",
            # Offered in this order, to RADIUS and local subscribers alike.
            'set radius_authtypes "pap,chap"',
        ]
        # L2TPNS_BENCH_SET="tun_uring yes; udp_gso no": directives for
        # ours in every run (to measure one optimisation at a time).
        for kv in os.environ.get("L2TPNS_BENCH_SET", "").split(";"):
            if kv.strip():
                lines.append(f"set {kv.strip()}")
        if radius:
            lines += [f"set primary_radius {s.srv_addr}",
                      "set primary_radius_port 1812",
                      f"set radius_secret {RADIUS_SECRET}"]
        else:
            subs = d / "subscribers"
            with open(subs, "w") as f:
                for i in range(1, nusers + 1):
                    f.write(f"bench{i} {PASSWORD}\n")
                # (format, count): more local subscribers, e.g. for
                # lacsims of their own (--user FMT).
                for fmt, count in more_users:
                    for i in range(1, count + 1):
                        f.write(f"{fmt % i} {PASSWORD}\n")
            os.chmod(subs, 0o600)
            lines.append(f"set local_auth_file {subs}")
        (d / "startup-config").write_text("\n".join(lines) + "\n")
        self.log = d / "l2tpns.log"
        self.log.write_text("")
        self.proc = PROCS.start(
            self.net.ns(s.ns, *PROCS.pin(DAEMON_CPU), L2TPNS, "-c",
                        d / "startup-config"),
            stdin=subprocess.DEVNULL, stdout=open(d / "stdout", "w"),
            stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.wait_ready(" ready: ", "l2tpns to be ready")


ORIG_CONFIG = """\
set debug 2
set log_file "{dir}/l2tpns.log"
set pid_file "{dir}/l2tpns.pid"
set bind_address {lns}
set peer_address {peer}
set primary_dns 198.51.100.53
set secondary_dns 198.51.100.54
set primary_radius {radius}
set primary_radius_port 1812
set radius_secret "{secret}"
set radius_authtypes "pap,chap"
set cli_bind_address 127.0.0.1
set cluster_interface to-lac
set cluster_hb_interval 1
set cluster_hb_timeout 15
"""

# A mount namespace of its own: /etc overlaid so that /etc/l2tpns (the
# compiled-in home of ip_pool, users and startup-config) is this run's
# directory, and nothing under the host's /etc changes.
ORIG_WRAPPER = """\
#!/bin/sh
set -e
mount -t overlay overlay -o lowerdir=/etc,upperdir="$1/upper",workdir="$1/work" /etc
mkdir -p /etc/l2tpns
mount --bind "$1/etc" /etc/l2tpns
shift
exec "$@"
"""


class Original(Lns):
    name = "original"
    max_sessions = ORIG_MAX_SESSIONS

    def __init__(self, net, work, side, root):
        super().__init__(net, work, side)
        self.root = root

    def start(self, tag="run", **kw):
        s = self.side
        d = self.work / f"orig-{tag}"
        for sub in ("etc", "upper", "work"):
            (d / sub).mkdir(parents=True)
        (d / "etc/ip_pool").write_text(POOLS[s.key] + "\n")
        (d / "etc/users").write_text("")
        (d / "etc/startup-config").write_text(ORIG_CONFIG.format(
            dir=d, lns=s.lns_addr, peer=s.lns_srv, radius=s.srv_addr,
            secret=RADIUS_SECRET))
        wrapper = d / "run.sh"
        wrapper.write_text(ORIG_WRAPPER)
        wrapper.chmod(0o755)
        self.log = d / "l2tpns.log"
        self.log.write_text("")
        self.proc = PROCS.start(
            self.net.ns(s.ns, "unshare", "-m", "--propagation", "private",
                        wrapper, d, *PROCS.pin(DAEMON_CPU),
                        self.root / "usr/sbin/l2tpns", "-c",
                        "/etc/l2tpns/startup-config"),
            stdin=subprocess.DEVNULL, stdout=open(d / "stdout", "w"),
            stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        # A standalone node is a cluster of one: it takes L2TP only once
        # it has elected itself master.
        self.wait_ready("declaring myself the master",
                        "the original to become master")


class Relay(Lns):
    name = "ceiling"

    def start(self, sessions, tag="run"):
        s = self.side
        d = self.work / f"relay-{tag}"
        d.mkdir()
        with open(d / "map", "w") as f:
            for e in sessions:
                f.write(f"{e['ip']} {e['local_tid']} {e['local_sid']} "
                        f"{e['peer_tid']}\n")
        self.log = d / "stdout"
        self.proc = PROCS.start(
            self.net.ns(s.ns, *PROCS.pin(DAEMON_CPU), RELAY, "--tun", "tun0",
                        "--bind", f"{s.lns_addr}:1701", "--map", d / "map"),
            stdin=subprocess.DEVNULL, stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.wait_ready('"ready"', "the relay")
        sh(["ip", "-n", s.ns, "route", "replace", POOLS[s.key], "dev",
            "tun0"])

    def counters(self):
        self.proc.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        lines = [l for l in self.log.read_text().splitlines()
                 if l.startswith('{"up_rx"')]
        return json.loads(lines[-1]) if lines else {}


# ---------------------------------------------------------------------
# lacsim

class Lacsim:
    def __init__(self, net, work, tag, side, tunnels, sessions, auth="pap",
                 hold=None, max_pending=0, timeout=300, user="bench%d"):
        self.net = net
        self.n = tunnels * sessions
        self.out = work / f"lacsim-{tag}.jsonl"
        self.control = work / f"lacsim-{tag}.control"
        self.control.write_text("")
        self.pos = 0
        self.cpu = None
        self.by_name = {}
        cmd = [LACSIM, "--lns", side.lns_addr, "--tunnels", tunnels,
               "--sessions", sessions, "--ppp", "--auth", auth,
               "--user", user, "--password", PASSWORD,
               "--timeout", timeout, "--hello", 0, "--no-teardown",
               "--json"]
        if max_pending:
            cmd += ["--max-pending", max_pending]
        if hold is None:
            cmd += ["--hold", 0]
        else:
            cmd += ["--hold", hold, "--traffic-dst", side.srv_addr,
                    "--dport", SINK_PORT, "--control", self.control]
        self.proc = PROCS.start(
            net.ns(net.lac, *PROCS.pin(GEN_CPU), *cmd),
            stdin=subprocess.DEVNULL, stdout=open(self.out, "w"),
            stderr=subprocess.STDOUT)

    def poll(self):
        with open(self.out, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        nl = data.rfind(b"\n")
        if nl < 0:
            return
        self.pos += nl + 1
        for line in data[:nl + 1].decode(errors="replace").splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                e = {"event": "unparsed", "line": line}
            self.by_name.setdefault(e.get("event"), []).append(e)

    def find(self, name):
        self.poll()
        return self.by_name.get(name, [])

    def reap(self):
        """True once lacsim has exited; reaped here with wait4() so that
        its CPU time is kept (self.cpu, seconds)."""
        if self.proc.returncode is not None:
            return True
        pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
        if not pid:
            return False
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu = ru.ru_utime + ru.ru_stime
        return True

    def wait_event(self, name, timeout):
        def got():
            ev = self.find(name)
            if ev:
                return ev[-1]
            if self.reap():
                ev = self.find(name)
                return ev[-1] if ev else {"event": "exited"}
            return None
        return wait_until(got, timeout, f"lacsim {name}", 0.1)

    def command(self, line, expect_report=False):
        """Run one --control command; with `report`, return the traffic
        event that follows."""
        n_ctl, n_tr = len(self.find("control")), len(self.find("traffic"))
        self.control.write_text(line + "\n")
        self.proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: len(self.find("control")) > n_ctl, 10,
                   f"lacsim to run '{line}'", 0.02)
        ctl = self.find("control")[-1]
        if not ctl.get("ok"):
            raise RuntimeError(f"lacsim control {line}: {ctl}")
        if expect_report:
            wait_until(lambda: len(self.find("traffic")) > n_tr, 10,
                       "lacsim traffic report", 0.02)
            return self.find("traffic")[-1]
        return None

    def wait_cpu(self, timeout=30):
        """lacsim's CPU time in seconds once it has exited (with
        --no-teardown, right after its done event)."""
        wait_until(self.reap, timeout, "lacsim to exit", 0.02)
        return self.cpu

    def sessions(self):
        """The sessions with IPCP up, each once (an LNS that renegotiates
        IPCP brings one up twice), latest address."""
        last = {}
        for e in self.find("ppp_up"):
            last[(e["tunnel"], e["session"])] = e
        for e in self.find("session_down"):
            k = (e["tunnel"], e["session"])
            if k in last and last[k]["t"] <= e["t"]:
                del last[k]
        return list(last.values())

    def stop(self):
        PROCS.stop(self.proc, signal.SIGTERM, 30)


def split(n, per_tunnel, max_tunnels=65535):
    """n sessions as (tunnels, sessions per tunnel): n / per_tunnel
    tunnels, at most max_tunnels, the sessions spread evenly (60,000 in
    at most 100 tunnels: 100 of 600)."""
    tunnels = min(max(1, n // per_tunnel), max_tunnels)
    return tunnels, -(-n // tunnels)


# ---------------------------------------------------------------------
# the benchmark

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        # A run keeps up to a gigabyte (lacsim's events at 400,000
        # sessions); only the last few are kept.
        old = sorted(CACHE.glob("run-*"))
        for d in old[:max(0, len(old) - 2)]:
            shutil.rmtree(d, ignore_errors=True)
        self.work = CACHE / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
        self.work.mkdir(parents=True)
        self.net = Net()
        self.res = {"setup": [], "fwd": [], "mem": [], "checks": [],
                    "largest": {}, "perf": {}, "notes": []}
        if self.quick:
            self.reps = 1
            self.setup_counts = [200, 1000]
            self.fwd_counts = [100, 1000, 3000]
            self.window, self.warmup = 1.0, 0.3
            self.largest_steps = [70000]
        else:
            self.reps = args.reps
            self.setup_counts = [1000, 10000]
            self.fwd_counts = [1000, 10000, 60000]
            self.window, self.warmup = 2.5, 0.5
            self.largest_steps = [100000, 200000, 400000]
        self.sizes = [64, 1400]
        self.max_pending = args.max_pending

    def note(self, text):
        log("  NOTE: " + text)
        self.res["notes"].append(text)

    # -- environment

    def fetch_original(self):
        """Debian's l2tpns, unpacked into a private directory: dpkg-deb
        -x installs the files and nothing else (the package's maintainer
        scripts would enable and start a service)."""
        d = CACHE / "debian"
        root = d / "root"
        if not (root / "usr/sbin/l2tpns").exists():
            d.mkdir(parents=True, exist_ok=True)
            log("fetching Debian's l2tpns package (apt-get download)")
            sh(["apt-get", "download", "l2tpns"], cwd=d)
            debs = sorted(d.glob("l2tpns_*.deb"))
            if not debs:
                raise RuntimeError("apt-get download l2tpns left no .deb")
            sh(["dpkg-deb", "-x", debs[-1], root])
        deb = sorted(d.glob("l2tpns_*.deb"))[-1]
        self.res["original_version"] = sh(["dpkg-deb", "-f", deb,
                                           "Version"]).strip()
        return root

    def machine(self):
        cpu = "?"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split()[1]
        vm = " hypervisor" in Path("/proc/cpuinfo").read_text()
        return {"cpu": cpu, "cores": os.cpu_count(), "vm": vm,
                "kernel": platform.release(), "hostname": platform.node(),
                "mem_gb": round(int(mem) / 1048576, 1),
                "os": Path("/etc/debian_version").read_text().strip(),
                "load_start": os.getloadavg()}

    def git(self):
        head = sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                  check=False).strip() or "?"
        dirty = sh(["git", "-C", ROOT, "status", "--porcelain",
                    "--untracked-files=no"], check=False).strip()
        return head + (" with local changes" if dirty else "")

    # -- group 1: setup

    def setup_run(self, lns, radius, auth, n, rep):
        tunnels, per = split(n, 100, 100)
        lns.start(radius=radius, tag=f"setup-{radius}-{auth}-{n}-{rep}",
                  nusers=n)
        cpu0 = cpu_ns(lns.pid)
        lac = Lacsim(self.net, self.work, f"setup-{lns.name}-{radius}-"
                     f"{auth}-{n}-{rep}", lns.side, tunnels, per, auth=auth,
                     max_pending=self.max_pending, timeout=120)
        done = lac.wait_event("done", 180)
        cpu = cpu_ns(lns.pid) - cpu0
        setup = lac.find("setup")
        lac_cpu = lac.wait_cpu()
        lac.stop()
        lns.stop()
        up = done.get("ppp_up", 0)
        ms = setup[-1]["ms"] if setup else None
        r = {"lns": lns.name, "auth": "radius" if radius else "local",
             "proto": auth, "n": tunnels * per, "rep": rep, "up": up,
             "ms": ms, "rate": up / (ms / 1000) if ms else 0,
             "p50": done.get("ppp_setup_p50_ms"),
             "p95": done.get("ppp_setup_p95_ms"),
             "max": done.get("ppp_setup_max_ms"),
             "retransmits": done.get("retransmits", 0),
             "unexpected_down": done.get("unexpected_down", 0),
             "errors": done.get("errors", 0),
             "cpu_us_per_session": cpu / 1e3 / up if up else None,
             "lns_busy": cpu / 1e6 / ms if ms else None,
             "lacsim_busy": lac_cpu * 1e3 / ms if ms and lac_cpu else None}
        log(f"  setup {lns.name:8} {r['auth']:6} {auth:4} n={r['n']:6} "
            f"rep {rep}: {up} up in {ms or 0:.0f} ms = {r['rate']:.0f}/s, "
            f"p50 {r['p50']} ms, {r['retransmits']} retransmissions, "
            f"{(r['cpu_us_per_session'] or 0):.0f} us CPU/session")
        if up != r["n"]:
            self.note(f"setup {lns.name} {r['auth']} {auth} {r['n']} rep "
                      f"{rep}: only {up} of {r['n']} sessions came up")
        if r["errors"]:
            self.note(f"setup {lns.name} {r['auth']} {auth} {r['n']} rep "
                      f"{rep}: lacsim reported {r['errors']} errors "
                      f"(see {lac.out})")
        self.res["setup"].append(r)

    def group_setup(self, ours, orig):
        log("group 1: session setup rate")
        for n in self.setup_counts:
            for auth in ("pap", "chap"):
                for rep in range(self.reps):
                    for lns, radius in ((ours, False), (ours, True),
                                        (orig, True)):
                        self.setup_run(lns, radius, auth, n, rep)

    # -- groups 2-4: forwarding and memory

    def sample(self, lns):
        return {"t": time.monotonic(), "lac": self.net.counters(self.net.lac),
                "srv": self.net.counters(self.net.srv), "cpu": cpu_times(),
                "lns_ns": cpu_ns(lns.pid), "us": user_sys(lns.pid)}

    def fwd_run(self, lns, lac, n, direction, size, rep, dsts, perf=None,
                pps=None):
        """One forwarding window; pps: the offered rate (as fast as the
        generators go when None)."""
        k = lns.side.key
        big = "big" if size >= 1400 else "small"
        dur = self.warmup + self.window + 0.5
        if direction == "up":
            lac.command(f"traffic {size} {pps or 10000000} {dur}")
        else:
            src = PROCS.start(
                self.net.ns(self.net.srv, *PROCS.pin(GEN_CPU), UDPBLAST,
                            "source", "--dsts", dsts, "--port", SINK_PORT,
                            "--size", size, "--pps", pps or 0,
                            "--seconds", dur),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        snmp_a = self.net.snmp(lns.side.ns)
        time.sleep(self.warmup)
        a = self.sample(lns)
        prof = None
        if perf:
            prof = subprocess.Popen(
                ["perf", "record", "-g", "-F", "999", "-p", str(lns.pid),
                 "-o", str(perf), "--", "sleep", str(self.window)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(self.window)
        b = self.sample(lns)
        if prof:
            prof.wait(30)
        if direction == "up":
            # The burst ends by itself; let the queues drain.
            time.sleep(max(0.0, dur - (time.monotonic() - a["t"]) -
                           self.warmup) + 0.3)
        else:
            src.wait(30)
            time.sleep(0.3)
        snmp_b = self.net.snmp(lns.side.ns)
        dt = b["t"] - a["t"]
        if direction == "up":
            offered = b["lac"][f"tx_{k}_{big}"] - a["lac"][f"tx_{k}_{big}"]
            delivered = b["srv"][f"rx_{k}"] - a["srv"][f"rx_{k}"]
        else:
            offered = b["srv"][f"tx_{k}"] - a["srv"][f"tx_{k}"]
            delivered = b["lac"][f"rx_{k}_{big}"] - a["lac"][f"rx_{k}_{big}"]
        cpu = b["lns_ns"] - a["lns_ns"]
        user = b["us"][0] - a["us"][0]
        r = {"lns": lns.name, "n": n, "dir": direction, "size": size,
             "rep": rep, "offered_pps": offered / dt,
             "pps": delivered / dt,
             "mbps": delivered / dt * size * 8 / 1e6,
             "loss": 1 - delivered / offered if offered else None,
             "ns_per_pkt": cpu / delivered if delivered else None,
             "user_ns_per_pkt": user * 1e9 / delivered if delivered else None,
             "lns_cpu": cpu / (dt * 1e9),
             "cpu1_busy": busy(a["cpu"], b["cpu"], "cpu" + DAEMON_CPU),
             "cpu0_busy": busy(a["cpu"], b["cpu"], "cpu" + GEN_CPU),
             "lns_rcvbuf_errors": snmp_b.get("RcvbufErrors", 0) -
             snmp_a.get("RcvbufErrors", 0)}
        if perf is None:
            self.res["fwd"].append(r)
        log(f"  {lns.name:8} n={n:6} {direction:4} {size:4}B rep {rep}: "
            f"{r['pps']/1e3:6.1f} kpps ({r['mbps']:6.0f} Mbit/s) of "
            f"{r['offered_pps']/1e3:6.1f} offered, "
            f"{(r['ns_per_pkt'] or 0):5.0f} ns/pkt "
            f"({(r['user_ns_per_pkt'] or 0):4.0f} user), LNS "
            f"{r['lns_cpu']*100:3.0f}% CPU0 {r['cpu0_busy']*100:3.0f}%")
        return r

    def validate(self, lns, lac, n, dsts):
        """Before the throughput runs, at a rate every LNS sustains, with
        the receivers reading: every session forwards upstream (the sink
        hears each one's datagrams) and downstream (lacsim gets them,
        each on the session it was sent to).  For the relay this is also
        how it learns the LAC's endpoints."""
        self.net.drop(False)
        pps = min(max(20000, 4 * n), 60000)
        # The sink counts lacsim's session numbers (from 1).
        secs = max(1.0, 3 * n / pps)
        sink_out = self.work / f"sink-{lns.name}-{n}.jsonl"
        sink = PROCS.start(
            self.net.ns(self.net.srv, *PROCS.pin(GEN_CPU), UDPBLAST, "sink",
                        "--port", SINK_PORT, "--report-ms", 200),
            stdout=open(sink_out, "w"), stderr=subprocess.STDOUT)
        wait_until(lambda: sink_out.read_text().strip(), 5, "the sink")
        before = lac.command("report", expect_report=True)
        lac.command(f"traffic 64 {pps} {secs}")
        time.sleep(secs + 0.5)
        mid = lac.command("report", expect_report=True)
        src = PROCS.start(
            self.net.ns(self.net.srv, *PROCS.pin(GEN_CPU), UDPBLAST,
                        "source", "--dsts", dsts, "--port", SINK_PORT,
                        "--size", 64, "--pps", pps, "--seconds", secs),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = src.communicate(timeout=secs + 30)
        time.sleep(0.5)
        after = lac.command("report", expect_report=True)
        PROCS.stop(sink)
        last = json.loads(sink_out.read_text().splitlines()[-1])
        c = {"lns": lns.name, "n": n, "pps": pps, "secs": secs,
             "up_sent": mid["tx_packets"] - before["tx_packets"],
             "up_received": last["tagged"],
             "up_sessions_heard": last["sessions_seen"],
             "down_sent": json.loads(out.strip().splitlines()[-1])["tx"],
             "down_received": after["rx_packets"] - mid["rx_packets"],
             "down_wrong_session": after["rx_wrong_session"] -
             before["rx_wrong_session"]}
        c["held"] = len(lac.sessions())
        # Correctness: every session forwards, nothing goes astray.  A
        # few packets lost at this rate are reported, not failed.
        c["ok"] = (c["up_sessions_heard"] == c["held"] and
                   c["up_received"] >= 0.9 * c["up_sent"] and
                   c["down_received"] >= 0.9 * c["down_sent"] and
                   c["down_wrong_session"] == 0)
        self.res["checks"].append(c)
        log(f"  check {lns.name} n={n}: up {c['up_received']}/{c['up_sent']}"
            f" from {c['up_sessions_heard']} sessions, down "
            f"{c['down_received']}/{c['down_sent']}, "
            f"{c['down_wrong_session']} to a wrong session: "
            f"{'ok' if c['ok'] else 'FAILED'}")
        if not c["ok"]:
            self.note(f"check failed: {c}")

    def bring_up(self, lns, n, tag, **start_kw):
        """Start an LNS and a lacsim holding n sessions on it; returns the
        lacsim, the sessions and the file of their addresses.  An LNS
        that cannot hold n (the original beyond 59,999) is offered 201
        more than it can hold, and holds what it can."""
        offered = n
        if lns.max_sessions and n > lns.max_sessions:
            offered = lns.max_sessions + 201
        tunnels, per = split(offered, 100, 100)
        lns.start(tag=tag, **start_kw)
        t0 = time.monotonic()
        lac = Lacsim(self.net, self.work, tag, lns.side, tunnels, per,
                     hold=1e7, max_pending=self.max_pending, timeout=900)
        setup = lac.wait_event("setup", 960)
        sessions = lac.sessions()
        secs = time.monotonic() - t0
        log(f" {lns.name}: {setup.get('sessions_up')} of {tunnels * per} "
            f"sessions up in {secs:.1f} s")
        self.res.setdefault("bring_up", []).append(
            {"lns": lns.name, "n": n, "offered": tunnels * per,
             "up": len(sessions), "secs": secs})
        if offered != n:
            self.res["largest"]["original"] = {
                "n": tunnels * per, "up": len(sessions), "secs": secs,
                "refused": len(lac.find("error"))}
        elif len(sessions) < n:
            self.note(f"{lns.name} n={n}: only {len(sessions)} sessions up "
                      "for the forwarding runs")
        dsts = self.work / f"{tag}.dsts"
        dsts.write_text("".join(e["ip"] + "\n" for e in sessions))
        return lac, sessions, dsts

    def fwd_set(self, ours, orig, relay, helper, n, profile):
        """Ours, the original and the relay each holding n sessions, then
        every workload, interleaved: each repetition runs ours, the
        original and the relay back to back."""
        held = []
        # The relay's sessions are brought up by an l2tpns of ours,
        # which is then killed and replaced by the relay.
        lac_c, sess_c, dsts_c = self.bring_up(helper, n, f"fwd-helper-{n}",
                                              nusers=n)
        helper.stop(signal.SIGKILL)
        relay.start(sess_c, tag=str(n))
        held.append((relay, lac_c, dsts_c))
        for lns, kw in ((ours, {"nusers": n}), (orig, {})):
            lac, sess, dsts = self.bring_up(lns, n, f"fwd-{lns.name}-{n}",
                                            **kw)
            held.append((lns, lac, dsts))
        time.sleep(1.0)
        mem = {}
        for lns, lac, dsts in held:
            mem[lns.name] = {"lns": lns.name, "n": n,
                             "held": len(lac.sessions()),
                             "rss_kb": rss_kb(lns.pid),
                             "idle_rss_kb": lns.idle_rss,
                             "maps": smaps_top(lns.pid)}
            log(f"  {lns.name}: RSS {mem[lns.name]['rss_kb']} kB with "
                f"{mem[lns.name]['held']} sessions, {lns.idle_rss} kB idle")
        for lns, lac, dsts in held:
            self.validate(lns, lac, n, dsts)
        self.net.drop(True)
        for direction in ("up", "down"):
            for size in self.sizes:
                for rep in range(self.reps):
                    for lns, lac, dsts in held:
                        self.fwd_run(lns, lac, n, direction, size, rep, dsts)
        if profile:
            for lns, lac, dsts in held:
                for direction in ("up", "down"):
                    f = self.work / f"perf-{lns.name}-{direction}.data"
                    self.fwd_run(lns, lac, n, direction, 64, 0, dsts, perf=f)
                    self.res["perf"][f"{lns.name} {direction}"] = \
                        self.perf_top(f)
        self.net.drop(False)
        for lns, lac, dsts in held:
            mem[lns.name]["rss_after_kb"] = rss_kb(lns.pid)
            self.res["mem"].append(mem[lns.name])
        c = relay.counters()
        if c.get("down_nopeer") or c.get("down_nosess"):
            self.note(f"relay n={n}: packets it could not place: {c}")
        for lns, lac, dsts in held:
            lac.stop()
            lns.stop()

    def perf_top(self, f, limit=12):
        out = sh(["perf", "report", "-i", f, "--no-children", "--sort",
                  "dso,symbol", "-g", "none", "--stdio", "--percent-limit",
                  "0.5"], check=False)
        rows = []
        for line in out.splitlines():
            m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(\S+)", line)
            if m:
                rows.append((float(m.group(1)), m.group(2), m.group(4)))
        return rows[:limit]

    def group_forwarding(self, ours, orig, relay, helper):
        log("groups 2-4: forwarding, memory, ceiling")
        for n in self.fwd_counts:
            self.fwd_set(ours, orig, relay, helper, n,
                         profile=n == self.fwd_counts[1])

    # -- group 3: the largest count

    def group_largest(self, ours, orig):
        log("group 3: the largest session count of one process")
        best = None
        for n in self.largest_steps:
            tunnels, per = split(n, 1000)
            n = tunnels * per
            ours.start(max_sessions=n + 1000, pool=BIG_POOL,
                       tag=f"largest-{n}", nusers=n)
            t0 = time.monotonic()
            lac = Lacsim(self.net, self.work, f"largest-{n}", ours.side,
                         tunnels, per, max_pending=self.max_pending,
                         timeout=600)
            done = lac.wait_event("done", 700)
            secs = time.monotonic() - t0
            time.sleep(1)
            rss = rss_kb(ours.pid)
            up = done.get("ppp_up", 0)
            log(f"  ours: {up} of {n} sessions up in {secs:.0f} s, RSS "
                f"{rss} kB")
            lac.stop()
            ours.stop()
            if up != n:
                self.res["largest"]["failed"] = {"n": n, "up": up}
                self.note(f"largest count: {up} of {n} sessions came up")
                break
            best = {"n": n, "rss_kb": rss, "secs": secs,
                    "idle_rss_kb": ours.idle_rss}
            self.res["largest"].setdefault("steps", []).append(best)
        self.res["largest"]["ours"] = best
        # The original's count comes from the forwarding runs at 60k,
        # where it is offered 201 sessions more than it can hold.

    # -- all

    def run(self):
        self.res["machine"] = self.machine()
        self.res["commit"] = self.git()
        self.res["date"] = datetime.datetime.now(
            datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.res["params"] = {"reps": self.reps, "window_s": self.window,
                              "warmup_s": self.warmup, "nice": PROCS.nice,
                              "max_pending": self.max_pending,
                              "quick": self.quick}
        root = self.fetch_original()
        log(f"work directory {self.work}")
        self.net.up()
        radius = Radius(self.net, self.work,
                        max(self.fwd_counts + self.setup_counts + [60200]))
        radius.start()
        ours = Ours(self.net, self.work, SIDES["a"])
        orig = Original(self.net, self.work, SIDES["b"], root)
        helper = Ours(self.net, self.work, SIDES["c"])
        helper.name = "ours, for the relay"
        relay = Relay(self.net, self.work, SIDES["c"])
        t0 = time.monotonic()
        groups = self.args.groups.split(",")
        if "setup" in groups:
            self.group_setup(ours, orig)
        if "fwd" in groups:
            self.group_forwarding(ours, orig, relay, helper)
        if "largest" in groups:
            self.group_largest(ours, orig)
        self.res["elapsed_s"] = time.monotonic() - t0
        self.res["machine"]["load_end"] = os.getloadavg()
        (self.work / "results.json").write_text(json.dumps(self.res,
                                                           indent=1))
        return self.res


# ---------------------------------------------------------------------
# what the side benchmarks (scrape.py, scale.py, tcp.py) share

def side_bench(name):
    """Root checked, a work directory /var/tmp/l2tpns-NAME-*, bench.py's
    namespaces up, and everything stopped and deleted at exit, however
    the run ends.  Returns (work, net)."""
    if os.geteuid() != 0:
        sys.exit(f"bench/{name}.py must run as root (namespaces)")
    work = Path(tempfile.mkdtemp(prefix=f"l2tpns-{name}-", dir="/var/tmp"))
    net = Net()
    atexit.register(lambda: (PROCS.stop_all(), net.down()))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *a: sys.exit(1))
    net.up()
    return work, net


def run_meta(note, **extra):
    """When, at which commit and under what conditions a run was made."""
    meta = {"date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M UTC"),
            "commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse",
                                      "--short", "HEAD"],
                                     capture_output=True,
                                     text=True).stdout.strip(),
            "note": note}
    meta.update(extra)
    return meta


def side_report(work, name, data, section, text, quick):
    """A side benchmark's results: data into work/NAME.json, text printed
    and, unless quick, made section of Docs/performance.md."""
    (work / f"{name}.json").write_text(json.dumps(data, indent=1))
    print(text)
    if not quick:
        write_section(ROOT / "Docs" / "performance.md", section, text)
    log(f"results in {work}")


def write_section(path, section, text):
    """Replace the "## ..." section of path named section with text (or
    append it): each side benchmark owns one section of performance.md."""
    old = path.read_text() if path.exists() else ""
    pat = re.compile(r"^" + re.escape(section) + r"\b.*?(?=^## |\Z)",
                     re.M | re.S)
    if pat.search(old):
        new = pat.sub(lambda _m: text + "\n", old, count=1)
    else:
        new = old.rstrip() + "\n\n" + text
    path.write_text(new)


def install_deps():
    if os.environ.get("L2TPNS_BENCH_NO_INSTALL"):
        return
    subprocess.run([ROOT / "scripts/install-deps.sh", "bench"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small counts, one repetition; the report stays "
                    "in the work directory")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-pending", type=int, default=256,
                    help="lacsim --max-pending for every setup (256)")
    ap.add_argument("--nice", type=int, default=-5,
                    help="niceness of every process the bench starts (-5)")
    ap.add_argument("--groups", default="setup,fwd,largest",
                    help="comma list of setup, fwd, largest")
    ap.add_argument("--report-only", metavar="RESULTS_JSON",
                    help="write the report from an earlier run's results")
    ap.add_argument("--out", default=str(ROOT / "Docs"),
                    help="where performance.md and the plots go (Docs)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    import report

    if args.report_only:
        res = json.loads(Path(args.report_only).read_text())
        report.write(res, Path(args.out), Path(args.report_only).parent)
        return
    if os.geteuid() != 0:
        sys.exit("bench.py: must run as root (namespaces, TUN devices)")
    for f in (L2TPNS, LACSIM, RELAY, UDPBLAST):
        if not f.exists():
            sys.exit(f"bench.py: {f} is not built (make all bench-tools)")
    install_deps()
    PROCS.nice = args.nice
    b = Bench(args)
    atexit.register(lambda: (PROCS.stop_all(), b.net.down()))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *a: sys.exit(1))
    res = b.run()
    out = b.work if args.quick else Path(args.out)
    report.write(res, out, b.work)
    log(f"done in {res['elapsed_s'] / 60:.1f} min; report in {out}, raw "
        f"results in {b.work}/results.json")


if __name__ == "__main__":
    main()
