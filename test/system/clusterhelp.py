"""What the cluster suites (test_cluster_radius.py, test_cluster_bgp.py)
share beyond test_cluster's fixture: a scripted LAC on the cluster's
segment with one tunnel and one call to a node."""
from l2tpwire import Lac
from pppwire import Ppp
from test_cluster import NET


def lac_call(cl, netns, via, host, our_sid):
    """A LAC in a namespace of its own on the segment (NET.50) with one
    tunnel (its hostname host) and one call (our_sid) to node via, which
    forwards them to the master when it is a slave; (lac, ppp)."""
    lacns = netns()
    cl.attach(lacns, f"{NET}.50")
    lac = lacns.run_in(Lac, via.addr)
    lac.open_tunnel(host=host)
    sid = lac.open_session(our_sid=our_sid)
    return lac, Ppp(lac, sid, our_sid)
