"""Writing the reply: a Jinja2 template per case, language and variant, in a sandbox.

Templates live in `templates/replies/<lang>/<case>/<n>.j2` (`_macros.j2` beside them holds
the shared phrasing of contact details); adding a variant is adding a file. Admins edit
them from the console, which writes to `<data_dir>/templates/` with the same layout: a
file there replaces the shipped one of the same name (or adds a variant), so an upgrade
never overwrites the team's wording and the installed package is never written to. They
run in Jinja2's `SandboxedEnvironment` with undefined variables treated as errors. Each
template receives `author`, `brand`, `signature`, `contact` (the channel details of
`[contacts.<lang>]`), `platform`, `level`, and for some cases `answer` or `incident`.

`level` lets a template shorten itself: 0 is the full reply (phone with hours and a
written channel, a reminder not to post personal details), 1 keeps the phone only, 2 the
written channel only, 3 also swaps an incident's summary for its title. The drafter
renders from level 0 up and keeps the first text within the platform's limit, so a long
name or long contact details never produce a reply X refuses.

Rendering in the sandbox is the costly part of drafting, so a variant is rendered once
per level, platform and answer or incident with placeholders for `author`,
`author_handle` and `author_name`, which are put in afterwards: templates print these
three as they are (a filter applied to them would see the placeholder).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ecoute.core.domain import Action, Category, Flag, Platform
from ecoute.core.settings import ChannelSettings, Settings

from .checks import DraftFacts, Finding, check_length, check_thread, content_checks
from .incidents import IncidentView
from .knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from .length import limit_for, weighted_length
from .lexicon import Lexicon, load_lexicon
from .policy import Decision, decide
from .variants import VariantPicker, normalise_reply

log = structlog.get_logger("ecoute.responders.drafting")

LEVELS = (0, 1, 2, 3)
_PLACEHOLDERS = {"author": "\ue000", "author_handle": "\ue001", "author_name": "\ue002"}
_MAX_CACHED = 20_000
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*$")
_SPACE_BEFORE = re.compile(r"\s+([,.])")


class TemplateProblem(Exception):
    """A reply template is missing or broken; the message names the file and the fix."""


def templates_dir() -> Path:
    """Where the templates live (the console and the replies share one folder)."""
    return Path(str(resources.files("ecoute.templates")))


def template_overrides_dir(settings: Settings) -> Path:
    """Where the console keeps the team's edited and added reply templates."""
    return settings.data_path / "templates"


