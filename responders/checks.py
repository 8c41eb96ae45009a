"""Checks on a draft, run when it is drafted and again on every edit a CM makes.

Each check encodes one rule of the craft and returns named findings with a message in
French and in English, so the console can show them in the CM's language and the
command line can list their names. An empty list means the draft may be published as it
is; a finding never blocks a person, it tells them what a careful colleague would say.

The function is pure (text in, findings out): the console calls it on every keystroke
pause without touching the database.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ecoute.core.domain import Action, Category
from ecoute.core.settings import ChannelSettings, Settings

from .length import limit_for, weighted_length
from .lexicon import Lexicon, detect_language, load_lexicon
from .text import fold, sentences
from .variants import normalise_reply

ERROR = "error"
ADVICE = "advice"
#: The action of a brand's own post (an incident notice): it speaks as "nous" by nature.
POST = "post"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w/])\+?\d(?:[\s.\-]?\(?\d\)?){8,14}(?![\w/])")
_CLAUSE = re.compile(r"[,;:()]")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a draft: a stable name, how serious it is, and what to do."""

    name: str
    severity: str
    message_fr: str
    message_en: str
    detail: str = ""

    def message(self, language: str) -> str:
        return self.message_fr if language == "fr" else self.message_en

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "severity": self.severity,
            "fr": self.message_fr,
            "en": self.message_en,
            "detail": self.detail,
        }


EMPTY = Finding(
    "empty",
    ERROR,
    "La réponse est vide : écrivez-la ou rejetez le brouillon.",
    "The reply is empty: write it or reject the draft.",
)


@dataclass(frozen=True, slots=True)
class DraftFacts:
    """What the checks need besides the text; built once per platform and language."""

    platform: str
    language: str
    category: str | None = None
    action: str = Action.REPLY
    contacts: ChannelSettings = field(default_factory=ChannelSettings)
    lexicon: Lexicon | None = None
    other_lexicons: tuple[Lexicon, ...] = ()


def check_draft(
    text: str,
    *,
    platform: str,
    language: str,
    category: Category | str | None = None,
    action: Action | str = Action.REPLY,
    settings: Settings | None = None,
    contacts: ChannelSettings | None = None,
    thread_replies: Iterable[str] = (),
) -> list[Finding]:
    """Every check on one draft; `thread_replies` are the other replies in its thread.

    `settings` supplies the brand's contact details for `language` (used to recognise a
    concrete private channel, and our own phone and e-mail among personal data) and the
    team's extra defensive phrases; `contacts` overrides the contact details.
    """
    if contacts is None:
        contacts = settings.contacts.get(language, ChannelSettings()) if settings else None
    languages = settings.brand.languages if settings else ["fr", "en"]
    facts = DraftFacts(
        platform=str(platform),
        language=language,
        category=None if category is None else str(category),
        action=str(action),
        contacts=contacts or ChannelSettings(),
        lexicon=load_lexicon(language, settings),
        other_lexicons=tuple(load_lexicon(code, settings) for code in languages),
    )
    return run_checks(text, facts, thread_replies=thread_replies)


def run_checks(
    text: str, facts: DraftFacts, *, thread_replies: Iterable[str] = ()
) -> list[Finding]:
    """The checks with everything already resolved (the fast path used while drafting)."""
    if not text or not text.strip():
        return [EMPTY]
    findings = check_length(text, facts.platform, private=facts.action == Action.PRIVATE_REPLY)
    findings += content_checks(text, facts)
    findings += check_thread(text, thread_replies)
    return findings


def content_checks(text: str, facts: DraftFacts) -> list[Finding]:
    """The checks that depend only on the words: language, defensive phrases, personal
    data, empathy and private channel, "je"/"nous"."""
    folded = fold(text)
    findings = check_language(folded, facts)
    findings += check_defensive(folded, facts.lexicon)
    if facts.action != Action.PRIVATE_REPLY:
        findings += check_personal_data(text, folded, facts)
    if facts.category == Category.COMPLAINT and facts.action == Action.REPLY:
        findings += check_complaint_reply(folded, facts)
    findings += check_je_nous(folded, facts)
    return findings


def check_length(text: str, platform: str, *, private: bool = False) -> list[Finding]:
    """Within the platform's limit, counted the platform's way (weighted on X)."""
    length = weighted_length(text, platform)
    limit = limit_for(platform, private=private)
    if length <= limit:
        return []
    return [
        Finding(
            "too_long",
            ERROR,
            f"Trop long pour {platform} : {length} sur {limit} ; raccourcissez de "
            f"{length - limit}.",
            f"Too long for {platform}: {length} of {limit}; cut {length - limit}.",
            detail=f"{length}/{limit}",
        )
    ]


