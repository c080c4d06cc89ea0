#!/usr/bin/env python3
"""Joins per second with `serve --on-join` off and on, and the delivery lag, measured in one run.

    python3 scripts/on-join-bench.py [--bin .build/release] [--joins 2000] [--clients 8] [--ledger sqlite|postgres://…]

One site, one unlimited invitation. For each mode a fresh gateway (and, on SQLite, a fresh
ledger) takes --joins new members: GET /verify with a distinct X-Forwarded-User each, from
--clients threads on keep-alive connections, so every request is one committed redemption.
With --on-join the events go to a receiver in this process (a ThreadingHTTPServer on loopback)
that checks each signature and notes the time each event arrived. The lag of an event is its
arrival minus the moment its /verify answer reached the client (the commit happened before
that answer, so the true commit-to-receiver lag is at most a loopback round trip more).
Everything runs on this machine: client, gateway, receiver and database share its cores.
"""
import argparse, hashlib, re, hmac, http.client, json, os, socket, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, process):
    for _ in range(400):
        if process.poll() is not None:
            sys.exit(f"tessera-verify serve exited with {process.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("the gateway did not start")


def drive(port, token, prefix, joins, clients):
    """Sends `joins` redemptions from `clients` threads; returns (seconds, {subject: answered_at})."""
    answered = {}
    lock = threading.Lock()
    counter = iter(range(joins))
    failures = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            subject = f"{prefix}-{n}@example.org"
            conn.request("GET", "/verify", headers={"Authorization": "Bearer " + token, "X-Forwarded-User": subject})
            response = conn.getresponse()
            response.read()
            now = time.monotonic()
            if response.status != 200:
                failures.append(response.status)
            with lock:
                answered[subject] = now

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if failures:
        sys.exit(f"{len(failures)} joins refused, e.g. {failures[0]}")
    return elapsed, answered


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--joins", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--ledger", default="sqlite")
    args = parser.parse_args()
    # Absolute: the tools run in the site folder.
    tessera, verify = (os.path.abspath(os.path.join(args.bin, name)) for name in ("tessera", "tessera-verify"))
    site = tempfile.mkdtemp(prefix="tessera-on-join-bench-")
    minted = subprocess.run([tessera, "mint", "--project", "bench", "--role", "viewer", "--json"], cwd=site,
                            capture_output=True, text=True, check=True)
    token = json.loads(minted.stdout.splitlines()[0])["token"]
    secret_path = os.path.join(site, "on-join.secret")
    with open(secret_path, "w") as f:
        f.write("bench-secret-0123456789abcdef\n")
    os.chmod(secret_path, 0o600)
    secret = b"bench-secret-0123456789abcdef"

    arrivals, bad = {}, []
    lock = threading.Lock()

    class Hook(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            now = time.monotonic()
            stamp = self.headers["Tessera-Timestamp"]
            mac = "sha256=" + hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(mac, self.headers["Tessera-Signature"]):
                bad.append(body)
            with lock:
                arrivals.setdefault(json.loads(body)["subject"], now)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    receiver_port = free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", receiver_port), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    results = {}
    for mode in ("off", "on"):
        port = free_port()
        ledger = "sqlite:" + os.path.join(site, f"ledger-{mode}.sqlite") if args.ledger == "sqlite" else args.ledger
        command = [verify, "serve", "--listen", f"127.0.0.1:{port}", "--ledger", ledger, "--identity-header", "X-Forwarded-User",
                   "--log-level", "error"]
        if mode == "on":
            command += ["--on-join", f"http://127.0.0.1:{receiver_port}/hook", "--on-join-secret", secret_path]
        gateway = subprocess.Popen(command, cwd=site, stderr=subprocess.DEVNULL)
        try:
            wait_ready(port, gateway)
            elapsed, answered = drive(port, token, f"{mode}-{os.getpid()}-{time.time_ns()}", args.joins, args.clients)
            results[mode] = args.joins / elapsed
            if mode == "on":
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and len([s for s in answered if s in arrivals]) < len(answered):
                    time.sleep(0.05)
                lags = [(arrivals[s] - t) * 1000 for s, t in answered.items() if s in arrivals]
                missing = len(answered) - len(lags)
                drained = max(arrivals[s] for s in answered if s in arrivals) - min(answered.values())
        finally:
            gateway.terminate()
            gateway.wait()
    print(f"joins/s with --on-join off: {results['off']:.0f}")
    print(f"joins/s with --on-join on:  {results['on']:.0f}  ({results['on'] / results['off'] * 100:.0f}% of off)")
    print(f"delivery lag (answer to receiver), ms: p50 {percentile(lags, 50):.1f}  p99 {percentile(lags, 99):.1f}  max {max(lags):.1f}"
          f"  ({len(lags)} events, {missing} missing, {len(bad)} badly signed; all delivered {drained:.2f} s after the first join)")
    # The ledger's password is never printed.
    shown = re.sub(r"^(postgres(?:ql)?://[^:@/]+):[^@/]*@", r"\1:…@", args.ledger)
    print(f"({args.joins} joins from {args.clients} clients, ledger {shown}, binaries {args.bin}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
