"""Conformal calibration: exact small cases by hand, coverage on data with known noise, and the model directory."""

import json

import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster, backtest, transform
from forecaster.calibration import (
    MIN_SEEN, Units, calibrate, refresh_counts, conformal_quantile, level_name, level_quantiles, method_for, quantile_columns, rolling,
    shortfalls,
)
from forecaster.errors import ConfigError, ModelFileError
from forecaster.estimator import inference

from conftest import TINY, daily_cycle


def test_levels_name_their_two_quantiles():
    assert level_quantiles(80) == (0.1, 0.9)
    assert level_quantiles(95) == (0.025, 0.975)
    assert level_name(80.0) == "80" and level_name(97.5) == "97.5"


def test_conformal_quantile_is_the_finite_sample_rank():
    scores = np.arange(1.0, 10.0)[:, None]  # n = 9 scores: 1..9
    # 80 %: the ceil(10 * 0.8) = 8th smallest; 50 %: the 5th.
    assert conformal_quantile(scores, 80) == pytest.approx([8.0])
    assert conformal_quantile(scores, 50) == pytest.approx([5.0])
    # 95 % would need the 10th of 9 (an infinite interval): the largest stands in.
    assert conformal_quantile(scores, 95) == pytest.approx([9.0])


def test_conformal_quantile_is_taken_per_horizon_step():
    scores = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0]])
    assert conformal_quantile(scores, 50) == pytest.approx([2.0, 20.0])


def test_split_conformal_by_hand():
    forecasts = np.zeros((4, 1, 1))  # point forecast 0
    actual = np.array([[1.0], [-2.0], [3.0], [-4.0]])
    scales = np.array([1.0, 1.0, 2.0, 2.0])
    # scores |y - f| / scale: 1, 2, 1.5, 2; 50 %: the ceil(5 * 0.5) = 3rd smallest = 2.
    units = Units(error=scales, scaler=np.ones(4))  # split conformal measures in error scales
    calibration = calibrate(forecasts, actual, units, [], [50])
    assert calibration == {"50": {"method": "split", "margins": [2.0], "windows": 4}}
    columns = quantile_columns(forecasts, units, [], calibration)
    # The half-width is the margin times each window's series scale.
    assert list(columns) == [0.25, 0.75]
    assert columns[0.25][:, 0] == pytest.approx([-2.0, -2.0, -4.0, -4.0])
    assert columns[0.75][:, 0] == pytest.approx([2.0, 2.0, 4.0, 4.0])


def test_cqr_by_hand_moves_each_bound_by_its_own_margin():
    quantiles = [0.1, 0.9]
    forecasts = np.array([[[0.0, -1.0, 1.0]]] * 4)  # point 0, trained q0.1 = -1, q0.9 = 1
    units = Units(error=np.full(4, 100.0), scaler=np.array([1.0, 1.0, 2.0, 2.0]))  # CQR measures in scaler scales
    assert method_for(quantiles, 80) == "cqr" and method_for(quantiles, 95) == "split"
    actual = np.array([[3.0], [0.5], [-0.2], [8.0]])
    # lower scores (lo - y) / scale: -4, -1.5, -0.4, -4.5; upper (y - hi) / scale: 2, -0.5, -0.6, 3.5.
    # A 50 % interval takes each bound at 75 %: the ceil(5 * 0.75) = 4th smallest of each.
    fitted = calibrate(forecasts, actual, units, quantiles, [50])  # 50 % has no trained pair: split
    assert fitted["50"]["method"] == "split"
    entry = calibrate(forecasts, actual, units, quantiles, [80])["80"]
    # 80 % takes each bound at 90 %: the ceil(5 * 0.9) = 5th of 4, so the largest stands in.
    assert entry == {"method": "cqr", "lower": [-0.4], "upper": [3.5], "windows": 4}
    columns = quantile_columns(forecasts, units, quantiles, {"80": entry})
    # q0.1 = -1 + 0.4 * scale (narrowed, since the lows were never missed); q0.9 = 1 + 3.5 * scale (widened).
    np.testing.assert_allclose(columns[0.1][:, 0], [-0.6, -0.6, -0.2, -0.2])
    np.testing.assert_allclose(columns[0.9][:, 0], [4.5, 4.5, 8.0, 8.0])


