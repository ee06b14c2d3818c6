"""HTTP(S) endpoints: status, body content, JSON fields, response time, and sampled latency SLAs."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import statistics
from typing import Any

from opsverify.checks import cause, combine, milliseconds, prepare, probe, show_seconds, target_key, timeout_of
from opsverify.checks.deadline import budget
from opsverify.checks.fetch import Answer, Refused, fetch, session
from opsverify.checks.trust import client_context
from opsverify.load.histogram import nearest_rank
from opsverify.result import Result, error, failed, grade, passed, skipped
from opsverify.spec.models.health import Endpoint, Expect, Sla
from opsverify.spec.secret import MASK, mask_url, scrub, shorten
from opsverify.spec.units import Duration, Ratio, format_percent, format_seconds

SENSITIVE_HEADER = re.compile(r"cookie|authori[sz]ation|token|secret|api[-_]?key|session|passw", re.I)
EXCERPT = 300  # characters of a failed answer's body in its evidence
EXCERPT_WINDOW = 64 * 1024  # bytes of the body read for it: scrubbed whole, then cut
MISSING = object()


@prepare(lambda endpoint: client_context(endpoint.ca_file))
@budget(timeout_of)
@probe
def response(endpoint: Endpoint) -> Result:
    """One request, its redirects and body within the timeout: status, `contains`, `json`, max_time/warn_max_time.

    A body longer than `body_limit` is read no further: the check is judged on its first bytes when
    they are enough (the status, or `contains` found in them), else it is an error.
    """
    with session(endpoint.ca_file) as client:
        try:
            answer = fetch(client, endpoint)
        except Refused as refused:
            return failed(str(refused))
    expect, code = endpoint.expect, answer.response.status_code
    answered = f"{endpoint.method} {endpoint.url} answered {code}"
    if answer.redirects:
        answered += f" after redirect to {mask_url(answer.response.url)}"
    if not expect.accepts(code):
        results = [failed(f"{answered}; expected {_expected(expect)}", value=code)]
    elif answer.cut is not None and (expect.json_ or expect.json_age or _lacks(expect, answer.body)):
        return error(f"body larger than {answer.cut} (first {answer.cut} read)", evidence=_evidence(answer))
    else:
        results = [passed(answered, value=code)] + _content(expect, answer.body)
    results.append(grade("response time", answer.elapsed, expect.max_time, expect.warn_max_time,
                         show=show_seconds, unit="s"))
    result = combine(results, **_evidence(answer))
    if not result.ok:
        seen = answer.body[:EXCERPT_WINDOW]
        result = result.with_evidence(body=shorten(seen.decode(errors="replace"), EXCERPT,
                                                   whole=len(seen) == len(answer.body)))
    return result


@prepare(lambda endpoint: client_context(endpoint.ca_file))
@budget(lambda endpoint: timeout_of(endpoint) * (endpoint.sla.samples if endpoint.sla else 1))
@probe
def latency_sla(endpoint: Endpoint) -> Result:
    """`sla.samples` requests one after another on one keep-alive session, graded on p95, p99, error rate.

    Percentiles use the nearest-rank method (the ceil(p/100 * n)-th smallest of the completed
    requests). A sample is an error when it raises or answers a status `expect` does not accept;
    with no error-rate limit set, any error fails. When the first request raises, the target is
    unreachable and the result is `error` (nothing was measured); a first redirect refused fails.
    Sampling stops as soon as a limit is certain to fail whatever the remaining samples show, so a
    slow target costs little. Each request has the timeout; the whole check, the timeout per sample.
    """
    sla = endpoint.sla
    if sla is None:
        return skipped("no sla set")
    times: list[float] = []
    errors: list[str] = []
    error_limit = _error_limit(sla)
    taken = 0
    with session(endpoint.ca_file) as client:
        for index in range(sla.samples):
            taken += 1
            try:
                answer = fetch(client, endpoint)
            except Exception as exc:  # noqa: BLE001 - a failed sample is counted, not raised
                if index == 0:
                    if isinstance(exc, Refused):
                        return failed(str(exc))
                    raise
                errors.append(cause(exc, target_key(endpoint), timeout_of(endpoint)))
                continue
            times.append(answer.elapsed)
            code = answer.response.status_code
            if not endpoint.expect.accepts(code):
                errors.append(f"answered {code}; expected {_expected(endpoint.expect)}")
            if _failure_certain(sla, error_limit, times, len(errors)):
                break
    ranked = sorted(times)
    p95, p99 = nearest_rank(ranked, 95), nearest_rank(ranked, 99)
    rate = len(errors) / taken
    return combine([
        grade("p95 latency", p95, sla.p95, sla.warn_p95, show=show_seconds, unit="s"),
        grade("p99 latency", p99, sla.p99, sla.warn_p99, show=show_seconds, unit="s"),
        grade(f"error rate ({len(errors)} of {taken})", rate, error_limit,
              sla.warn_max_error_rate, show=format_percent, unit="ratio"),
    ], samples=taken, planned_samples=sla.samples, min_ms=milliseconds(ranked[0]),
        median_ms=milliseconds(statistics.median(ranked)), p95_ms=milliseconds(p95),
        p99_ms=milliseconds(p99), max_ms=milliseconds(ranked[-1]), errors=len(errors),
        first_error=errors[0] if errors else None)


def _error_limit(sla: Sla) -> Ratio | None:
    """The error-rate limit: the configured one, else none at all (any error fails) unless only a warning is set."""
    if sla.max_error_rate is None and sla.warn_max_error_rate is None:
        return Ratio(0.0)
    return sla.max_error_rate


def _failure_certain(sla: Sla, error_limit: Ratio | None, times: list[float], errors: int) -> bool:
    """Whether a limit fails whatever the remaining samples show, so sampling can stop."""
    for percent, limit in ((95, sla.p95), (99, sla.p99)):
        allowed_over = sla.samples - math.ceil(percent / 100 * sla.samples)
        if limit is not None and sum(t > limit for t in times) > allowed_over:
            return True
    return error_limit is not None and errors > error_limit * sla.samples


def _expected(expect: Expect) -> str:
    """The accepted statuses in words: "200-399", "200 or 204"."""
    if expect.status is None:
        return "200-399"
    codes = expect.status if isinstance(expect.status, tuple) else (expect.status,)
    return " or ".join(str(code) for code in codes)


def _lacks(expect: Expect, body: bytes) -> bool:
    """Whether the `contains` text is expected and not in the body (searched as UTF-8, the body never copied)."""
    return expect.contains is not None and expect.contains.encode() not in body


def _content(expect: Expect, body: bytes) -> list[Result]:
    """What the body lacks (the `contains` text, JSON, expected JSON values) as failures; the age of its JSON
    timestamps (`json_age`)."""
    problems = []
    text = body.decode(errors="replace")
    if _lacks(expect, body):
        problems.append(f"body does not contain {expect.contains!r}")
    keys = [*(expect.json_ or {}), *(expect.json_age or {})]
    if not keys:
        return [failed(problem) for problem in problems]
    try:
        document = json.loads(text)
    except ValueError:
        return [failed(problem) for problem in problems + [f"body is not JSON; expected keys {', '.join(keys)}"]]
    problems += _json_problems(document, expect.json_ or {}, "")
    now = dt.datetime.now(dt.timezone.utc)
    ages = [_json_age(key, lookup(document, key), limit, now) for key, limit in (expect.json_age or {}).items()]
    return [failed(problem) for problem in problems] + ages


def _json_age(key: str, got: Any, limit: Duration, now: dt.datetime) -> Result:
    """A JSON timestamp (ISO 8601, a time without a zone read as UTC; or seconds or milliseconds since the epoch)
    no older than `limit`; missing is an error, unreadable a failure."""
    if got is MISSING or got is None:
        return error(f"JSON key {key} is {'missing' if got is MISSING else 'null'}: the age of the data cannot "
                     "be judged")
    when = _timestamp(got)
    if when is None:
        return failed(f"JSON key {key} is {_short(got)}, not a timestamp: the age of the data cannot be judged")
    age = max(0.0, (now - when).total_seconds())
    said = f"JSON key {key} is {when:%Y-%m-%d %H:%M:%S}Z, {format_seconds(age)} old"
    return grade(f"age of {key}", age, limit, show=show_seconds, unit="s", said=said)


def _timestamp(value: Any) -> dt.datetime | None:
    """An ISO 8601 text or epoch number as an aware UTC datetime, else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value  # milliseconds since the epoch are 13 digits
        try:
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


