"""Read a CSV (delimiter and decimal mark sniffed) or Parquet file, or standard input, into a DataFrame.

The input is opened once and its bytes read once: a pipe (`<(cat file)`, standard input) cannot be
read twice, so the sniffer looks at the head of the same stream pandas then reads, and what cannot
seek back (a pipe) is first read into memory.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from forecaster.data.header import refuse_lines_above_header, sniffed_sep
from forecaster.data.marks import decimal_and_thousands, not_numbers, numbered_month_columns
from forecaster.errors import DataError

STDIN = "-"  # the file name that means standard input
SNIFF_BYTES = 64 * 1024
SCAN_BYTES = 1024 * 1024  # chunk read while looking for the first line that is not UTF-8
PARQUET_MAGIC = b"PAR1"  # how every Parquet file begins (and ends)


def source_name(path: str | Path) -> str:
    """How messages name the input: its path, or `stdin`."""
    return "stdin" if str(path) == STDIN else str(path)


def read_table(path: Path, sep: str | None = None, decimal: str | None = None, thousands: str | None = None,
               as_text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read CSV or Parquet (`-`: standard input) into a DataFrame, refusing unreadable input clearly.

    `sep`, `decimal` and `thousands` are pandas' options; None sniffs them from the head of the file
    (a thousands separator only where the numbers show it beside a decimal mark: "1.234,5", "1,234.5").
    The CSV columns named in `as_text` (where present) keep their cells as written: ids "001" and "1" differ.
    """
    name = source_name(path)
    try:
        with _opened(Path(path), name) as stream:
            return _read(stream, Path(path), name, _Marks(sep, decimal, thousands), as_text)
    except PermissionError:
        raise DataError(f"{name}: not allowed to read it; check its permissions") from None


@contextmanager
def _opened(path: Path, name: str) -> Iterator[BinaryIO]:
    """The input as one binary stream that can seek back to where it started."""
    if str(path) == STDIN:
        if sys.stdin is None:  # started with standard input closed
            raise DataError(f"{name}: no standard input to read; pipe the data in, or give a file")
        yield _seekable(sys.stdin.buffer)
        return
    if not path.exists():
        raise DataError(f"{name}: no such file")
    if path.is_dir():
        raise DataError(f"{name}: is a directory, expected a CSV or Parquet file")
    with open(path, "rb") as handle:
        yield _seekable(handle)


def _seekable(handle: BinaryIO) -> BinaryIO:
    # A pipe gives its bytes once: keep them, so that the sniffer and pandas read the same ones.
    return handle if handle.seekable() else io.BytesIO(handle.read())


@dataclass(frozen=True)
class _Marks:
    """The field separator, decimal mark and thousands separator as given (None: to sniff)."""

    sep: str | None
    decimal: str | None
    thousands: str | None


def _read(stream: BinaryIO, path: Path, name: str, given: _Marks, as_text: tuple[str, ...]) -> pd.DataFrame:
    start = stream.tell()
    head = stream.read(SNIFF_BYTES)
    stream.seek(start)
    if path.suffix.lower() in (".parquet", ".pq") or head.startswith(PARQUET_MAGIC):
        try:
            return pd.read_parquet(stream)
        except Exception as exc:  # pyarrow raises many unrelated types for a damaged file
            raise DataError(f"{name}: not a readable Parquet file ({exc})") from None
    lines = _head_lines(head, name)
    refuse_lines_above_header(lines, given.sep, name)
    sep = given.sep or sniffed_sep(lines)
    decimal, thousands = decimal_and_thousands(lines, sep, given.decimal, given.thousands, name)
    if decimal == sep:
        raise DataError(f"{name}: the decimal mark {decimal!r} is also the field separator; set `sep` to the other one")
    if thousands is not None:
        as_text = (*as_text, *not_numbers(lines, sep, decimal, thousands))
    as_text = (*as_text, *numbered_month_columns(lines, sep))
    read = functools.partial(_read_csv, decimal == ",", sep=sep, decimal=decimal, thousands=thousands,
                             skipinitialspace=True, encoding="utf-8", dtype=dict.fromkeys(as_text, str))
    try:
        try:
            with warnings.catch_warnings():
                # index_col=False: a separator ending each data row is an empty field, not a shift of every column
                # by one; pandas warns only where the field beyond the header holds a value, which would be lost.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return read(stream, index_col=False)
        except pd.errors.ParserWarning:
            if not _row_labels_first(lines, sep):
                raise DataError(_more_values_than_names(lines, sep, name)) from None
            stream.seek(start)
            return read(stream).reset_index(drop=True)  # pandas' implicit index: R's write.table row numbers
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty; expected a header row and data rows") from None
    except UnicodeDecodeError:
        stream.seek(start)
        raise DataError(_not_utf8(name, _first_line_not_utf8(stream))) from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{name}: not a readable CSV file ({type(exc).__name__}: {exc})") from None


