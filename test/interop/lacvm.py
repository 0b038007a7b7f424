"""The interop test's guest: a real Linux LAC (xl2tpd + pppd) under qemu.

``build_guest()`` runs build-guest.sh (a no-op once the guest is cached in
``INTEROP_DIR``) and returns the kernel and base initramfs.  A
:class:`Guest` boots them in a network namespace (where its tap device
lives) with ``guest-init.sh`` appended as the initramfs's /init, follows
the serial console, and parses what the guest reports: the ``@@LAC``
markers of guest-init.sh and pppd's own log lines.

By hand (as root), with a namespace holding a tap device and an LNS:

    python3 test/interop/lacvm.py NETNS TAP [KEY=VALUE ...]

boots the guest with its console on the terminal (Ctrl-A X ends qemu);
KEY=VALUE are guest-init.sh's parameters without ``lac.``, e.g.
``auth=pap hold=30`` or ``shell=1`` for a shell after the test.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INTEROP_DIR = Path(os.environ.get("L2TPNS_INTEROP_DIR")
                   or "/var/tmp/l2tpns-interop")
QEMU = os.environ.get("L2TPNS_INTEROP_QEMU") or "qemu-system-x86_64"

MARK = re.compile(r"^@@LAC t=([\d.]+) (\w+) ?(.*?)\s*$", re.M)
# pppd's log of the negotiated link (pppd/ipcp.c)
PPPD_VIEW = {
    "local": re.compile(r"^local +IP address (\S+)", re.M),
    "remote": re.compile(r"^remote IP address (\S+)", re.M),
    "dns1": re.compile(r"^primary +DNS address (\S+)", re.M),
    "dns2": re.compile(r"^secondary DNS address (\S+)", re.M),
}


class GuestBuildError(Exception):
    pass


def build_guest(log=None):
    """Build the guest if it is not cached; returns (kernel, initramfs).
    Raises GuestBuildError with build-guest.sh's reason when it fails."""
    t0 = time.monotonic()
    p = subprocess.run([str(HERE / "build-guest.sh")], capture_output=True,
                       text=True, timeout=1200,
                       env=dict(os.environ, L2TPNS_INTEROP_DIR=str(INTEROP_DIR)))
    if log:
        log(f"build-guest.sh ({time.monotonic() - t0:.1f} s): "
            f"{p.stdout.strip()} {p.stderr.strip()}".strip())
    if p.returncode != 0:
        raise GuestBuildError(
            f"build-guest.sh failed (exit {p.returncode}):\n{p.stderr.strip()}"
            f"\n{p.stdout.strip()}")
    guest = INTEROP_DIR / "guest"
    return guest / "kernel", guest / "base.cpio.gz"


def newc(entries):
    """An uncompressed cpio archive (the kernel's "newc" format) of
    ``entries``: (name, mode, data) tuples, regular files only."""
    out = bytearray()

    def pad():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data) in enumerate(
            entries + [("TRAILER!!!", 0, b"")], 1):
        nb = name.encode() + b"\0"
        fields = (ino if mode else 0, mode, 0, 0, 1, 0, len(data), 0, 0, 0,
                  0, len(nb), 0)
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + nb
        pad()
        out += data
        pad()
    return bytes(out)


def make_initrd(base, init_script, dest):
    """``base`` (the cached gzip'ed cpio) followed by a cpio holding
    ``init_script`` as /init.  The kernel unpacks the archives in turn; an
    uncompressed one must start on a 4-octet boundary."""
    data = Path(base).read_bytes()
    data += b"\0" * (-len(data) % 4)
    data += newc([("init", 0o100755, Path(init_script).read_bytes())])
    Path(dest).write_bytes(data)
    return dest