def test_calibrated_columns_replace_trained_ones_and_never_cross():
    rng = np.random.default_rng(0)
    quantiles = [0.05, 0.1, 0.5, 0.9, 0.95]
    forecasts = np.sort(rng.normal(size=(50, 6, 6)), axis=-1)
    forecasts[..., 0] = rng.normal(size=(50, 6)) * 3  # a point forecast far from the trained quantiles
    units = Units(np.ones(50), np.ones(50))
    calibration = calibrate(forecasts, rng.normal(size=(50, 6)), units, quantiles, [80, 95, 99])
    columns = quantile_columns(forecasts, units, quantiles, calibration)
    assert list(columns) == [0.005, 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975, 0.995]
    stacked = np.stack(list(columns.values()), axis=-1)
    assert (np.diff(stacked, axis=-1) >= 0).all()


def test_coverage_on_data_with_known_noise_is_within_sampling_error_of_nominal():
    # Two series of very different sizes, one calibration: Gaussian noise of each series' own scale.
    rng = np.random.default_rng(1)
    horizon, n_cal, n_test = 3, 400, 20_000

    def windows(n):
        scale = np.where(np.arange(n) % 2 == 0, 1.0, 100.0)  # (W,) series scale
        point = rng.normal(size=(n, horizon)) * scale[:, None]
        noise = rng.normal(size=(n, horizon)) * scale[:, None] * np.array([0.5, 1.0, 2.0])  # noise grows with the step
        return point[..., None], point + noise, scale

    forecasts, actual, scale = windows(n_cal)
    calibration = calibrate(forecasts, actual, Units(scale, scale), [], [80, 95])
    forecasts, actual, scale = windows(n_test)
    columns = quantile_columns(forecasts, Units(scale, scale), [], calibration)
    for level in (80, 95):
        low, high = level_quantiles(level)
        inside = (actual >= columns[low]) & (actual <= columns[high])
        nominal = level / 100
        # Conformal coverage given the calibration set varies by about sqrt(a(1-a)/n), plus the test sample's error.
        tolerance = 4 * np.sqrt(nominal * (1 - nominal) * (1 / n_cal + 1 / n_test))
        for member in (scale == 1.0, scale == 100.0):  # each series, not only the pooled windows
            for step in range(horizon):
                assert abs(inside[member, step].mean() - nominal) < tolerance


def test_coverage_guarantee_holds_on_average_even_with_few_windows():
    # With n = 19 exchangeable scores the 95 % interval covers a new point with probability 19/20 exactly.
    rng = np.random.default_rng(2)
    trials = 20_000
    scores = np.abs(rng.normal(size=(trials, 19)))
    margins = np.sort(scores, axis=1)[:, 18]  # conformal_quantile's rank for n = 19 at 95 %
    assert conformal_quantile(scores[0][:, None], 95)[0] == margins[0]
    covered = np.abs(rng.normal(size=trials)) <= margins
    assert abs(covered.mean() - 0.95) < 4 * np.sqrt(0.95 * 0.05 / trials)


def test_one_sided_margins_need_the_windows_of_their_tail():
    # A CQR bound of a 95 % interval is taken at 97.5 %: its guarantee needs 39 windows, not 19.
    entry = {"method": "cqr", "lower": [0.0], "upper": [0.0]}
    assert shortfalls({"95": {**entry, "windows": 38}}) and "39" in shortfalls({"95": {**entry, "windows": 38}})[0]
    assert not shortfalls({"95": {**entry, "windows": 39}})


