"""Turn the JSON lines of a bench run into the Markdown rows of docs/performance.md.

python -m bench.report results.jsonl
"""

from __future__ import annotations

import json
import sys


def rows(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if not line.startswith("{"):
            continue
        f = json.loads(line)
        where = f"{f['engine']} {f['size'] // 1000}k"
        if f["scenario"] == "B3":
            ratio = f["ours_p99_ms"] / f["baseline_p99_ms"] if f["baseline_p99_ms"] else 0
            out.append(
                f"| B3 {f['case']} p.{f['page']} ({f['rows']} rows) | "
                f"{f['baseline_p50_ms']} / {f['baseline_p99_ms']} ms | "
                f"{f['ours_p50_ms']} / {f['ours_p99_ms']} ms | p99 x{ratio:.1f} | "
                f"{f['date']} | {where} | {f['commit']} |"
            )
        else:
            out.append(
                f"| {f['scenario']} {f['what']} | {f['baseline_rps']} req/s, p99 "
                f"{f['baseline_p99_ms']} ms | {f['ours_rps']} req/s, p99 {f['ours_p99_ms']} ms | "
                f"{f['ratio_rps']} | {f['date']} | {where} | {f['commit']} |"
            )
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print("\n".join(rows(handle.readlines())))
