"""Covariates, calendar features and ensembles through the real CLI, on CSV files (SPEC §1, issue 3).

The proof of the covariates: the target depends on a covariate three steps back (a past
covariate) and on a flag known ahead; a model given both must beat one without by far.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster import Forecaster
from forecaster.estimator import inference
from forecaster.cli import app

SMALL = ["--hidden-size", "16", "--num-layers", "1", "--dropout", "0", "--batch-size", "32", "--lookback", "12"]
STEPS_AHEAD = 3


def dependent_frame(n: int = 2400, ahead: int = STEPS_AHEAD, seed: int = 0) -> pd.DataFrame:
    """y = 2 x(t-3) + 4 promo(t) + noise; the last `ahead` rows have only the (known-ahead) promo."""
    rng = np.random.default_rng(seed)
    total = n + ahead
    x = rng.normal(size=total)
    promo = (rng.random(total) < 0.15).astype(float)
    y = 10 + 4 * promo + 0.3 * rng.normal(size=total)
    y[3:] += 2 * x[:-3]
    frame = pd.DataFrame({"ds": pd.date_range("2021-01-01", periods=total, freq="h"), "y": y, "x": x, "promo": promo})
    frame.loc[n:, ["y", "x"]] = np.nan
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("covariates")
    frame = dependent_frame()
    paths = {"history": folder / "history.csv", "future": folder / "future.csv"}
    frame.iloc[:-STEPS_AHEAD].to_csv(paths["history"], index=False)
    frame.to_csv(paths["future"], index=False)
    return paths


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def holdout_mae(files, tmp_path: Path, *flags: str) -> float:
    model = tmp_path / "model"
    code, _, err = cli("train", files["history"], "--horizon", STEPS_AHEAD, "--holdout", 240, "--epochs", 12,
                       "--lr", "3e-3", *SMALL, *flags, "--out", model, "--force", "--quiet")
    assert code == 0, err
    code, out, err = cli("evaluate", model, "--data", files["history"], "--json")
    assert code == 0, err
    return json.loads(out)["model"]["MAE"]


def test_covariates_beat_the_same_model_without_them_by_far(files, tmp_path):
    with_them = holdout_mae(files, tmp_path, "--covariates", "x", "--future-covariates", "promo")
    without = holdout_mae(files, tmp_path)
    # Without them the best possible MAE is about 1.9 (2x and 4 promo are unpredictable); with them, 0.24.
    assert with_them < 0.5 * without, (with_them, without)


@pytest.fixture(scope="module")
def covariate_model(files, tmp_path_factory) -> Path:
    model = tmp_path_factory.mktemp("model") / "cov"
    code, _, err = cli("train", files["history"], "--horizon", STEPS_AHEAD, "--epochs", 2, *SMALL,
                       "--covariates", "x", "--future-covariates", "promo", "--out", model, "--quiet")
    assert code == 0, err
    return model


def test_predict_reads_the_future_covariates_from_the_rows_after_the_last_value(covariate_model, files, tmp_path):
    code, out, err = cli("predict", covariate_model, "--data", files["future"], "--output", tmp_path / "f.csv")
    assert code == 0, err
    forecast = pd.read_csv(tmp_path / "f.csv")
    assert list(forecast["timestamp"]) == list(pd.read_csv(files["future"])["ds"].iloc[-STEPS_AHEAD:])
    # The flag moves the forecast of its own step: promo 1 must raise that step's forecast versus promo 0.
    frame = pd.read_csv(files["future"])
    flipped = frame.copy()
    flipped.loc[len(frame) - 2, "promo"] = 1 - frame.loc[len(frame) - 2, "promo"]
    flipped.to_csv(tmp_path / "flipped.csv", index=False)
    assert cli("predict", covariate_model, "--data", tmp_path / "flipped.csv", "--output", tmp_path / "g.csv")[0] == 0
    moved = pd.read_csv(tmp_path / "g.csv")["forecast"] - forecast["forecast"]
    assert moved.iloc[1] != 0 and moved.iloc[0] == 0 and moved.iloc[2] == 0


def test_missing_future_covariates_are_refused_naming_the_rows(covariate_model, files):
    code, out, err = cli("predict", covariate_model, "--data", files["history"])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    last = pd.Timestamp(pd.read_csv(files["history"])["ds"].iloc[-1])
    first_missing = (last + pd.Timedelta(hours=1)).isoformat()
    assert "promo" in err and first_missing in err and "3 of the 3 forecast steps" in err


def test_a_shorter_horizon_needs_only_its_own_future_rows(covariate_model, files, tmp_path):
    frame = pd.read_csv(files["future"]).iloc[:-2]  # one forecast row left
    frame.to_csv(tmp_path / "one_row.csv", index=False)
    assert cli("predict", covariate_model, "--data", tmp_path / "one_row.csv", "--horizon", 1)[0] == 0
    code, _, err = cli("predict", covariate_model, "--data", tmp_path / "one_row.csv")
    assert code == 2 and "2 of the 3 forecast steps" in err


def test_covariates_survive_save_and_load(covariate_model, files):
    model = Forecaster.load(covariate_model)
    manifest = json.loads((covariate_model / "config.json").read_text())
    assert manifest["schema"]["covariates"] == ["x"] and manifest["schema"]["future_covariates"] == ["promo"]
    assert manifest["network"]["input_size"] == 3 + 2 * len(manifest["schema"]["calendar"])
    assert "covariate_scalers" in manifest["series"]["y"]
    frame = pd.read_csv(files["future"])
    np.testing.assert_array_equal(model.predict(frame)["forecast"], Forecaster.load(covariate_model).predict(frame)["forecast"])


def test_long_files_give_each_series_its_own_covariates(tmp_path):
    frames = []
    for i, sid in enumerate(["a", "b"]):
        frame = dependent_frame(n=600, seed=i).assign(unique_id=sid)
        frames.append(frame)
    pd.concat(frames).to_csv(tmp_path / "long.csv", index=False)
    model = tmp_path / "m"
    code, _, err = cli("train", tmp_path / "long.csv", "--horizon", STEPS_AHEAD, "--epochs", 1, *SMALL,
                       "--covariates", "x", "--future-covariates", "promo", "--out", model, "--quiet")
    assert code == 0, err
    code, out, err = cli("predict", model, "--data", tmp_path / "long.csv", "--json")
    assert code == 0, err
    assert sorted({row["series"] for row in json.loads(out)}) == ["a", "b"]


def test_an_unknown_covariate_column_is_a_one_line_error(files, tmp_path):
    code, _, err = cli("train", files["history"], "--covariates", "price", *SMALL, "--out", tmp_path / "m")
    assert code == 2 and "price" in err and len(err.strip().splitlines()) == 1


def test_a_column_cannot_be_target_and_covariate(files, tmp_path):
    code, _, err = cli("train", files["history"], "--target", "y", "--covariates", "y", "--out", tmp_path / "m")
    assert code == 2 and "'y'" in err


def test_calendar_features_on_and_off_by_flag(files, tmp_path):
    for flags, expected in ((["--calendar"], ["hour", "weekday"]), (["--no-calendar"], [])):
        model = tmp_path / flags[0].strip("-")
        code, _, err = cli("train", files["history"], "--target", "y", "--horizon", STEPS_AHEAD, "--epochs", 1,
                           *SMALL, *flags, "--out", model, "--quiet")
        assert code == 0, err
        manifest = json.loads((model / "config.json").read_text())
        assert manifest["schema"]["calendar"] == expected  # 100 days hourly: hours and weekdays repeat, months do not
        assert manifest["network"]["input_size"] == 1 + 2 * len(expected)


def test_an_ensemble_forecasts_the_median_of_its_members(files, tmp_path):
    model = tmp_path / "ens"
    code, out, err = cli("train", files["history"], "--target", "y", "--horizon", STEPS_AHEAD, "--epochs", 1, *SMALL,
                         "--ensemble", 3, "--out", model, "--quiet", "--json")
    assert code == 0, err
    loaded = Forecaster.load(model)
    assert loaded.net_.shape.members == 3
    frame = pd.read_csv(files["history"])[["ds", "y"]]
    data = loaded.series_set(frame)
    origins = [np.array([len(s) for s in data.series])]
    members = np.stack([_member_forecast(loaded, member, data, origins) for member in loaded.net_.members])
    np.testing.assert_allclose(inference.forecast_at(loaded.state_, data, origins)[..., 0], np.median(members, axis=0), rtol=1e-5)


def _member_forecast(model, member, data, origins) -> np.ndarray:
    return inference.forecast_at(dataclasses.replace(model.state_, net=member), data, origins)[..., 0]
