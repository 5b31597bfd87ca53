"""forecaster.data.timeaxis: frequencies, seasonal periods, regular grids, gap filling, future steps."""

import numpy as np
import pandas as pd
import pytest

from forecaster.errors import DataError
from forecaster.data.timeaxis import STEPS, future_index, infer_freq, infer_freq_flat, parse_time_label, season_of, time_label
from forecaster.data.fill import filled_flat, filled_values, regular_index, series_grids

from conftest import invoke, ok, user_error

TINY = ["--epochs", "1", "--hidden-size", "8", "--num-layers", "1", "--lookback", "12", "--horizon", "6"]


def grid(start: str, periods: int, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=periods, freq=freq)


# --- season_of ---


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("h", 24),
        ("D", 7),
        ("W", 52),
        ("W-MON", 52),
        ("MS", 12),
        ("ME", 12),
        ("QS", 4),
        ("QS-OCT", 4),
        ("QE-DEC", 4),
        ("YE", 1),
        ("30min", 48),
        ("15min", 96),
        ("10min", 144),
        ("5min", 288),
        ("2h", 12),
        ("6h", 4),
        ("24h", 7),
        ("B", 5),
        ("2MS", 6),
        ("2QS", 2),
        ("min", 1),  # 1,440 steps a day: beyond MAX_SEASON
        ("5h", 1),  # no whole number of steps in a day
        ("2D", 1),
        (STEPS, 1),
    ],
)
def test_season_follows_the_frequency(freq, season):
    assert season_of(freq) == season


# --- infer_freq ---


@pytest.mark.parametrize(
    ("start", "freq", "expected"),
    [
        ("2024-01-01", "h", "h"),
        ("2024-01-01", "D", "D"),
        ("2024-01-01", "W-MON", "W-MON"),
        ("2024-01-07", "W-SUN", "W-SUN"),
        ("2024-01-01", "MS", "MS"),
        ("2024-01-31", "ME", "ME"),
        ("2024-01-01", "15min", "15min"),
    ],
)
def test_gap_free_frequency_is_pandas_inference(start, freq, expected):
    assert infer_freq([grid(start, 10, freq)], "data.csv") == expected


@pytest.mark.parametrize(
    ("start", "freq", "expected"),
    [
        ("2024-01-01", "h", "h"),
        ("2024-01-01", "D", "D"),
        ("2024-01-01", "W-MON", "W-MON"),
        ("2024-01-03", "W-WED", "W-WED"),
        ("2024-01-01", "MS", "MS"),
        ("2024-01-31", "ME", "ME"),
        ("2024-01-01", "2D", "2D"),
    ],
)
def test_frequency_with_gaps_comes_from_the_modal_step(start, freq, expected):
    times = grid(start, 10, freq).delete([3, 6, 7])
    assert infer_freq([times], "data.csv") == expected


@pytest.mark.parametrize(
    ("start", "freq"), [("2020-02-01", "QS-FEB"), ("2020-03-31", "QE-DEC"), ("2010-07-01", "YS-JUL")]
)
def test_quarters_and_years_with_gaps_keep_the_data_on_the_grid(start, freq):
    full = grid(start, 8, freq)
    inferred = infer_freq([full.delete(3)], "data.csv")
    assert list(pd.date_range(full[0], full[-1], freq=inferred)) == list(full)


@pytest.mark.parametrize(("start", "freq"), [("2024-01-31", "BME"), ("2024-01-01", "BMS"), ("2020-03-31", "BQE-DEC")])
def test_first_or_last_business_days_with_gaps_are_their_business_offsets(start, freq):
    # Read as month ends before, the last business days (29 March, ...) were off the 'ME' grid and refused.
    full = grid(start, 12, freq)
    inferred = infer_freq([full.delete([2, 5])], "data.csv")
    assert inferred.split("-")[0] == freq.split("-")[0]  # 'BQE-MAR' is 'BQE-DEC's grid
    assert list(pd.date_range(full[0], full[-1], freq=inferred)) == list(full)


