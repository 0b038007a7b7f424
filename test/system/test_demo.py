"""scripts/demo.sh end to end: the README's first command.

The demo is run as a newcomer runs it, but without its install and build
steps (L2TPNS_DEMO_NO_INSTALL=1, L2TPNS_DEMO_NO_BUILD=1: no apt, and the
binaries under test are the ones `make` built) and under an id of its own
(L2TPNS_DEMO_ID), so that it neither touches nor is confused by a demo a
developer has running: namespaces l2tpns-demo-<id>-{lac,lns,server},
files in /run/l2tpns-demo-<id>.

Checked in what `start` prints: every subscriber in `show session` (read
from the daemon's CLI through telnet) with its user name and an address
of the shipped pool, the ping from the server namespace with 0% loss, the
`uptime` line and the instructions.  Then that a second `start` is safe
(same processes, shown again), that `add` brings more subscribers, that a
half-dead demo is restarted cleanly, and that `stop` leaves no namespace
and no process behind.

Needs root, like every system test; it does not use the conftest
fixtures (the demo makes its own namespaces).
"""
import ipaddress
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scripts" / "demo.sh"
L2TPNS = str(REPO / "l2tpns")
LACSIM = str(REPO / "test" / "lacsim" / "lacsim")
ID = "t%d" % os.getpid()
PREFIX = "l2tpns-demo-" + ID
NAMESPACES = [PREFIX + s for s in ("-lac", "-lns", "-server")]
DIR = Path("/run") / PREFIX
USERS = ["demo%d" % i for i in range(1, 6)]


def shipped_pool():
    nets = []
    for line in (REPO / "etc" / "ip_pool.default").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            nets.append(ipaddress.ip_network(line, strict=False))
    return nets


POOL = shipped_pool()


def demo(*args, timeout=120, check=True):
    env = dict(os.environ, L2TPNS_DEMO_NO_INSTALL="1",
               L2TPNS_DEMO_NO_BUILD="1", L2TPNS_DEMO_ID=ID)
    env.pop("L2TPNS_DEMO_SESSIONS", None)
    p = subprocess.run([str(DEMO), *args], capture_output=True, text=True,
                       timeout=timeout, env=env, cwd="/")
    if check and p.returncode != 0:
        pytest.fail("demo.sh %s failed (%d)\nstdout:\n%s\nstderr:\n%s%s"
                    % (" ".join(args), p.returncode, p.stdout, p.stderr,
                       logs()))
    return p


def logs():
    out = []
    for f in sorted(DIR.glob("*.log")) if DIR.exists() else []:
        text = f.read_text(errors="replace").splitlines()
        out.append("\n---- %s (last 30 lines)\n%s" % (f, "\n".join(text[-30:])))
    return "".join(out)


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                         text=True, check=True).stdout
    return sorted(l.split()[0] for l in out.splitlines()
                  if l.split() and l.split()[0] in NAMESPACES)


def alive(pid):
    """True if pid runs (a zombie does not count: reaping it is its
    parent's business, here pid 1's)."""
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def argv0(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")[0] \
            .decode()
    except OSError:
        return None


def ns_pids(ns):
    p = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                       text=True)
    return [int(x) for x in p.stdout.split()] if p.returncode == 0 else []


def demo_pids():
    """{pid: program} of the daemon and every lacsim, from their pid
    files, plus every process in the demo's namespaces."""
    pids = {}
    for f in DIR.glob("*.pid"):
        try:
            pid = int(f.read_text().split()[0])
        except (ValueError, IndexError, OSError):
            continue
        if alive(pid):
            pids[pid] = argv0(pid)
    for ns in namespaces():
        for pid in ns_pids(ns):
            if alive(pid):
                pids[pid] = argv0(pid)
    return pids


def strays():
    """Live processes that still use the demo's directory: its name in
    their command line (the daemon) or a file of it open (lacsim's log
    filter writes the lacsim log)."""
    found = []
    prefix = str(DIR) + "/"
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid() or \
                not alive(int(d.name)):
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            files = [os.readlink(f) for f in (d / "fd").iterdir()]
        except OSError:
            continue
        if prefix in cmd or any(f.startswith(prefix) for f in files):
            found.append((int(d.name), cmd))
    return found


@pytest.fixture
def clean_demo(system_prereqs):
    """No demo of ours before the test; none after it, whatever happens."""
    demo("stop", check=False)
    yield
    demo("stop", check=False)
    for ns in namespaces():
        for pid in ns_pids(ns):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "delete", ns])
    # Its logs went into the failure report, if there was one.
    subprocess.run(["rm", "-rf", str(DIR)])


# ---------------------------------------------------------------------------
# reading what start prints


def section(out, title):
    """The text of the '== TITLE...' section of the output."""
    m = re.search(r"^== %s.*?\n(.*?)(?=^== |\Z)" % re.escape(title), out,
                  re.M | re.S)
    assert m, "no section %r in:\n%s" % (title, out)
    return m.group(1)


def session_rows(out):
    """[(sid, tid, user, ip)] of the `show session` the output shows."""
    text = section(out, "the CLI")
    m = re.search(r"^\S+> show session\n(.*?)^\S+> ", text, re.M | re.S)
    assert m, text
    table = m.group(1)
    assert re.search(r"SID +TID +Username +IP +I +T +G +6 +R +opened", table), \
        table
    rows = []
    for line in table.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0].isdigit() and f[1].isdigit():
            rows.append((int(f[0]), int(f[1]), f[2], f[3]))
    n = re.search(r"^(\d+) sessions?$", table, re.M)
    assert n and int(n.group(1)) == len(rows), table
    return rows


