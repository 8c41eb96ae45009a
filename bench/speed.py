"""How fast the shipped classifier is, on one core.

Prints: import time, model load time, batch throughput (comments per second on batches of
500, the size the ingestion pipeline sends; the median of three passes), latency for one
comment (p50/p99 over 1,000 calls, after a warm-up), and the peak resident memory of this
process. Last line: one JSON
object with ``comments_per_s``, ``p99_ms``, ``load_s`` and ``peak_rss_mb`` (plus the rest,
among them ``cold_start_s``: importing the package and loading the model, as a fresh
process pays it).

``--model FILE`` measures another model file; for the ``ngrams+use`` backend, loading
includes the sentence encoder.

The comments are composed from the project's own corpus (repeated and shuffled), so the
benchmark needs nothing outside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time


def _peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports kilobytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a model file (default: the shipped one)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    started = time.perf_counter()
    from ecoute.classifiers import load_classifier
    from ecoute.classifiers.corpus import load_corpus
    from ecoute.classifiers.language import _get_identifier

    import_s = time.perf_counter() - started

    started = time.perf_counter()
    classifier = load_classifier(args.model)  # with the sentence encoder, if the model has it
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    _get_identifier()  # the language model; loads in the background in real use
    langid_s = time.perf_counter() - started

    rng = random.Random(5)
    texts = [e.text for e in load_corpus()]
    rng.shuffle(texts)
    batch = 500
    corpus = (texts * 2)[:10_000]
    classifier.classify(corpus[:batch])  # warm-up

    # Three timed passes; the median, because a shared machine's noise only ever slows down.
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for i in range(0, len(corpus), batch):
            classifier.classify(corpus[i : i + batch])
        rates.append(len(corpus) / (time.perf_counter() - started))
    per_s = statistics.median(rates)

    for text in texts[:50]:
        classifier.classify([text])
    latencies = []
    for text in texts[:1000]:
        t0 = time.perf_counter()
        classifier.classify([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    rss = _peak_rss_mb()

    print(f"import ecoute.classifiers      {import_s:8.3f} s")
    print(f"load_classifier()              {load_s:8.3f} s  (model {classifier.version})")
    print(f"cold start (import + load)     {import_s + load_s:8.3f} s")
    print(f"language model (background)    {langid_s:8.3f} s")
    print(
        f"batch throughput               {per_s:8.0f} comments/s  (median of 3 passes over "
        f"{len(corpus)} in batches of {batch}; passes: {', '.join(f'{r:.0f}' for r in rates)})"
    )
    print(f"one comment                    p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"peak RSS                       {rss:8.1f} MB")
    print(
        json.dumps(
            {
                "comments_per_s": round(per_s),
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "load_s": round(load_s, 3),
                "import_s": round(import_s, 3),
                "cold_start_s": round(import_s + load_s, 3),
                "langid_load_s": round(langid_s, 3),
                "peak_rss_mb": round(rss, 1),
                "model_version": classifier.version,
                "embedding": classifier.params.embedding,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
