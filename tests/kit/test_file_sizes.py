"""Files that read in a sitting: no Python file in src/roster is over ``LIMIT`` lines.

``STILL_OVER`` lists the files over the limit that are being split. The list can only
shrink: a file not on it fails when it grows over the limit, and a file on it fails once
it is under the limit (or gone), so that its entry is removed with the split that brought
it there. Never add to it.
"""

from __future__ import annotations

from pathlib import Path

LIMIT = 400
SRC = Path(__file__).parents[2] / "src" / "roster"
STILL_OVER: frozenset[str] = frozenset()


def _lines() -> dict[str, int]:
    return {
        path.relative_to(SRC).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in SRC.rglob("*.py")
    }


def test_no_file_grows_over_the_limit() -> None:
    over = {name: n for name, n in _lines().items() if n > LIMIT and name not in STILL_OVER}
    assert not over, f"split these files (at most {LIMIT} lines each): {over}"


def test_the_files_still_over_the_limit_are_only_taken_off_the_list() -> None:
    lines = _lines()
    done = sorted(name for name in STILL_OVER if lines.get(name, 0) <= LIMIT)
    assert not done, f"remove from STILL_OVER (now within {LIMIT} lines, or gone): {done}"
