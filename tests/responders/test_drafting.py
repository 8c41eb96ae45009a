"""Policy and drafting: the right action per case, replies that pass every check in both
languages and on both platforms, within limits, never repeated in a thread."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ecoute.core.domain import Action, Category, Flag
from ecoute.core.settings import ChannelSettings, Settings
from ecoute.responders.drafting import (
    ClassificationView,
    CommentView,
    Drafter,
    TemplateProblem,
    display_author,
    templates_dir,
)
from ecoute.responders.incidents import IncidentView
from ecoute.responders.length import limit_for
from ecoute.responders.variants import VariantPicker

INCIDENT = IncidentView.build(
    id=7,
    title="Panne fibre Lyon",
    summary={
        "fr": "Une panne touche la fibre à Lyon depuis 9 h",
        "en": "An outage has been affecting fibre in Lyon since 9 am",
    },
    status_url="https://status.fibrelle.fr",
    keywords=["panne*", "coupure*", "outage*"],
)
CASES = {
    "fr": {
        Category.COMPLAINT: "Ma box ne marche plus depuis trois jours et personne ne répond.",
        "incident": "Encore une coupure ce matin, c'est insupportable !",
        "answer": "Bonjour, comment je peux suivre la livraison de ma box ?",
        Category.SERVICE_QUESTION: "Vous proposez des forfaits mobiles pour les étudiants ?",
        "praise": "Bravo pour la nouvelle box, super débit !",
    },
    "en": {
        Category.COMPLAINT: "My internet keeps dropping every evening and nobody answers.",
        "incident": "Another outage this morning, seriously?",
        "answer": "How do I reboot my router?",
        Category.SERVICE_QUESTION: "Do you have student discounts on mobile plans?",
        "praise": "Love the new box, thanks!",
    },
}
CATEGORY = {
    "incident": Category.COMPLAINT,
    "answer": Category.SERVICE_QUESTION,
    "praise": Category.GENERAL_OPINION,
}


def comment(text: str, platform: str = "x", **kwargs: str) -> CommentView:
    options = {"author_handle": "marie_d", "author_name": "Marie Dupont", "thread_id": "t1"}
    options.update(kwargs)
    return CommentView(text=text, platform=platform, **options)


@pytest.mark.parametrize("platform", ["x", "facebook"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_case_drafts_a_reply_passing_every_check(
    drafter: Drafter, language: str, platform: str
) -> None:
    expected_case = {
        Category.COMPLAINT: "complaint",
        "incident": "complaint_incident",
        "answer": "service_answer",
        Category.SERVICE_QUESTION: "service_private",
        "praise": "praise",
    }
    for key, text in CASES[language].items():
        outcome = drafter.draft(
            comment(text, platform),
            ClassificationView(CATEGORY.get(key, key), language),
            incidents=[INCIDENT],
        )
        assert outcome.decision.case == expected_case[key], (key, outcome.decision.reason)
        assert outcome.decision.action == Action.REPLY
        assert outcome.text and outcome.findings == [], (key, outcome.text, outcome.findings)
        assert outcome.rendered.length <= limit_for(platform)
        assert "\ue000" not in outcome.text and "Marie" in outcome.text


def test_incident_reply_names_it_and_admits_it(drafter: Drafter) -> None:
    fr = drafter.draft(
        comment(CASES["fr"]["incident"], "facebook"),
        ClassificationView("complaint", "fr"),
        incidents=[INCIDENT],
    )
    assert "Une panne touche la fibre à Lyon depuis 9 h." in fr.text
    assert "status.fibrelle.fr" in fr.text and fr.decision.incident == INCIDENT
    assert any(p in fr.text for p in ("de notre fait", "chez nous", "notre côté"))
    unrelated = drafter.draft(
        comment(CASES["fr"][Category.COMPLAINT]),
        ClassificationView("complaint", "fr"),
        incidents=[INCIDENT],
    )
    assert unrelated.decision.case == "complaint" and unrelated.decision.incident is None


@pytest.mark.parametrize(
    ("category", "flags", "probabilities", "text", "action"),
    [
        ("complaint", [Flag.THREAT], {}, "je vais venir vous casser la gueule", Action.ESCALATE),
        ("insult", [], {}, "bande de nuls", Action.HIDE),
        ("general_opinion", [], {}, "Je regarde le match ce soir", Action.NONE),
        ("general_opinion", [], {"complaint": 0.5}, "Bof, on verra bien", Action.REPLY),
        ("general_opinion", [], {}, "Franchement déçu par la nouvelle offre", Action.REPLY),
    ],
)
def test_policy(
    drafter: Drafter,
    category: str,
    flags: list[Flag],
    probabilities: dict[str, float],
    text: str,
    action: Action,
) -> None:
    outcome = drafter.draft(comment(text), ClassificationView(category, "fr", flags, probabilities))
    assert outcome.decision.action == action, outcome.decision.reason
    if action == Action.REPLY:
        assert outcome.decision.category == Category.COMPLAINT  # when in doubt, option 1
    else:
        assert outcome.text is None


def test_unanswered_language_and_facebook_private_offer(drafter: Drafter) -> None:
    spanish = drafter.draft(comment("No funciona nada"), ClassificationView("complaint", "es"))
    assert spanish.decision.action == Action.NONE and spanish.text is None
    fb = drafter.draft(
        comment(CASES["fr"][Category.COMPLAINT], "facebook"), ClassificationView("complaint", "fr")
    )
    assert fb.decision.offer_private_reply and "Messenger (m.me/Fibrelle)" in fb.text
    x = drafter.draft(
        comment(CASES["fr"][Category.COMPLAINT]), ClassificationView("complaint", "fr")
    )
    assert not x.decision.offer_private_reply


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_identical_replies_in_a_thread(drafter: Drafter, language: str) -> None:
    picker = VariantPicker()
    texts = []
    for index in range(12):
        outcome = drafter.draft(
            comment(CASES[language][Category.COMPLAINT], author_name="", author_handle=""),
            ClassificationView("complaint", language),
            picker=picker,
        )
        texts.append(outcome.text)
        if index < 6:  # six variants: the first six replies are all different
            assert outcome.findings == []
    assert len(set(texts[:6])) == 6
    # Past the variants, the repeat is reported to the CM instead of passing silently.
    assert any(
        f.name == "duplicate_in_thread"
        for f in drafter.draft(
            comment(CASES[language][Category.COMPLAINT], author_name="", author_handle=""),
            ClassificationView("complaint", language),
            picker=picker,
        ).findings
    )


def test_long_names_and_contacts_stay_within_x_limit(settings: Settings) -> None:
    long_contacts = {
        code: ChannelSettings(
            dm="@Fibrelle_Assistance",
            messenger="m.me/FibrelleAssistanceClients",
            email="service.clients@fibrelle.example",
            phone="+33 9 69 32 15 15 (appel non surtaxé depuis un fixe ou un mobile)",
            phone_hours="du lundi au samedi de 8 h à 21 h et le dimanche de 9 h à 18 h",
        )
        for code in ("fr", "en")
    }
    custom = Drafter(settings.model_copy(update={"contacts": long_contacts}))
    for language in ("fr", "en"):
        outcome = custom.draft(
            comment(CASES[language][Category.COMPLAINT], author_name="Maximilienne-Alexandra"),
            ClassificationView("complaint", language),
        )
        assert outcome.rendered.length <= 280 and outcome.findings == [], outcome.text


def test_display_author() -> None:
    assert display_author("Marie Dupont", "md", "x") == "Marie"
    assert display_author("🌸🌸 | fan de chats", "chat_fan", "x") == "@chat_fan"
    assert display_author(None, "chat_fan", "facebook") == ""
    assert display_author("jean-luc", "jl", "facebook") == "Jean-luc"


def test_templates_run_in_a_sandbox_and_edits_are_picked_up(
    settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(templates_dir() / "replies", root / "replies")
    drafter = Drafter(settings, templates_root=root)
    praise = root / "replies" / "fr" / "praise"
    for extra in praise.glob("*.j2"):
        extra.unlink()
    (praise / "1.j2").write_text("Merci {{ author }} ! {{ signature }}")
    outcome = drafter.draft(
        comment("Bravo, super service"), ClassificationView("general_opinion", "fr")
    )
    assert outcome.text == "Merci Marie ! Camille, service client Fibrelle"
    (praise / "1.j2").write_text("{{ author.__class__.__mro__ }}")
    drafter.refresh()
    with pytest.raises(TemplateProblem, match=r"1\.j2"):
        drafter.draft(comment("Bravo, super service"), ClassificationView("general_opinion", "fr"))
