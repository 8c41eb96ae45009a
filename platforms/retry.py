"""When to try again after a transient failure.

Workers never sleep: they compute the instant the next attempt may go and store it.
Exponential growth spaces attempts out while a platform is down; the cap keeps a long
outage from pushing the next attempt hours away; the jitter keeps many sources that
failed together from all coming back in the same second.
"""

from __future__ import annotations

import random
from datetime import timedelta


def backoff_delay(
    failures: int,
    *,
    base_s: float = 5.0,
    cap_s: float = 900.0,
    rng: random.Random | None = None,
) -> timedelta:
    """The wait after `failures` consecutive failures (1 for the first): full jitter in
    the upper half of `min(cap, base * 2**(failures-1))`."""
    exponent = max(failures - 1, 0)
    ceiling = min(cap_s, base_s * 2 ** min(exponent, 32))
    draw = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * draw)
