"""The secret registry: a known value is masked however it is encoded, escaped or cut."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from requests.utils import requote_uri

from opsverify.spec.secret import MASK, Secret, remember, remember_login, scrub, shorten


def b64(text: str, *, padded: bool = True) -> str:
    """Standard base64 of the UTF-8 text."""
    encoded = base64.b64encode(text.encode()).decode()
    return encoded if padded else encoded.rstrip("=")


VALUE = 'CANARY"reg/01 é'


@pytest.mark.parametrize("form", [
    VALUE, repr(VALUE)[1:-1], json.dumps(VALUE)[1:-1], html.escape(VALUE), quote(VALUE, safe=""), quote(VALUE),
    quote_plus(VALUE), requote_uri(VALUE), b64(VALUE), b64(VALUE, padded=False),
    base64.urlsafe_b64encode(VALUE.encode()).decode(), base64.b64encode(VALUE.encode("latin-1")).decode(),
], ids=["raw", "repr", "json", "html", "quote", "quote-path", "quote_plus", "requests", "base64", "base64-unpadded",
        "base64-urlsafe", "base64-latin1"])
def test_every_form_of_a_known_value_is_masked(form: str) -> None:
    remember(VALUE)
    assert scrub(f"said: {form}!") in (f"said: {MASK}!", f"said: {MASK}=!", f"said: {MASK}==!")


def test_a_value_with_surrounding_whitespace_is_masked_as_given_trimmed_and_escaped() -> None:
    token = Secret("Bearer CANARYreg-nl02\n")
    assert token.reveal() == "Bearer CANARYreg-nl02"  # what is sent: a header value never ends in a newline
    for text in ("Bearer CANARYreg-nl02\n", repr("Bearer CANARYreg-nl02\n"), "CANARYreg-nl02",
                 quote("Bearer CANARYreg-nl02\n"), b64("Bearer CANARYreg-nl02\n")):
        assert "CANARY" not in scrub(text) and scrub(text).count(MASK) >= 1, text
    assert scrub("Authorization: Bearer CANARYreg-nl02\nHost: x") == "Authorization: ***\nHost: x"


def test_a_login_is_masked_in_basic_auth_and_in_smtp_auth_plain() -> None:
    remember_login("reg-user", "CANARYreg-pw03")
    for text in (b64("reg-user:CANARYreg-pw03"), b64("\0reg-user\0CANARYreg-pw03"), b64("CANARYreg-pw03")):
        assert scrub(f"Authorization: Basic {text}").startswith(f"Authorization: Basic {MASK}"), text


def test_overlapping_secrets_are_masked_as_one() -> None:
    remember("CANARYreg-ab04")
    remember("reg-ab04-CANARYtail")
    assert scrub("x CANARYreg-ab04-CANARYtail y") == f"x {MASK} y"


def test_a_cut_never_shows_part_of_a_secret() -> None:
    secret = "CANARYreg-cut05"
    remember(secret)
    text = "a" * 40 + f"Bearer {secret} " + "b" * 40
    for limit in range(1, len(text) + 2):
        shown = shorten(text, limit)
        assert len(shown) <= limit
        assert not any(secret[:size] in shown for size in range(2, len(secret) + 1)), (limit, shown)
    assert shorten(text, 60) == "a" * 40 + "Bearer *** " + "b" * 8 + "…"


def test_text_cut_before_it_arrives_has_the_beginning_of_a_secret_at_its_end_masked() -> None:
    remember("CANARYreg-tail06")
    assert shorten("body ends: CANARYreg-ta", 100, whole=False) == f"body ends: {MASK}"
    assert shorten("body ends: CANARYreg-ta", 100) == "body ends: CANARYreg-ta"  # whole: not a secret
    assert shorten("nothing here", 100, whole=False) == "nothing here"
    assert shorten("ends: CAN", 100, whole=False) == "ends: CAN"  # shorter than any secret: nothing to mask


def test_short_values_are_not_remembered() -> None:
    remember("abc")
    assert scrub("abc abcd") == "abc abcd"
