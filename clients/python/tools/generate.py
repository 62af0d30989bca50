"""Regenerate the SDK's derived code: ``python clients/python/tools/generate.py``.

1. ``roster_client/_generated``: the models, made by openapi-python-client from the
   OpenAPI document of the Roster app in this repository (its ``/v1`` part);
2. ``roster_client/_sync``: the synchronous client, written from ``roster_client/_async``
   by removing ``async``/``await`` (as httpcore does with unasync), so both stay one code.

``tests/sdk/test_generated.py`` fails when either is out of date.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parents[1] / "roster_client"
# The repository's ruff settings format the written code, wherever it is written.
RUFF_CONFIG = Path(__file__).resolve().parents[3] / "pyproject.toml"
SDK_PATHS = ("/v1/",)

# async source → sync source, applied in order.
UNASYNC = [
    (r"\bimport asyncio\n", "import time\n"),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncIterable\b", "Iterable"),
    (r"\bAsyncGenerator\b", "Generator"),
    (r"\bAwaitable\b", "Callable"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\bhttpx\.AsyncBaseTransport\b", "httpx.BaseTransport"),
    (r"\bhttpx\.AsyncByteStream\b", "httpx.SyncByteStream"),
    (r"\bAsync(?=[A-Z])", ""),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\baclose\b", "close"),
    (r"\baiter_bytes\b", "iter_bytes"),
    (r"\baiter_lines\b", "iter_lines"),
    (r"\baread\b", "read"),
    (r"\basynchronous\b", "synchronous"),
    (r"_async\b", "_sync"),
]
HEADER = "# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.\n"


def document() -> dict[str, Any]:
    """The app's OpenAPI document, limited to the SDK's paths and what they use."""
    from roster.app import create_app
    from roster.config import Settings

    doc: dict[str, Any] = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
    doc["paths"] = {p: v for p, v in doc["paths"].items() if p.startswith(SDK_PATHS)}
    schemas = doc["components"]["schemas"]
    used: set[str] = set()
    todo = [doc["paths"]]
    while todo:
        text = json.dumps(todo.pop())
        for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)) - used:
            used.add(name)
            todo.append(schemas[name])
    doc["components"]["schemas"] = {k: v for k, v in schemas.items() if k in used}
    return doc


def models(target: Path) -> None:
    """Generate the models into ``target`` (a ``_generated`` package)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "openapi.json").write_text(json.dumps(document()))
        bin_dir = Path(sys.executable).parent
        command = [str(bin_dir / "openapi-python-client"), "generate", "--meta", "none"]
        result = subprocess.run(
            [*command, "--path", "openapi.json", "--output-path", "out"],
            cwd=work,
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
            check=False,
        )
        output = result.stdout + result.stderr
        if result.returncode != 0 or "warning" in output.lower():
            raise SystemExit(f"openapi-python-client failed:\n{output}")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copytree(work / "out" / "models", target / "models")
        shutil.copy(work / "out" / "types.py", target / "types.py")
        (target / "__init__.py").write_text(
            '"""Models generated from Roster\'s OpenAPI document by openapi-python-client '
            '(clients/python/tools/generate.py); do not edit."""\n'
        )


def unasync(source: Path, target: Path) -> None:
    """Write the synchronous twin of every module of ``source`` into ``target``."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for module in sorted(source.glob("*.py")):
        text = module.read_text()
        for pattern, replacement in UNASYNC:
            text = re.sub(pattern, replacement, text)
        (target / module.name).write_text(HEADER + text)
    ruff = [str(Path(sys.executable).parent / "ruff"), "--config", str(RUFF_CONFIG)]
    subprocess.run([ruff[0], "check", *ruff[1:], "--fix-only", "-q", str(target)], check=True)
    subprocess.run([ruff[0], "format", *ruff[1:], "-q", str(target)], check=True)


def generate(package: Path = PACKAGE) -> None:
    models(package / "_generated")
    unasync(PACKAGE / "_async", package / "_sync")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGE)
