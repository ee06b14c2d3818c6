"""The review's canary test as one real run: a canary in every secret-bearing place of one environment file,
targets that reflect what they receive, and no output of the run holding a canary in any form.

Servers: one answers 500 with the request line and headers in its body, one answers 200 JSON echoing
the request in a compared field (also read by an http metric), a Locust target
that reflects some requests, an aiosmtpd relay that rejects AUTH and echoes it, a webhook receiver.
Searched: the terminal of `pytest -vv -l --tb=long -rA`, every file of the archive (report.html,
results.json, junit.xml, index.html, manifest.jsonl, the Locust files) and the webhook bodies.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.plugin.conftest import run_checklist
from tests.services import POSTGRES, need
from tests.support.http_server import HttpServer, Reply, Request, reflected
from tests.support.fixtures import pki  # noqa: F401 - fixture
from tests.support.smtp_server import SmtpServer
from tests.support.tls_server import Pki, server_context

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")  # inside aiosmtpd

ENVIRON = {"ADV_TOKEN_NL": "Bearer CANARYNEWLINE09\n", "ADV_KEY_NL": "CANARYKEYNL10\n",
           "ADV_SMTP_PW": "CANARYSMTPPASS19", "ADV_JSON_AUTH": "Bearer CANARYJSONAUTH28"}
CANARIES = ("CANARYBASICPW04", "CANARYREDIS05", "CANARYQTOKEN06", "CANARYJWT07", "CANARYCODE08",
            "CANARYNEWLINE09", "CANARYKEYNL10", "CANARYCOOKIE11", 'CANARY"QUOTE12', "CANARYREDACT13",
            "CANARY/PGSLASH14", "CANARY#PGHASH15", "CANARYMETRIC16", "CANARYSMTPUSER18", "CANARYSMTPPASS19",
            "CANARYHOOK20", "CANARYHOOK21", "CANARYJOURNEY24", "CANARYLTHOST25", "CANARYLTQ26", "CANARYLTQ30",
            "CANARYLTJWT31", "CANARYJSONAUTH28")
LOGINS = (("canaryuser", "CANARYBASICPW04"), ("ltuser", "CANARYLTHOST25"))
SMTP_LOGIN = ("CANARYSMTPUSER18@example.com", "CANARYSMTPPASS19")
JSON_PAD = "/json?pad=" + "x" * 22  # puts the reflected bearer token across the 80-character cut of a JSON value


def b64(text: str) -> str:
    """Base64 without padding (padded text contains it)."""
    return base64.b64encode(text.encode()).decode().rstrip("=")


def forms() -> dict[str, str]:
    """Every form a canary could take in an output, each with what it is."""
    found = {}
    for canary in CANARIES:
        for how, form in (("raw", canary), ("base64", b64(canary)), ("quoted", quote(canary, safe="")),
                          ("quote_plus", quote_plus(canary)), ("repr", repr(canary)[1:-1]),
                          ("requests-quoted", canary.replace('"', "%22"))):
            found.setdefault(form, f"{how} {canary}")
    for user, password in (*LOGINS, SMTP_LOGIN):
        found[b64(f"{user}:{password}")] = f"base64 {user}:{password}"
        found[b64(f"\0{user}\0{password}")] = f"base64 AUTH PLAIN {user}"
        found[b64(user)] = f"base64 {user}"
    return found


def reflect(request: Request) -> Reply:
    """500 with the request line and its headers in the body, as a debug page might."""
    return Reply(500, reflected(request))


def echo(request: Request) -> Reply:
    """200 JSON with the request echoed in `status` (compared by expect.json, read by the metric)."""
    return Reply(200, {"status": reflected(request)})


def locust_target(request: Request) -> Reply:
    """The load test's target: quotes answer, the other API reflects the request in a 500."""
    return Reply(200, "ok") if request.path.startswith("/api/quotes") else reflect(request)


