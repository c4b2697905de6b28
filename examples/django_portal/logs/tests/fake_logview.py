"""A stand-in for logview's `POST /api/tail` on 127.0.0.1: answers what a test tells it and records what it got."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLogview:
    """`answer(status, body, content_type)` sets the next answers; `requests` holds what arrived."""

    def __init__(self):
        self.requests = []
        self.status, self.body, self.content_type, self.delay_secs = 200, b"{}", "application/json", 0
        self.headers = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
                if fake.delay_secs:
                    time.sleep(fake.delay_secs)
                self.send_response(fake.status)
                self.send_header("Content-Type", fake.content_type)
                for name, value in fake.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, status, body, content_type="application/json", headers=None, delay_secs=0):
        self.status, self.content_type, self.delay_secs = status, content_type, delay_secs
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = headers or {}

    def close(self):
        self.server.shutdown()
        self.server.server_close()
