"""HTTP load with wrk: a Lua script that posts the sample questions in turn, run for a fixed time per client count."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def write_script(path: Path, bodies: list[dict]) -> Path:
    """A wrk script cycling through the request bodies (JSON has no "]==]", so the long brackets are safe)."""
    items = ",\n".join(f"  [==[{json.dumps(body)}]==]" for body in bodies)
    path.write_text(
        "local bodies = {\n" + items + "\n}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n"
    )
    return path


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def run(url: str, script: Path, clients: int, seconds: int) -> dict:
    """One wrk run: requests per second, latency p50/p99 and every kind of error it reports."""
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    out = subprocess.run([wrk, "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "5s",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    latency = {pct: _ms(v, u) for pct, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "errors": (sum(map(int, socket_errors.groups())) if socket_errors else 0)
                  + (int(non_2xx.group(1)) if non_2xx else 0),
        "wrk_output": out,
    }