@pytest.mark.parametrize(("days", "where"), [([15], "day 15"), ([14, 15, 15], "days 14 to 15")])
def test_dates_months_apart_inside_their_months_are_refused_naming_their_day(days, where):
    # Read as month ends before: "timestamp 2020-01-15 off the 'ME' grid", which named no cause.
    times = pd.DatetimeIndex([pd.Timestamp(2020, 1 + i, days[i % len(days)]) for i in range(10)])
    with pytest.raises(DataError, match=rf"data.csv: the dates are months apart but fall on {where} of their months "
                                        r"\(2020-01-\d\d, \.\.\.\), and steps of months, quarters or years fall on a "
                                        r"month's first or last day: write each date as its month's first day "
                                        r"\(2020-01-01\) or as the month alone \(2020-01\)"):
        infer_freq([times], "data.csv")


def test_month_end_business_days_with_a_gap_forecast_the_next_ones(tmp_path):
    times = grid("2020-01-31", 48, "BME").delete(30)  # 29 May 2020, 28 Feb 2021, ...; one month missing
    path = tmp_path / "closing.csv"
    path.write_text("date,balance\n" + "".join(f"{t.date()},{1000 + 10 * i}\n" for i, t in enumerate(times)))
    model, forecast = tmp_path / "model", tmp_path / "forecast.csv"
    assert "season: 12 (from the frequency BME)" in ok(invoke("train", path, *TINY, "--out", model)).stderr
    ok(invoke("predict", model, "--data", path, "--output", forecast))
    frame = pd.read_csv(forecast, parse_dates=["timestamp"])
    assert frame["timestamp"].tolist() == list(grid("2024-01-31", 6, "BME"))  # 31 Jan, 29 Feb, 29 Mar, ...
    assert frame["forecast"].between(1300, 1600).all()


