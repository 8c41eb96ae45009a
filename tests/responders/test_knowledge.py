"""The knowledge base: confident matches answer, vague ones do not, bad files explain."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoute.core.settings import Settings
from ecoute.responders.knowledge import KnowledgeError, load_knowledge


@pytest.mark.parametrize(
    ("text", "language", "entry"),
    [
        (
            "Bonjour, comment je fais pour suivre la livraison de ma box svp ?",
            "fr",
            "suivi-livraison",
        ),
        ("c quoi les horaires du service client ?", "fr", "horaires-service-client"),
        ("comment changer mon mot de passe wifi", "fr", "mot-de-passe-wifi"),
        ("Hey how do I reboot my router?", "en", "restart-box"),
        ("is fibre available in my street?", "en", "eligibility"),
    ],
)
def test_confident_matches(text: str, language: str, entry: str) -> None:
    match = load_knowledge().answer(text, language, 0.5)
    assert match is not None and match.entry.id == entry


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ma box ne marche plus depuis hier, scandaleux", "fr"),
        ("why was my flight cancelled?", "en"),
    ],
)
def test_unrelated_questions_get_no_answer(text: str, language: str) -> None:
    assert load_knowledge().answer(text, language, 0.5) is None


def test_the_cm_file_is_used_and_errors_name_the_entry(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "fr.toml").write_text(
        '[[entry]]\nid = "chat"\nquestions = ["Acceptez-vous les chats en boutique ?"]\n'
        'answer = "Oui, nos boutiques accueillent les animaux."\n'
    )
    (tmp_path / "en.toml").write_text('[[entry]]\nid = "x"\nquestions = ["Hello?"]\n')
    custom = settings.model_copy(
        update={"knowledge": settings.knowledge.model_copy(update={"path": str(tmp_path)})}
    )
    with pytest.raises(KnowledgeError, match=r"en\.toml: entry 1 \(x\): 'answer'"):
        load_knowledge(custom)
    (tmp_path / "en.toml").write_text("")
    match = load_knowledge(custom).answer("vous acceptez les chats dans vos boutiques ?", "fr", 0.5)
    assert match is not None and match.entry.id == "chat"