def test_rolling_cqr_margins_roll_each_bound_by_hand():
    rng = np.random.default_rng(0)
    n = 300
    actual = rng.normal(size=(n, 1)) + 0.5  # the actuals sit above the trained interval's middle
    forecasts = np.repeat(np.array([[[0.0, -1.0, 1.0]]]), n, axis=0)  # trained q0.1 = -1, q0.9 = 1
    stored = {"80": {"method": "cqr", "lower": [9.0], "upper": [9.0], "windows": 50}}
    rolled = rolling(stored, forecasts, actual, Units(np.ones(n), np.ones(n)), [np.arange(n)], [0.1, 0.9])["80"]
    assert (rolled["lower"][:MIN_SEEN] == 9.0).all() and (rolled["upper"][:MIN_SEEN] == 9.0).all()
    # Window 150 uses windows 0..146 (the last refresh, see above); each bound at 90 %: the ceil(148 * 0.9) = 134th.
    assert rolled["upper"][150, 0] == np.sort(actual[:147, 0] - 1.0)[133]
    assert rolled["lower"][150, 0] == np.sort(-1.0 - actual[:147, 0])[133]
    assert rolled["upper"][150, 0] > rolled["lower"][150, 0]  # the interval moves up


def test_too_few_windows_are_named_with_the_fix():
    calibration = {"80": {"method": "split", "margins": [1.0], "windows": 10},
                   "95": {"method": "split", "margins": [1.0], "windows": 10}}
    notes = shortfalls(calibration)
    assert len(notes) == 1 and "95 %" in notes[0] and "19" in notes[0] and "`val_size`" in notes[0]


# ------------------------------------------------------------------ the estimator

N, HOLDOUT = 24 * 30, 240


@pytest.fixture(scope="module")
def frame():
    """A daily cycle with Gaussian noise of known size."""
    return daily_cycle(N, 0.3, seed=3)


@pytest.fixture(scope="module")
def point_model(frame):
    return Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48, quantiles=[]).fit(frame)


@pytest.fixture(scope="module")
def quantile_model(frame):
    return Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48, quantiles=[0.1, 0.5, 0.9]).fit(frame)


def test_a_model_without_quantiles_gets_split_conformal_intervals(point_model, frame):
    assert {name: entry["method"] for name, entry in point_model.calibration_.items()} == {"80": "split", "95": "split"}
    forecast = point_model.predict(frame)
    assert forecast.columns.tolist() == ["series", "timestamp", "forecast", "q0.025", "q0.1", "q0.9", "q0.975"]
    quantiles = forecast[["q0.025", "q0.1", "q0.9", "q0.975"]].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all()
    assert ((forecast["q0.1"] <= forecast["forecast"]) & (forecast["forecast"] <= forecast["q0.9"])).all()


def test_a_seasonal_model_calibrates_its_automatic_quantiles_with_cqr(frame):
    model = Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48).fit(frame)
    assert model.net_.shape.window_norm == "season" and model.quantiles_ == [0.025, 0.1, 0.9, 0.975]
    assert {name: entry["method"] for name, entry in model.calibration_.items()} == {"80": "cqr", "95": "cqr"}
    assert model.predict(frame).columns.tolist() == ["series", "timestamp", "forecast", "q0.025", "q0.1", "q0.9", "q0.975"]


def test_a_quantile_model_calibrates_its_trained_pair_with_cqr(quantile_model, frame):
    assert quantile_model.calibration_["80"]["method"] == "cqr"
    assert quantile_model.calibration_["95"]["method"] == "split"
    columns = quantile_model.predict(frame).columns.tolist()
    assert columns == ["series", "timestamp", "forecast", "q0.025", "q0.1", "q0.5", "q0.9", "q0.975"]


@pytest.mark.parametrize("which", ["point_model", "quantile_model"])
def test_backtest_coverage_is_within_sampling_error_of_nominal(which, request, frame):
    model = request.getfixturevalue(which)
    result = backtest(model, frame, stride=1)
    windows = model.calibration_["80"]["windows"]
    for level in (80, 95):
        nominal = level / 100
        # Calibration on `windows` windows; the holdout has about HOLDOUT independent points.
        tolerance = 3 * np.sqrt(nominal * (1 - nominal) * (1 / windows + 1 / HOLDOUT))
        assert abs(result.metrics["model"][f"coverage_{level}"] - nominal) < tolerance
        assert result.metrics["model"][f"ACD_{level}"] < tolerance