def check_start_output(out, users=USERS):
    rows = session_rows(out)
    assert sorted(r[2] for r in rows) == sorted(users), rows
    ips = [ipaddress.ip_address(r[3]) for r in rows]
    assert len(set(ips)) == len(ips), rows
    assert all(any(ip in net for net in POOL) for ip in ips), (rows, POOL)

    # The ping: from the server namespace, to the first subscriber's
    # address, every echo answered.
    ping = section(out, "ping")
    target = re.search(r"^PING (\S+)", ping, re.M).group(1)
    assert ipaddress.ip_address(target) in ips
    assert re.search(r"^3 packets transmitted, 3 received, 0% packet loss",
                     ping, re.M), ping
    assert len(re.findall(r"^64 bytes from %s: icmp_seq=\d+ ttl=\d+"
                          % re.escape(target), ping, re.M)) == 3, ping

    cli = section(out, "the CLI")
    assert re.search(r"^\S+> uptime\n\d\d:\d\d:\d\d up .*, %d users?, "
                     r"load average: [\d.]+, [\d.]+, [\d.]+\nBandwidth: "
                     r"UDP-ETH:\S+ +ETH-UDP:\S+ +TOTAL:\S+ +IN:\d+ OUT:\d+$"
                     % len(users), cli, re.M), cli

    nxt = section(out, "what next")
    assert "ip netns exec %s-lns telnet 127.0.0.1" % PREFIX in nxt
    assert "scripts/demo.sh add " in nxt
    assert "scripts/demo.sh stop" in nxt
    assert "tail -f %s/l2tpns.log" % DIR in nxt
    return rows


def cli_connections():
    """CLI connections the daemon logged: the output really came from its
    CLI, through telnet."""
    return len(re.findall(r" CLI connection from 127\.0\.0\.1:",
                          (DIR / "l2tpns.log").read_text()))


def check_stopped(before):
    assert namespaces() == []
    # Every process the demo ran is gone, checked by pid and program
    # (a recycled pid running something else does not count).
    left = {pid: prog for pid, prog in before.items()
            if alive(pid) and argv0(pid) == prog}
    assert not left, left
    assert strays() == []
    assert not list(DIR.glob("*.pid"))


# ---------------------------------------------------------------------------


def test_demo_start_twice_add_and_stop(clean_demo):
    p = demo("start")
    out = p.stdout
    rows = check_start_output(out)
    assert "skipped (L2TPNS_DEMO_NO_INSTALL)" in out
    # The shipped configuration plus the demo's lines, checked by -n.
    conf = (DIR / "startup-config").read_text()
    assert conf.startswith((REPO / "etc" / "startup-config.default")
                           .read_text())
    assert "configuration OK" in out
    assert cli_connections() == 1

    before = demo_pids()
    progs = sorted(before.values())
    assert progs.count(L2TPNS) == 1, before
    assert progs.count(LACSIM) == 1, before
    assert namespaces() == sorted(NAMESPACES)

    # Again while it runs: nothing new is started, the same sessions are
    # shown again, the ping still works.
    p = demo("start")
    assert "already running" in p.stdout
    assert check_start_output(p.stdout) == rows
    assert demo_pids() == before
    assert cli_connections() == 2

    # More subscribers: another LAC (a second tunnel) with users the
    # subscriber file's "*" line accepts.
    p = demo("add", "3")
    assert re.search(r"^3 of 3 subscribers up", p.stdout, re.M), p.stdout
    added = re.findall(r"^  (add1-user\d)\s+(\S+)", p.stdout, re.M)
    assert [u for u, _ in added] == ["add1-user1", "add1-user2",
                                     "add1-user3"], p.stdout
    assert re.search(r"^2 tunnels$", p.stdout, re.M), p.stdout
    assert re.search(r", 8 users, load average", p.stdout), p.stdout
    # A subscriber of the new LAC answers a ping through the LNS too.
    ip = added[-1][1]
    r = subprocess.run(["ip", "netns", "exec", PREFIX + "-server", "ping",
                        "-c", "1", "-W", "2", ip], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr

    p = demo("status")
    assert len(session_rows(p.stdout)) == 8

    everything = demo_pids()
    assert len(everything) == len(before) + 1
    p = demo("stop")
    assert "deleting namespace %s-lns" % PREFIX in p.stdout
    check_stopped(everything)
    # The daemon went down on SIGQUIT after the LACs had closed their
    # tunnels: a clean shutdown, not a kill.
    log = (DIR / "l2tpns.log").read_text()
    assert "exiting after" in log and "(clean shutdown)" in log, logs()
    assert re.search(r"^stopping l2tpns \(pid \d+\) with SIGQUIT$", p.stdout,
                     re.M), p.stdout
    assert "still running" not in p.stdout, p.stdout

    # Stopping what is stopped is fine.
    p = demo("stop")
    assert "nothing is running" in p.stdout


def test_demo_restarts_a_half_dead_demo(clean_demo):
    demo("start")
    before = demo_pids()
    daemon = [pid for pid, prog in before.items() if prog == L2TPNS]
    assert len(daemon) == 1
    os.kill(daemon[0], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(daemon[0]) and time.monotonic() < deadline:
        time.sleep(0.05)

    # start sees the daemon gone, removes what is left and starts afresh.
    p = demo("start")
    assert "cleaning up what is left of an earlier demo" in p.stdout
    check_start_output(p.stdout)
    for pid, prog in before.items():
        assert not (alive(pid) and argv0(pid) == prog), (pid, prog)
    after = demo_pids()
    demo("stop")
    check_stopped(after)
