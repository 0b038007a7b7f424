"""
System-test harness for l2tpns (pytest, run as root by `make system`).

Every test runs the real daemon inside network namespaces that the test
itself creates, so nothing is ever sent outside loopback or those
namespaces, and several tests (or several whole sessions of the suite)
can run on one host at once.

Fixtures
--------
netns
    Factory of network namespaces.  ``ns = netns()`` creates a namespace
    named ``l2t-<pytest pid>-<random>`` with ``lo`` up and returns a
    :class:`Netns`.  ``netns.veth(a, b, "10.0.0.1/24", "10.0.0.2/24")``
    connects two of them with a veth pair.  At teardown every process the
    harness started in a namespace is killed (TERM, then KILL, by PID, and
    only if it still lives in that namespace) and the namespaces are
    deleted, whether or not the test passed.

daemon
    Factory of l2tpns instances.  ``d = daemon({"debug": 4})`` writes a
    startup-config (the defaults of :data:`DEFAULT_CONFIG` updated by the
    given directives; a value of ``None`` drops a directive), a users file
    and an ip_pool file into a directory under ``tmp_path``, starts the
    binary in a fresh namespace with ``ip netns exec`` and waits until it
    logs "ready".  See :class:`Daemon` for the helpers (``wait_for_log``,
    ``signal``, ``reload``, ``wait_exit``, ``tun_addrs`` ...).  At teardown
    the daemon gets TERM, then KILL; if the test failed, its log, stdout
    and stderr are attached to the failure report.

The binary is ``$L2TPNS_BIN`` or, by default, ``l2tpns`` at the top of the
repository.  Tests need root and /dev/net/tun: without them the tests that
use these fixtures fail (they are never skipped silently).

Timing: every wait polls every 50 ms and has a short timeout that is only
reached when something is wrong.
"""

import ctypes
import collections
import json
import os
import re
import secrets
import shlex
import signal as _signal
import socket as _socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
L2TPNS_BIN = Path(os.environ.get("L2TPNS_BIN") or REPO / "l2tpns").resolve()
# Startup errors are printed as "PROGNAME: FILE:LINE: text", PROGNAME being
# the basename of argv[0].
PROGNAME = L2TPNS_BIN.name

POLL = 0.05             # seconds between polls
TIMEOUT = 5.0           # default for waits that only expire on failure

NETNS_PREFIX = "l2t-"
NETNS_DIR = Path("/run/netns")

# Directives every daemon gets unless the test overrides them.  Paths
# marked "{dir}" are made absolute in the daemon's own directory.
DEFAULT_CONFIG = {
    "debug": 3,
    "log_file": "{dir}/l2tpns.log",
    "pid_file": "{dir}/l2tpns.pid",
    "users_file": "{dir}/users",
    "ip_pool_file": "{dir}/ip_pool",
}
DEFAULT_USERS = "admin:admin\n"
DEFAULT_IP_POOL = "198.51.100.0/26\n"

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


# ---------------------------------------------------------------------------
# small helpers


def wait_until(pred, timeout=TIMEOUT, what="condition", interval=POLL):
    """Poll ``pred()`` until it returns a true value, which is returned.
    Fails the test with ``what`` in the message after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# The LAC simulator (test/lacsim), built by make; with --json it prints
# one event a line.
LACSIM = REPO / "test" / "lacsim" / "lacsim"


def lacsim_events(out):
    """lacsim's --json output as a list of events."""
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def of(evs, name):
    """The events of one kind."""
    return [e for e in evs if e["event"] == name]


def local_auth(tmp_path, text):
    """A local_auth_file (manual, "Local authentication") in tmp_path
    holding text, readable by its owner only; its path."""
    path = tmp_path / "subscribers"
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def cleanup():
    """cleanup(obj, end="close") -> obj: obj's method of that name is
    called when the test ends, in the order they were given."""
    ends = []

    def keep(obj, end="close"):
        ends.append(getattr(obj, end))
        return obj
    yield keep
    for end in ends:
        end()


