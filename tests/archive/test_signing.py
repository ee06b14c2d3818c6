"""Signed manifests: an attacker who re-hashes the whole chain without the key is still caught."""

from __future__ import annotations

from pathlib import Path

from opsverify.archive import verify
from tests.archive.helpers import build, entries, rechain, write_entries

KEY = b"correct horse battery staple"


def test_signed_archive_verifies_with_its_key(tmp_path: Path) -> None:
    """Entries signed with a key verify with that key and leave nothing to note."""
    build(tmp_path, 3, key=KEY)
    result = verify(tmp_path, KEY)
    assert result.ok
    assert result.notes == []


def test_without_the_key_the_result_says_signatures_were_not_checked(tmp_path: Path) -> None:
    """Verifying signed entries without the key passes, and says the signatures went unchecked."""
    build(tmp_path, 3, key=KEY)
    result = verify(tmp_path)
    assert result.ok
    assert result.notes == ["signatures were not checked: 3 entries signed, but no key was given "
                            "(set OPSV_ARCHIVE_KEY)"]


def test_a_rewritten_chain_passes_the_hashes_but_not_the_hmac(tmp_path: Path) -> None:
    """An edit re-hashed through the rest of the chain fools the hashes but not the signatures."""
    build(tmp_path, 4, key=KEY)
    chain = entries(tmp_path)
    chain[1]["summary"]["failed"] = 0
    rechain(chain, 1)
    write_entries(tmp_path, chain)
    assert verify(tmp_path).ok  # hashes alone cannot tell: this is what the key is for
    result = verify(tmp_path, KEY)
    assert result.first_bad_seq == 2
    assert result.problems == [
        f"entry {e['seq']} ({e['run']}): the signature (hmac) does not match: the entry was "
        "altered by someone without the key"
        for e in chain[1:]
    ]


def test_stripped_signatures_are_caught_when_a_key_is_given(tmp_path: Path) -> None:
    """Removing every hmac and re-hashing does not pass as unsigned when a key is given."""
    build(tmp_path, 2, key=KEY)
    chain = entries(tmp_path)
    for entry in chain:
        del entry["hmac"]
    chain[1]["summary"]["failed"] = 0
    rechain(chain, 0)
    write_entries(tmp_path, chain)
    result = verify(tmp_path, KEY)
    assert result.first_bad_seq == 1
    assert len(result.problems) == 2
    assert all("is not signed (no hmac), but a key was given" in p for p in result.problems)


def test_a_wrong_key_fails_with_one_clear_problem(tmp_path: Path) -> None:
    """A wrong key is one problem saying so, not one per entry."""
    build(tmp_path, 3, key=KEY)
    result = verify(tmp_path, b"not the key")
    assert not result.ok
    assert result.first_bad_seq == 1
    assert result.problems == ["no signature matches the key given (3 signed entries): the key is "
                               "wrong, or every entry was forged"]
