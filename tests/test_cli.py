"""The CLI end to end (SPEC §2-§3): real sample files, real models, exit codes and both output streams.

Models are tiny and trained once per module; each test that damages or
replaces a model works on its own copy. `CliRunner` keeps stdout and stderr
apart (typer >= 0.29); a subprocess is used where a real process is needed:
`python -m forecaster`, Ctrl-C, and a traceback printed by `--debug`.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import typer.testing

import forecaster.cli
import forecaster.forecaster
import forecaster.loading
import forecaster.persistence
from forecaster.cli import app

from conftest import forecaster_process, invoke, leftovers, ok, snapshot, user_error

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data"
ENERGY = SAMPLES / "energy_hourly.csv"  # hourly, 2 gaps and 5 missing values: training prints a cleaning notice
SALES = SAMPLES / "sales_daily.csv"
LONG = SAMPLES / "stores_long.csv"
STEPS = SAMPLES / "sensor_steps.csv"  # no time column: the axis is the row number
TINY = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "2", "--batch-size", "64"]
POINT_METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")
INTERVALS = ["q0.025", "q0.1", "q0.9", "q0.975"]  # the default --levels 80,95
QUANTILE_COLUMNS = ["q0.025", "q0.1", "q0.5", "q0.9", "q0.975"]  # --quantiles 0.1,0.5,0.9 with the default levels
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HORIZON = 24  # the default horizon of an hourly series: its season
WINDOWS = 2  # --holdout 48 leaves two origins 24 steps apart


def train_tiny(data: Path, out: Path, *extra) -> typer.testing.Result:
    return ok(invoke("train", data, *TINY, "--out", out, "--quiet", *extra))


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Tiny models of energy_hourly's `load`: one with a 48-step holdout and quantiles, one plain."""
    root = tmp_path_factory.mktemp("models")
    trained = {"quantile": root / "quantile", "plain": root / "plain"}
    train_tiny(ENERGY, trained["quantile"], "--target", "load", "--holdout", "48", "--quantiles", "0.1,0.5,0.9")
    train_tiny(ENERGY, trained["plain"], "--target", "load")
    return trained


@pytest.fixture
def model_copy(models, tmp_path) -> Path:
    """A copy of the plain model that a test may damage or replace."""
    return Path(shutil.copytree(models["plain"], tmp_path / "model"))


# ------------------------------------------------------------------ help
@pytest.mark.parametrize("command", [[], ["train"], ["predict"], ["evaluate"], ["info"]])
def test_every_command_has_help(command):
    result = ok(invoke(*command, "--help"))
    assert "Usage" in result.stdout
    assert result.stderr == ""


def test_app_without_arguments_shows_help():
    result = invoke()
    assert result.exit_code in (0, 2)  # click's no_args_is_help exits 2 on newer versions
    assert "train" in result.output and "evaluate" in result.output


def test_python_dash_m_runs_the_cli():
    process = forecaster_process("--help")
    assert process.returncode == 0, process.stderr
    for command in ("train", "predict", "evaluate", "info"):
        assert command in process.stdout


# ----------------------------------------------------------------- train
def test_train_saves_weights_and_config(models):
    model = models["plain"]
    assert sorted(p.name for p in model.iterdir()) == ["config.json", "model.safetensors"]
    assert leftovers(model.parent) == []
    manifest = json.loads((model / "config.json").read_text())
    assert manifest["config"]["hidden_size"] == 8 and manifest["config"]["target"] == ["load"]
    assert manifest["horizon"] == HORIZON and manifest["season"] == 24
    assert len(manifest["history"]) == 2
    assert manifest["weights_sha256"] == forecaster.persistence.file_sha256(model / "model.safetensors")


def test_train_shows_summary_on_stdout_and_progress_on_stderr(tmp_path):
    result = ok(invoke("train", ENERGY, "--target", "load", *TINY, "--out", tmp_path / "m"))
    assert "training summary" in result.stdout and "best epoch" in result.stdout
    assert "epoch 2/2" in result.stderr and "epoch 2/2" not in result.stdout  # the progress bar's last state
    assert "inserted 2 missing timestamps" in result.stderr and "filled 5 missing values" in result.stderr


def test_train_default_out_is_models_slash_data_stem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = ok(invoke("train", STEPS, *TINY, "--quiet"))
    model = tmp_path / "models" / "sensor_steps"
    assert (model / "config.json").is_file() and (model / "model.safetensors").is_file()
    assert str(Path("models") / "sensor_steps") in result.stdout


def test_train_refuses_an_existing_model_without_force(model_copy):
    before = snapshot(model_copy)
    result = invoke("train", STEPS, *TINY, "--out", model_copy)
    user_error(result, str(model_copy), "--force")
    assert snapshot(model_copy) == before
    assert leftovers(model_copy.parent) == []


