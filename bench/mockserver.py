"""The test suite's Mailgun-compatible mock provider, run alone for the benchmark, with counters.

Every POST is parsed exactly as in tests/mockprovider.py (anymail's real Mailgun backend talks to it);
this wrapper adds `GET /stats` (requests, accepted recipients, one (time, recipients) pair per accepted
batch) and drops the per-recipient entries once counted, so that a million recipients cost no memory.
It exits by itself after --max-seconds.

    python -m bench.mockserver --port 8025 --max-seconds 900
"""

import argparse
import json
import threading

from tests.mockprovider import MockProvider


class CountingProvider(MockProvider):
    def __init__(self, **kwargs):
        super().__init__(keep_bodies=False, **kwargs)
        self.total = 0
        self.batches = []  # (accepted at, recipients)
        provider = self

        class Handler(self.server.RequestHandlerClass):
            def do_GET(self):
                payload = json.dumps(provider.stats()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server.RequestHandlerClass = Handler

    def accept(self, fields, message_id):
        super().accept(fields, message_id)
        with self.lock:
            count = len(fields.get("to", []))
            self.total += count
            self.batches.append((self.last_accept_at, count))
            self.accepted.clear()

    def stats(self):
        with self.lock:
            return {
                "requests": self.requests,
                "accepted": self.total,
                "first_accept_at": self.first_accept_at,
                "last_accept_at": self.last_accept_at,
                "batches": list(self.batches),
            }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()
    provider = CountingProvider(port=args.port)
    # Bounded life: the benchmark stops it, and if the benchmark dies it stops by itself.
    threading.Timer(args.max_seconds, provider.server.shutdown).start()
    print(f"mock provider on {provider.api_url}", flush=True)
    provider.server.serve_forever()
    provider.server.server_close()


if __name__ == "__main__":
    main()
