import numpy as np
import pandas as pd
import pytest

from forecaster.baselines import seasonal_naive
from forecaster.metrics import (
    acd, central_intervals, coverage, interval_scores, mae, mape, mase, msis, pinball, point_scores, quantile_scores,
    rmse, seasonal_naive_scale, smape,
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
    scores = quantile_scores(actual, {0.1: low, 0.5: mid, 0.9: high}, np.array([0, 0, 0, 0]), np.array([1.0]))
    assert scores["coverage_80"] == pytest.approx(0.5)
    assert scores["width_80"] == pytest.approx(2.0)
    assert scores["ACD_80"] == pytest.approx(0.3)
    assert scores["pinball"] == pytest.approx(np.mean([scores["pinball_q0.1"], scores["pinball_q0.5"], scores["pinball_q0.9"]]))


# Two windows (one per series) of two steps; the interval is [0, 2] everywhere.
Y = np.array([[1.0, 5.0], [2.0, -1.0]])
LOW, HIGH = np.zeros((2, 2)), np.full((2, 2), 2.0)
SERIES, SCALES = np.array([0, 1]), np.array([2.0, 4.0])


def test_msis_by_hand():
    # alpha 0.2, so a miss costs 2/0.2 = 10 per unit outside: 2 | 2 + 10*3 = 32 | 2 | 2 + 10*1 = 12.
    # Series 0: mean 17 / scale 2 = 8.5; series 1: mean 7 / scale 4 = 1.75; MSIS is their mean.
    assert msis(Y, LOW, HIGH, 0.2, SERIES, SCALES) == pytest.approx((8.5 + 1.75) / 2)


def test_msis_of_a_perfect_zero_width_interval_is_zero_and_misses_cost_more_at_small_alpha():
    assert msis(Y, Y, Y, 0.05, SERIES, SCALES) == 0.0
    assert msis(Y, LOW, HIGH, 0.05, SERIES, SCALES) > msis(Y, LOW, HIGH, 0.2, SERIES, SCALES)


def test_interval_scores_by_hand():
    scores = interval_scores(Y, LOW, HIGH, 80, SERIES, SCALES)
    # Lower bound, quantile 0.1, errors 1, 5, 2, -1: 0.1 + 0.5 + 0.2 + 0.9 = 1.7 -> 0.425.
    # Upper bound, quantile 0.9, errors -1, 3, 0, -3: 0.1 + 2.7 + 0 + 0.3 = 3.1 -> 0.775.
    assert scores == pytest.approx({"coverage_80": 0.5, "width_80": 2.0, "pinball_80": (0.425 + 0.775) / 2,
                                    "MSIS_80": 5.125, "ACD_80": 0.3})


def test_acd_is_the_absolute_coverage_difference():
    assert acd(0.93, 95) == pytest.approx(0.02)
    assert acd(0.97, 95) == pytest.approx(0.02)


def test_central_intervals_pair_symmetric_quantiles():
    assert central_intervals([0.025, 0.1, 0.5, 0.9, 0.975, 0.99]) == {80.0: (0.1, 0.9), 95.0: (0.025, 0.975)}
    assert central_intervals([0.1, 0.5]) == {}


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


def test_scores_per_step_by_hand():
    # Step 1: errors 1, 1 (actuals 1, 0: one zero skipped); step 2: errors 0, 2 over actuals 2, 4.
    scores = point_scores(ACTUAL, FORECAST, np.array([0, 1]), np.array([1.0, 2.0]), axis=0)
    np.testing.assert_allclose(scores["MAE"], [1.0, 1.0])
    np.testing.assert_allclose(scores["RMSE"], [1.0, np.sqrt(2.0)])
    np.testing.assert_allclose(scores["MAPE"], [100.0, 25.0])
    np.testing.assert_array_equal(scores["MAPE_zeros_skipped"], [1, 0])
    # MASE per step: mean over series of |e| / scale: (1/1 + 1/2) / 2 and (0/1 + 2/2) / 2.
    np.testing.assert_allclose(scores["MASE"], [0.75, 0.5])


def test_scores_per_step_match_each_column_scored_alone_and_average_to_the_overall_mase():
    rng = np.random.default_rng(0)
    actual, lower, upper = rng.normal(size=(7, 3)), rng.normal(size=(7, 3)) - 1, rng.normal(size=(7, 3)) + 1
    codes, scales = np.array([2, 0, 0, 2, 1, 1, 0]), np.array([0.5, 0.0, 2.0])  # series 1 has no usable scale
    steps = {**point_scores(actual, upper, codes, scales, axis=0), **interval_scores(actual, lower, upper, 80, codes, scales, axis=0)}
    for h in range(3):
        alone = {**point_scores(actual[:, [h]], upper[:, [h]], codes, scales),
                 **interval_scores(actual[:, [h]], lower[:, [h]], upper[:, [h]], 80, codes, scales)}
        for name, value in alone.items():
            assert steps[name][h] == pytest.approx(value), name
    assert np.mean(steps["MASE"]) == pytest.approx(mase(actual, upper, codes, scales))