def test_train_force_replaces_an_existing_model(model_copy):
    ok(invoke("train", STEPS, *TINY, "--hidden-size", "4", "--out", model_copy, "--force", "--quiet"))
    manifest = json.loads((model_copy / "config.json").read_text())
    assert manifest["config"]["hidden_size"] == 4 and manifest["schema"]["targets"] == ["value"]
    assert sorted(p.name for p in model_copy.iterdir()) == ["config.json", "model.safetensors"]
    assert leftovers(model_copy.parent) == []


def test_train_force_keeps_the_old_model_when_training_fails(model_copy):
    before = snapshot(model_copy)
    user_error(invoke("train", ENERGY, "--target", "nope", *TINY, "--out", model_copy, "--force"), "nope")
    assert snapshot(model_copy) == before


def test_train_json_prints_only_json_on_stdout(tmp_path):
    result = ok(invoke("train", STEPS, *TINY, "--out", tmp_path / "m", "--json"))
    summary = json.loads(result.stdout)
    assert summary["model"] == str(tmp_path / "m")
    # The sensor's 25-step cycle is detected on its step axis, and the horizon defaults to it.
    assert summary["horizon"] == 25 and summary["epochs run"] == 2
    assert result.stderr == ""  # no progress bar with --json


def test_train_quiet_prints_nothing_on_stderr(tmp_path):
    result = ok(invoke("train", ENERGY, "--target", "load", *TINY, "--out", tmp_path / "m", "--quiet"))
    assert result.stderr == ""  # not even the cleaning notice
    assert "training summary" in result.stdout


def test_train_long_format(tmp_path):
    train_tiny(LONG, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["schema"]["layout"] == "long"
    assert sorted(manifest["series"]) == ["shop_1", "shop_2", "shop_3", "shop_4"]
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", tmp_path / "m", "--data", LONG)).stdout))
    assert frame.groupby("series").size().to_dict() == {f"shop_{i}": 7 for i in range(1, 5)}


def test_train_without_time_column_forecasts_row_numbers(tmp_path):
    train_tiny(STEPS, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["schema"]["time_col"] is None
    rows = len(pd.read_csv(STEPS))
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", tmp_path / "m", "--data", STEPS)).stdout))
    assert frame["timestamp"].tolist() == list(range(rows, rows + 25))  # the horizon: the detected season


def test_train_several_targets_make_one_global_model(tmp_path):
    train_tiny(SALES, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["schema"]["targets"] == ["store_a", "store_b", "store_c"]


def test_train_segment_wise_and_predict(tmp_path):
    train_tiny(ENERGY, tmp_path / "m", "--target", "load", "--segment", "4")
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["network"]["segment"] == 4 and manifest["lookback"] % 4 == 0
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", tmp_path / "m", "--data", ENERGY)).stdout),
                        parse_dates=["timestamp"])
    last = pd.to_datetime(pd.read_csv(ENERGY)["timestamp"]).iloc[-1]
    assert len(frame) == HORIZON and frame["timestamp"].iloc[0] == last + pd.Timedelta(hours=1)
    values = frame.drop(columns=["series", "timestamp"]).to_numpy()
    assert values.size and pd.notna(values).all() and (abs(values) < float("inf")).all()


def test_train_says_the_segment_it_chose_and_why(tmp_path):
    trained = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--out", tmp_path / "m"))
    assert "segment: 24 (the season; lookback 168 read as 7 segments)" in trained.stderr
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["network"]["segment"] == 24 and manifest["config"]["segment"] is None
    given = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--segment", "1", "--out", tmp_path / "m1",
                      "--json", "--quiet"))
    assert json.loads(given.stdout)["segment"] == 1
    short = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--lookback", "24", "--out", tmp_path / "m2"))
    assert "segment: 1 (lookback 24 is short: read step by step)" in short.stderr


def test_train_says_the_ensemble_it_chose_and_why(tmp_path):
    trained = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--out", tmp_path / "m"))
    assert "ensemble: 3 (every training window fits in one epoch: the median of three seeds' networks)" in trained.stderr
    # The load drops at weekends; the hour is what the seasonal base already repeats.
    assert "calendar: weekday (those explaining 10% or more of the change from a season before)" in trained.stderr
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["network"]["members"] == 3 and manifest["config"]["ensemble"] is None
    given = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--ensemble", "2", "--out", tmp_path / "m1"))
    assert "ensemble: 2 (given with --ensemble)" in given.stderr
    summary = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--ensemble", "2", "--out", tmp_path / "m1",
                        "--force", "--json", "--quiet"))
    assert json.loads(summary.stdout)["ensemble"] == 2
    short = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--lookback", "24", "--no-calendar",
                      "--out", tmp_path / "m2"))
    assert "ensemble: 1 (read step by step: one network)" in short.stderr
    assert "calendar: none (given with --no-calendar)" in short.stderr
    user_error(invoke("train", ENERGY, *TINY, "--ensemble", "two", "--out", tmp_path / "m3"), "--ensemble")


