"""Minimal L2TPv2 (RFC 2661) encoder/decoder for system tests.

Written from the RFC for tests that need to craft exact or malformed
control messages; the C LAC simulator (test/lacsim) is the full LAC.
"""
import hashlib
import socket
import struct
import time

T, L, S, O, P = 0x8000, 0x4000, 0x0800, 0x0200, 0x0100
M_BIT, H_BIT = 0x8000, 0x4000

SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO = 1, 2, 3, 4, 6
OCRQ, ICRQ, ICRP, ICCN, CDN, WEN, SLI = 7, 10, 11, 12, 14, 15, 16

A_MSGTYPE, A_RESULT, A_PROTOVER, A_FRAMING_CAP = 0, 1, 2, 3
A_TIEBREAKER, A_FIRMWARE, A_HOSTNAME, A_VENDOR = 5, 6, 7, 8
A_TUNNEL_ID, A_RWS, A_CHALLENGE, A_CHAL_RESP, A_SESSION_ID = 9, 10, 11, 13, 14
A_SERIAL, A_BEARER_TYPE, A_FRAMING_TYPE = 15, 18, 19
A_CALLED, A_CALLING, A_TX_SPEED, A_RANDOM_VECTOR = 21, 22, 24, 36


def avp(attr, value, mandatory=True, vendor=0, hidden=False, raw_flags=None):
    if isinstance(value, int):
        value = struct.pack("!H", value)
    elif isinstance(value, str):
        value = value.encode()
    flags = (M_BIT if mandatory else 0) | (H_BIT if hidden else 0)
    if raw_flags is not None:
        flags = raw_flags
    return struct.pack("!HHH", flags | (6 + len(value)), vendor, attr) + value


def u32(v):
    return struct.pack("!I", v)


def keystream_xor(attr, secret, rv, data, hiding):
    """RFC 2661 4.3: data XORed with the MD5 keystream, each 16-octet key
    after the first chained on the previous hidden block (the result's
    when hiding, data's own when revealing)."""
    out = bytearray(data)
    prev = None
    for i in range(0, len(out), 16):
        if prev is None:
            key = hashlib.md5(struct.pack("!H", attr) + secret + rv).digest()
        else:
            key = hashlib.md5(secret + prev).digest()
        prev = bytes(data[i:i + 16])
        for j in range(min(16, len(out) - i)):
            out[i + j] ^= key[j]
        if hiding:
            prev = bytes(out[i:i + 16])
    return out


def hide(attr, secret, rv, value):
    """RFC 2661 4.3: hidden subformat XORed with the MD5 keystream."""
    return bytes(keystream_xor(attr, secret, rv,
                               struct.pack("!H", len(value)) + value, True))


def chap(msgtype, secret, challenge):
    return hashlib.md5(bytes([msgtype]) + secret + challenge).digest()


def control(tid, sid, ns, nr, avps=b""):
    length = 12 + len(avps)
    return struct.pack("!HHHHHH", T | L | S | 2, length, tid, sid, ns, nr) + avps


def parse(pkt):
    """Returns dict(flags, tid, sid, ns, nr, avps=[(flags, vendor, attr, value)])."""
    flags, = struct.unpack_from("!H", pkt, 0)
    off = 2
    out = {"flags": flags}
    if flags & L:
        out["length"], = struct.unpack_from("!H", pkt, off)
        off += 2
    out["tid"], out["sid"] = struct.unpack_from("!HH", pkt, off)
    off += 4
    if flags & S:
        out["ns"], out["nr"] = struct.unpack_from("!HH", pkt, off)
        off += 4
    avps = []
    while off < len(pkt):
        f, v, a = struct.unpack_from("!HHH", pkt, off)
        ln = f & 0x3FF
        avps.append((f, v, a, pkt[off + 6:off + ln]))
        off += ln
    out["avps"] = avps
    out["type"] = None
    if avps and avps[0][2] == A_MSGTYPE:
        out["type"], = struct.unpack("!H", avps[0][3])
    return out


def get(msg, attr):
    for f, v, a, val in msg["avps"]:
        if a == attr and v == 0:
            return val
    return None


def result_code(msg):
    val = get(msg, A_RESULT)
    if val is None:
        return None
    res, = struct.unpack_from("!H", val, 0)
    err = struct.unpack_from("!H", val, 2)[0] if len(val) >= 4 else None
    return res, err, val[4:].decode(errors="replace")


