"""The decimal mark and thousands separator of a CSV file, sniffed from its head's numbers or as the user gives them.

A wrong mark scales a series silently ("1.079" read as 1.079 where the export meant 1079): what the head
cannot settle is refused, naming a cell and the option that says which.
"""

from __future__ import annotations

import csv
import re

import pandas as pd

from forecaster.data.periods import numbered_months
from forecaster.errors import DataError

# A number with a decimal comma ("1,5", "-0,25"), one with a decimal point ("1.5"), and one that
# could be either a decimal comma or a thousands separator ("1,500").
_COMMA_NUMBER = re.compile(r"[-+]?\d+,\d+")
_POINT_NUMBER = re.compile(r"[-+]?\d*\.\d+")
THOUSANDS_COMMA = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+")
# A number that may have a thousands point ("1.079": 1079 in Germany) and a whole number ("961").
_THOUSANDS_POINT = re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+")
_WHOLE = re.compile(r"[-+]?\d+")
# Numbers that show both marks: a thousands point and a decimal comma ("1.234,5"), or the other way ("1,234.5").
_POINT_THOUSANDS_COMMA = re.compile(r"[-+]?\d{1,3}(?:\.\d{3})+,\d+")
_COMMA_THOUSANDS_POINT = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+\.\d+")
# "1 234,5" as French exports write it, with a space, a no-break space or a narrow one between the thousands.
_SPACE_THOUSANDS = re.compile("[-+]?\\d{1,3}(?:([ \u00a0\u202f])\\d{3})+(?:[,.]\\d+)?")


def _sniffed_decimal(lines: list[str], sep: str) -> str:
    """`,` where the head's numbers are written with decimal commas ("1,5"), and never with a point; else `.`.

    A comma that may be a thousands separator ("1,500") decides nothing; European spreadsheets write
    decimal commas with `;` or tab between fields, so a comma-separated file keeps the point.
    """
    if sep == ",":
        return "."
    months = set(numbered_month_columns(lines, sep))  # '01.2020' is no decimal point
    names = next(csv.reader(lines[:1], delimiter=sep, skipinitialspace=True), [])
    cells = [cell.strip() for row in csv.reader(lines[1:], delimiter=sep)
             for name, cell in zip([*names, *[None] * len(row)], row) if name not in months]
    commas = any(_COMMA_NUMBER.fullmatch(cell) and not THOUSANDS_COMMA.fullmatch(cell) for cell in cells)
    points = any(_POINT_NUMBER.fullmatch(cell) for cell in cells)
    return "," if commas and not points else "."


def decimal_and_thousands(lines: list[str], sep: str, decimal: str | None, thousands: str | None, name: str
                          ) -> tuple[str, str | None]:
    """The decimal mark and thousands separator: as given (the other convention's decimal mark where only
    `thousands` is), else the decimal mark sniffed and no thousands separator."""
    if decimal is not None or thousands is not None:
        return decimal or {".": ",", ",": "."}.get(thousands) or _sniffed_decimal(lines, sep), thousands
    _refuse_both_marks(lines, sep, name)
    decimal = _sniffed_decimal(lines, sep)
    if decimal == ".":
        _refuse_thousands_points(lines, sep, name)
    return decimal, None


def _refuse_both_marks(lines: list[str], sep: str, name: str) -> None:
    """Refuse numbers that show a thousands separator and a decimal mark ("1.234,5", "1,234.5") until it is set.

    Their own marks are plain, but pandas' thousands option applies to every column and every row after the
    head too, where "2.5" would become 25: the user says so for the file, with `thousands`.
    """
    cells = [cell.strip() for row in csv.reader(lines[1:], delimiter=sep) for cell in row]
    marks = ((".", _POINT_THOUSANDS_COMMA), (",", _COMMA_THOUSANDS_POINT), ("space", _SPACE_THOUSANDS))
    found = next(((mark, match) for c in cells for mark, pattern in marks if (match := pattern.fullmatch(c))), None)
    if found is None:
        return
    mark, match = found
    if mark == "space" and match[1] != " ":  # pandas' fast reader takes one byte; UTF-8 spends two on these
        raise DataError(f"{name}: numbers such as {match[0]!r} separate thousands with a no-break space, which "
                        "forecaster cannot read: remove those spaces from the file")
    raise DataError(f"{name}: numbers such as {match[0]!r} separate thousands with {mark}; set `thousands` {mark} "
                    "to read them so")


def not_numbers(lines: list[str], sep: str, decimal: str, thousands: str) -> list[str]:
    """The head's columns with a cell that holds the thousands mark but is no number written with it ("01.02.2024").

    pandas drops the mark from any such cell and reads the digits as one number (01.02.2024 as 1022024): these
    columns stay text, and are read as dates or refused at their line.
    """
    # A group of thousands never follows a lone 0: "0.125" is a decimal, which the mark would turn into 125.
    number = re.compile(rf"[-+]?[1-9]\d{{0,2}}(?:{re.escape(thousands)}\d{{3}})*(?:{re.escape(decimal)}\d+)?")
    rows = list(csv.reader(lines, delimiter=sep, skipinitialspace=True))  # names as pandas reads them
    return [column for j, column in enumerate(rows[0] if rows else [])
            if any(thousands in row[j] and not number.fullmatch(row[j].strip()) for row in rows[1:] if j < len(row))]


def numbered_month_columns(lines: list[str], sep: str) -> list[str]:
    """The head's columns whose cells are numbered months ("01.2020"), which pandas would read as 1.202."""
    rows = [row for row in csv.reader(lines, delimiter=sep, skipinitialspace=True) if row]
    return [column for j, column in enumerate(rows[0] if len(rows) > 1 else [])
            if all(j < len(row) for row in rows[1:]) and numbered_months(pd.Series([row[j] for row in rows[1:]]))]


def _refuse_thousands_points(lines: list[str], sep: str, name: str) -> None:
    """Refuse a column of the head whose numbers with a point all look like thousands ("1.079") beside whole ones.

    Read with a decimal point, "1.079" and "961" lie a thousand times apart; exported with a thousands
    point they are 1079 and 961. Only the user knows which: a silent guess would scale the series wrongly.
    A column of decimals written so ("52.100" beside "52") is refused too: `decimal` . reads it.
    """
    rows = list(csv.reader(lines, delimiter=sep))
    for j, column in enumerate(rows[0] if rows else []):
        cells = [row[j].strip() for row in rows[1:] if j < len(row)]
        pointed = [cell for cell in cells if "." in cell]
        whole = [cell for cell in cells if _WHOLE.fullmatch(cell)]
        if not whole or not pointed or not all(_THOUSANDS_POINT.fullmatch(cell) for cell in pointed):
            continue
        example, whole = pointed[0], whole[0]
        raise DataError(
            f"{name}: column {column.strip()!r} has {example!r} beside whole numbers such as {whole!r}: a thousands "
            f"point ({example.replace('.', '')}) or a decimal point? Set `thousands` . or `decimal` . to say which"
        )
