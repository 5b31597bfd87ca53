"""The automatic settings: each `auto` resolves by the window norm, and an explicit choice is kept."""

import numpy as np
import pytest

from forecaster import auto
from forecaster.errors import ConfigError


def test_lookback_is_two_horizons_or_three_seasons_cut_to_fit_the_shortest_series():
    assert auto.lookback(horizon=48, season=24, shortest_train=10_000) == 96  # 2 x 48 > 3 x 24
    assert auto.lookback(horizon=10, season=24, shortest_train=10_000) == 72  # 3 x 24 > 2 x 10
    assert auto.lookback(horizon=24, season=24, shortest_train=124) == 50  # (124 - 24) // 2 windows' room
    assert auto.lookback(horizon=24, season=24, shortest_train=60) == 24  # never below a season that fits


def test_window_norm_takes_the_seasonal_base_where_seasonal_naive_clearly_wins():
    t = np.arange(24 * 40)
    cycle = [10 + 5 * np.sin(2 * np.pi * t / 24)]
    walk = [np.cumsum(np.random.default_rng(0).normal(size=len(t)))]
    assert auto.window_norm("auto", cycle, 24, 24, 72) == "season"
    assert auto.window_norm("auto", walk, 24, 24, 72) == "last"
    assert auto.window_norm("auto", cycle, 24, 1, 72) == "last"  # no season to repeat
    assert auto.window_norm("none", cycle, 24, 24, 72) == "none"
    with pytest.raises(ConfigError, match="--window-norm season"):
        auto.window_norm("season", cycle, 24, 96, 72)  # the season does not fit the lookback


def test_loss_is_mae_over_a_seasonal_base_and_mse_otherwise():
    assert auto.loss("auto", "season") == "mae"
    assert auto.loss("auto", "last") == "mse" and auto.loss("auto", "none") == "mse"
    assert auto.loss("huber", "season") == "huber"


def test_calendar_comes_with_the_seasonal_base_unless_asked():
    assert auto.calendar(None, "season") is True and auto.calendar(None, "last") is False
    assert auto.calendar(True, "last") is True and auto.calendar(False, "season") is False


def test_transform_takes_the_log_only_over_a_seasonal_base_of_positive_values():
    positive, crossing = [np.array([1.0, 2.0, 3.0])], [np.array([1.0, 0.0, 3.0])]
    assert auto.transform("auto", positive, "season") == "log"
    assert auto.transform("auto", crossing, "season") == "none"
    assert auto.transform("auto", positive, "last") == "none"
    assert auto.transform("log", positive, "last") == "log"
    assert auto.transform("none", positive, "season") == "none"


def test_quantiles_are_the_levels_bounds_over_a_seasonal_base_only():
    assert auto.quantiles(None, [80.0, 95.0], "season") == [0.025, 0.1, 0.9, 0.975]
    assert auto.quantiles(None, [80.0, 95.0], "last") == []
    assert auto.quantiles(None, [], "season") == []
    assert auto.quantiles([0.5], [80.0], "season") == [0.5]
    assert auto.quantiles([], [80.0], "season") == []