def environment(path: Path, *, reflector: int, echoer: int, hooks: int, target: int, relay: int, ca_file: Path) -> Path:
    """The environment file with a canary in every secret-bearing place."""
    path.write_text(f"""environment: canaries
defaults: {{timeout: 3s}}
redact: [X-Custom-Canary]
endpoints:
  - name: basic-auth
    url: "http://canaryuser:CANARYBASICPW04@127.0.0.1:{reflector}/health?token=CANARYQTOKEN06&jwt=CANARYJWT07&code=CANARYCODE08"
  - name: newline-headers
    url: http://127.0.0.1:{reflector}/headers
    headers:
      Authorization: "${{ADV_TOKEN_NL}}"
      X-Api-Key: "${{ADV_KEY_NL}}"
      Cookie: "session=CANARYCOOKIE11"
      X-Custom-Canary: CANARYREDACT13
  - name: quoted-token
    url: 'http://127.0.0.1:{reflector}/q?token=CANARY"QUOTE12'
  - name: json-echo
    url: "http://127.0.0.1:{echoer}{JSON_PAD}"
    headers: {{Authorization: "${{ADV_JSON_AUTH}}"}}
    expect: {{json: {{status: ok}}}}
databases:
  - {{name: pg-slash, url: "postgresql+psycopg://postgres:CANARY/PGSLASH14@127.0.0.1:5432/postgres"}}
  - {{name: pg-hash, url: "postgresql+psycopg://postgres:CANARY#PGHASH15@127.0.0.1:5432/postgres"}}
caches:
  - {{name: redis-pw, url: "redis://:CANARYREDIS05@127.0.0.1:6379/0"}}
smtp:
  - name: echo-relay
    host: 127.0.0.1
    port: {relay}
    ca_file: {ca_file}
    login: {{user: {SMTP_LOGIN[0]}, password: "${{ADV_SMTP_PW}}"}}
metrics:
  - name: reflected-header
    http: http://127.0.0.1:{echoer}/metric
    json_path: status
    headers: {{X-Custom-Canary: CANARYMETRIC16}}
    max: 10
notify:
  - {{name: hook, webhook: "http://127.0.0.1:{hooks}/hooks/CANARYHOOK20", test: daily}}
  - {{name: hook-500, webhook: "http://127.0.0.1:{reflector}/hooks/CANARYHOOK21", test: daily}}
  - {{name: mail, email: ops@example.com, smtp: echo-relay, test: daily}}
loadtests:
  host: http://ltuser:CANARYLTHOST25@127.0.0.1:{target}
  journeys:
    - name: quote
      steps:
        - get: /api/quotes?token=CANARYLTQ26
        - post: /api/x?api_key=CANARYLTQ30&jwt=CANARYLTJWT31
          json: {{password: CANARYJOURNEY24}}
  profiles: {{load: {{users: 1, spawn_rate: 1, duration: 3s}}}}
  sla: {{max_error_rate: 1%}}
""")
    return path


def test_no_canary_reaches_any_output_in_any_form(tmp_path: Path, reports: Path, pki: Pki) -> None:
    need("PostgreSQL", POSTGRES)
    relay_tls = server_context(pki.issue("relay"))
    with HttpServer(fallback=reflect) as reflector, HttpServer(fallback=echo) as echoer, \
            HttpServer(fallback=Reply(200, "ok")) as hooks, HttpServer(fallback=locust_target) as target, \
            SmtpServer(starttls=relay_tls, echo_auth=True) as relay:
        env = environment(tmp_path / "canaries.yml", reflector=reflector.port, echoer=echoer.port, hooks=hooks.port,
                          target=target.port, relay=relay.port, ca_file=pki.ca_file)
        run = run_checklist(reports, f"--env={env}", "-vv", "-l", "--tb=long", "-rA", env=ENVIRON)
        sent = [r for server in (reflector, echoer, target) for r in server.requests]
        hook_bodies = [r.body.decode() for r in hooks.requests + reflector.requests if "/hooks/" in r.path]

    assert run.code == 1, run.out
    # the canaries really went out: the targets received them, and reflected them back
    received = " ".join(f"{r.path} {r.headers} {r.body!r}" for r in sent)
    for canary in ("CANARYBASICPW04", "CANARYNEWLINE09", "CANARYKEYNL10", "CANARYJSONAUTH28", "CANARYMETRIC16",
                   "CANARYLTQ26", "CANARYLTQ30", "CANARYJOURNEY24", "CANARY%22QUOTE12"):
        assert canary in received or b64(f"canaryuser:{canary}") in received, canary
    assert len(hook_bodies) >= 3, run.out  # test messages to both webhooks, and the failure message

    outputs = {"terminal": run.out, **{f"webhook body {i}": body for i, body in enumerate(hook_bodies)}}
    outputs.update({str(p.relative_to(reports)): p.read_text(errors="replace") for p in reports.rglob("*")
                    if p.is_file()})
    names = set(outputs)
    for wanted in ("report.html", "results.json", "junit.xml", "index.html", "manifest.jsonl", "-locust_stats.csv",
                   "-locust_failures.csv", "-locust.html", "-locust.json", "-locust.log"):
        assert any(n.endswith(wanted) for n in names), f"no {wanted} among {sorted(names)}"
    leaks = [f"{where}: {what}" for where, text in outputs.items() for form, what in forms().items() if form in text]
    leaks += [f"{where}: {m.group(0)}" for where, text in outputs.items() for m in re.finditer(r"CANARY\S{0,12}", text)]
    assert leaks == [], "\n".join(leaks)

    # and each place was judged, its reason readable with the secret masked
    record = run.record
    checks = {c["nodeid"].split("::")[-1]: c for c in record["checks"]}
    assert checks["test_database_connects[pg-slash]"]["outcome"] == "passed"
    assert "postgresql+psycopg://postgres:***@127.0.0.1:5432/postgres" in checks["test_database_connects[pg-slash]"]["reason"]
    assert "JSON key status is 'GET /json?pad=" in checks["test_endpoint_responds[json-echo]"]["reason"]
    assert "AUTH rejected for user ***: 535" in checks["test_smtp_relay_accepts[echo-relay]"]["reason"]
    assert checks["test_endpoint_responds[newline-headers]"]["outcome"] == "failed"  # sent (trimmed), answered 500
    assert "GET,/api/quotes?token=***," in next(p for n, p in outputs.items() if n.endswith("-locust_stats.csv"))
    assert json.loads(hook_bodies[0])["text"].startswith("opsverify: ")
