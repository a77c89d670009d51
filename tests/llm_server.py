"""A real OpenAI-compatible chat-completions server on 127.0.0.1, shared by the LLM tests."""

from __future__ import annotations

import http.server
import json
import threading
import time


def chat_answer(text: str) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 answering chat completions from a script.

    Each scripted reply is (status, body, headers, delay); when the script is used up it answers
    200 with "Label N" (N counting answers), or with ``default`` when set: a text, or a function
    of the request body returning one; after ``delay`` seconds. ``arrivals`` holds when each
    request came (``time.monotonic()``).
    """

    def __init__(self, script=(), default=None, delay=0.0):
        self.script = list(script)
        self.default = default
        self.delay = delay
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server.lock:
                    server.arrivals.append(time.monotonic())
                    server.requests.append(body)
                    server.headers.append({k.title(): v for k, v in self.headers.items()})
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    n = len(server.requests)
                    reply = server.script.pop(0) if server.script else None
                try:
                    if reply is None:
                        default = server.default(body) if callable(server.default) else server.default
                        text = default if default is not None else f"Label {n}"
                        reply = (200, chat_answer(text), {}, server.delay)
                    status, payload, headers, delay = reply
                    time.sleep(delay)
                    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
