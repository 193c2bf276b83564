#!/usr/bin/env python3
"""A tiny HTTPS server that requires a client certificate issued by --ca.

It answers every GET with a page that names the client certificate's subject,
and logs each handshake and request to --log, one line each:
    handshake ok subject="CN=...,O=..." version=TLSv1.3 cipher=...
    handshake failed: <reason>
    GET / subject="CN=..."
Listens on 127.0.0.1 only, on a free port that it writes to --port-file once
it is ready, and stops by itself after --lifetime seconds.
"""

import argparse
import html
import os
import http.server
import socketserver
import ssl
import sys
import threading

SHORT = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
         "countryName": "C", "localityName": "L", "stateOrProvinceName": "ST"}


def subject_of(cert):
    if not cert:
        return None
    # RFC 4514 order: the most specific name first, "CN=...,O=...".
    rdns = []
    for rdn in cert.get("subject", ()):
        rdns.append("+".join("%s=%s" % (SHORT.get(k, k), v) for k, v in rdn))
    return ",".join(reversed(rdns))


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def __call__(self, line):
        with self.lock:
            self.f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        subject = subject_of(self.request.getpeercert())
        self.server.log('%s %s subject="%s"' % (self.command, self.path, subject))
        if self.path != "/":
            self.send_error(404)
            return
        body = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                "<title>Tessera client certificate test</title></head>"
                "<body style='font: 20px sans-serif; margin: 2em'>"
                "<h1 style='color: #176117'>AUTHENTICATED with a client certificate</h1>"
                "<p>Client certificate subject:</p>"
                "<p id='subject' style='font: bold 24px monospace'>%s</p>"
                "<p>TLS: %s, %s</p></body></html>" % (
                    html.escape(subject or ""), html.escape(self.request.version() or ""),
                    html.escape((self.request.cipher() or ("",))[0])))
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        # The handshake runs in the request's thread, so that a client that
        # stalls in it cannot block the others.
        request.settimeout(20)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log("handshake failed: %s" % e)
            return
        self.log('handshake ok subject="%s" version=%s cipher=%s' % (
            subject_of(tls.getpeercert()), tls.version(), tls.cipher()[0]))
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        self.log("error: %s" % (sys.exc_info()[1],))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True, help="CA that issues client certificates")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=int, default=300)
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    ctx.load_verify_locations(cafile=a.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED

    srv = Server(("127.0.0.1", 0), Handler)
    srv.ctx = ctx
    srv.log = Log(a.log)
    timer = threading.Timer(a.lifetime, srv.shutdown)
    timer.daemon = True
    timer.start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
