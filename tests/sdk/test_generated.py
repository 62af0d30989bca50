"""The SDK never drifts from the server: its models, generated from the app's OpenAPI
document, and its synchronous client, written from the asynchronous one, are what
clients/python/tools/generate.py makes now."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
TOOL = ROOT / "clients" / "python" / "tools" / "generate.py"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def test_regenerating_gives_no_diff(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("sdk_generate", TOOL)
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules["sdk_generate"] = tool
    spec.loader.exec_module(tool)
    tool.generate(tmp_path)
    for part in ("_generated", "_sync"):
        made, kept = _files(tmp_path / part), _files(tool.PACKAGE / part)
        changed = sorted(
            name for name in made.keys() | kept.keys() if made.get(name) != kept.get(name)
        )
        assert not changed, f"run python {TOOL.relative_to(ROOT)}: {part} differs in {changed}"
