"""Benchmark: scrub() on a 1 MB text with 50 registered secrets, and on a result-sized text.

    .venv/bin/python benchmarks/scrub.py                 # 1 MB, 50 secrets, 20 repetitions; appends to results/scrub.jsonl
    .venv/bin/python benchmarks/scrub.py --repeat 5 --no-record   # a quick look

The 50 secrets are registered the way an environment file registers them: 20 bearer tokens in
headers, 15 database URLs with passwords (SecretUrl: password, and its login pair), 10 API keys,
5 SMTP logins; each secret is masked in all its forms (trimmed, escaped, percent- and base64-encoded).
The 1 MB text is JSON-like results text with 200 of those forms scattered in it (a results.json
the size of a large run's). Measured in this process, after one warm-up:

  scrub_1mb     scrub() of the 1 MB text (every form searched with str.find, spans merged)
  scrub_result  scrub() of a 1 KB reason-and-evidence text without secrets (what every check result costs)
  raw_only_1mb  the scrub this registry replaced (raw values only, str.replace per value): for comparison

Goal: scrub_1mb < 250 ms and scrub_result < 1 ms. The output must hold no secret in any form.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import random
import statistics
import string
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from opsverify.spec import secret  # noqa: E402 - after the path is set
from opsverify.spec.secret import Secret, SecretUrl, remember_login, scrub  # noqa: E402

RESULTS = HERE / "results" / "scrub.jsonl"
GOAL_1MB_S = 0.25
GOAL_RESULT_S = 0.001


def _word(rng: random.Random, size: int) -> str:
    """Random letters and digits."""
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(size))


def register(rng: random.Random) -> list[str]:
    """Register 50 secrets as an environment file would; the raw values."""
    raw = []
    for _ in range(20):
        token = _word(rng, 32)
        Secret(f"Bearer {token}")
        raw.append(token)
    for i in range(15):
        password = _word(rng, 20) + "/#"[i % 2]
        SecretUrl(f"postgresql+psycopg://app{i}:{password}@db{i}.internal:5432/shop")
        raw.append(password)
    for _ in range(10):
        key = _word(rng, 40)
        Secret(key)
        raw.append(key)
    for i in range(5):
        password = _word(rng, 16)
        Secret(password)
        remember_login(f"mailer{i}@example.com", password)
        raw.append(password)
    return raw


def text_with(rng: random.Random, raw: list[str], size: int, planted: int) -> str:
    """About `size` characters of JSON-like results text with `planted` secret forms in it."""
    forms = [f(v) for v in raw for f in (lambda v: v, lambda v: quote(v, safe=""), lambda v: repr(v + "\n")[1:-1],
                                          lambda v: base64.b64encode(v.encode()).decode())]
    filler = [f'"reason": "GET https://app.example.com/api/{_word(rng, 8)} answered 200 in {rng.randrange(999)}ms", '
              for _ in range(200)]
    parts, length = [], 0
    while length < size:
        piece = rng.choice(filler)
        parts.append(piece)
        length += len(piece)
    for _ in range(planted):
        parts.insert(rng.randrange(len(parts)), f'"body": "Authorization: {rng.choice(forms)}", ')
    return "".join(parts)[:size]


def raw_only(text: str, values: list[str]) -> str:
    """The replaced scrub: each raw value, longest first, replaced where present."""
    for value in sorted(values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    return text


def timed(call, repeat: int) -> list[float]:
    """Wall seconds of `repeat` calls, after one warm-up."""
    call()
    found = []
    for _ in range(repeat):
        begin = time.perf_counter()
        call()
        found.append(time.perf_counter() - begin)
    return found


def git_commit() -> str:
    """The checkout's commit, or 'unknown'."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main() -> int:
    """Register the secrets, build the texts, measure, check the output is clean, print and record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters of the large text (1000000)")
    parser.add_argument("--repeat", type=int, default=20, help="measured runs of each (default 20)")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args()
    rng = random.Random(7)
    raw = register(rng)
    large = text_with(rng, raw, args.size, planted=200)
    small = text_with(rng, raw, 1000, planted=0)
    clean = scrub(large)
    leaked = [v for v in raw if v in clean or quote(v, safe="") in clean]
    if leaked:
        raise RuntimeError(f"{len(leaked)} secrets survived scrub")
    measured = {"scrub_1mb": timed(lambda: scrub(large), args.repeat),
                "scrub_result": timed(lambda: scrub(small), args.repeat * 50),
                "raw_only_1mb": timed(lambda: raw_only(large, raw), args.repeat)}
    medians = {name: statistics.median(values) for name, values in measured.items()}
    verdict = "PASS" if medians["scrub_1mb"] < GOAL_1MB_S and medians["scrub_result"] < GOAL_RESULT_S else "MISS"
    forms = len(secret._forms)
    print(f"{len(raw)} secrets registered as {forms} forms; large text {len(large):,} characters, 200 forms planted")
    for name, values in measured.items():
        print(f"{name:13} median {medians[name] * 1000:8.3f} ms  (min {min(values) * 1000:.3f}, "
              f"max {max(values) * 1000:.3f})")
    print(f"goal scrub_1mb < {GOAL_1MB_S * 1000:.0f} ms and scrub_result < {GOAL_RESULT_S * 1000:.0f} ms: {verdict}")
    if not args.no_record:
        RESULTS.parent.mkdir(exist_ok=True)
        record = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": git_commit(),
                  "machine": platform.node(), "cpus": os.cpu_count(), "load_1m": os.getloadavg()[0],
                  "python": platform.python_version(), "secrets": len(raw), "forms": forms,
                  "large_chars": len(large), "repeat": args.repeat,
                  **{f"{name}_s": values for name, values in measured.items()},
                  **{f"{name}_median_s": value for name, value in medians.items()}, "verdict": verdict}
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
