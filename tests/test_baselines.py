import numpy as np

from forecaster.baselines import naive, seasonal_naive

VALUES = np.arange(10, dtype=float)  # 0, 1, ..., 9


def test_naive_repeats_the_last_value_before_each_origin():
    assert naive(VALUES, np.array([3, 7]), 2).tolist() == [[2, 2], [6, 6]]


def test_seasonal_naive_repeats_the_last_season_and_wraps():
    # origin 6, season 3: last season is values 3, 4, 5; horizon 5 wraps around it
    assert seasonal_naive(VALUES, np.array([6]), 5, 3).tolist() == [[3, 4, 5, 3, 4]]


def test_seasonal_naive_with_season_one_is_naive():
    assert seasonal_naive(VALUES, np.array([4]), 3, 1).tolist() == naive(VALUES, np.array([4]), 3).tolist()
