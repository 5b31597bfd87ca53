import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster, backtest
from forecaster.errors import ConfigError, DataError
from forecaster.metrics import mae

from conftest import TINY, daily_cycle

N, HOLDOUT = 24 * 20, 72


@pytest.fixture(scope="module")
def frame():
    return daily_cycle(N, 0.1, seed=1)


@pytest.fixture(scope="module")
def model(frame):
    return Forecaster(**TINY, holdout=HOLDOUT, lookback=48).fit(frame)


def test_origins_start_after_the_training_end_every_horizon(model, frame):
    result = backtest(model, frame)
    origins = pd.to_datetime(result.forecasts["origin"].unique())
    first = N - HOLDOUT
    assert list(origins) == list(frame["date"].iloc[[first, first + 24, first + 48]])
    assert result.windows == 3 and result.horizon == 24


def test_stride_and_folds(model, frame):
    assert backtest(model, frame, stride=1).windows == HOLDOUT - 24 + 1
    assert backtest(model, frame, stride=1, folds=5).windows == 5
    with pytest.raises(ConfigError, match="`stride`"):
        backtest(model, frame, stride=0)


def test_batched_backtest_equals_one_prediction_per_origin(model, frame):
    result = backtest(model, frame, stride=12)
    for origin, rows in result.forecasts.groupby("origin"):
        history = frame[frame["date"] < origin]
        expected = model.predict(history)["forecast"].to_numpy()
        assert np.allclose(rows["forecast"].to_numpy(), expected, atol=1e-5)


def test_baselines_and_metrics_by_hand(model, frame):
    result = backtest(model, frame, folds=1)
    table = result.forecasts
    values = frame["load"].to_numpy()
    origin = N - 24
    assert np.allclose(table["actual"], values[origin:])
    assert np.allclose(table["naive"], values[origin - 1])
    assert np.allclose(table["seasonal_naive"], values[origin - 24 : origin])
    assert result.metrics["model"]["MAE"] == pytest.approx(mae(table["actual"].to_numpy(), table["forecast"].to_numpy()))
    scale = np.mean(np.abs(values[24 : N - HOLDOUT] - values[: N - HOLDOUT - 24]))
    expected_mase = np.mean(np.abs(table["actual"] - table["seasonal_naive"])) / scale
    assert result.metrics["seasonal_naive"]["MASE"] == pytest.approx(expected_mase)
    assert result.skill == pytest.approx(1 - result.metrics["model"]["MASE"] / expected_mase)


def test_per_step_scores_have_one_row_per_step(model, frame):
    result = backtest(model, frame)
    assert list(result.per_step["model"].index) == list(range(1, 25))
    assert result.per_step["naive"].loc[1, "MAE"] <= result.per_step["naive"].loc[24, "MAE"] + 1.0
    table = result.forecasts  # its actuals and baselines are checked by hand above
    for name in ("naive", "seasonal_naive"):
        by_hand = (table["actual"] - table[name]).abs().groupby(table["step"]).mean()
        np.testing.assert_allclose(result.per_step[name]["MAE"].to_numpy(), by_hand.to_numpy(), rtol=1e-12)
    # every step has the same windows, so the steps' MAEs average to the overall one
    assert result.per_step["model"]["MAE"].mean() == pytest.approx(result.metrics["model"]["MAE"])


def test_json_shape(model, frame):
    shape = backtest(model, frame).to_dict()
    assert {"horizon", "windows", "model", "naive", "seasonal_naive"} <= set(shape)
    assert {"MAE", "RMSE", "MAPE", "sMAPE", "MASE"} <= set(shape["model"])


def test_no_origin_after_the_training_end_says_how_to_get_one(frame):
    model = Forecaster(**TINY).fit(frame)
    with pytest.raises(DataError, match="`holdout`"):
        backtest(model, frame)


def test_start_scores_in_sample(frame):
    model = Forecaster(**TINY).fit(frame)
    result = backtest(model, frame, start=str(frame["date"].iloc[N - 48]))
    assert result.windows == 2


def test_retrain_refits_before_each_origin(model, frame):
    result = backtest(model, frame, retrain=True, folds=2)
    assert result.retrained and result.windows == 2
    assert np.isfinite(result.forecasts["forecast"]).all()
    plain = backtest(model, frame, folds=2)
    assert not np.allclose(result.forecasts["forecast"], plain.forecasts["forecast"])


def test_quantile_models_report_pinball_and_coverage(frame):
    model = Forecaster(**TINY, holdout=HOLDOUT, quantiles=[0.1, 0.5, 0.9]).fit(frame)
    result = backtest(model, frame)
    scores = result.metrics["model"]
    assert {"pinball", "coverage_80", "width_80", "MSIS_80", "ACD_80", "coverage_95"} <= set(scores)
    assert 0.0 <= scores["coverage_80"] <= 1.0
    assert result.intervals == {"80": "cqr", "95": "split"}
    assert ["q0.025", "q0.1", "q0.5", "q0.9", "q0.975"] == [c for c in result.forecasts.columns if c.startswith("q")]


def test_batched_intervals_equal_one_prediction_per_origin(model, frame):
    result = backtest(model, frame, stride=12)
    for origin, rows in result.forecasts.groupby("origin"):
        expected = model.predict(frame[frame["date"] < origin])
        for column in ("q0.025", "q0.1", "q0.9", "q0.975"):
            assert np.allclose(rows[column].to_numpy(), expected[column].to_numpy(), atol=1e-5)


def test_seasonal_naive_interval_baseline_by_hand(model, frame):
    result = backtest(model, frame, folds=1, levels=[80])
    values = frame["load"].to_numpy()
    history = values[: N - HOLDOUT]  # the training part
    step1 = history[24:] - history[:-24]
    low, high = values[N - 48] + np.quantile(step1, [0.1, 0.9])
    actual = values[N - 24]
    penalty = 20 * max(low - actual, 0) + 20 * max(actual - high, 0)
    assert result.per_step["seasonal_naive"].loc[1, "width_80"] == pytest.approx(high - low)
    assert result.per_step["seasonal_naive"].loc[1, "coverage_80"] == float(low <= actual <= high)
    scale = np.mean(np.abs(history[24:] - history[:-24]))
    assert result.per_step["seasonal_naive"].loc[1, "MSIS_80"] == pytest.approx((high - low + penalty) / scale)


def test_json_carries_every_step(model, frame):
    result = backtest(model, frame)
    per_step = result.to_dict()["per_step"]
    assert set(per_step) == {"model", "naive", "seasonal_naive"}
    assert len(per_step["model"]["MAE"]) == 24
    for name, frame_of_steps in result.per_step.items():
        assert per_step[name] == {metric: frame_of_steps[metric].tolist() for metric in frame_of_steps.columns}
