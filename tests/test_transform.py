"""The log transform: when auto takes it, exact round trips, intervals turned back with exp, and refusals."""

import json

import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster, transform
from forecaster.config import Config
from forecaster.data import series_from_frame
from forecaster.errors import ConfigError, DataError
from forecaster.estimator import inference

from conftest import TINY, daily_cycle
from conftest import invoke, ok, user_error


def test_an_unknown_transform_names_the_flag():
    with pytest.raises(ConfigError, match="`transform`"):
        Config(transform="sqrt")


def test_model_space_is_the_log_and_back_is_exp():
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=3, freq="D"), "y": [1.0, np.e, np.e**2]})
    data = series_from_frame(frame, Config(), source="f.csv")
    logged = transform.to_model(data, "log")
    np.testing.assert_allclose(logged.series[0].values, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(data.series[0].values, [1.0, np.e, np.e**2])  # the data read is left alone
    np.testing.assert_allclose(transform.from_model(np.array([0.0, 1.0]), "log"), [1.0, np.e])
    assert transform.to_model(data, "none") is data


def test_a_value_at_or_below_zero_is_refused_with_its_series_time_and_fix():
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=3, freq="D"), "y": [1.0, 0.0, 2.0]})
    data = series_from_frame(frame, Config(), source="f.csv")
    with pytest.raises(DataError, match=r"f.csv: series 'y' has 0 at 2024-01-02.*`transform` none"):
        transform.to_model(data, "log")


@pytest.fixture(scope="module")
def frame():
    return daily_cycle(21 * 24, 0.2, seed=0, level=10.0, amplitude=3.0)


@pytest.fixture(scope="module")
def logged(frame):
    return Forecaster(**TINY, holdout=48, quantiles=[]).fit(frame)  # positive and seasonal: auto takes the log


def test_a_log_model_forecasts_exp_of_its_model_space_forecast(logged, frame):
    assert logged.transform_ == "log" and logged.state_.resolved_config().transform == "log"
    data = logged.series_set(frame)
    origins = [np.array([len(frame) - 48, len(frame) - 24])]
    model_space = inference.forecast(logged.state_, transform.to_model(data, "log"), origins, inference.scalers_for(logged.state_, data))
    np.testing.assert_allclose(inference.forecast_at(logged.state_, data, origins), np.exp(model_space))


def test_log_intervals_are_symmetric_in_the_log_and_reach_further_up(logged, frame):
    forecast = logged.predict(frame)
    point, low, high = (np.log(forecast[c].to_numpy()) for c in ("forecast", "q0.1", "q0.9"))
    np.testing.assert_allclose(high - point, point - low, rtol=1e-9)  # split conformal: one margin both ways
    assert ((forecast["q0.9"] - forecast["forecast"]) > (forecast["forecast"] - forecast["q0.1"])).all()


def test_save_and_load_keep_the_transform(logged, frame, tmp_path):
    logged.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "config.json").read_text())["transform"] == "log"
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(frame), logged.predict(frame))


def test_a_backtest_of_a_log_model_scores_in_data_units(logged, frame):
    from forecaster import backtest

    result = backtest(logged, frame)
    table = result.forecasts
    np.testing.assert_allclose(table["actual"].to_numpy(), frame["load"].to_numpy()[-48:])
    assert result.metrics["model"]["MAE"] == pytest.approx((table["actual"] - table["forecast"]).abs().mean())


def test_the_cli_refuses_a_log_of_values_at_or_below_zero(tmp_path):
    frame = daily_cycle(21 * 24, 0.2, seed=0, level=10.0, amplitude=3.0)
    frame.loc[100, "load"] = -1.0
    path = tmp_path / "crossing.csv"
    frame.to_csv(path, index=False)
    user_error(invoke("train", path, "--transform", "log", "--epochs", "1", "--out", tmp_path / "m"),
               "has -1 at", "--transform none")
    ok(invoke("train", path, "--epochs", "1", "--hidden-size", "4", "--out", tmp_path / "m", "--quiet"))
    stored = json.loads((tmp_path / "m" / "config.json").read_text())
    assert stored["transform"] == "none"  # auto: a value below zero keeps the values as they are
