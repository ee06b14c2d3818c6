"""Canary secrets never show in the Environment's repr/str nor in any SpecError message, whatever the URL or item."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import pytest

from opsverify.load.plan import build
from opsverify.spec import SpecError, loads
from opsverify.spec.secret import SecretUrl, scrub
from tests.spec.helpers import ok, one

PASSWORD = "canary-pw-7f3a9"
TOKEN = "canary-token-51bd2"
FILE = f"""\
environment: x
databases:
  - name: main
    url: postgresql://monitor:{PASSWORD}@db.internal:5432/app
    max_latency: {{latency}}
endpoints:
  - name: api
    url: https://app.example.com/health?token={TOKEN}
    headers: {{Authorization: "Bearer {TOKEN}", X-Api-Key: "${{API_KEY}}"}}
    expect: {{max_time: {{max_time}}}}
"""


def file(latency: str = "50ms", max_time: str = "2s") -> str:
    """The canary file, with two values that can be made wrong."""
    return FILE.replace("{latency}", latency).replace("{max_time}", max_time)


def assert_clean(text: str) -> None:
    """No canary in the text."""
    assert PASSWORD not in text and TOKEN not in text and "env-api-key-9c1" not in text, text


def test_repr_and_str_of_the_environment_are_masked() -> None:
    """Passwords in URLs, tokens in query strings and header values print as ***."""
    env = ok(file(), {"API_KEY": "env-api-key-9c1"})
    for text in (repr(env), str(env), repr(env.databases[0]), str(env.endpoints[0].url), repr(env.endpoints[0])):
        assert_clean(text)
    assert env.endpoints[0].headers["Authorization"].reveal() == f"Bearer {TOKEN}"
    assert PASSWORD in env.databases[0].url.reveal()


@pytest.mark.parametrize("latency, max_time", [("fast", "2s"), ("50ms", "soon"), ("fast", "soon")])
def test_spec_errors_next_to_secrets_are_masked(latency: str, max_time: str) -> None:
    """A wrong sibling key is reported without the secret beside it."""
    with pytest.raises(SpecError) as info:
        loads(file(latency, max_time), source="env.yml", environ={"API_KEY": "env-api-key-9c1"})
    assert_clean(str(info.value))
    assert_clean(repr(info.value))
    assert all(PASSWORD not in p.message and TOKEN not in p.message for p in info.value.problems)


def test_secret_in_the_wrong_place_is_not_echoed() -> None:
    """A secret written where a number belongs is scrubbed from the message."""
    text = file().replace("max_latency: 50ms", f"max_latency: 50ms\n    max_blocked: {PASSWORD}")
    with pytest.raises(SpecError) as info:
        loads(text, source="env.yml", environ={"API_KEY": "k"})
    assert "max_blocked" in str(info.value)
    assert_clean(str(info.value))


def test_missing_secret_variable_names_only_the_variable() -> None:
    """The message says which variable, never a value."""
    with pytest.raises(SpecError) as info:
        loads(file(), source="env.yml", environ={})
    assert "API_KEY" in str(info.value) and "endpoints[0].headers.X-Api-Key" in str(info.value)
    assert_clean(str(info.value))


def test_scrub_removes_secret_parts_of_urls_but_keeps_the_rest() -> None:
    """The password (also URL-decoded) and token values go; the host and path may be shown."""
    url = SecretUrl("https://user:pa%40ss-canary@api.example.com/v1?api_key=key-canary-1&page=2")
    text = scrub(f"GET {url.reveal()} failed; login pa@ss-canary refused; see https://api.example.com/v1")
    assert "pa%40ss-canary" not in text and "pa@ss-canary" not in text and "key-canary-1" not in text
    assert "https://api.example.com/v1" in text
    assert str(url) == "https://user:***@api.example.com/v1?api_key=***&page=2"


def test_numeric_passwords_keep_their_digits() -> None:
    """`0000` stays 0000; a decimal number must be quoted rather than silently changed."""
    env = ok("environment: x\nsmtp: [{name: s, host: h, login: {user: 1234, password: 0007}}]\n")
    assert (env.smtp[0].login.user.reveal(), env.smtp[0].login.password.reveal()) == ("1234", "0007")
    problem = one("environment: x\nsmtp: [{name: s, host: h, login: {user: u, password: 1.50}}]\n")
    assert "put it in quotes" in problem.message and "1.5" not in problem.message


@pytest.mark.parametrize("password", ["CANARY/PGSLASH14", "CANARY#PGHASH15", "CANARY?PGQ16", "CANARY%2FPGENC17"])
def test_a_database_password_is_the_one_sqlalchemy_finds(password: str) -> None:
    """SQLAlchemy reads `/`, `#` and `?` as part of the password: so does the mask, and scrub remembers it."""
    url = SecretUrl(f"postgresql+psycopg://postgres:{password}@db.internal:5432/app?sslmode=require")
    assert str(url) == "postgresql+psycopg://postgres:***@db.internal:5432/app?sslmode=require"
    assert "CANARY" not in repr(url)
    assert scrub(f"connected to {url.reveal()} with {password} and {unquote(password)}").count("CANARY") == 0


@pytest.mark.parametrize("url, shown", [
    ("redis://:CANARYREDIS05@cache:6379/0", "redis://:***@cache:6379/0"),
    ("mongodb+srv://app:CANARYMONGO06@cluster0.example.net/shop?authSource=admin",
     "mongodb+srv://app:***@cluster0.example.net/shop?authSource=admin"),
    ("https://api.example.com/x?jwt=CANARYJWT07&code=CANARYCODE08&zipcode=12345&session_id=CANARYSID09",
     "https://api.example.com/x?jwt=***&code=***&zipcode=12345&session_id=***"),
])
def test_secret_query_values_and_passwords_are_masked_with_each_drivers_reading(url: str, shown: str) -> None:
    assert str(SecretUrl(url)) == shown
    assert "CANARY" not in scrub(unquote(url))


def test_basic_auth_in_a_url_is_masked_in_its_base64_form_too() -> None:
    SecretUrl("http://canaryuser:CANARYBASICPW04@127.0.0.1/health")
    header = "Basic " + base64.b64encode(b"canaryuser:CANARYBASICPW04").decode()
    assert scrub(f"Authorization: {header}") == "Authorization: Basic ***="


def test_an_smtp_login_is_masked_in_auth_plain_and_auth_login() -> None:
    env = ok("environment: x\nsmtp: [{name: s, host: h, login: {user: ops@example.com, password: CANARYSMTP19}}]\n")
    assert env.smtp[0].login.password.reveal() == "CANARYSMTP19"
    for sent in (b"\0ops@example.com\0CANARYSMTP19", b"CANARYSMTP19", b"ops@example.com"):
        encoded = base64.b64encode(sent).decode()
        assert scrub(f"535 rejected {encoded}").startswith("535 rejected ***"), sent


def test_a_secret_from_a_variable_is_trimmed_and_never_shown() -> None:
    """A token read from a Kubernetes secret file ends in a newline: it is dropped, and no form of it shows."""
    env = ok("environment: x\nendpoints: [{name: a, url: 'http://h/', headers: {Authorization: '${T}'}}]\n",
             {"T": "Bearer CANARYNL10\n"})
    assert env.endpoints[0].headers["Authorization"].reveal() == "Bearer CANARYNL10"
    said = "Invalid return character or leading space in header: Authorization: 'Bearer CANARYNL10\\n'"
    assert "CANARY" not in scrub(said)


def test_redact_applies_to_every_item_that_sends_headers() -> None:
    env = ok("""environment: x
