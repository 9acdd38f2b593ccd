#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""ocspstub.py - an OCSP responder on 127.0.0.1 for the PIV tests.

usage: ocspstub.py PORTFILE openssl DELAY OPENSSL-OCSP-ARGS...
       ocspstub.py PORTFILE canned FILE
       ocspstub.py PORTFILE stall
       ocspstub.py PORTFILE|- backdated CERT ISSUER-CERT ISSUER-KEY

Listens on 127.0.0.1 only, on a port chosen by the kernel, and writes the
port to PORTFILE once it listens (the readiness signal).  Every request
adds a line to PORTFILE.log, with the time its answer took to make.

openssl: each POSTed request is answered by `openssl ocsp -reqin REQ
  -respout RESP OPENSSL-OCSP-ARGS` (the real responder code of openssl,
  e.g. -index -CA -rsigner -rkey -nmin), sent DELAY seconds later.
  (`openssl ocsp -port` of OpenSSL 3.0 binds every address, so the socket
  is ours and the answers are openssl's.)
canned: every request gets FILE (a DER OCSP response) as it is.
stall: connections are accepted and never answered.
backdated: "good" for CERT, signed by the issuer, echoing the request's
  nonce, but made two days ago and stale since yesterday (thisUpdate and
  nextUpdate in the past), which no `openssl ocsp` option can make
  (python3-cryptography).  With PORTFILE "-": one such answer without a
  nonce on stdout, and exit.
"""
import os
import socket
import subprocess
import sys
import time


def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = c.recv(65536)
        if not chunk:
            return None
        body += chunk
    return body


def backdated(args, body):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    def pem(path):
        with open(path, "rb") as f:
            return f.read()
    cert = x509.load_pem_x509_certificate(pem(args[0]))
    issuer = x509.load_pem_x509_certificate(pem(args[1]))
    key = serialization.load_pem_private_key(pem(args[2]), None)
    now = datetime.datetime.utcnow()
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=cert, issuer=issuer, algorithm=hashes.SHA1(),
        cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=now - datetime.timedelta(days=2),
        next_update=now - datetime.timedelta(days=1),
        revocation_time=None, revocation_reason=None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
    if body is not None:
        for ext in ocsp.load_der_ocsp_request(body).extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                b = b.add_extension(ext.value, critical=False)
    return b.sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)


def answer(mode, args, body, tmp):
    if mode == "backdated":
        return backdated(args, body)
    if mode == "canned":
        with open(args[0], "rb") as f:
            return f.read()
    req = os.path.join(tmp, "req.der")
    resp = os.path.join(tmp, "resp.der")
    with open(req, "wb") as f:
        f.write(body)
    subprocess.run(["openssl", "ocsp", "-reqin", req, "-respout", resp] +
                   args[1:], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    time.sleep(float(args[0]))
    with open(resp, "rb") as f:
        return f.read()


def main():
    portfile, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if portfile == "-":
        sys.stdout.buffer.write(backdated(args, None))
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    held = []
    tmp = portfile + ".d"
    os.makedirs(tmp, exist_ok=True)
    while True:
        c, _ = s.accept()
        if mode == "stall":
            with open(portfile + ".log", "a") as f:
                f.write("request\n")
            held.append(c)
            continue
        try:
            body = read_request(c)
            if body is not None:
                t0 = time.monotonic()
                out = answer(mode, args, body, tmp)
                with open(portfile + ".log", "a") as f:
                    f.write("request %.3f ms\n" %
                            ((time.monotonic() - t0) * 1000))
                c.sendall(b"HTTP/1.0 200 OK\r\n"
                          b"Content-Type: application/ocsp-response\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(out) + out)
        except (OSError, subprocess.CalledProcessError):
            pass
        c.close()


if __name__ == "__main__":
    main()
