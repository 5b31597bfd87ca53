"""The automatic settings: each `auto` resolves by the window norm, and an explicit choice is kept."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster, auto
from forecaster.data import Schema, Series, SeriesSet
from forecaster.errors import ConfigError


def test_lookback_is_two_horizons_or_three_seasons_cut_to_fit_the_median_series():
    assert auto.lookback(horizon=48, season=24, train_lengths=[10_000]) == 96  # 2 x 48 > 3 x 24
    assert auto.lookback(horizon=10, season=24, train_lengths=[10_000]) == 72  # 3 x 24 > 2 x 10
    assert auto.lookback(horizon=24, season=24, train_lengths=[124]) == 50  # (124 - 24) // 2 windows' room
    assert auto.lookback(horizon=24, season=24, train_lengths=[60]) == 24  # never below a season that fits
    # The median series decides: a few short ones are lengthened rather than cutting every lookback.
    assert auto.lookback(horizon=6, season=1, train_lengths=[8, 30, 30, 30, 2]) == 12
    # With segments, rounded up to a whole number of them.
    assert auto.lookback(horizon=24, season=24, train_lengths=[124], segment=24) == 72  # 50 steps: 3 segments
    # Read in segments, seven seasons: a week of hourly data.
    assert auto.lookback(horizon=48, season=24, train_lengths=[10_000], segment=24) == 168
    assert auto.lookback(horizon=96, season=24, train_lengths=[10_000], segment=24) == 192  # two horizons are longer


def test_segment_is_the_season_or_a_fixed_length_on_long_lookbacks_and_step_wise_on_short_ones():
    assert auto.segment(None, season=24, lookback=96, lookback_given=False) == 24  # M4 Hourly's: 4 segments
    assert auto.segment(None, season=24, lookback=336, lookback_given=True) == 24  # ETTh1's: 14 segments
    assert auto.segment(None, season=12, lookback=36, lookback_given=False) == 1  # M3 Monthly's: short
    assert auto.segment(None, season=48, lookback=96, lookback_given=False) == 1  # not three segments of the season
    assert auto.segment(None, season=1, lookback=100, lookback_given=False) == 24  # no season: the fixed length
    assert auto.segment(None, season=168, lookback=336, lookback_given=False) == 24  # a season too long to read at once
    assert auto.segment(3, season=24, lookback=96, lookback_given=False) == 3  # given: kept


def test_a_given_lookback_is_kept_and_read_in_the_longest_segments_that_divide_it():
    assert auto.segment(None, season=7, lookback=100, lookback_given=True) == 5  # 7 and 6 do not divide 100
    assert auto.segment(None, season=1, lookback=100, lookback_given=True) == 20  # from 24 down to 12: 20
    assert auto.segment(None, season=24, lookback=97, lookback_given=True) == 1  # a prime: step by step


def test_the_segment_chosen_is_said_with_its_reason():
    assert auto.segment_reason(24, season=24, lookback=336) == "the season; lookback 336 read as 14 segments"
    assert auto.segment_reason(24, season=1, lookback=96) == "a fixed length; lookback 96 read as 4 segments"
    assert auto.segment_reason(5, season=7, lookback=100) == "a divisor of the lookback; lookback 100 read as 20 segments"
    assert auto.segment_reason(1, season=12, lookback=36) == "lookback 36 is short: read step by step"
    assert auto.segment_reason(1, season=24, lookback=97) == (
        "no segment length from 12 to 24 divides lookback 97: read step by step")


def test_fitting_reads_a_week_of_hours_in_days_and_saves_the_setting_as_automatic(tmp_path):
    hours = np.arange(24 * 40)
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=len(hours), freq="h"),
                          "value": np.sin(2 * np.pi * hours / 24)})
    model = Forecaster(hidden_size=8, num_layers=1, epochs=1, horizon=24).fit(frame)
    assert model.lookback_ == 168 and model.net_.shape.segment == 24  # seven seasons, seven segments
    assert model.net_.shape.members == 3  # a few hundred windows, read in segments: three networks
    assert model.config.segment is None and model.config.ensemble is None  # saved as automatic, as asked for
    # but a refit (evaluate --retrain) reuses what was chosen
    assert model.state_.resolved_config().segment == 24 and model.state_.resolved_config().ensemble == 3
    model.save(tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["config"]["segment"] is None and saved["config"]["ensemble"] is None


def test_ensemble_is_three_networks_on_data_one_epoch_holds_read_in_segments():
    assert auto.ensemble(None, segment=24, training_windows=8_209, windows_per_epoch=20_000) == 3  # ETTh1's OT
    assert auto.ensemble(None, segment=24, training_windows=20_000, windows_per_epoch=20_000) == 3
    assert auto.ensemble(None, segment=24, training_windows=20_001, windows_per_epoch=20_000) == 1  # M4 Hourly's
    assert auto.ensemble(None, segment=1, training_windows=500, windows_per_epoch=20_000) == 1  # M3's: step by step
    assert auto.ensemble(5, segment=1, training_windows=10**6, windows_per_epoch=20_000) == 5  # given: kept


def test_the_ensemble_chosen_is_said_with_its_reason():
    assert auto.ensemble_reason(3, segment=24) == "every training window fits in one epoch: the median of three seeds' networks"
    assert auto.ensemble_reason(1, segment=24) == "more training windows than an epoch samples: one network"
    assert auto.ensemble_reason(1, segment=1) == "read step by step: one network"


def test_refit_over_the_last_value_where_one_epoch_holds_every_training_window_unless_given():
    assert auto.refit(None, "last", training_windows=8_209, windows_per_epoch=20_000)  # ETTh1's OT
    assert auto.refit(None, "none", training_windows=20_000, windows_per_epoch=20_000)
    assert not auto.refit(None, "last", training_windows=20_001, windows_per_epoch=20_000)
    assert not auto.refit(None, "season", training_windows=1_000, windows_per_epoch=20_000)  # the demo's load
    assert not auto.refit(False, "last", training_windows=500, windows_per_epoch=20_000)
    assert auto.refit(True, "season", training_windows=10**6, windows_per_epoch=20_000)
    assert auto.refit_reason(False, "season") == "over a seasonal base: the early-stopped networks"
    assert auto.refit_reason(False, "last") == "more training windows than an epoch samples: the early-stopped networks"


def test_window_norm_takes_the_seasonal_base_where_seasonal_naive_clearly_wins():
    t = np.arange(24 * 40)
    cycle = [10 + 5 * np.sin(2 * np.pi * t / 24)]
    walk = [np.cumsum(np.random.default_rng(0).normal(size=len(t)))]
    assert auto.window_norm("auto", cycle, 24, 24, 72) == "season"
    assert auto.window_norm("auto", walk, 24, 24, 72) == "last"
    assert auto.window_norm("auto", cycle, 24, 1, 72) == "last"  # no season to repeat
    assert auto.window_norm("none", cycle, 24, 24, 72) == "none"
    with pytest.raises(ConfigError, match="`window_norm` season"):
        auto.window_norm("season", cycle, 24, 96, 72)  # the season does not fit the lookback


def test_loss_is_mae_over_a_seasonal_base_and_mse_otherwise():
    assert auto.loss("auto", "season") == "mae"
    assert auto.loss("auto", "last") == "mse" and auto.loss("auto", "none") == "mse"
    assert auto.loss("huber", "season") == "huber"


def test_calendar_features_that_explain_the_seasonal_change_come_with_the_seasonal_base_unless_asked():
    shares = {"hour": 0.0005, "weekday": 0.28}.__getitem__  # the demo's energy load: weekends, and a daily cycle
    assert auto.calendar(None, "season", ["hour", "weekday"], shares) == ["weekday"]
    assert auto.calendar(None, "last", ["hour", "weekday"], shares) == []
    assert auto.calendar(True, "last", ["hour", "weekday"], shares) == ["hour", "weekday"]
    assert auto.calendar(False, "season", ["hour", "weekday"], shares) == []


def series_set(*values: list[float]) -> SeriesSet:
    return SeriesSet([Series(f"s{i}", pd.RangeIndex(len(v)), np.array(v, dtype=float)) for i, v in enumerate(values)],
                     Schema("wide", None, None, [f"s{i}" for i in range(len(values))], "steps"), "data.csv")


def test_transform_takes_the_log_only_over_a_seasonal_base_of_positive_values():
    positive, crossing = series_set([1.0, 2.0, 3.0]), series_set([1.0, 2.0], [1.0, 0.0, 3.0])
    assert auto.transform("auto", positive, "season") == "log"
    assert auto.transform("auto", crossing, "season") == "none"
    assert auto.transform("auto", positive, "last") == "none"
    assert auto.transform("log", positive, "last") == "log"
    assert auto.transform("none", positive, "season") == "none"
    assert auto.transform("none", crossing, "season") == "none"


def test_an_explicit_log_of_values_at_or_below_zero_is_refused_naming_the_series_and_value():
    with pytest.raises(ConfigError, match=r"data.csv: series 's1' has 0 at 1, but `transform` log .* above zero"):
        auto.transform("log", series_set([1.0, 2.0], [1.0, 0.0, 3.0]), "season")


def test_quantiles_are_the_levels_bounds_over_a_seasonal_base_only():
    assert auto.quantiles(None, [80.0, 95.0], "season") == [0.025, 0.1, 0.9, 0.975]
    assert auto.quantiles(None, [80.0, 95.0], "last") == []
    assert auto.quantiles(None, [], "season") == []
    assert auto.quantiles([0.5], [80.0], "season") == [0.5]
    assert auto.quantiles([], [80.0], "season") == []


def test_dropout_rises_where_the_training_parts_hold_few_horizons():
    # ETTh1's 8,640 training steps: 25 horizons of 336 and 45 of 192, but 90 of 96.
    assert auto.dropout(None, [8640], 336) == 0.3
    assert auto.dropout(None, [8640], 192) == 0.3
    assert auto.dropout(None, [8640], 96) == 0.1
    # Horizons are counted whole in each series, and added over series: 414 x (804 // 48 = 16).
    assert auto.dropout(None, [95] * 100, 48) == 0.1  # 100 x 1
    assert auto.dropout(None, [95] * 63, 48) == 0.3  # 63 x 1
    assert auto.dropout(None, [804] * 414, 48) == 0.1
    assert auto.dropout(0.0, [8640], 336) == 0.0  # an explicit rate is kept


def test_fit_builds_the_network_with_the_resolved_dropout():
    t = np.arange(600)
    model = Forecaster(hidden_size=4, num_layers=1, epochs=1, horizon=24, lookback=48, val_size=120, levels=[])
    model.fit(pd.DataFrame({"t": t, "y": np.sin(2 * np.pi * t / 24)}))
    assert model.net_.shape.dropout == 0.3  # 480 training steps: 20 horizons
    assert model.config.dropout is None  # the setting stays automatic
    assert model.state_.resolved_config().dropout == 0.3  # but a refit (evaluate --retrain) reuses the resolved rate


def test_auto_transform_decides_from_every_value_the_log_would_be_taken_of(tmp_path):
    """The first 500 hours of the energy file: temperature dips below zero only in the validation part."""
    data = tmp_path / "energy_500.csv"
    lines = (Path(__file__).resolve().parents[1] / "sample_data" / "energy_hourly.csv").read_text().splitlines()
    data.write_text("\n".join(lines[:501]) + "\n")
    tiny = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--quiet"]
    trained = cli("train", data, *tiny, "--out", tmp_path / "m")
    assert trained.returncode == 0, trained.stderr
    assert json.loads((tmp_path / "m" / "config.json").read_text())["transform"] == "none"
    forecast = cli("predict", tmp_path / "m", "--data", data, "--quiet")
    assert forecast.returncode == 0, forecast.stderr
    frame = pd.read_csv(io.StringIO(forecast.stdout))
    assert sorted(frame["series"].unique()) == ["load", "temperature"]
    assert np.isfinite(frame["forecast"]).all()
    first = frame.groupby("series")["timestamp"].min()
    assert (first == "2024-03-21 20:00:00").all()  # the hour after the file's last row, 2024-03-21 19:00
    asked = cli("train", data, *tiny, "--transform", "log", "--out", tmp_path / "log")
    assert asked.returncode == 2
    assert asked.stderr.startswith("error: ") and "series 'temperature' has -0.39 at 2024-03-21 02:00:00" in asked.stderr
    assert "--transform none" in asked.stderr and "Traceback" not in asked.stderr
    assert not (tmp_path / "log").exists()


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forecaster", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
