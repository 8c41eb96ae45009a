"""Writing the reply: a Jinja2 template per case and language, rendered in a sandbox.

Templates are edited by admins, so they run in Jinja2's `SandboxedEnvironment`. Several
variants exist per case; the variant is chosen from the thread and the author so that
two people in one thread do not receive the same words (platforms treat identical
automated replies as spam).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ecoute.core.domain import Category
from ecoute.core.settings import ChannelSettings, Settings

VARIANTS = 3


@dataclass(frozen=True, slots=True)
class ReplyContext:
    author_handle: str
    author_name: str | None
    platform: str
    language: str
    thread_id: str | None


@dataclass(frozen=True, slots=True)
class RenderedReply:
    text: str
    template: str


def templates_dir() -> Path:
    return Path(str(resources.files("ecoute.templates")))


@lru_cache(maxsize=4)
def _environment(root: str) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(root),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def _variant(context: ReplyContext) -> int:
    key = f"{context.platform}|{context.thread_id}|{context.author_handle}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") % VARIANTS


def _channel(channels: ChannelSettings, platform: str, language: str) -> str:
    if platform == "facebook" and channels.messenger:
        return (
            f"par Messenger ({channels.messenger})"
            if language == "fr"
            else (f"on Messenger ({channels.messenger})")
        )
    if platform == "x" and channels.dm:
        return f"via {channels.dm}" if language == "en" else f"sur {channels.dm}"
    if channels.email:
        return f"à {channels.email}" if language == "fr" else f"at {channels.email}"
    return "en message privé" if language == "fr" else "by private message"


def render_reply(settings: Settings, category: Category, context: ReplyContext) -> RenderedReply:
    """Render the reply for a complaint or a service question in the comment's language."""
    language = context.language
    channels = settings.contacts.get(language, ChannelSettings())
    name = f"replies/{language}/{category}.j2"
    template = _environment(str(templates_dir())).get_template(name)
    variant = _variant(context)
    author = (
        context.author_handle
        if context.platform == "x"
        else (context.author_name or context.author_handle)
    )
    text = template.render(
        variant=variant,
        author=author,
        brand=settings.brand.name,
        signature=settings.brand.signature.get(language, settings.brand.name),
        channel=_channel(channels, context.platform, language),
        phone=channels.phone,
        phone_hours=channels.phone_hours,
        email=channels.email,
    )
    return RenderedReply(text=" ".join(text.split()), template=f"{name}#{variant}")
