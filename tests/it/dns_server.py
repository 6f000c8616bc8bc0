"""dns_server: a small authoritative DNS server on loopback for okno's tests.

Real DNS packets over UDP and TCP (Debian's python3-dnslib encodes and decodes them);
the tests point okno's `[dns] server` at it. Zones are plain data, swappable at any
time (the RFC 7208 suite runner loads each scenario's zonedata in turn):

    srv = DnsServer()                 # binds 127.0.0.1:<free port>, UDP and TCP, threads
    srv.set_zones({
        "example.com": [{"TXT": "v=spf1 ip4:127.0.0.1 -all"}, {"A": "192.0.2.1"},
                        {"MX": [10, "mx.example.com"]}],
        "slow.example": ["TIMEOUT"],              # never answered
        "broken.example": ["SERVFAIL"],           # RCODE 2
    })
    srv.address                        # "127.0.0.1:PORT" for [dns] server
    srv.queries                        # [(name, type)] asked so far
    srv.stop()

Record forms follow the RFC 7208 suite's zonedata: {"A": ip}, {"AAAA": ip}, {"TXT": str or
[str, ...]} (a list is one record of several character-strings), {"SPF": ...} (type 99),
{"MX": [pref, name]}, {"PTR": name}, {"CNAME": name}; a value "NONE" stands for no record of that type;
{"DELAY": seconds} answers that name over UDP only after that long;
the bare strings "TIMEOUT" and
"SERVFAIL" make the name time out (for the types it has no records of) or fail. A TXT string longer than 255 bytes is split
into character-strings. A name absent from the zones is NXDOMAIN, unless a longer name
ends in it (an empty non-terminal: NOERROR without data). Over UDP an answer over 512
bytes is sent truncated (TC), as a server without EDNS does, so the client must retry
over TCP.
"""
import socket
import socketserver
import struct
import sys
import threading

try:
    import dnslib
except ImportError:  # a Python outside Debian's (pyenv, venv)
    sys.path.append("/usr/lib/python3/dist-packages")
    import dnslib

from dnslib import QTYPE, RCODE, RR

UDP_MAX = 512


def _split(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]


def _rdata(kind, value):
    if kind in ("TXT", "SPF"):
        parts = []
        for v in (value if isinstance(value, list) else [value]):
            parts.extend(_split(v))
        return dnslib.TXT(parts)
    if kind == "A":
        return dnslib.A(value)
    if kind == "AAAA":
        return dnslib.AAAA(value)
    if kind == "MX":
        return dnslib.MX(value[1], value[0])
    if kind == "PTR":
        return dnslib.PTR(value)
    if kind == "CNAME":
        return dnslib.CNAME(value)
    raise ValueError("record type %s" % kind)


class DnsServer:
    def __init__(self):
        self.zones = {}
        self.queries = []
        self.lock = threading.Lock()
        server = self

        class TcpHandler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    head = self.request.recv(2)
                    if len(head) < 2:
                        return
                    (n,) = struct.unpack("!H", head)
                    data = b""
                    while len(data) < n:
                        chunk = self.request.recv(n - len(data))
                        if not chunk:
                            return
                        data += chunk
                    answer = server.answer(data, tcp=True)
                    if answer is not None:
                        self.request.sendall(struct.pack("!H", len(answer)) + answer)
                except OSError:
                    pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        # One port for UDP and TCP: a free UDP port whose TCP twin may be taken, so try again.
        for attempt in range(50):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            try:
                self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), TcpHandler)
                break
            except OSError:
                self.udp.close()
                if attempt == 49:
                    raise
        self.tcp.daemon_threads = True
        self.threads = [threading.Thread(target=self._udp_loop, daemon=True),
                        threading.Thread(target=self.tcp.serve_forever, daemon=True)]
        for t in self.threads:
            t.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def set_zones(self, zones):
        with self.lock:
            self.zones = {k.lower().rstrip("."): v for k, v in zones.items()}
            self.queries = []

    def _udp_loop(self):
        while True:
            try:
                data, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            try:
                answer = self.answer(data, tcp=False)
            except Exception as e:  # a test server: say it, keep serving
                print("dns_server: %r" % e, file=sys.stderr)
                continue
            if answer is not None:
                delay = self._delay(data)
                if delay:
                    threading.Timer(delay, self._send, (answer, peer)).start()
                else:
                    self._send(answer, peer)

    def _send(self, answer, peer):
        try:
            self.udp.sendto(answer, peer)
        except OSError:
            pass

    def _delay(self, data):
        try:
            name = str(dnslib.DNSRecord.parse(data).q.qname).lower().rstrip(".")
        except Exception:
            return 0
        recs = self._lookup(name) or []
        return max([r["DELAY"] for r in recs if isinstance(r, dict) and "DELAY" in r] or [0])

    def _lookup(self, name):
        with self.lock:
            recs = self.zones.get(name)
            if recs is None:
                exists = any(k.endswith("." + name) for k in self.zones)
                return None if not exists else []
            return list(recs)

    def answer(self, data, tcp):
        """The wire answer to one query, or None to stay silent (TIMEOUT)."""
        try:
            req = dnslib.DNSRecord.parse(data)
        except Exception:
            return None
        reply = req.reply()
        reply.header.aa = 1
        q = req.q
        name = str(q.qname).lower().rstrip(".")
        qtype = QTYPE.get(q.qtype)
        with self.lock:
            self.queries.append((name, qtype))
        chain = 0
        while True:
            recs = self._lookup(name)
            if recs is not None and "TIMEOUT" in recs and not any(
                    isinstance(r, dict) and r.get(qtype, "NONE") != "NONE" for r in recs):
                return None  # the suite's TIMEOUT: types the name has still answer
            if recs is not None and "SERVFAIL" in recs:
                reply.header.rcode = RCODE.SERVFAIL
                break
            if recs is None:
                if chain == 0:
                    reply.header.rcode = RCODE.NXDOMAIN
                break
            cname = [r["CNAME"] for r in recs if isinstance(r, dict) and "CNAME" in r]
            if cname and qtype != "CNAME" and chain < 8:
                reply.add_answer(RR(name, QTYPE.CNAME, rdata=_rdata("CNAME", cname[0]), ttl=60))
                name = cname[0].lower().rstrip(".")
                chain += 1
                continue
            for r in recs:
                if not isinstance(r, dict):
                    continue
                for kind, value in r.items():
                    if kind == qtype and value != "NONE":
                        reply.add_answer(RR(name, getattr(QTYPE, kind), rdata=_rdata(kind, value), ttl=60))
            break
        wire = reply.pack()
        if not tcp and len(wire) > UDP_MAX:
            short = req.reply()
            short.header.aa = 1
            short.header.tc = 1
            wire = short.pack()
        return wire

    def stop(self):
        self.tcp.shutdown()
        self.tcp.server_close()
        self.udp.close()
