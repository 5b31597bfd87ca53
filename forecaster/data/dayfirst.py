"""Dates whose day and month are both numbers ("01/04/1959"): read day-first or month-first by which order gives
a regular time grid, refused where only the user knows.

The formats are written here, not guessed by pandas: it guesses none for two-digit years or 12-hour times, and
then reads each cell on its own, day-first where the day is past 12 and month-first elsewhere.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from forecaster.data.timeaxis import MAX_GRID, STEPS, infer_freq_flat
from forecaster.errors import DataError

# A date whose day and month are both numbers, year last: "01/04/1959", "1.4.59", "01-04-1959 1:00 PM".
_DAY_AND_MONTH = re.compile(r"\d{1,2}([./-])\d{1,2}\1(\d{4}|\d{2})([ T].*)?")
_TWELVE_HOUR = re.compile(r"\s*([AaPp][Mm])$")  # "1:00 PM": pandas guesses no format for it
_SHOWN_FORMAT = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%H": "hh", "%I": "hh", "%M": "mm", "%S": "ss",
                 "%p": "AM/PM"}


def day_and_month_format(values: pd.Index, counts: np.ndarray, time_col: str, source: str, freq: str | None,
                         notes: list[str]) -> str | None:
    """The format of dates whose day and month are both numbers ("01/04/1959"); None for other dates.

    `values` are a time column's distinct texts, `counts` how many rows hold each.

    Both orders are read. The one that reads every date, or the only one that also gives a regular
    time grid, is taken and named in `notes`; where both or neither give one, only the user knows.
    """
    texts = pd.Series(values).str.strip()
    orders = _both_orders(texts.iloc[0]) if len(texts) else None
    # The dates of this kind decide; a stray cell of another kind is then refused at its row.
    matching = texts.str.fullmatch(_DAY_AND_MONTH).to_numpy(dtype=bool)
    if orders is None or matching.mean() < 0.5:
        return None
    day_first, month_first = orders
    readings = {fmt: pd.to_datetime(values[matching], errors="coerce", format=fmt, utc=True)
                for fmt in (month_first, day_first)}  # month-first first: pandas' own choice wins ties
    complete = [fmt for fmt, times in readings.items() if times.notna().all()]
    if not complete:  # a cell no order reads: the order that reads more rows names it
        rows = counts[matching]
        return max(readings, key=lambda fmt: rows[np.asarray(readings[fmt].notna())].sum())
    if readings[month_first].equals(readings[day_first]):
        return month_first  # every day equals its month: both orders read the same dates
    if len(complete) == 1:
        chosen, why = complete[0], ""
    else:
        regular = [fmt for fmt in complete if _fills_a_grid(readings[fmt], freq)]
        if len(regular) != 1:
            raise DataError(_ambiguous(texts[matching], readings, orders, time_col, source, bool(regular)))
        chosen, why = regular[0], ", the only reading that gives a regular time grid"
    # Two-digit years take Python's century (69-99: 1900s, 00-68: 2000s), which may not be the file's: say which.
    first, last = readings[chosen].year.min(), readings[chosen].year.max()
    years = "" if "%y" not in chosen else f", year {first}" if first == last else f", years {first}-{last}"
    if years and last - first >= 50:  # 12/31/68 is 2068 and 01/01/69 1969: the century split them
        raise DataError(f"{source}: column {time_col!r} has two-digit years, read as {first}-{last} by Python's "
                        "century (69-99: the 1900s, 00-68: the 2000s); write the years in full")
    if chosen == day_first or why or years:  # month-first alone is pandas' own reading: nothing to say
        order = "day-first" if chosen == day_first else "month-first"
        notes.append(f"date column {time_col!r} read as {order} ({_shown(chosen)}){why}{years}")
    return chosen


def _both_orders(text: str) -> tuple[str, str] | None:
    """(day-first, month-first) formats of a date such as "01/04/1959 13:00"; None for another kind of date.

    Written here, not guessed by pandas: it guesses none for two-digit years or 12-hour times, and
    pandas then reads each cell on its own, day-first where the day is past 12 and month-first elsewhere.
    """
    match = _DAY_AND_MONTH.fullmatch(text)
    time = _time_format(match.group(3)) if match else None
    if time is None:
        return None
    sep, year = match.group(1), "%Y" if len(match.group(2)) == 4 else "%y"
    return f"%d{sep}%m{sep}{year}{time}", f"%m{sep}%d{sep}{year}{time}"


def _time_format(text: str | None) -> str | None:
    """The format of what follows a date (" 13:00", "T13:00:00", " 1:00 PM"); "" for nothing; None if unknown."""
    if not text:
        return ""
    twelve = _TWELVE_HOUR.search(text)
    guessed = guess_datetime_format("2000-01-13" + (text[: twelve.start()] if twelve else text))
    if guessed is None or not guessed.startswith("%Y-%m-%d"):
        return None
    time = guessed[len("%Y-%m-%d"):]
    if not twelve:
        return time
    if "%H" not in time:
        return None
    return time.replace("%H", "%I") + twelve.group(0)[:-2] + "%p"  # the space before AM, if any, kept


def _fills_a_grid(times: pd.DatetimeIndex, freq: str | None) -> bool:
    """Whether the distinct times lie on one grid of `freq` (None: inferred) and fill at least half of it."""
    unique = times.dropna().unique().sort_values()
    freq = None if freq in (None, "", STEPS) else freq
    if len(unique) < 3 and freq is None:
        return True  # too few dates to infer a step from: either order may be right
    try:
        offset = pd.tseries.frequencies.to_offset(freq or infer_freq_flat(unique, np.array([0, len(unique)]), ""))
        try:
            steps = (unique[-1] - unique[0]) / pd.Timedelta(offset)
        except (ValueError, TypeError):  # calendar steps (months, years) are a day or more
            steps = (unique[-1] - unique[0]) / pd.Timedelta(days=1)
        if steps > MAX_GRID:
            return False
        grid = pd.date_range(unique[0], unique[-1], freq=offset)
    except (DataError, ValueError):
        return False
    return 2 * len(unique) >= len(grid) and bool(unique.isin(grid).all())


def _ambiguous(texts: pd.Series, readings: dict[str, pd.DatetimeIndex], orders: tuple[str, str], time_col: str,
               source: str, both: bool) -> str:
    """The refusal of dates that read both day-first and month-first, with an example and both formats."""
    day_first, month_first = orders
    differ = np.flatnonzero(np.asarray(readings[day_first] != readings[month_first]))[0]
    day, month = readings[day_first][differ], readings[month_first][differ]
    example = f"{texts.iloc[differ]!r} is {day.day} {day:%B %Y} or {month.day} {month:%B %Y}"
    grid = "both give a regular time grid" if both else "neither gives a regular time grid"
    return (f"{source}: column {time_col!r} reads as dates both day-first and month-first ({example}), and {grid}; "
            f"say which with `date_format` {day_first} ({_shown(day_first)}) or `date_format` {month_first} "
            f"({_shown(month_first)})")


def _shown(date_format: str) -> str:
    """A date format as people write it: %d/%m/%Y as DD/MM/YYYY."""
    for directive, shown in _SHOWN_FORMAT.items():
        date_format = date_format.replace(directive, shown)
    return date_format
