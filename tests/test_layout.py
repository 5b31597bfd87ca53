"""Files written the way people write them, through the real CLI (issue 16): each gives the right forecast and says
in one stderr line what forecaster decided on its own.

Each case trains a tiny model, then checks the targets chosen (`info --json`), the forecast's series and first
timestamps (`predict --output`), and the line on stderr, not only the exit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster
from forecaster.errors import DataError

from conftest import TINY
from conftest import invoke, ok

FLAGS = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--lookback", "6", "--horizon", "3"]


def train(data: Path, model: Path, *extra) -> str:
    """Train a tiny model of `data`; returns what training said on stderr."""
    return ok(invoke("train", data, *FLAGS, "--out", model, "--json", *extra)).stderr


def schema(model: Path) -> dict:
    return json.loads(ok(invoke("info", model, "--json")).stdout)["schema"]


def forecast(model: Path, data: Path, tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / "forecast.csv"
    ok(invoke("predict", model, "--data", data, "--output", out))
    return pd.read_csv(out)


def first_steps(frame: pd.DataFrame) -> dict[str, str]:
    """Each series' first forecast timestamp."""
    return {str(k): v for k, v in frame.groupby("series", sort=False)["timestamp"].first().items()}


def cycle(n: int, level: float = 10.0, seed: int = 0) -> np.ndarray:
    return level + np.sin(np.arange(n) / 2) + np.random.default_rng(seed).normal(0, 0.1, n)


def note_lines(stderr: str, fragment: str) -> list[str]:
    return [line for line in stderr.splitlines() if fragment in line]


# --- per-series extents ---


def test_a_pivot_whose_columns_end_apart_forecasts_each_after_its_own_last_value(tmp_path):
    months = pd.date_range("2018-01-01", periods=72, freq="MS")
    long = pd.concat([pd.DataFrame({"unique_id": "a", "ds": months, "y": cycle(72)}),
                      pd.DataFrame({"unique_id": "b", "ds": months[:48], "y": cycle(48, 50.0, seed=1)})])
    data = tmp_path / "pivot.csv"
    long.pivot_table(index="ds", columns="unique_id", values="y").to_csv(data)
    stderr = train(data, tmp_path / "m")
    assert schema(tmp_path / "m")["targets"] == ["a", "b"]
    # Before: b's last two years were interpolated as data and its forecast started at 2024-01-01 with a's.
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"a": "2024-01-01", "b": "2022-01-01"}
    assert len(note_lines(stderr, "'b' ends 2021-12-01 (24 empty rows after it)")) == 1
    assert "filled" not in stderr.replace("were not filled", "")  # nothing inside was missing


def test_padded_rows_at_the_end_are_not_data(tmp_path):
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=120, freq="h"), "load": cycle(120)})
    frame.loc[96:, "load"] = np.nan  # the future rows a user appended, or an export's padding
    data = tmp_path / "padded.csv"
    frame.to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    # Before: "filled 24 missing values", and the forecast started at 2024-01-06 00:00 after made-up values.
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"load": "2024-01-05 00:00:00"}
    assert len(note_lines(stderr, "'load' ends 2024-01-04 23:00:00 (24 empty rows after it)")) == 1
    assert "filled" not in stderr.replace("were not filled", "")


def test_long_files_end_each_id_at_its_own_last_value(tmp_path):
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    frames = []
    for series_id, empty_before, empty_after in (("x", 0, 10), ("y", 5, 0), ("z", 0, 0)):
        values = cycle(60, seed=len(frames))
        values[:empty_before] = np.nan
        values[len(values) - empty_after:] = np.nan
        frames.append(pd.DataFrame({"unique_id": series_id, "ds": days, "y": values}))
    data = tmp_path / "long.csv"
    pd.concat(frames).to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {
        "x": "2024-02-20", "y": "2024-03-01", "z": "2024-03-01"}
    [line] = note_lines(stderr, "from its first to its last value")
    assert "'x' ends 2024-02-19 (10 empty rows after it)" in line
    assert "'y' starts 2024-01-06 (5 empty rows before it)" in line


