"""Short series lengthened at their start: by hand, then through the estimator and the CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import TINY
from forecaster.config import Config
from forecaster.data import Schema, Series, SeriesSet
from forecaster.errors import DataError
from forecaster.forecaster import Forecaster
from forecaster.padding import padded


def one_set(series: list[Series], freq: str) -> SeriesSet:
    schema = Schema(layout="long", time_col="ds", id_col="unique_id", targets=["y"], freq=freq)
    return SeriesSet(series, schema, "data")


def test_a_short_series_is_lengthened_with_its_first_value_and_earlier_steps():
    short = Series("a", pd.RangeIndex(10, 16, 2), np.array([3.0, 4.0, 5.0]))
    long = Series("b", pd.RangeIndex(0, 12, 2), np.arange(6.0))
    data, count = padded(one_set([short, long], "steps"), [5, 5])
    assert count == 1
    a, b = data.series
    assert list(a.time) == [6, 8, 10, 12, 14] and isinstance(a.time, pd.RangeIndex) and a.time.step == 2
    np.testing.assert_array_equal(a.values, [3.0, 3.0, 3.0, 4.0, 5.0])
    assert b is long  # long enough: untouched


def test_dates_step_back_by_the_frequency_and_covariates_repeat_their_first_row():
    days = pd.date_range("2024-03-01", periods=2, freq="MS")
    series = Series("a", days, np.array([1.0, 2.0]), covariates=np.array([[7.0], [8.0]]))
    data, count = padded(one_set([series], "MS"), [4])
    (a,) = data.series
    assert count == 1
    assert list(a.time) == list(pd.date_range("2024-01-01", periods=4, freq="MS"))
    np.testing.assert_array_equal(a.covariates[:, 0], [7.0, 7.0, 7.0, 8.0])


def long_frame(lengths: dict[str, int]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    parts = [pd.DataFrame({"unique_id": sid, "ds": np.arange(n), "y": 50 + np.arange(n) + rng.normal(0, 1, n)})
             for sid, n in lengths.items()]
    return pd.concat(parts, ignore_index=True)


def test_the_automatic_lookback_fits_the_typical_series_and_forecasts_the_short_one_after_its_own_end():
    lengths = {**{f"s{i}": 40 for i in range(30)}, "short": 12}
    frame = long_frame(lengths)
    model = Forecaster(Config(horizon=4, season=1, **TINY)).fit(frame)
    assert model.lookback_ == 8  # two horizons, not cut to the 12-step series
    assert model.series_["short"]["lengthened"] == 16 - 12  # to a lookback and two horizons
    assert all("lengthened" not in model.series_[f"s{i}"] for i in range(30))
    forecast = model.predict(frame)
    short = forecast[forecast["series"] == "short"]
    assert list(short["timestamp"]) == [12, 13, 14, 15]
    assert np.isfinite(short["forecast"]).all()


def test_a_given_lookback_is_never_made_up_by_lengthening():
    frame = long_frame({**{f"s{i}": 40 for i in range(30)}, "short": 12})
    with pytest.raises(DataError, match="'short' has 12 steps, too short for lookback 8"):
        Forecaster(Config(horizon=4, season=1, lookback=8, **TINY)).fit(frame)


def test_a_series_without_two_steps_before_its_validation_part_is_refused():
    frame = long_frame({**{f"s{i}": 40 for i in range(30)}, "tiny": 5})
    with pytest.raises(DataError, match="'tiny' has 5 steps, too short for two steps of history"):
        Forecaster(Config(horizon=4, season=1, **TINY)).fit(frame)


def test_the_cli_says_how_many_series_it_lengthened_and_evaluates_the_short_one(tmp_path):
    from test_cli import TINY as TINY_FLAGS, invoke, ok

    data = tmp_path / "short.csv"
    long_frame({**{f"s{i}": 40 for i in range(30)}, "short": 16}).to_csv(data, index=False)
    trained = ok(invoke("train", data, "--horizon", "4", "--season", "1", "--holdout", "4", "--out", tmp_path / "m",
                        *TINY_FLAGS))
    assert "1 series shorter than lookback 8 + horizon 4 of training lengthened at their start" in trained.stderr
    info = json.loads((tmp_path / "m" / "config.json").read_text())
    assert info["series"]["short"]["lengthened"] == 4 and "lengthened" not in info["series"]["s0"]
    forecast = tmp_path / "f.csv"
    ok(invoke("predict", tmp_path / "m", "--data", data, "--output", forecast))
    short = pd.read_csv(forecast).query("series == 'short'")
    assert list(short["timestamp"]) == [16, 17, 18, 19]
    scored = ok(invoke("evaluate", tmp_path / "m", "--data", data, "--json", "--output", tmp_path / "e.csv"))
    assert json.loads(scored.stdout)["model"]["MAE"] > 0
    backtest = pd.read_csv(tmp_path / "e.csv").query("series == 'short'")
    assert list(backtest["timestamp"]) == [12, 13, 14, 15]  # the holdout: real steps, never the added ones
