"""Register transforms: how real comments differ from clean prose.

Applied at random (seeded) to composed comments so that the model sees the surface forms
people actually type: no accents, no capitals or ALL capitals, elongated words, SMS
abbreviations, typos, doubled punctuation, a handle at the start, an emoji or a hashtag at
the end. Each transform keeps the meaning, so it never changes the label.
"""

from __future__ import annotations

import random
import re

from ..normalise import strip_accents

FR_SMS = {
    "pourquoi": ["pk", "pq", "pourquoi", "prq"],
    "c'est": ["c", "cest", "c'est", "c est"],
    "je suis": ["jsuis", "chui", "je suis", "j suis"],
    "beaucoup": ["bcp", "bcp", "beaucoup"],
    "toujours": ["tjrs", "tjs", "toujours"],
    "quelque chose": ["qqch", "qq chose"],
    "s'il vous plaît": ["svp", "stp", "SVP", "s.v.p"],
    "aujourd'hui": ["auj", "ajd", "aujourdhui"],
    "d'accord": ["dac", "ok", "d'acc"],
    "vraiment": ["vrmt", "vrm", "vraiment"],
    "que": ["ke", "que", "k"],
    "parce que": ["pcq", "parce k", "psk", "parce que"],
    "rien": ["r", "rien"],
    "quoi": ["koi", "quoi"],
    "je ne sais pas": ["jsp", "j'sais pas", "chais pas"],
    "il y a": ["ya", "y'a", "il y a"],
    "vous êtes": ["vs êtes", "vous etes", "vous êtes"],
    "message": ["msg", "mess", "message"],
}
EN_SMS = {
    "you": ["u", "you", "ya"],
    "your": ["ur", "your", "yr"],
    "please": ["pls", "plz", "please"],
    "thanks": ["thx", "thnx", "ty", "thanks"],
    "because": ["bc", "cuz", "coz", "because"],
    "are": ["r", "are"],
    "to be honest": ["tbh"],
    "people": ["ppl", "people"],
    "really": ["rly", "really"],
    "don't know": ["dunno", "don't know", "dont know"],
    "going to": ["gonna", "going to"],
    "want to": ["wanna", "want to"],
    "I don't": ["I dont", "i don't", "idont"],
    "message": ["msg", "message"],
    "tomorrow": ["tmrw", "tomorrow"],
}

_WORD = re.compile(r"[A-Za-zÀ-ÿ]{4,}")


def _sms(text: str, table: dict[str, list[str]], rng: random.Random) -> str:
    for full, short in table.items():
        if full in text and rng.random() < 0.5:
            text = text.replace(full, rng.choice(short), 1)
    return text


def _typo(text: str, rng: random.Random) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = rng.choice(words)
    w = m.group(0)
    i = rng.randrange(1, len(w) - 1)
    kind = rng.random()
    if kind < 0.4:
        w2 = w[:i] + w[i + 1 :]  # dropped letter
    elif kind < 0.7:
        w2 = w[:i] + w[i + 1] + w[i] + w[i + 2 :] if i + 1 < len(w) else w  # swap
    else:
        w2 = w[:i] + w[i] + w[i:]  # doubled letter
    return text[: m.start()] + w2 + text[m.end() :]


def _elongate(text: str, rng: random.Random) -> str:
    words = list(re.finditer(r"[a-zA-Zéè]*[aeiouyé][a-z]*", text))
    words = [w for w in words if 2 <= len(w.group(0)) <= 7]
    if not words:
        return text
    m = rng.choice(words)
    w = m.group(0)
    vowels = [i for i, c in enumerate(w) if c in "aeiouyé"]
    i = vowels[-1]
    return text[: m.start()] + w[: i + 1] + w[i] * rng.randint(2, 5) + w[i + 1 :] + text[m.end() :]


def _shout(text: str, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return text.upper()
    words = text.split(" ")
    if len(words) < 3:
        return text.upper()
    i = rng.randrange(len(words))
    words[i] = words[i].upper()
    return " ".join(words)


def _punct(text: str, rng: random.Random) -> str:
    text = text.rstrip()
    if text.endswith("?"):
        return text[:-1] + rng.choice(["??", "???", " ?", "?!", "?? ", "?!?"])
    if text.endswith("!"):
        return text[:-1] + rng.choice(["!!", "!!!", " !", "!!!!!"])
    if text.endswith("."):
        return text[:-1] + rng.choice(["", "...", "..", " .", "!"])
    return text


def roughen(text: str, lang: str, rng: random.Random, intensity: float = 1.0) -> str:
    """Return ``text`` with zero or more register transforms applied."""
    p = intensity
    if rng.random() < 0.35 * p:
        text = _sms(text, FR_SMS if lang == "fr" else EN_SMS, rng)
    if lang == "fr" and rng.random() < 0.3 * p:
        text = strip_accents(text)
    if rng.random() < 0.25 * p:
        text = _typo(text, rng)
    if rng.random() < 0.1 * p:
        text = _typo(text, rng)
    if rng.random() < 0.12 * p:
        text = _elongate(text, rng)
    if rng.random() < 0.3 * p:
        text = _punct(text, rng)
    r = rng.random()
    if r < 0.3 * p:
        text = text.lower()
    elif r < 0.38 * p:
        text = _shout(text, rng)
    elif r < 0.45 and text:
        text = text[0].upper() + text[1:]
    return text
