"""Numbers as spreadsheets save formatted cells: with a currency or percent sign ('$1,234.50', '12,5 %'), or an
error value in place of a number ('#DIV/0!').

Excel writes each cell's displayed text into a CSV, so a currency or percent column arrives as text, and was
refused as no series. Such a column is read as numbers, its sign and thousands separators dropped, and said. An
error value is no number at all: it is read as missing (and filled as the others are), and said with its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecaster.errors import DataError

SIGNS = "$€£¥%"
# Excel's error values, which it writes into a CSV where a formula failed, in its languages: '#DIV/0!', '#VALUE!',
# '#WERT!', '#¡VALOR!', '#NAME?', '#NV' ('#N/A' pandas reads as missing itself).
EXCEL_ERROR = re.compile(r"#[¡¿]?[A-ZÀ-Ý/0-9_]{1,14}[!?]|#NV|#N/A")
SAMPLE_CELLS = 20  # cells looked at before a column is read in full: ids and dates show no sign there
_SIGN = re.compile(f"[{re.escape(SIGNS)}]")
_SPACES = "[\\s\u00a0\u202f']"  # between thousands: a space, a no-break or narrow one, a Swiss apostrophe
# The number once its sign, spaces and minus are gone, in each convention: thousands ',' or '.', and plain.
_POINT_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_COMMA_DECIMAL = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")


def signs_dropped(frame: pd.DataFrame, skip: set, marks: tuple[str | None, str | None], source: str,
                  notes: list[str]) -> pd.DataFrame:
    """`frame` with each text column of numbers that carry one sign ($, €, £, ¥ or %) as float numbers,
    each said in `notes`; the columns in `skip` (the time and id columns) and all others as they are.

    `marks` are the decimal mark and thousands separator set for the file (None: each column's own, where only
    one reading holds every cell; a column that reads both ways, as '$1,000' does, is refused).
    """
    read = {}
    for col in frame.columns:
        if col in skip or not _text(frame[col]) or not _shows_a_sign(frame[col]):
            continue
        numbers = _numbers(frame[col], _decimal_set(*marks), f"{source}: column {col!r}")
        if numbers is not None:
            read[col], note = numbers
            notes.append(f"column {col!r} read as {note}")
    return frame.assign(**read) if read else frame


def errors_as_missing(frame: pd.DataFrame, skip: set, decimal: str | None, rows: Callable[[int], str],
                      notes: list[str]) -> pd.DataFrame:
    """`frame` with each text column of numbers and Excel error values ('#DIV/0!') as numbers, the errors missing,
    each said in `notes` with its first line; the columns in `skip` and all others as they are."""
    read = {}
    for col in frame.columns:
        column = frame[col]
        if col in skip or not _text(column) or not _shows_numbers(column):
            continue
        text, filled = column.astype(str).str.strip(), column.notna().to_numpy()
        errors = text.str.fullmatch(EXCEL_ERROR).to_numpy(dtype=bool) & filled
        if not errors.any():
            continue
        cells = text.where(~errors & filled, None)
        numbers = pd.to_numeric(cells.str.replace(",", ".", regex=False) if decimal == "," else cells, errors="coerce")
        if numbers.notna().sum() != (~errors & filled).sum():
            continue  # another cell is no number either: refused as it is, at its line
        first = int(np.flatnonzero(errors)[0])
        read[col] = numbers.astype(np.float64)
        notes.append(f"column {col!r}: {int(errors.sum())} Excel error cells read as missing, the first "
                     f"{text.iloc[first]!r} at {rows(first)}")
    return frame.assign(**read) if read else frame


def _shows_numbers(column: pd.Series) -> bool:
    """Whether the first filled cells hold a number or an error value; dates and ids do not (and are long)."""
    sample = _first_cells(column).str.strip()
    numbers = pd.to_numeric(sample.str.replace(",", ".", regex=False), errors="coerce")
    return bool(numbers.notna().any() or sample.str.fullmatch(EXCEL_ERROR).any())


def _decimal_set(decimal: str | None, thousands: str | None) -> str | None:
    """The decimal mark the settings give: `decimal`, or the other of '.' and ',' than `thousands`."""
    return decimal or {".": ",", ",": "."}.get(thousands or "")


def _text(column: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _first_cells(column: pd.Series) -> pd.Series:
    """The column's first SAMPLE_CELLS filled cells, as text."""
    return column.iloc[np.flatnonzero(column.notna().to_numpy())[:SAMPLE_CELLS]].astype(str)


def _shows_a_sign(column: pd.Series) -> bool:
    return bool(_first_cells(column).str.contains(_SIGN).any())


def _numbers(column: pd.Series, decimal: str | None, where: str) -> tuple[pd.Series, str] | None:
    """The column as floats and what was dropped, in words; None unless every filled cell is a number, with one
    sign or none (a plain 0 among percentages), in one convention of thousands and decimal marks."""
    filled = column.notna().to_numpy()
    text = column[filled].astype(str).str.strip()
    signs = text.str.findall(_SIGN)
    found = signs[signs.str.len() > 0].str[0]
    if (signs.str.len() > 1).any() or found.nunique() != 1:
        return None
    sign = found.iloc[0]
    bare = text.str.replace(sign, "", regex=False).str.replace(_SPACES, "", regex=True)
    bare = bare.where(~bare.isin(["-", "−"]), "0")  # Excel's accounting format writes 0 as '$ -'
    # Accounting writes -1 as (1), and SAP exports as 1-.
    negative = bare.str.fullmatch(r"\(.*\)|[-−].*|.*[-−]").to_numpy()
    bare = bare.str.strip("()-−+")
    convention = _convention(bare, decimal, text, where)
    if convention is None:
        return None
    thousands, point = convention
    values = bare.str.replace(thousands, "", regex=False).str.replace(point, ".", regex=False).astype(np.float64)
    numbers = np.full(len(column), np.nan)
    numbers[filled] = np.where(negative, -values, values)
    example = f"{text.iloc[0]!r} is {numbers[filled][0]:g}"
    marks = f" and thousands separators {thousands!r}" if bare.str.contains(thousands, regex=False).any() else ""
    note = f"percentages, {example}" if sign == "%" else f"numbers, {example}"
    return pd.Series(numbers, index=column.index), f"{note} (the sign {sign!r}{marks} dropped)"


def _convention(bare: pd.Series, decimal: str | None, text: pd.Series, where: str) -> tuple[str, str] | None:
    """(thousands, decimal) marks that read every cell, the decimal mark being `decimal` where set; None where
    none does. Where both do and a cell holds a mark ('1,000', '1.500'), only the user knows which it is."""
    point = bool(bare.str.fullmatch(_POINT_DECIMAL).all()) and decimal in (None, ".")
    comma = bool(bare.str.fullmatch(_COMMA_DECIMAL).all()) and decimal in (None, ",")
    if point and comma:
        marked = bare.str.contains("[.,]")
        if marked.any():
            cell = text[marked.to_numpy()].iloc[0]
            mark = "," if "," in cell else "."
            raise DataError(f"{where} holds {cell!r}, where {mark!r} may separate thousands or be the decimal mark; "
                            f"set `thousands` {mark} or `decimal` {mark}")
    if point or comma:
        return (",", ".") if point else (".", ",")
    return None
