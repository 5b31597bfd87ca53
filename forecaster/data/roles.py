"""Which column is what, read the way a person reads a table: the time, an index to ignore, or a series.

Names and types decide first (timestamps.time_column); a date column beside its time of day joins it
(clock.py); else integer years (alone, with a quarter or month column, or beside a column per month) make the time; a leading unnamed column is the index that
`DataFrame.to_csv()` or R's `write.csv` writes; a column that only counts the rows is never a series.
Settings (time_col, target) override each guess.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecaster.config import Config
from forecaster.errors import DataError
from forecaster.data.clock import refuse_hours_ending, time_of_day_column
from forecaster.data.numeric_times import numbers_as_dates, whole_numbers
from forecaster.data.timeaxis import FIRST_YEAR, LAST_YEAR
from forecaster.data.rows import RowLabeller
from forecaster.data.timestamps import TIME_NAMES, is_text, time_column

YEAR_NAMES = ("year", "years", "yr", "yyyy", "jahr", "année", "annee", "año", "anno", "jaar")  # and in exports' languages
# The column beside the year that gives the step within it: its names, its largest value, months per step.
PART_NAMES = {"quarter": (("quarter", "qtr", "q"), 4, 3), "month": (("month", "mon", "mm", "m"), 12, 1)}
COUNTER_TIME_NAMES = ("t", "step", "steps", "period", "tick", "time_idx", "time_index")
# A table with a row per year and a column per month (Jan..Dec, or the full names) is one monthly series of this name.
MONTH_NAMES = [(calendar.month_abbr[m].lower(), calendar.month_name[m].lower()) for m in range(1, 13)]
BY_MONTH_SERIES = "value"
_MONTH_NUMBERS = {name: m for m, names in enumerate(MONTH_NAMES, start=1) for name in names}  # "jan", "january": 1
_QUARTER_NUMBERS = {f"q{q}": q for q in range(1, 5)}  # "Q1" beside a year column
MIN_COUNTER_ROWS = 10  # fewer rows rising by one each are as likely a short series as a row counter


@dataclass(frozen=True)
class Roles:
    """The columns that are not series: the time (maybe built from parts) and those ignored."""

    time_col: str | None
    # [year], [year, quarter|month], [year, Jan..Dec], or [date, hour|time]: a date and its time of day
    time_parts: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # an index or a row counter: never a series
    guesses: list[str] = field(default_factory=list)  # each guessed role in words, for the note


def column_roles(frame: pd.DataFrame, config: Config, id_col: str | None, source: str) -> Roles:
    """The time column and the columns to ignore; `id_col` is the series id column of a long file, if any."""
    taken = {*(config.target or []), *config.covariates, *config.future_covariates, id_col}
    time_col = time_column(frame, config)
    ignored, guesses = [], []
    if config.time_col is None and time_col is not None and _found_by_cells(frame, time_col):
        guesses.append(f"time column {time_col!r} (its cells read as dates)")
    index = _index_column(frame, time_col, taken)
    if index is not None:
        ignored.append(index)
        guesses.append(f"ignored {index!r} (row index)")
    # A second column of dates written as numbers ('Ship Date' beside 'Order Date') is no series to forecast.
    for col in frame.columns:
        if col not in {time_col, index, *taken} and numbers_as_dates(frame[col], col):
            ignored.append(col)
            guesses.append(f"ignored {col!r} (dates written as numbers)")
    if time_col is not None and config.target is None:
        ignored += _years_beside(frame, time_col, taken | set(ignored), guesses)
    parts: list[str] = []
    hours = time_of_day_column(frame, time_col, id_col, taken | set(ignored))
    if hours is not None:
        refuse_hours_ending(frame, time_col, hours, source)
        parts = [time_col, hours]
        numbers = frame[hours]
        kind = "clock times" if is_text(numbers) else f"hours {numbers.min():g}-{numbers.max():g}"
        guesses.insert(0, f"time column {time_col!r} + {hours!r} (dates and their {kind}, joined)")
    if time_col is None and config.time_col is None:
        parts = _year_parts(frame, taken | set(ignored), bool(config.covariates or config.future_covariates))
        if parts:
            time_col = parts[0]
            if id_col is None and len(parts) == 1 and frame[time_col].duplicated().any():
                raise DataError(f"{source}: column {time_col!r} holds whole years, some of them on several rows; add "
                                "a 'quarter' (1-4) or 'month' (1-12) column, or name the time column with `time_col`")
            parts = parts if FIRST_YEAR <= frame[time_col].min() and frame[time_col].max() <= LAST_YEAR else []
            guesses.insert(0, _time_guess(time_col, parts))
            if by_month(parts):  # the table's one series takes the month columns; anything else beside them is unused
                rest = [c for c in frame.columns if c not in {*parts, *ignored, *taken}]
                ignored += rest
                guesses += [f"ignored {c!r} (beside the month columns)" for c in rest]
    if id_col is None:
        time_col = _counters(frame, time_col, config, taken | set(ignored) | set(parts), ignored, guesses)
    return Roles(time_col, parts, ignored, guesses)


def _years_beside(frame: pd.DataFrame, time_col: str, taken: set, guesses: list[str]) -> list[str]:
    """Columns named as years ('year', 'Jahr') that hold whole years beside the time column: its years, no series."""
    years = [col for col in frame.columns if col != time_col and col not in taken
             and str(col).strip().lower() in YEAR_NAMES and _whole_years(frame[col])]
    guesses += [f"ignored {col!r} (the years of the time column)" for col in years]
    return years


def _whole_years(column: pd.Series) -> bool:
    numbers = whole_numbers(column)
    return numbers is not None and len(numbers) > 0 and FIRST_YEAR <= numbers.min() and numbers.max() <= LAST_YEAR


def _found_by_cells(frame: pd.DataFrame, time_col: str) -> bool:
    """Whether the time column was found by what its cells hold, not by its name or type: a guess to report."""
    named = str(time_col).lower() in TIME_NAMES
    return not named and not pd.api.types.is_datetime64_any_dtype(frame[time_col])


def with_time_index(frame: pd.DataFrame, config: Config, saved: bool, saved_time_col: str | None) -> pd.DataFrame:
    """A library frame whose index holds the time (dates, periods, steps other than row numbers): the index as a column.

    A frame that has a time column keeps it, and its index is only row labels. With a model's schema
    (`saved`), the index is the saved time column when the frame lacks it.
    """
    index = frame.index
    if isinstance(index, pd.MultiIndex):  # (unique_id, ds) as set by set_index
        named = all(name is not None for name in index.names) and not set(index.names) & set(frame.columns)
        return frame.reset_index() if named else frame
    dated = isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex))
    steps = pd.api.types.is_integer_dtype(index) and index.is_unique and not _row_numbers(index)
    if not (dated or steps):
        return frame
    if saved:
        if saved_time_col is None or saved_time_col in frame.columns:
            return frame
        name = saved_time_col
    else:
        if config.time_col in frame.columns or time_column(frame, config) is not None:
            return frame
        name = config.time_col or _free_name(frame, str(index.name) if index.name is not None else "time")
    time = index.to_timestamp() if isinstance(index, pd.PeriodIndex) else index
    return frame.set_axis(pd.RangeIndex(len(frame))).assign(**{name: np.asarray(time) if steps else time})


def _row_numbers(index: pd.Index) -> bool:
    """Whether the index only numbers the rows 0, 1, 2, ... (pandas' default)."""
    if isinstance(index, pd.RangeIndex):
        return index.start == 0 and index.step == 1
    return bool((index.to_numpy() == np.arange(len(index))).all())


def _free_name(frame: pd.DataFrame, name: str) -> str:
    """`name`, or the first of the time names no column has."""
    return next(n for n in (name, *TIME_NAMES, "index") if n not in frame.columns)


def _time_guess(year: str, parts: list[str]) -> str:
    if len(parts) > 2:
        return (f"time column {year!r} with a column per month ({parts[1]!r} to {parts[-1]!r}), read as one monthly "
                f"series {BY_MONTH_SERIES!r}")
    return f"time column {_joined(parts or [year])} ({_described(parts)})"


def by_month(parts: list[str]) -> bool:
    """Whether `time_parts` describe a table of one row per year and one column per month."""
    return len(parts) == 13


def _joined(names: list[str]) -> str:
    if by_month(names):
        return f"{names[0]!r} + {names[1]!r}..{names[-1]!r}"
    return " + ".join(repr(n) for n in names)


def _described(parts: list[str]) -> str:
    if not parts:
        return "integer years, as steps"
    return "integer years, yearly" if len(parts) == 1 else f"years and {_part_kind(parts[1])}s"


def _part_kind(name: str) -> str | None:
    """"quarter" or "month" by the column's name."""
    return next((kind for kind, (names, _, _) in PART_NAMES.items() if name.strip().lower() in names), None)


def _index_column(frame: pd.DataFrame, time_col: str | None, taken: set) -> str | None:
    """A leading unnamed column that is not the time: the index pandas or R wrote beside the data."""
    first = str(frame.columns[0])
    unnamed = first.strip() == "" or first == "Unnamed: 0"
    return first if unnamed and first != time_col and first not in taken and len(frame.columns) > 1 else None


def _named_numbers(column: pd.Series, kind: str) -> np.ndarray | None:
    """A column of month names ("Jan", "january") as 1-12, or of quarters ("Q1") as 1-4; None where any cell is
    no such name."""
    if not is_text(column):
        return None
    names = _MONTH_NUMBERS if kind == "month" else _QUARTER_NUMBERS
    numbers = column.astype(str).str.strip().str.lower().map(names)
    return None if numbers.isna().any() else numbers.to_numpy(dtype=np.int64)


def _year_parts(frame: pd.DataFrame, taken: set, covariates: bool) -> list[str]:
    """[year], [year, quarter|month] or [year, Jan..Dec] when a column named like a year holds whole years; else []."""
    by_name = {str(c).strip().lower(): c for c in frame.columns if c not in taken}
    year = next((by_name[n] for n in YEAR_NAMES if n in by_name), None)
    years = None if year is None else whole_numbers(frame[year])
    if years is None or years.min() < 1 or years.max() > 9999:
        return []
    for names, largest, _ in PART_NAMES.values():
        part = next((by_name[n] for n in names if n in by_name), None)
        numbers = None if part is None else whole_numbers(frame[part])
        if numbers is None and part is not None:
            numbers = _named_numbers(frame[part], "month" if largest == 12 else "quarter")  # "Jan" (flights), "Q1"
        if numbers is not None and numbers.min() >= 1 and numbers.max() <= largest:
            return [year, part]
    months = [next((by_name[n] for n in names if n in by_name), None) for names in MONTH_NAMES]
    # One row per year: a year-by-month table, which has no room for covariates beside its one series.
    if None not in months and len(np.unique(years)) == len(years) and not covariates:
        return [year, *months]
    return [year]


def _counters(frame: pd.DataFrame, time_col: str | None, config: Config, taken: set, ignored: list[str],
              guesses: list[str]) -> str | None:
    """Columns that count the rows (strictly +1 steps) beside other numbers: the time if so named, else ignored."""
    if config.target is not None:
        return time_col  # the targets are chosen: a counter among the rest is no series anyway
    numeric = [c for c, dtype in frame.dtypes.items() if c not in taken and c != time_col
               and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)]
    counters = _row_counters(frame, numeric)
    if not counters or len(counters) == len(numeric):
        return time_col  # nothing else to forecast: a rising column is then the series itself
    for col in counters:
        if time_col is None and config.time_col is None and str(col).strip().lower() in COUNTER_TIME_NAMES:
            time_col = col
            guesses.insert(0, f"time column {col!r} (counts the rows, integer steps)")
        else:
            ignored.append(col)
            guesses.append(f"ignored {col!r} (counts the rows)")
    return time_col


