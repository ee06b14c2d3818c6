"""Values that passed validation and failed (or did harm) only at run time are now line/key errors:
URL schemes per kind of item, control characters, absurd durations, environment names, writes in production."""

from __future__ import annotations

import pytest

from tests.spec.helpers import at, ok, one

WEB = "is not an http:// or https:// URL"


def endpoint(url: str, extra: str = "", top: str = "") -> str:
    """A file with one endpoint: `top` lines after `environment: x`, `extra` lines in the item."""
    return f"environment: x\n{top}endpoints:\n  - name: e\n    url: {url!r}\n{extra}"


@pytest.mark.parametrize(("url", "said"), [
    ("file:///etc/passwd", "it starts with file:"),
    ("gopher://127.0.0.1:70/1", "it starts with gopher:"),
    ("javascript:alert(1)", "it starts with javascript:"),
    ("127.0.0.1:8080/health", "it has no scheme"),
    ("/health", "it has no scheme"),
    ("https:///health", "it names no host"),
])
def test_an_endpoint_is_http_or_https_only(url: str, said: str) -> None:
    """The review's cases 19-21: accepted, then an error at run time and an archived run."""
    at(one(endpoint(url)), 4, "endpoints[0].url", f"{WEB}: {said}")


@pytest.mark.parametrize(("section", "item", "key", "words"), [
    ("pages", "{name: p, url: 'file:///etc/passwd'}", "url", WEB),
    ("metrics", "{name: m, prometheus: 'gopher://h:70/', query: up, max: 1}", "prometheus", WEB),
    ("metrics", "{name: m, http: 'ftp://h/x.json', json_path: a, max: 1}", "http", WEB),
    ("databases", "{name: d, url: 'http://db.internal/app'}", "url",
     "is not a SQLAlchemy URL (postgresql://, mysql://, mariadb://, sqlite://, mssql:// or oracle://, with +driver"),
    ("caches", "{name: c, url: 'http://cache.internal:6379'}", "url",
     "is not a redis://, rediss://, unix:// or memcached:// URL: it starts with http:"),
    ("smtp", "{name: s, host: 'smtp://mail.example.com'}", "host", "write the host alone, without a scheme"),
    ("tls", "{name: t, host: 'app.example.com/x'}", "host", "is not a host name or address"),
    ("backups", "{name: b, path: 'ftp://h/db-*.gz', max_age: 26h}", "path", "is not a path or an s3:// URL"),
    ("notify", "{name: n, webhook: 'file:///etc/passwd'}", "webhook", f"{WEB}: it starts with file:"),
])
def test_each_kind_of_item_has_its_own_schemes(section: str, item: str, key: str, words: str) -> None:
    at(one(f"environment: x\n{section}:\n  - {item}\n"), 3, f"{section}[0].{key}", words)


def test_restore_drills_restore_into_sql_servers_only() -> None:
    text = ("environment: x\nbackups:\n  - name: b\n    path: /b/*.gz\n    max_age: 26h\n"
            "    restore: {into: 'mssql+pymssql://sa@scratch/master'}\n")
    at(one(text), 6, "backups[0].restore.into", "postgresql://, mysql://, mariadb:// or sqlite://")


def test_the_schemes_each_kind_needs_are_accepted() -> None:
    env = ok("""\
        environment: x
        endpoints: [{name: e, url: 'HTTPS://app.example.com/health'}]
        databases:
          - {name: pg, url: 'postgresql+psycopg://u:p@db/app'}
          - {name: lite, url: 'sqlite:////var/lib/app.db'}
        caches: [{name: c, url: 'rediss://cache:6380/0'}, {name: s, url: 'unix:///run/redis.sock'}]
        smtp: [{name: s, host: 'mail.example.com'}, {name: v6, host: '::1'}]
        backups: [{name: b, path: 's3://bucket/db/*.dump', max_age: 26h}]
        notify: [{name: n, webhook: 'https://hooks.example/T1/B2/x'}]
        """)
    assert [d.name for d in env.databases] == ["pg", "lite"] and env.smtp[1].host == "::1"


def test_a_webhook_refused_is_not_shown() -> None:
    """The whole webhook is a secret: the message names its scheme only."""
    problem = one("environment: x\nnotify: [{name: n, webhook: 'hooks.example/T1/B2/s3cret-hook'}]\n")
    assert "it has no scheme" in problem.message and "s3cret" not in str(problem)


@pytest.mark.parametrize("value", ["abc\r\nX-Injected: 1", "abc\nx", "a\x00b"])
def test_a_header_value_is_one_line(value: str) -> None:
    """The review's case 23: CRLF in a header (from a variable) reached the request."""
    problem = one(endpoint("https://app/h", "    headers: {X-Trace: '${TRACE}'}\n"), {"TRACE": value})
    at(problem, 5, "endpoints[0].headers", "the value of header X-Trace contains a control character")
    assert "abc" not in problem.message


