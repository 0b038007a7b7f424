"""The control port answers the 2.x nsctl wire format too (control.h,
CTL2_*): magic 0x9013, type, argc, length-prefixed arguments, 0xFF.
A client speaking it (written here from the format, as a 2.x nsctl
would send) gets the same commands and replies; malformed 2.x datagrams
are dropped and counted; nsctl_allow applies."""
import struct

import pytest

from nsctlhelp import nsctl, plugin_dir
from test_nsctl import udp_exchange

LOAD, UNLOAD, HELP, CONTROL, OK, ERR = 0x11, 0x12, 0x13, 0x14, 0x21, 0x22


def enc2(typ, *args):
    b = struct.pack(">HBB", 0x9013, typ, len(args))
    for a in args:
        a = a.encode()
        b += bytes([len(a)]) + a
    return b + b"\xff"


def dec2(b):
    magic, typ, argc = struct.unpack(">HBB", b[:4])
    assert magic == 0x9013
    out, o = [], 4
    for _ in range(argc):
        n = b[o]
        out.append(b[o + 1:o + 1 + n].decode())
        o += 1 + n
    assert b[o:] == b"\xff", b[o:]
    return typ, out


@pytest.fixture
def lns(daemon, tmp_path):
    return daemon({"plugin_dir": str(plugin_dir(tmp_path))})


def test_v2_help_load_control_unload(lns):
    typ, lines = dec2(udp_exchange(lns.ns, enc2(HELP)))
    assert typ == OK and any("load_plugin NAME" in l for l in lines), lines
    typ, lines = dec2(udp_exchange(lns.ns, enc2(LOAD, "testplugin")))
    assert typ == OK and "plugin testplugin loaded" in lines[0], lines
    typ, lines = dec2(udp_exchange(lns.ns, enc2(CONTROL, "test_echo", "hi",
                                               "two words")))
    assert (typ, lines) == (OK, ["hi two words"])
    typ, lines = dec2(udp_exchange(lns.ns, enc2(CONTROL, "frobnicate")))
    assert typ == ERR and 'unknown command "frobnicate"' in lines[0]
    typ, lines = dec2(udp_exchange(lns.ns, enc2(UNLOAD, "testplugin")))
    assert (typ, lines) == (OK, ["plugin testplugin unloaded"])
    lns.wait_for_log(r"nsctl \(2\.x format\) from 127\.0\.0\.1:\d+: "
                     r"unload_plugin: ok")
    # the version 1 client still works alongside
    assert "load_plugin NAME" in nsctl(lns.ns, "help", check=0).stdout


def test_v2_malformed_dropped(lns):
    bad = [enc2(HELP)[:-1],                     # no end byte
           enc2(HELP) + b"x",                   # trailing
           enc2(0x15, "x"),                     # unknown type
           enc2(CONTROL),                       # CONTROL without a word
           struct.pack(">HBB", 0x9013, CONTROL, 1) + b"\x09ab\xff",
           enc2(CONTROL, "a\0b")]               # NUL inside
    for b in bad:
        assert udp_exchange(lns.ns, b, timeout=0.5) is None, b
    assert lns.running()
    typ, _ = dec2(udp_exchange(lns.ns, enc2(HELP)))
    assert typ == OK
