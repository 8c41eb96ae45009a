"""Admins edit the knowledge base (questions and public answers) from the console.

The text is TOML, as in the files a CM can edit by hand, and it is validated by the very
parser the drafter uses, so an entry the console accepts is an entry the drafter can
answer with; the error names the entry at fault. An edit is kept as
`<data_dir>/knowledge/<lang>.toml`, which the loader reads before the configured or
bundled file; reverting deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ecoute.console.atomic import replace_file
from ecoute.core.audit import record
from ecoute.core.models import User
from ecoute.core.settings import Settings
from ecoute.responders.flows import drafter_for
from ecoute.responders.knowledge import (
    KnowledgeBase,
    KnowledgeEntry,
    KnowledgeError,
    base_knowledge_files,
    knowledge_overrides_dir,
    parse_knowledge,
)

#: Far more than a team's questions and answers; a bigger post is a mistake.
MAX_TEXT = 500_000


class KnowledgeEditError(Exception):
    """The edited knowledge base cannot be saved; the message names the entry and the fix."""


@dataclass(frozen=True, slots=True)
class KnowledgeFile:
    """One language's knowledge base as the console shows it."""

    language: str
    text: str
    #: The file the drafter reads now.
    path: Path
    #: True when it is the team's console edit (a revert is possible).
    edited: bool
    #: The file used when there is no console edit.
    base: Path
    entries: int
    error: str | None = None


def edited_path(settings: Settings, language: str) -> Path:
    return knowledge_overrides_dir(settings) / f"{language}.toml"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def current(settings: Settings, language: str) -> KnowledgeFile:
    """The text in use for `language`, with how many entries it holds (or its error)."""
    base = base_knowledge_files(settings)[language]
    edited = edited_path(settings, language)
    path = edited if edited.is_file() else base
    text = _read(path)
    try:
        count, error = len(parse_knowledge(text, language, path.name)), None
    except KnowledgeError as exc:
        count, error = 0, str(exc)
    return KnowledgeFile(language, text, path, edited.is_file(), base, count, error)


def validate(settings: Settings, language: str, text: str) -> list[KnowledgeEntry]:
    """The entries of the edited text, or KnowledgeEditError naming the entry at fault."""
    if language not in settings.brand.languages:
        raise LookupError(f"the brand does not answer in {language!r}")
    if len(text) > MAX_TEXT:
        raise KnowledgeEditError(f"the knowledge base is limited to {MAX_TEXT} characters")
    try:
        entries = parse_knowledge(text, language, f"{language}.toml")
        KnowledgeBase(entries)
    except KnowledgeError as exc:
        raise KnowledgeEditError(str(exc)) from None
    return entries


def save(session: Session, settings: Settings, user: User, language: str, text: str) -> int:
    """Validate and keep the edit; return how many entries it holds."""
    text = text.replace("\r\n", "\n")
    entries = validate(settings, language, text)
    before = current(settings, language)
    if before.text == text:
        return len(entries)
    record(
        session,
        actor=user,
        action="knowledge.save",
        entity_type="knowledge",
        entity_id=language,
        before={"file": before.path.name, "edited": before.edited, "text": before.text},
        after={"file": f"{language}.toml", "edited": True, "text": text},
    )
    session.flush()
    replace_file(edited_path(settings, language), text)
    drafter_for(settings).refresh()
    return len(entries)


def revert(session: Session, settings: Settings, user: User, language: str) -> None:
    """Drop the console edit: the configured or bundled file applies again."""
    if language not in settings.brand.languages:
        raise LookupError(f"the brand does not answer in {language!r}")
    before = current(settings, language)
    if not before.edited:
        return
    record(
        session,
        actor=user,
        action="knowledge.revert",
        entity_type="knowledge",
        entity_id=language,
        before={"file": before.path.name, "edited": True, "text": before.text},
        after={"file": str(before.base), "edited": False, "text": _read(before.base)},
    )
    session.flush()
    edited_path(settings, language).unlink(missing_ok=True)
    drafter_for(settings).refresh()