def test_backtest_reports_every_level_for_the_model_and_the_seasonal_naive_baseline(point_model, frame):
    result = backtest(point_model, frame)
    assert result.intervals == {"80": "split", "95": "split"}
    for name in ("model", "seasonal_naive"):
        for level in ("80", "95"):
            assert {f"{m}_{level}" for m in ("coverage", "width", "pinball", "MSIS", "ACD")} <= set(result.metrics[name])
    assert "coverage_80" in result.per_step["model"].columns
    assert {"q0.025", "q0.1", "q0.9", "q0.975"} <= set(result.forecasts.columns)
    shape = result.to_dict()
    assert shape["intervals"] == {"80": "split", "95": "split"} and "MSIS_95" in shape["seasonal_naive"]


def test_levels_pick_among_the_calibrated_ones(point_model, frame):
    assert point_model.predict(frame, levels=[80]).columns.tolist()[3:] == ["q0.1", "q0.9"]
    assert point_model.predict(frame, levels=[]).columns.tolist() == ["series", "timestamp", "forecast"]
    with pytest.raises(ConfigError, match=r"`levels` 90: .*calibrated for levels 80, 95.*retrain with `levels` 90"):
        point_model.predict(frame, levels=[90])
    with pytest.raises(ConfigError, match="`levels`"):
        point_model.predict(frame, levels=[120])
    assert set(backtest(point_model, frame, levels=[95]).intervals) == {"95"}


def test_levels_are_set_at_training(frame):
    model = Forecaster(**TINY, levels=[50, 90]).fit(frame)
    assert list(model.calibration_) == ["50", "90"]
    assert list(model.predict(frame).columns[3:]) == ["q0.05", "q0.25", "q0.75", "q0.95"]
    assert Forecaster(**TINY, levels=[]).fit(frame).calibration_ == {}


def test_retrain_calibrates_each_refit(point_model, frame):
    result = backtest(point_model, frame, retrain=True, folds=1)
    assert {"q0.025", "q0.975"} <= set(result.forecasts.columns)
    assert (result.forecasts["q0.025"] <= result.forecasts["q0.975"]).all()


def test_save_load_keeps_the_calibration(quantile_model, frame, tmp_path):
    quantile_model.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.calibration_ == quantile_model.calibration_
    pd.testing.assert_frame_equal(loaded.predict(frame), quantile_model.predict(frame))
    stored = json.loads((tmp_path / "m" / "config.json").read_text())
    entry = stored["calibration"]["80"]
    assert entry["method"] == "cqr" and len(entry["lower"]) == len(entry["upper"]) == 24


def test_a_model_saved_before_calibration_forecasts_without_intervals(point_model, frame, tmp_path):
    point_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    del stored["calibration"]
    del stored["config"]["levels"]
    path.write_text(json.dumps(stored))
    assert Forecaster.load(tmp_path / "m").predict(frame).columns.tolist() == ["series", "timestamp", "forecast"]


def test_a_model_saved_before_error_scales_keeps_its_scaler_scaled_margins(point_model, frame, tmp_path):
    point_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    del stored["error_ratio"], stored["transform"]
    for info in stored["series"].values():
        del info["error_scale"]
    path.write_text(json.dumps(stored))
    old = Forecaster.load(tmp_path / "m")
    forecast = old.predict(frame)
    scale = inference.scalers_for(old.state_, old.series_set(frame))[0].scale
    margin = old.calibration_["80"]["margins"]
    np.testing.assert_allclose(forecast["q0.9"] - forecast["forecast"], np.asarray(margin) * scale)