def test_train_refits_over_the_last_value_where_an_epoch_holds_every_window(tmp_path):
    last = [*TINY, "--target", "load", "--ensemble", "1", "--window-norm", "last"]
    trained = ok(invoke("train", ENERGY, *last, "--out", tmp_path / "m"))
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    # Two epochs and no early stop: the refit trains the best of them, which validation chose.
    best = manifest["best_epoch"]
    assert manifest["config"]["refit"] is None and manifest["refit_epochs"] == [best]
    assert (f"refit: {best} epochs (every training window fits in one epoch: trained again with the validation "
            "part's)") in trained.stderr
    summary = json.loads(ok(invoke("train", ENERGY, *last, "--out", tmp_path / "m", "--force", "--json",
                                   "--quiet")).stdout)
    assert summary["refit epochs"] == str(best)
    off = ok(invoke("train", ENERGY, *last, "--no-refit", "--out", tmp_path / "m1"))
    assert "refit: none (given with --no-refit)" in off.stderr
    assert json.loads((tmp_path / "m1" / "config.json").read_text())["refit_epochs"] == []
    few = ok(invoke("train", ENERGY, *last, "--windows-per-epoch", "100", "--out", tmp_path / "m2"))
    assert "refit: none (more training windows than an epoch samples: the early-stopped networks)" in few.stderr
    seasonal = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--ensemble", "1", "--out", tmp_path / "m3"))
    assert "refit: none (over a seasonal base: the early-stopped networks)" in seasonal.stderr
    given = ok(invoke("train", ENERGY, *TINY, "--target", "load", "--ensemble", "1", "--refit", "--out", tmp_path / "m4"))
    assert "epochs (given with --refit)" in given.stderr
    for model, shown in (("m", str(best)), ("m1", "none")):
        row = next(line for line in ok(invoke("info", tmp_path / model)).stdout.splitlines() if "refit epochs" in line)
        assert row.split("refit epochs")[1].strip(" │|") == shown


def test_info_shows_the_cpu_threads_a_model_trained_on(tmp_path):
    # The weights depend on the count to the last bit, and `--threads auto` picks it from the load.
    ok(invoke("train", ENERGY, *TINY, "--target", "load", "--ensemble", "1", "--threads", "1", "--out", tmp_path / "m"))
    assert json.loads((tmp_path / "m" / "config.json").read_text())["training_threads"] == 1
    row = next(line for line in ok(invoke("info", tmp_path / "m")).stdout.splitlines() if "trained on" in line)
    assert row.split("trained on")[1].strip(" │|") == "1 CPU thread"


def test_train_refuses_a_lookback_of_part_segments_naming_both_flags(tmp_path):
    user_error(invoke("train", ENERGY, *TINY, "--out", tmp_path / "m", "--lookback", "50", "--segment", "24"),
               "--lookback 50 is not a multiple of --segment 24")
    user_error(invoke("train", ENERGY, *TINY, "--out", tmp_path / "m", "--segment", "0"), "--segment")
    user_error(invoke("train", ENERGY, *TINY, "--out", tmp_path / "m", "--segment", "day"),
               "--segment must be a positive integer or auto, got 'day'")
    assert not (tmp_path / "m").exists()


# --------------------------------------------------------------- predict
def test_predict_prints_csv_when_stdout_is_not_a_terminal(models):
    result = ok(invoke("predict", models["plain"], "--data", ENERGY))
    frame = pd.read_csv(io.StringIO(result.stdout), parse_dates=["timestamp"])
    assert frame.columns.tolist() == ["series", "timestamp", "forecast", *INTERVALS]
    assert len(frame) == HORIZON and set(frame["series"]) == {"load"}
    last = pd.to_datetime(pd.read_csv(ENERGY)["timestamp"]).iloc[-1]
    assert frame["timestamp"].tolist() == list(pd.date_range(last + pd.Timedelta(hours=1), periods=HORIZON, freq="h"))
    assert frame["forecast"].notna().all()
    assert "inserted 2 missing timestamps" in result.stderr  # messages go to stderr, never into the CSV


def test_predict_prints_a_table_at_a_terminal(models, monkeypatch):
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    result = ok(invoke("predict", models["plain"], "--data", ENERGY, "--horizon", "3"))
    assert "forecast" in result.stdout and "series,timestamp" not in result.stdout
    assert result.stdout.count("2024-") == 3


