"""X-Hub-Signature verification and the URL token comparison."""

from __future__ import annotations

import pytest

from jira_port.live.auth import compute_signature, parse_signature, verify_signature, verify_token

ATLASSIAN_SECRET = b"It's a Secret to Everybody"
ATLASSIAN_BODY = b"Hello World!"
ATLASSIAN_SIGNATURE = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"


def test_atlassian_test_vector() -> None:
    assert compute_signature(ATLASSIAN_SECRET, ATLASSIAN_BODY) == ATLASSIAN_SIGNATURE
    assert compute_signature(ATLASSIAN_SECRET.decode(), ATLASSIAN_BODY) == ATLASSIAN_SIGNATURE
    assert verify_signature(ATLASSIAN_BODY, ATLASSIAN_SIGNATURE, [ATLASSIAN_SECRET])


@pytest.mark.parametrize(
    "header",
    [
        ATLASSIAN_SIGNATURE.upper().replace("SHA256=", "sha256="),  # upper-case hex
        " " + ATLASSIAN_SIGNATURE + " ",
        "SHA256=" + ATLASSIAN_SIGNATURE.split("=", 1)[1],
    ],
)
def test_header_variants_that_still_verify(header: str) -> None:
    assert verify_signature(ATLASSIAN_BODY, header, [ATLASSIAN_SECRET])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9",  # no method
        "sha1=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9",  # another method
        "sha256=" + "0" * 64,
        ATLASSIAN_SIGNATURE + "00",
        "sha256=ä4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9",  # non-ASCII
    ],
)
def test_wrong_or_malformed_signatures_fail(header: str | None) -> None:
    assert not verify_signature(ATLASSIAN_BODY, header, [ATLASSIAN_SECRET])


def test_signature_covers_exact_bytes() -> None:
    # Given a JSON body signed as sent
    raw = b'{"a": 1, "b": "\xc3\xa4"}'
    header = compute_signature(b"k", raw)
    # Then re-serialised JSON (same data, other bytes) does not verify
    assert verify_signature(raw, header, [b"k"])
    assert not verify_signature(b'{"a":1,"b":"\\u00e4"}', header, [b"k"])


def test_any_of_several_secrets_and_never_an_empty_one() -> None:
    header = compute_signature(b"old", ATLASSIAN_BODY)
    assert verify_signature(ATLASSIAN_BODY, header, [b"new", b"old"])
    empty = compute_signature(b"", ATLASSIAN_BODY)
    assert not verify_signature(ATLASSIAN_BODY, empty, [b""])
    assert not verify_signature(ATLASSIAN_BODY, header, [])


def test_parse_signature() -> None:
    assert parse_signature("SHA256=ABC") == ("sha256", b"abc")
    assert parse_signature("nothing") is None


def test_verify_token() -> None:
    assert verify_token("t0ken", b"t0ken")
    assert not verify_token("t0ken", b"t0ken2")
    assert not verify_token(None, b"t0ken")
    assert not verify_token("", b"")
    assert not verify_token("x", None)
    assert not verify_token("tökén", b"t0ken")
