"""Input channels: calendar features by hand, which features training can teach, covariates in order."""

import numpy as np
import pandas as pd
import pytest

from forecaster import features
from forecaster.data import Schema, Series
from forecaster.features import (calendar_features, calendar_values, channel_count, covariate_scalers,
                                 future_steps, input_channels, known_channels, stacked_channels)
from forecaster.scaling import Scaler


def hourly(days: float, start: str = "2024-01-01") -> Series:
    time = pd.date_range(start, periods=int(days * 24), freq="h")
    return Series("s", time, np.arange(len(time), dtype=float))


def test_calendar_values_by_hand():
    # 06:00 is a quarter of the day: sin 1, cos 0. A Wednesday is day 2 of 7; March is month 2 of 12.
    values = calendar_values(pd.DatetimeIndex(["2024-03-06 06:00"]), ["hour", "weekday", "month"])[0]
    expected = [1.0, 0.0, np.sin(2 * np.pi * 2 / 7), np.cos(2 * np.pi * 2 / 7), np.sin(np.pi / 3), np.cos(np.pi / 3)]
    np.testing.assert_allclose(values, expected, atol=1e-12)


@pytest.mark.parametrize("days, expected", [
    (1.5, []),  # a day and a half shows no cycle twice
    (3, ["hour"]),
    (30, ["hour", "weekday"]),
    (800, ["hour", "weekday", "month"]),
])
def test_hourly_features_need_two_cycles_of_training(days, expected):
    series = hourly(days)
    assert calendar_features([series], [len(series)], "h") == expected


def test_features_that_cannot_vary_are_left_out():
    daily = pd.date_range("2020-01-01", periods=1000, freq="D")
    weekly = pd.date_range("2020-01-05", periods=200, freq="W")
    assert calendar_features([Series("d", daily, np.zeros(1000))], [1000], "D") == ["weekday", "month"]
    assert calendar_features([Series("w", weekly, np.zeros(200))], [200], "W-SUN") == ["month"]
    steps = Series("n", pd.RangeIndex(500), np.zeros(500))
    assert calendar_features([steps], [500], "steps") == []


@pytest.mark.parametrize("freq", ["YS-JAN", "YE-DEC", "YS-JUL"])
def test_yearly_data_gets_no_month_that_never_changes(freq):
    # A year is 365 or 366 days, shorter than the month's 365.25-day cycle, yet its month is always the same.
    yearly = pd.date_range("1950-01-01", periods=60, freq=freq)
    assert calendar_features([Series("y", yearly, np.zeros(60))], [60], freq) == []


def test_daily_data_at_noon_gets_no_hour():
    noon = pd.date_range("2020-01-01 12:00", periods=1000, freq="D")
    assert calendar_features([Series("d", noon, np.zeros(1000))], [1000], "D") == ["weekday", "month"]


def test_only_the_training_part_counts():
    series = hourly(30)
    assert calendar_features([series], [40], "h") == []  # 40 hours of training: under two days


def test_channels_in_order_with_known_ahead_ones_last():
    time = pd.date_range("2024-01-01", periods=6, freq="h")
    series = Series("s", time, np.arange(6.0), covariates=np.column_stack([np.full(6, 3.0), np.arange(6.0) * 10]),
                    future=np.array([[60.0], [70.0]]))
    schema = Schema("wide", "ds", None, ["s"], "h", ["past"], ["ahead"], ["hour"])
    assert (channel_count(schema), known_channels(schema)) == (5, 1)
    scalers = [Scaler(3.0, 1.0), Scaler(0.0, 10.0)]
    channels = input_channels(series, schema, Scaler(1.0, 2.0), scalers, end=6, ahead=3)
    assert channels.shape == (9, 5)  # target, past covariate, hour sin and cos, future covariate
    np.testing.assert_allclose(channels[:6, 0], (np.arange(6.0) - 1) / 2)
    np.testing.assert_allclose(channels[:6, 1], 0.0)
    hours = np.arange(6)  # 00:00 to 05:00
    np.testing.assert_allclose(channels[:6, 2], np.sin(2 * np.pi * hours / 24), atol=1e-6)
    np.testing.assert_allclose(channels[:6, 3], np.cos(2 * np.pi * hours / 24), atol=1e-6)
    np.testing.assert_allclose(channels[:6, 4], np.arange(6.0))
    # Forecast rows: all zero but the given future values, scaled; a step not given stays zero too.
    np.testing.assert_allclose(channels[6:], [[0, 0, 0, 0, 6], [0, 0, 0, 0, 7], [0, 0, 0, 0, 0]])


