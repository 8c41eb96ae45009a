"""Compose the project's corpus from the hand-written pieces in :mod:`.fr` and :mod:`.en`.

Run ``python -m ecoute.classifiers.corpus.build`` to rewrite ``classifiers/data/corpus.csv``.
The output is deterministic (one seed), deduplicated, and every row's label follows from
the piece it was composed from, which was written for that label under the rubric (see
``classifiers/data/LABELLING.md``). Register transforms (:mod:`.noise`) never change the
meaning, so they never change the label.
"""

from __future__ import annotations

import argparse
import random
import re
import string
from collections.abc import Callable
from types import ModuleType

from ecoute.core.domain import Category

from . import CORPUS_PATH, Example, write_corpus
from . import en as EN
from . import fr as FR
from .noise import roughen

SEED = 20261122

#: How many distinct comments to compose per language and category.
TARGETS: dict[str, dict[Category, int]] = {
    "fr": {Category.COMPLAINT: 1350, Category.SERVICE_QUESTION: 800,
           Category.GENERAL_OPINION: 900, Category.INSULT: 600},
    "en": {Category.COMPLAINT: 1350, Category.SERVICE_QUESTION: 800,
           Category.GENERAL_OPINION: 900, Category.INSULT: 600},
}

SINCE = {
    "fr": ["depuis 3 jours", "depuis hier", "depuis hier soir", "depuis une semaine",
           "depuis ce matin", "depuis 2 semaines", "depuis lundi", "depuis le 3",
           "depuis la mise à jour", "depuis mon déménagement", "depuis 48h", "depuis un mois",
           "depuis samedi", "depuis 10 jours", "depuis 5h du mat"],
    "en": ["since Monday", "for 3 days", "all week", "since yesterday", "for 2 weeks",
           "since this morning", "since last night", "for a month", "for 48 hours",
           "since the update", "since Friday", "for 10 days now", "all weekend"],
}
SINCE_BARE = {
    "fr": ["3 jours", "une semaine", "15 jours", "un mois", "2 mois", "48h", "10 jours",
           "trois semaines", "6 semaines"],
    "en": ["3 days", "a week", "two weeks", "a month", "2 months", "48 hours", "10 days",
           "three weeks", "6 weeks"],
}
EMO_NEG = ["😡", "🤬", "😤", "🙄", "😠", "😒", "👎", "😩", "😭", "🤦‍♂️", "🤦‍♀️", "", "", "", ""]
EMO_SARC = ["🙃", "👏👏", "🙂", "👍", "😑", "🤡", "👏", "", "", ""]
EMO_POS = ["😍", "❤️", "🙏", "👍", "👏", "😊", "💯", "🥰", "✨", "🔥", "", "", ""]
USERS = ["@USER", "@USER @USER", "@jenny_b", "@mark_t77", "@RealDanny", "@lisa__m", "@USER",
         "@USER @USER @USER", "@tomhardy_fan", "@k_waters"]
HASHTAGS = {
    ("fr", Category.COMPLAINT): ["#honteux", "#servicenul", "#arnaque", "#jenaimarre", "#panne",
                                 "#sav", "#scandale"],
    ("en", Category.COMPLAINT): ["#fail", "#neveragain", "#worstservice", "#customerservice",
                                 "#delayed", "#ripoff", "#frustrated"],
    ("fr", Category.GENERAL_OPINION): ["#merci", "#top", "#bravo", "#fibre", "#concours"],
    ("en", Category.GENERAL_OPINION): ["#thankyou", "#happycustomer", "#travel", "#love",
                                       "#giveaway"],
    ("fr", Category.SERVICE_QUESTION): ["#question", "#aide"],
    ("en", Category.SERVICE_QUESTION): ["#help", "#question"],
    ("fr", Category.INSULT): ["#boycott", "#voleurs"],
    ("en", Category.INSULT): ["#losers", "#trash"],
}
GREETINGS = {
    "fr": ["Bonjour, ", "Bonjour ", "Bonsoir, ", "Salut ", "Hello ", "Coucou ", "Bjr ", ""],
    "en": ["Hi, ", "Hello ", "Hey ", "hey ", "Hi there, ", "yo ", ""],
}
FR_MIXED = ["wtf", "lol", "seriously", "anyway", "sorry but", "bref", "genre", "so"]

_FIELD = re.compile(r"\{(\w+)\}")


def _slots(lang: str, mod: ModuleType, rng: random.Random, domain: str) -> dict[str, str]:
    d = mod.DOMAINS[domain]
    thing = rng.choice(d["thing"])
    n = rng.choice([2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 35, 40, 45, 50, 60, 80, 90])
    values = {
        "thing": thing,
        "thing_bare": re.sub(r"^(my|the|ma|mon|la|le|l')\s*", "", thing),
        "fail": rng.choice(d["fail"]),
        "event": rng.choice(d["event"]),
        "money": rng.choice(d["money"]),
        "staff": rng.choice(d["staff"]),
        "howto": rng.choice(d["howto"]),
        "info": rng.choice(d["info"]),
        "good": rng.choice(d["good"]),
        "priced": rng.choice(mod.PRICED.get(domain, ["l'offre" if lang == "fr" else "the plan"])),
        "time_q": rng.choice(mod.TIME_Q),
        "city": rng.choice(mod.CITIES),
        "since": rng.choice(SINCE[lang]),
        "since_bare": rng.choice(SINCE_BARE[lang]),
        "emo_neg": rng.choice(EMO_NEG),
        "emo_sarc": rng.choice(EMO_SARC),
        "emo_pos": rng.choice(EMO_POS),
        "n": str(n),
        "n2": str(rng.randint(2, 9)),
        "handle": rng.choice(mod.HANDLES),
        "user": rng.choice(USERS),
        "ins_pl": rng.choice(mod.INS_PL),
        "ins_pl2": rng.choice(mod.INS_PL),
        "ins_sg": rng.choice(mod.INS_SG),
        "ins_adj": rng.choice(mod.INS_ADJ),
        "ins_f": rng.choice(getattr(mod, "INS_F", mod.INS_SG)),
    }
    return values


