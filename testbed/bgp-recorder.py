#!/usr/bin/env python3
"""Passive BGP peer that records every message a router sends, as hex lines.

It accepts one TCP connection on port 179, answers the router's OPEN with its own
(4-octet AS, multiprotocol IPv4 and IPv6 unicast, route refresh), sends KEEPALIVE and
its own End-of-RIB for both families, waits for the router's End-of-RIB markers, asks
for both families again with ROUTE-REFRESH (RFC 2918), and keeps recording until the
router closes the session. Standard library only.
"""

import argparse
import os
import select
import socket
import struct
import sys
import time

MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
AS_TRANS = 23456


def message(kind, body=b""):
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def capability(code, value=b""):
    return struct.pack("!BB", code, len(value)) + value


def open_message(asn, router_id, hold_time):
    caps = [
        capability(1, struct.pack("!HBB", 1, 0, 1)),  # MP IPv4 unicast
        capability(1, struct.pack("!HBB", 2, 0, 1)),  # MP IPv6 unicast
        capability(2),  # route refresh
        # Graceful restart (RFC 4724), no restart in progress, 120 s, both families: some
        # routers send End-of-RIB only to a peer that announced it.
        capability(64, struct.pack("!HHBBHBB", 120, 1, 1, 0, 2, 1, 0)),
        capability(65, struct.pack("!I", asn)),  # 4-octet AS
    ]
    params = b"".join(struct.pack("!BB", 2, len(c)) + c for c in caps)
    my_as = asn if asn < 65536 else AS_TRANS
    body = struct.pack("!BHH4sB", 4, my_as, hold_time, socket.inet_aton(router_id), len(params))
    return message(OPEN, body + params)


def end_of_rib_v4():
    return message(UPDATE, b"\x00\x00\x00\x00")


def end_of_rib_v6():
    # MP_UNREACH_NLRI (optional, type 15) holding only AFI 2 / SAFI 1 (RFC 4724 section 2).
    attr = struct.pack("!BBBHB", 0x80, 15, 3, 2, 1)
    return message(UPDATE, struct.pack("!HH", 0, len(attr)) + attr)


def route_refresh(afi):
    return message(ROUTE_REFRESH, struct.pack("!HBB", afi, 0, 1))


def end_of_rib_family(body):
    """The AFI of an End-of-RIB marker, or None."""
    if body == b"\x00\x00\x00\x00":
        return 1
    if len(body) < 4 or body[:2] != b"\x00\x00":
        return None
    attr_len = struct.unpack("!H", body[2:4])[0]
    attrs = body[4:]
    if len(attrs) != attr_len or len(attrs) < 3:
        return None
    flags, code = attrs[0], attrs[1]
    if code != 15:
        return None
    if flags & 0x10:
        if len(attrs) < 4:
            return None
        vlen, value = struct.unpack("!H", attrs[2:4])[0], attrs[4:]
    else:
        vlen, value = attrs[2], attrs[3:]
    if vlen == 3 and len(value) == 3 and value[2] == 1:
        return struct.unpack("!H", value[:2])[0]
    return None


class Recorder:
    def __init__(self, conn, log):
        self.conn = conn
        self.buf = b""
        self.messages = []
        self.last_rx = time.monotonic()
        self.closed = False
        self.log = log

    def pump(self, timeout):
        """Reads what arrives within `timeout`; returns the messages completed."""
        got = []
        if self.closed:
            time.sleep(timeout)
            return got
        ready, _, _ = select.select([self.conn], [], [], timeout)
        if ready:
            data = self.conn.recv(65536)
            if not data:
                self.closed = True
            self.buf += data
            self.last_rx = time.monotonic()
        while len(self.buf) >= 19:
            if self.buf[:16] != MARKER:
                raise SystemExit("recorder: bad marker")
            length = struct.unpack("!H", self.buf[16:18])[0]
            if length < 19:
                raise SystemExit("recorder: bad length %d" % length)
            if len(self.buf) < length:
                break
            msg, self.buf = self.buf[:length], self.buf[length:]
            self.messages.append(msg)
            self.log("received type %d, %d octets" % (msg[18], len(msg)))
            got.append(msg)
        return got

    def send(self, data):
        if not self.closed:
            try:
                self.conn.sendall(data)
            except OSError:
                self.closed = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--asn", type=int, required=True)
    p.add_argument("--router-id", required=True)
    p.add_argument("--hold-time", type=int, default=240)
    p.add_argument("--out", required=True)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--ready", required=True, help="file created once the refresh is answered")
    p.add_argument("--quiet", type=float, default=4.0, help="seconds of silence that end a phase")
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()

    def log(text):
        print("recorder: " + text, file=sys.stderr, flush=True)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((a.listen, 179))
    listener.listen(1)
    listener.settimeout(a.timeout)
    conn, peer = listener.accept()
    listener.close()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log("connection from %s" % (peer,))
    r = Recorder(conn, log)
    deadline = time.monotonic() + a.timeout

    eor = set()
    phase = "open"
    refresh_sent_at = None
    while time.monotonic() < deadline:
        for msg in r.pump(0.2):
            kind, body = msg[18], msg[19:]
            if kind == OPEN and phase == "open":
                r.send(open_message(a.asn, a.router_id, a.hold_time) + message(KEEPALIVE))
                phase = "openconfirm"
            elif kind == KEEPALIVE and phase == "openconfirm":
                r.send(end_of_rib_v4() + end_of_rib_v6())
                phase = "established"
            elif kind == UPDATE and phase == "established":
                afi = end_of_rib_family(body)
                if afi is not None:
                    eor.add(afi)
            elif kind == NOTIFICATION:
                r.closed = True
        quiet = time.monotonic() - r.last_rx
        # A router that sends no End-of-RIB is asked for a refresh after a longer silence.
        if phase == "established" and (
            (eor >= {1, 2} and quiet > a.quiet) or quiet > 3 * a.quiet
        ):
            log("End-of-RIB seen for AFIs %s; sending ROUTE-REFRESH" % sorted(eor))
            r.send(route_refresh(1) + route_refresh(2))
            refresh_sent_at = time.monotonic()
            r.last_rx = refresh_sent_at
            phase = "refresh"
        elif phase == "refresh" and quiet > a.quiet:
            log("refresh answered; ready for shutdown")
            open(a.ready, "w").close()
            phase = "shutdown"
        if r.closed:
            break
    conn.close()
    if phase != "shutdown":
        raise SystemExit("recorder: stopped in phase %s (End-of-RIB for AFIs %s)" % (phase, sorted(eor)))

    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        for h in a.header:
            f.write("# %s\n" % h)
        for msg in r.messages:
            f.write(msg.hex() + "\n")
    os.replace(tmp, a.out)
    log("%d messages written to %s" % (len(r.messages), a.out))


if __name__ == "__main__":
    main()
