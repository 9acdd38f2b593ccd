#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""rawhttp.py - send bytes to an HTTP server and report what came back.

usage: rawhttp.py [-s SOURCE_ADDR] [-w SECONDS] ADDR:PORT REQUEST

REQUEST is a Python string literal body: \\r, \\n and \\xNN escapes are
decoded.  Prints one line:
    status=CODE closed=yes|no bytes=N
    allow=VALUE (when there is an Allow header)
closed=yes when the server closed the connection within SECONDS (default
2) after its answer; the answer's body is not waited for beyond that.
status=none when nothing came back.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", dest="source", default=None)
    ap.add_argument("-w", dest="wait", type=float, default=2.0)
    ap.add_argument("addr")
    ap.add_argument("request")
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    host = host.strip("[]")
    req = a.request.encode("latin1").decode("unicode_escape").encode("latin1")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if a.source:
        s.bind((a.source, 0))
    s.settimeout(a.wait)
    s.connect((host, int(port)))
    s.sendall(req)
    data = b""
    closed = "no"
    deadline = time.monotonic() + a.wait
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            d = s.recv(65536)
            if not d:
                closed = "yes"
                break
            data += d
    except (socket.timeout, TimeoutError):
        pass
    except ConnectionResetError:
        closed = "yes"
    s.close()
    status = "none"
    allow = None
    if data.startswith(b"HTTP/1."):
        status = data.split(b" ", 2)[1].decode()
        for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"allow":
                allow = v.strip().decode()
    print("status=%s closed=%s bytes=%d" % (status, closed, len(data)))
    if allow is not None:
        print("allow=%s" % allow)
    return 0


if __name__ == "__main__":
    sys.exit(main())
