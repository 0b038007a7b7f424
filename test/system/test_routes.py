"""Routes that RADIUS gives a session never take over the host's own
(issue 20, finding 5): Framed-Route 0.0.0.0/0, the uplink's subnet, a
part of it, or a prefix holding the host's address are refused, logged
and counted, and the host's routes stay exactly as they were; a normal
Framed-Route still goes in.

The daemon's namespace gets an "uplink" (a veth to a router namespace,
192.0.2.1/24 and a default route through 192.0.2.254) before the
subscribers log in.
"""
import json
import re

import pexpect
import pytest

from conftest import wait_until
from test_radius import (FreeRadius, radius_cfg, link, up, kernel_route,
                         USERS)

EVIL = USERS + """
evil-default	Cleartext-Password := "pw"
	Framed-Route = "0.0.0.0/0 0.0.0.0 1"

evil-uplink	Cleartext-Password := "pw"
	Framed-Route = "192.0.2.0/24 0.0.0.0 1"

evil-part	Cleartext-Password := "pw"
	Framed-Route = "192.0.2.128/25 0.0.0.0 1"

evil-self	Cleartext-Password := "pw"
	Framed-Route = "192.0.0.0/16 0.0.0.0 1"

good	Cleartext-Password := "pw"
	Framed-Route = "203.0.113.16/28 0.0.0.0 1"
"""


def host_routes(d):
    """The routes of the main table that are not the daemon's."""
    return sorted((r.get("dst"), r.get("gateway") or "", r.get("dev"))
                  for r in d.ns.routes() if r.get("dev") != d.tun)


def counters(d):
    """show counters json through the CLI (the default users file)."""
    t = pexpect.spawn("ip", ["netns", "exec", d.ns.name, "telnet",
                             "127.0.0.1", "23"], encoding="utf-8",
                      timeout=5)
    d.ns.track(t.pid)
    t.expect("Username: ")
    t.send("admin\r")
    t.expect("Password: ")
    t.send("admin\r")
    t.expect(r"[>#] ")
    t.send("show counters json\r")
    t.expect(r"\n(\{.*\})\s*\r?\n[^\n]*[>#] ")
    js = json.loads(t.match.group(1))
    t.close()
    return js


@pytest.fixture
def lns(daemon, netns, tmp_path):
    ns, router = netns(), netns()
    netns.veth(ns, router, "192.0.2.1/24", "192.0.2.254/24")
    ns.ip("route", "add", "default", "via", "192.0.2.254")
    rad = FreeRadius(ns, tmp_path / "radius", users=EVIL)
    rad.start()
    d = daemon(radius_cfg(), ns=ns)
    yield d
    rad.stop()


@pytest.mark.parametrize("user,prefix,why", [
    ("evil-default", "0.0.0.0/0", r"equals a route of this host \(0\.0\.0\.0/0\)"),
    ("evil-uplink", "192.0.2.0/24", r"equals a route of this host \(192\.0\.2\.0/24\)"),
    ("evil-part", "192.0.2.128/25", r"lies in a subnet connected to this host \(192\.0\.2\.0/24\)"),
    ("evil-self", "192.0.0.0/16", r"contains a route of this host \(192\.0\.2\.0/24\)"),
])
def test_framed_route_against_host_refused(lns, user, prefix, why):
    d = lns
    before = host_routes(d)
    mark = d.log_mark()
    lac, p = link(d)
    ip = up(p, user, "pw")[0]
    net, plen = prefix.split("/")
    d.wait_for_log(r"route %s/%s refused: it %s" % (re.escape(net), plen,
                                                      why), since=mark)
    # The host's routes are untouched, nothing of the prefix went to
    # the tun device, and the refusal is counted.
    assert host_routes(d) == before
    assert [r for r in d.ns.routes() if r.get("dev") == d.tun and
            r.get("dst") in (prefix, "default")] == []
    assert counters(d)["route_refused"] == 1
    # The session itself is up with its pool address.
    assert ip.startswith("198.51.100.")
    lac.close()


def test_framed_route_normal_installed_and_counted(lns):
    d = lns
    lac, p = link(d)
    up(p, "good", "pw")
    wait_until(lambda: kernel_route(d, "203.0.113.16/28"), 5,
               "the Framed-Route")
    assert counters(d)["route_refused"] == 0
    lac.close()
