#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""slowloris.py - slow HTTP clients against ykvald, for the tests.

usage: slowloris.py hold [-s SOURCE [-m SPREAD]] [-n COUNT] [-t SECONDS]
                         [-i INTERVAL] [-r READY_FILE] ADDR:PORT
       slowloris.py once {header|body} [-i INTERVAL] [-t SECONDS] ADDR:PORT

hold: keep COUNT connections from SOURCE open for SECONDS: half of them
send nothing after connecting (half-open), half send a request line and
then one header byte every INTERVAL seconds, never the end of the
headers.  With SPREAD, connection i comes from SOURCE + 1 + i % SPREAD
(addresses that must be local).  A connection the server closes is opened again, at most once
every INTERVAL.  READY_FILE is written once all COUNT have been tried.
Prints, at the end or on SIGTERM: opened=N closed_by_server=N
open_at_end=N

once: one connection that trickles its headers (header) or, after whole
headers announcing a 100-byte body, the body (body), one byte every
INTERVAL.  Prints closed_after=SECONDS and answered=yes|no when the
server closes it, or closed_after=never after SECONDS.
"""
import argparse
import errno
import ipaddress
import resource
import selectors
import signal
import socket
import sys
import time

LINE = b"GET /wsapi/2.0/verify?id=1 HTTP/1.1\r\nHost: x\r\n"


def target(addr):
    host, port = addr.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, (host, int(port))


class Conn:
    def __init__(self, fam, dst, source, trickle):
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        if source:
            self.sock.bind((source, 0))
        self.trickle = trickle
        self.sent_line = False
        err = self.sock.connect_ex(dst)
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, "connect")


class Stop(Exception):
    pass


def stop(signum, frame):
    raise Stop()


def hold(a):
    fam, dst = target(a.addr)
    signal.signal(signal.SIGTERM, stop)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.count + 64
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    sel = selectors.DefaultSelector()
    conns = {}
    slots = list(range(a.count))
    end = time.monotonic() + a.time
    try:
        hold_loop(a, fam, dst, sel, conns, slots, end)
    except Stop:
        pass
    print("opened=%d closed_by_server=%d open_at_end=%d"
          % (STATS["opened"], STATS["closed"], len(conns)))
    return 0


STATS = {"opened": 0, "closed": 0}


def hold_loop(a, fam, dst, sel, conns, slots, end):
    next_trickle = next_reopen = time.monotonic()
    ready = False
    while time.monotonic() < end:
        now = time.monotonic()
        if slots and now >= next_reopen:
            again = []
            for i in slots:
                src = a.source
                if src and a.spread:
                    src = str(ipaddress.ip_address(src) + 1 + i % a.spread)
                try:
                    c = Conn(fam, dst, src, i % 2 == 1)
                except OSError:
                    again.append(i)
                    continue
                conns[c.sock.fileno()] = (i, c)
                sel.register(c.sock, selectors.EVENT_READ)
                STATS["opened"] += 1
            slots = again
            next_reopen = now + a.interval
            if not ready and a.ready:
                with open(a.ready, "w") as f:
                    f.write("%d\n" % STATS["opened"])
                ready = True
        if now >= next_trickle:
            for i, c in list(conns.values()):
                if not c.trickle:
                    continue
                try:
                    c.sock.send(b"X" if c.sent_line else LINE)
                    c.sent_line = True
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass        # seen as closed below
            next_trickle = now + a.interval
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                d = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                d = b""
            if d:
                continue
            i, _ = conns.pop(s.fileno())
            sel.unregister(s)
            s.close()
            STATS["closed"] += 1
            slots.append(i)


def once(a):
    fam, dst = target(a.addr)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.time)
    s.connect(dst)
    t0 = time.monotonic()
    if a.what == "header":
        todo = LINE + b"X-Slow: " + b"a" * 10000
    else:
        s.sendall(b"POST /wsapi/2.0/verify HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 100\r\n\r\n")
        todo = b"a" * 99
    got = b""
    while time.monotonic() - t0 < a.time:
        if todo:
            try:
                s.send(todo[:1])
                todo = todo[1:]
            except OSError:
                break
        s.settimeout(a.interval)
        try:
            d = s.recv(4096)
        except (socket.timeout, TimeoutError):
            continue
        except OSError:
            break
        if not d:
            break
        got += d
    else:
        print("closed_after=never")
        return 0
    print("closed_after=%.2f" % (time.monotonic() - t0))
    print("answered=%s" % ("yes" if got else "no"))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("hold")
    h.add_argument("-s", dest="source", default=None)
    h.add_argument("-m", dest="spread", type=int, default=0)
    h.add_argument("-n", dest="count", type=int, default=2000)
    h.add_argument("-t", dest="time", type=float, default=5.0)
    h.add_argument("-i", dest="interval", type=float, default=1.0)
    h.add_argument("-r", dest="ready", default=None)
    h.add_argument("addr")
    o = sub.add_parser("once")
    o.add_argument("what", choices=("header", "body"))
    o.add_argument("-t", dest="time", type=float, default=10.0)
    o.add_argument("-i", dest="interval", type=float, default=0.25)
    o.add_argument("addr")
    a = ap.parse_args()
    return hold(a) if a.mode == "hold" else once(a)


if __name__ == "__main__":
    sys.exit(main())
