"""forecaster.data.numeric_times: numbers in the time column read as dates written YYYYMMDD or YYYYMM or Excel's
serial days, else steps."""

import numpy as np
import pandas as pd
import pytest

from forecaster.errors import DataError

from forecaster.data.rows import RowLabeller
from forecaster.data.timestamps import parsed_times

from conftest import invoke, load, ok


def test_whole_numbers_that_are_dates_written_yyyymmdd_are_read_as_dates(tmp_path):
    # Read as steps, 20240131 to 20240201 would be 70 steps, 69 of them made up.
    times = pd.date_range("2024-01-25", periods=14, freq="D")
    data = load(tmp_path, "date,v\n" + "".join(f"{t:%Y%m%d},{i}\n" for i, t in enumerate(times)))
    assert list(data.series[0].time) == list(times) and data.schema.freq == "D"
    assert data.notes == ["date column 'date' read as dates written YYYYMMDD"]


def test_whole_numbers_that_are_not_all_dates_stay_steps(tmp_path):
    data = load(tmp_path, "time,v\n20240130,1\n20240131,2\n20240132,3\n20240133,4\n")
    assert list(data.series[0].time) == [20240130, 20240131, 20240132, 20240133] and data.notes == []


def excel_days(times: pd.DatetimeIndex) -> np.ndarray:
    """Excel's serial numbers of `times`: days since 1899-12-30, the time of day as a fraction."""
    return np.asarray((times - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1))


def test_excel_serial_dates_in_a_date_column_are_read_as_dates(tmp_path):
    # Read as steps, the weekends between these business days were made up and the forecast stamped 45402.
    times = pd.bdate_range("2024-01-01", periods=20)
    data = load(tmp_path, "date,v\n" + "".join(f"{d:.0f},{i}\n" for i, d in enumerate(excel_days(times))))
    assert list(data.series[0].time) == list(times) and data.schema.freq == "B"
    assert list(data.series[0].values) == list(range(20))
    assert data.notes == ["date column 'date' read as Excel serial dates (days since 1899-12-30: 45292 is 2024-01-01); "
                          "set `freq` steps to read them as step numbers"]


def test_excel_serial_times_of_day_are_read_to_the_second(tmp_path):
    times = pd.date_range("2024-03-01", periods=48, freq="h")
    # Found by its name and numbers, as it is not one of the time column's usual names.
    data = load(tmp_path, "Order Date,v\n" + "".join(f"{float(d)!r},{i}\n" for i, d in enumerate(excel_days(times))))
    assert list(data.series[0].time) == list(times) and data.schema.freq == "h" and data.ids == ["v"]
    assert data.notes[0] == "time column 'Order Date' (its cells read as dates)"


def test_a_column_named_as_dates_holding_yyyymmdd_is_the_time_not_a_series(tmp_path):
    times = pd.date_range("2024-01-25", periods=14, freq="D")
    data = load(tmp_path, "Invoice date,v\n" + "".join(f"{t:%Y%m%d},{i}\n" for i, t in enumerate(times)))
    assert list(data.series[0].time) == list(times) and data.ids == ["v"]


def test_numbers_like_excel_dates_stay_steps_unless_the_column_is_named_as_dates(tmp_path):
    # A counter named `time` (seconds, say) and serial days before 1990 (which days since 1970 could also be) stay steps.
    assert list(load(tmp_path, "time,v\n45292,1\n45293,2\n45294,3\n").series[0].time) == [45292, 45293, 45294]
    assert list(load(tmp_path, "date,v\n19723,1\n19724,2\n19725,3\n").series[0].time) == [19723, 19724, 19725]
    # 'updates' holds the letters of 'date', not the word: a series like any other.
    data = load(tmp_path, "updates,v\n45292,1\n45300,2\n45311,3\n")
    assert data.ids == ["updates", "v"] and list(data.series[0].values) == [45292, 45300, 45311]


def test_a_model_trained_on_steps_reads_yyyymmdd_like_numbers_as_steps():
    notes: list[str] = []
    frame = pd.DataFrame({"t": [20240101, 20240102]})
    assert list(parsed_times(frame, "t", "frame", RowLabeller(False), notes, freq="steps")) == [20240101, 20240102]


def test_any_name_that_says_date_takes_excel_serial_dates(tmp_path):
    # 'Datetime' is one of the time column's names: the word-by-word test of a review draft read it as steps.
    days = pd.bdate_range("2024-01-01", periods=20)
    for name in ("Datetime", "ORDERDATE", "datekey"):
        data = load(tmp_path, f"{name},v\n" + "".join(f"{d:.0f},{i}\n" for i, d in enumerate(excel_days(days))))
        assert list(data.series[0].time) == list(days) and data.ids == ["v"], name