def _json_problems(document: Any, expected: dict[str, Any], prefix: str) -> list[str]:
    """Each expected key (dotted or nested) that is missing or holds another value."""
    problems = []
    for key, want in expected.items():
        path, got = prefix + key, lookup(document, key)
        if got is MISSING:
            problems.append(f"JSON key {path} is missing")
        elif isinstance(want, dict) and isinstance(got, dict):
            problems += _json_problems(got, want, path + ".")
        elif not _same(got, want):
            problems.append(f"JSON key {path} is {_short(got, want)}; expected {_short(want, got)}")
    return problems


def lookup(document: Any, dotted: str) -> Any:
    """The value at a literal or dotted key ("checks.db", "items.0.id"), else MISSING. In a list, `name=cpu` is the
    first entry whose `name` is cpu, and `*` the first entry that holds the rest of the key
    ("data.groups.*.rules.name=HostCpuAbove80.duration")."""
    if isinstance(document, dict) and dotted in document:
        return document[dotted]
    return _walk(document, dotted.split("."))


def _walk(document: Any, parts: list[str]) -> Any:
    """The value at the key's parts, else MISSING."""
    for at, part in enumerate(parts):
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        elif isinstance(document, list) and part == "*":
            return next((found for entry in document if (found := _walk(entry, parts[at + 1:])) is not MISSING),
                        MISSING)
        elif isinstance(document, list) and "=" in part:
            key, _, value = part.partition("=")
            document = next((entry for entry in document if isinstance(entry, dict) and key in entry
                             and str(entry[key]) == value), MISSING)
            if document is MISSING:
                return MISSING
        else:
            return MISSING
    return document


def _same(got: Any, want: Any) -> bool:
    """Equality that keeps true apart from 1."""
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    return got == want


def _short(value: Any, other: Any = MISSING) -> str:
    """A value's repr, scrubbed of secrets, then cut to 80 characters; a long text compared with another (and
    holding no secret) starts shortly before the two differ."""
    text = repr(value)
    if len(text) > 80 and isinstance(value, str) and isinstance(other, str) and scrub(text) == text:
        same = len(os.path.commonprefix([value, other]))
        if same > 40:
            text = "'…" + repr(value[same - 20:])[1:]
    return shorten(text, 80)


def _evidence(answer: Answer) -> dict[str, Any]:
    """Status, time, headers (sensitive values masked), the redirects followed, how much of the body was read."""
    response = answer.response
    evidence: dict[str, Any] = {
        "status": response.status_code,
        "elapsed_ms": milliseconds(answer.elapsed),
        "headers": {k: MASK if SENSITIVE_HEADER.search(k) else v for k, v in response.headers.items()},
    }
    if answer.redirects:
        evidence["redirects"] = list(answer.redirects)
        evidence["final_url"] = mask_url(response.url)
    if answer.cut is not None:
        evidence["body_read"] = f"first {int(answer.cut)} bytes (the body is longer)"
    return evidence
