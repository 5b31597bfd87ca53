"""forecaster.data.clock: a date column beside a column of the time of day is joined into one timestamp.

Before, the hours became a series and the refusal of the repeated dates pointed to --id-col; then they were
refused, asking the user to join them. The CLI tests check the forecast's series, first timestamp and values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.config import Config
from forecaster.data import load_series
from forecaster.data.clock import at_time_of_day
from forecaster.data.rows import RowLabeller
from forecaster.errors import DataError

from conftest import invoke, ok, user_error

TINY = ["--epochs", "1", "--hidden-size", "8", "--num-layers", "1", "--lookback", "24", "--horizon", "6"]
HOURS = pd.date_range("2024-01-01", periods=120, freq="h")


def hourly_load(tmp_path, name: str, hours, dates=lambda t: t.strftime("%Y-%m-%d"), sep: str = ",",
                times: pd.DatetimeIndex = HOURS) -> Path:
    path = tmp_path / "load.csv"
    load = 100 + 2 * (np.arange(len(times)) % 24)  # 100 at midnight, 146 at 23:00
    pd.DataFrame({"date": dates(times), name: hours(times), "load": load}).to_csv(path, index=False, sep=sep)
    return path


def forecast(tmp_path, path) -> pd.DataFrame:
    model, out = tmp_path / "model", tmp_path / "forecast.csv"
    ok(invoke("predict", model, "--data", path, "--output", out))
    return pd.read_csv(out, parse_dates=["timestamp"])


@pytest.mark.parametrize("name, hours, kind", [
    ("hour", lambda t: t.hour, "hours 0-23"),
    ("time", lambda t: t.strftime("%H:%M"), "clock times"),
    ("Uhrzeit", lambda t: t.strftime("%H:%M:%S"), "clock times"),
])
def test_dates_beside_their_time_of_day_forecast_the_next_hours(tmp_path, name, hours, kind):
    path = hourly_load(tmp_path, name, hours)
    result = ok(invoke("train", path, *TINY, "--out", tmp_path / "model"))
    assert f"time column 'date' + {name!r} (dates and their {kind}, joined)" in result.stderr
    frame = forecast(tmp_path, path)
    assert frame["series"].unique().tolist() == ["load"]  # the hours are no series
    assert frame["timestamp"].tolist() == list(pd.date_range("2024-01-06", periods=6, freq="h"))
    assert frame["forecast"].between(95, 115).all()  # the first hours of the day: 100 to 110


def test_day_first_dates_beside_clock_times_as_the_household_power_data_writes_them(tmp_path):
    # UCI's household power consumption: Date;Time;Global_active_power with 16/12/2006;17:24:00.
    path = hourly_load(tmp_path, "Time", lambda t: t.strftime("%H:%M:%S"),
                       dates=lambda t: [f"{d.day}/{d.month}/{d.year}" for d in t], sep=";",
                       times=pd.date_range("2006-12-16", periods=120, freq="h"))
    result = ok(invoke("train", path, *TINY, "--out", tmp_path / "model"))
    assert "date column 'date' read as day-first (DD/MM/YYYY)" in result.stderr
    assert forecast(tmp_path, path)["timestamp"].iloc[0] == pd.Timestamp("2006-12-21 00:00")


@pytest.mark.parametrize("name", ["hour", "Hour Ending", "HE"])
def test_hours_numbered_from_1_to_24_are_refused_naming_the_convention(tmp_path, name):
    path = hourly_load(tmp_path, name, lambda t: t.hour + 1)
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert user_error(result) == (
        f"error: {path}: column {name!r} numbers the hours 1 to 24 beside the dates of 'date'; whether hour 1 is "
        "00:00 or 01:00 is the file's convention (energy data counts hours ending), so join the two into one "
        "timestamp column ('2024-01-01 13:00'), or name the time column with --time-col")
    assert not (tmp_path / "model").exists()


def test_a_heart_rate_in_a_column_named_hr_is_no_time_of_day(tmp_path):
    times = pd.date_range("2024-01-01", periods=72, freq="h")
    path = tmp_path / "pulse.csv"
    pd.DataFrame({"date": times.strftime("%Y-%m-%d"), "user": "a", "hr": 60 + np.arange(72) % 30}).to_csv(path, index=False)
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert result.exit_code == 2 and "time of day" not in result.stderr and "--id-col" in result.stderr


def test_a_later_file_is_joined_as_the_model_was_trained_and_a_bad_hour_named(tmp_path):
    path = hourly_load(tmp_path, "hour", lambda t: t.hour)
    ok(invoke("train", path, *TINY, "--out", tmp_path / "model"))
    later = tmp_path / "later.csv"
    later.write_text(path.read_text().replace("2024-01-05,23,146", "2024-01-05,25,146"))
    result = invoke("predict", tmp_path / "model", "--data", later)
    assert user_error(result, "column 'hour' has 25 at line 121, which is no time of day (an hour 0-23 or a clock "
                              "time such as 13:00); fix it")


def test_joining_stamps_each_date_at_its_hour_or_clock_time():
    dates = pd.DatetimeIndex(["2024-01-01", "2024-01-01", "2024-01-02"])
    hours = at_time_of_day(dates, pd.Series([0, 13, 23], name="hour"), "date", "f.csv", RowLabeller(True))
    assert hours.tolist() == [pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-01 13:00"),
                              pd.Timestamp("2024-01-02 23:00")]
    clock = at_time_of_day(dates, pd.Series(["7:05", "13:00:30", "24:00"], name="time"), "date", "f.csv",
                           RowLabeller(True))
    assert clock.tolist() == [pd.Timestamp("2024-01-01 07:05"), pd.Timestamp("2024-01-01 13:00:30"),
                              pd.Timestamp("2024-01-03 00:00")]


def test_dates_that_hold_a_time_already_are_refused_at_their_line():
    dates = pd.DatetimeIndex(["2024-01-01", "2024-01-01 12:00"])
    with pytest.raises(DataError, match=r"f.csv: column 'date' has 2024-01-01 12:00:00 at line 3, a time of day "
                                        r"beside column 'hour', which gives it; write the date alone there"):
        at_time_of_day(dates, pd.Series([0, 1], name="hour"), "date", "f.csv", RowLabeller(True))


def test_a_long_file_joins_each_series_dates_and_hours(tmp_path):
    path = tmp_path / "long.csv"
    rows = [(s, t.strftime("%Y-%m-%d"), t.hour, base + t.hour) for s, base in (("A", 100), ("B", 200)) for t in HOURS]
    pd.DataFrame(rows, columns=["unique_id", "date", "hour", "y"]).to_csv(path, index=False)
    data = load_series(path, Config())
    assert data.schema.time_parts == ["date", "hour"] and data.schema.freq == "h"
    assert [s.id for s in data.series] == ["A", "B"]
    assert all(s.time.equals(HOURS) and s.values[13] == base + 13 for s, base in zip(data.series, (100, 200)))


def test_a_count_of_hours_is_no_time_of_day(tmp_path):
    # 'opening_hours' beside two stores a day was joined as the time of day: both stores became one 4-hourly series.
    days = pd.date_range("2024-01-01", periods=40)
    rows = [(d.date(), store, 100 + i, 8 if d.day_of_week < 6 else 0) for i, d in enumerate(days) for store in "AB"]
    path = tmp_path / "stores.csv"
    pd.DataFrame(rows, columns=["date", "store", "sales", "opening_hours"]).to_csv(path, index=False)
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert result.exit_code == 2 and "joined" not in result.stderr and "--id-col" in result.stderr


def test_business_hours_beside_their_dates_are_joined(tmp_path):
    # Hours 8 to 20 were refused as hours ending, for want of an hour 0.
    hours = pd.DatetimeIndex([t for t in pd.date_range("2024-01-01", periods=24 * 20, freq="h") if 8 <= t.hour <= 20])
    path = hourly_load(tmp_path, "hour", lambda t: t.hour, times=hours)
    result = ok(invoke("train", path, *TINY, "--out", tmp_path / "model"))
    assert "time column 'date' + 'hour' (dates and their hours 8-20, joined)" in result.stderr


def test_timestamps_beside_a_column_of_their_hours_are_not_joined(tmp_path):
    # A derived 'hour' beside full timestamps: the repeated 02:00 when clocks go back is the file's own fault.
    times = pd.date_range("2024-10-26", periods=72, freq="h", tz="Europe/Berlin").tz_localize(None)
    path = tmp_path / "load.csv"
    pd.DataFrame({"datetime": times, "hour": times.hour, "load": np.arange(72.0)}).to_csv(path, index=False)
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert result.exit_code == 2 and "a time of day beside column" not in result.stderr
