"""What the cluster suites (test_cluster_radius.py, test_cluster_bgp.py)
share beyond test_cluster's fixture: a scripted LAC on the cluster's
segment with one tunnel and one call to a node."""
from pppwire import ppp_call
from test_cluster import NET


def lac_call(cl, netns, via, host, our_sid):
    """A LAC in a namespace of its own on the segment (NET.50) with one
    tunnel (its hostname host) and one call (our_sid) to node via, which
    forwards them to the master when it is a slave; (lac, ppp)."""
    lacns = netns()
    cl.attach(lacns, f"{NET}.50")
    return ppp_call(lacns, via.addr, host, our_sid)
