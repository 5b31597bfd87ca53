"""The seasonal period: from the frequency, detected in the data, or given; reported and used everywhere."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecaster import Forecaster
from forecaster.metrics import seasonal_naive_scale
from forecaster.seasonality import Season, chosen_season, detected_season
from forecaster.data.timeaxis import STEPS

from conftest import TINY
from conftest import invoke, ok

rng = np.random.default_rng(7)


def cycle(n: int, period: int, amplitude: float = 2.0, noise: float = 0.5, trend: float = 0.0,
          seed: int = 0) -> np.ndarray:
    """n steps of a fixed random profile of `period` steps (a season's shape) plus noise and a trend."""
    r = np.random.default_rng(seed)
    t = np.arange(n)
    profile = amplitude * r.normal(size=period)
    return profile[t % period] + trend * t + r.normal(0, noise, n)


# ------------------------------------------------------------------ detection


@pytest.mark.parametrize("period", [4, 7, 12, 24, 52])
def test_a_clear_cycle_is_detected(period):
    assert detected_season([cycle(12 * period, period, seed=period)]) == period


def test_a_cycle_on_a_trend_is_detected():
    assert detected_season([cycle(240, 12, trend=0.2)]) == 12


def test_short_series_pooled_show_a_season_none_shows_alone():
    parts = [cycle(48, 12, amplitude=1.0, noise=2.0, seed=s) for s in range(30)]  # a season under much noise
    assert [detected_season([p]) for p in parts] == [1] * 30  # 48 noisy points prove nothing
    assert detected_season(parts) == 12


@pytest.mark.parametrize("kind", ["noise", "trend", "random walk", "persistent", "line", "constant"])
@pytest.mark.parametrize("n", [60, 400, 3000])
def test_no_season_is_claimed_where_there_is_none(kind, n):
    noise = rng.normal(size=n)
    persistent = np.zeros(n)
    for t in range(1, n):  # AR(1) with 0.9: a slowly wandering series, whose ACF wiggles
        persistent[t] = 0.9 * persistent[t - 1] + noise[t]
    values = {"noise": noise, "trend": 0.1 * np.arange(n) + noise, "random walk": np.cumsum(noise),
              "persistent": persistent, "line": 3.0 + 0.5 * np.arange(n), "constant": np.full(n, 4.0)}[kind]
    assert detected_season([values]) == 1


def test_too_little_data_detects_nothing():
    assert detected_season([]) == 1
    assert detected_season([np.array([1.0, 2.0, 1.0, 2.0, 1.0])]) == 1


def test_the_period_wins_over_its_multiples():
    # A pure cycle correlates as much at 24 as at 12; the period itself is the season.
    t = np.arange(600)
    assert detected_season([np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, 600)]) == 12


def test_given_beats_frequency_beats_data():
    parts = [cycle(240, 12)]
    assert chosen_season(5, "h", parts) == Season(5, "given")
    assert chosen_season(None, "30min", parts) == Season(48, "frequency")
    assert chosen_season(None, STEPS, parts) == Season(12, "detected")
    assert chosen_season(None, "YS-JAN", [rng.normal(size=60)]) == Season(1, "none")


# ------------------------------------------------------------------ through the CLI


def train(path, out, *extra) -> tuple[dict, str, str]:
    """Train a tiny model; returns its config.json, the summary table (stdout) and stderr."""
    result = ok(invoke("train", path, "--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--out", out, *extra))
    return json.loads((out / "config.json").read_text()), result.stdout, result.stderr


def test_half_hourly_data_gets_48_and_mase_against_seasonal_naive_at_48(tmp_path):
    n, holdout = 48 * 20, 96
    values = 10 + cycle(n, 48, amplitude=3.0, noise=0.3)
    path = tmp_path / "half_hourly.csv"
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=n, freq="30min"), "load": values}).to_csv(path, index=False)
    manifest, summary, stderr = train(path, tmp_path / "m", "--holdout", str(holdout))
    assert "season: 48 (from the frequency 30min)" in stderr
    assert "from the frequency 30min" in summary
    assert manifest["season"] == 48 and manifest["season_source"] == "frequency"
    assert manifest["horizon"] == 48  # the default horizon: a day
    assert manifest["network"]["season"] == 48
    # MASE's scale is seasonal naive's in-sample error at lag 48 over the fitted part.
    fitted = values[: n - holdout]
    scale = np.mean(np.abs(fitted[48:] - fitted[:-48]))
    assert manifest["series"]["load"]["mase_scale"] == pytest.approx(scale)
    assert scale < 0.5 * np.mean(np.abs(np.diff(fitted)))  # lag 1 would give another scale
    result = ok(invoke("evaluate", tmp_path / "m", "--data", path, "--output", tmp_path / "windows.csv", "--json"))
    windows = pd.read_csv(tmp_path / "windows.csv")
    first = windows.iloc[:48]  # the window from the training end: steps 1..48
    np.testing.assert_allclose(first["seasonal_naive"], values[n - holdout - 48: n - holdout])
    errors = np.abs(windows["actual"] - windows["seasonal_naive"]).mean()
    assert json.loads(result.stdout)["seasonal_naive"]["MASE"] == pytest.approx(errors / scale)


