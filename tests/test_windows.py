import numpy as np
import torch

from forecaster.windows import WindowSet, actuals, all_actuals, origin_starts, series_of_windows, split_bounds, stacked


def test_split_bounds_holdout_and_default_validation():
    split = split_bounds(n=120, holdout=20, val_size=None, horizon=5)
    assert split.n_fit == 100
    assert split.n_train == 80  # 20 % of the 100 fitted steps validate


def test_split_validation_holds_at_least_one_horizon():
    assert split_bounds(n=30, holdout=0, val_size=None, horizon=10).n_train == 20


def test_window_count_is_n_minus_lookback_minus_horizon_plus_one():
    n, lookback, horizon = 50, 7, 3
    data, offsets = stacked([np.arange(n, dtype=float)[:, None]])
    starts = origin_starts(offsets[0], np.arange(lookback, n - horizon + 1), lookback)
    windows = WindowSet(data, starts, lookback, horizon)
    assert len(windows) == n - lookback - horizon + 1


def test_windows_are_views_not_copies():
    data, _ = stacked([np.arange(100, dtype=float)[:, None]])
    windows = WindowSet(data, np.arange(10), lookback=20, horizon=5)
    assert windows._inputs.untyped_storage().data_ptr() == data.untyped_storage().data_ptr()
    assert windows._targets.untyped_storage().data_ptr() == data.untyped_storage().data_ptr()


def test_windows_hold_the_right_values_and_never_cross_series():
    a = np.arange(10, dtype=float)[:, None]
    b = 100 + np.arange(8, dtype=float)[:, None]
    data, offsets = stacked([a, b])
    assert offsets.tolist() == [0, 10]
    starts = np.concatenate([origin_starts(offsets[0], np.array([3]), 3), origin_starts(offsets[1], np.array([5]), 3)])
    windows = WindowSet(data, starts, lookback=3, horizon=2)
    x, y = windows.inputs(torch.arange(2)), windows.targets(torch.arange(2))
    assert x.shape == (2, 3, 1)
    assert x[:, :, 0].tolist() == [[0, 1, 2], [102, 103, 104]]
    assert y.tolist() == [[3, 4], [105, 106]]


def test_batches_cover_every_window_once_in_the_given_order():
    data, _ = stacked([np.arange(40, dtype=float)[:, None]])
    windows = WindowSet(data, np.arange(30), lookback=4, horizon=2)
    order = torch.randperm(30, generator=torch.Generator().manual_seed(1))
    first = torch.cat([x[:, 0, 0] for x, _ in windows.batches(7, order)])
    assert sorted(first.tolist()) == list(range(30))
    assert first.tolist() == order.tolist()


def test_actuals_by_hand():
    assert actuals(np.arange(10.0), np.array([2, 5]), 3).tolist() == [[2, 3, 4], [5, 6, 7]]


def test_spread_keeps_evenly_spaced_windows_including_both_ends():
    data, _ = stacked([np.arange(60, dtype=float)[:, None]])
    windows = WindowSet(data, np.arange(50), lookback=4, horizon=2)
    subset = windows.spread(5)
    assert subset.starts.tolist() == [0, 12, 24, 37, 49]
    assert windows.spread(100) is windows


def test_known_ahead_windows_run_through_the_horizon_showing_only_known_channels():
    n, lookback, horizon = 10, 3, 2
    data, _ = stacked([np.column_stack([np.arange(n), 100 + np.arange(n), 200 + np.arange(n)]).astype(float)])
    windows = WindowSet(data, np.array([0, 4]), lookback, horizon, known=1)
    x = windows.inputs(torch.tensor([1]))[0]  # starts at row 4: lookback rows 4-6, forecast rows 7-8
    assert x.shape == (lookback + horizon, 3)
    np.testing.assert_array_equal(x[:lookback].numpy(), [[4, 104, 204], [5, 105, 205], [6, 106, 206]])
    np.testing.assert_array_equal(x[lookback:].numpy(), [[0, 0, 207], [0, 0, 208]])
    np.testing.assert_array_equal(windows.targets(torch.tensor([1])).numpy(), [[7, 8]])
    assert data[7, 0] == 7  # zeroing the gathered copy leaves the data alone


def test_default_validation_over_many_series_takes_only_the_steps_enough_windows_need():
    # M4 Hourly: 414 series; 20 % of 900 steps would be 180, but 47 + ceil(20,000 / 414) = 96 steps
    # give every series 49 validation windows, 20,286 in all.
    assert split_bounds(n=900, holdout=0, val_size=None, horizon=48, series=414).n_train == 900 - 96
    # A few series keep their 20 %; very many still validate on at least one horizon.
    assert split_bounds(n=900, holdout=0, val_size=None, horizon=48, series=3).n_train == 900 - 180
    assert split_bounds(n=900, holdout=0, val_size=None, horizon=48, series=100_000).n_train == 900 - 48
    # An explicit --val-size is kept whatever the count.
    assert split_bounds(n=900, holdout=0, val_size=300, horizon=48, series=414).n_train == 600


def test_all_actuals_and_their_series_run_series_by_series():
    values = [np.arange(10.0), np.arange(100.0, 110.0)]
    origins = [np.array([2, 5]), np.array([7])]
    np.testing.assert_array_equal(all_actuals(values, origins, 2), [[2, 3], [5, 6], [107, 108]])
    np.testing.assert_array_equal(series_of_windows(origins), [0, 0, 1])
    np.testing.assert_array_equal(series_of_windows([np.array([], dtype=int), np.array([4, 6])]), [1, 1])
