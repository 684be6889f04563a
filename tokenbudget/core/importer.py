"""Read canonical events from a JSON Lines or CSV file (`tb import FILE`).

The reader streams: one line (CSV: one record) at a time, so a multi-gigabyte file costs constant memory.
Each line yields either an `EventInput` or an `ImportProblem` naming the line as an editor shows it, so one
bad line is reported and skipped while every good line is still imported. The format is in docs/import-format.md.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Literal

from tokenbudget.core.errors import InvalidEventError, TokenBudgetError
from tokenbudget.core.events import EVENT_FIELDS, EventInput, parse_event

__all__ = [
    "IMPORT_FORMATS",
    "STDIN",
    "ImportFileError",
    "ImportFormat",
    "ImportFormatError",
    "ImportProblem",
    "count_lines",
    "detect_format",
    "read_events",
]

ImportFormat = Literal["jsonl", "csv"]
IMPORT_FORMATS: tuple[str, ...] = ("jsonl", "csv")
STDIN = "-"

# Extension (after an optional .gz) -> format. `--format ndjson` is accepted as a synonym too.
_EXTENSIONS: dict[str, ImportFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_FORMAT_NAMES: dict[str, ImportFormat] = {"jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv"}
_CHUNK = 1 << 20
_BAD_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)


class ImportFormatError(InvalidEventError):
    """The file's format cannot be determined or is not supported."""

    exit_code = 2


class ImportFileError(TokenBudgetError):
    """The import file cannot be opened."""


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One line that could not be imported: its 1-based line number and why."""

    line: int
    error: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.error}"


def detect_format(path: Path | str, explicit: str | None = None) -> ImportFormat:
    """The format named by `explicit` (`--format`), else by the file's extension (`.gz` looked through).

    Standard input (`-`) has no extension and is read as JSON Lines unless told otherwise.
    """
    if explicit:
        fmt = _FORMAT_NAMES.get(explicit.strip().lower())
        if fmt is None:
            raise ImportFormatError(f"unknown import format {explicit!r}; use jsonl or csv")
        return fmt
    if str(path) == STDIN:
        return "jsonl"
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None:
        shown = suffix or "no extension"
        raise ImportFormatError(
            f"cannot tell the format of {Path(path).name} ({shown}); "
            "name it .jsonl, .ndjson or .csv (optionally .gz), or pass --format jsonl|csv"
        )
    return fmt


def read_events(
    path: Path | str, fmt: str, *, now: datetime
) -> Iterator[tuple[int, EventInput | ImportProblem]]:
    """Yield `(line, event or problem)` for every non-blank line (CSV: record) of the file, in order.

    `now` stamps events that carry no `occurred_at`. Opening failures raise `ImportFileError`; everything
    wrong inside the file is an `ImportProblem` and reading goes on (a truncated gzip ends the stream with one).
    """
    fmt = detect_format(path, fmt)
    with _open_binary(path) as stream:
        reader = _read_jsonl(stream, now) if fmt == "jsonl" else _read_csv(stream, now)
        last = 0
        try:
            for line, item in reader:
                last = line
                yield line, item
        except _BAD_GZIP as exc:
            yield last + 1, ImportProblem(last + 1, f"the file is truncated or not valid gzip ({exc})")


def count_lines(path: Path | str) -> int:
    """Number of lines in the file (a final line without a newline counts), for a progress bar's total.

    `read_events` yields these same line numbers, so a caller can advance the bar to the last line it saw.
    Standard input cannot be counted ahead: 0.
    """
    if str(path) == STDIN:
        return 0
    lines = 0
    last = b"\n"
    try:
        with _open_binary(path) as stream:
            while chunk := stream.read(_CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except _BAD_GZIP:
        pass  # read_events reports it with a line number; a total that is a little short is harmless
    return lines + (last != b"\n")


def _open_binary(path: Path | str) -> IO[bytes]:
    if str(path) == STDIN:
        # Not closed by the caller's `with`: wrap so closing leaves the process's stdin alone.
        return _Unclosed(sys.stdin.buffer)
    try:
        if str(path).lower().endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return open(path, "rb")  # closed by the caller's `with`
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None


class _Unclosed:
    """A context manager around a stream that must not be closed (stdin)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def __enter__(self) -> _Unclosed:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _decode(raw: bytes, line: int) -> str:
    """Decode one line as UTF-8; a byte-order mark (Excel, Notepad) on the first line is dropped."""
    text = raw.decode("utf-8")
    if line == 1 and text.startswith("\ufeff"):
        text = text[1:]
    return text


def _parse(values: dict[str, object], line: int, now: datetime) -> EventInput | ImportProblem:
    try:
        return parse_event(values, now=now)
    except TokenBudgetError as exc:
        return ImportProblem(line, str(exc))


def _read_jsonl(stream: Iterable[bytes], now: datetime) -> Iterator[tuple[int, EventInput | ImportProblem]]:
    for line, raw in enumerate(stream, start=1):
        try:
            text = _decode(raw, line).strip()
        except UnicodeDecodeError:
            yield line, ImportProblem(line, "not valid UTF-8")
            continue
        if not text:
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield line, ImportProblem(line, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield line, ImportProblem(line, "invalid JSON: nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield line, ImportProblem(line, f"expected a JSON object, got {_json_type(obj)}")
            continue
        yield line, _parse(obj, line, now)


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


class _LineFeed:
    """Feeds decoded lines to `csv.reader` and remembers which physical lines were not valid UTF-8.

    `csv.reader` takes any iterable of strings; decoding here (rather than through a text wrapper) keeps a bad
    byte from aborting the whole file: the line is passed on with replacement characters and flagged, and the
    record containing it is reported instead of imported.
    """

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._lines = enumerate(stream, start=1)
        self.bad: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for line, raw in self._lines:
            try:
                yield _decode(raw, line)
            except UnicodeDecodeError:
                self.bad.add(line)
                yield raw.decode("utf-8", errors="replace")


def _read_csv(stream: Iterable[bytes], now: datetime) -> Iterator[tuple[int, EventInput | ImportProblem]]:
    feed = _LineFeed(stream)
    reader = csv.reader(feed, strict=True)
    header: list[str] | None = None
    end = 0  # physical line the previous record ended on; a record starts on the next one
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield start, ImportProblem(start, f"malformed CSV: {exc}")
            continue
        end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line
        if any(start <= n <= end for n in feed.bad):
            feed.bad.difference_update(range(start, end + 1))
            yield start, ImportProblem(start, "not valid UTF-8")
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            problem = _header_problem(header)
            if problem:
                # Every row would fail the same way (or silently lose a column), so say it once and stop.
                yield start, ImportProblem(start, problem)
                return
            continue
        if len(row) != len(header):
            yield start, ImportProblem(start, f"row has {len(row)} fields, the header has {len(header)}")
            continue
        yield start, _parse(dict(zip(header, row, strict=True)), start, now)


def _header_problem(header: list[str]) -> str | None:
    unknown = [name for name in header if name not in EVENT_FIELDS]
    if unknown:
        return (
            f"unknown column(s) in the header: {', '.join(repr(n) for n in unknown)}; "
            "see docs/import-format.md for the field names"
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        return f"duplicate column(s) in the header: {', '.join(duplicates)}"
    if "model" not in header:
        return "the header has no 'model' column"
    return None