redact: [X-Custom-Canary]
endpoints: [{name: e, url: 'http://h/', headers: {X-Custom-Canary: CANARYRED11}}]
pages: [{name: p, url: 'http://h/', headers: {X-Custom-Canary: CANARYRED12}}]
metrics: [{name: m, http: 'http://h/m', json_path: v, max: 1, headers: {X-Custom-Canary: CANARYRED13}}]
""")
    for headers in (env.endpoints[0].headers, env.pages[0].headers, env.metrics[0].headers):
        assert str(headers["X-Custom-Canary"]) == "***"
        assert scrub(headers["X-Custom-Canary"].reveal()) == "***"


def test_journey_step_paths_mask_their_secret_query_values() -> None:
    env = ok("""environment: x
loadtests:
  host: http://h
  journeys: [{name: j, steps: [{get: "/api/x?api_key=CANARYLT30&jwt=CANARYLT31&page=2"}]}]
  profiles: {load: {users: 1, duration: 1s}}
""")
    step = env.loadtests.journeys[0].steps[0]
    assert step.path == "/api/x?api_key=CANARYLT30&jwt=CANARYLT31&page=2"  # what is sent
    assert "CANARY" not in repr(env) and "CANARY" not in scrub(f"GET {step.path} failed")
    plan = build(env.loadtests, "x", "load")
    assert plan.journeys[0].steps[0].label == "/api/x?api_key=***&jwt=***&page=2"  # Locust's name= for the row
    assert plan.journeys[0].steps[0].path == step.path
