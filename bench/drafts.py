"""Drafting quality and speed on real comments: gold fr_dev and en_dev.

Every comment is drafted as it would be on X and on Facebook, with the gold category
(so the figures measure the responder, not the classifier) and the threat flags of the
lexicon. Comments are grouped into threads of 20 in file order, with a small pool of
authors per thread so that the same person comments several times, some without a
usable name; an incident is declared so that complaints mentioning an outage take the
incident path. The texts are read from ../shared/datasets/gold next to the repository
and are never written anywhere.

Prints, per language and category, the share of drafts passing every check, the X
weighted lengths (max, p95), the variants used, the speed, and as its last line a JSON
object: complaint_pass_rate, over_limit, identical_in_thread, drafts_per_s.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from ecoute.classifiers.flags import detect_flags
from ecoute.core.domain import Category
from ecoute.core.settings import example_config_path, load_settings
from ecoute.responders.drafting import ClassificationView, CommentView, Drafter
from ecoute.responders.incidents import IncidentView
from ecoute.responders.length import limit_for
from ecoute.responders.variants import VariantPicker

GOLD = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "gold"
FILES = {"fr": "fr_dev.csv", "en": "en_dev.csv"}
THREAD_SIZE = 20
AUTHORS = ["Marie Dupont", "Jean-Luc", "", "Amina B.", "Kevin", "", "Sophie Tremblay", "Tom"]
PLATFORMS = ("x", "facebook")


def load_gold() -> dict[str, list[dict[str, str]]]:
    data: dict[str, list[dict[str, str]]] = {}
    for language, name in FILES.items():
        path = GOLD / name
        if not path.is_file():
            print(f"skipped: {path} is absent (gold data lives in ../shared/datasets)")
            print(json.dumps({"skipped": True, "reason": f"{path} absent"}))
            sys.exit(0)
        with path.open(encoding="utf-8", newline="") as handle:
            data[language] = list(csv.DictReader(handle))
    return data


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0


def main() -> None:
    gold = load_gold()
    settings = load_settings(example_config_path(), check_secrets=False)
    drafter = Drafter(settings)
    incident = IncidentView.build(
        id=1,
        title="Panne fibre Lyon",
        summary={
            "fr": "Une panne touche une partie du réseau depuis ce matin.",
            "en": "An outage has been affecting part of our network since this morning.",
        },
        status_url="https://status.fibrelle.fr",
        keywords=["panne*", "coupure*", "outage*", "down"],
    )
    jobs = []
    for language, rows in gold.items():
        for platform in PLATFORMS:
            for index, row in enumerate(rows):
                thread = f"{language}-{index // THREAD_SIZE}"
                author = AUTHORS[(index * 3) % len(AUTHORS)]
                comment = CommentView(
                    text=row["text"],
                    platform=platform,
                    author_handle=f"client{(index * 3) % len(AUTHORS)}",
                    author_name=author or None,
                    thread_id=thread,
                    external_id=row["id"],
                )
                classification = ClassificationView(
                    category=row["label"], language=language, flags=detect_flags(row["text"])
                )
                jobs.append((language, platform, comment, classification))

    # Warm up templates, lexicons and the knowledge index outside the timing.
    drafter.draft(jobs[0][2], jobs[0][3], picker=VariantPicker())
    picker = VariantPicker()
    started = time.perf_counter()
    outcomes = [
        (
            language,
            platform,
            comment,
            drafter.draft(comment, c, incidents=[incident], picker=picker),
        )
        for language, platform, comment, c in jobs
    ]
    seconds = time.perf_counter() - started

    passed: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    actions: Counter[tuple[str, str]] = Counter()
    x_lengths: list[int] = []
    fb_lengths: list[int] = []
    over_limit = 0
    variants: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    finding_names: Counter[str] = Counter()
    threads: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    written = 0
    for language, platform, comment, outcome in outcomes:
        actions[(language, str(outcome.decision.action))] += 1
        if outcome.rendered is None:
            continue
        written += 1
        rendered = outcome.rendered
        key = (language, str(outcome.decision.category))
        passed[key][1] += 1
        passed[key][0] += not rendered.findings
        finding_names.update(f.name for f in rendered.findings)
        (x_lengths if platform == "x" else fb_lengths).append(rendered.length)
        over_limit += rendered.length > limit_for(platform)
        case = rendered.template.rsplit("/", 2)[-2]
        variants[(language, case)][rendered.template.rsplit("/", 1)[-1]] += 1
        threads[(platform, comment.thread_id or "")][rendered.text] += 1
    identical = sum(n - 1 for texts in threads.values() for n in texts.values() if n > 1)

    print(
        f"{len(jobs)} comments ({', '.join(f'{k}: {len(v)}' for k, v in gold.items())}) "
        f"x {len(PLATFORMS)} platforms; {written} drafts written in {seconds:.2f} s"
    )
    print()
    print(f"{'language':<9}{'category':<18}{'drafts':>7}{'pass all checks':>17}")
    for (language, category), (ok, total) in sorted(passed.items()):
        print(f"{language:<9}{category:<18}{total:>7}{ok / total:>16.1%}")
    print()
    print("actions:", ", ".join(f"{lang}/{act}={n}" for (lang, act), n in sorted(actions.items())))
    print(
        f"X weighted length: max {max(x_lengths)}, p95 {percentile(x_lengths, 0.95)} "
        f"(limit 280); Facebook length: max {max(fb_lengths)} (limit 8000)"
    )
    print("variants used:")
    for (language, case), counts in sorted(variants.items()):
        used = ", ".join(f"{name}={n}" for name, n in sorted(counts.items()))
        print(f"  {language} {case:<22} {len(counts)} variants: {used}")
    print("findings:", dict(finding_names) or "none")
    print(f"identical replies within a thread: {identical}")
    per_s = written / seconds if seconds else 0.0
    print(f"speed: {per_s:,.0f} drafts/s ({len(jobs) / seconds:,.0f} comments/s decided)")
    complaints = [passed[k] for k in passed if k[1] == Category.COMPLAINT]
    ok = sum(p[0] for p in complaints)
    total = sum(p[1] for p in complaints)
    print(
        json.dumps(
            {
                "complaint_pass_rate": round(ok / total, 4) if total else None,
                "over_limit": over_limit,
                "identical_in_thread": identical,
                "drafts_per_s": round(per_s, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
