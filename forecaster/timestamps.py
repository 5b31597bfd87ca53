"""A file's time column: which column it is, and its cells read as integer steps or datetimes.

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

TIME_NAMES = ("ds", "date", "timestamp", "time", "datetime")
MAX_STEP = 2**53  # a step number read as a float is exact only up to here
# Whole step numbers stay within this, so that the steps forecast after the last one are still 64-bit integers.
MAX_WHOLE_STEP = 2**62
# A time of day followed by a UTC offset: "12:00+01:00", "12:00:00Z", "12:00 -0500".
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


class RowLabeller:
    """Names a row the way the user sees it: a CSV line number, or a DataFrame position."""

    def __init__(self, from_file: bool) -> None:
        self.from_file = from_file

    def __call__(self, position: int) -> str:
        # Line 1 is the header, so data position 0 is line 2.
        return f"line {position + 2}" if self.from_file else f"row {position}"


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
        if is_text(frame[col]) and col != config.id_col and _looks_like_dates(frame[col]):
            return col
    return None


def is_text(column: pd.Series) -> bool:
    """Whether pandas holds the column as text (object or string dtype)."""
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _looks_like_dates(column: pd.Series) -> bool:
    sample = column.dropna().head(20).astype(str)
    if sample.empty or sample.str.fullmatch(r"[-+]?\d+(\.\d+)?").any():
        return False
    # On UTC: only whether they parse matters here, and mixed offsets would make pandas raise.
    return bool(pd.to_datetime(sample, errors="coerce", format="mixed", utc=True).notna().all())


def parsed_times(
    frame: pd.DataFrame, time_col: str | None, source: str, rows: RowLabeller, notes: list[str]
) -> pd.Index | None:
    """The time column as datetimes or integer steps; None when row order is the axis."""
    if time_col is None:
        return None
    column = frame[time_col]
    if column.isna().any():
        raise DataError(f"{source}: column {time_col!r} is empty at {rows(int(np.flatnonzero(column.isna())[0]))}; "
                        "give every row its time")
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return _steps(column, time_col, source, rows)
    parsed = _zoned_datetimes(column, time_col, source, rows, notes)
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: column {time_col!r} has {column.iloc[first]!r} at {rows(first)}, which is not a date "
            f"or time ({int(bad.sum())} such); fix it, or name the real time column with --time-col"
        )
    return pd.DatetimeIndex(parsed)


def _steps(column: pd.Series, time_col: str, source: str, rows: RowLabeller) -> pd.Index:
    """A numeric time column as integer steps; fractions, infinities and inexact huge numbers are refused."""
    if pd.api.types.is_integer_dtype(column):
        outside = ((column > MAX_WHOLE_STEP) | (column < -MAX_WHOLE_STEP)).to_numpy()
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            raise DataError(
                f"{source}: column {time_col!r} has step {column.iloc[first]} at {rows(first)}, beyond the "
                "largest step number forecaster counts past (2**62); number the steps 0, 1, 2, ... or use dates"
            )
        return pd.Index(column.to_numpy(dtype=np.int64))
    numbers = column.to_numpy(dtype=float)
    whole = np.isfinite(numbers) & (np.abs(numbers) <= MAX_STEP)
    whole[whole] = np.mod(numbers[whole], 1) == 0
    if not whole.all():
        first = int(np.flatnonzero(~whole)[0])
        raise DataError(
            f"{source}: column {time_col!r} has {column.iloc[first]} at {rows(first)}, not a whole step number; "
            "number the steps 0, 1, 2, ... or use dates"
        )
    return pd.Index(numbers.astype(np.int64))


def _zoned_datetimes(column: pd.Series, time_col: str, source: str, rows: RowLabeller, notes: list[str]) -> pd.Series:
    """The column as datetimes (NaT where not one): mixed UTC offsets go to UTC, offsets on only some rows are refused."""
    distinct = _Distinct.of(column)
    try:
        parsed = _datetimes(distinct, utc=False)
    except ValueError:
        parsed = None  # pandas refuses to put mixed UTC offsets on one axis
    if parsed is not None and not pd.api.types.is_datetime64_any_dtype(parsed):
        parsed = None  # older pandas returns objects for mixed offsets instead
    if parsed is not None and parsed.notna().all():
        return distinct.expanded(parsed)
    on_utc = _datetimes(distinct, utc=True)
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
    notes.append(f"converted the timestamps of column {time_col!r}, which have different UTC offsets, to UTC")
    return distinct.expanded(on_utc)


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


def _datetimes(distinct: _Distinct, utc: bool) -> pd.Index | pd.Series:
    """Each distinct value as a datetime, NaT where it is not one."""
    column, guessed = distinct.values, None
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
