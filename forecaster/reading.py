"""Read a CSV (delimiter sniffed) or Parquet file into a DataFrame, refusing unreadable files clearly."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pandas as pd

from forecaster.errors import DataError

SNIFF_BYTES = 64 * 1024


def read_table(path: Path) -> pd.DataFrame:
    """Read CSV (delimiter sniffed) or Parquet into a DataFrame, refusing unreadable files clearly."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a CSV or Parquet file")
    try:
        return _read(path)
    except PermissionError:
        raise DataError(f"{path}: not allowed to read it; check its permissions") from None


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many unrelated types for a damaged file
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    try:
        return pd.read_csv(path, sep=_sniff_delimiter(path), skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header row and data rows") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({type(exc).__name__}: {exc})") from None


def _sniff_delimiter(path: Path) -> str:
    # The C parser is fast but cannot sniff, so sniff a sample here and hand it the delimiter.
    with open(path, "rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if _looks_like_utf16(sample):
        raise DataError(f"{path}: UTF-16 text, not UTF-8; save it as UTF-8 CSV (or Parquet)")
    # A full sample may end inside a multi-byte character; only a whole file must decode completely.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(sample, final=len(sample) < SNIFF_BYTES)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file; save it as UTF-8 CSV (or Parquet)") from None
    if "\x00" in text:
        raise DataError(f"{path}: binary content, not a CSV file")
    try:
        # Whole lines only: the sample's last line may be cut mid-field.
        lines = "\n".join(text.splitlines()[:20])
        return csv.Sniffer().sniff(lines, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _looks_like_utf16(sample: bytes) -> bool:
    # Spreadsheet exports ("Unicode text") are often UTF-16: a byte-order mark, or a zero byte
    # beside every ASCII character, which would otherwise read as binary garbage.
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    halves = (sample[0:256:2], sample[1:256:2])
    return len(sample) >= 8 and any(half.count(0) == len(half) for half in halves)
