"""A scriptable PPP peer over one L2TP session, for system tests.

Written from RFC 1661/1332/1334/1994/1877/5072 so that tests can play a
subscriber step by step, including misbehaving ones.  It rides on
l2tpwire.Lac (one UDP socket): control messages that arrive meanwhile
are acknowledged and kept in ``ctrl`` (a CDN shows up there).
"""
import hashlib
import socket
import struct
import time

from l2tpwire import T, L, S, parse, control, get, A_MSGTYPE, CDN, Lac

LCP, PAP, CHAP, IPCP, IPV6CP, CCP = 0xC021, 0xC023, 0xC223, 0x8021, 0x8057, 0x80FD
IP, IPV6 = 0x0021, 0x0057
MP = 0x003D                     # RFC 1990 3
MP_B, MP_E = 0x80, 0x40
MRRU, SSNHF, EPDISC = 17, 18, 19  # RFC 1990 5.1 LCP options


def mp_header(seq, flags, short=False):
    """The MP fragment header (RFC 1990 3): long 24-bit or short 12-bit."""
    if short:
        return struct.pack("!H", (flags << 8) | (seq & 0xFFF))
    return struct.pack("!I", (flags << 24) | (seq & 0xFFFFFF))


def mp_parse(data, short=False):
    """(flags, seq, fragment) of an MP frame's Information field."""
    if short:
        v, = struct.unpack_from("!H", data)
        return (v >> 8) & 0xC0, v & 0xFFF, data[2:]
    v, = struct.unpack_from("!I", data)
    return (v >> 24) & 0xC0, v & 0xFFFFFF, data[4:]
CONFREQ, CONFACK, CONFNAK, CONFREJ, TERMREQ, TERMACK, CODEREJ = 1, 2, 3, 4, 5, 6, 7
PROTOREJ, ECHOREQ, ECHOREP, DISCARD = 8, 9, 10, 11


def opt(t, v=b""):
    return bytes([t, len(v) + 2]) + v


def parse_opts(data):
    out, i = [], 0
    while i + 2 <= len(data):
        t, ln = data[i], data[i + 1]
        out.append((t, data[i + 2:i + ln]))
        i += max(ln, 2)
    return out


def cp(code, ident, data=b""):
    return struct.pack("!BBH", code, ident, len(data) + 4) + data


class Frame:
    def __init__(self, proto, payload):
        self.proto = proto
        self.payload = payload
        if len(payload) >= 4 and proto in (LCP, PAP, CHAP, IPCP, IPV6CP, CCP):
            self.code, self.id, ln = struct.unpack_from("!BBH", payload)
            self.data = payload[4:ln]
        else:
            self.code = self.id = None
            self.data = payload

    def opts(self):
        return parse_opts(self.data)

    def __repr__(self):
        return f"Frame({self.proto:#06x}, code={self.code}, id={self.id}, {self.data.hex()})"