@pytest.fixture
def lacsim_bin():
    """lacsim's path; fails the test when it was not built."""
    if not LACSIM.exists():
        pytest.fail(f"{LACSIM} is missing: run make")
    return str(LACSIM)


class UdpEcho:
    """A UDP echo server on addr:port in a namespace, run by a thread,
    keeping what it saw for the test: the datagrams (count), their sizes,
    their sources (address, port), the datagrams per source address
    (snapshot()) and the errors of its replies.  Its receive buffer holds
    a burst of thousands of small datagrams while the thread is slow."""

    def __init__(self, ns, addr, port):
        self.sock = ns.socket()
        # SO_RCVBUFFORCE (33, socket(7); Python does not name it): past
        # net.core.rmem_max, the tests run as root
        self.sock.setsockopt(_socket.SOL_SOCKET, 33, 4 << 20)
        self.sock.bind((addr, port))
        self.sock.settimeout(0.1)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.count = 0
        self.sizes = set()
        self.per_src = collections.Counter()
        self.errors = []
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop.is_set():
            try:
                data, src = self.sock.recvfrom(4096)
            except OSError:
                continue
            with self.lock:
                self.count += 1
                self.per_src[src] += 1
            self.sizes.add(len(data))
            try:
                self.sock.sendto(data, src)
            except OSError as e:
                self.errors.append(e)

    @property
    def sources(self):
        """The (address, port) pairs seen so far."""
        with self.lock:
            return set(self.per_src)

    def snapshot(self):
        """Datagrams per source address, so far."""
        per_ip = collections.Counter()
        with self.lock:
            for (a, _), c in self.per_src.items():
                per_ip[a] += c
        return per_ip

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def run(cmd, check=True, timeout=10, **kw):
    """subprocess.run with text output captured; fails the test with the
    command's output if ``check`` and it exits non-zero."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if check and p.returncode != 0:
        pytest.fail(f"command failed ({p.returncode}): {shlex.join(cmd)}\n"
                    f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def pid_alive(pid):
    """True if ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def quote_value(v):
    """Render a directive value in startup-config syntax."""
    if v is True:
        return "yes"
    if v is False:
        return "no"
    s = str(v)
    if s == "" or re.search(r"[\s\"'\\#!]", s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


# ---------------------------------------------------------------------------
# prerequisites


@pytest.fixture(scope="session")
def system_prereqs():
    """Fail (never skip) every test that needs namespaces when the host
    cannot run them."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the system tests must run as root "
                        f"(euid is {os.geteuid()})")
    if not os.path.exists("/dev/net/tun"):
        problems.append("/dev/net/tun is missing (load the tun module)")
    if run(["ip", "-V"], check=False).returncode != 0:
        problems.append("iproute2 'ip' is not usable")
    if problems:
        pytest.fail("cannot run l2tpns system tests: " + "; ".join(problems),
                    pytrace=False)


@pytest.fixture(scope="session")
def l2tpns_bin(system_prereqs):
    """Path of the daemon under test; fails if it is not built."""
    if not (L2TPNS_BIN.is_file() and os.access(L2TPNS_BIN, os.X_OK)):
        pytest.fail(f"{L2TPNS_BIN} is not an executable: run `make` first "
                    "or set L2TPNS_BIN", pytrace=False)
    return L2TPNS_BIN


# ---------------------------------------------------------------------------
# network namespaces


class Netns:
    """One network namespace created by the harness.

    ``name``  the namespace name (also usable with ``ip -n``).
    ``pids``  PIDs of processes the harness started in it (killed at
              teardown).
    """

    def __init__(self, name):
        self.name = name
        self.path = NETNS_DIR / name
        self.pids = []          # processes started here, killed at teardown
        self._procs = []        # Popen objects among them, reaped at teardown

    def __repr__(self):
        return f"Netns({self.name!r})"

    # -- commands --

    def exec_cmd(self, cmd):
        """``cmd`` prefixed to run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *[str(c) for c in cmd]]

    def run(self, cmd, check=True, timeout=10, **kw):
        """Run a command inside the namespace and wait for it."""
        return run(self.exec_cmd(cmd), check=check, timeout=timeout, **kw)

    def popen(self, cmd, **kw):
        """Start a command inside the namespace.  ``ip netns exec`` execs
        the command, so the Popen's pid is the command's.  The process is
        killed at teardown if it is still running."""
        p = subprocess.Popen(self.exec_cmd(cmd), **kw)
        self.track(p.pid)
        self._procs.append(p)
        return p

    def track(self, pid):
        """Have the teardown kill ``pid`` too (e.g. a daemon that forked
        away from the process the harness started)."""
        if pid not in self.pids:
            self.pids.append(pid)

    def ip(self, *args, check=True):
        """``ip -n NS ARGS``; returns the CompletedProcess."""
        return run(["ip", "-n", self.name, *[str(a) for a in args]],
                   check=check)

    def ip_json(self, *args):
        """``ip -n NS -j ARGS`` parsed; [] when there is no output."""
        out = run(["ip", "-n", self.name, "-j", *[str(a) for a in args]]).stdout
        return json.loads(out) if out.strip() else []

    # -- state --

    def links(self):
        """{ifname: link dict} of every link in the namespace."""
        return {l["ifname"]: l for l in self.ip_json("link", "show")}

    def link(self, dev):
        """The ``ip -j link`` dict of ``dev``, or None if it does not exist."""
        return self.links().get(dev)

    def addr(self, dev):
        """The ``ip -j addr show dev DEV`` dict, or None if no such device."""
        p = run(["ip", "-n", self.name, "-j", "addr", "show", "dev", dev],
                check=False)
        if p.returncode != 0:
            return None
        data = json.loads(p.stdout) if p.stdout.strip() else []
        return data[0] if data else None

    def ipv4_addrs(self, dev):
        """["a.b.c.d/len", ...] configured on ``dev`` ([] if none/absent)."""
        a = self.addr(dev)
        return [f"{i['local']}/{i['prefixlen']}"
                for i in (a or {}).get("addr_info", [])
                if i.get("family") == "inet"]

    def routes(self, *args):
        """``ip -j route show ARGS`` parsed (e.g. ``routes("table", "all")``)."""
        return self.ip_json("route", "show", *args)

    def owns_pid(self, pid):
        """True if ``pid`` is alive and in this namespace."""
        try:
            return (pid_alive(pid) and os.stat(f"/proc/{pid}/ns/net").st_ino
                    == os.stat(self.path).st_ino)
        except OSError:
            return False

    def ns_pids(self):
        """PIDs of every process currently in the namespace."""
        p = run(["ip", "netns", "pids", self.name], check=False)
        return [int(x) for x in p.stdout.split()] if p.returncode == 0 else []

    # -- Python code inside the namespace --

    def run_in(self, fn, *args, **kwargs):
        """Call ``fn(*args, **kwargs)`` in a thread that has entered the
        namespace and return its result.  Sockets created this way stay in
        the namespace for their whole life, so a test can talk to the
        daemon from Python (fake LAC, fake RADIUS server ...)."""
        result = {}

        def target():
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if _libc.setns(fd, _CLONE_NEWNET) != 0:
                        e = ctypes.get_errno()
                        raise OSError(e, f"setns {self.name}: "
                                      f"{os.strerror(e)}")
                finally:
                    os.close(fd)
                result["value"] = fn(*args, **kwargs)
            except BaseException as e:      # re-raised in the caller
                result["error"] = e

        t = threading.Thread(target=target, name=f"netns-{self.name}")
        t.start()
        t.join()
        if "error" in result:
            raise result["error"]
        return result["value"]

    def socket(self, family=_socket.AF_INET, type=_socket.SOCK_DGRAM,
               proto=0):
        """A socket living in this namespace."""
        return self.run_in(_socket.socket, family, type, proto)

    # -- teardown --

    def kill_all(self, timeout=2.0):
        """TERM, then KILL after ``timeout``, every process the harness
        started here that still runs, and any other process left in the
        namespace (only processes the test started, directly or not, can
        be in a namespace the test created).  All by PID: a Popen child is
        signalled through its unreaped Popen (so its pid cannot have been
        reused), any other pid only while it is alive in this namespace."""
        me = os.getpid()
        started = {p.pid for p in self._procs}
        others = [pid for pid in dict.fromkeys(self.pids + self.ns_pids())
                  if pid not in started and pid != me]

        def remaining():
            return ([p for p in self._procs if p.poll() is None],
                    [pid for pid in others if self.owns_pid(pid)])

        for sig in (_signal.SIGTERM, _signal.SIGKILL):
            procs, pids = remaining()
            if not procs and not pids:
                break
            for p in procs:
                p.send_signal(sig)
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + timeout
            while any(remaining()) and time.monotonic() < deadline:
                time.sleep(POLL)
        for p in self._procs:
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass

    def delete(self):
        self.kill_all()
        run(["ip", "netns", "delete", self.name], check=False)