def _two_series(calm: float, wild: float) -> pd.DataFrame:
    """Two daily cycles of equal spread (about 2.1): one nearly all cycle, calm; the other mostly noise."""
    a = daily_cycle(N, calm, seed=1, amplitude=3.0)
    b = daily_cycle(N, wild, seed=2, amplitude=np.sqrt(max(9.0 - 2 * wild**2, 0.0)))
    return pd.concat([a.assign(id="calm"), b.assign(id="wild")]).rename(columns={"load": "y", "date": "ds"})


def test_split_intervals_follow_each_series_error_not_its_spread():
    frame = _two_series(calm=0.1, wild=1.8)
    model = Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48, id_col="id", quantiles=[]).fit(frame)
    data = model.series_set(frame)
    spreads = [sc.scale for sc in inference.scalers_for(model.state_, data)]
    assert spreads[0] == pytest.approx(spreads[1], rel=0.1)  # the scaler cannot tell them apart
    errors = {sid: info["error_scale"] for sid, info in model.series_.items()}
    assert errors["calm"] < 0.25 * errors["wild"]
    forecast = model.predict(frame)
    width = (forecast["q0.9"] - forecast["q0.1"]).groupby(forecast["series"]).mean()
    assert width["calm"] < 0.25 * width["wild"]
    np.testing.assert_allclose(inference.interval_scales(model.state_, data, inference.scalers_for(model.state_, data)), [errors["calm"], errors["wild"]])


def test_a_series_unseen_in_training_takes_its_spread_times_the_median_ratio(point_model, frame):
    unseen = frame.assign(load=frame["load"] * 3.0)
    data = point_model.series_set(unseen)
    data.series[0].id = "new"
    scaler = inference.scalers_for(point_model.state_, data)[0]
    assert inference.interval_scales(point_model.state_, data, [scaler]) == pytest.approx([scaler.scale * point_model.error_ratio_])


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.update(error_ratio=-1.0), "error_ratio is"),
    (lambda m: m["series"]["load"].update(error_scale=0.0), "error_scale"),
    (lambda m: m["series"]["load"].update(error_scale="big"), "error_scale"),
])
def test_damaged_error_scales_are_refused(point_model, tmp_path, edit, message):
    point_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    edit(stored)
    path.write_text(json.dumps(stored))
    with pytest.raises(ModelFileError, match=message):
        Forecaster.load(tmp_path / "m")


def test_a_model_saved_before_one_sided_margins_keeps_its_symmetric_cqr(quantile_model, frame, tmp_path):
    quantile_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    entry = stored["calibration"]["80"]
    entry["margins"] = entry.pop("upper")
    del entry["lower"]
    path.write_text(json.dumps(stored))
    old = Forecaster.load(tmp_path / "m")
    data, origins = old.series_set(frame), [np.array([len(frame)])]
    scaler = inference.scalers_for(old.state_, data)[0]
    output = inference.forecast(old.state_, transform.to_model(data, old.transform_), origins, [scaler])  # model space
    _, columns = inference.quantiles_at(old.state_, data, origins)
    assert old.transform_ == "log"  # a positive daily cycle over a seasonal base
    low, high = (np.log(columns[q][0]) for q in (0.1, 0.9))
    margins = np.asarray(entry["margins"]) * scaler.scale
    np.testing.assert_allclose(output[0, :, 1] - low, margins, rtol=1e-6)
    np.testing.assert_allclose(high - output[0, :, 3], margins, rtol=1e-6)
    assert len(backtest(old, frame).forecasts) > 0  # rolling keeps the symmetric shape


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c["80"].update(margins=[1.0]), "1 margins, expected one per horizon step"),
    (lambda c: c["80"].update(method="magic"), "calibration is"),
    (lambda c: c["80"].update(margins=[float("nan")] * 24), "calibration is"),
    (lambda c: c.update({"150": c.pop("80")}), "calibration is"),
    (lambda c: c["95"].update(method="cqr"), "cqr"),
])
def test_a_damaged_calibration_is_refused(point_model, tmp_path, edit, message):
    point_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    edit(stored["calibration"])
    path.write_text(json.dumps(stored))
    with pytest.raises(ModelFileError, match=message):
        Forecaster.load(tmp_path / "m")