def capitalize_first(value: object) -> str:
    """Upper-case the first letter only (Jinja's `capitalize` lowers all the others)."""
    text = str(value)
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=4)
def _environment(root: str, overrides: str | None = None) -> SandboxedEnvironment:
    folders = [overrides, root] if overrides else [root]
    env = SandboxedEnvironment(
        # The team's copy first, then the shipped one.
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiled templates are kept until `Renderer.refresh` sees a file change.
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["capitalize_first"] = capitalize_first
    return env


def tidy(text: str) -> str:
    """One line, single spaces, no space before a comma or a full stop."""
    return _SPACE_BEFORE.sub(r"\1", " ".join(text.split()))


class Renderer:
    """Finds and renders the variants of each case, the team's copies before the shipped ones."""

    def __init__(self, root: Path | None = None, overrides: Path | None = None) -> None:
        self.root = Path(root) if root else templates_dir()
        self.overrides = Path(overrides) if overrides else None
        self.env = _environment(str(self.root), str(self.overrides) if self.overrides else None)
        self._variants: dict[tuple[str, str], list[str]] = {}
        self._templates: dict[str, Template] = {}
        self._stamp = self._fingerprint()

    def _roots(self) -> list[Path]:
        return [folder for folder in (self.overrides, self.root) if folder is not None]

    def _fingerprint(self) -> tuple[tuple[str, int, int, int], ...]:
        # The inode is part of it: the console replaces a file by renaming a new one onto
        # it, so an edit of the same size within the clock's granularity is still seen.
        stamps = []
        for root in self._roots():
            for path in (root / "replies").rglob("*.j2"):
                try:
                    st = path.stat()
                except FileNotFoundError:  # reverted while we looked
                    continue
                stamps.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(sorted(stamps))

    def refresh(self) -> bool:
        """Forget compiled templates if an admin changed, added or removed one."""
        stamp = self._fingerprint()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        self._variants.clear()
        self._templates.clear()
        if self.env.cache is not None:
            self.env.cache.clear()
        return True

    def variants(self, case: str, language: str) -> list[str]:
        """Template names for one case and language, in file order (1.j2, 2.j2, …)."""
        key = (case, language)
        found = self._variants.get(key)
        if found is None:
            # Kept in a local: another thread's `refresh` may clear the cache meanwhile.
            names = {
                path.name
                for root in self._roots()
                for path in (root / "replies" / language / case).glob("*.j2")
            }
            files = sorted(
                names, key=lambda name: (int(name[:-3]) if name[:-3].isdigit() else 10**6, name)
            )
            found = self._variants[key] = [f"replies/{language}/{case}/{name}" for name in files]
        return found

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            template = self._templates.get(name)
            if template is None:
                template = self._templates[name] = self.env.get_template(name)
            return tidy(template.render(**context))
        except TemplateError as exc:
            raise TemplateProblem(
                f"{self.path_of(name)}: {exc.__class__.__name__}: {exc}; fix the template"
            ) from None

    def path_of(self, name: str) -> Path:
        """The file a template name is read from: the team's copy when there is one."""
        if self.overrides is not None and (self.overrides / name).is_file():
            return self.overrides / name
        return self.root / name


@dataclass(frozen=True, slots=True)
class CommentView:
    """What drafting needs to know about a comment (no database row required)."""

    text: str
    platform: str
    author_handle: str = ""
    author_name: str | None = None
    thread_id: str | None = None
    external_id: str | None = None

    @property
    def thread_key(self) -> str:
        return f"{self.platform}:{self.thread_id or self.external_id or id(self)}"


@dataclass(frozen=True, slots=True)
class ClassificationView:
    """What the classifier (or a CM) said about a comment."""

    category: Category | str
    language: str | None
    flags: Sequence[Flag | str] = ()
    probabilities: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    template: str
    findings: list[Finding]
    length: int


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    """The decision and, when something is written, the text with its findings."""

    decision: Decision
    language: str | None
    rendered: Rendered | None = None

    @property
    def text(self) -> str | None:
        return self.rendered.text if self.rendered else None

    @property
    def template(self) -> str | None:
        return self.rendered.template if self.rendered else None

    @property
    def findings(self) -> list[Finding]:
        return self.rendered.findings if self.rendered else []


def display_author(name: str | None, handle: str, platform: str) -> str:
    """How to address the person: a first name when there is a usable one, else the
    @handle on X, else nothing ("Bonjour," reads better than a pseudonym)."""
    if name:
        for token in name.split():
            cleaned = token.strip(".,;:!?()[]{}\"'«»")
            if 2 <= len(cleaned) <= 20 and _NAME.match(cleaned):
                return cleaned[0].upper() + cleaned[1:] if cleaned.islower() else cleaned
            break
    if platform != Platform.FACEBOOK and handle:
        return "@" + handle.lstrip("@")
    return ""


class Drafter:
    """Decides and writes for one brand configuration; build once, reuse for every batch."""

    def __init__(
        self,
        settings: Settings,
        *,
        knowledge: KnowledgeBase | None = None,
        templates_root: Path | None = None,
    ) -> None:
        self.settings = settings
        self.renderer = Renderer(templates_root, template_overrides_dir(settings))
        self._own_knowledge = knowledge is None
        self.knowledge = knowledge if knowledge is not None else load_knowledge(settings)
        self.lexicons: dict[str, Lexicon] = {
            code: load_lexicon(code, settings) for code in settings.brand.languages
        }
        self._facts: dict[tuple[str, str, str | None, str], DraftFacts] = {}
        self._floors: dict[tuple[object, ...], int] = {}
        self._texts: dict[tuple[object, ...], str] = {}
        self._checked: dict[tuple[object, ...], list[Finding]] = {}

    def refresh(self) -> None:
        """Pick up template and knowledge-base edits made while the service runs."""
        if self.renderer.refresh():
            self._floors.clear()
            self._texts.clear()
            self._checked.clear()
        if self._own_knowledge:
            try:
                # Cached by the files' stamps: a new base is built only after an edit.
                self.knowledge = load_knowledge(self.settings)
            except KnowledgeError as exc:
                # A file broken by hand must not stop drafting: keep the last good answers.
                log.error("knowledge_reload_failed", error=str(exc))

    # -- what to do ------------------------------------------------------------------
    def decide(
        self,
        comment: CommentView,
        classification: ClassificationView,
        *,
        incidents: Sequence[IncidentView] = (),
    ) -> Decision:
        language = classification.language
        decision = decide(
            classification.category,
            classification.flags,
            classification.probabilities,
            text=comment.text,
            language=language,
            platform=comment.platform,
            languages=self.settings.brand.languages,
            doubt_threshold=self.settings.policy.doubt_threshold,
            hide_insults=self.settings.policy.hide_insults,
            lexicon=self.lexicons.get(language or ""),
            knowledge=self.knowledge,
            min_similarity=self.settings.knowledge.min_similarity,
            incidents=incidents,
        )
        if decision.case and not self.renderer.variants(decision.case, str(language)):
            return Decision(
                Action.NONE,
                decision.category,
                f"no {decision.case} templates in {language!r}: a person writes the reply",
            )
        return decision

    def draft(
        self,
        comment: CommentView,
        classification: ClassificationView,
        *,
        incidents: Sequence[IncidentView] = (),
        picker: VariantPicker | None = None,
    ) -> DraftOutcome:
        """Decide, then write the reply when the decision calls for one."""
        decision = self.decide(comment, classification, incidents=incidents)
        language = classification.language
        if decision.case is None or language is None:
            return DraftOutcome(decision, language)
        rendered = self.write(
            decision.case,
            comment,
            language=language,
            category=decision.category,
            action=decision.action,
            picker=picker,
            answer=decision.answer.entry if decision.answer else None,
            incident=decision.incident,
        )
        return DraftOutcome(decision, language, rendered)

    # -- how to say it ----------------------------------------------------------------
    def facts(self, platform: str, language: str, category: str | None, action: str) -> DraftFacts:
        key = (platform, language, category, action)
        facts = self._facts.get(key)
        if facts is None:
            facts = DraftFacts(
                platform=platform,
                language=language,
                category=category,
                action=action,
                contacts=self.settings.contacts.get(language, ChannelSettings()),
                lexicon=self.lexicons.get(language) or load_lexicon(language, self.settings),
                other_lexicons=tuple(self.lexicons.values()),
            )
            self._facts[key] = facts
        return facts

    def _render(self, name: str, context: Mapping[str, Any], level: int) -> tuple[str, str]:
        """Render through the cache of texts with placeholders for the author; return the
        text and the text with placeholders."""
        answer, incident = context.get("answer"), context.get("incident")
        key = (
            name,
            level,
            context["platform"],
            tuple(bool(context[name_]) for name_ in _PLACEHOLDERS),
            (answer["text"], answer["link"]) if answer else None,
            tuple(incident.values()) if incident else None,
        )
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) > _MAX_CACHED:
                self._texts.clear()
            marked = {
                key_name: (mark if context[key_name] else "")
                for key_name, mark in _PLACEHOLDERS.items()
            }
            text = self.renderer.render(
                name, {**context, **marked, "level": level, "variant": name}
            )
            self._texts[key] = text
        marked = text
        for key_name, mark in _PLACEHOLDERS.items():
            if mark in text:
                text = text.replace(mark, str(context[key_name]))
        return text, marked

    def _content_findings(self, marked: str, facts: DraftFacts) -> list[Finding]:
        """Word checks on the text with the author's placeholders, memoised: a first name
        or an @handle cannot make a reply defensive, personal or empathetic, so the
        result holds for every author."""
        key = (marked, facts.platform, facts.language, facts.category, facts.action)
        found = self._checked.get(key)
        if found is None:
            if len(self._checked) > _MAX_CACHED:
                self._checked.clear()
            found = self._checked[key] = content_checks(marked, facts)
        return list(found)

    def _floor(self, name: str, context: Mapping[str, Any], platform: str, level: int) -> int:
        """The length of a variant at a level without the author's name: a lower bound,
        computed once per variant, platform, answer and incident."""
        answer, incident = context.get("answer"), context.get("incident")
        key = (
            name,
            platform,
            level,
            answer["text"] if answer else None,
            incident["summary"] if incident else None,
        )
        floor = self._floors.get(key)
        if floor is None:
            bare, _ = self._render(name, {**context, "author": ""}, level)
            floor = weighted_length(bare, platform)
            self._floors[key] = floor
        return floor

    def _floor_level(self, name: str, context: Mapping[str, Any], platform: str, limit: int) -> int:
        """The fullest level this variant can possibly reach within the limit."""
        for level in LEVELS:
            if self._floor(name, context, platform, level) <= limit:
                return level
        return LEVELS[-1] + 1

    def _fit(
        self, name: str, context: Mapping[str, Any], platform: str, limit: int
    ) -> tuple[str, str, int, int]:
        """The fullest level of a variant that fits the limit, else its shortest level."""
        shortest: tuple[str, str, int, int] | None = None
        for level in LEVELS:
            # Skip a level that is over the limit even without the author's name.
            if self._floor(name, context, platform, level) > limit and level != LEVELS[-1]:
                continue
            text, marked = self._render(name, context, level)
            length = weighted_length(text, platform)
            if length <= limit:
                return text, marked, length, level
            if shortest is None or length < shortest[2]:
                shortest = (text, marked, length, level)
        assert shortest is not None
        return shortest

    def context(self, comment: CommentView, language: str) -> dict[str, Any]:
        contact = self.settings.contacts.get(language, ChannelSettings())
        return {
            "author": display_author(comment.author_name, comment.author_handle, comment.platform),
            "author_handle": comment.author_handle,
            "author_name": comment.author_name or "",
            "brand": self.settings.brand.name,
            "signature": self.settings.brand.signature.get(language, self.settings.brand.name),
            "contact": contact.model_dump(),
            "platform": comment.platform,
            "charter": self.settings.policy.moderation_charter.get(language, ""),
            "answer": None,
            "incident": None,
        }

    def write(
        self,
        case: str,
        comment: CommentView,
        *,
        language: str,
        category: Category | str | None,
        action: Action | str,
        picker: VariantPicker | None = None,
        answer: Any = None,
        incident: IncidentView | None = None,
    ) -> Rendered:
        """Render the best variant for this case: within the limit, not repeated in the
        thread, least used; then check it."""
        names = self.renderer.variants(case, language)
        if not names:
            raise TemplateProblem(
                f"{self.renderer.root / 'replies' / language / case}: no *.j2 variant; add one"
            )
        picker = picker or VariantPicker()
        thread_key = comment.thread_key
        ordered = picker.order(names, thread_key=thread_key, author_key=comment.author_handle)
        context = self.context(comment, language)
        if answer is not None:
            context["answer"] = {"text": answer.answer, "link": answer.link}
        if incident is not None:
            context["incident"] = incident.context(language)
        private = str(action) == Action.PRIVATE_REPLY
        limit = limit_for(comment.platform, private=private)
        seen = picker.thread_norms(thread_key)
        # Fewest uses in this thread first; among those, the variants that can keep the
        # most (the phone line, the incident's summary); then the picker's order.
        floors = {
            name: self._floor_level(name, context, comment.platform, limit) for name in ordered
        }
        ordered = sorted(
            ordered, key=lambda name: (picker.used_in_thread(thread_key, name), floors[name])
        )
        chosen: tuple[str, str, str, int] | None = None
        fallback: tuple[tuple[bool, bool, int], tuple[str, str, str, int]] | None = None
        for name in ordered:
            text, marked, length, level = self._fit(name, context, comment.platform, limit)
            fits, fresh = length <= limit, normalise_reply(text) not in seen
            if fits and fresh and level <= floors[name]:
                chosen = (text, marked, name, length)
                break
            rank = (not fits, not fresh, level)
            if fallback is None or rank < fallback[0]:
                fallback = (rank, (text, marked, name, length))
        if chosen is None:
            assert fallback is not None
            chosen = fallback[1]
        text, marked, name, length = chosen
        facts = self.facts(
            comment.platform,
            language,
            None if category is None else str(category),
            str(action),
        )
        findings = check_length(text, comment.platform, private=private)
        findings += self._content_findings(marked, facts)
        if normalise_reply(text) in seen:
            findings += check_thread(text, picker.thread_texts(thread_key))
        picker.remember(thread_key, name, text)
        return Rendered(text=text, template=name, findings=findings, length=length)