class Guest:
    """One boot of the LAC guest.

    ``ns``      the Netns (conftest) holding the tap device ``tap``
    ``params``  guest-init.sh parameters (``lac.KEY``) as a dict
    ``workdir`` where the initramfs, serial log and qemu output go
    """

    def __init__(self, ns, tap, kernel, base_initrd, workdir, params,
                 mem=256, log=None):
        self.ns = ns
        self.tap = tap
        self.kernel = Path(kernel)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.initrd = make_initrd(base_initrd, HERE / "guest-init.sh",
                                  self.workdir / "initrd")
        self.serial = self.workdir / "serial.log"
        self.qemu_out = self.workdir / "qemu.out"
        self.params = dict(params)
        self.mem = mem
        self.log = log or (lambda s: None)
        self.proc = None
        self.t_start = None
        self.t_end = None
        self._seen = {}     # line number -> host time it was first read

    def cmdline(self):
        # console on the serial port, no reboot on panic, quiet boot;
        # mitigations=off and a trusted TSC save time under TCG.
        base = ["console=ttyS0", "panic=-1", "quiet", "mitigations=off",
                "tsc=reliable", "no_timer_check"]
        for k, v in self.params.items():
            v = str(v)
            if not v or re.search(r"\s", v):
                raise ValueError(f"lac.{k}={v!r}: values must be non-empty "
                                 "and without blanks")
            base.append(f"lac.{k}={v}")
        return " ".join(base)

    def argv(self):
        return [QEMU, "-accel", "tcg,tb-size=64", "-m", str(self.mem),
                "-smp", "1", "-nodefaults", "-no-user-config",
                "-display", "none", "-monitor", "none", "-no-reboot",
                "-kernel", str(self.kernel), "-initrd", str(self.initrd),
                "-append", self.cmdline(),
                "-serial", f"file:{self.serial}",
                "-netdev", f"tap,id=lan,ifname={self.tap},script=no,"
                           "downscript=no",
                "-device", "virtio-net-pci,netdev=lan,mac=52:54:00:4c:41:43"]

    def start(self):
        self.serial.write_bytes(b"")
        self._out = open(self.qemu_out, "wb")
        self.log("qemu: " + shlex.join(self.argv()))
        self.t_start = time.monotonic()
        self.proc = self.ns.popen(self.argv(), stdin=subprocess.DEVNULL,
                                  stdout=self._out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        return self

    # -- output --

    def text(self):
        """The serial console so far (carriage returns removed)."""
        try:
            raw = self.serial.read_bytes()
        except FileNotFoundError:
            return ""
        return raw.decode("utf-8", "replace").replace("\r", "")

    def _stamp(self, text):
        """Host seconds since start at which each line was first read."""
        now = time.monotonic() - self.t_start
        lines = text.split("\n")
        for i in range(len(lines) - 1):     # complete lines only
            self._seen.setdefault(i, now)

    def marks(self, text=None):
        """[(guest uptime, EVENT, details)] reported so far."""
        text = self.text() if text is None else text
        return [(float(t), ev, rest) for t, ev, rest in MARK.findall(text)]

    def mark(self, event):
        """Details of the first ``event`` reported, or None."""
        for _, ev, rest in self.marks():
            if ev == event:
                return rest
        return None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_for(self, events, timeout):
        """Wait until one of ``events`` (names) is reported; returns
        (event, details).  Raises TimeoutError, or RuntimeError when qemu
        exits first."""
        if isinstance(events, str):
            events = [events]
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            self._stamp(text)
            for _, ev, rest in self.marks(text):
                if ev in events:
                    return ev, rest
            if not self.running():
                self._finish()
                raise RuntimeError(
                    f"qemu exited (rc {self.proc.returncode}) before the "
                    f"guest reported {'/'.join(events)}; qemu said: "
                    f"{self.qemu_output()[-2000:]}")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {'/'.join(events)} from the guest "
                                   f"within {timeout} s")
            time.sleep(0.05)

    def wait_exit(self, timeout):
        """Wait for the guest to power off; returns qemu's exit status."""
        deadline = time.monotonic() + timeout
        while self.running():
            self._stamp(self.text())
            if time.monotonic() >= deadline:
                raise TimeoutError(f"guest still running after {timeout} s")
            time.sleep(0.05)
        self._finish()
        return self.proc.returncode

    def _finish(self):
        if self.t_end is None:
            self.t_end = time.monotonic()
            self._stamp(self.text() + "\n")

    def qemu_output(self):
        try:
            return self.qemu_out.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        """Kill qemu (by the pid we started) if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._finish()
        if hasattr(self, "_out"):
            self._out.close()

    # -- what pppd saw --

    def pppd_view(self):
        """pppd's log of the link: {"local", "remote", "dns1", "dns2"}
        (missing keys: pppd did not say)."""
        text = self.text()
        view = {}
        for k, rx in PPPD_VIEW.items():
            m = rx.search(text)
            if m:
                view[k] = m.group(1)
        return view

    def pppd_lines(self, pattern):
        """Console lines matching regex ``pattern``."""
        rx = re.compile(pattern)
        return [l for l in self.text().split("\n") if rx.search(l)]

    def timed_transcript(self):
        """The console, each line prefixed with the host seconds since
        qemu started at which the test read it."""
        lines = self.text().split("\n")
        out = []
        for i, l in enumerate(lines):
            if not l and i == len(lines) - 1:
                continue
            t = self._seen.get(i)
            out.append(("%6.2f " % t if t is not None else "     ? ") + l)
        return "\n".join(out)


def main(argv):
    if len(argv) < 3 or argv[1].startswith("-"):
        sys.exit(f"usage: {argv[0]} NETNS TAP [KEY=VALUE ...]  (guest-init.sh "
                 "parameters without 'lac.')")
    ns, tap = argv[1], argv[2]
    params = dict(a.split("=", 1) for a in argv[3:])
    try:
        kernel, base = build_guest(log=print)
    except GuestBuildError as e:
        sys.exit(str(e))
    work = INTEROP_DIR / "manual"
    work.mkdir(parents=True, exist_ok=True)

    class Here:         # the Netns interface Guest needs
        name = ns

    g = Guest(Here(), tap, kernel, base, work, params)
    args = g.argv()
    i = args.index("-serial")
    args[i + 1] = "mon:stdio"
    i = args.index("-monitor")
    del args[i:i + 2]
    os.execvp("ip", ["ip", "netns", "exec", ns] + args)


if __name__ == "__main__":
    main(sys.argv)
