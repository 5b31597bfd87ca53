import numpy as np
import pandas as pd
import pytest

from forecaster.baselines import seasonal_naive
from forecaster.metrics import (
    coverage, mae, mape, mase, pinball, point_scores, quantile_scores, rmse, seasonal_naive_scale, smape,
)

ACTUAL = np.array([[1.0, 2.0], [0.0, 4.0]])
FORECAST = np.array([[2.0, 2.0], [1.0, 2.0]])


def test_mae_and_rmse_by_hand():
    # errors: 1, 0, 1, 2
    assert mae(ACTUAL, FORECAST) == pytest.approx(1.0)
    assert rmse(ACTUAL, FORECAST) == pytest.approx(np.sqrt((1 + 0 + 1 + 4) / 4))


def test_mape_skips_zero_actuals_and_counts_them():
    value, skipped = mape(ACTUAL, FORECAST)
    # |1-2|/1 = 1, |2-2|/2 = 0, |4-2|/4 = 0.5 -> mean 0.5 -> 50 %
    assert value == pytest.approx(50.0)
    assert skipped == 1


def test_mape_of_all_zero_actuals_is_nan():
    value, skipped = mape(np.zeros((1, 2)), np.ones((1, 2)))
    assert np.isnan(value) and skipped == 2


def test_smape_by_hand_and_zero_over_zero_is_zero():
    # 200 * [1/3, 0, 1/1, 2/6] / 4
    expected = 200 * (1 / 3 + 0 + 1 + 2 / 6) / 4
    assert smape(ACTUAL, FORECAST) == pytest.approx(expected)
    assert smape(np.zeros((1, 1)), np.zeros((1, 1))) == 0.0


def test_seasonal_naive_scale_by_hand():
    history = np.array([1.0, 2.0, 4.0, 7.0])
    assert seasonal_naive_scale(history, 2) == pytest.approx((3 + 5) / 2)
    # Too short for a season: falls back to lag 1.
    assert seasonal_naive_scale(history, 10) == pytest.approx((1 + 2 + 3) / 3)


def test_mase_averages_per_series_ratios():
    actual = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    forecast = np.array([[2.0, 2.0], [2.0, 4.0], [3.0, 3.0]])
    series = np.array([0, 0, 1])
    scales = np.array([2.0, 1.0])
    # series 0: errors 1,1,0,2 -> MAE 1 / 2 = 0.5; series 1: MAE 0 / 1 = 0 -> mean 0.25
    assert mase(actual, forecast, series, scales) == pytest.approx(0.25)


def test_mase_leaves_out_series_with_zero_scale():
    actual, forecast = np.ones((2, 1)), np.zeros((2, 1))
    assert mase(actual, forecast, np.array([0, 1]), np.array([0.0, 2.0])) == pytest.approx(0.5)


def test_pinball_by_hand():
    actual = np.array([1.0, 3.0])
    forecast = np.array([2.0, 2.0])
    # q = 0.9: under-forecast by 1 costs 0.9, over-forecast by 1 costs 0.1
    assert pinball(actual, forecast, 0.9) == pytest.approx((0.1 + 0.9) / 2)


def test_coverage_and_interval_scores():
    actual = np.array([0.0, 1.0, 2.0, 3.0])
    low, mid, high = np.full(4, 0.5), np.full(4, 1.5), np.full(4, 2.5)
    assert coverage(actual, low, high) == pytest.approx(0.5)
    scores = quantile_scores(actual, {0.1: low, 0.5: mid, 0.9: high})
    assert scores["coverage_80"] == pytest.approx(0.5)
    assert scores["width_80"] == pytest.approx(2.0)
    assert scores["pinball"] == pytest.approx(np.mean([scores["pinball_q0.1"], scores["pinball_q0.5"], scores["pinball_q0.9"]]))


def test_point_scores_has_every_metric():
    scores = point_scores(ACTUAL, FORECAST, np.array([0, 0]), np.array([1.0]))
    assert set(scores) == {"MAE", "RMSE", "MAPE", "MAPE_zeros_skipped", "sMAPE", "MASE"}


def test_seasonal_naive_on_m4_hourly_reproduces_published_scores(shared_data):
    train = pd.read_csv(shared_data / "m4_hourly_train.csv")
    test = pd.read_csv(shared_data / "m4_hourly_test.csv")
    histories = [row[~np.isnan(row)] for row in train.iloc[:, 1:].to_numpy(dtype=float)]
    actual = test.iloc[:, 1:].to_numpy(dtype=float)
    forecast = np.concatenate([seasonal_naive(h, np.array([len(h)]), 48, 24) for h in histories])
    scales = np.array([seasonal_naive_scale(h, 24) for h in histories])
    assert smape(actual, forecast) == pytest.approx(13.912, abs=5e-4)
    assert mase(actual, forecast, np.arange(len(histories)), scales) == pytest.approx(1.193, abs=5e-4)