def _fill(template: str, values: dict[str, str]) -> str:
    text = template
    for _ in range(3):  # slots may contain slots ({info} → "... à {city}")
        text = _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    text = re.sub(r"\(e\)|\(s\)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _pools(lang: str, category: Category) -> list[tuple[float, list[str]]]:
    """Weighted template pools for one language and category."""
    if lang == "fr":
        table = {
            Category.COMPLAINT: [(0.58, FR.COMPLAINT), (0.12, FR.COMPLAINT_QUESTIONS),
                                 (0.17, FR.QC_COMPLAINT), (0.13, FR.MA_COMPLAINT)],
            Category.SERVICE_QUESTION: [(0.75, FR.SERVICE_QUESTION), (0.15, FR.QC_QUESTION),
                                        (0.10, FR.MA_QUESTION)],
            Category.GENERAL_OPINION: [(0.78, FR.GENERAL_OPINION), (0.12, FR.QC_OPINION),
                                       (0.10, FR.MA_OPINION)],
            Category.INSULT: [(0.75, FR.INSULT), (0.15, FR.QC_INSULT), (0.10, FR.MA_INSULT)],
        }
    else:
        table = {
            Category.COMPLAINT: [(0.85, EN.COMPLAINT), (0.15, EN.COMPLAINT_QUESTIONS)],
            Category.SERVICE_QUESTION: [(1.0, EN.SERVICE_QUESTION)],
            Category.GENERAL_OPINION: [(0.6, EN.GENERAL_OPINION), (0.4, EN.GENERAL_TWEETS)],
            Category.INSULT: [(0.55, EN.INSULT), (0.45, EN.INSULTS_TWEETS)],
        }
    return table[category]


def _decorate(text: str, lang: str, category: Category, mod: ModuleType,
              rng: random.Random) -> str:
    """Add what surrounds a comment on a network: a handle, a greeting, a hashtag, an emoji."""
    if category in (Category.COMPLAINT, Category.SERVICE_QUESTION) and rng.random() < 0.2:
        greeting = rng.choice(GREETINGS[lang])
        if greeting:
            text = greeting + text[0].lower() + text[1:]
    if not text.startswith("@") and rng.random() < 0.35:
        text = f"{rng.choice(mod.HANDLES)} {text}"
    tags = HASHTAGS.get((lang, category))
    if tags and rng.random() < 0.12:
        text = f"{text} {rng.choice(tags)}"
    if lang == "fr" and category == Category.COMPLAINT and rng.random() < 0.05:
        text = f"{text} {rng.choice(FR_MIXED)}"
    return text


def compose(seed: int = SEED) -> list[Example]:
    """Return the whole corpus, deterministic for a given seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    examples: list[Example] = []

    def add(lang: str, category: Category, text: str) -> bool:
        key = re.sub(r"[\W_]+", "", text.lower())
        if not key and not text.strip():
            return False
        key = key or text
        if key in seen:
            return False
        seen.add(key)
        examples.append(Example(f"{lang}-{len(examples) + 1:05d}", category, lang, text))
        return True

    for lang, mod in (("fr", FR), ("en", EN)):
        for category, target in TARGETS[lang].items():
            made = 0
            # Whole comments first, as written, then one or two roughened variants.
            for text in mod.FULL[str(category)]:
                made += add(lang, category, text)
                for _ in range(rng.choice([0, 1, 1, 2])):
                    made += add(lang, category, roughen(text, lang, rng, 0.8))
            pools = _pools(lang, category)
            weights = [w for w, _ in pools]
            attempts = 0
            while made < target and attempts < target * 40:
                attempts += 1
                pool = rng.choices([p for _, p in pools], weights)[0]
                template = rng.choice(pool)
                domain = rng.choice(list(mod.DOMAINS))
                text = _fill(template, _slots(lang, mod, rng, domain))
                text = _decorate(text, lang, category, mod, rng)
                text = roughen(text, lang, rng)
                made += add(lang, category, text)
    rng.shuffle(examples)
    return examples


def _summary(examples: list[Example]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for e in examples:
        counts[(e.lang, str(e.label))] = counts.get((e.lang, str(e.label)), 0) + 1
    lines = [f"{lang} {label:17} {n}" for (lang, label), n in sorted(counts.items())]
    return "\n".join(lines + [f"total {len(examples)}"])


def main(argv: list[str] | None = None, echo: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description="Rewrite the project's labelled corpus.")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", default=str(CORPUS_PATH))
    args = parser.parse_args(argv)
    examples = compose(args.seed)
    from pathlib import Path

    write_corpus(examples, Path(args.out))
    echo(_summary(examples))


if __name__ == "__main__":
    main()

__all__ = ["compose", "main", "string"]