def test_a_secret_header_with_a_line_break_is_refused_without_showing_it() -> None:
    problem = one(endpoint("https://app/h", "    headers: {Authorization: 'Bearer ${TOKEN}'}\n"),
                  {"TOKEN": "tok-3141592653\r\nX-Evil: 1"})
    assert "(CR at character 22)" in problem.message and "3141592653" not in str(problem)


def test_a_header_name_is_a_token() -> None:
    at(one(endpoint("https://app/h", "    headers: {'X Trace': a}\n")), 5, "endpoints[0].headers",
       "'X Trace' is not a header name")


def test_a_url_is_one_line() -> None:
    """The review's case 22: a URL with line breaks was requested as /%0Aendpoints... and passed."""
    problem = one(endpoint("${URL}"), {"URL": "http://127.0.0.1:18999/\nendpoints: []\nfoo: [1"})
    at(problem, 4, "endpoints[0].url", "the URL contains a control character (LF at character 24)")


@pytest.mark.parametrize(("value", "words"), [
    (".inf", "inf is longer than 100 years"),
    ("99999999999999999999999w", "'99999999999999999999999w' is longer than 100 years"),
    (".nan", "nan is not a duration"),
    ("25h", "25h is longer than 24h, the longest timeout"),
])
def test_a_timeout_has_a_sane_maximum(value: str, words: str) -> None:
    """The review's case 34: accepted, then `timestamp out of range for platform time_t` in every check."""
    at(one(f"environment: x\ndefaults: {{timeout: {value}}}\n"), 2, "defaults.timeout", words)
    at(one(endpoint("https://app/h", f"    timeout: {value}\n")), 5, "endpoints[0].timeout", words)


def test_every_duration_has_a_maximum() -> None:
    at(one("environment: x\nbackups: [{name: b, path: /b/*, max_age: 999999999999d}]\n"), 2,
       "backups[0].max_age", "longer than 100 years")
    assert ok("environment: x\ndefaults: {timeout: 24h}\n").defaults.timeout == 86400


def test_max_time_of_zero_is_refused_like_a_timeout_of_zero() -> None:
    at(one(endpoint("https://app/h", "    expect: {max_time: 0ms}\n")), 5, "endpoints[0].expect.max_time",
       "must be more than 0, got '0ms'")


@pytest.mark.parametrize(("name", "words"), [
    (".", "'.' cannot name a folder in the archive"),
    ("..", "'..' cannot name a folder in the archive"),
    ("a/b", "'a/b' cannot name a folder"),
    ("x" * 300, "is 300 characters long; it names a folder in the archive: at most 64"),
])
def test_the_environment_name_is_a_folder_name(name: str, words: str) -> None:
    """The review's cases 30-31: valid for check-env, then an INTERNALERROR when the run made its folder."""
    at(one(f"environment: '{name}'\n"), 1, "environment", words)


def test_a_writing_method_in_production_must_say_it_writes_nothing() -> None:
    """The review's group 5 #13: DELETE and POST were sent every run (and sla.samples times)."""
    at(one(endpoint("https://app/h", "    method: DELETE\n", top="production: true\n")), 6, "endpoints[0].method",
       "DELETE may write, and the environment has production: true", "writes: false")


@pytest.mark.parametrize("method", ["post", "PUT", "PATCH"])
def test_a_request_said_to_write_nothing_is_accepted_in_production(method: str) -> None:
    env = ok(endpoint("https://app/graphql", f"    method: {method}\n    writes: false\n", top="production: true\n"))
    assert env.endpoints[0].method == method.upper() and not env.endpoints[0].may_write


def test_a_request_said_to_write_is_refused_in_production_only() -> None:
    item = "    method: POST\n    writes: true\n"
    at(one(endpoint("https://app/h", item, top="production: true\n")), 7, "endpoints[0].writes", "this request writes")
    assert ok(endpoint("https://app/h", item)).endpoints[0].may_write


def test_a_method_is_one_of_http_s_own() -> None:
    at(one(endpoint("https://app/h", "    method: PURGE\n")), 5, "endpoints[0].method",
       "must be one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE")


def test_a_refused_url_is_not_repeated() -> None:
    """Only the scheme is named: the URL may carry a password or a token."""
    problem = one(endpoint("gopher://u:${PW}@h/?token=t0ken-42"), {"PW": "pa55word-x"})
    assert problem.message == f"{WEB}: it starts with gopher:"
