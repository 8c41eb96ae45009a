"""Each check, passing and failing, in French and in English."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoute.core.settings import Settings
from ecoute.responders.checks import check_draft


def names(text: str, settings: Settings, **kwargs: object) -> set[str]:
    options = {"platform": "facebook", "language": "fr", "category": "complaint"}
    options.update(kwargs)
    return {finding.name for finding in check_draft(text, settings=settings, **options)}


GOOD_FR = (
    "Bonjour Marie, je comprends votre agacement et je vous présente mes excuses. "
    "Appelez-nous au 09 69 00 00 00 ou écrivez-nous en message privé à @Fibrelle_Aide. "
    "Camille, service client Fibrelle"
)
GOOD_EN = (
    "Hi Mark, I'm really sorry about this. I'd like to sort it out with you: call us at "
    "+33 9 69 00 00 00 or send a direct message to @Fibrelle_Aide. Camille, Fibrelle care"
)


def test_good_complaint_replies_pass_every_check(settings: Settings) -> None:
    assert names(GOOD_FR, settings) == set()
    assert names(GOOD_EN, settings, language="en") == set()
    assert names(GOOD_FR, settings, platform="x") == set()


def test_length_limit_on_x_and_facebook(settings: Settings) -> None:
    long_fr = GOOD_FR + " Merci de votre patience." * 10
    assert "too_long" in names(long_fr, settings, platform="x")
    assert "too_long" not in names(long_fr, settings, platform="facebook")
    emoji_en = GOOD_EN + " 😀" * 70  # 70 emoji weigh 140 on X
    assert "too_long" in names(emoji_en, settings, language="en", platform="x")
    [finding] = [
        f for f in check_draft(long_fr, platform="x", language="fr") if f.name == "too_long"
    ]
    assert "280" in finding.message_fr and "280" in finding.message_en


@pytest.mark.parametrize(
    ("text", "language"),
    [(GOOD_EN, "fr"), (GOOD_FR, "en")],
)
def test_reply_in_another_language_than_the_comment(
    settings: Settings, text: str, language: str
) -> None:
    assert "wrong_language" in names(text, settings, language=language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (GOOD_FR.replace("Appelez", "C'est contre notre politique, mais appelez"), "fr"),
        (GOOD_FR.replace("Camille", "Ce n’est pas nous qui avons coupé. Camille"), "fr"),
        (GOOD_EN.replace("call us", "that's not our department, but call us"), "en"),
        (GOOD_EN.replace("Camille", "We don't do that. Camille"), "en"),
    ],
)
def test_defensive_phrases_are_found(settings: Settings, text: str, language: str) -> None:
    assert "defensive_phrase" in names(text, settings, language=language)


def test_team_can_add_its_own_defensive_phrases(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "fr.txt").write_text("# nos ajouts\nc'est la faute du transporteur\n")
    custom = settings.model_copy(
        update={"checks": settings.checks.model_copy(update={"defensive_phrases": str(tmp_path)})}
    )
    text = GOOD_FR.replace("Camille", "C'est la faute du transporteur. Camille")
    assert "defensive_phrase" in names(text, custom)
    assert "defensive_phrase" not in names(text, settings)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (GOOD_FR + " Pouvez-vous nous donner votre numéro de commande ?", "fr"),
        (GOOD_FR + " Indiquez votre adresse e-mail en commentaire.", "fr"),
        (GOOD_EN + " Please reply with your order number.", "en"),
        (GOOD_EN + " What's your phone number?", "en"),
        (GOOD_EN + " Don't hesitate to share your email address below.", "en"),
    ],
)
def test_public_requests_for_personal_data(settings: Settings, text: str, language: str) -> None:
    assert "personal_data_request" in names(text, settings, language=language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (GOOD_FR + " Envoyez-nous votre numéro de commande en message privé.", "fr"),
        (GOOD_FR + " Inutile de publier vos coordonnées ici.", "fr"),
        (GOOD_FR + " Merci de ne pas publier votre adresse.", "fr"),
        (GOOD_EN + " Please DM us your order number.", "en"),
        (GOOD_EN + " Please don't post your phone number here.", "en"),
    ],
)
def test_private_or_negated_requests_are_fine(settings: Settings, text: str, language: str) -> None:
    assert "personal_data_request" not in names(text, settings, language=language)


def test_private_message_may_ask_for_a_customer_number(settings: Settings) -> None:
    text = "Bonjour, pouvez-vous m'indiquer votre numéro client ? Je m'en occupe. Camille"
    assert names(text, settings, action="reply", category="service_question") == {
        "personal_data_request"
    }
    assert "personal_data_request" not in names(text, settings, action="private_reply")


def test_someone_elses_details_are_never_published(settings: Settings) -> None:
    assert "personal_data_exposed" in names(GOOD_FR + " Votre ligne 06 12 34 56 78.", settings)
    leaked = GOOD_EN + " We wrote to mark.smith@mail.com."
    assert "personal_data_exposed" in names(leaked, settings, language="en")
    assert "personal_data_exposed" not in names(GOOD_FR, settings)  # our own number


def test_complaint_reply_needs_empathy(settings: Settings) -> None:
    cold_fr = GOOD_FR.replace(
        "je comprends votre agacement et je vous présente mes excuses", "je regarde ça"
    )
    cold_en = GOOD_EN.replace("I'm really sorry about this.", "I will check.")
    assert "empathy_missing" in names(cold_fr, settings)
    assert "empathy_missing" in names(cold_en, settings, language="en")
    assert "empathy_missing" not in names(cold_fr, settings, category="service_question")


def test_complaint_reply_needs_a_concrete_private_channel(settings: Settings) -> None:
    public_fr = "Bonjour, je suis désolé pour ce problème, je regarde ça. Camille"
    vague_en = "Hi, I'm sorry about this, send us a DM and I'll look into it. Camille"
    assert "private_channel_missing" in names(public_fr, settings)
    # A DM without the account to write to is not a contact detail.
    assert "private_channel_missing" in names(vague_en, settings, language="en")
    assert "private_channel_missing" not in names(GOOD_EN, settings, language="en")


def test_je_nous_advice(settings: Settings) -> None:
    nous_fr = GOOD_FR.replace("je comprends", "nous sommes désolés, nous comprenons")
    assert "empathy_in_nous" in names(nous_fr, settings)
    we_en = GOOD_EN.replace("I'm really sorry", "We're sorry")
    assert "empathy_in_nous" in names(we_en, settings, language="en")
    rules_fr = GOOD_FR + " Ce sont mes règles."
    assert "rules_in_je" in names(rules_fr, settings)
    assert "rules_in_je" in names(GOOD_EN + " That is my policy.", settings, language="en")
    impersonal_fr = (
        "Bonjour, toutes nos excuses. Appelez le 09 69 00 00 00 ou écrivez à @Fibrelle_Aide. "
        "Le service client Fibrelle"
    )
    assert "je_missing" in names(impersonal_fr, settings)
    impersonal_en = (
        "Hi, sorry about this. Call +33 9 69 00 00 00 or write to @Fibrelle_Aide. Fibrelle care"
    )
    assert "je_missing" in names(impersonal_en, settings, language="en")
    assert "je_missing" not in names(GOOD_FR, settings)


def test_identical_reply_in_the_thread(settings: Settings) -> None:
    assert "duplicate_in_thread" in names(GOOD_FR, settings, thread_replies=[GOOD_FR.upper()])
    assert "duplicate_in_thread" not in names(GOOD_FR, settings, thread_replies=[GOOD_EN])


def test_empty_reply_and_messages_in_both_languages(settings: Settings) -> None:
    [finding] = check_draft("  ", platform="x", language="fr", settings=settings)
    assert finding.name == "empty" and finding.message("fr") != finding.message("en")
    assert finding.as_dict()["en"] == finding.message_en
