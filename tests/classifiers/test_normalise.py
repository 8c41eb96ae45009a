from ecoute.classifiers.normalise import normalise, strip_accents


def test_urls_mentions_and_hashtags_become_stable_tokens() -> None:
    out = normalise("@Telio voir https://t.co/abc #ServiceNul")
    assert out.startswith("xuser voir xurl service nul")
    assert "http" not in out and "@" not in out


def test_elongations_case_and_accents_are_folded() -> None:
    assert normalise("Trèèèès DÉÇU!!!!").startswith("trees decu!! xshout")
    assert strip_accents("Québec été") == "Quebec ete"


def test_emoji_are_kept_and_tagged_by_mood() -> None:
    out = normalise("merci 😍")
    assert "😍" in out and "xemopos" in out
    assert "xemoneg" in normalise("encore 😡")


def test_lexicon_markers_are_appended() -> None:
    assert normalise("stellar crew").endswith("xpos")
    assert "xprob" in normalise("ma box est en panne")


def test_empty_text() -> None:
    assert normalise("") == ""
