import pytest

from ecoute.classifiers.flags import detect_flags
from ecoute.core.domain import Flag


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("vos forfaits de merde", Flag.PROFANITY),
        ("this shit is broken", Flag.PROFANITY),
        ("Tabarnak, encore en panne", Flag.PROFANITY),
        ("I will find you and hurt you", Flag.THREAT),
        ("je vais te retrouver et te défoncer", Flag.THREAT),
        ("j'ai porté plainte, l'UFC Que Choisir est prévenue", Flag.DANGER),
        ("your burger gave me food poisoning", Flag.DANGER),
        ("ma box a pris feu", Flag.DANGER),
        ("I'm calling my lawyer", Flag.DANGER),
        ("je vais contacter la presse", Flag.DANGER),
        ("pourquoi ma box clignote", Flag.QUESTION),
        ("how do I add a bag", Flag.QUESTION),
        ("ça marche ?", Flag.QUESTION),
    ],
)
def test_flag_found(text: str, flag: Flag) -> None:
    assert flag in detect_flags(text)


@pytest.mark.parametrize(
    "text",
    ["Merci pour votre aide", "great flight, thanks", "la télé ne marche pas", "any news?"],
)
def test_no_false_danger_or_profanity(text: str) -> None:
    flags = detect_flags(text)
    assert Flag.DANGER not in flags and Flag.PROFANITY not in flags and Flag.THREAT not in flags


def test_flags_are_sorted_and_unique() -> None:
    flags = detect_flags("putain pourquoi je vais porter plainte ?")
    assert list(flags) == sorted(set(flags))
    assert flags == (Flag.DANGER, Flag.PROFANITY, Flag.QUESTION)


@pytest.mark.parametrize(
    "text",
    [
        "je vais venir avec une batte tout casser",
        "Je vais passer à l'agence et tout casser",
        "je vais brûler votre agence",
        "on va vous faire la peau",
        "je vais casser la gueule au technicien",
        "je vais ramener mon fusil à la boutique",
        "I'll come and burn your store down",
        "I'm going to come down there with a bat",
        "if I see that driver I'll break his legs",
        "next time I see him I'm going to beat his ass",
        "I will find you and hurt you",
    ],
)
def test_threats_of_violence_are_flagged(text: str) -> None:
    assert Flag.THREAT in detect_flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "ce concert va tout casser",
        "je vais passer à la boutique demain",
        "je vais casser ma tirelire pour la nouvelle box",
        "I'm coming to the store tomorrow to pick up my order",
        "this bat is amazing for baseball",
        "the price hike is killing me",
        "my phone battery burned out",
    ],
)
def test_everyday_phrases_are_not_threats(text: str) -> None:
    assert Flag.THREAT not in detect_flags(text)


def test_everyday_tout_le_monde_is_not_the_newspaper() -> None:
    assert Flag.DANGER not in detect_flags("je déconseille à tout le monde, service nul")
    assert Flag.DANGER in detect_flags("j'ai écrit au journal Le Monde pour raconter ça")