class NetnsFactory:
    """The ``netns`` fixture: ``netns()`` creates a namespace."""

    def __init__(self, registry):
        self._registry = registry
        self.created = []
        self._nveth = 0

    def __call__(self):
        name = f"{NETNS_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        run(["ip", "netns", "add", name])
        ns = Netns(name)
        self.created.append(ns)
        self._registry.add(name)
        ns.ip("link", "set", "lo", "up")
        return ns

    def veth(self, a, b, addr_a=None, addr_b=None, name_a=None, name_b=None):
        """Connect namespaces ``a`` and ``b`` (both created by this
        fixture) with a veth pair, bring both ends up and give them the
        addresses ``addr_a`` / ``addr_b`` ("10.0.0.1/24", "fd00::1/64", or
        a list of such; IPv6 ones skip DAD).  Returns (name_a, name_b)."""
        for ns in (a, b):
            if ns not in self.created:
                raise ValueError(f"{ns!r} was not created by this fixture")
        self._nveth += 1
        name_a = name_a or f"veth{self._nveth}a"
        name_b = name_b or f"veth{self._nveth}b"
        a.ip("link", "add", name_a, "type", "veth", "peer", "name", name_b,
             "netns", b.name)
        for ns, dev, addrs in ((a, name_a, addr_a), (b, name_b, addr_b)):
            if isinstance(addrs, str):
                addrs = [addrs]
            for addr in addrs or []:
                extra = ["nodad"] if ":" in addr else []
                ns.ip("addr", "add", addr, "dev", dev, *extra)
            ns.ip("link", "set", dev, "up")
        return name_a, name_b

    def cleanup(self):
        """Kill what runs in every namespace and delete them (teardown)."""
        while self.created:
            ns = self.created.pop()
            try:
                ns.delete()
            finally:
                if not ns.path.exists():
                    self._registry.discard(ns.name)


