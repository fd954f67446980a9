"""A Mailgun-compatible mock provider on loopback, for tests and benchmarks.

anymail's real Mailgun backend talks to it (ANYMAIL MAILGUN_API_URL pointed here). It parses each
batch like Mailgun does, expands the recipient variables, and logs every accepted recipient with the
headers and bodies that recipient would get. Faults can be scripted: HTTP errors with Retry-After, slow
answers, and a connection dropped after the batch was accepted (the answer is lost).

Run alone: python -m tests.mockprovider --port 8025 --log /tmp/accepted.jsonl
"""

import argparse
import contextlib
import email.parser
import email.policy
import email.utils
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MERGE = re.compile(r"%recipient\.([^%]+)%")


def parse_form(content_type, body):
    """Mailgun's form fields as {name: [values]}, from urlencoded or multipart bodies."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {k: v for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields.setdefault(name, []).append(payload.decode("utf-8", "replace"))
    return fields


class Fault:
    """One scripted answer: an HTTP status (with Retry-After), a delay, or a dropped connection."""

    def __init__(self, status=None, retry_after=None, delay=0.0, drop_after_accept=False, reset=False):
        self.status, self.retry_after, self.delay = status, retry_after, delay
        self.drop_after_accept, self.reset = drop_after_accept, reset


class MockProvider:
    def __init__(self, host="127.0.0.1", port=0, log_path=None, keep_bodies=True):
        self.accepted = []  # one dict per accepted recipient
        self.requests = 0
        self.faults = deque()
        self.lock = threading.Lock()
        self.keep_bodies = keep_bodies
        self.log_file = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115
        self.first_accept_at = None
        self.last_accept_at = None
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with provider.lock:
                    provider.requests += 1
                    fault = provider.faults.popleft() if provider.faults else None
                if fault and fault.reset:
                    self._drop()
                    return
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.status:
                    payload = json.dumps({"message": f"mock error {fault.status}"}).encode()
                    self.send_response(fault.status)
                    if fault.retry_after is not None:
                        self.send_header("Retry-After", str(fault.retry_after))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                message_id = f"<{uuid.uuid4().hex}@mock.provider>"
                provider.accept(parse_form(self.headers.get("Content-Type", ""), body), message_id)
                if fault and fault.drop_after_accept:
                    self._drop()
                    return
                payload = json.dumps({"id": message_id, "message": "Queued. Thank you."}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _drop(self):
                # Close without an answer; SO_LINGER 0 sends a reset, as a crashed peer would.
                self.close_connection = True
                try:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                except OSError:
                    pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.port}/v3"

    def accept(self, fields, message_id):
        variables = json.loads(fields.get("recipient-variables", ["{}"])[0] or "{}")
        headers = {k[2:]: v[0] for k, v in fields.items() if k.startswith("h:")}
        now = time.time()
        entries = []
        for to in fields.get("to", []):
            address = email.utils.parseaddr(to)[1]
            values = variables.get(address, {})

            def expand(text, values=values):
                return MERGE.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)

            entry = {"to": address, "message_id": message_id, "at": now,
                     "headers": {k: expand(v) for k, v in headers.items()}}  # fmt: skip
            if self.keep_bodies:
                entry["subject"] = fields.get("subject", [""])[0]
                entry["text"] = expand(fields.get("text", [""])[0])
                entry["html"] = expand(fields.get("html", [""])[0])
            entries.append(entry)
        with self.lock:
            self.accepted.extend(entries)
            self.first_accept_at = self.first_accept_at or now
            self.last_accept_at = now
            if self.log_file:
                for entry in entries:
                    self.log_file.write(json.dumps({"to": entry["to"], "at": now}) + "\n")

    def fail_next(self, *faults):
        self.faults.extend(faults)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        if self.log_file:
            self.log_file.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def recipients(self):
        with self.lock:
            return [entry["to"] for entry in self.accepted]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    provider = MockProvider(port=args.port, log_path=args.log, keep_bodies=False)
    print(f"mock provider on {provider.api_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        provider.server.serve_forever()


if __name__ == "__main__":
    main()
