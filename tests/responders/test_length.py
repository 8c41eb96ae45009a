"""X's weighted length (twitter-text v3) and the platform limits."""

from __future__ import annotations

import pytest

from ecoute.responders.length import limit_for, weighted_length, x_weighted_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("Désolé, ça arrive ?", 19),  # Latin-1 and Latin Extended weigh 1
        ("l’équipe – « oui »", 18),  # curly quote and en dash are in the light ranges
        ("…", 2),  # the ellipsis is not
        ("日本語", 6),  # CJK weighs 2
        ("😀", 2),
        ("👍🏽", 2),  # emoji with a skin tone: one emoji
        ("👨‍👩‍👧‍👦", 2),  # family joined by zero-width joiners: one emoji
        ("🇫🇷", 2),  # flag: a pair of regional indicators
        ("1️⃣", 2),  # keycap
        ("e\u0301", 1),  # NFC turns e + combining acute into é
    ],
)
def test_characters_are_weighted_as_x_counts_them(text: str, expected: int) -> None:
    assert x_weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/a/very/long/path/that/keeps/going?x=1 now", 4 + 23 + 4),
        ("go to example.com.", 6 + 23 + 1),  # a bare domain is a link too; the dot is not
        ("m.me/Fibrelle", 23),
        ("aide@fibrelle.fr", 16),  # an e-mail address is not a link
        ("fibrelle.example", 16),  # not a top-level domain: counted as text
    ],
)
def test_urls_count_23(text: str, expected: int) -> None:
    assert x_weighted_length(text) == expected


def test_limits_per_platform() -> None:
    assert limit_for("x") == 280 and limit_for("facebook") == 8000
    assert limit_for("facebook", private=True) == 2000
    assert weighted_length("日本語", "facebook") == 3  # Facebook counts characters
    assert x_weighted_length("a" * 280) == 280