def _row_counters(frame: pd.DataFrame, numeric: list[str]) -> list[str]:
    """The numeric columns that go up by exactly 1 from row to row (a row number, a step counter)."""
    if len(frame) < MIN_COUNTER_ROWS or not numeric:
        return []
    values = frame[numeric].to_numpy(dtype=np.float64)  # (rows, columns): one pass over all, not one per column
    # Steps of exactly 1 from a whole number are whole numbers all the way; a missing cell breaks the steps.
    with np.errstate(invalid="ignore", over="ignore"):  # an infinite or huge cell is no counter, and is refused later
        rising = (np.diff(values, axis=0) == 1).all(axis=0) & (np.mod(values[0], 1) == 0)
    return [col for col, counts in zip(numeric, rising) if counts]


def time_from_parts(frame: pd.DataFrame, parts: list[str], source: str, rows: RowLabeller) -> pd.Series:
    """The datetimes that whole years (and a quarter or month column) give: the first day of each step."""
    years = _whole_in_range(frame, parts[0], FIRST_YEAR, LAST_YEAR, parts, source, rows)
    month = np.ones(len(frame), dtype=np.int64)
    if len(parts) > 1:
        kind = _part_kind(parts[1])
        if kind is None:
            raise DataError(f"{source}: the time is built from {_joined(parts)}, but {parts[1]!r} names no quarter "
                            "or month column; the model's schema is damaged")
        _, largest, months = PART_NAMES[kind]
        named = _named_numbers(frame[parts[1]], kind)
        steps = named if named is not None else _whole_in_range(frame, parts[1], 1, largest, parts, source, rows)
        month += months * (steps - 1)
    stamps = pd.to_datetime(pd.DataFrame({"year": years, "month": month, "day": 1}))
    return pd.Series(stamps.to_numpy(), index=frame.index, name=parts[0])


