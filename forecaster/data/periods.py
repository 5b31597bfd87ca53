"""Time written as periods, not dates: quarters ('2000 Q1', 'Q1-2000'), ISO weeks ('2024-W01'), months with two-digit
years ('Jan-20', Excel's default month format) and numbered months ('01.2020'), each rewritten as its first day for
pandas to read.

pandas reads only some quarter forms (and warns that it will stop), and reads 'Jan-20' as the 20th of January of
year 1: the series was a daily one with 29 days made up for each month, stamped in year 1.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from forecaster.errors import DataError

# A quarter: "2000Q1", "2000-Q1", "2000 Q1", "Q1 2000", "Q1-2000".
QUARTER = re.compile(r"(\d{4})\s*[-/ ]?\s*[Qq]([1-4])|[Qq]([1-4])\s*[-/ ]?\s*(\d{4})")
# A month's English name or abbreviation and a two-digit year: "Jan-20", "January 20", "Sep/99".
MONTH_YEAR = re.compile(r"([A-Za-z]{3,9})\.?[-/ ](\d{2})")
# An ISO week: "2024-W01", "2024W1", "2024-w01"; its Monday is the week's first day.
ISO_WEEK = re.compile(r"(\d{4})-?[Ww](\d{1,2})")
# A month's number and a four-digit year: "01.2020" (German exports' MM.JJJJ), "1-2020"; pandas reads 01.2020 as
# 1 January of year 1.
MONTH_NUMBER_YEAR = re.compile(r"(0?[1-9]|1[0-2])[./-](\d{4})")
MONTHS = {**{calendar.month_abbr[m].lower(): m for m in range(1, 13)},
          **{calendar.month_name[m].lower(): m for m in range(1, 13)}, "sept": 9}
CENTURY_PIVOT = 69  # Python's %y: 69-99 are the 1900s, 00-68 the 2000s


def as_first_days(column: pd.Series, where: str | None) -> tuple[pd.Series, str | None]:
    """A text column of quarters, ISO weeks, months with two-digit years or numbered months, each cell as its period's first day
    ('2000-04-01'), and what was read, in words (None where the column is neither). Other cells ('Total') stay as
    they are, to be refused at their line. `where` names the column in a refusal of years that the century splits
    (None: no refusal, as while looking for the time column)."""
    if column.empty or not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return column, None
    first = str(column.iloc[0]).strip()
    if QUARTER.fullmatch(first):
        return _rewritten(column, QUARTER, _quarter_first_days), None
    if ISO_WEEK.fullmatch(first):
        days = _rewritten(column, ISO_WEEK, _week_mondays)
        return days, f"read as ISO weeks, each on its Monday ({first!r} is {pd.Timestamp(days.iloc[0]).date()})"
    if MONTH_NUMBER_YEAR.fullmatch(first):
        days = _rewritten(column, MONTH_NUMBER_YEAR, _numbered_month_first_days)
        if _dense_months(days):
            return days, f"read as months written MM.YYYY ({first!r} is {pd.Timestamp(days.iloc[0]):%B %Y})"
    match = MONTH_YEAR.fullmatch(first)
    if not match or match[1].lower() not in MONTHS:
        return column, None
    days = _rewritten(column, MONTH_YEAR, _month_first_days)
    years = pd.to_datetime(days, errors="coerce", format="%Y-%m-%d").dt.year.dropna().astype(int)
    # Dec-68 is 2068 and Jan-69 1969: months that the century split lie close again a century apart.
    split = 50 <= years.max() - years.min() < 100 and _dense_months(days.str.replace("^20", "19", regex=True))
    if where is not None and split:
        raise DataError(f"{where} has months with two-digit years, read as {years.min()}-{years.max()} by "
                        "Python's century (69-99: the 1900s, 00-68: the 2000s); write the years in full")
    days_alone = _days_of_months(column)
    if _dense_months(days) and not days_alone:
        span = f"year {years.min()}" if years.min() == years.max() else f"years {years.min()}-{years.max()}"
        return days, f"read as months with two-digit years ({first!r} is {pd.Timestamp(days.iloc[0]):%B %Y}; {span})"
    if where is not None and int(match[2]) <= 31:  # 'Mar 01' to 'Mar 21': pandas would put each day in year 1
        why = ("they name the days of months, without a year" if days_alone else
               f"read as months ({pd.Timestamp(days.iloc[0]):%B %Y}, ...) they leave out most months between them, "
               "and read as days they have no year")
        raise DataError(f"{where} has {first!r}: {why} (pandas would put the days in year 1); write each date in "
                        "full (YYYY-MM-DD)")
    return column, None


def _days_of_months(column: pd.Series) -> bool:
    """Whether cells such as 'Jan 20' are a year's days: every month named comes with 28 numbers or more, all from 1
    to 31 (months over 28 years would hold a 00, or a year past 31), which makes them dense as months too."""
    parts = pd.Series(column.unique()).astype(str).str.strip().str.extract(f"^(?:{MONTH_YEAR.pattern})$").dropna()
    numbers = parts[1].astype(int)
    per_month = numbers.groupby(parts[0].str.lower().map(MONTHS)).nunique()
    return bool(numbers.between(1, 31).all() and (per_month >= 28).all())


def numbered_months(cells: pd.Series) -> bool:
    """Whether every cell is a numbered month ('01.2020') and together they read as months."""
    cells = cells.astype(str).str.strip()
    if cells.empty or not cells.str.fullmatch(MONTH_NUMBER_YEAR).all():
        return False
    return _dense_months(_rewritten(cells, MONTH_NUMBER_YEAR, _numbered_month_first_days))


def _dense_months(days: pd.Series) -> bool:
    """Whether the first days read hold at least half of the months they span: months do; prices written 1.1950,
    1.1951 (January 1950, January 1951) or days without a year, 'Mar 01' to 'Mar 21' (March 2001 to 2021), do not."""
    months = pd.to_datetime(days, errors="coerce", format="%Y-%m-%d").dropna().unique()
    if not len(months):
        return False
    numbers = months.year * 12 + months.month
    return len(months) >= (numbers.max() - numbers.min() + 1) / 2


def _rewritten(column: pd.Series, pattern: re.Pattern, first_days) -> pd.Series:
    """Each distinct cell that `pattern` reads, as the first day that `first_days` makes of its parts."""
    codes, values = pd.factorize(column.astype(str), use_na_sentinel=False)  # each distinct text once
    parts = pd.Series(values).str.strip().str.extract(f"^(?:{pattern.pattern})$")
    days = np.array(values, dtype=object)
    read = first_days(parts)
    days[read.notna().to_numpy()] = read.dropna().to_numpy()
    return pd.Series(days[codes], index=column.index, name=column.name)


def _quarter_first_days(parts: pd.DataFrame) -> pd.Series:
    quarter, year = parts[1].fillna(parts[2]), parts[0].fillna(parts[3])
    found = quarter.notna()
    months = (3 * quarter[found].astype(int) - 2).map("{:02d}".format)
    return (year[found] + "-" + months + "-01").reindex(parts.index)


def _month_first_days(parts: pd.DataFrame) -> pd.Series:
    months = parts[0].str.lower().map(MONTHS)
    found = months.notna()
    short = parts[1][found].astype(int)
    years = np.where(short >= CENTURY_PIVOT, 1900 + short, 2000 + short)
    return (pd.Series(years, index=short.index).astype(str) + "-" + months[found].astype(int).map("{:02d}".format)
            + "-01").reindex(parts.index)


def _numbered_month_first_days(parts: pd.DataFrame) -> pd.Series:
    found = parts[0].notna()
    return (parts[1][found] + "-" + parts[0][found].astype(int).map("{:02d}".format) + "-01").reindex(parts.index)


def _week_mondays(parts: pd.DataFrame) -> pd.Series:
    found = parts[0].notna()
    # %G-%V-%u: ISO year, week and weekday; a week past the year's last (2021-W53) is no date, refused at its line.
    mondays = pd.to_datetime(parts[0][found] + "-" + parts[1][found] + "-1", format="%G-%V-%u", errors="coerce")
    return mondays.dt.strftime("%Y-%m-%d").reindex(parts.index)
