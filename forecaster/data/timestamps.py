"""A file's time column: which column it is, and its cells read as datetimes (numbers: see `numeric_times`).

Dates such as 01/04/1959 are read day-first or month-first by which order gives a regular time grid (`dayfirst`).
Every refusal names the cell and its row the way the user sees it (a CSV line, or a DataFrame
position). A long file repeats each timestamp once per series, so each distinct text is parsed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from forecaster.config import Config
from forecaster.errors import DataError
from forecaster.data.dayfirst import day_and_month_format
from forecaster.data.numeric_times import numbers_as_dates, numeric_times
from forecaster.data.periods import as_first_days
from forecaster.data.rows import RowLabeller

TIME_NAMES = ("ds", "date", "timestamp", "time", "datetime")
# A time of day followed by a UTC offset: "12:00+01:00", "12:00:00Z", "12:00 -0500".
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_OFFSET_AT_END = re.compile(r"\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)  # what `_OFFSET` ends with
# A leap second: pandas rolls "23:59:60" over into the next minute, or the next year.
_LEAP_SECOND = re.compile(r"(?<!\d)\d{1,2}:\d{2}:60(?!\d)")


def time_column(frame: pd.DataFrame, config: Config) -> str | None:
    """The time column: the one set, else found by name, by datetime type, or by cells that read as dates."""
    if config.time_col is not None:
        return config.time_col
    by_name = {str(c).lower(): c for c in frame.columns}
    for name in TIME_NAMES:
        if name in by_name:
            return by_name[name]
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            return col
    for col in frame.columns:
        if is_text(frame[col]) and col != config.id_col and _looks_like_dates(frame[col], config.date_format):
            return col
    chosen = {config.id_col, *(config.target or []), *config.covariates, *config.future_covariates}
    for col in frame.columns:
        if col not in chosen and numbers_as_dates(frame[col], col):
            return col
    return None


def is_text(column: pd.Series) -> bool:
    """Whether pandas holds the column as text (object or string dtype)."""
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


# A spreadsheet's summary row at the end of a table, whose time cell names it ("Total", 66).
TOTAL_WORDS = ("total", "totals", "grand total", "sum", "summe", "gesamt", "insgesamt", "somme", "totale", "totaal")


def _looks_like_dates(column: pd.Series, date_format: str | None) -> bool:
    present = column.dropna()
    if len(present) > 1 and str(present.iloc[-1]).strip().lower() in TOTAL_WORDS:
        present = present.iloc[:-1]  # the time column still, whose total row is then refused at its line
    sample = present.head(20).astype(str)
    sample = sample if date_format else as_first_days(sample, None)[0]
    # A date has a digit (pandas reads a month's name alone, "Jan", as a date in year 1) and is no number (it reads
    # the decimal comma of "100,0" as a date in year 100).
    if sample.empty or sample.str.fullmatch(r"[-+]?\d+([.,]\d+)?").any() or not sample.str.contains(r"\d").all():
        return False
    # On UTC: only whether they parse matters here, and mixed offsets would make pandas raise.
    parsed = pd.to_datetime(sample, errors="coerce", format=date_format or "mixed", utc=True)
    return bool(parsed.notna().all())


def parsed_times(
    frame: pd.DataFrame, time_col: str | None, source: str, rows: RowLabeller, notes: list[str],
    date_format: str | None = None, freq: str | None = None,
) -> pd.Index | None:
    """The time column as datetimes or integer steps; None when row order is the axis.

    `date_format` is pandas' (None: inferred); `freq`, where known (a saved model's, or set), tells
    day-first from month-first dates.
    """
    if time_col is None:
        return None
    column = frame[time_col]
    if column.isna().any():
        raise DataError(f"{source}: column {time_col!r} is empty at {rows(int(np.flatnonzero(column.isna())[0]))}; "
                        "give every row its time")
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return numeric_times(column, time_col, source, rows, notes, freq)
    if date_format is None:
        column, read = as_first_days(column, f"{source}: column {time_col!r}")
        notes += [f"date column {time_col!r} {read}"] if read else []
    distinct, read_as = _Distinct.of(column), date_format
    if distinct.codes is not None:
        _refuse_leap_seconds(distinct, time_col, source, rows)
        _check_format(date_format, distinct, source)
        read_as = date_format or day_and_month_format(distinct.values, distinct.rows_of_each(), time_col, source,
                                                         freq, notes)
    parsed = _zoned_datetimes(distinct, time_col, source, rows, notes, read_as)
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        what, fix = ((f"does not match `date_format` {date_format!r}", "fix it or `date_format`") if date_format
                     else ("is not a date or time", "fix it, or name the real time column with `time_col`"))
        cell = str(column.iloc[first]).strip()
        if cell.lower() in TOTAL_WORDS:
            what, fix = "is a summary row rather than a time", "remove the row: a total is no step of the series"
        elif _note_below(bad, cell):
            what, fix = "is a note below the table rather than a time", "remove the lines from there on"
        raise DataError(
            f"{source}: column {time_col!r} has {column.iloc[first]!r} at {rows(first)}, which {what} "
            f"({int(bad.sum())} such); {fix}"
        )
    return pd.DatetimeIndex(parsed)


MAX_NOTE_ROWS = 3  # lines below a table that an export may add ('Source: ...', a copyright line)


def _note_below(bad: np.ndarray, cell: str) -> bool:
    """Whether the cells that are no time are the last few rows, under a table of times, and the first is words."""
    count = int(bad.sum())
    return (count <= MAX_NOTE_ROWS and count < len(bad) // 2 and bool(bad[-count:].all())
            and len(re.findall(r"[^\W\d_]{2,}", cell)) >= 2)


def _refuse_leap_seconds(distinct: _Distinct, time_col: str, source: str, rows: RowLabeller) -> None:
    texts = pd.Series(distinct.values)
    # A plain search first: the pattern is read only where ":60" occurs at all.
    leap = texts.str.contains(":60", regex=False).to_numpy(dtype=bool, copy=True)
    if leap.any():
        leap[leap] = texts[leap].str.contains(_LEAP_SECOND).to_numpy(dtype=bool)
    if leap.any():
        first, count = distinct.first_row(leap), int(distinct.rows_of_each()[leap].sum())
        raise DataError(
            f"{source}: column {time_col!r} has {distinct.column.iloc[first]!r} at {rows(first)}, a leap second, "
            f"which a time axis cannot hold ({count} such); write it as the second before (59), or drop the row"
        )


def _check_format(date_format: str | None, distinct: _Distinct, source: str) -> None:
    if date_format is None or not len(distinct.values):
        return
    try:
        pd.to_datetime(distinct.values[:1], errors="coerce", format=date_format, utc=True)
    except ValueError as exc:
        raise DataError(f"{source}: `date_format` {date_format!r} is not a format pandas reads ({exc})") from None


def _zoned_datetimes(distinct: _Distinct, time_col: str, source: str, rows: RowLabeller, notes: list[str],
                     date_format: str | None) -> pd.Series:
    """The column as datetimes (NaT where not one): mixed UTC offsets go to UTC, offsets on only some rows are refused."""
    column = distinct.column
    try:
        parsed = _datetimes(distinct, utc=False, date_format=date_format)
    except ValueError:
        parsed = None  # pandas refuses to put mixed UTC offsets on one axis
    if parsed is not None and not pd.api.types.is_datetime64_any_dtype(parsed):
        parsed = None  # older pandas returns objects for mixed offsets instead
    if parsed is not None and parsed.notna().all():
        return distinct.expanded(parsed)
    on_utc = _datetimes(distinct, utc=True, date_format=date_format)
    valid = np.asarray(on_utc.notna())  # per distinct value
    offset = pd.Series(distinct.values).astype(str).str.strip().str.contains(_OFFSET).to_numpy(dtype=bool) & valid
    plain = ~offset & valid
    if offset.any() and plain.any():
        # UTC would be a guess for the plain ones: the file's local time is unknown.
        a, p = distinct.first_row(offset), distinct.first_row(plain)
        raise DataError(
            f"{source}: column {time_col!r} has {column.iloc[a]!r} at {rows(a)} with a UTC offset but "
            f"{column.iloc[p]!r} at {rows(p)} without one; give every timestamp an offset, or none"
        )
    if parsed is not None:
        return distinct.expanded(parsed)
    local = _local_days(distinct, date_format)
    if local is not None:
        notes.append(f"read the timestamps of column {time_col!r} as local dates: their UTC offsets differ (daylight "
                     f"saving time), but each is at {local[0]:%H:%M} local time")
        return distinct.expanded(local)
    notes.append(f"converted the timestamps of column {time_col!r}, which have different UTC offsets, to UTC")
    return distinct.expanded(on_utc)


def _local_days(distinct: _Distinct, date_format: str | None) -> pd.DatetimeIndex | None:
    """Zoned timestamps all at one local time of day (daily data and coarser) as local, naive datetimes; else None.

    In UTC, a daily series across a change to or from daylight saving time leaves the daily grid by an hour.
    """
    if date_format is not None or distinct.codes is None:
        return None
    texts = pd.Series(distinct.values).astype(str).str.strip()
    local = pd.to_datetime(texts.str.replace(_OFFSET_AT_END, "", regex=True), errors="coerce", format="ISO8601")
    # Two instants on one local date (the same midnight in two zones) are no daily grid: they keep their UTC times.
    if local.isna().any() or local.duplicated().any() or (local - local.dt.normalize()).nunique() != 1:
        return None
    return pd.DatetimeIndex(local)


@dataclass
class _Distinct:
    """A time column's distinct texts, each once, and which of them each row holds.

    A long file repeats every timestamp once per series: each text is parsed once here. (pandas'
    own cache decides from the first rows alone, which in a long file hold one series' distinct times.)
    """

    column: pd.Series  # the column as read
    values: pd.Index | pd.Series  # text: the distinct texts in order of first appearance; else the column itself
    codes: np.ndarray | None  # (N,) each row's position in `values`; None when not text

    @classmethod
    def of(cls, column: pd.Series) -> _Distinct:
        if not is_text(column):
            return cls(column, column, None)
        # As text: a number among the cells would otherwise be read as an epoch by a later pandas.
        codes, values = pd.factorize(column.astype(str), use_na_sentinel=False)
        return cls(column, values, codes)

    def rows_of_each(self) -> np.ndarray:
        """(len(values),) how many rows hold each value."""
        if self.codes is None:
            return np.ones(len(self.values), dtype=np.int64)
        return np.bincount(self.codes, minlength=len(self.values))

    def first_row(self, flags: np.ndarray) -> int:
        """The first row whose value is flagged (`flags` per value, some set)."""
        return int(np.flatnonzero(flags if self.codes is None else flags[self.codes])[0])

    def expanded(self, parsed: pd.Index | pd.Series) -> pd.Series:
        """Per-value datetimes as a column like the one read (its index and name)."""
        if self.codes is None:
            return parsed
        return pd.Series(parsed.take(self.codes), index=self.column.index, name=self.column.name)


def _datetimes(distinct: _Distinct, utc: bool, date_format: str | None) -> pd.Index | pd.Series:
    """Each distinct value as a datetime, NaT where it is not one (in `date_format` where one is given)."""
    column, guessed = distinct.values, None
    if date_format is not None:
        return pd.to_datetime(column, errors="coerce", utc=utc, format=date_format)
    if distinct.codes is not None and len(column):
        # pandas guesses one format from the first cell, and warns when it cannot before it reads
        # each cell on its own; "mixed" asks for that directly, without the warning.
        guessed = None if guess_datetime_format(column[0].strip()) else "mixed"
    parsed = pd.to_datetime(column, errors="coerce", utc=utc, format=guessed)
    if parsed.notna().all():
        return parsed
    # pandas guesses one format from the first value, which misses ISO dates that only
    # sometimes carry a time of day ("2024-01-03", "2024-01-03 12:00"); ISO 8601 covers both.
    iso = pd.to_datetime(column, errors="coerce", utc=utc, format="ISO8601")
    rows = distinct.rows_of_each()  # the better reading reads more rows (not more distinct texts)
    return iso if rows[np.asarray(iso.notna())].sum() > rows[np.asarray(parsed.notna())].sum() else parsed
