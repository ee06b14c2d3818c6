"""A real Locust run whose journey steps carry tokens in their query: only the request holds them, no file does."""

from __future__ import annotations

import base64

from opsverify.load.runner import Artifacts, scrub_files
from opsverify.spec.secret import SecretUrl
from tests.load.conftest import environment, run
from tests.support.http_server import Reply, Request, reflected

JOURNEYS = """\
- name: quote
  steps:
    - {get: "/api/quotes?token=CANARYLTQ26"}
    - {post: "/api/x?api_key=CANARYLTQ30&jwt=CANARYLTJWT31&page=2", json: {password: CANARYJOURNEY24}}"""


def _reflect(request: Request) -> Reply:
    """The quotes answer; the other API fails with the request line and headers in its body."""
    if request.path.startswith("/api/quotes"):
        return Reply(200, "ok")
    return Reply(500, reflected(request))


def test_step_tokens_are_sent_but_locust_and_the_suite_name_the_requests_masked(serve, reports):
    server = serve(_reflect)
    host = server.base_url.replace("://", "://ltuser:CANARYLTHOST25@")
    result, ctx = run(environment(host, "{load: {users: 1, spawn_rate: 1, duration: 2s}}", journeys=JOURNEYS),
                      "load", reports)
    assert result.status.value == "failed" and result.reason.startswith("error rate ("), result.reason
    paths = {r.path for r in server.requests}
    assert paths == {"/api/quotes?token=CANARYLTQ26", "/api/x?api_key=CANARYLTQ30&jwt=CANARYLTJWT31&page=2"}
    rows = {r["name"] for r in result.evidence["requests"]}
    assert rows == {"GET /api/quotes?token=***", "POST /api/x?api_key=***&jwt=***&page=2"}
    stats = (ctx.run_dir / "loadtests" / "load-locust_stats.csv").read_text()
    assert "GET,/api/quotes?token=***," in stats
    basic = base64.b64encode(b"ltuser:CANARYLTHOST25").decode()
    files = {p.name: p.read_text(errors="replace") for p in (ctx.run_dir / "loadtests").iterdir()}
    assert len(files) >= 7
    for name, text in {**files, "result": f"{result.reason} {result.evidence}"}.items():
        assert "CANARY" not in text and basic[:-1] not in text, name


def test_a_known_secret_in_a_file_locust_wrote_is_masked_after_the_run(tmp_path):
    SecretUrl("/api/x?token=CANARYFILE40")
    log = tmp_path / "load-locust.log"
    log.write_text("ERROR GET http://h/api/x?token=CANARYFILE40: connection refused\n")
    scrub_files(Artifacts(tmp_path, "load"))
    assert log.read_text() == "ERROR GET http://h/api/x?token=***: connection refused\n"