class Ppp:
    """One PPP link on session `sid` (the LNS's id) of `lac`'s tunnel.

    ``our_sid`` is the session id the LAC assigned (used by the LNS in
    the frames it sends).  ``auto_echo`` answers LCP Echo-Requests.
    """

    def __init__(self, lac, sid, our_sid, auto_echo=True):
        self.lac = lac
        self.sid = sid
        self.our_sid = our_sid
        self.auto_echo = auto_echo
        self.magic = 0x12345678
        self.ctrl = []          # control messages seen meanwhile
        self.frames = []        # every PPP frame received, in order
        self.ident = 0

    def next_id(self):
        self.ident = (self.ident + 1) & 0xFF
        return self.ident

    def send(self, proto, payload, acfc=True):
        hdr = struct.pack("!HHH", 0x0002, self.lac.tid, self.sid)
        ppp = (b"\xff\x03" if acfc else b"") + struct.pack("!H", proto)
        self.lac.send_raw(hdr + ppp + payload)

    def send_cp(self, proto, code, ident, data=b""):
        self.send(proto, cp(code, ident, data))

    def recv(self, timeout=2.0):
        """Next PPP frame for our session (control messages are acked)."""
        end = time.time() + timeout
        pending = self.lac.__dict__.setdefault("ppp_pending", {})
        while True:
            mine = pending.get(self.our_sid)
            if mine:
                f = mine.pop(0)
                self.frames.append(f)
                if (self.auto_echo and f.proto == LCP and
                        f.code == ECHOREQ):
                    self.send_cp(LCP, ECHOREP, f.id, struct.pack(
                        "!I", self.magic) + f.data[4:])
                    continue
                return f
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no PPP frame from the LNS")
            self.lac.sock.settimeout(left)
            try:
                data, _ = self.lac.sock.recvfrom(4096)
            except socket.timeout:
                raise TimeoutError("no PPP frame from the LNS")
            flags, = struct.unpack_from("!H", data)
            if flags & T:
                m = parse(data)
                if m["avps"]:
                    if m["ns"] == self.lac.nr:
                        self.lac.nr = (self.lac.nr + 1) & 0xFFFF
                    self.ctrl.append(m)
                    self.lac.ack()
                continue
            off = 2
            if flags & L:
                off += 2
            tid, sid = struct.unpack_from("!HH", data, off)
            off += 4
            if flags & S:
                off += 4
            if flags & 0x0200:
                osz, = struct.unpack_from("!H", data, off)
                off += 2 + osz
            assert tid == self.lac.our_tid, (tid, self.lac.our_tid)
            body = data[off:]
            assert body[:2] == b"\xff\x03", body.hex()
            proto, = struct.unpack_from("!H", body, 2)
            f = Frame(proto, body[4:])
            if sid != self.our_sid:
                # another session of this LAC (multilink tests run two)
                pending.setdefault(sid, []).append(f)
                continue
            self.frames.append(f)
            if (self.auto_echo and proto == LCP and f.code == ECHOREQ):
                self.send_cp(LCP, ECHOREP, f.id,
                             struct.pack("!I", self.magic) + f.data[4:])
                continue
            return f

    def expect(self, proto, code=None, timeout=3.0):
        """Skip frames until one of `proto` (and `code`) arrives."""
        end = time.time() + timeout
        while True:
            f = self.recv(max(0.01, end - time.time()))
            if f.proto == proto and (code is None or f.code == code):
                return f

    def cdn(self, timeout=3.0):
        """Wait for a CDN on the control channel; returns it."""
        end = time.time() + timeout
        while True:
            for m in self.ctrl:
                if m["type"] == CDN:
                    return m
            try:
                self.recv(max(0.01, end - time.time()))
            except TimeoutError:
                for m in self.ctrl:
                    if m["type"] == CDN:
                        return m
                raise TimeoutError("no CDN")

    # -- LCP --

    def lcp_up(self, our_opts=None, answer=None):
        """Negotiate LCP: ack the LNS's request (or let `answer(frame)`
        return (code, data) to send instead), send ours and wait for its
        Ack.  Returns the LNS's acked request."""
        if our_opts is None:
            our_opts = opt(5, struct.pack("!I", self.magic))
        rid = self.next_id()
        self.send_cp(LCP, CONFREQ, rid, our_opts)
        got_ack = their = None
        end = time.time() + 10
        while got_ack is None or their is None:
            f = self.expect(LCP, timeout=max(0.01, end - time.time()))
            if f.code == CONFREQ:
                if answer:
                    code, data = answer(f)
                else:
                    code, data = CONFACK, f.data
                self.send_cp(LCP, code, f.id, data)
                if code == CONFACK:
                    their = f
            elif f.code == CONFACK and f.id == rid:
                got_ack = f
            elif f.code in (CONFNAK, CONFREJ):
                raise AssertionError(f"LNS refused our LCP request: {f}")
        return their

    # -- authentication --

    def pap(self, user, password, timeout=3.0):
        u, p = user.encode(), password.encode()
        ident = self.next_id()
        self.send_cp(PAP, 1, ident, bytes([len(u)]) + u + bytes([len(p)]) + p)
        f = self.expect(PAP, timeout=timeout)
        assert f.id == ident
        msg = f.data[1:1 + f.data[0]].decode() if f.data else ""
        return f.code, msg

    def chap(self, user, secret, timeout=3.0):
        ch = self.expect(CHAP, 1, timeout=timeout)
        vlen = ch.data[0]
        value = ch.data[1:1 + vlen]
        name = ch.data[1 + vlen:]
        resp = hashlib.md5(bytes([ch.id]) + secret.encode() + value).digest()
        self.send_cp(CHAP, 2, ch.id, bytes([16]) + resp + user.encode())
        f = self.expect(CHAP, timeout=timeout)
        assert f.id == ch.id
        return f.code, f.data.decode(errors="replace"), name.decode(), vlen

    # -- IPCP --

    def ipcp_up(self, dns=True):
        """Ask for an address (and DNS); follow the Naks; ack theirs.
        Returns (our ip, dns1, dns2, their ip) as dotted strings."""
        want = {3: b"\0\0\0\0"}
        if dns:
            want[129] = b"\0\0\0\0"
            want[131] = b"\0\0\0\0"
        their = None
        acked = None
        rid = None
        end = time.time() + 10

        def request():
            nonlocal rid
            rid = self.next_id()
            self.send_cp(IPCP, CONFREQ, rid,
                         b"".join(opt(t, v) for t, v in want.items()))
        request()
        while acked is None or their is None:
            f = self.expect(IPCP, timeout=max(0.01, end - time.time()))
            if f.code == CONFREQ:
                self.send_cp(IPCP, CONFACK, f.id, f.data)
                their = dict(f.opts())
            elif f.code == CONFNAK and f.id == rid:
                for t, v in f.opts():
                    want[t] = v
                request()
            elif f.code == CONFREJ and f.id == rid:
                for t, v in f.opts():
                    want.pop(t, None)
                request()
            elif f.code == CONFACK and f.id == rid:
                acked = dict(f.opts())
        ntoa = socket.inet_ntoa
        return (ntoa(acked[3]), ntoa(acked[129]) if 129 in acked else None,
                ntoa(acked[131]) if 131 in acked else None,
                ntoa(their[3]) if their and 3 in their else None)

    def up(self, user="alice", password="secret", auth=PAP):
        """LCP, authentication, IPCP: returns ipcp_up()'s tuple."""
        self.lcp_up()
        if auth == PAP:
            code, msg = self.pap(user, password)
            assert code == 2, msg
        else:
            code, msg, _, _ = self.chap(user, password)
            assert code == 3, msg
        return self.ipcp_up()


def ipv4_udp(src, dst, sport, dport, payload):
    """An IPv4/UDP packet with correct checksums (UDP checksum 0 = none)."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17,
                      0, s, d)
    csum = 0
    for i in range(0, 20, 2):
        csum += (hdr[i] << 8) | hdr[i + 1]
    while csum >> 16:
        csum = (csum & 0xFFFF) + (csum >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~csum & 0xFFFF) + hdr[12:]
    return hdr + udp


def ppp_call(ns, lns, host="lac1", our_sid=77, **call):
    """A scripted LAC in namespace ns with one tunnel (its hostname host)
    to the LNS at address lns and one call on it (our_sid; call: more of
    Lac.open_session's arguments): (lac, a Ppp over the call)."""
    lac = ns.run_in(Lac, lns)
    lac.open_tunnel(host=host)
    sid = lac.open_session(our_sid=our_sid, **call)
    return lac, Ppp(lac, sid, our_sid)