def test_rolling_margins_use_only_errors_seen_before_each_origin_by_hand():
    rng = np.random.default_rng(0)
    n, horizon = 300, 2
    actual = rng.normal(size=(n, horizon))
    forecasts = np.zeros((n, horizon, 1))
    stored = {"80": {"method": "split", "margins": [10.0, 10.0], "windows": 50}}
    rolled = rolling(stored, forecasts, actual, Units(np.ones(n), np.ones(n)), [np.arange(n)], [])["80"]["margins"]
    assert (rolled[:MIN_SEEN] == 10.0).all()  # too few earlier windows: the stored margin stands in
    # Window 150 has seen 150 first steps and 149 second steps (windows 0..148 had origin + 1 before 150);
    # the margins were last recomputed at 147 errors seen: 100, 104, 108, ..., 137, 142, 147, 152, ...
    counts = refresh_counts(n)
    assert counts[0] == MIN_SEEN and list(counts[9:13]) == [137, 142, 147, 152]
    assert rolled[150, 0] == np.sort(np.abs(actual[:147, 0]))[int(np.ceil(148 * 0.8)) - 1]
    assert rolled[150, 1] == np.sort(np.abs(actual[:147, 1]))[int(np.ceil(148 * 0.8)) - 1]
    # Window 152 has seen 152 first steps (a refresh) but only 151 second steps (not yet).
    assert rolled[152, 0] == np.sort(np.abs(actual[:152, 0]))[int(np.ceil(153 * 0.8)) - 1]
    assert rolled[152, 1] == rolled[150, 1]


def test_rolling_margins_are_recomputed_each_time_the_errors_seen_grow_by_a_32nd():
    counts = refresh_counts(3000)
    assert counts[0] == MIN_SEEN and counts[-1] <= 3000
    assert (np.diff(counts) == np.maximum(1, np.ceil(counts[:-1] * 33 / 32) - counts[:-1])).all()
    assert len(refresh_counts(MIN_SEEN - 1)) == 0


def test_rolling_margins_follow_a_calmer_period_and_cover_what_they_promise():
    rng = np.random.default_rng(1)
    n = 2000
    actual = rng.normal(0, 1.0, size=(n, 1))  # the scored period is three times calmer than validation was
    stored = {"80": {"method": "split", "margins": [3 * 1.2816], "windows": 500}}
    units = Units(np.ones(n), np.ones(n))
    static = quantile_columns(np.zeros((n, 1, 1)), units, [], stored)
    rolled = quantile_columns(np.zeros((n, 1, 1)), units, [],
                              rolling(stored, np.zeros((n, 1, 1)), actual, units, [np.arange(n)], []))
    def covered(columns):
        return float(np.mean((columns[0.1] <= actual) & (actual <= columns[0.9])))
    assert covered(static) > 0.99
    assert abs(covered(rolled) - 0.8) < 0.03


@pytest.mark.parametrize(("edit", "message"), [
    (lambda e: e.update(lower=[1.0]), "1 lower margins, expected one per horizon step"),
    (lambda e: e.pop("upper"), "calibration is"),
    (lambda e: e.update(upper=["wide"] * 24), "calibration is"),
])
def test_damaged_one_sided_margins_are_refused(quantile_model, tmp_path, edit, message):
    quantile_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    edit(stored["calibration"]["80"])
    path.write_text(json.dumps(stored))
    with pytest.raises(ModelFileError, match=message):
        Forecaster.load(tmp_path / "m")


def test_a_retrain_backtest_of_an_automatic_quantile_model_shows_only_the_asked_bounds(frame):
    model = Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48).fit(frame)
    assert model.config.quantiles is None and model.quantiles_ == [0.025, 0.1, 0.9, 0.975]
    result = backtest(model, frame, retrain=True, folds=1, levels=[95])
    assert [c for c in result.forecasts.columns if c.startswith("q")] == ["q0.025", "q0.975"]
    assert result.intervals == {"95": "cqr"}