class Lac:
    """A scripted LAC over one UDP socket: explicit Ns/Nr, no retransmits.

    Data messages (PPP, sent by the LNS once a call is connected) are
    set aside in ``data`` by the control-message readers."""

    def __init__(self, lns, port=1701, bind=("0.0.0.0", 0), timeout=2.0):
        self.lns = (lns, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(bind)
        self.sock.settimeout(timeout)
        self.ns = 0
        self.nr = 0
        self.our_tid = 4242
        self.tid = 0          # LNS's tunnel id
        self.data = []        # data messages seen by recv()/recv_any()

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendto(data, self.lns)

    def send(self, avps, sid=0, tid=None, ns=None):
        tid = self.tid if tid is None else tid
        ns = self.ns if ns is None else ns
        self.send_raw(control(tid, sid, ns, self.nr, avps))
        self.ns = (ns + 1) & 0xFFFF

    def recv(self, timeout=None):
        """Next non-ZLB control message (acks nothing itself)."""
        end = time.time() + (timeout or self.sock.gettimeout())
        while True:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no message from LNS")
            self.sock.settimeout(left)
            data, _ = self.sock.recvfrom(4096)
            if not struct.unpack_from("!H", data)[0] & T:
                self.data.append(data)      # PPP: kept, not parsed here
                continue
            m = parse(data)
            if m["avps"]:
                if m["ns"] == self.nr:
                    self.nr = (self.nr + 1) & 0xFFFF
                return m

    def recv_any(self, timeout=None):
        """Next datagram including ZLBs, parsed."""
        if timeout:
            self.sock.settimeout(timeout)
        while True:
            data, _ = self.sock.recvfrom(4096)
            if struct.unpack_from("!H", data)[0] & T:
                return parse(data)
            self.data.append(data)

    def ack(self):
        self.send_raw(control(self.tid, 0, self.ns, self.nr))

    def recv_until(self, mtype, timeout=5):
        """Control messages, each acknowledged, until one of type mtype or
        timeout seconds; the last message of each type seen, by type."""
        seen = {}
        deadline = time.time() + timeout
        while mtype not in seen and time.time() < deadline:
            m = self.recv(2)
            seen[m["type"]] = m
            self.ack()
        return seen

    def sccrq(self, host="lac1", extra=b"", rws=4):
        return (avp(A_MSGTYPE, SCCRQ) + avp(A_PROTOVER, 0x0100) +
                avp(A_HOSTNAME, host) + avp(A_FRAMING_CAP, u32(3)) +
                avp(A_TUNNEL_ID, self.our_tid) + avp(A_RWS, rws) +
                avp(A_VENDOR, "pytest", mandatory=False) + extra)

    def open_tunnel(self, host="lac1", secret=None):
        challenge = b"0123456789abcdef"
        extra = avp(A_CHALLENGE, challenge) if secret else b""
        self.send(self.sccrq(host, extra))
        rp = self.recv()
        assert rp["type"] == SCCRP, rp
        self.tid, = struct.unpack("!H", get(rp, A_TUNNEL_ID))
        scccn = avp(A_MSGTYPE, SCCCN)
        if secret:
            assert get(rp, A_CHAL_RESP) == chap(SCCRP, secret, challenge)
            theirs = get(rp, A_CHALLENGE)
            scccn += avp(A_CHAL_RESP, chap(SCCCN, secret, theirs))
        self.send(scccn)
        return rp

    def open_session(self, our_sid=77, calling="0123456789", serial=1,
                     speed=10000000):
        self.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, our_sid) +
                  avp(A_SERIAL, u32(serial)) + avp(A_CALLING, calling) +
                  avp(A_CALLED, "lns"))
        rp = self.recv()
        assert rp["type"] == ICRP, rp
        sid, = struct.unpack("!H", get(rp, A_SESSION_ID))
        self.send(avp(A_MSGTYPE, ICCN) + avp(A_TX_SPEED, u32(speed)) +
                  avp(A_FRAMING_TYPE, u32(1)), sid=sid)
        return sid


def unhide(attr, secret, rv, hidden):
    """Inverse of hide(): returns the original value (RFC 2661 4.3)."""
    out = keystream_xor(attr, secret, rv, hidden, False)
    n, = struct.unpack_from("!H", out, 0)
    return bytes(out[2:2 + n])