def test_an_integer_step_file_with_a_period_gets_it_detected_and_reported(tmp_path):
    path = tmp_path / "steps.csv"
    pd.DataFrame({"value": 50 + cycle(240, 12, amplitude=5.0, noise=1.0)}).to_csv(path, index=False)
    manifest, summary, stderr = train(path, tmp_path / "m")
    assert "season: 12 (detected in the data by autocorrelation)" in stderr
    assert "detected in the data by autocorrelation" in summary
    assert (manifest["season"], manifest["season_source"], manifest["horizon"]) == (12, "detected", 12)
    info = ok(invoke("info", tmp_path / "m"))
    assert "detected in the data by autocorrelation" in info.stdout
    forecast = pd.read_csv(pd.io.common.StringIO(ok(invoke("predict", tmp_path / "m", "--data", path)).stdout))
    assert forecast["timestamp"].tolist() == list(range(240, 252))


def test_season_given_on_the_command_line_overrides_detection(tmp_path):
    path = tmp_path / "steps.csv"
    pd.DataFrame({"value": 50 + cycle(240, 12, amplitude=5.0, noise=1.0)}).to_csv(path, index=False)
    result = ok(invoke("train", path, "--hidden-size", "8", "--num-layers", "1", "--epochs", "1",
                       "--out", tmp_path / "m", "--season", "6", "--json"))
    summary = json.loads(result.stdout)
    assert summary["season"] == 6 and summary["season chosen"] == "given with --season"


def test_yearly_data_gets_no_season(tmp_path):
    path = tmp_path / "yearly.csv"
    years = pd.date_range("1900-01-01", periods=120, freq="YS")
    pd.DataFrame({"date": years, "level": 100 + np.cumsum(rng.normal(0, 1, 120))}).to_csv(path, index=False)
    manifest, _, stderr = train(path, tmp_path / "m", "--horizon", "4")
    assert (manifest["season"], manifest["season_source"]) == (1, "none")
    assert "season: 1 (none found: not in the frequency, not in the data)" in stderr
    assert not any("detected" in line or "from the frequency" in line for line in stderr.splitlines())


def test_white_noise_on_integer_steps_gets_no_season(tmp_path):
    path = tmp_path / "noise.csv"
    pd.DataFrame({"value": rng.normal(0, 1, 300)}).to_csv(path, index=False)
    manifest, _, _ = train(path, tmp_path / "m")
    assert (manifest["season"], manifest["season_source"], manifest["horizon"]) == (1, "none", 10)


def test_the_holdout_is_not_looked_at_to_find_the_season():
    # A cycle only in the last 200 steps (the holdout) must not give a season.
    values = np.concatenate([rng.normal(0, 1, 400), cycle(200, 12, noise=0.1)])
    model = Forecaster(**TINY, holdout=200, horizon=6).fit(pd.DataFrame({"value": values}))
    assert (model.season_, model.season_source_) == (1, "none")


def test_a_model_saved_before_the_season_source_loads_and_shows_a_dash(tmp_path):
    path = tmp_path / "steps.csv"
    pd.DataFrame({"value": 50 + cycle(240, 12, amplitude=5.0, noise=1.0)}).to_csv(path, index=False)
    train(path, tmp_path / "m")
    config = tmp_path / "m" / "config.json"
    stored = json.loads(config.read_text())
    del stored["season_source"]
    config.write_text(json.dumps(stored))
    old = Forecaster.load(tmp_path / "m")
    assert (old.season_, old.season_source_) == (12, None)
    info = ok(invoke("info", tmp_path / "m")).stdout
    assert "season chosen" in info and "detected" not in info
    ok(invoke("predict", tmp_path / "m", "--data", path))


def test_a_damaged_season_source_is_refused(tmp_path):
    path = tmp_path / "steps.csv"
    pd.DataFrame({"value": 50 + cycle(240, 12, amplitude=5.0, noise=1.0)}).to_csv(path, index=False)
    train(path, tmp_path / "m")
    config = tmp_path / "m" / "config.json"
    stored = json.loads(config.read_text())
    stored["season_source"] = "guessed"
    config.write_text(json.dumps(stored))
    result = invoke("info", tmp_path / "m")
    assert result.exit_code == 2 and "season_source" in result.stderr
