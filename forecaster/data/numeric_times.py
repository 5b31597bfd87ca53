"""A numeric time column: dates written as numbers (YYYYMMDD, Excel's serial days), else whole step numbers.

pandas reads such a column as numbers; read as steps, dates written so would leave gaps that filling makes up.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecaster.data.timeaxis import FIRST_YEAR, LAST_YEAR, STEPS
from forecaster.errors import DataError

# Names of a column that holds months written YYYYMM (202401) when it holds numbers.
MONTH_NAMES = ("month", "months", "yyyymm", "yearmonth", "year_month", "year month", "period", "monat", "mois", "mes",
               "ym")
MAX_STEP = 2**53  # a step number read as a float is exact only up to here
# Whole step numbers stay within this, so that the steps forecast after the last one are still 64-bit integers.
MAX_WHOLE_STEP = 2**62


def numeric_times(column: pd.Series, time_col: str, source: str, rows: Callable[[int], str], notes: list[str],
                  freq: str | None) -> pd.Index:
    """A numeric time column: dates written YYYYMMDD, Excel's serial dates in a column named as dates, else steps."""
    if freq != STEPS:
        dated = _written_yyyymmdd(column)
        if dated is not None:
            notes.append(f"date column {time_col!r} read as dates written YYYYMMDD")
            return pd.DatetimeIndex(dated)
        dated = _written_yyyymm(column)
        if dated is not None:
            notes.append(f"date column {time_col!r} read as months written YYYYMM ({column.iloc[0]} is "
                         f"{dated.iloc[0]:%Y-%m})")
            return pd.DatetimeIndex(dated)
        dated = _excel_serial_dates(column, time_col)
        if dated is not None:
            day = dated.iloc[0]
            shown = day.date() if day == day.normalize() else day
            notes.append(f"date column {time_col!r} read as Excel serial dates (days since 1899-12-30: "
                         f"{column.iloc[0]} is {shown}); set `freq` steps to read them as step numbers")
            return pd.DatetimeIndex(dated)
        if "date" in str(time_col).lower() and _named_as_dates(time_col):  # 'ds' holds steps as often as dates
            notes.append(f"date column {time_col!r} holds numbers that are neither dates written YYYYMMDD or YYYYMM "
                         "nor Excel serial dates of 1990 to 2099: read as step numbers; write dates as dates to have "
                         "them read so")
    return _steps(column, time_col, source, rows)


def numbers_as_dates(column: pd.Series, name: object) -> bool:
    """Whether a column named as dates ('Order Date') holds numbers that are dates (YYYYMMDD, YYYYMM or Excel's
    serial days), or one named as months ('month', 'period') holds months written YYYYMM, empty cells aside."""
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    present = column.dropna()
    if present.empty:
        return False
    if str(name).strip().lower() in MONTH_NAMES:
        return _written_yyyymm(present) is not None
    return _named_as_dates(name) and any(read(present) is not None for read in (
        _written_yyyymmdd, _written_yyyymm, lambda numbers: _excel_serial_dates(numbers, name)))


def _named_as_dates(name: object) -> bool:
    """Whether a column's name says date ('date', 'Order Date', 'ORDERDATE', 'Datetime', 'datekey') or is 'ds'."""
    lower = str(name).strip().lower()
    # Words that only hold the letters: 'updates', 'validated', 'candidate', 'mandate'.
    return lower == "ds" or ("date" in lower and not re.search(r"(?:up|vali|candi|man)date", lower))


def whole_numbers(column: pd.Series) -> np.ndarray | None:
    """The column as int64 when every cell is a whole number; else None."""
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column) or column.isna().any():
        return None
    numbers = column.to_numpy(dtype=np.float64)
    if not (np.isfinite(numbers).all() and (np.mod(numbers, 1) == 0).all() and np.abs(numbers).max() < MAX_STEP):
        return None
    return numbers.astype(np.int64)


def _written_yyyymmdd(column: pd.Series) -> pd.Series | None:
    """Whole numbers that are all dates written YYYYMMDD (20240131, or 20240131.0 as pandas writes a column with
    an empty cell), as datetimes; None for other numbers.

    Read as steps, such dates would jump by 70 from each January 31 to February 1, and the gaps be filled.
    """
    numbers = whole_numbers(column)
    if numbers is None or not FIRST_YEAR * 10**4 < numbers.min() <= numbers.max() < (LAST_YEAR + 1) * 10**4:
        return None
    dated = pd.to_datetime(pd.Series(numbers, index=column.index).astype(str), format="%Y%m%d", errors="coerce")
    return dated if dated.notna().all() else None


EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (for days after its phantom 29 February 1900)
# Serial days of 1990-01-01 and 2099-12-31: counted from 1970 instead (as R's and Unix's days), such numbers
# would be dates after 2059, so no other reading is likely; earlier serial days are left as steps.
EXCEL_DAYS = (32874, 73050)


def _written_yyyymm(column: pd.Series) -> pd.Series | None:
    """Whole numbers that are all months written YYYYMM (202401), as their first days; None for other numbers.

    Read as steps, such months would jump by 89 from each December to January, and the gaps be filled.
    """
    numbers = whole_numbers(column)
    if numbers is None or not FIRST_YEAR * 100 < numbers.min() <= numbers.max() < (LAST_YEAR + 1) * 100:
        return None
    months = numbers % 100
    if not ((months >= 1) & (months <= 12)).all():
        return None
    firsts = pd.to_datetime(pd.DataFrame({"year": numbers // 100, "month": months, "day": 1}))
    return pd.Series(firsts.to_numpy(), index=column.index)


def _excel_serial_dates(column: pd.Series, time_col: object) -> pd.Series | None:
    """Excel's serial dates (45292 for 2024-01-01, 45292.5 for its noon) in a column named as dates, as datetimes.

    Read as steps, business days would make up every weekend, and the forecast would be stamped 45402.
    """
    if not _named_as_dates(time_col):
        return None
    numbers = column.to_numpy(dtype=float)
    if not (np.isfinite(numbers).all() and EXCEL_DAYS[0] <= numbers.min() and numbers.max() <= EXCEL_DAYS[1] + 1):
        return None
    # A time of day is a fraction of the day, which a float holds only to about a microsecond.
    return (EXCEL_EPOCH + pd.to_timedelta(pd.Series(numbers, index=column.index), unit="D")).dt.round("s")


def _steps(column: pd.Series, time_col: str, source: str, rows: Callable[[int], str]) -> pd.Index:
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
