"""The docs are complete by construction: every setting is in docs/configuration.md, every
problem code in docs/errors.md, and no doc names a file the repository does not have."""

from __future__ import annotations

import re
from pathlib import Path

from roster.config import Settings
from roster.system.problems import PAGES

ROOT = Path(__file__).parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# A path of the repository (docs/x.md, deploy/…, bench/…) or a bare Markdown file name;
# paths with placeholders (<N>, …) name files that runs make.
REFERENCE = re.compile(
    r"(?<![\w/.<-])((?:docs|deploy|bench|src|tests|clients)/[\w./-]++|[\w-]+\.md)(?![<…])"
)


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [f"ROSTER_{name.upper()}" for name in Settings.model_fields]
    missing = [name for name in missing if f"`{name}`" not in text]
    assert not missing, f"add to docs/configuration.md: {missing}"


def test_every_problem_code_is_documented() -> None:
    text = (ROOT / "docs" / "errors.md").read_text()
    missing = [code for code in PAGES if f"`{code}`" not in text]
    assert not missing, f"add to docs/errors.md: {missing}"


def test_docs_name_only_files_that_exist() -> None:
    broken = []
    for doc in DOCS:
        for match in REFERENCE.finditer(doc.read_text()):
            name = match.group(1).rstrip(".")
            if not any(p.exists() for p in (ROOT / name, doc.parent / name)):
                broken.append(f"{doc.relative_to(ROOT)}: {name}")
    assert not broken, broken