def test_a_second_column_of_dates_written_as_numbers_is_no_series(tmp_path):
    # 'Ship Date' was forecast as a series of serial numbers beside the time column 'Order Date'.
    days = pd.bdate_range("2024-01-01", periods=20)
    serial = excel_days(days)
    data = load(tmp_path, "Order Date,Ship Date,Sales\n" + "".join(f"{d:.0f},{d + 3:.0f},{i}\n" for i, d in enumerate(serial)))
    assert data.ids == ["Sales"] and list(data.series[0].time) == list(days)
    assert data.notes[0] == "time column 'Order Date' (its cells read as dates); ignored 'Ship Date' (dates written as numbers)"


def test_yyyymmdd_written_as_floats_with_an_empty_cell_is_refused_at_its_line(tmp_path):
    # pandas writes a column of whole numbers with an empty cell as floats: it became a series before.
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    cells = [f"{t:%Y%m%d}.0" if i != 5 else "" for i, t in enumerate(days)]
    with pytest.raises(DataError, match="column 'Order Date' is empty at line 7; give every row its time"):
        load(tmp_path, "Order Date,v\n" + "".join(f"{c},{i}\n" for i, c in enumerate(cells)))
    data = load(tmp_path, "date,v\n" + "".join(f"{t:%Y%m%d}.0,{i}\n" for i, t in enumerate(days)))
    assert list(data.series[0].time) == list(days)


def test_a_date_column_of_other_numbers_says_they_are_read_as_steps(tmp_path):
    data = load(tmp_path, "date,v\n100,1\n101,2\n102,3\n")
    assert list(data.series[0].time) == [100, 101, 102]
    assert data.notes == ["date column 'date' holds numbers that are neither dates written YYYYMMDD or YYYYMM nor "
                          "Excel serial dates of 1990 to 2099: read as step numbers; write dates as dates to have them "
                          "read so"]
    # Long files in Nixtla's shape number their steps in 'ds' as often as they date them: no note there.
    assert load(tmp_path, "unique_id,ds,y\na,0,1\na,1,2\na,2,3\n").notes == []



MONTHS = pd.date_range("2020-01-01", periods=48, freq="MS")


@pytest.mark.parametrize("name", ["month", "Period", "yyyymm", "date"])
def test_months_written_yyyymm_are_read_as_months(tmp_path, name):
    # A column named 'month' was a series beside 'v' before, and row order the axis; 'date' was read as steps
    # (88 made up from each December to January).
    data = load(tmp_path, f"{name},v\n" + "".join(f"{t:%Y%m},{i}\n" for i, t in enumerate(MONTHS)))
    assert [s.id for s in data.series] == ["v"] and list(data.series[0].time) == list(MONTHS)
    assert data.schema.freq == "MS" and data.schema.time_col == name
    assert f"date column {name!r} read as months written YYYYMM (202001 is 2020-01)" in data.notes


@pytest.mark.parametrize("cells", [["202011", "202012", "202013"], ["202011", "202012", "202101.5"]])
def test_numbers_that_are_not_all_months_are_no_months(tmp_path, cells):
    data = load(tmp_path, "month,v\n" + "".join(f"{c},{i}\n" for i, c in enumerate(cells)))
    assert data.schema.time_col is None and "month" in [s.id for s in data.series]


def test_a_monthly_export_with_yyyymm_periods_forecasts_the_next_months(tmp_path):
    path = tmp_path / "sales.csv"
    values = 100 + np.arange(48) + 10 * (np.arange(48) % 12 == 11)  # a December peak on a trend
    path.write_text("month,sales\n" + "".join(f"{t:%Y%m},{v}\n" for t, v in zip(MONTHS, values)))
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    ok(invoke("train", path, "--epochs", "1", "--hidden-size", "8", "--horizon", "6", "--out", model))
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["series"].unique().tolist() == ["sales"]  # 'month' was forecast as a series before
    assert frame["timestamp"].tolist() == list(pd.date_range("2024-01-01", periods=6, freq="MS"))
    assert frame["forecast"].between(120, 175).all()


def test_a_year_column_beside_the_time_is_its_years_not_a_series(tmp_path):
    data = load(tmp_path, "year,month,sales\n" + "".join(f"{t.year},{t:%Y%m},{i}\n" for i, t in enumerate(MONTHS)))
    assert [s.id for s in data.series] == ["sales"] and data.schema.time_col == "month"
    assert "ignored 'year' (the years of the time column)" in data.notes[0]
