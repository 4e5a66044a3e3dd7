"""How long to wait before trying again: one rule for every retry docent makes (provider
calls, ingestion jobs waiting for the index or a provider)."""

from __future__ import annotations

import random


def equal_jitter(attempt: int, *, base_s: float, cap_s: float) -> float:
    """Seconds to wait after failed try number `attempt` (0 for the first): exponential
    backoff, `min(cap_s, base_s * 2**attempt)`, of which half is fixed and half random.

    "Equal jitter" from the AWS Architecture Blog's "Exponential Backoff and Jitter"
    (Marc Brooker, 2015): it spreads the retries of calls that failed together and never
    retries at once.
    """
    ceiling = min(cap_s, base_s * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)
