import pytest

from ecoute.classifiers.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ma box ne marche plus depuis trois jours, c'est inadmissible", "fr"),
        ("My flight was cancelled and nobody at the desk can help", "en"),
        ("merci", "fr"),
        ("thanks", "en"),
        ("Hola, mi vuelo fue cancelado y nadie me ayuda con el equipaje", "es"),
        ("😡😡😡", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