# ------------------------------------------------------------------ the data's domain


def _counts(shift: float = 0.0) -> pd.DataFrame:
    """A daily cycle near zero, cut at zero like a count, plus `shift`: with shift 0 never negative."""
    frame = daily_cycle(N, 0.6, seed=5, level=0.8, amplitude=1.0)
    return frame.assign(load=frame["load"].clip(lower=0.0) + shift)


@pytest.fixture(scope="module")
def count_model():
    return Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48, quantiles=[]).fit(_counts())


BOUNDS = ["forecast", "q0.025", "q0.1", "q0.9", "q0.975"]


def test_a_series_never_negative_gets_no_negative_forecast_or_bound(count_model):
    assert count_model.series_["load"]["nonnegative"] is True
    forecast = count_model.predict(_counts())
    assert (forecast[BOUNDS] >= 0).all().all()
    assert (forecast["q0.025"] == 0).any()  # the bound would have gone below zero: it was cut there
    windows = backtest(count_model, _counts(), stride=24).forecasts
    assert (windows[["forecast", "q0.025", "q0.1", "q0.9", "q0.975"]] >= 0).all().all()


def test_a_series_with_negative_values_keeps_its_negative_bounds():
    model = Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48, quantiles=[]).fit(_counts(shift=-0.5))
    assert model.series_["load"]["nonnegative"] is False
    assert (model.predict(_counts(shift=-0.5))["q0.025"] < 0).any()


def test_a_log_model_is_positive_without_a_cut():
    frame = _counts(shift=0.1)  # every value above zero: the automatic log transform over a seasonal base
    model = Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48).fit(frame)
    assert model.transform_ == "log"
    assert (model.predict(frame)[BOUNDS] > 0).all().all()


def test_a_model_saved_before_the_domain_was_recorded_cuts_nothing(count_model, tmp_path):
    count_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    for info in stored["series"].values():
        del info["nonnegative"]
    path.write_text(json.dumps(stored))
    old, new = Forecaster.load(tmp_path / "m").predict(_counts()), count_model.predict(_counts())
    assert (old["q0.025"] < 0).any()
    np.testing.assert_allclose(np.maximum(old[BOUNDS].to_numpy(), 0.0), new[BOUNDS].to_numpy())


def test_an_unseen_series_is_judged_by_its_own_history(count_model):
    unseen = _counts().assign(id="other").rename(columns={"date": "ds", "load": "y"})
    model = Forecaster(**TINY, holdout=HOLDOUT, val_size=240, lookback=48, quantiles=[], id_col="id").fit(
        _counts().assign(id="seen").rename(columns={"date": "ds", "load": "y"}))
    assert (model.predict(unseen)[BOUNDS] >= 0).all().all()
    below = unseen.assign(y=unseen["y"] - 0.5)
    assert (model.predict(below)["q0.025"] < 0).any()


def test_a_damaged_domain_flag_is_refused(count_model, tmp_path):
    count_model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    stored["series"]["load"]["nonnegative"] = "yes"
    path.write_text(json.dumps(stored))
    with pytest.raises(ModelFileError, match="nonnegative"):
        Forecaster.load(tmp_path / "m")


def test_predict_output_of_counts_has_no_negative_number(tmp_path):
    from test_cli import invoke, ok

    data = tmp_path / "counts.csv"
    _counts().to_csv(data, index=False)
    ok(invoke("train", data, "--hidden-size", "8", "--num-layers", "1", "--epochs", "2", "--out", tmp_path / "m",
              "--quiet"))
    ok(invoke("predict", tmp_path / "m", "--data", data, "--output", tmp_path / "f.csv"))
    forecast = pd.read_csv(tmp_path / "f.csv")
    assert forecast["timestamp"].iloc[0] == str(_counts()["date"].iloc[-1] + pd.Timedelta(hours=1))
    assert (forecast.drop(columns=["series", "timestamp"]) >= 0).all().all()
    assert (forecast["q0.025"] == 0).any()  # cut at zero, not above it by chance
