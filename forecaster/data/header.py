"""Where a CSV file's header is and which mark separates its names: the separator sniffed, lines above it refused.

A report export may put a title above the header ("Sales report, 2024"); read as the header, the title's
fields named the columns and the real header became a row of data, a series or a time cell.
"""

from __future__ import annotations

import csv
import re

import pandas as pd

from forecaster.data.periods import QUARTER
from forecaster.errors import DataError

SEPARATORS = (",", ";", "\t", "|")  # the field separators sniffed
MAX_TITLE_LINES = 5  # lines above the header that a report export may hold (a title, a date, a blank line)
TYPED_ROWS = 20  # rows below a line that tell whether its columns hold numbers or dates
# Missing values as pandas reads them by default: words in a data row, not names.
MISSING_WORDS = frozenset({"na", "n/a", "nan", "null", "none", "nat", "<na>", "#n/a", "#na", "-nan"})
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script
# A cell that reads as a value: a number (decimal point or comma) or a date written with digits.
_VALUE = re.compile(r"[-+]?\d+(?:[.,]\d+)?|\d{1,4}([-./])\d{1,2}\1\d{1,4}(?:[ T][\d:.]+)?")


def sniffed_sep(lines: list[str]) -> str:
    """The field separator of the head's lines (`,` where nothing tells)."""
    # The C parser is fast but cannot sniff, so sniff the head here and hand it the delimiter.
    in_header = [sep for sep in SEPARATORS if lines and sep in lines[0]]
    if len(in_header) == 1 and len(lines) > 1 and in_header[0] in lines[1]:
        return in_header[0]  # the header names the columns with one mark: data rows may end in it, or hold commas
    if len(in_header) > 1:  # 'Datum;Umsatz (EUR, netto)': the mark whose fields read as values in every row
        best = _splitting_into_values(lines, in_header)
        if best is not None:
            return best
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        return ","


def _splitting_into_values(lines: list[str], marks: list[str]) -> str | None:
    """Among the header's marks, the one that splits the head into rows of one width with the most cells that read
    as values; None where none does, or two do equally."""
    scores = {}
    for mark in marks:
        rows = [row for row in csv.reader(lines[:20], delimiter=mark) if row]
        if len(rows) > 1 and len(rows[0]) > 1 and all(len(row) == len(rows[0]) for row in rows[1:]):
            scores[mark] = sum(bool(_VALUE.fullmatch(cell.strip())) for row in rows[1:] for cell in row)
    ranked = sorted(scores.values(), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None
    return max(scores, key=scores.get)


def refuse_lines_above_header(lines: list[str], sep: str | None, name: str) -> None:
    """Refuse lines above the header: Excel's `sep=;` line, or a report's title.

    The header is a line of names separated by one mark that every line below matches field for field. A title
    has fewer fields than it; or as many ("Sales report, 2024" above "date,sales"), and then the header shows
    itself by a word over a column of numbers or dates, where no line above reads as a row of data.
    """
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if numbered and re.fullmatch(r"sep=.", numbered[0][1].strip(), re.IGNORECASE):
        raise DataError(f"{name}: line {numbered[0][0]} ({numbered[0][1].strip()!r}) is Excel's note of the separator, "
                        "which is no CSV row; remove it (forecaster finds the separator, or give `sep`)")
    for k in range(1, min(MAX_TITLE_LINES, len(numbered) - 2) + 1):
        below = [line for _, line in numbered[k:]]
        mark = sep or sniffed_sep(below)
        rows = list(csv.reader(below, delimiter=mark))
        if [other for other in SEPARATORS if other in below[0]] != [mark] or len(rows[0]) < 2:
            continue  # names separated by one mark only: a data row split at its decimal commas is no header
        if any(len(row) != len(rows[0]) for row in rows[1:]) or not all(cell.strip() for cell in rows[0]):
            continue
        if not any(_LETTER.search(cell) for cell in rows[0]):
            continue  # a header holds a word, whose column needs no look
        kinds = _column_kinds(rows[1:TYPED_ROWS + 1])
        word = _word_over_values(rows[0], kinds)
        # Numbers name columns (store ids: 'date,101') only beside a word over dates; beside a word over numbers they
        # are a row of data ('Total,1,2850' in a long file, '2000,100,#DIV/0!').
        if any(_is_number(cell) for cell in rows[0]) and (word is None or word[1] != "dates"):
            continue
        above = list(csv.reader([line for _, line in numbered[:k]], delimiter=mark))
        first, last = numbered[0][1].strip(), numbered[k - 1][0]
        what = f"line 1 ({first!r})" if last == 1 else f"lines 1-{last} (from {first!r})"
        if all(len(row) < len(rows[0]) for row in above):
            raise DataError(f"{name}: {what} {'lies' if last == 1 else 'lie'} above the header (line {numbered[k][0]}: "
                            f"{len(rows[0])} names separated by {mark!r}), as a report's title does; remove "
                            f"{'it' if last == 1 else 'them'} so that the header comes first")
        data_above = any(_reads_as_data(row, kinds) for row in above)
        if word is not None and not data_above and not any(_is_date(cell) for cell in rows[0]):
            cell, kind = word
            raise DataError(f"{name}: line {numbered[k][0]} ({below[0].strip()!r}) reads as the header, with {cell!r} "
                            f"over a column of {kind}; {what} above it would name the columns instead: remove "
                            f"{'it' if last == 1 else 'them'} if a report's title, else fix line {numbered[k][0]}")


def _column_kinds(rows: list[list[str]]) -> list[str | None]:
    """Each column's kind in these rows: 'numbers', 'dates' (every filled cell one), or None."""
    kinds: list[str | None] = []
    for column in zip(*rows):
        cells = [cell.strip() for cell in column if cell.strip()]
        if cells and all(_is_number(cell) for cell in cells):
            kinds.append("numbers")
        elif cells and _are_dates(cells):
            kinds.append("dates")
        else:
            kinds.append(None)
    return kinds


def _word_over_values(cells: list[str], kinds: list[str | None]) -> tuple[str, str] | None:
    """The first cell of a line that is a word (not a missing value) over a column of numbers or dates, with that
    column's kind; None where there is none."""
    for cell, kind in zip(cells, kinds):
        text = cell.strip()
        if kind and _LETTER.search(text) and text.lower() not in MISSING_WORDS and not _is_date(text):
            return text, kind
    return None


def _reads_as_data(cells: list[str], kinds: list[str | None]) -> bool:
    """Whether a line's cells read as the columns below them do: numbers over numbers, dates over dates."""
    checks = {"numbers": _is_number, "dates": _is_date}
    return all(not cell.strip() or kind is None or checks[kind](cell.strip()) for cell, kind in zip(cells, kinds))


def _is_number(cell: str) -> bool:
    """Whether a cell holds a number, with a decimal point or comma."""
    try:
        float(cell.strip().replace(",", "."))
    except ValueError:
        return False
    return True


def _are_dates(cells: list[str]) -> bool:
    """Whether every cell reads as a date or time, with one call to pandas for the column."""
    if not all(re.search(r"\d", cell) and not _is_number(cell) for cell in cells):
        return False
    rest = [cell for cell in cells if not QUARTER.fullmatch(cell)]
    return not rest or bool(pd.to_datetime(pd.Series(rest), errors="coerce", format="mixed", utc=True).notna().all())


def _is_date(cell: str) -> bool:
    """Whether a cell that is not a number reads as a date or time; a date has a digit (pandas reads 'Jan' alone)."""
    return _are_dates([cell])