def months_as_rows(frame: pd.DataFrame, parts: list[str], target: str, source: str,
                   rows: RowLabeller) -> tuple[pd.DataFrame, Callable[[int], str]]:
    """A year-by-month table as rows in time order (the time, then `target`), and the file cell of each row."""
    years = _whole_in_range(frame, parts[0], FIRST_YEAR, LAST_YEAR, parts, source, rows)
    months = parts[1:]
    stamps = pd.to_datetime(pd.DataFrame({"year": np.repeat(years, 12), "month": np.tile(np.arange(1, 13), len(years)),
                                          "day": 1}))
    cells = frame[months].to_numpy(dtype=object).reshape(-1)  # (years * 12,) year by year, January first

    def cell(position: int) -> str:
        return f"{rows(position // 12)}, column {months[position % 12]!r}"

    return pd.DataFrame({parts[0]: stamps.to_numpy(), target: cells}), cell


def _whole_in_range(frame: pd.DataFrame, name: str, low: int, high: int, parts: list[str], source: str,
                    rows: RowLabeller) -> np.ndarray:
    """The column as int64, each cell a whole number from `low` to `high`; else the first other cell is refused."""
    column = frame[name]
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(numbers) | (np.mod(numbers, 1) != 0) | (numbers < low) | (numbers > high)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        cell = column.iloc[first]
        shown = repr(cell) if isinstance(cell, str) else cell
        raise DataError(f"{source}: column {name!r} has {shown} at {rows(first)}, not a whole number from {low} to "
                        f"{high}; the time is built from {_joined(parts)}")
    return numbers.astype(np.int64)
