import numpy as np
import pytest

from forecaster.baselines import naive, seasonal_beats_naive, seasonal_naive, seasonal_naive_interval

VALUES = np.arange(10, dtype=float)  # 0, 1, ..., 9


def test_naive_repeats_the_last_value_before_each_origin():
    assert naive(VALUES, np.array([3, 7]), 2).tolist() == [[2, 2], [6, 6]]


def test_seasonal_naive_repeats_the_last_season_and_wraps():
    # origin 6, season 3: last season is values 3, 4, 5; horizon 5 wraps around it
    assert seasonal_naive(VALUES, np.array([6]), 5, 3).tolist() == [[3, 4, 5, 3, 4]]


def test_seasonal_naive_with_season_one_is_naive():
    assert seasonal_naive(VALUES, np.array([4]), 3, 1).tolist() == naive(VALUES, np.array([4]), 3).tolist()


def test_seasonal_naive_interval_by_hand():
    history = np.array([0.0, 1.0, 3.0, 6.0, 10.0])
    lower, upper = seasonal_naive_interval(VALUES, np.array([4]), 2, 1, history, 50)
    # Centre: the last value, 3. Step 1's in-sample errors (lag 1) are 1, 2, 3, 4: quartiles 1.75 and 3.25.
    # Step 2's (lag 2) are 3, 5, 7: quartiles 4 and 6.
    assert lower.tolist() == [[4.75, 7.0]]
    assert upper.tolist() == [[6.25, 9.0]]


def test_seasonal_naive_interval_reaches_back_whole_seasons():
    history = np.arange(20.0) ** 2  # growing: errors grow with the lag
    lower, upper = seasonal_naive_interval(VALUES, np.array([6]), 4, 3, history, 80)
    # Centre 3, 4, 5, 3; steps 1-3 compare with one season back (lag 3), step 4 with two (lag 6).
    lag3, lag6 = history[3:] - history[:-3], history[6:] - history[:-6]
    assert lower[0, 0] == pytest.approx(3 + np.quantile(lag3, 0.1))
    assert upper[0, 2] == pytest.approx(5 + np.quantile(lag3, 0.9))
    assert lower[0, 3] == pytest.approx(3 + np.quantile(lag6, 0.1))
    assert upper[0, 3] == pytest.approx(3 + np.quantile(lag6, 0.9))


def test_seasonal_beats_naive_only_where_the_season_clearly_dominates():
    t = np.arange(2000)
    cycle = np.sin(2 * np.pi * t / 24) + 0.1 * np.random.default_rng(0).normal(size=len(t))
    walk = np.cumsum(np.random.default_rng(1).normal(size=len(t)))
    assert seasonal_beats_naive([cycle], 24, 24)
    assert not seasonal_beats_naive([walk], 24, 24)
    assert not seasonal_beats_naive([cycle], 24, 1)  # no season, nothing to beat naive with
    assert not seasonal_beats_naive([cycle[:30]], 24, 24)  # too short to compare: naive keeps the say
