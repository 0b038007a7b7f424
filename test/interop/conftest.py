"""
Fixtures of the interoperability test against a real Linux LAC (see
test_real_lac.py and the manual, "Interoperability testing").

The daemon and namespace fixtures are those of the system tests
(test/system/conftest.py, loaded here under another module name so that
both directories keep their own ``conftest``): ``netns``, ``daemon``,
``l2tpns_bin`` and their prerequisites.  This file adds:

guest_image
    (session) builds the guest with build-guest.sh, or finds it cached in
    $L2TPNS_INTEROP_DIR (default /var/tmp/l2tpns-interop); a guest that
    cannot be built fails every test that needs it, with the reason
    (never a skip).
lan
    a fresh namespace for the LNS with the tap device ``TAP`` (the
    guest's Ethernet) addressed ``LNS_ADDR``.
guests
    factory of :class:`lacvm.Guest` boots in ``lan``; qemu is killed (by
    its pid) at teardown and each guest's console is attached to a failed
    test's report.
"""

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_spec = importlib.util.spec_from_file_location(
    "l2tpns_system_conftest", HERE.parent / "system" / "conftest.py")
syscf = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = syscf
_spec.loader.exec_module(syscf)

# The system tests' fixtures and helpers, used as they are.  The system
# suites that test_mschap_lac.py imports (test_mschap, test_lacsim_ppp)
# take theirs from "conftest", which is this module here.
FROM_SYSTEM = ("system_prereqs", "l2tpns_bin", "_netns_registry", "netns",
               "daemon", "wait_until", "REPO", "LACSIM", "lacsim_bin",
               "lacsim_events", "local_auth", "of", "UdpEcho")
globals().update((name, getattr(syscf, name)) for name in FROM_SYSTEM)

import lacvm  # noqa: E402  (after the sys.path change)

TAP = "lactap0"
LNS_ADDR = "10.98.0.1"
GUEST_ADDR = "10.98.0.2"
PREFIXLEN = 24


@pytest.fixture(scope="session")
def guest_image(system_prereqs):
    """(kernel, base initramfs) of the LAC guest, built if needed."""
    problems = []
    if not shutil.which(lacvm.QEMU) and not shutil.which("apt-get"):
        problems.append(f"{lacvm.QEMU} is missing")
    if not Path("/dev/net/tun").exists():
        problems.append("/dev/net/tun is missing (needed for the tap)")
    if problems:
        pytest.fail("cannot run the interop test: " + "; ".join(problems),
                    pytrace=False)
    global _build_error
    if _build_error is None:
        try:
            return lacvm.build_guest(log=print)
        except lacvm.GuestBuildError as e:
            _build_error = str(e)
    # Every test fails with the reason; the build is tried once.
    pytest.fail(f"cannot build the LAC guest: {_build_error}", pytrace=False)


_build_error = None


@pytest.fixture
def lan(netns):
    """The LNS's namespace, with the guest's tap device in it."""
    ns = netns()
    ns.ip("tuntap", "add", "dev", TAP, "mode", "tap")
    ns.ip("addr", "add", f"{LNS_ADDR}/{PREFIXLEN}", "dev", TAP)
    ns.ip("link", "set", TAP, "up")
    return ns


@pytest.fixture
def guests(request, lan, guest_image, tmp_path):
    """``guests(params)`` boots a LAC guest (guest-init.sh parameters,
    without the ``lac.`` prefix) in ``lan`` and returns it, started."""
    kernel, base = guest_image
    started = []
    request.node._interop_guests = started

    def boot(params):
        p = {"addr": f"{GUEST_ADDR}/{PREFIXLEN}", "lns": LNS_ADDR}
        p.update(params)
        g = lacvm.Guest(lan, TAP, kernel, base,
                        tmp_path / f"guest{len(started) + 1}", p, log=print)
        started.append(g)
        return g.start()

    try:
        yield boot
    finally:
        for g in started:
            g.stop()
        keep_logs(request.node, started)


def keep_logs(node, guests):
    """Copy the guests' consoles and the daemons' logs to
    $L2TPNS_INTEROP_DIR/logs/TEST/ (pytest's own temporary directories
    are recycled after three runs)."""
    dest = lacvm.INTEROP_DIR / "logs" / re.sub(r"[^\w.-]+", "_", node.name)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True, exist_ok=True)
    for i, g in enumerate(guests, 1):
        (dest / f"guest{i}-console.log").write_text(g.timed_transcript()
                                                    + "\n")
    for d in getattr(node, "_l2tpns_daemons", []):
        for f in (d.config_path, d.log_path):
            if f and Path(f).exists():
                shutil.copy(f, dest / f"{d.name}-{Path(f).name}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach each daemon's files and log (as the system tests do) and
    each guest's console to a failed test."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for d in getattr(item, "_l2tpns_daemons", []):
            rep.sections.append((f"{d.name} ({rep.when})", d.report()))
        for i, g in enumerate(getattr(item, "_interop_guests", []), 1):
            rep.sections.append(
                (f"guest{i} console ({rep.when})",
                 g.timed_transcript() + "\n--- qemu\n" + g.qemu_output()))