# --- column roles ---


def test_a_year_column_is_the_yearly_time_axis_and_the_saved_index_is_ignored(tmp_path):
    data = tmp_path / "volume.csv"
    pd.DataFrame({"year": range(1950, 2001), "volume": cycle(51)}).to_csv(data)  # with its index, as pandas writes it
    stderr = train(data, tmp_path / "m", "--calendar")
    saved = schema(tmp_path / "m")
    # Before: targets were Unnamed: 0, year and volume, on a row-number axis.
    assert (saved["targets"], saved["time_col"], saved["freq"]) == (["volume"], "year", "YS-JAN")
    assert saved["calendar"] == []  # before: a "month" that is January in every row
    frame = forecast(tmp_path / "m", data, tmp_path)
    assert list(frame["timestamp"]) == ["2001-01-01", "2002-01-01", "2003-01-01"]
    assert len(note_lines(stderr, "time column 'year' (integer years, yearly); ignored 'Unnamed: 0' (row index)")) == 1


def test_guessed_series_a_time_found_by_its_cells_and_columns_left_out_are_said(tmp_path):
    # Before: 'promo' silently became a second series, and a time column of another name went unmentioned.
    frame = pd.DataFrame({"Period": pd.date_range("2024-01-01", periods=40).strftime("%Y-%m-%d"),
                          "sales": cycle(40), "promo": np.arange(40) % 2, "note": "ok"})
    data = tmp_path / "sales.csv"
    frame.to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    assert schema(tmp_path / "m")["targets"] == ["sales", "promo"]
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"sales": "2024-02-10", "promo": "2024-02-10"}
    assert len(note_lines(stderr, "time column 'Period' (its cells read as dates); series 'sales', 'promo' (every "
                                  "numeric column; choose with --target); ignored 'note' (not numbers)")) == 1


def test_a_time_column_that_is_not_read_says_that_row_order_is_the_axis(tmp_path):
    # Fiscal years are no dates pandas reads: before, the column was dropped without a word.
    years = [f"{1980 + i}/{(81 + i) % 100:02d}" for i in range(40)]  # 1980/81, ..., 2019/20
    data = tmp_path / "years.csv"
    pd.DataFrame({"fiscal year": years, "value": cycle(40)}).to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    assert schema(tmp_path / "m")["time_col"] is None
    assert list(forecast(tmp_path / "m", data, tmp_path)["timestamp"]) == [40, 41, 42]
    assert len(note_lines(stderr, "ignored 'fiscal year' (not numbers); no time column: row order is the time axis "
                                  "(name one with --time-col)")) == 1


def test_r_write_csv_row_names_are_ignored(tmp_path):
    rows = "".join(f'"{i + 1}",{1900 + i},{v:.3f}\n' for i, v in enumerate(cycle(40)))
    data = tmp_path / "r.csv"
    data.write_text('"","Year","flow"\n' + rows)
    stderr = train(data, tmp_path / "m")
    assert schema(tmp_path / "m")["targets"] == ["flow"]
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"flow": "1940-01-01"}
    assert len(note_lines(stderr, "time column 'Year' (integer years, yearly); ignored 'Unnamed: 0' (row index)")) == 1


@pytest.mark.parametrize(("part", "per_year", "last", "first_forecast"), [
    ("quarter", 4, 4, "2011-01-01"), ("month", 12, 12, "2011-01-01"), ("quarter", 4, 2, "2010-07-01")])
def test_year_and_quarter_or_month_columns_make_the_time(tmp_path, part, per_year, last, first_forecast):
    years = np.repeat(np.arange(2001, 2011), per_year)
    steps = np.tile(np.arange(1, per_year + 1), 10)
    keep = (years < 2010) | (steps <= last)
    frame = pd.DataFrame({"year": years, part: steps, "sales": cycle(len(years))})[keep]
    data = tmp_path / "parts.csv"
    frame.to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    saved = schema(tmp_path / "m")
    assert (saved["targets"], saved["time_parts"]) == (["sales"], ["year", part])
    # pandas 2 names the quarterly grid QS-OCT and pandas 3 QS-JAN: the same first days of January, April, ...
    grid = pd.date_range("2010-01-01", periods=per_year, freq=saved["freq"])
    assert list(grid.month) == (([1, 4, 7, 10] if part == "quarter" else list(range(1, 13))))
    assert (grid.day == 1).all()
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"sales": first_forecast}
    assert len(note_lines(stderr, f"time column 'year' + '{part}' (years and {part}s)")) == 1


