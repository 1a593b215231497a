#!/usr/bin/env python3
"""A webhook receiver for tests: records every POST it gets as one JSON line.

  webhook_receiver.py PORT OUT_FILE

Paths choose the behaviour: /ok answers 200; /hang never answers (it sleeps 120 s);
/flaky answers 500 to its first two requests and 200 afterwards. Each line of OUT_FILE is
{"path", "authorization", "content_type", "body"} with the body parsed as JSON.
"""
import http.server
import json
import sys
import threading
import time

PORT, OUT = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
flaky_seen = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/hang":
            time.sleep(120)
            return
        status = 200
        with lock:
            if self.path == "/flaky":
                flaky_seen[0] += 1
                if flaky_seen[0] <= 2:
                    status = 500
            with open(OUT, "a") as out:
                out.write(json.dumps({"path": self.path, "status": status,
                                      "authorization": self.headers.get("Authorization"),
                                      "content_type": self.headers.get("Content-Type"),
                                      "body": json.loads(body or b"null")}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
