"""The import reader: good files, bad lines with their line numbers, CSV quirks, gzip, idempotent ids."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tokenbudget.core.errors import TokenBudgetError
from tokenbudget.core.events import EventInput
from tokenbudget.core.importer import (
    ImportFileError,
    ImportFormatError,
    ImportProblem,
    count_lines,
    detect_format,
    read_events,
)

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)


def read(path: Path, fmt: str | None = None) -> list[tuple[int, EventInput | ImportProblem]]:
    return list(read_events(path, fmt or detect_format(path, None), now=NOW))


def events(items: list[tuple[int, EventInput | ImportProblem]]) -> dict[int, EventInput]:
    return {line: item for line, item in items if isinstance(item, EventInput)}


def problems(items: list[tuple[int, EventInput | ImportProblem]]) -> dict[int, str]:
    return {line: item.error for line, item in items if isinstance(item, ImportProblem)}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- format detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "explicit", "expected"),
    [
        ("a.jsonl", None, "jsonl"),
        ("a.NDJSON", None, "jsonl"),
        ("a.csv", None, "csv"),
        ("a.csv.gz", None, "csv"),
        ("a.jsonl.gz", None, "jsonl"),
        ("a.txt", "csv", "csv"),
        ("a.csv", "ndjson", "jsonl"),
        ("-", None, "jsonl"),
    ],
)
def test_detect_format(name: str, explicit: str | None, expected: str) -> None:
    assert detect_format(Path(name), explicit) == expected


@pytest.mark.parametrize(("name", "explicit"), [("usage.json", None), ("usage", None), ("a.csv", "xlsx")])
def test_detect_format_rejects_unknown_with_a_clear_error(name: str, explicit: str | None) -> None:
    with pytest.raises(ImportFormatError) as info:
        detect_format(Path(name), explicit)
    assert isinstance(info.value, TokenBudgetError)
    assert "jsonl" in str(info.value) and "csv" in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot read"):
        read(tmp_path / "nope.jsonl")


# --- good files -------------------------------------------------------------------------------------


def test_good_jsonl() -> None:
    items = read(DATA / "good.jsonl")
    assert problems(items) == {}
    got = events(items)
    assert sorted(got) == [1, 3, 4, 5]  # line 2 is blank
    first = got[1]
    assert first.event_id == "evt_001"
    assert first.model == "gpt-4o-2024-08-06" and first.provider == "openai"
    assert first.occurred_at == datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    assert (first.project, first.feature, first.user_id, first.env) == (
        "checkout",
        "receipt-summary",
        "u_001",
        "prod",
    )
    assert first.tags == {"region": "eu-west-1"}
    assert first.usage.input_tokens == 1800 and first.usage.cache_read_input_tokens == 1024
    assert first.latency_ms == 2150 and first.request_id == "chatcmpl-abc123"
    claude = got[3].usage
    assert (claude.cache_write_input_tokens, claude.cache_write_1h_input_tokens) == (2000, 2000)
    assert got[3].event_id is not None and got[3].event_id.startswith("c_")
    assert got[4].usage.reasoning_tokens == 1400 and got[4].usage.service_tier == "flex"
    assert got[5].client_cost_usd == Decimal("0.00125")


def test_good_csv_line_numbers_start_after_the_header() -> None:
    items = read(DATA / "good.csv")
    assert problems(items) == {}
    got = events(items)
    assert sorted(got) == [2, 3, 4, 5]
    assert got[2].event_id == "evt_101"
    assert got[2].tags == {"region": "us-east-1", "ab": "b"}  # tags column is a JSON string
    assert got[2].usage.input_tokens == 1400 and got[2].usage.cache_read_input_tokens == 0  # empty = absent
    assert got[3].event_id is not None and got[3].event_id.startswith("c_")  # empty event_id: derived
    assert got[3].usage.service_tier == "batch" and got[3].env == "staging"
    assert got[4].usage.reasoning_tokens == 900 and got[4].user_id is None
    assert got[5].status == "error" and got[5].usage.total_tokens == 0


def test_jsonl_and_csv_of_the_same_call_agree(tmp_path: Path) -> None:
    line = {"event_id": "x1", "occurred_at": "2026-01-01T00:00:00Z", "model": "gpt-4o", "input_tokens": 5}
    (jsonl,) = events(read(write(tmp_path, "a.jsonl", json.dumps(line) + "\n"))).values()
    header, row = ",".join(line), ",".join(str(v) for v in line.values())
    (csv_,) = events(read(write(tmp_path, "a.csv", f"{header}\n{row}\n"))).values()
    assert jsonl == csv_


# --- bad lines --------------------------------------------------------------------------------------


def test_mixed_jsonl_reports_bad_lines_and_keeps_good_ones() -> None:
    items = read(DATA / "mixed.jsonl")
    assert sorted(events(items)) == [1, 11]
    errors = problems(items)
    assert sorted(errors) == [2, 3, 5, 6, 7, 8, 9, 10]  # line 4 is blank: neither
    assert errors[2].startswith("invalid JSON")
    assert "input_tokens must not be negative" in errors[3]
    assert "exceed input_tokens" in errors[5]  # cache read larger than input
    assert "unknown field(s): prompt_tokens" in errors[6]
    assert "expected a JSON object, got an array" in errors[7]
    assert "model is required" in errors[8]
    assert "occurred_at" in errors[9]
    assert "reasoning_tokens" in errors[10] and "output_tokens" in errors[10]
    # items come out in file order
    assert [line for line, _ in items] == sorted(line for line, _ in items)


def test_mixed_csv_reports_physical_line_numbers() -> None:
    items = read(DATA / "mixed.csv")
    errors = problems(items)
    assert sorted(events(items)) == [2, 8, 10]  # line 8's record spans lines 8-9 (quoted newline in tags)
    assert "reasoning_tokens" in errors[3]
    assert "input_tokens must be a whole number" in errors[4]
    assert "tags must be a JSON object" in errors[6]
    assert "row has 5 fields, the header has 6" in errors[7]
    assert sorted(errors) == [3, 4, 6, 7]
    assert events(items)[8].tags == {"team": "a", "x": "y"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"model": "m", "input_tokens": 1, "colour": "red"}, "unknown field(s): colour"),
        ({"model": "m", "input_tokens": -1}, "must not be negative"),
        ({"model": "m", "input_tokens": 1.5}, "whole number"),
        ({"model": "m", "input_tokens": 10, "cache_write_input_tokens": 11}, "exceed input_tokens"),
        (
            {
                "model": "m",
                "input_tokens": 10,
                "cache_write_input_tokens": 1,
                "cache_write_1h_input_tokens": 2,
            },
            "1-hour",
        ),
        ({"model": "m", "status": "failed"}, "status must be"),
        ({"model": "m", "service_tier": "turbo"}, "service_tier"),
        ({"model": "m", "tags": ["a"]}, "tags must be"),
        ({"model": "m", "cost_usd": "-1"}, "cost_usd"),
    ],
)
def test_each_bad_field_is_one_problem(tmp_path: Path, line: dict[str, object], reason: str) -> None:
    good = {"occurred_at": "2026-01-01T00:00:00Z", "model": "ok", "input_tokens": 1}
    path = write(tmp_path, "x.jsonl", f"{json.dumps(good)}\n{json.dumps(line)}\n{json.dumps(good)}\n")
    items = read(path)
    assert sorted(events(items)) == [1, 3]
    (error,) = problems(items).values()
    assert reason in error
    assert str(ImportProblem(2, error)).startswith("line 2: ")


def test_csv_unknown_column_is_reported_once_at_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "model,input_tokens,prompt_tokens\ngpt-4o,1,2\ngpt-4o,3,4\n")
    items = read(path)
    assert len(items) == 1  # one clear message, not one per row
    assert "unknown column(s)" in problems(items)[1] and "prompt_tokens" in problems(items)[1]


def test_csv_header_needs_a_model_column(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "input_tokens,output_tokens\n1,2\n")
    assert "model" in problems(read(path))[1]


def test_invalid_utf8_line_is_a_problem_not_an_abort(tmp_path: Path) -> None:
    good = b'{"occurred_at": "2026-01-01T00:00:00Z", "model": "m", "input_tokens": 1}\n'
    for name, header, bad in [
        ("x.jsonl", b"", b'{"model": "\xff"}\n'),
        ("x.csv", b"occurred_at,model,input_tokens\n", b"2026-01-01T00:00:00Z,\xff,1\n"),
    ]:
        body = good if name.endswith("jsonl") else b"2026-01-01T00:00:00Z,m,1\n"
        path = tmp_path / name
        path.write_bytes(header + body + bad + body)
        first = 2 if header else 1
        items = read(path)
        assert sorted(events(items)) == [first, first + 2], name
        assert problems(items) == {first + 1: "not valid UTF-8"}, name


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffmodel,input_tokens\r\ngpt-4o,7\r\n\r\ngpt-4o,8\r\n".encode())
    got = events(read(path))
    assert {line: e.usage.input_tokens for line, e in got.items()} == {2: 7, 4: 8}


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    assert read(write(tmp_path, "e.jsonl", "")) == []
    assert read(write(tmp_path, "e.csv", "")) == []
    assert read(write(tmp_path, "h.csv", "model,input_tokens\n")) == []


# --- idempotence, gzip, counting -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["good.jsonl", "good.csv"])
def test_rereading_gives_identical_event_ids(name: str) -> None:
    first = events(read(DATA / name))
    again = list(read_events(DATA / name, detect_format(DATA / name, None), now=datetime.now(timezone.utc)))
    assert {k: v.event_id for k, v in first.items()} == {k: v.event_id for k, v in events(again).items()}
    assert len({e.event_id for e in first.values()}) == len(first)


def test_lines_without_time_get_now_and_distinct_ids(tmp_path: Path) -> None:
    # No id and no time: identical lines are separate calls, so each gets its own id and `now` as its time.
    path = write(tmp_path, "t.jsonl", '{"model": "m", "input_tokens": 1}\n' * 2)
    got = list(events(read(path)).values())
    assert all(e.occurred_at == NOW for e in got)
    assert got[0].event_id != got[1].event_id


def test_gzip_input_matches_plain(tmp_path: Path) -> None:
    for name in ("good.jsonl", "good.csv"):
        packed = tmp_path / f"{name}.gz"
        with open(DATA / name, "rb") as src, gzip.open(packed, "wb") as dst:
            shutil.copyfileobj(src, dst)
        assert read(packed) == read(DATA / name)
        assert count_lines(packed) == count_lines(DATA / name)


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    line = '{"occurred_at": "2026-01-01T00:00:%02dZ", "model": "m", "input_tokens": 1}\n'
    blob = gzip.compress("".join(line % i for i in range(50)).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(blob[: len(blob) - 12])  # drop the trailer
    items = read(path)
    assert len(events(items)) >= 1
    _, last = items[-1]
    assert isinstance(last, ImportProblem) and "gzip" in last.error


def test_count_lines(tmp_path: Path) -> None:
    assert count_lines(DATA / "good.jsonl") == 5
    assert count_lines(DATA / "mixed.csv") == 10
    assert count_lines(write(tmp_path, "n.jsonl", "a\nb")) == 2  # last line without newline counts
    assert count_lines(write(tmp_path, "z.jsonl", "")) == 0


def test_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = (DATA / "good.jsonl").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert read(Path("-")) == read(DATA / "good.jsonl")
    assert count_lines("-") == 0


def test_reading_streams(tmp_path: Path) -> None:
    # A generator: the first item is available before the rest of the file is touched.
    path = write(tmp_path, "big.jsonl", '{"model": "m", "input_tokens": 1}\n' * 10_000)
    stream = read_events(path, "jsonl", now=NOW)
    line, first = next(stream)
    assert line == 1 and isinstance(first, EventInput)
    stream.close()
