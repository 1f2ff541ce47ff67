#!/usr/bin/env python3
"""Cold start of the real `bootstrap`: process spawn -> ready (first GET .../invocation/next)
-> first decision returned (its POST .../response), with the peak RSS at that point.

A minimal Lambda Runtime API (the three calls bootstrap makes) is served on 127.0.0.1 by
this script, so the timing holds only the binary's own init and first decision.

usage: cold_start.py BOOTSTRAP POLICY.json API_ID EVENT.json [RUNS]
prints one JSON line with the medians and the individual runs.
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time


def measure(bootstrap, policy, api_id, event, port_holder):
    marks = {}
    done = threading.Event()

    class RuntimeApi(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.endswith("/invocation/next"):
                if "ready" in marks:
                    return  # the next invocation never comes; the process is killed
                marks["ready"] = time.perf_counter()
                body = event.encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:authorizer")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            payload = self.rfile.read(length)
            if "/response" in self.path:
                marks["answered"] = time.perf_counter()
                marks["response"] = json.loads(payload or b"{}")
            elif "/error" in self.path:
                marks["error"] = payload.decode(errors="replace")
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "authorizer",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        "AUTHZ_POLICY_FILE": policy,
        "AUTHZ_API_ID": api_id,
        "AUTHZ_LOG_LEVEL": "error",
    }
    start = time.perf_counter()
    proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done.wait(30)
    rss_kb = None
    try:
        with open(f"/proc/{proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    rss_kb = int(line.split()[1])
    except OSError:
        pass
    proc.kill()
    proc.wait()
    server.shutdown()
    if "answered" not in marks:
        raise SystemExit(f"bootstrap did not answer: {marks.get('error', 'no response')}")
    return {
        "ready_ms": (marks["ready"] - start) * 1000,
        "first_decision_ms": (marks["answered"] - start) * 1000,
        "peak_rss_mb": (rss_kb or 0) / 1024,
        "response": marks["response"],
    }


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    bootstrap, policy, api_id, event_file = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 15
    with open(event_file) as f:
        event = f.read()
    results = [measure(bootstrap, policy, api_id, event, None) for _ in range(runs)]
    summary = {
        "runs": runs,
        "ready_ms_median": round(statistics.median(r["ready_ms"] for r in results), 2),
        "first_decision_ms_median": round(statistics.median(r["first_decision_ms"] for r in results), 2),
        "first_decision_ms_max": round(max(r["first_decision_ms"] for r in results), 2),
        "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in results), 1),
        "decision": results[0]["response"].get("context", {}).get("reason"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
