"""The Theta method and its blend with the network: hand-computed cases, then through the estimator."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import TINY
from forecaster import theta
from forecaster.config import Config
from forecaster.errors import ConfigError
from forecaster.forecaster import Forecaster


def test_a_straight_line_is_continued_at_half_its_slope():
    # SES follows a line best with weight 1 (level = last value), and Theta adds half the slope per step:
    # 10 + 2 t for t = 0..19 ends at 48, so the forecast is 48 + h.
    line = 10.0 + 2.0 * np.arange(20)
    forecast = theta.theta_forecasts([line], horizon=3, season=1)
    np.testing.assert_allclose(forecast[0], [49.0, 50.0, 51.0], atol=1e-9)


def test_a_constant_series_stays_constant():
    np.testing.assert_allclose(theta.theta_forecasts([np.full(30, 7.5)], 4, 12)[0], 7.5)


def test_a_significant_season_is_taken_out_and_put_back():
    pattern = np.array([80.0, 100.0, 120.0, 100.0])
    history = np.tile(pattern, 12)  # 48 steps: four positions, no trend
    assert theta.is_seasonal(history, 4)
    np.testing.assert_allclose(theta.seasonal_indices(history, 4), pattern / 100.0)
    np.testing.assert_allclose(theta.theta_forecasts([history], 6, 4)[0], [80, 100, 120, 100, 80, 100], rtol=1e-6)


def test_the_season_continues_from_where_the_history_stops():
    pattern = np.array([80.0, 100.0, 120.0, 100.0])
    history = np.tile(pattern, 12)[:-1]  # ends one step into a season: the next step is the pattern's last
    np.testing.assert_allclose(theta.theta_forecasts([history], 2, 4)[0], [100.0, 80.0], rtol=1e-6)


def _plain_ses(y: np.ndarray, alpha: float) -> tuple[float, float]:
    """The summed squared one-step errors and the final level of SES started at y[0], step by step."""
    level, total = y[0], 0.0
    for value in y[1:]:
        total += (value - level) ** 2
        level += alpha * (value - level)
    return total, level


def test_the_smoothing_weight_has_the_least_squared_error_of_the_grid():
    # The closed form (autocovariances of the changes) must choose what the plain recursion would.
    rng = np.random.default_rng(4)
    histories = [50 + rng.normal(0, 1, n).cumsum() for n in (1, 2, 3, 17, 120, 400)] + [rng.normal(0, 1, 60)]
    coarse = np.linspace(0.01, 1.0, 34)
    for history in histories:
        alpha, level = theta._best_alphas_and_levels(history[None])
        best = coarse[np.argmin([_plain_ses(history, a)[0] for a in coarse])]
        fine = np.clip(best + np.linspace(-0.03, 0.03, 13), 0.01, 1.0)
        expected = fine[np.argmin([_plain_ses(history, a)[0] for a in fine])]
        assert alpha[0] == pytest.approx(expected, abs=1e-12)
        assert level[0] == pytest.approx(_plain_ses(history, expected)[1], rel=1e-10)


def test_a_spike_after_zeros_takes_the_smallest_weight():
    # Only the last step errs (by 10) whatever the weight, so every weight ties and the smallest, 0.01, wins:
    # level 0.1, slope 150 / 2480 of the line through 31 points, forecast 0.1 + slope / 2 * (1/a - (1-a)^31 / a).
    history = np.r_[np.zeros(30), 10.0]
    slope = 150.0 / 2480.0
    expected = 0.1 + 0.5 * slope * (1 / 0.01 - 0.99 ** 31 / 0.01)
    assert theta.theta_forecasts([history], 1, 1)[0, 0] == pytest.approx(expected, rel=1e-9)


def test_noise_has_no_season():
    noise = np.random.default_rng(0).normal(10.0, 1.0, 120)
    assert not theta.is_seasonal(noise, 12)


def test_series_of_different_lengths_are_forecast_as_each_alone():
    rng = np.random.default_rng(1)
    short, long = 50 + rng.normal(0, 1, 25).cumsum(), 50 + rng.normal(0, 1, 90).cumsum()
    together = theta.theta_forecasts([short, long], 5, 1)
    np.testing.assert_allclose(together[0], theta.theta_forecasts([short], 5, 1)[0])
    np.testing.assert_allclose(together[1], theta.theta_forecasts([long], 5, 1)[0])


def test_histories_of_one_length_are_adjusted_together_as_each_alone():
    rng = np.random.default_rng(2)
    daily = 10 + 3 * np.sin(2 * np.pi * np.arange(600) / 24) + rng.normal(0, 0.5, 600)
    histories = [daily[o - 120: o] for o in range(120, 600)]  # one length, adjusted in blocks
    assert len(histories) > theta.BLOCK
    histories += [daily[:100] - 10, np.full(120, 4.0), rng.normal(0, 1, 120), daily[:30], np.array([3.0])]
    together = theta.theta_forecasts(histories, 30, 24)  # seasonal (multiplicative and additive), flat, noise
    alone = np.concatenate([theta.theta_forecasts([h], 30, 24) for h in histories])
    np.testing.assert_allclose(together, alone, rtol=1e-12, atol=1e-12)
    assert theta.are_seasonal(np.stack(histories[:3]), 24).all() and not theta.is_seasonal(histories[-3], 24)


def test_the_best_share_is_chosen_by_scaled_error():
    actual = np.zeros((4, 3))
    right, wrong = np.zeros((4, 3)), np.ones((4, 3))
    scales = np.ones(4)
    assert theta.best_share(right, wrong, actual, scales) == 0.0
    assert theta.best_share(wrong, right, actual, scales) == 1.0
    assert theta.best_share(wrong, -wrong, actual, scales) == 0.5  # errors of opposite sign cancel half way
    # Errors of +3 and -7 cancel at three tenths: 3 - 10s = 0. The grid has steps of 0.05, not quarters.
    assert theta.best_share(3 * wrong, -7 * wrong, actual, scales) == 0.3


def test_blending_moves_the_quantiles_with_the_point():
    output = np.array([[[10.0, 8.0, 12.0]]])  # one window, one step: point, lower, upper
    blended = theta.blended(output, np.array([[20.0]]), 0.25)
    np.testing.assert_allclose(blended[0, 0], [12.5, 10.5, 14.5])


def test_a_share_outside_zero_to_one_is_refused():
    with pytest.raises(ConfigError, match="`theta_share`"):
        Config(theta_share=1.5)


def trend_frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"t": np.arange(n), "y": 100 + 0.8 * np.arange(n) + rng.normal(0, 1, n)})


def test_a_model_of_theta_alone_forecasts_what_theta_does(tmp_path):
    frame = trend_frame()
    model = Forecaster(Config(horizon=6, lookback=12, transform="none", theta_share=1.0, **TINY)).fit(frame)
    forecast = model.predict(frame)["forecast"].to_numpy()
    np.testing.assert_allclose(forecast, theta.theta_forecasts([frame["y"].to_numpy()], 6, model.season_)[0], rtol=1e-6)
    model.save(tmp_path / "m")
    again = Forecaster.load(tmp_path / "m")
    assert again.theta_share_ == 1.0
    np.testing.assert_allclose(again.predict(frame)["forecast"].to_numpy(), forecast, rtol=1e-6)


def test_the_automatic_share_is_one_of_the_grid_and_a_share_of_zero_is_the_network_alone():
    frame = trend_frame()
    settings = dict(horizon=6, lookback=12, transform="none", **TINY)
    chosen = Forecaster(Config(**settings)).fit(frame)
    assert chosen.theta_share_ in theta.SHARES
    alone = Forecaster(Config(theta_share=0.0, **settings)).fit(frame)
    assert alone.theta_share_ == 0.0
    # The same seed trains the same network: blending changes only what is added to its output.
    share = chosen.theta_share_
    expected = ((1 - share) * alone.predict(frame)["forecast"].to_numpy()
                + share * theta.theta_forecasts([frame["y"].to_numpy()], 6, alone.season_)[0])
    np.testing.assert_allclose(chosen.predict(frame)["forecast"].to_numpy(), expected, rtol=1e-5)


def test_a_model_saved_before_blending_forecasts_with_the_network_alone(tmp_path):
    frame = trend_frame()
    settings = dict(horizon=6, lookback=12, transform="none", **TINY)
    Forecaster(Config(theta_share=0.5, **settings)).fit(frame).save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    del stored["theta_share"], stored["config"]["theta_share"]
    path.write_text(json.dumps(stored))
    old = Forecaster.load(tmp_path / "m")
    network = Forecaster(Config(theta_share=0.0, **settings)).fit(frame)  # the same seed: the same network
    assert old.theta_share_ == 0.0
    np.testing.assert_allclose(old.predict(frame)["forecast"], network.predict(frame)["forecast"], rtol=1e-5)