def check_language(folded: str, facts: DraftFacts) -> list[Finding]:
    """Written in the comment's language (only reported when the text clearly is not).

    `folded` is the draft already passed through `text.fold`."""
    lexicons = list(facts.other_lexicons)
    if facts.lexicon is not None and facts.lexicon not in lexicons:
        lexicons.append(facts.lexicon)
    detected = detect_language(folded, lexicons, folded=True)
    if detected is None or detected == facts.language:
        return []
    return [
        Finding(
            "wrong_language",
            ERROR,
            f"La réponse semble écrite en « {detected} » alors que le commentaire est en "
            f"« {facts.language} » : répondez dans la langue du client.",
            f"The reply looks written in '{detected}' but the comment is in "
            f"'{facts.language}': answer in the customer's language.",
            detail=detected,
        )
    ]


def check_defensive(folded: str, lexicon: Lexicon | None) -> list[Finding]:
    """No defensive or blaming phrase: they turn a complaint into an argument."""
    if lexicon is None or lexicon.defensive is None:
        return []
    match = lexicon.defensive.search(folded)
    if not match:
        return []
    phrase = match.group(0)
    return [
        Finding(
            "defensive_phrase",
            ERROR,
            f"Tournure défensive ou culpabilisante : « {phrase} ». Reconnaissez le problème "
            "et dites ce que vous allez faire.",
            f"Defensive or blaming phrase: '{phrase}'. Acknowledge the problem and say what "
            "you will do.",
            detail=phrase,
        )
    ]


@lru_cache(maxsize=64)
def _known_contact_digits(contacts: ChannelSettings) -> frozenset[str]:
    return frozenset({re.sub(r"\D", "", contacts.phone)} if contacts.phone else ())


@lru_cache(maxsize=64)
def _known_contact_emails(contacts: ChannelSettings) -> frozenset[str]:
    found = set()
    for value in (contacts.email, contacts.dm, contacts.messenger):
        if value:
            found.update(match.lower() for match in _EMAIL.findall(value))
    return frozenset(found)


def _asks_for_data(sentence: str, lexicon: Lexicon) -> str | None:
    """The personal data a sentence asks for publicly, or None."""
    for clause in _CLAUSE.split(sentence):
        data = lexicon.find("personal_data", clause)
        if not data:
            continue
        before = clause[: data.start()]
        inviting = lexicon.patterns.get("inviting")
        if inviting is not None:
            before = inviting.sub(" ", before)
        if lexicon.has("negations", before):
            continue
        is_request = lexicon.has("request_words", sentence) or sentence.rstrip().endswith("?")
        if is_request and not lexicon.has("private_markers", sentence):
            return data.group(0)
    return None


def check_personal_data(text: str, folded: str, facts: DraftFacts) -> list[Finding]:
    """Never ask for personal data in public, and never publish someone's details."""
    findings: list[Finding] = []
    lexicon = facts.lexicon
    if lexicon is not None:
        for sentence in sentences(folded):
            asked = _asks_for_data(sentence, lexicon)
            if asked:
                findings.append(
                    Finding(
                        "personal_data_request",
                        ERROR,
                        f"La réponse demande en public une donnée personnelle (« {asked} ») : "
                        "invitez plutôt la personne à vous l'envoyer en privé.",
                        f"The reply asks for personal data in public ('{asked}'): invite the "
                        "person to send it privately instead.",
                        detail=asked,
                    )
                )
                break
    ours_phone = _known_contact_digits(facts.contacts)
    ours_email = _known_contact_emails(facts.contacts)
    exposed = [m for m in _EMAIL.findall(text) if m.lower() not in ours_email]
    exposed += [
        m.strip()
        for m in _PHONE.findall(text)
        if re.sub(r"\D", "", m) not in ours_phone
        and not any(re.sub(r"\D", "", m) in digits for digits in ours_phone)
    ]
    if exposed:
        findings.append(
            Finding(
                "personal_data_exposed",
                ERROR,
                f"La réponse publie des coordonnées qui ne sont pas les nôtres ({exposed[0]}) : "
                "retirez-les.",
                f"The reply publishes contact details that are not ours ({exposed[0]}): "
                "remove them.",
                detail=exposed[0],
            )
        )
    return findings


