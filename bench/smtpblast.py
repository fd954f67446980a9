"""The SMTP sink's own ceiling: one message sent as fast as smtplib can, over 1 or more connections.

    python -m bench.smtpblast --port 2525 --messages 5000 --connections 4 --file message.eml

Prints {"messages": M, "seconds": S, "per_second": R} as JSON. Each connection is its own process, so
that the client's GIL is not what is measured.
"""

import argparse
import json
import multiprocessing
import smtplib
import time


def blast(port, count, message, ready, go):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        ready.release()
        go.wait(30)
        for i in range(count):
            smtp.sendmail("pressroom@bench.example", [f"blast{i}@bench.example"], message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--file", required=True)
    args = parser.parse_args()
    with open(args.file, "rb") as source:
        message = source.read()
    per_connection = args.messages // args.connections
    ready, go = multiprocessing.Semaphore(0), multiprocessing.Event()
    workers = [
        multiprocessing.Process(target=blast, args=(args.port, per_connection, message, ready, go))
        for _ in range(args.connections)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire(timeout=30)
    started = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join(300)
    seconds = time.perf_counter() - started
    total = per_connection * args.connections
    print(json.dumps({"messages": total, "seconds": round(seconds, 3), "per_second": round(total / seconds)}))


if __name__ == "__main__":
    main()
