"""A date column beside a column of the time of day (`Date;Time;...`, `date,hour,load`): found, and joined.

Logger and energy exports write the time of day apart from the date. Read apart, the hours were a series and
the dates repeated within each day; joined, each row is stamped at its date and time. Hours numbered up to 24
(energy data counts hours ending) are refused: whether hour 1 is 00:00 or 01:00 is the file's own convention.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecaster.data.numeric_times import whole_numbers
from forecaster.data.rows import RowLabeller
from forecaster.errors import DataError

# Names of a column that may hold a date's time of day (lower case, '_' and '-' read as spaces); not 'hours' or
# 'opening_hours', which count hours.
HOUR_NAMES = ("hour", "hr", "hh", "he", "hour ending", "hourending", "hour beginning", "hour of day", "hour of the day",
              "time", "time of day", "uhrzeit", "zeit", "stunde", "heure", "hora", "ora")
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?"  # 13:00, 7:05:30
SAMPLE_CELLS = 20  # cells of the time column that tell whether it holds dates alone


def time_of_day_column(frame: pd.DataFrame, time_col: str | None, id_col: str | None, taken: set) -> str | None:
    """The column that gives the time of day of `time_col`'s dates: named as hours and holding hours (0-24) or
    clock times ('13:00'), where the dates repeat within a series; None where there is none."""
    if time_col is None or time_col not in frame.columns or not _dates_alone(frame[time_col]):
        return None
    if not frame.duplicated([id_col, time_col] if id_col else [time_col]).any():
        return None
    return next((c for c in frame.columns if c not in {time_col, id_col, *taken} and is_time_of_day(frame, [time_col, c])),
                None)


def is_time_of_day(frame: pd.DataFrame | None, parts: list[str]) -> bool:
    """Whether time parts [date, column] name a time of day (in `frame`'s cells too, where given)."""
    if len(parts) != 2:
        return False
    named = re.sub(r"[_-]", " ", str(parts[1]).strip().lower()) in HOUR_NAMES
    return named and (frame is None or _times_of_day(frame[parts[1]]))


def _dates_alone(column: pd.Series) -> bool:
    """Whether a time column's first cells are dates without a time of day ('2024-01-01', 20240101, not
    '2024-10-27 02:00', which repeats when clocks go back)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return False
    return not column.head(SAMPLE_CELLS).astype(str).str.contains(r"\d:\d").any()


def _times_of_day(column: pd.Series) -> bool:
    """Whether every cell is an hour (a whole number from 0 to 24) or a clock time; a heart rate 'hr' is neither."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        hours = whole_numbers(column)
        return hours is not None and hours.min() >= 0 and hours.max() <= 24
    return bool(column.astype(str).str.strip().str.fullmatch(_CLOCK).all())


def refuse_hours_ending(frame: pd.DataFrame, time_col: str, hours: str, source: str) -> None:
    """Refuse hours numbered up to 24 (1-24, as energy data counts hours ending): the file's convention decides
    whether hour 1 is 00:00 or 01:00, and only the user knows it."""
    numbers = whole_numbers(frame[hours])
    if numbers is not None and numbers.max() == 24:
        raise DataError(
            f"{source}: column {hours!r} numbers the hours {numbers.min()} to {numbers.max()} beside the dates of "
            f"{time_col!r}; whether hour 1 is 00:00 or 01:00 is the file's convention (energy data counts hours "
            "ending), so join the two into one timestamp column ('2024-01-01 13:00'), or name the time column with "
            "`time_col`")


def at_time_of_day(dates: pd.DatetimeIndex, column: pd.Series, time_col: str, source: str,
                   rows: RowLabeller) -> pd.DatetimeIndex:
    """Each row's date at its time of day: hours 0-23, or clock times (24:00 is the next midnight)."""
    dated = dates != dates.normalize()
    if dated.any():
        first = int(np.flatnonzero(dated)[0])
        raise DataError(f"{source}: column {time_col!r} has {dates[first]} at {rows(first)}, a time of day beside "
                        f"column {column.name!r}, which gives it; write the date alone there")
    if pd.api.types.is_numeric_dtype(column):
        numbers = column.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numbers) | (np.mod(numbers, 1) != 0) | (numbers < 0) | (numbers > 23)
        offsets = pd.to_timedelta(np.where(bad, 0, numbers), unit="h")
    else:
        text = column.astype(str).str.strip()
        offsets = pd.to_timedelta(text.where(text.str.fullmatch(_CLOCK), None).map(_with_seconds), errors="coerce")
        bad = offsets.isna().to_numpy() | (offsets > pd.Timedelta(hours=24)).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        cell = column.iloc[first]
        shown = repr(cell) if isinstance(cell, str) else f"{cell:g}"
        raise DataError(f"{source}: column {column.name!r} has {shown} at {rows(first)}, which is no "
                        f"time of day (an hour 0-23 or a clock time such as 13:00); fix it")
    return pd.DatetimeIndex(dates + pd.TimedeltaIndex(offsets))


def _with_seconds(text: str | None) -> str | None:
    # pandas reads '13:00' as 13 minutes without a third field, so a clock time gets its seconds first.
    return None if text is None else text if text.count(":") == 2 else f"{text}:00"