@lru_cache(maxsize=64)
def _concrete_contacts(contacts: ChannelSettings) -> tuple[str, ...]:
    values: list[str] = []
    for value in (contacts.dm, contacts.messenger, contacts.email):
        if value:
            handles = re.findall(r"@\w+", value)
            values.extend(handles or [value])
    if contacts.phone:
        values.append(re.sub(r"\D", "", contacts.phone))
    return tuple(fold(value) for value in values if value)


def has_private_channel(folded: str, facts: DraftFacts) -> bool:
    """True when the reply names a concrete private channel (or, with no contact details
    configured, at least invites the person to continue in private)."""
    concrete = _concrete_contacts(facts.contacts)
    if concrete:
        digits = re.sub(r"\D", "", folded)
        for value in concrete:
            if value.isdigit():
                if value and value in digits:
                    return True
            elif value in folded:
                return True
        return False
    return facts.lexicon is not None and facts.lexicon.has("private_channel", folded)


def check_complaint_reply(folded: str, facts: DraftFacts) -> list[Finding]:
    """A reply to a complaint opens with empathy and moves to a private channel."""
    findings: list[Finding] = []
    lexicon = facts.lexicon
    if (
        lexicon is not None
        and lexicon.patterns.get("empathy")
        and not lexicon.has("empathy", folded)
    ):
        findings.append(
            Finding(
                "empathy_missing",
                ERROR,
                "Une réclamation appelle d'abord de l'empathie : dites que vous comprenez ou "
                "excusez-vous.",
                "A complaint calls for empathy first: say you understand, or apologise.",
            )
        )
    if not has_private_channel(folded, facts):
        findings.append(
            Finding(
                "private_channel_missing",
                ERROR,
                "Invitez la personne à continuer en privé et donnez les coordonnées ici même "
                "(message privé, Messenger, courriel, téléphone et horaires).",
                "Invite the person to continue in private and give the contact details right "
                "here (DM, Messenger, e-mail, phone with opening hours).",
            )
        )
    return findings


def check_je_nous(folded: str, facts: DraftFacts) -> list[Finding]:
    """ "Je" carries empathy and commitment; "nous" carries the rules."""
    lexicon = facts.lexicon
    if lexicon is None or facts.action == POST:
        return []
    findings: list[Finding] = []
    collective = lexicon.find("collective_empathy", folded)
    if collective:
        findings.append(
            Finding(
                "empathy_in_nous",
                ADVICE,
                f"« {collective.group(0)} » : l'empathie se dit en « je » (« je comprends », "
                "« toutes mes excuses »), c'est une personne qui parle.",
                f"'{collective.group(0)}': say empathy as 'I' ('I understand', 'I'm sorry'); "
                "a person is speaking.",
                detail=collective.group(0),
            )
        )
    rules = lexicon.find("rules_in_first_person", folded)
    if rules:
        findings.append(
            Finding(
                "rules_in_je",
                ADVICE,
                f"« {rules.group(0)} » : les règles valent pour tous, dites-les en « nous » "
                "ou au nom de la marque.",
                f"'{rules.group(0)}': rules apply to everyone; say them as 'we' or in the "
                "brand's name.",
                detail=rules.group(0),
            )
        )
    if (
        facts.category == Category.COMPLAINT
        and facts.action == Action.REPLY
        and lexicon.patterns.get("first_person")
        and not lexicon.has("first_person", folded)
    ):
        findings.append(
            Finding(
                "je_missing",
                ADVICE,
                "Engagez-vous personnellement : dites en « je » ce que vous allez faire.",
                "Commit personally: say as 'I' what you will do.",
            )
        )
    return findings


def check_thread(text: str, thread_replies: Iterable[str]) -> list[Finding]:
    """No two identical replies in one thread: platforms treat them as spam."""
    return check_thread_norms(text, {normalise_reply(other) for other in thread_replies if other})


def check_thread_norms(text: str, thread_norms: Collection[str]) -> list[Finding]:
    """`check_thread` against replies already in `normalise_reply` form (a set makes it
    constant-time, which matters in a thread with thousands of replies)."""
    if normalise_reply(text) not in thread_norms:
        return []
    return [
        Finding(
            "duplicate_in_thread",
            ERROR,
            "Une réponse identique existe déjà dans ce fil : variez la formulation.",
            "An identical reply already exists in this thread: vary the wording.",
        )
    ]
