"""The validation fast paths (roster.kit.fastpath) decide exactly as phonenumbers and
email-validator do: a differential test over a million generated phone inputs and a
million generated email addresses, hard cases included (every region's example numbers in
every format, unicode digits and letters, odd punctuation, extensions, lengths at the
edges, special-use domains, IDN and quoted addresses). See differential.py.

ROSTER_DIFFERENTIAL_INPUTS changes the number of inputs of each kind (default 1,000,000).
"""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from roster.kit import fastpath
from tests.contacts import differential

INPUTS = int(os.environ.get("ROSTER_DIFFERENTIAL_INPUTS", "1000000"))
PARTS = 8


def test_fast_paths_decide_as_the_libraries_do() -> None:
    size = -(-INPUTS // PARTS)
    jobs = [(kind, 1000 + part, size) for kind in ("phone", "email") for part in range(PARTS)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(2, os.cpu_count() or 1), mp_context=context) as pool:
        results = list(pool.map(differential.check, jobs))
    totals: dict[str, list[int]] = {"phone": [0, 0], "email": [0, 0]}
    mismatches = []
    for kind, count, fast, problems in results:
        totals[kind][0] += count
        totals[kind][1] += fast
        mismatches += problems
    assert mismatches == []
    for kind, (count, fast) in totals.items():
        assert count >= INPUTS
        # The generators aim at the fast paths' shapes, so they are exercised a lot.
        assert fast >= count // 10, (kind, count, fast)


def test_the_generators_reach_the_hard_cases() -> None:
    phones = list(differential.phone_inputs(1, 5_000))
    emails = list(differential.email_inputs(1, 5_000))
    assert any(not text.isascii() for text, _ in phones)
    assert any(region is None for _, region in phones)
    assert len({region for _, region in phones}) > 200
    assert any(len(text.strip()) > 64 for text, _ in phones)
    assert any("x" in text or "ext" in text for text, _ in phones)
    assert any(not text.isascii() for text in emails)
    assert any(len(text) > 254 for text in emails)
    assert any(text.endswith(".onion") or text.endswith(".test") for text in emails)
    assert any("xn--" in text for text in emails)
    assert any("<" in text for text in emails)
    # Accented local parts, some of them taken by the fast path.
    assert sum(not text.isascii() and fastpath.email(text) is not None for text in emails) > 100
