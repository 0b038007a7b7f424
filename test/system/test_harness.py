"""
Checks of the harness itself (conftest.py): the later L2TP, RADIUS and
CLI tests rely on namespaces, veth pairs and in-namespace sockets.
"""

import os
import socket

from conftest import NETNS_DIR, wait_until


def test_netns_is_isolated_with_loopback_up(netns):
    ns = netns()
    assert ns.name.startswith(f"l2t-{os.getpid()}-")
    assert (NETNS_DIR / ns.name).exists()
    links = ns.links()
    assert set(links) == {"lo"}
    assert "UP" in links["lo"]["flags"]


def test_veth_and_sockets_in_namespaces(netns):
    a, b = netns(), netns()
    assert a.name != b.name
    va, vb = netns.veth(a, b, "10.77.0.1/24", ["10.77.0.2/24", "fd77::2/64"])
    assert a.ipv4_addrs(va) == ["10.77.0.1/24"]
    assert b.ipv4_addrs(vb) == ["10.77.0.2/24"]
    assert a.link(vb) is None and b.link(va) is None

    rx = b.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = a.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with rx, tx:
        rx.bind(("10.77.0.2", 0))
        rx.settimeout(3)
        tx.sendto(b"hello", rx.getsockname())
        data, peer = rx.recvfrom(100)
    assert data == b"hello" and peer[0] == "10.77.0.1"


def test_processes_killed_and_namespace_deleted(netns):
    holder = {}

    def body():
        ns = netns()
        p = ns.popen(["sleep", "60"])
        holder.update(ns=ns, proc=p)
        wait_until(lambda: ns.owns_pid(p.pid), what="sleep in namespace")

    body()
    ns, p = holder["ns"], holder["proc"]
    netns.cleanup()
    assert p.poll() is not None
    assert not (NETNS_DIR / ns.name).exists()
