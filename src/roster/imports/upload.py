"""Receive a multipart upload straight to disk, never holding the file in memory.

The body is fed to python-multipart's streaming parser chunk by chunk; the ``file`` part
is written to a new file under ``<data_dir>/imports`` as it arrives, while the bytes are
checked on the way: UTF-8 validity (an incremental decoder), NUL bytes near the start
(a binary file), and the newline count (the job's row estimate). The size limit is
enforced by the RequestContext middleware, which stops the body mid-stream with 413.
"""

from __future__ import annotations

import codecs
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from roster.errors import InvalidRequest, UnsupportedMediaType, ValidationFailed
from roster.kit.ids import uuid7

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 20
BINARY_PROBE = 64 * 1024
BOM = codecs.BOM_UTF8


@dataclass
class Upload:
    path: Path | None = None
    filename: str = "upload.csv"
    size: int = 0
    newlines: int = 0
    utf8: bool = True
    bom: bool = False
    binary: bool = False
    last_byte: bytes = b""
    fields: dict[str, str] = field(default_factory=dict)

    def observe(self, chunk: bytes, decoder: codecs.IncrementalDecoder) -> None:
        """Check the file's next bytes on their way to disk (BOM, NUL, UTF-8, newlines)."""
        if self.size == 0 and chunk.startswith(BOM):
            self.bom = True
        if self.size < BINARY_PROBE and b"\x00" in chunk[: BINARY_PROBE - self.size]:
            self.binary = True
        if self.utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                self.utf8 = False
        self.newlines += chunk.count(b"\n")
        self.size += len(chunk)
        if chunk:
            self.last_byte = chunk[-1:]

    def discard(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()


class _Receiver:
    """Callbacks of the multipart parser: headers, field values, and the file's bytes."""

    def __init__(self, directory: Path, upload: Upload):
        self.directory = directory
        self.upload = upload
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.value = bytearray()
        self.file: IO[bytes] | None = None
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.parts = 0

    def on_part_begin(self) -> None:
        self.headers = {}
        self.value = bytearray()
        self.parts += 1
        if self.parts > MAX_FIELDS:
            raise InvalidRequest(f"at most {MAX_FIELDS} form fields")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = b""
        self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.name == "file":
            if self.upload.path is not None:
                raise InvalidRequest("give one file")
            filename = options.get(b"filename", b"upload.csv").decode("utf-8", "replace")
            self.upload.filename = Path(filename.replace("\\", "/")).name[:255] or "upload.csv"
            self.directory.mkdir(parents=True, exist_ok=True)
            self.upload.path = self.directory / f"{uuid7().hex}.csv"
            self.file = self.upload.path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.file is None:
            self.value += chunk
            if len(self.value) > MAX_FIELD_BYTES:
                raise ValidationFailed.one(self.name, f"at most {MAX_FIELD_BYTES} bytes")
            return
        self.upload.observe(chunk, self.decoder)
        self.file.write(chunk)

    def on_part_end(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            if self.upload.utf8:
                try:
                    self.decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    self.upload.utf8 = False
        elif self.name:
            self.upload.fields[self.name] = self.value.decode("utf-8", "replace")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


async def receive(request: Request, directory: Path) -> Upload:
    """Parse the multipart body; the caller owns (and on failure discards) the file."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise UnsupportedMediaType("send multipart/form-data with a 'file' part")
    upload = Upload()
    receiver = _Receiver(directory, upload)
    callbacks: Any = {
        name: getattr(receiver, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(options[b"boundary"], callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException:
        receiver.close()
        upload.discard()
        raise
    receiver.close()
    if upload.path is None:
        raise ValidationFailed.one("file", "a CSV file is required")
    return upload


def copy_local(source: Path, directory: Path, fields: dict[str, str]) -> Upload:
    """What ``receive`` does, for a file on this machine (``roster import`` without --url)."""
    directory.mkdir(parents=True, exist_ok=True)
    upload = Upload(path=directory / f"{uuid7().hex}.csv", filename=source.name, fields=fields)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with source.open("rb") as src, upload.path.open("wb") as dst:  # type: ignore[union-attr]
            while chunk := src.read(1024 * 1024):
                upload.observe(chunk, decoder)
                dst.write(chunk)
        if upload.utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                upload.utf8 = False
    except BaseException:
        upload.discard()
        raise
    return upload
