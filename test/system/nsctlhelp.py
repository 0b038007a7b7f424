"""Helpers shared by test_nsctl.py and test_plugins.py: running nsctl in
the daemon's namespace, a plugin directory with the built plugins, and
raw control-protocol datagrams (the format of control.h)."""

import shutil
import struct

from conftest import REPO

NSCTL_BIN = REPO / "nsctl"
# Every plugin the Makefile builds at the top of the tree.
PLUGINS = sorted(p.stem for p in REPO.glob("*.so"))
TEST_PLUGINS = ["testplugin", "badversion", "noversion"]

MAGIC = 0x4E43
VERSION = 1
REQUEST, REPLY = 1, 2


def plugin_dir(tmp_path, copies=()):
    """A plugin_dir holding the built plugins and test plugins, plus
    ``copies``: (name, source) pairs of extra copies of a .so."""
    d = tmp_path / "plugins"
    d.mkdir(exist_ok=True)
    for name in PLUGINS:
        shutil.copy(REPO / f"{name}.so", d / f"{name}.so")
    for name in TEST_PLUGINS:
        shutil.copy(REPO / "test" / "plugins" / f"{name}.so",
                    d / f"{name}.so")
    for name, src in copies:
        shutil.copy(d / f"{src}.so", d / f"{name}.so")
    return d


def nsctl(ns, *args, timeout=2, check=None):
    """Run nsctl in namespace ``ns``; returns the CompletedProcess.  With
    ``check`` set, assert that the exit status is that value."""
    p = ns.run([NSCTL_BIN, "-t", str(timeout), *args], check=False,
               timeout=timeout + 10)
    if check is not None:
        assert p.returncode == check, \
            f"nsctl {args}: rc {p.returncode}\nout: {p.stdout}\nerr: " \
            f"{p.stderr}"
    return p


def encode(xid, *args, typ=REQUEST, version=VERSION, magic=MAGIC,
           result=0, argc=None, reserved=0):
    b = struct.pack(">HBBIBBH", magic, version, typ, xid, result,
                    len(args) if argc is None else argc, reserved)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        b += struct.pack(">H", len(a)) + a
    return b


def decode(b):
    """(type, xid, result, [strings]) of a reply; asserts its format."""
    magic, version, typ, xid, result, argc, reserved = \
        struct.unpack(">HBBIBBH", b[:12])
    assert (magic, version, reserved) == (MAGIC, VERSION, 0)
    off, strings = 12, []
    for _ in range(argc):
        (n,) = struct.unpack(">H", b[off:off + 2])
        strings.append(b[off + 2:off + 2 + n].decode())
        off += 2 + n
    assert off == len(b), "trailing bytes in reply"
    return typ, xid, result, strings