def test_year_and_month_name_columns_like_the_flights_data_make_the_time(tmp_path):
    # Before: "Jan" read as a date in year 1 made 'month' the time and 'year' a series, refused as repeated dates.
    years = np.repeat(np.arange(1949, 1956), 12)
    months = np.tile(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 7)
    data = tmp_path / "flights.csv"
    pd.DataFrame({"year": years, "month": months, "passengers": cycle(84, 300.0)}).to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    saved = schema(tmp_path / "m")
    assert (saved["targets"], saved["time_parts"], saved["freq"]) == (["passengers"], ["year", "month"], "MS")
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"passengers": "1956-01-01"}
    assert len(note_lines(stderr, "time column 'year' + 'month' (years and months)")) == 1


def test_year_and_quarter_columns_with_quarters_written_q1_make_the_time(tmp_path):
    # Before: refused as whole years on several rows, asking for the 'quarter' column that was there.
    data = tmp_path / "quarters.csv"
    frame = pd.DataFrame({"year": np.repeat(np.arange(2000, 2010), 4), "quarter": np.tile(["Q1", "Q2", "Q3", "Q4"], 10),
                          "sales": cycle(40, 300.0)})
    frame.to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    saved = schema(tmp_path / "m")
    assert (saved["targets"], saved["time_parts"], saved["freq"]) == (["sales"], ["year", "quarter"], "QS-JAN")
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"sales": "2010-01-01"}
    assert len(note_lines(stderr, "time column 'year' + 'quarter' (years and quarters)")) == 1


def test_a_year_by_month_table_like_statsmodels_elnino_is_one_monthly_series(tmp_path):
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    table = pd.DataFrame(cycle(20 * 12, 24.0).reshape(20, 12).round(2), columns=months)
    table.insert(0, "YEAR", np.arange(1950.0, 1970.0))  # whole years written as floats, as in statsmodels
    table.iloc[-1, 1 + 9:] = np.nan  # October to December not yet measured
    data = tmp_path / "elnino.csv"
    table.to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    saved = schema(tmp_path / "m")
    # Before: twelve yearly series named JAN..DEC beside a forecast of YEAR, on a row-number axis.
    assert (saved["targets"], saved["freq"]) == (["value"], "MS")
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"value": "1969-10-01"}
    assert len(note_lines(stderr, "time column 'YEAR' with a column per month ('JAN' to 'DEC'), read as one monthly "
                                  "series 'value'")) == 1
    assert len(note_lines(stderr, "'value' ends 1969-09-01 (3 empty rows after it)")) == 1


def test_a_row_counter_is_never_a_series_and_a_step_counter_is_the_time(tmp_path):
    n = 60
    data = tmp_path / "counted.csv"
    pd.DataFrame({"row": range(1, n + 1), "step": range(100, 100 + n), "sales": cycle(n), "price": cycle(n, 3.0, 2)}
                 ).to_csv(data, index=False)
    stderr = train(data, tmp_path / "m")
    saved = schema(tmp_path / "m")
    assert (saved["targets"], saved["time_col"], saved["freq"]) == (["sales", "price"], "step", "steps")
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"sales": 160, "price": 160}
    said = "time column 'step' (counts the rows, integer steps); ignored 'row' (counts the rows)"
    assert len(note_lines(stderr, said)) == 1


