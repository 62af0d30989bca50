"""Reading an uploaded CSV: header, delimiter, and records from a byte offset.

Records are numbered as a spreadsheet shows them (the header is row 1), and each record
knows the byte offset where the next one starts, which is what a job checkpoints. A
physical line longer than ``MAX_LINE`` is never held: it is skipped up to its newline and
reported as a failed row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

MAX_LINE = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(MAX_LINE * 2)


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header line (default ",")."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Source:
    """Records of a CSV file from ``offset``; ``problems`` collects rows that could not be
    read (too long, malformed), for the caller to report with the next chunk."""

    file: IO[bytes]
    encoding: str
    delimiter: str
    offset: int
    next_row: int
    problems: list[tuple[int, str]] = field(default_factory=list)

    def _lines(self) -> Iterator[str]:
        self.file.seek(self.offset)
        readline = self.file.readline
        decode = self.encoding
        while True:
            raw = readline(MAX_LINE + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = readline(MAX_LINE)
                self.problems.append((self.next_row, f"line longer than {MAX_LINE} bytes"))
                self.next_row += 1
                continue
            try:
                yield raw.decode(decode)
            except UnicodeDecodeError:
                self.problems.append((self.next_row, f"not valid {self.encoding}"))
                self.next_row += 1

    def records(self) -> Iterator[tuple[int, list[str], int]]:
        """``(row number, cells, offset after the record)``; blank lines are skipped."""
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        tell = self.file.tell
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.problems.append((self.next_row, f"malformed CSV: {exc}"))
                self.next_row += 1
                continue
            row = self.next_row
            self.next_row += 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            yield row, cells, tell()


def read_header(path: str, encoding: str, skip_bom: bool) -> tuple[list[str], str, int]:
    """The header cells, the delimiter and the byte offset of the first data record."""
    with open(path, "rb") as file:
        if skip_bom:
            file.read(3)
        while True:
            raw = file.readline(MAX_LINE + 1)
            if not raw:
                return [], ",", file.tell()
            if len(raw) > MAX_LINE:
                raise ValueError(f"the header line is longer than {MAX_LINE} bytes")
            line = raw.decode(encoding)
            if line.strip():
                break
        delimiter = sniff_delimiter(line)
        header = next(csv.reader([line], delimiter=delimiter), [])
        return [h.strip() for h in header], delimiter, file.tell()