def _read_csv(decimal_comma: bool, stream: BinaryIO, **options) -> pd.DataFrame:
    """pandas' read_csv, the frame marked (`attrs["decimal"]`) where the file's numbers show decimal commas: the
    cells with a currency sign are read later (data/signs.py), and '1.000 €' is then a thousand."""
    frame = pd.read_csv(stream, **options)
    if decimal_comma:
        frame.attrs["decimal"] = ","
    return frame


def _row_labels_first(lines: list[str], sep: str) -> bool:
    """Whether each data row of the head has one field more than the header, and it numbers the rows (1, 2, ...).

    R's `write.table` writes its row names so, without a header field for them.
    """
    data = [line for line in lines[1:] if line.strip()]
    rows = [row for row in csv.reader(lines, delimiter=sep) if row]
    if not data or any(len(row) != len(rows[0]) + 1 for row in rows[1:]):
        return False
    quoted = [re.match(r'"(\d+)"' + re.escape(sep), line) for line in data]  # R quotes them: "1","2", ...
    if not all(quoted):
        return False
    firsts = [int(m[1]) for m in quoted]
    return [f - firsts[0] for f in firsts] == list(range(len(firsts)))


def _more_values_than_names(lines: list[str], sep: str, name: str) -> str:
    """The refusal of rows with a value beyond the header's last column, naming the first such line of the head."""
    rows = list(csv.reader(lines, delimiter=sep))
    names = len(rows[0]) if rows else 0
    line = next((n for n, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row[names:])), None)
    where = f"line {line} holds" if line is not None else "some rows hold"
    return (f"{name}: {where} more values than the header names columns ({names}); give every column a name in "
            "the header (a first column of row labels or dates too)")


def _head_lines(head: bytes, name: str) -> list[str]:
    """The whole lines of the head of a CSV file, refusing what is not UTF-8 text."""
    if _looks_like_utf16(head):
        raise DataError(f"{name}: UTF-16 text, not UTF-8; save it as UTF-8 CSV (or Parquet)")
    # A full head may end inside a multi-byte character; only a whole file must decode completely.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise DataError(_not_utf8(name, head.count(b"\n", 0, exc.start) + 1)) from None
    if "\x00" in text:
        raise DataError(f"{name}: binary content, not a CSV file")
    lines = text.splitlines()
    return lines if len(head) < SNIFF_BYTES else lines[:-1]  # a full head's last line may be cut mid-field


def _not_utf8(name: str, line: int | None) -> str:
    where = "" if line is None or line == 1 else f" at line {line}"  # line 1: the whole file is in another encoding
    return f"{name}: not a UTF-8 text file{where}; save it as UTF-8 CSV (or Parquet)"


def _first_line_not_utf8(stream: BinaryIO) -> int | None:
    """The line number (1: the header) of the first byte that is not UTF-8, reading the stream in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while chunk := stream.read(SCAN_BYTES):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            # exc.object is the bytes held back from the last chunk (a cut character) followed by this one.
            held = len(exc.object) - len(chunk)
            return line + chunk.count(b"\n", 0, max(exc.start - held, 0))
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    return None


def _looks_like_utf16(sample: bytes) -> bool:
    # Spreadsheet exports ("Unicode text") are often UTF-16: a byte-order mark, or a zero byte
    # beside every ASCII character, which would otherwise read as binary garbage.
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    halves = (sample[0:256:2], sample[1:256:2])
    return len(sample) >= 8 and any(half.count(0) == len(half) for half in halves)
