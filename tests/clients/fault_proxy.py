#!/usr/bin/env python3
"""A forwarding HTTP proxy in front of a registry, for tests of Berth's proxy cache.

  fault_proxy.py LISTEN_PORT TARGET_PORT CONTROL_FILE LOG_FILE

Every request is logged ("METHOD PATH") to LOG_FILE and forwarded to 127.0.0.1:TARGET_PORT,
unless CONTROL_FILE holds a status code (429, 500, 503): then that status is answered instead
(with Retry-After for 429), as an upstream that rate-limits or fails would.
"""
import http.client
import http.server
import sys
import threading

LISTEN, TARGET, CONTROL, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
log_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        with log_lock, open(LOG, "a") as log:
            log.write(f"{self.command} {self.path}\n")
        try:
            mode = open(CONTROL).read().strip()
        except OSError:
            mode = ""
        if mode in ("429", "500", "503"):
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}'
            self.send_response(int(mode))
            if mode == "429":
                self.send_header("Retry-After", "60")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", TARGET, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        self.send_response(reply.status)
        for key, value in reply.getheaders():
            if key.lower() not in ("connection", "transfer-encoding"):
                self.send_header(key, value)
        data = reply.read()
        if reply.getheader("Content-Length") is None:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward


http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