def test_predict_output_writes_long_csv_with_quantile_columns(models, tmp_path):
    out = tmp_path / "forecast.csv"
    result = ok(invoke("predict", models["quantile"], "--data", ENERGY, "--output", out))
    assert result.stdout == ""  # the forecast went to the file
    assert f"wrote {HORIZON} rows to {out}" in result.stderr
    frame = pd.read_csv(out)
    assert frame.columns.tolist() == ["series", "timestamp", "forecast", *QUANTILE_COLUMNS]
    assert len(frame) == HORIZON
    assert (frame[QUANTILE_COLUMNS].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    assert leftovers(tmp_path) == []


def test_predict_output_refuses_an_existing_file_without_force(models, tmp_path):
    out = tmp_path / "forecast.csv"
    out.write_text("keep me\n")
    user_error(invoke("predict", models["plain"], "--data", ENERGY, "--output", out), str(out), "--force")
    assert out.read_text() == "keep me\n"
    ok(invoke("predict", models["plain"], "--data", ENERGY, "--output", out, "--force"))
    assert pd.read_csv(out).columns.tolist() == ["series", "timestamp", "forecast", *INTERVALS]


def test_predict_failure_leaves_no_output_file(models, tmp_path):
    out = tmp_path / "forecast.csv"
    user_error(invoke("predict", models["plain"], "--data", ENERGY, "--output", out, "--horizon", "30"),
               only_line=False)
    assert list(tmp_path.iterdir()) == []


def test_predict_horizon_up_to_the_trained_one(models):
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", models["plain"], "--data", ENERGY, "--horizon", "6")).stdout))
    assert len(frame) == 6


@pytest.mark.parametrize("horizon", ["30", "0"])
def test_predict_horizon_outside_the_trained_one_is_refused(models, horizon):
    result = invoke("predict", models["plain"], "--data", ENERGY, "--horizon", horizon, "--quiet")
    user_error(result, "--horizon", str(HORIZON), horizon)


def test_predict_plot_writes_a_png(models, tmp_path):
    plot = tmp_path / "forecast.png"
    result = ok(invoke("predict", models["quantile"], "--data", ENERGY, "--plot", plot))
    assert plot.read_bytes()[:8] == PNG_MAGIC
    assert f"wrote {plot}" in result.stderr
    assert len(pd.read_csv(io.StringIO(result.stdout))) == HORIZON  # the forecast is still printed


def test_predict_plot_refuses_an_existing_file_without_force(models, tmp_path):
    plot = tmp_path / "forecast.png"
    plot.write_bytes(b"mine")
    user_error(invoke("predict", models["plain"], "--data", ENERGY, "--plot", plot), str(plot))
    assert plot.read_bytes() == b"mine"


@pytest.mark.parametrize(("levels", "columns"), [("80", ["q0.1", "q0.9"]), ("none", []), ("95,80", INTERVALS)])
def test_predict_levels_pick_among_the_calibrated_intervals(models, levels, columns):
    result = ok(invoke("predict", models["plain"], "--data", ENERGY, "--levels", levels))
    assert pd.read_csv(io.StringIO(result.stdout)).columns.tolist() == ["series", "timestamp", "forecast", *columns]


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_levels_that_were_not_calibrated_are_refused_with_the_fix(models, command):
    result = invoke(command, models["plain"], "--data", ENERGY, "--levels", "90")
    user_error(result, "--levels 90", "80, 95", "retrain with --levels 90")
    user_error(invoke(command, models["plain"], "--data", ENERGY, "--levels", "eighty"), "--levels", "eighty")


def test_evaluate_levels_score_only_the_asked_intervals(models):
    scores = evaluate_json(models["plain"], "--start", "2024-04-20", "--levels", "95")
    assert scores["intervals"] == {"95": "cqr"}  # energy load has a seasonal base: its levels' bounds are trained
    assert "MSIS_95" in scores["model"] and "MSIS_80" not in scores["model"] and "MSIS_80" not in scores["seasonal_naive"]
    # The trained 0.1 and 0.9 quantiles stay in the output: they are scored, as uncalibrated.
    assert evaluate_json(models["quantile"], "--levels", "95")["intervals"] == {"80": "trained", "95": "split"}


def test_train_levels_calibrate_the_asked_intervals(tmp_path):
    result = ok(invoke("train", STEPS, *TINY, "--out", tmp_path / "m", "--levels", "50,90", "--json"))
    # The sensor's detected 25-step season makes the base seasonal naive, whose automatic quantiles CQR calibrates.
    assert json.loads(result.stdout)["intervals"] == "50 % (cqr), 90 % (cqr)"
    stored = json.loads((tmp_path / "m" / "config.json").read_text())
    assert list(stored["calibration"]) == ["50", "90"] and stored["config"]["levels"] == [50.0, 90.0]
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", tmp_path / "m", "--data", STEPS)).stdout))
    assert frame.columns.tolist()[3:] == ["q0.05", "q0.25", "q0.75", "q0.95"]


def test_train_warns_when_too_few_windows_calibrate_a_level(tmp_path):
    result = ok(invoke("train", STEPS, *TINY, "--horizon", "5", "--val-size", "14", "--levels", "95", "--out", tmp_path / "m"))
    assert "warning:" in result.stderr and "95 %" in result.stderr and "--val-size" in result.stderr


def test_predict_json_matches_the_csv(models):
    records = json.loads(ok(invoke("predict", models["quantile"], "--data", ENERGY, "--json")).stdout)
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", models["quantile"], "--data", ENERGY)).stdout))
    assert [set(r) for r in records] == [{"series", "timestamp", "forecast", *QUANTILE_COLUMNS}] * HORIZON
    assert [r["forecast"] for r in records] == pytest.approx(frame["forecast"].tolist())
    assert pd.to_datetime([r["timestamp"] for r in records]).tolist() == pd.to_datetime(frame["timestamp"]).tolist()


# -------------------------------------------------------------- evaluate
def evaluate_json(model: Path, *args) -> dict:
    return json.loads(ok(invoke("evaluate", model, "--data", ENERGY, "--json", *args)).stdout)


def test_evaluate_json_has_the_spec_keys(models):
    scores = evaluate_json(models["quantile"])
    assert {"horizon", "windows", "model", "naive", "seasonal_naive"} <= set(scores)
    assert scores["horizon"] == HORIZON and scores["windows"] == WINDOWS
    for name in ("model", "naive", "seasonal_naive"):
        for metric in POINT_METRICS:
            assert isinstance(scores[name][metric], float) and scores[name][metric] >= 0, (name, metric)
    for name in ("model", "seasonal_naive"):
        for metric in ("coverage", "width", "pinball", "MSIS", "ACD"):
            for level in ("80", "95"):
                assert isinstance(scores[name][f"{metric}_{level}"], float), (name, metric, level)
    assert scores["intervals"] == {"80": "cqr", "95": "split"}


def test_evaluate_table_on_stdout(models):
    result = ok(invoke("evaluate", models["quantile"], "--data", ENERGY))
    for text in (f"{WINDOWS} windows x {HORIZON} steps", "seasonal naive", "MASE", "prediction intervals", "MSIS",
                 "ACD", "80 %", "95 %", "model (CQR)", "model (split)",
                 "MAE by horizon step", "skill vs seasonal naive"):
        assert text in result.stdout, text
    assert "inserted 2 missing timestamps" in result.stderr and "inserted" not in result.stdout


def test_evaluate_output_has_one_row_per_window_and_step(models, tmp_path):
    out = tmp_path / "backtest.csv"
    result = ok(invoke("evaluate", models["quantile"], "--data", ENERGY, "--output", out, "--json"))
    scores = json.loads(result.stdout)
    frame = pd.read_csv(out, parse_dates=["origin", "timestamp"])
    assert frame.columns[:6].tolist() == ["series", "origin", "timestamp", "step", "actual", "forecast"]
    assert [c for c in frame.columns if c.startswith("q")] == QUANTILE_COLUMNS
    assert len(frame) == WINDOWS * HORIZON
    assert frame["step"].tolist() == list(range(1, HORIZON + 1)) * WINDOWS
    assert (frame["timestamp"] - frame["origin"] == pd.to_timedelta(frame["step"] - 1, unit="h")).all()
    # The file and the scores describe the same forecasts.
    assert (frame["actual"] - frame["forecast"]).abs().mean() == pytest.approx(scores["model"]["MAE"])
    assert (frame["actual"] - frame["seasonal_naive"]).abs().mean() == pytest.approx(scores["seasonal_naive"]["MAE"])
    data = pd.read_csv(ENERGY, parse_dates=["timestamp"]).set_index("timestamp")["load"]
    known = frame[frame["timestamp"].isin(data.dropna().index)]
    assert known["actual"].to_numpy() == pytest.approx(data.loc[known["timestamp"]].to_numpy())
    assert f"wrote {WINDOWS * HORIZON} rows to {out}" in result.stderr


@pytest.mark.parametrize(("args", "windows"), [
    (["--stride", "12"], 3),
    (["--folds", "1"], 1),
    (["--stride", "6", "--folds", "2"], 2),
])
def test_evaluate_stride_and_folds(models, args, windows):
    assert evaluate_json(models["quantile"], *args)["windows"] == windows


@pytest.mark.parametrize("flag", ["--stride", "--folds"])
def test_evaluate_refuses_a_stride_or_folds_of_zero(models, flag):
    user_error(invoke("evaluate", models["quantile"], "--data", ENERGY, flag, "0", "--quiet"), flag)


def test_evaluate_retrain_refits_per_origin(models):
    scores = evaluate_json(models["quantile"], "--retrain", "--folds", "1")
    assert scores["windows"] == 1 and scores["retrained"] is True
    assert all(isinstance(scores["model"][m], float) for m in POINT_METRICS)


def test_evaluate_without_holdout_says_how_to_get_one(models):
    message = user_error(invoke("evaluate", models["plain"], "--data", ENERGY, "--quiet"))
    assert "--holdout" in message and "--start" in message and str(ENERGY) in message


def test_evaluate_start_scores_in_sample(models):
    scores = evaluate_json(models["plain"], "--start", "2024-04-25 00:00")
    assert scores["windows"] == 5  # 2024-04-25 00:00 .. 04-29 00:00, the last origin with 24 actuals
    assert scores["horizon"] == HORIZON


def test_evaluate_plot_writes_a_png(models, tmp_path):
    plot = tmp_path / "backtest.png"
    result = ok(invoke("evaluate", models["quantile"], "--data", ENERGY, "--plot", plot))
    assert plot.read_bytes()[:8] == PNG_MAGIC
    assert f"wrote {plot}" in result.stderr


def test_evaluate_json_stays_valid_when_a_score_is_undefined(tmp_path):
    # A constant series has no MASE scale and an all-zero one has no MAPE: null, never NaN (not JSON).
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    pd.DataFrame({"date": days, "flat": 5.0, "zero": 0.0}).to_csv(tmp_path / "flat.csv", index=False)
    summary = ok(invoke("train", tmp_path / "flat.csv", *TINY, "--holdout", "14", "--out", tmp_path / "m", "--json"))
    assert json.loads(summary.stdout, parse_constant=_refuse)["val MASE"] is None
    scores = ok(invoke("evaluate", tmp_path / "m", "--data", tmp_path / "flat.csv", "--json")).stdout
    scores = json.loads(scores, parse_constant=_refuse)
    assert scores["model"]["MASE"] is None and scores["skill_vs_seasonal_naive"] is None
    table = ok(invoke("evaluate", tmp_path / "m", "--data", tmp_path / "flat.csv")).stdout
    assert "skill vs seasonal naive: n/a" in table and "nan" not in table


def _refuse(constant: str):
    raise ValueError(f"{constant} is not JSON")


# ------------------------------------------------------------------ info
def test_info_shows_the_settings(models):
    result = ok(invoke("info", models["quantile"]))
    for text in (str(models["quantile"]), "settings", "hidden_size", "holdout", "24 / 24", "0.1, 0.5, 0.9",
                 "season / log", "training history", "validation"):  # the energy load: seasonal base, log
        assert text in result.stdout, text
    assert result.stderr == ""


def test_info_json_is_the_config_file(models):
    result = ok(invoke("info", models["plain"], "--json"))
    assert json.loads(result.stdout) == json.loads((models["plain"] / "config.json").read_text())


def _main_with(argv: list, monkeypatch, capsys) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the console-script entry point main() on `argv`."""
    from forecaster.cli import main

    monkeypatch.setattr(sys, "argv", ["forecaster", *map(str, argv)])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", [
    ["info", "MODEL"], ["info", "MODEL", "--json"], ["info", "--json", "MODEL"], ["info", "MISSING"],
    ["info", "DAMAGED"], ["info", "MODEL", "--json", "--json"],
])
def test_info_fast_path_matches_typer(models, tmp_path, monkeypatch, capsys, argv):
    # main() runs a plain `info` without Typer's parsing (start-up time); what it prints and returns must not change.
    damaged = Path(shutil.copytree(models["plain"], tmp_path / "damaged"))
    (damaged / "config.json").write_text("{")
    paths = {"MODEL": models["plain"], "MISSING": tmp_path / "missing", "DAMAGED": damaged}
    argv = [paths.get(arg, arg) for arg in argv]
    assert forecaster.cli._fast_info_args([str(a) for a in argv]) is not None
    expected = invoke(*argv)
    assert _main_with(argv, monkeypatch, capsys) == (expected.exit_code, expected.stdout, expected.stderr)


@pytest.mark.parametrize("args", [
    ["info"], ["info", "--help"], ["info", "M", "--debug"], ["info", "M", "N"], ["info", "-"], ["info", "--", "M"],
    ["info", "M", "--json=1"], ["train", "M"], ["--help", "info", "M"], [],
])
def test_info_fast_path_leaves_everything_else_to_typer(args):
    assert forecaster.cli._fast_info_args(args) is None


def test_info_fast_path_leaves_a_completion_request_to_typer(monkeypatch):
    monkeypatch.setenv("_FORECASTER_COMPLETE", "bash_complete")
    assert forecaster.cli._fast_info_args(["info", "M"]) is None


def test_info_fast_path_errors_match_typer(models, monkeypatch, capsys):
    monkeypatch.setattr(forecaster.loading, "read_manifest", _boom)
    expected = invoke("info", models["plain"])
    assert _main_with(["info", models["plain"]], monkeypatch, capsys) == (1, "", expected.stderr)


def test_info_imports_neither_torch_nor_pandas_nor_pydantic(models):
    # What makes `forecaster info` start in a fraction of a second (issue 7).
    script = ("import sys\nfrom forecaster.cli import main\nsys.argv = ['forecaster', 'info', sys.argv[1]]\nmain()\n"
              "print(sorted(m for m in ('torch', 'pandas', 'numpy', 'pydantic') if m in sys.modules), file=sys.stderr)")
    process = subprocess.run([sys.executable, "-c", script, str(models["plain"])],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert process.stderr.strip() == "[]"


# ---------------------------------------------------- exit codes: bad input
@pytest.mark.parametrize(("args", "fragments"), [
    (["missing.csv"], ["missing.csv"]),
    ([ENERGY, "--target", "nope"], ["'nope'", "--target"]),
    ([ENERGY, "--horizon", "0"], ["--horizon", "0"]),
    ([ENERGY, "--dropout", "1.5"], ["--dropout", "1.5"]),
    ([ENERGY, "--cell", "foo"], ["--cell", "foo"]),
    ([ENERGY, "--quantiles", "0.1,x"], ["--quantiles"]),
    ([ENERGY, "--quantiles", "0.5,1.5"], ["--quantiles", "1.5"]),
    ([ENERGY, "--levels", "80,100"], ["--levels", "100"]),
    ([ENERGY, "--levels", "0.8,x"], ["--levels"]),
    ([ENERGY, "--lr", "0"], ["--lr"]),
    ([ENERGY, "--fill", "guess"], ["--fill", "guess"]),
    ([ENERGY, "--device", "tpu"], ["--device", "tpu"]),
    ([ENERGY, "--freq", "bogus"], ["bogus"]),
    ([SALES, "--target", "store_a", "--horizon", "700"], ["--horizon"]),  # a target named: no note of guessed series
])
def test_train_bad_input_exits_2_with_one_line(tmp_path, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    user_error(invoke("train", *args, *TINY, "--out", tmp_path / "m"), *fragments)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("args", [["--hidden-size", "abc"], ["--no-such-flag"], []])
def test_unparsable_arguments_exit_2_without_traceback(args):
    result = invoke("train", *([ENERGY] if args else []), *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.stdout == ""


def test_predict_missing_data_file(models):
    user_error(invoke("predict", models["plain"], "--data", "missing.csv"), "missing.csv")


def test_predict_data_without_the_trained_columns(models):
    user_error(invoke("predict", models["plain"], "--data", SALES), str(SALES), "'timestamp'")


def damage_config(model: Path, edit) -> None:
    path = model / "config.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def tamper_weights(model: Path) -> None:
    weights = bytearray((model / "model.safetensors").read_bytes())
    weights[-1] ^= 0xFF  # a flipped bit in the last tensor value
    (model / "model.safetensors").write_bytes(bytes(weights))


DAMAGES = {
    "missing directory": (lambda m: shutil.rmtree(m), "no such model directory"),
    "a file, not a directory": (lambda m: shutil.rmtree(m) or m.write_text("x"), "not a model directory"),
    "no config.json": (lambda m: (m / "config.json").unlink(), "no config.json"),
    "config not JSON": (lambda m: (m / "config.json").write_text("{"), "not valid JSON"),
    "config without a key": (lambda m: damage_config(m, lambda c: c.pop("network")), "missing network"),
    "newer format": (lambda m: damage_config(m, lambda c: c.update(format_version=99)), "upgrade forecaster"),
    "no weights": (lambda m: (m / "model.safetensors").unlink(), "no model.safetensors"),
    "weights edited": (tamper_weights, "checksum mismatch"),
    "weights of another shape": (lambda m: damage_config(m, lambda c: c["network"].update(hidden_size=16)),
                                 "do not fit together"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_model_exits_2_with_one_line(model_copy, damage):
    harm, fragment = DAMAGES[damage]
    harm(model_copy)
    user_error(invoke("predict", model_copy, "--data", ENERGY), str(model_copy), fragment)
    user_error(invoke("evaluate", model_copy, "--data", ENERGY), str(model_copy), fragment)


def test_info_on_a_damaged_config_exits_2(model_copy):
    (model_copy / "config.json").write_text("{")
    user_error(invoke("info", model_copy), "not valid JSON")


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_unknown_device_on_a_saved_model_exits_2(models, command):
    user_error(invoke(command, models["quantile"], "--data", ENERGY, "--device", "tpu"), "--device", "tpu")


@pytest.mark.parametrize(("model", "data", "start"), [
    ("quantile", ENERGY, "foo"),
    ("quantile", ENERGY, "12"),
    ("steps", STEPS, "2.5"),
    ("steps", STEPS, "2024-01-01"),
])
def test_unparsable_start_exits_2(models, tmp_path, model, data, start):
    if model == "steps":
        train_tiny(STEPS, tmp_path / "steps")
    path = tmp_path / "steps" if model == "steps" else models[model]
    user_error(invoke("evaluate", path, "--data", data, "--start", start, "--quiet"), "--start", start)


def test_ctrl_c_during_validation_still_saves_the_best_epoch(tmp_path, monkeypatch):
    import forecaster.training

    calls = []
    validation_loss = forecaster.training.mean_loss

    def interrupted_second_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return validation_loss(*args, **kwargs)

    monkeypatch.setattr(forecaster.training, "mean_loss", interrupted_second_time)
    result = invoke("train", STEPS, *TINY, "--epochs", "5", "--out", tmp_path / "m", "--quiet")
    assert result.exit_code == 130
    assert json.loads((tmp_path / "m" / "config.json").read_text())["best_epoch"] == 1


def test_outputs_get_the_usual_file_permissions(models, tmp_path):
    previous = os.umask(0o022)
    try:
        train_tiny(STEPS, tmp_path / "m")
        ok(invoke("predict", models["plain"], "--data", ENERGY, "--output", tmp_path / "f.csv", "--quiet"))
    finally:
        os.umask(previous)
    written = [tmp_path / "m", *(tmp_path / "m").iterdir(), tmp_path / "f.csv"]
    modes = {p.name: p.stat().st_mode & 0o777 for p in written}
    assert modes == {"m": 0o755, "config.json": 0o644, "model.safetensors": 0o644, "f.csv": 0o644}


# ------------------------------------------------------- exit codes: bugs
def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def test_a_bug_exits_1_with_a_hint_at_debug(models, monkeypatch):
    monkeypatch.setattr(forecaster.loading, "read_manifest", _boom)
    result = invoke("info", models["plain"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert "RuntimeError: boom" in result.stderr and "--debug" in result.stderr


def test_a_bug_in_training_exits_1_and_saves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(forecaster.forecaster.Forecaster, "fit", _boom)
    result = invoke("train", STEPS, *TINY, "--out", tmp_path / "m")
    assert result.exit_code == 1 and "RuntimeError: boom" in result.stderr
    assert not (tmp_path / "m").exists()


def test_debug_lets_a_bug_raise(models, monkeypatch):
    monkeypatch.setattr(forecaster.loading, "read_manifest", _boom)
    with pytest.raises(RuntimeError, match="boom"):
        invoke("info", models["plain"], "--debug", catch_exceptions=False)


def test_debug_lets_a_user_error_raise(tmp_path):
    from forecaster.errors import ForecasterError

    with pytest.raises(ForecasterError, match="missing.csv"):
        invoke("train", tmp_path / "missing.csv", "--out", tmp_path / "m", "--debug", catch_exceptions=False)


def test_debug_prints_the_traceback_in_a_real_process(models):
    # A bug planted in a real process: without --debug one line, with it Python's own traceback.
    script = ("import sys, forecaster.loading as p\n"
              "def boom(*a, **k): raise RuntimeError('boom')\n"
              "p.read_manifest = boom\n"
              "from forecaster.cli import main\n"
              "sys.argv = ['forecaster', *sys.argv[1:]]\n"
              "main()\n")
    quiet = subprocess.run([sys.executable, "-c", script, "info", str(models["plain"])],
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    loud = subprocess.run([sys.executable, "-c", script, "info", str(models["plain"]), "--debug"],
                          capture_output=True, text=True, timeout=120)
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.stderr and "RuntimeError: boom" in loud.stderr


# ------------------------------------------------- exit codes: interrupted
def _epochs_shown(progress: str) -> bool:
    """Whether the bar shows a second epoch: the first has ended (the bar may skip a number between refreshes)."""
    return any(int(epoch) >= 2 for epoch in re.findall(r"epoch (\d+)/", progress))


@pytest.mark.slow
def test_ctrl_c_saves_the_best_epoch_and_exits_130(tmp_path):
    model, log = tmp_path / "m", tmp_path / "stderr.txt"
    # rich draws its progress bar only to a terminal; these make it draw to the log file too,
    # so that the test can see the first epoch end instead of guessing with a sleep.
    env = {**os.environ, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "120", "OMP_NUM_THREADS": "1"}
    args = ["train", ENERGY, "--target", "load", "--hidden-size", "8", "--num-layers", "1", "--batch-size", "64",
            "--epochs", "100000", "--patience", "0", "--val-size", "24", "--out", model]
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "forecaster", *map(str, args)],
                                   stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
        try:
            deadline = time.monotonic() + 90
            while not _epochs_shown(log.read_text()) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert process.poll() is None, f"training ended on its own:\n{log.read_text()}"
            assert _epochs_shown(log.read_text()), f"no epoch ended within 90 s:\n{log.read_text()}"
            process.send_signal(signal.SIGINT)
            stdout, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    messages = log.read_text()
    assert process.returncode == 130, messages
    assert "Traceback" not in messages and "interrupted: saved the best weights" in messages
    assert re.search(r"stopped\s*.*interrupted", stdout)
    manifest = json.loads((model / "config.json").read_text())
    assert manifest["stopped"] == "interrupted" and manifest["best_epoch"] >= 1
    ok(invoke("predict", model, "--data", ENERGY, "--horizon", "3"))  # the saved model loads: checksum and all


def test_train_has_an_option_for_every_setting_whose_default_is_configs():
    import dataclasses

    from typer.main import get_command

    from forecaster.cli.training import PARSED
    from forecaster.config import Config

    options = {param.name: param for param in get_command(app).commands["train"].params}
    for setting in dataclasses.fields(Config):
        assert setting.name in options, f"train has no option for the setting {setting.name}"
        expected = setting.default if setting.default is not dataclasses.MISSING else setting.default_factory()
        given = PARSED.get(setting.name, lambda value: value)(options[setting.name].default)
        assert given == expected, f"--{setting.name.replace('_', '-')} defaults to {given!r}, Config to {expected!r}"


def test_a_library_error_names_the_setting_and_the_cli_the_flag(tmp_path):
    from forecaster import Forecaster
    from forecaster.errors import ConfigError

    with pytest.raises(ConfigError, match="^`horizon` must be a positive integer") as refused:
        Forecaster(horizon=0)
    assert "--" not in str(refused.value)
    message = user_error(invoke("train", STEPS, "--horizon", "0", "--out", tmp_path / "m"))
    assert "--horizon must be a positive integer" in message and "`" not in message
