"""Compose the project's corpus from the hand-written pieces in :mod:`.fr` and :mod:`.en`
and the whole comments written one by one in ``written/*.csv``.

Run ``python -m ecoute.classifiers.corpus.build`` to rewrite ``classifiers/data/corpus.csv``.
The output is deterministic (one seed), deduplicated, and every row's label follows from
the piece it was composed from, which was written for that label under the rubric (see
``classifiers/data/LABELLING.md``). Register transforms (:mod:`.noise`) never change the
meaning, so they never change the label.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from ecoute.core.domain import Category

from . import CORPUS_PATH, Example, write_corpus
from . import en as EN
from . import en_voices as EN_VOICES
from . import fr as FR
from . import fr_voices as FR_VOICES
from .noise import roughen

SEED = 20261122
#: Whole comments written one by one for the project, a CSV (``label,lang,text``) per
#: slice of the inbox (travel, services, general chatter, hard pairs, short replies...).
WRITTEN_DIR = Path(__file__).resolve().parent / "written"
#: How many roughened copies (typos, SMS spellings, no accents...) of a written comment to
#: add next to it, at most; drawn at random per comment.
WRITTEN_VARIANTS = (0, 0, 1)

#: How many distinct comments to compose per language and category.
TARGETS: dict[str, dict[Category, int]] = {
    "fr": {Category.COMPLAINT: 1100, Category.SERVICE_QUESTION: 650,
           Category.GENERAL_OPINION: 1100, Category.INSULT: 450},
    "en": {Category.COMPLAINT: 1100, Category.SERVICE_QUESTION: 650,
           Category.GENERAL_OPINION: 1300, Category.INSULT: 450},
}
#: How many differently branded copies of each whole comment of :mod:`.fr_voices` /
#: :mod:`.en_voices` to write, and how often the brand is left out.
VOICE_COPIES = 3
VOICE_BARE = {"fr": 0.3, "en": 0.15}
#: Real posts often chain two remarks. Which pairs of labels make which label, by the
#: rubric, and how many of each to compose per language: a failure next to anything that
#: is not abuse is still a complaint; a question next to thanks or chit-chat stays a
#: question; two opinions stay an opinion.
MIXES: dict[tuple[Category, Category], tuple[Category, int]] = {
    (Category.COMPLAINT, Category.GENERAL_OPINION): (Category.COMPLAINT, 350),
    (Category.COMPLAINT, Category.SERVICE_QUESTION): (Category.COMPLAINT, 150),
    (Category.COMPLAINT, Category.COMPLAINT): (Category.COMPLAINT, 150),
    (Category.GENERAL_OPINION, Category.GENERAL_OPINION): (Category.GENERAL_OPINION, 400),
    (Category.SERVICE_QUESTION, Category.GENERAL_OPINION): (Category.SERVICE_QUESTION, 200),
}
#: How many pieces of general chatter (subject + opinion, or a rhetorical question).
CHATTER = {"fr": 250, "en": 450}

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
        "good_bare": re.sub(
            r"^(my|the|your|ma|mon|la|le|l'|votre|les)\s*", "", rng.choice(d["good"])
        ),
        "num": str(rng.randint(100, 2999)),
        "name": rng.choice(EN.NAMES),
        "day": rng.choice(EN.DAYS),
        "prenom": rng.choice(FR.PRENOMS),
        "jour": rng.choice(FR.JOURS),
        "ruin": rng.choice((FR if lang == "fr" else EN).RUIN),
        "ruin_n": rng.choice(FR.RUIN_N),
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
            Category.COMPLAINT: [(0.36, FR.COMPLAINT), (0.12, FR.COMPLAINT_QUESTIONS),
                                 (0.06, FR.SARCASM),
                                 (0.2, FR.COMPLAINT_STORIES),
                                 (0.14, FR.QC_COMPLAINT), (0.12, FR.MA_COMPLAINT)],
            Category.SERVICE_QUESTION: [(0.75, FR.SERVICE_QUESTION), (0.15, FR.QC_QUESTION),
                                        (0.10, FR.MA_QUESTION)],
            Category.GENERAL_OPINION: [(0.25, FR.GENERAL_OPINION), (0.2, FR.PRAISE),
                                       (0.1, FR.RESOLVED_THANKS),
                                       (0.08, FR.NEWS), (0.12, FR.EVERYDAY),
                                       (0.07, FR.REPLIES), (0.1, FR.QC_OPINION),
                                       (0.08, FR.MA_OPINION)],
            Category.INSULT: [(0.75, FR.INSULT), (0.15, FR.QC_INSULT), (0.10, FR.MA_INSULT)],
        }
    else:
        table = {
            Category.COMPLAINT: [(0.52, EN.COMPLAINT), (0.12, EN.COMPLAINT_QUESTIONS),
                                 (0.08, EN.SARCASM),
                                 (0.28, EN.COMPLAINT_STORIES)],
            Category.SERVICE_QUESTION: [(1.0, EN.SERVICE_QUESTION)],
            Category.GENERAL_OPINION: [(0.18, EN.GENERAL_OPINION), (0.15, EN.GENERAL_TWEETS),
                                       (0.22, EN.PRAISE), (0.12, EN.RESOLVED_THANKS),
                                       (0.1, EN.NEWS),
                                       (0.15, EN.EVERYDAY), (0.08, EN.REPLIES)],
            Category.INSULT: [(0.55, EN.INSULT), (0.45, EN.INSULTS_TWEETS)],
        }
    return table[category]


def _voice(text: str, lang: str, rng: random.Random) -> str:
    """Fill the brand and handle slots of a whole comment (or drop them)."""
    mod = FR_VOICES if lang == "fr" else EN_VOICES
    cities = FR.CITIES if lang == "fr" else EN.CITIES
    bare = rng.random() < VOICE_BARE[lang]

    def brand(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "ville":
            return rng.choice(cities)
        if bare and m.start() == 0:
            return ""
        return rng.choice(mod.BRANDS[name])

    text = _FIELD.sub(brand, text)
    return re.sub(r"\s+", " ", text).strip()


def _chatter(lang: str, rng: random.Random) -> str:
    """Negative, political or everyday chatter that reports no failure: general_opinion."""
    mod = FR_VOICES if lang == "fr" else EN_VOICES
    if rng.random() < 0.25:
        text = rng.choice(mod.CHATTER_QUESTIONS)
    else:
        text = rng.choice(mod.CHATTER_SUBJECTS) + " " + rng.choice(mod.CHATTER_OPINIONS)
        text += rng.choice(mod.CHATTER_TAILS)
    if lang == "en" and rng.random() < 0.8:
        text = rng.choice(["@USER", "@USER @USER", "@USER @USER @USER"]) + " " + text
    return text[0].upper() + text[1:] if rng.random() < 0.5 else text


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
            voices = FR_VOICES if lang == "fr" else EN_VOICES
            cat = str(category).upper()
            for text in getattr(voices, cat) + getattr(voices, cat + "_LONG", []):
                for _ in range(VOICE_COPIES):
                    made += add(lang, category, roughen(_voice(text, lang, rng), lang, rng, 0.7))
            if category == Category.GENERAL_OPINION:
                for _ in range(CHATTER[lang]):
                    made += add(lang, category, roughen(_chatter(lang, rng), lang, rng, 0.7))
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
    for lang, category, text in read_written():
        add(lang, category, text)
        for _ in range(rng.choice(WRITTEN_VARIANTS)):
            add(lang, category, roughen(text, lang, rng, 0.6))
    for lang in ("fr", "en"):
        for (first, second), (label, count) in MIXES.items():
            a = [e.text for e in examples if e.lang == lang and e.label == first]
            b = [e.text for e in examples if e.lang == lang and e.label == second]
            for _ in range(count):
                add(lang, label, _join(rng.choice(a), rng.choice(b), rng))
    rng.shuffle(examples)
    return examples


def read_written(folder: Path = WRITTEN_DIR) -> list[tuple[str, Category, str]]:
    """The whole written comments, file by file in name order; a bad label is an error."""
    out: list[tuple[str, Category, str]] = []
    labels = {str(c) for c in Category}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                line = reader.line_num  # the file's line, even after a quoted line break
                text, lang = (row.get("text") or "").strip(), row.get("lang")
                if not text or lang not in TARGETS:
                    raise ValueError(f"{path.name}:{line}: needs a text and lang fr or en")
                label = row.get("label")
                if label not in labels:
                    raise ValueError(f"{path.name}:{line}: unknown label {label!r}")
                out.append((lang, Category(label), text))
    return out


def _join(a: str, b: str, rng: random.Random) -> str:
    """Two comments as one longer post, in either order, the second without its handle."""
    b = re.sub(r"^(?:@\w+\s*)+", "", b).strip() or b
    if rng.random() < 0.5:
        a, b = re.sub(r"^(?:@\w+\s*)+", "", a).strip() or a, b
        a, b = b, a
    sep = rng.choice([" ", ". ", " - ", ", ", "\n", " … ", "! "])
    return f"{a.rstrip('.')}{sep}{b}"


def _summary(examples: list[Example]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for e in examples:
        counts[(e.lang, str(e.label))] = counts.get((e.lang, str(e.label)), 0) + 1
    lines = [f"{lang} {label:17} {n}" for (lang, label), n in sorted(counts.items())]
    return "\n".join([*lines, f"total {len(examples)}"])


def main(argv: list[str] | None = None, echo: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description="Rewrite the project's labelled corpus.")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", default=str(CORPUS_PATH))
    args = parser.parse_args(argv)
    examples = compose(args.seed)
    write_corpus(examples, Path(args.out))
    echo(_summary(examples))


if __name__ == "__main__":
    main()