@pytest.fixture(scope="session")
def _netns_registry():
    """Names of namespaces created by this session; any left at the end of
    the session (a harness bug) are deleted and reported."""
    names = set()
    yield names
    leftovers = sorted(n for n in names if (NETNS_DIR / n).exists())
    for n in leftovers:
        run(["ip", "netns", "delete", n], check=False)
    if leftovers:
        import warnings
        warnings.warn(f"network namespaces left behind and deleted: "
                      f"{leftovers}")


@pytest.fixture
def netns(system_prereqs, _netns_registry):
    """Factory of network namespaces (see :class:`NetnsFactory`)."""
    f = NetnsFactory(_netns_registry)
    try:
        yield f
    finally:
        f.cleanup()


# ---------------------------------------------------------------------------
# the daemon


class Daemon:
    """One l2tpns instance and its files.

    Attributes: ``ns`` (Netns), ``dir`` (its directory), ``config_path``,
    ``log_path``, ``pid_path``, ``users_path``, ``ip_pool_path``,
    ``stdout_path``, ``stderr_path``, ``config`` (the directives written,
    in order), ``extra_lines``, ``proc`` (the Popen of the last start),
    ``pid`` (the daemon's pid: the Popen's, or the forked one after
    :meth:`adopt_pid_file`).
    """

    def __init__(self, binary, ns, directory, name, config, extra_lines,
                 users, ip_pool):
        self.binary = binary
        self.ns = ns
        self.dir = directory
        self.name = name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.dir / "startup-config"
        self.stdout_path = self.dir / "stdout"
        self.stderr_path = self.dir / "stderr"
        self.proc = None
        self.pid = None
        self.config = {}
        self.extra_lines = []
        if users is not None:
            (self.dir / "users").write_text(users)
        if ip_pool is not None:
            (self.dir / "ip_pool").write_text(ip_pool)
        base = {k: (v.format(dir=self.dir) if isinstance(v, str) else v)
                for k, v in DEFAULT_CONFIG.items()}
        self.config = base
        self.write_config(config or {}, extra_lines)

    def __repr__(self):
        return f"Daemon({self.name}, ns={self.ns.name}, pid={self.pid})"

    # -- files --

    def _path_of(self, key):
        v = self.config.get(key)
        return Path(v) if v else None

    log_path = property(lambda self: self._path_of("log_file"))
    pid_path = property(lambda self: self._path_of("pid_file"))
    users_path = property(lambda self: self._path_of("users_file"))
    ip_pool_path = property(lambda self: self._path_of("ip_pool_file"))

    @property
    def tun(self):
        """The tun device name the configuration asks for."""
        return str(self.config.get("tundevicename") or "tun0")

    def config_text(self, config=None, extra_lines=None):
        config = self.config if config is None else config
        extra = self.extra_lines if extra_lines is None else extra_lines
        lines = [f"set {k} {quote_value(v)}" for k, v in config.items()]
        return "\n".join(lines + list(extra)) + "\n"

    def write_config(self, updates=None, extra_lines=None):
        """Update the directives (a value of None removes one), replace the
        extra raw lines if given, and rewrite the startup-config.  The
        running daemon only sees it after :meth:`reload`."""
        for k, v in (updates or {}).items():
            if v is None:
                self.config.pop(k, None)
            else:
                self.config[k] = v
        if extra_lines is not None:
            self.extra_lines = list(extra_lines)
        self.config_path.write_text(self.config_text())

    def write_raw_config(self, text):
        """Write the startup-config verbatim (``config`` is not updated)."""
        self.config_path.write_text(text)

    def line_of(self, needle):
        """1-based number of the first line of the startup-config that is
        ``set NEEDLE ...`` (or, failing that, contains ``needle``)."""
        lines = self.config_path.read_text().splitlines()
        for i, l in enumerate(lines, 1):
            w = l.split()
            if len(w) >= 2 and w[0] == "set" and w[1] == needle:
                return i
        for i, l in enumerate(lines, 1):
            if needle in l:
                return i
        raise AssertionError(f"{needle!r} not in {self.config_path}")

    def read_pid_file(self):
        """The pid in the pid file, or None if absent/empty."""
        try:
            s = self.pid_path.read_text().strip()
        except (FileNotFoundError, AttributeError):
            return None
        return int(s) if s.isdigit() else None

    # -- output --

    def log_mark(self):
        """Current size of the log: pass as ``since`` to look only at what
        is logged afterwards."""
        try:
            return self.log_path.stat().st_size
        except (FileNotFoundError, AttributeError):
            return 0

    def log_text(self, since=0):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except (FileNotFoundError, TypeError):
            return ""

    def stdout(self):
        return self.stdout_path.read_text(errors="replace") \
            if self.stdout_path.exists() else ""

    def stderr(self):
        return self.stderr_path.read_text(errors="replace") \
            if self.stderr_path.exists() else ""

    def wait_for_log(self, pattern, timeout=TIMEOUT, since=0, flags=re.M):
        """Poll the log until regex ``pattern`` matches text logged after
        offset ``since``; returns the match.  Fails early if the daemon
        exits first."""
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        while True:
            alive = self.running()
            text = self.log_text(since)
            m = rx.search(text)
            if m:
                return m
            if not alive:
                pytest.fail(f"{self.name} exited (rc {self.returncode()}) "
                            f"before logging /{pattern}/; stderr:\n"
                            f"{self.stderr()}\nlog:\n{text[-4000:]}")
            if time.monotonic() >= deadline:
                pytest.fail(f"timed out after {timeout}s waiting for "
                            f"/{pattern}/ in {self.log_path}; log:\n"
                            f"{text[-4000:]}")
            time.sleep(POLL)

    def assert_not_logged(self, pattern, since=0, flags=re.M):
        text = self.log_text(since)
        assert not re.search(pattern, text, flags), \
            f"/{pattern}/ unexpectedly logged:\n{text}"

    # -- process --

    def argv(self, *args, with_config=True):
        return [str(self.binary)] + \
            (["-c", str(self.config_path)] if with_config else []) + \
            [str(a) for a in args]

    def start(self, *args, wait_ready=True, timeout=TIMEOUT):
        """Start the daemon (``-c CONFIG`` plus ``args``) in the namespace.
        With ``wait_ready`` wait until it has written its pid file and
        logged "ready" (the latter only when debug >= 2)."""
        self._close_files()
        self.stdout_f = open(self.stdout_path, "ab")
        self.stderr_f = open(self.stderr_path, "ab")
        self.proc = self.ns.popen(self.argv(*args), stdin=subprocess.DEVNULL,
                                  stdout=self.stdout_f, stderr=self.stderr_f,
                                  cwd=self.dir, start_new_session=True)
        self.pid = self.proc.pid
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=TIMEOUT):
        if int(self.config.get("debug", 0)) >= 2 and self.log_path:
            self.wait_for_log(r" ready: ", timeout)
        if self.pid_path:
            def pid_written():
                if self.read_pid_file():
                    return True
                if not self.running():
                    pytest.fail(f"{self.name} exited (rc "
                                f"{self.returncode()}); stderr:\n"
                                f"{self.stderr()}")
                return False
            wait_until(pid_written, timeout, f"pid file {self.pid_path}")

    def run(self, *args, with_config=True, timeout=10):
        """Run the binary to completion in the namespace (for -n, -V, -h
        ...); returns the CompletedProcess (text stdout/stderr)."""
        return self.ns.run(self.argv(*args, with_config=with_config),
                           check=False, timeout=timeout, cwd=self.dir)

    def adopt_pid_file(self, timeout=TIMEOUT):
        """After ``-d``: wait for the pid file to name a process other than
        the one started, check it runs in our namespace, and make it the
        daemon's pid (signals and teardown then go to it)."""
        launcher = self.proc.pid
        pid = wait_until(lambda: (self.read_pid_file() or 0) not in
                         (0, launcher) and self.read_pid_file(), timeout,
                         f"pid file {self.pid_path} with the detached pid")
        assert self.ns.owns_pid(pid), \
            f"pid {pid} from {self.pid_path} is not alive in {self.ns.name}"
        self.ns.track(pid)
        self.pid = pid
        return pid

    def running(self):
        if self.pid is None:
            return False
        if self.proc is not None and self.pid == self.proc.pid:
            return self.proc.poll() is None
        return self.ns.owns_pid(self.pid)

    def returncode(self):
        """Exit status of the started process (None while it runs, or if
        the daemon is a detached process whose status we cannot reap)."""
        if self.proc is not None and self.pid == self.proc.pid:
            return self.proc.poll()
        return None

    def _kill(self, sig):
        if self.proc is not None and self.pid == self.proc.pid:
            self.proc.send_signal(sig)      # no-op once reaped
        elif self.ns.owns_pid(self.pid):
            os.kill(self.pid, sig)

    def signal(self, sig):
        """Send ``sig`` to the daemon, by pid, after checking the pid is
        still a live process in our namespace."""
        assert self.pid and self.ns.owns_pid(self.pid), \
            f"{self.name} (pid {self.pid}) is not running"
        self._kill(sig)

    def wait_exit(self, timeout=TIMEOUT):
        """Wait for the daemon to exit and return its exit status (None for
        a detached daemon: its status belongs to its reaper)."""
        wait_until(lambda: not self.running(), timeout,
                   f"{self.name} (pid {self.pid}) to exit")
        return self.returncode()

    def reload(self, updates=None, extra_lines=None, timeout=TIMEOUT):
        """Rewrite the config (see :meth:`write_config`) when given
        changes, send HUP and wait for "configuration reloaded"; returns
        the text logged by the reload."""
        if updates is not None or extra_lines is not None:
            self.write_config(updates, extra_lines)
        mark = self.log_mark()
        self.signal(_signal.SIGHUP)
        self.wait_for_log(r"configuration reloaded from .*: \d+ changes?, "
                          r"\d+ errors?$", timeout, since=mark)
        return self.log_text(mark)

    def stop(self, sig=_signal.SIGTERM, timeout=3.0):
        """Send ``sig``, then KILL after ``timeout``; returns the exit
        status (see :meth:`wait_exit`)."""
        if self.running():
            try:
                self._kill(sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(POLL)
            if self.running():
                self._kill(_signal.SIGKILL)
                wait_until(lambda: not self.running(), timeout,
                           f"{self.name} to die after SIGKILL")
        return self.returncode()

    # -- state seen from outside --

    def tun_addrs(self):
        """IPv4 addresses ("a.b.c.d/len") on the daemon's tun device."""
        return self.ns.ipv4_addrs(self.tun)

    def tun_link(self):
        return self.ns.link(self.tun)

    def report(self):
        """Text attached to a failure report."""
        rc = self.returncode()
        return (f"namespace {self.ns.name}, pid {self.pid}, rc {rc}\n"
                f"--- {self.config_path}\n{self._read(self.config_path)}"
                f"--- stdout\n{self.stdout()}--- stderr\n{self.stderr()}"
                f"--- log {self.log_path}\n{self.log_text()}")

    @staticmethod
    def _read(p):
        try:
            return Path(p).read_text(errors="replace")
        except OSError as e:
            return f"({e})\n"

    def _close_files(self):
        for f in ("stdout_f", "stderr_f"):
            if hasattr(self, f):
                getattr(self, f).close()
                delattr(self, f)

    def close(self):
        """Teardown: TERM, then KILL, and close the output files."""
        try:
            self.stop()
        finally:
            self._close_files()


class DaemonFactory:
    """The ``daemon`` fixture.

    ``daemon(config=None, *, extra_lines=(), users=DEFAULT_USERS,
    ip_pool=DEFAULT_IP_POOL, ns=None, args=(), start=True, wait_ready=True)``

    ``config``       directives over :data:`DEFAULT_CONFIG` (None removes).
    ``extra_lines``  raw lines appended after the ``set`` lines.
    ``users``, ``ip_pool``  file contents; None writes no file.
    ``ns``           a Netns from the ``netns`` fixture; default a new one.
                     Two daemons sharing a namespace need distinct
                     ``tundevicename``s (and, later, ports).
    ``args``         extra command-line arguments.
    ``start``        False to only write the files (then call ``.start()``).
    """

    def __init__(self, request, tmp_path, netns, binary):
        self.request = request
        self.tmp_path = tmp_path
        self.netns = netns
        self.binary = binary
        self.daemons = []

    def __call__(self, config=None, *, extra_lines=(), users=DEFAULT_USERS,
                 ip_pool=DEFAULT_IP_POOL, ns=None, args=(), start=True,
                 wait_ready=True):
        name = f"l2tpns{len(self.daemons) + 1}"
        d = Daemon(self.binary, ns or self.netns(), self.tmp_path / name,
                   name, config, extra_lines, users, ip_pool)
        self.daemons.append(d)
        self.request.node._l2tpns_daemons = self.daemons
        if start:
            d.start(*args, wait_ready=wait_ready)
        return d


@pytest.fixture
def daemon(request, tmp_path, netns, l2tpns_bin):
    """Factory of l2tpns instances (see :class:`DaemonFactory`)."""
    f = DaemonFactory(request, tmp_path, netns, l2tpns_bin)
    try:
        yield f
    finally:
        for d in reversed(f.daemons):
            d.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach each daemon's config, output and log to a failed test."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for d in getattr(item, "_l2tpns_daemons", []):
            rep.sections.append((f"{d.name} ({rep.when})", d.report()))