def test_flags_override_every_guess(tmp_path):
    data = tmp_path / "volume.csv"
    pd.DataFrame({"year": range(1950, 2001), "volume": cycle(51)}).to_csv(data, index=False)
    stderr = train(data, tmp_path / "m", "--time-col", "year")
    saved = schema(tmp_path / "m")
    assert (saved["targets"], saved["time_col"], saved["freq"]) == (["volume"], "year", "steps")
    assert saved["time_parts"] == []
    assert first_steps(forecast(tmp_path / "m", data, tmp_path)) == {"volume": 2001}
    assert note_lines(stderr, "time column") == []
    train(data, tmp_path / "both", "--target", "year,volume")
    assert (schema(tmp_path / "both")["targets"], schema(tmp_path / "both")["time_col"]) == (["year", "volume"], None)


def test_many_tiny_series_are_refused_before_they_are_built(tmp_path):
    ids = np.repeat(np.arange(20_000), 3)
    days = np.tile(["2024-01-01", "2024-01-02", "2024-01-03"], 20_000)
    data = tmp_path / "tiny.csv"
    pd.DataFrame({"unique_id": ids, "ds": days, "y": np.arange(60_000) % 7}).to_csv(data, index=False)
    result = invoke("train", data, "--out", tmp_path / "m")
    assert result.exit_code == 2 and not (tmp_path / "m").exists()
    assert ("series '0' has 3 steps, too short for two steps of history, a validation part of at least one horizon "
            "and a holdout of 0 (20000 of 20000 series have fewer than 4 steps); lower") in result.stderr


# --- the library ---


def frame_forecast(frame: pd.DataFrame) -> pd.DataFrame:
    return Forecaster(**{**TINY, "epochs": 1}, lookback=6, horizon=3).fit(frame).predict(frame)


def test_a_frame_read_with_its_dates_as_index_forecasts_after_its_last_date(tmp_path):
    path = tmp_path / "dated.csv"
    pd.DataFrame({"date": pd.date_range("2024-01-01", periods=60, freq="D"), "v": cycle(60)}).to_csv(path, index=False)
    frame = pd.read_csv(path, index_col=0, parse_dates=True)
    # Before: the dates were lost and the forecast came on steps 60, 61, 62.
    assert list(frame_forecast(frame)["timestamp"]) == list(pd.date_range("2024-03-01", periods=3, freq="D"))


def test_a_period_index_and_an_integer_index_are_the_time_axis():
    quarters = pd.DataFrame({"v": cycle(40)}, index=pd.period_range("2000Q1", periods=40, freq="Q"))
    assert list(frame_forecast(quarters)["timestamp"]) == list(pd.date_range("2010-01-01", periods=3, freq="QS"))
    years = pd.DataFrame({"v": cycle(40)}, index=pd.Index(range(1950, 1990), name="year"))
    assert list(frame_forecast(years)["timestamp"]) == list(pd.date_range("1990-01-01", periods=3, freq="YS"))
    steps = pd.DataFrame({"v": cycle(40)}, index=range(500, 540))
    assert list(frame_forecast(steps)["timestamp"]) == [540, 541, 542]


def test_a_frame_of_series_too_short_is_refused_before_fitting():
    frame = pd.DataFrame({"v": cycle(12)}, index=pd.date_range("2024-01-01", periods=12, freq="D"))
    with pytest.raises(DataError, match=r"has 12 steps, too short for lookback 4 \+ horizon 3 .* holdout of 3 "
                                        r"\(1 of 1 series have fewer than 13 steps\)"):
        Forecaster(lookback=4, horizon=3, holdout=3).fit(frame)


def test_a_long_frame_indexed_by_id_and_time_keeps_working():
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    long = pd.concat([pd.DataFrame({"unique_id": k, "ds": days, "y": cycle(40, seed=i)}) for i, k in enumerate("AB")])
    expected = frame_forecast(long)
    indexed = frame_forecast(long.set_index(["unique_id", "ds"]))
    assert list(indexed["series"]) == list(expected["series"]) == ["A"] * 3 + ["B"] * 3
    assert list(indexed["timestamp"]) == list(expected["timestamp"])
    assert expected["timestamp"].iloc[0] == pd.Timestamp("2024-02-10")