def test_monthly_dates_in_mid_month_are_refused_by_the_cli_naming_the_day(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("date,index\n" + "".join(f"{2020 + i // 12}-{i % 12 + 1:02d}-15,{100 + i}\n" for i in range(48)))
    result = invoke("train", path, *TINY, "--out", tmp_path / "model")
    assert user_error(result, "the dates are months apart but fall on day 15 of their months (2020-01-15, ...)",
                      "write each date as its month's first day (2020-01-01) or as the month alone (2020-01)")
    assert not (tmp_path / "model").exists()


def test_four_weekly_data_with_gaps_is_a_fixed_step_not_months():
    # Read as month ends before (a modal step of 28 days), and refused as off the 'ME' grid.
    full = grid("2024-01-03", 12, "28D")
    inferred = infer_freq([full.delete([4, 8])], "data.csv")
    assert inferred == "4W-WED" and list(pd.date_range(full[0], full[-1], freq=inferred)) == list(full)


def test_daily_data_with_gaps_keeps_a_weekly_season():
    assert season_of(infer_freq([grid("2024-01-01", 30, "D").delete([5, 12])], "data.csv")) == 7


def test_weekdays_with_holidays_missing_are_business_days():
    # Read as days, a trading calendar would get every weekend made up, and its forecast would start on a Saturday.
    times = grid("2024-01-01", 60, "B").delete([0, 11, 35])  # 1 January and two other holidays
    assert infer_freq([times], "data.csv") == "B"
    assert infer_freq([grid("2024-01-01", 60, "D").delete([11, 35])], "data.csv") == "D"  # weekends held: days


def test_longest_series_decides_when_gap_free():
    short = pd.DatetimeIndex(["2024-01-01", "2024-01-03", "2024-01-05"])
    assert infer_freq([short, grid("2024-01-01", 5, "D")], "data.csv") == "D"


def test_steps_across_all_series_decide_when_gaps_hide_the_frequency():
    # The longest series alone has steps 2, 1, 2 hours; the others make 1 hour the common step.
    longest = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 02:00", "2024-01-01 03:00", "2024-01-01 05:00"])
    others = [grid("2024-01-02", 3, "h"), grid("2024-01-03", 3, "h")]
    assert infer_freq([longest, *others], "data.csv") == "h"


def test_too_few_timestamps_to_infer_is_refused():
    with pytest.raises(DataError, match="data.csv: too few timestamps to infer a frequency; set `freq`"):
        infer_freq([grid("2024-01-01", 2, "D")], "data.csv")


# --- regular_index ---


def test_regular_index_inserts_missing_timestamps():
    times = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05"])
    assert list(regular_index(times, "D", "data.csv", "v")) == list(grid("2024-01-01", 5, "D"))


def test_regular_index_keeps_a_gap_free_axis():
    times = grid("2024-01-31", 4, "ME")
    assert list(regular_index(times, "ME", "data.csv", "v")) == list(times)


def test_regular_index_refuses_a_timestamp_off_the_grid():
    times = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-02 12:00", "2024-01-03"])
    with pytest.raises(DataError) as caught:
        regular_index(times, "D", "data.csv", "load")
    message = str(caught.value)
    assert "data.csv" in message and "series 'load'" in message
    assert "2024-01-02 12:00:00 off the 'D' grid (1 such)" in message and "`freq`" in message


def test_regular_index_refuses_an_unknown_frequency():
    with pytest.raises(DataError, match="`freq` 'often' is not a pandas frequency"):
        regular_index(grid("2024-01-01", 3, "D"), "often", "data.csv", "v")


def test_step_axis_uses_the_greatest_common_step():
    assert list(regular_index(pd.Index([10, 15, 30]), STEPS, "data.csv", "v")) == [10, 15, 20, 25, 30]


def test_step_axis_of_row_order_is_unchanged():
    assert list(regular_index(pd.RangeIndex(4), STEPS, "data.csv", "v")) == [0, 1, 2, 3]


def test_step_axis_of_one_row_is_that_row():
    assert list(regular_index(pd.Index([7]), STEPS, "data.csv", "v")) == [7]


# --- filled_values ---


def gappy() -> pd.Series:
    return pd.Series([np.nan, 1.0, np.nan, np.nan, 7.0, np.nan])


def test_interpolate_is_linear_inside_and_nearest_at_the_edges():
    values, count = filled_values(gappy(), "interpolate", "data.csv", "v")
    assert values.tolist() == [1.0, 1.0, 3.0, 5.0, 7.0, 7.0]
    assert count == 4


def test_ffill_carries_forward_and_backfills_the_start():
    values, count = filled_values(gappy(), "ffill", "data.csv", "v")
    assert values.tolist() == [1.0, 1.0, 1.0, 1.0, 7.0, 7.0]
    assert count == 4


def test_zero_fills_with_zero():
    values, count = filled_values(gappy(), "zero", "data.csv", "v")
    assert values.tolist() == [0.0, 1.0, 0.0, 0.0, 7.0, 0.0]
    assert count == 4


def test_complete_values_are_returned_as_floats_with_nothing_filled():
    values, count = filled_values(pd.Series([1, 2, 3]), "error", "data.csv", "v")
    assert values.dtype == np.float64
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert count == 0


def test_error_fill_names_series_first_missing_timestamp_and_count():
    series = pd.Series([1.0, np.nan, 3.0, np.nan], index=grid("2024-01-01", 4, "D"))
    with pytest.raises(DataError) as caught:
        filled_values(series, "error", "data.csv", "load")
    message = str(caught.value)
    assert "data.csv: series 'load' is missing a value at 2024-01-02 00:00:00 (2 missing in all)" in message
    assert "`fill` interpolate|ffill|zero" in message


@pytest.mark.parametrize("method", ["interpolate", "ffill", "zero", "error"])
def test_series_without_any_value_is_refused(method):
    with pytest.raises(DataError, match="series 'load' has no values at all"):
        filled_values(pd.Series([np.nan, np.nan]), method, "data.csv", "load")


# --- many series end to end: the array versions give what the per-series functions give ---


def end_to_end(parts: list[pd.Index]) -> tuple[pd.Index, np.ndarray]:
    return parts[0].append(parts[1:]), np.cumsum([0, *map(len, parts)])


SERIES_AXES = {
    "hourly, gaps, different starts": ("h", [grid("2024-01-01 05:00", 9, "h").delete([2, 3]), grid("2024-01-02", 4, "h")]),
    "zoned quarter-hours": ("15min", [grid("2024-03-31", 12, "15min").tz_localize("UTC").delete(5)] * 2),
    "days across a daylight-saving change": ("D", [pd.date_range("2024-03-28", periods=6, freq="D", tz="Europe/Berlin")]),
    "month starts": ("MS", [grid("2023-11-01", 5, "MS").delete(1), grid("2024-02-01", 1, "MS")]),
    "weeks": ("W-SUN", [grid("2024-01-07", 6, "W-SUN").delete([1, 2]), grid("2024-01-07", 2, "W-SUN")]),
    "steps": (STEPS, [pd.Index([10, 15, 30]), pd.Index([7]), pd.Index([-4, -2, 4])]),
}


@pytest.mark.parametrize("axis", SERIES_AXES, ids=list(SERIES_AXES))
def test_series_grids_match_regular_index_of_each_series(axis):
    freq, parts = SERIES_AXES[axis]
    times, bounds = end_to_end(parts)
    grids = series_grids(times, bounds, freq)
    assert not grids.refused.any()
    for part, index, positions, length in zip(parts, grids.indexes(), np.split(grids.positions, bounds[1:-1]),
                                              grids.lengths):
        expected = regular_index(part, freq, "data.csv", "v")
        assert index.equals(expected) and index.dtype == expected.dtype and len(index) == length
        assert positions.tolist() == expected.get_indexer(part).tolist()


@pytest.mark.parametrize(("freq", "bad"), [
    ("h", grid("2024-01-01", 3, "h").append(pd.DatetimeIndex(["2024-01-01 03:30"]))),  # off the grid
    ("MS", pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-03-15"])),  # off the calendar grid
    ("h", pd.DatetimeIndex(["2024-01-01", "2024-01-01 01:00", "2224-01-01"])),  # a stray date: far too long
    (STEPS, pd.Index([0, 1, 10_000_000])),  # a stray step number
])
def test_series_grids_flag_what_regular_index_refuses(freq, bad):
    fine = grid("2024-01-01", 3, "h") if freq != STEPS else pd.Index([0, 1, 2])
    if freq == "MS":
        fine = grid("2024-01-01", 3, "MS")
    with pytest.raises(DataError):
        regular_index(bad, freq, "data.csv", "v")
    assert series_grids(*end_to_end([fine, bad, fine]), freq).refused.tolist() == [False, True, False]


@pytest.mark.parametrize(("times", "freq"), [(grid("2024-01-01", 3, "D"), "often"), (grid("2024-01-01", 3, "D"), STEPS),
                                             (pd.Index([1, 2, 3]), "h")])
def test_series_grids_leave_unknown_or_mismatched_frequencies_to_regular_index(times, freq):
    assert series_grids(times, np.array([0, 3]), freq) is None


@pytest.mark.parametrize("method", ["interpolate", "ffill", "zero"])
def test_filled_flat_fills_each_series_on_its_own(method):
    rng = np.random.default_rng(0)
    parts = [gappy(), pd.Series([2.0]), pd.Series([np.nan, 4.0, 5.0]), pd.Series(rng.normal(size=40))]
    parts[3][rng.random(40) < 0.4] = np.nan
    values, bounds = np.concatenate([p.to_numpy() for p in parts]), np.cumsum([0, *map(len, parts)])
    filled = filled_flat(values, bounds, method)
    expected = np.concatenate([filled_values(p, method, "data.csv", "v")[0] for p in parts])
    assert filled.tobytes() == expected.tobytes()  # bit for bit


def test_infer_freq_flat_is_infer_freq_of_the_series():
    parts = [grid("2024-01-01", 30, "MS").delete([3, 7]), grid("2024-03-01", 5, "MS")]
    stamps, bounds = end_to_end(parts)
    assert infer_freq_flat(stamps, bounds, "data.csv") == infer_freq(parts, "data.csv") == "MS"


# --- future_index and labels ---


def test_future_index_continues_a_daily_axis():
    assert list(future_index(pd.Timestamp("2024-02-28"), "D", 3)) == list(grid("2024-02-29", 3, "D"))


def test_future_index_continues_month_ends():
    expected = [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-31"), pd.Timestamp("2024-04-30")]
    assert list(future_index(pd.Timestamp("2024-01-31"), "ME", 3)) == expected


def test_future_index_continues_a_step_axis_by_its_step():
    assert list(future_index(8, STEPS, 3, step=2)) == [10, 12, 14]
    assert list(future_index(np.int64(4), STEPS, 2)) == [5, 6]


@pytest.mark.parametrize(("value", "freq"), [(pd.Timestamp("2024-01-02 03:00"), "h"), (np.int64(42), STEPS)])
def test_time_label_round_trips(value, freq):
    assert parse_time_label(time_label(value), freq) == value


def test_time_labels_are_iso_text_or_plain_integers():
    assert time_label(pd.Timestamp("2024-01-02")) == "2024-01-02T00:00:00"
    assert time_label(np.int64(5)) == 5 and type(time_label(np.int64(5))) is int