def test_covariate_scalers_use_the_training_part_only():
    series = Series("s", pd.RangeIndex(4), np.zeros(4), covariates=np.array([[0.0], [2.0], [100.0], [100.0]]))
    (scaler,) = covariate_scalers(series, n_train=2)
    assert (scaler.center, scaler.scale) == (1.0, 1.0)


def test_channels_of_many_series_at_once_are_those_of_each_alone():
    # Series of different lengths and ends, covariates given ahead for some rows, calendar: every
    # series' block is its own input_channels from its start, then its forecast rows.
    rng = np.random.default_rng(0)
    schema = Schema("long", "ds", "id", ["y"], "h", ["past"], ["ahead"], ["hour", "weekday"])
    series, scalers, cov_scalers = [], [], []
    for i, (n, given) in enumerate([(30, 2), (45, 0), (38, 5)]):
        time = pd.date_range("2024-03-30", periods=n, freq="h", tz="Europe/Paris") + pd.Timedelta(hours=5 * i)
        series.append(Series(f"s{i}", time, rng.normal(size=n), covariates=rng.normal(size=(n, 2)),
                             future=rng.normal(size=(given, 1)) if given else None))
        scalers.append(Scaler(float(i), 2.0 + i))
        cov_scalers.append([Scaler(1.0, 3.0), Scaler(-float(i), 0.5)])
    starts, ends, ahead = [4, 0, 10], [30, 40, 38], [3, 0, 4]
    channels, offsets = stacked_channels(series, schema, scalers, cov_scalers, starts, ends, ahead)
    assert offsets.tolist() == [0, 29, 69]
    for s, sc, cs, a, b, n, off in zip(series, scalers, cov_scalers, starts, ends, ahead, offsets):
        alone = input_channels(s, schema, sc, cs, end=b, ahead=n)[a:]
        np.testing.assert_array_equal(channels[off:off + len(alone)], alone)


def test_series_ending_together_share_their_forecast_steps():
    time = pd.date_range("2024-01-01", periods=10, freq="h")
    a, b, c = Series("a", time, np.zeros(10)), Series("b", time, np.zeros(10)), Series("c", time[:6], np.zeros(6))
    steps = future_steps([a, b, c], [10, 10, 6], [3, 3, 2], "h")
    assert steps[0] is steps[1]
    assert steps[0].equals(pd.date_range("2024-01-01 10:00", periods=3, freq="h"))
    assert steps[2].equals(pd.date_range("2024-01-01 06:00", periods=2, freq="h"))
    numbered = Series("n", pd.RangeIndex(0, 20, 2), np.zeros(10))
    assert future_steps([numbered], [10], [3], "steps")[0].tolist() == [20, 22, 24]


def test_the_explained_share_of_a_weekday_effect_and_of_a_feature_the_season_already_covers():
    hours = pd.date_range("2024-01-01", periods=24 * 7 * 8, freq="h")
    day = 10 + 3 * np.sin(2 * np.pi * hours.hour / 24)
    weekend = np.where(hours.day_of_week >= 5, -4.0, 0.0)
    noise = np.random.default_rng(0).normal(0, 0.3, len(hours))
    load = [Series("load", hours, day + weekend + noise)]
    n = [len(hours)]
    assert features.explained_share(load, n, "weekday", 24) > 0.5  # Saturday and Monday change most
    assert features.explained_share(load, n, "hour", 24) < 0.01  # a season before is the same hour
    plain = [Series("plain", hours, day + noise)]
    assert features.explained_share(plain, n, "weekday", 24) < 0.01


def test_the_explained_share_reads_only_the_latest_changes_of_a_long_file(monkeypatch):
    hours = pd.date_range("2024-01-01", periods=24 * 7 * 8, freq="h")
    weekend = np.where(hours.day_of_week >= 5, -4.0, 0.0)
    weekend[: len(hours) // 2] = 0.0  # the weekend effect only in the second half
    load = [Series("load", hours, weekend + np.random.default_rng(0).normal(0, 0.3, len(hours)))]
    assert features.explained_share(load, [len(hours)], "weekday", 24) > 0.3
    monkeypatch.setattr(features, "SHARE_ROWS", 24 * 7 * 3)  # three weeks, all from the second half
    assert features.explained_share(load, [len(hours)], "weekday", 24) > 0.7
