"""forecaster.data.periods: quarters and months with two-digit years ('Jan-20', Excel's default) read as first days.

Before, pandas read 'Jan-20' as the 20th of January of year 1: a daily series with 29 days made up in each month,
forecast in year 1. The CLI test checks the forecast's series, timestamps and values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecaster.data.periods import as_first_days
from forecaster.errors import DataError

from conftest import invoke, load, ok, refusal

MONTHS = pd.date_range("2020-01-01", periods=48, freq="MS")


@pytest.mark.parametrize("written, first", [("%b-%y", "Jan-20"), ("%B %y", "January 20"), ("%b/%y", "Jan/20"),
                                            ("%b. %y", "Jan. 20")])
def test_months_with_two_digit_years_are_read_as_months(tmp_path, written, first):
    data = load(tmp_path, "month,v\n" + "".join(f"{t.strftime(written)},{i}\n" for i, t in enumerate(MONTHS)))
    assert list(data.series[0].time) == list(MONTHS) and data.schema.freq == "MS"
    assert data.notes == ["time column 'month' (its cells read as dates)",
                          f"date column 'month' read as months with two-digit years ({first!r} is January 2020; "
                          "years 2020-2023)"]


def test_an_excel_month_column_forecasts_the_next_months(tmp_path):
    path = tmp_path / "sales.csv"
    values = 100 + np.arange(48) + 10 * (np.arange(48) % 12 == 11)
    path.write_text("Month,Sales\n" + "".join(f"{t:%b-%y},{v}\n" for t, v in zip(MONTHS, values)))
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = ok(invoke("train", path, "--epochs", "1", "--hidden-size", "8", "--horizon", "6", "--out", model))
    assert "inserted" not in result.stderr and "season: 12 (from the frequency MS)" in result.stderr
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["series"].unique().tolist() == ["Sales"]
    assert frame["timestamp"].tolist() == list(pd.date_range("2024-01-01", periods=6, freq="MS"))  # was year 1
    assert frame["forecast"].between(120, 175).all()


def test_years_that_the_century_splits_are_refused():
    column = pd.Series(["Nov-68", "Dec-68", "Jan-69"], name="month")
    with pytest.raises(DataError, match=r"f.csv: column 'month' has months with two-digit years, read as 1969-2068 by "
                                        r"Python's century \(69-99: the 1900s, 00-68: the 2000s\); write the years "
                                        r"in full"):
        as_first_days(column, "f.csv: column 'month'")


@pytest.mark.parametrize("cells", [["Jan-20", "Feb-20", "Total"], ["Q1 2020", "Q2 2020", "Total"]])
def test_cells_of_another_kind_are_left_to_be_refused_at_their_line(cells):
    days, _ = as_first_days(pd.Series(cells), "f.csv: column 'month'")
    assert days.tolist() == ["2020-01-01", "2020-02-01" if cells[0] == "Jan-20" else "2020-04-01", "Total"]


@pytest.mark.parametrize("cells", [["20-Jan", "21-Jan"], ["Foo-20", "Bar-21"], ["2020-01", "2020-02"]])
def test_other_text_is_left_as_it_is(cells):
    column = pd.Series(cells)
    days, read = as_first_days(column, "f.csv: column 'month'")
    assert days is column and read is None


def test_a_date_format_that_is_set_reads_the_cells_itself(tmp_path):
    data = load(tmp_path, "month,v\n" + "".join(f"{t:%b-%y},{i}\n" for i, t in enumerate(MONTHS)), date_format="%b-%y")
    assert list(data.series[0].time) == list(MONTHS) and not any("two-digit" in note for note in data.notes)


@pytest.mark.parametrize("sep, decimal", [(";", ","), (",", ".")])
def test_numbered_months_forecast_the_next_months_in_either_convention(tmp_path, sep, decimal):
    # German exports write months MM.JJJJ beside decimal commas. Before, the point of '01.2020' made the decimal
    # mark a point, '100,5' was text that pandas read as dates in year 100 (the time column), and 'Monat' a series
    # of 1.202, 2.202, ...; in a comma file 'month' was that series, forecast on row steps.
    path = tmp_path / "umsatz.csv"
    values = [f"{100 + i + 5 * (i % 12 == 11)}{decimal}5" for i in range(48)]
    cells = "".join(f"{t:%m.%Y}{sep}{v}\n" for t, v in zip(MONTHS, values))
    path.write_text(f"Monat{sep}Umsatz\n{cells}")
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = ok(invoke("train", path, "--epochs", "1", "--hidden-size", "8", "--horizon", "6", "--out", model))
    assert "date column 'Monat' read as months written MM.YYYY ('01.2020' is January 2020)" in result.stderr
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["series"].unique().tolist() == ["Umsatz"]
    assert frame["timestamp"].tolist() == list(pd.date_range("2024-01-01", periods=6, freq="MS"))
    assert frame["forecast"].between(120, 175).all()


def test_numbers_with_a_decimal_comma_are_no_dates(tmp_path):
    # Beside decimal points, '100,5' stays text; pandas read it as a date in year 100, which made 'a' the time.
    message = refusal(tmp_path, "a;b\n100,5;1.5\n101,5;2.5\n102,5;3.5\n")
    assert message.endswith("column 'a' has '100,5' at line 2, which is not a number (3 such); write numbers with a "
                            "decimal point (1.5, not 1,5), or set `decimal` ,")


def test_days_of_months_without_a_year_are_no_months():
    # 'Jan 01' to 'Dec 31' would read as 365 months of 2001-2031.
    days = pd.Series([f"{t:%b %d}" for t in pd.date_range("2023-01-01", "2023-12-31")])
    result, read = as_first_days(days, None)
    assert result is days and read is None
    with pytest.raises(DataError, match="has 'Jan 01': they name the days of months, without a year"):
        as_first_days(days, "f.csv: column 'day'")


def test_iso_weeks_forecast_the_next_mondays(tmp_path):
    # Before, 'week' was ignored as text: row order was the axis, and the forecast stamped with step numbers.
    mondays = pd.date_range("2022-01-03", periods=104, freq="W-MON")
    path = tmp_path / "weekly.csv"
    path.write_text("week,sales\n" + "".join(f"{t.isocalendar()[0]}-W{t.isocalendar()[1]:02d},{100 + i % 52}\n"
                                             for i, t in enumerate(mondays)))
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    result = ok(invoke("train", path, "--epochs", "1", "--hidden-size", "8", "--horizon", "8", "--out", model))
    assert "date column 'week' read as ISO weeks, each on its Monday ('2022-W01' is 2022-01-03)" in result.stderr
    assert "season: 52 (from the frequency W-MON)" in result.stderr
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].tolist() == list(pd.date_range("2024-01-01", periods=8, freq="W-MON"))
    assert frame["forecast"].between(80, 170).all()


def test_a_week_that_its_year_lacks_is_left_to_be_refused():
    days, _ = as_first_days(pd.Series(["2020-W53", "2021-W53"]), "f.csv: column 'week'")
    assert days.tolist() == ["2020-12-28", "2021-W53"]  # 2020 has 53 ISO weeks, 2021 has 52


@pytest.mark.parametrize("text", [
    "bid,ask\n" + "".join(f"{1.1950 + i / 1e4:.4f},{1.1953 + i / 1e4:.4f}\n" for i in range(40)),  # 1.1950: January 1950?
    "year,rate\n" + "".join(f"{1990 + i},{4.25 + i % 4 / 4:.4f}\n" for i in range(30)),
])
def test_prices_with_four_decimals_are_no_months(tmp_path, text):
    # Read as MM.YYYY they were months decades apart: 'bid' became the time column, 'year' refused as repeated.
    data = load(tmp_path, text)
    assert not any("MM.YYYY" in note for note in data.notes)
    assert data.schema.time_col in (None, "year") and len(data.series[0]) == text.count("\n") - 1


def test_days_without_a_year_are_no_months_and_are_refused(tmp_path):
    days = pd.Series([f"Mar {d:02d}" for d in range(1, 22)])  # were March 2001 to 2021, yearly
    result, read = as_first_days(days, None)
    assert result is days and read is None
    # pandas read them in year 1, and the forecast was stamped 0001-03-22.
    message = refusal(tmp_path, "day,visits\n" + "".join(f"{d},{i}\n" for i, d in enumerate(days)))
    assert message.endswith("column 'day' has 'Mar 01': read as months (March 2001, ...) they leave out most months "
                            "between them, and read as days they have no year (pandas would put the days in year 1); "
                            "write each date in full (YYYY-MM-DD)")
