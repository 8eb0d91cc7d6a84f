"""Measures the composed gateway's overhead per call: N sequential non-streamed chat
completions against the gateway and N against the upstream it forwards to (the mock), each on
one kept-alive connection, same body; prints the latency figures of both and their difference.

    python3 peers/gateway/overhead.py GATEWAY_URL UPSTREAM_URL [N]   # N defaults to 200

With GATEWAY_KEY set, the gateway's requests carry `Authorization: Bearer $GATEWAY_KEY` (a
gateway with client keys); without, none (a gateway opened with LITELLM_GATEWAY_AUTH=none).

Standard library only (http.client), so the client's own cost is the same small one on both
sides and cancels out of the difference. 10 calls on each side first warm up (not counted).
"""

import http.client
import json
import os
import statistics
import sys
import time
from urllib.parse import urlsplit

BODY = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]})


def measure(url, n, key=None):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    times = []
    for i in range(n + 10):
        start = time.perf_counter()
        connection.request("POST", "/v1/chat/completions", BODY, headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200 or b"You said: Hello" not in body:
            sys.exit(f"{url}: call {i} got {response.status}: {body[:200]!r}")
        if i >= 10:
            times.append(elapsed * 1e6)
    connection.close()
    times.sort()
    return {
        "n": n,
        "median_us": round(statistics.median(times)),
        "p90_us": round(times[int(0.9 * (n - 1))]),
        "mean_us": round(statistics.fmean(times)),
        "min_us": round(times[0]),
        "calls_per_s": round(n / (sum(times) / 1e6)),
    }


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: overhead.py GATEWAY_URL UPSTREAM_URL [N]")
    n = int(sys.argv[3]) if len(sys.argv) == 4 else 200
    gateway = measure(sys.argv[1], n, os.environ.get("GATEWAY_KEY"))
    upstream = measure(sys.argv[2], n)
    print(json.dumps({"gateway": gateway, "upstream": upstream}))
    print(f"overhead per call: median {gateway['median_us'] - upstream['median_us']} us, "
          f"mean {gateway['mean_us'] - upstream['mean_us']} us (n={n})")


if __name__ == "__main__":
    main()
