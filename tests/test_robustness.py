"""Bad input, damaged files and interruptions, through the real CLI (issue 5; SPEC §3, §4).

Whatever comes in, forecaster either works and says on stderr what it fixed, or exits 2 with one line that
names the file, column, row or value and the fix; it never shows a traceback, never runs code from a model
file, and never leaves a half-written model or output file. Loader-level cases live in test_data.py and
test_timestamps.py, the first model-damage cases in test_cli.py; this file adds the rest of the matrix. Models
are tiny (hidden 8, one epoch) on a 120-step hourly series; a subprocess is used where a real kill is needed.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import forecaster.training
from forecaster.persistence import file_sha256

from conftest import invoke, leftovers, ok, snapshot, user_error

TINY = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--batch-size", "64", "--lookback", "6", "--horizon", "3"]
STEPS = 120
HORIZON = 3
HOLDOUT = 6  # two evaluate windows after the training end




def hourly(values=None, periods: int = STEPS, **columns) -> pd.DataFrame:
    """A wide hourly frame; by default one series `v` of a clean, learnable cycle between 1 and 3."""
    time_index = pd.date_range("2024-01-01", periods=periods, freq="h")
    if values is None and not columns:
        values = 2 + np.sin(np.arange(periods) / 3)
    return pd.DataFrame({"date": time_index, **({"v": values} if values is not None else {}), **columns})


def csv_file(tmp_path: Path, frame: pd.DataFrame | str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(frame, pd.DataFrame):
        frame.to_csv(path, index=False)
    elif isinstance(frame, str):
        path.write_text(frame, encoding="utf-8")
    else:
        path.write_bytes(frame)
    return path


def train(data: Path, out: Path, *extra):
    return invoke("train", data, *TINY, "--out", out, *extra)


def forecasts(result) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(ok(result).stdout))


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    return csv_file(tmp_path_factory.mktemp("data"), hourly())


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_file) -> Path:
    """A tiny model of `data_file` with a holdout, so that evaluate has windows to score."""
    model = tmp_path_factory.mktemp("models") / "m"
    ok(train(data_file, model, "--holdout", HOLDOUT, "--quiet"))
    return model


@pytest.fixture
def model_copy(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "model"))


# ================================================================ data files
def _lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def _dated(values: list[str], start: str = "2024-01-01", freq: str = "D") -> str:
    dates = pd.date_range(start, periods=len(values), freq=freq)
    return _lines("date,v", *(f"{d.date() if freq == 'D' else d},{v}" for d, v in zip(dates, values)))


REFUSED_FILES = {
    "empty": ("", ["empty", "header row"]),
    "header only": ("date,v\n", ["no data rows"]),
    "binary garbage": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x10", ["not a UTF-8 text file"]),
    "NUL bytes in text": (b"date,v\x00\x01\x02\x00\n2024-01-01,1\n", ["binary content"]),
    "latin-1": ("date,café\n2024-01-01,1\n2024-01-02,2\n".encode("latin-1"), ["not a UTF-8 text file", "UTF-8"]),
    "UTF-16 without a byte-order mark": ("date,v\n2024-01-01,1\n2024-01-02,2\n".encode("utf-16-le"), ["UTF-16"]),
    "ragged row": (_lines("date,v", "2024-01-01,1", "2024-01-02,2,3", "2024-01-03,3"), ["line 3"]),
    "text in a value column": (_dated(["1", "2", "abc", "4"]), ["column 'v'", "'abc' at line 4", "not a number"]),
    # Beside a decimal point the commas are not certainly decimal marks (an unambiguous file is read: test_reading).
    "decimal commas": (_lines("date;v;w", "2024-01-01;1,5;0.5", "2024-01-02;2,5;0.5", "2024-01-03;3,5;0.5"),
                       ["'1,5' at line 2", "decimal point", "--decimal ,"]),
    "infinity": (_dated(["1", "inf", "3", "4"]), ["column 'v'", "infinite value at line 3"]),
    "overflowing number": (_dated(["1", "2", "1e400", "4"]), ["infinite value at line 4"]),
    # Enough rows to be checked for a row counter first: that check must not print numpy's warning about the infinity.
    "infinity in a long column": (_dated(["inf", *map(str, range(2, 13))]), ["infinite value at line 2"]),
    "the largest numbers in a long column": (_dated(["1.7e308", "-1.7e308", *map(str, range(3, 13))]),
                                             ["1.7e+308 at line 2", "power of ten"]),
    "huge magnitude": (_dated(["1e300", "2e300", "3e300", "4e300"]), ["1e+300 at line 2", "power of ten"]),
    "all-missing series": (_lines("date,a,b", "2024-01-01,1,", "2024-01-02,2,", "2024-01-03,3,"),
                           ["series 'b' has no values at all"]),
    "duplicate timestamp": (_lines("date,v", "2024-01-01,1", "2024-01-02,2", "2024-01-02,3", "2024-01-03,4"),
                            ["series 'v'", "2024-01-02", "more than once", "aggregate"]),
    "unparseable timestamp": (_lines("date,v", "2024-01-01,1", "2024-01-02,2", "the 3rd,3", "2024-01-04,4"),
                              ["column 'date'", "'the 3rd' at line 4", "not a date"]),
    "UTC offset on some rows only": (_lines("date,v", "2024-01-01T00:00+01:00,1", "2024-01-01T01:00,2",
                                            "2024-01-01T02:00+01:00,3"),
                                     ["column 'date'", "line 2 with a UTC offset", "line 3 without one"]),
    "irregular timestamps": (_lines("date,v", "2024-01-01 00:00,1", "2024-01-01 01:00,2", "2024-01-01 02:00,3",
                                    "2024-01-01 02:20,4", "2024-01-01 03:00,5", "2024-01-01 04:00,6"),
                             ["2024-01-01 02:20:00", "off the 'h' grid", "resample"]),
    "stray date": (_lines("date,v", *(f"2024-01-01 {h:02d}:00,{h}" for h in range(10)), "2204-01-01 00:00,10"),
                   ["series 'v'", "2204-01-01", "stray date"]),
    "shorter than one window": (_dated(["1", "2", "3", "4", "5"]), ["series 'v' has 5 steps, too short", "give more data"]),
    "empty series id": (_lines("unique_id,ds,y", "A,2024-01-01,1", ",2024-01-02,2", "A,2024-01-03,3"),
                        ["column 'unique_id' is empty at line 3"]),
}


@pytest.mark.filterwarnings("error")  # a warning would print lines of its own beside the one line of the error
@pytest.mark.parametrize("case", list(REFUSED_FILES))
def test_a_bad_data_file_is_refused_with_one_line_naming_it(tmp_path, case):
    content, fragments = REFUSED_FILES[case]
    data = csv_file(tmp_path, content)
    user_error(train(data, tmp_path / "m"), str(data), *fragments)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("settings", "fragments"), [
    (["--target", "date"], ["--target 'date' is the time column", "v"]),
    (["--time-col", "v", "--target", "v"], ["--target 'v' is the time column"]),
])
def test_a_target_that_is_the_time_column_is_refused(tmp_path, data_file, settings, fragments):
    user_error(train(data_file, tmp_path / "m", *settings), *fragments)


def test_a_long_file_with_its_id_column_as_target_is_refused(tmp_path):
    data = csv_file(tmp_path, _lines("unique_id,ds,y", "A,2024-01-01,1", "A,2024-01-02,2", "A,2024-01-03,3"))
    user_error(train(data, tmp_path / "m", "--target", "unique_id"), "'unique_id' is the series id column")


def test_an_unreadable_data_file_is_refused(tmp_path, data_file, monkeypatch):
    data = Path(shutil.copy(data_file, tmp_path / "locked.csv"))
    data.chmod(0)
    if os.geteuid() == 0:  # root reads every file: let the system refuse as it would anyone else
        def refused(path):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr("forecaster.data.reading._seekable", refused)
    user_error(train(data, tmp_path / "m"), str(data), "not allowed to read it", "permissions")


# --------------------------------------------------- works, and says what it fixed
def test_unsorted_rows_are_sorted_and_said_so(tmp_path, trained):
    frame = hourly()
    shuffled = csv_file(tmp_path, frame.sample(frac=1, random_state=0), "shuffled.csv")
    result = ok(train(shuffled, tmp_path / "m"))
    assert f"{shuffled}: sorted the rows by column 'date' (they were out of order)" in result.stderr
    # The model sees the same series either way: forecasts from the shuffled file equal the sorted one's.
    tidy = csv_file(tmp_path, frame, "tidy.csv")
    assert forecasts(invoke("predict", trained, "--data", shuffled)).equals(forecasts(invoke("predict", trained, "--data", tidy)))


def test_mixed_utc_offsets_are_converted_to_utc_and_said_so(tmp_path):
    # Summer time: the same hourly instants, written with +01:00 and then +02:00.
    times = pd.date_range("2024-03-30 12:00", periods=60, freq="h", tz="Europe/Paris")
    data = csv_file(tmp_path, pd.DataFrame({"date": [t.isoformat() for t in times], "v": 2 + np.sin(np.arange(60) / 3)}))
    result = ok(train(data, tmp_path / "m"))
    assert "converted the timestamps of column 'date', which have different UTC offsets, to UTC" in result.stderr
    frame = forecasts(invoke("predict", tmp_path / "m", "--data", data))
    assert pd.Timestamp(frame["timestamp"].iloc[0]) == times[-1].tz_convert("UTC") + pd.Timedelta(hours=1)


def test_long_rows_out_of_time_order_are_sorted_per_series_and_said_so(tmp_path):
    rows = [(i, t, v) for i in ("A", "B") for t, v in zip(pd.date_range("2024-01-01", periods=60, freq="h"),
                                                        2 + np.sin(np.arange(60) / 3))]
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    frame = pd.concat([frame[frame.unique_id == "A"], frame[frame.unique_id == "B"].iloc[::-1]])
    result = ok(train(csv_file(tmp_path, frame), tmp_path / "m"))
    assert "sorted the rows of series 'B' by column 'ds' (they were out of order)" in result.stderr


def test_missing_timestamps_and_values_are_filled_and_counted(tmp_path):
    frame = hourly().drop(index=[10, 11]).astype({"v": object})
    frame.loc[20, "v"] = None
    result = ok(train(csv_file(tmp_path, frame), tmp_path / "m"))
    assert "inserted 2 missing timestamps; filled 3 missing values (--fill interpolate)" in result.stderr


def test_a_mostly_missing_series_gets_a_warning(tmp_path):
    values = 2 + np.sin(np.arange(STEPS) / 3)
    # 60 % missing, all inside: empty cells before the first value or after the last are not data, never filled.
    sparse = np.where(np.isin(np.arange(STEPS) % 5, [1, 2, 3]), np.nan, values)
    data = csv_file(tmp_path, hourly(None, full=values, sparse=sparse))
    result = ok(train(data, tmp_path / "m"))
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {data}: series 'sparse' (60% filled) is mostly filled-in values "
                        "(--fill interpolate), which makes its forecasts unreliable; check the file for gaps or a stray date"]


def test_cleaning_messages_are_not_read_as_markup(tmp_path):
    # A file name with rich's markup syntax is printed as it is, not styled away or crashing rich.
    data = csv_file(tmp_path, hourly().drop(index=[5]), "[bold]data.csv")
    result = ok(train(data, tmp_path / "m"))
    assert f"{data}: inserted 1 missing timestamps" in result.stderr


# ------------------------------------------------------------ magnitudes
@pytest.fixture(scope="module")
def unit_forecasts(tmp_path_factory) -> dict[str, np.ndarray]:
    """Forecasts of the plain series (values 1 to 3) with each scaler: what scaled copies must reproduce."""
    root = tmp_path_factory.mktemp("unit")
    data = csv_file(root, hourly())
    result = {}
    for scaler in ("standard", "minmax", "robust"):
        ok(train(data, root / scaler, "--scaler", scaler, "--quiet"))
        result[scaler] = forecasts(invoke("predict", root / scaler, "--data", data))["forecast"].to_numpy()
    return result


@pytest.mark.parametrize("scaler", ["standard", "minmax", "robust"])
@pytest.mark.parametrize("magnitude", [1e30, 1e-30])
def test_huge_and_tiny_magnitudes_forecast_like_the_unit_series(tmp_path, unit_forecasts, scaler, magnitude):
    # The scalers are fitted per series, so a series in other units gets the same forecasts in those units.
    data = csv_file(tmp_path, hourly(magnitude * (2 + np.sin(np.arange(STEPS) / 3))))
    ok(train(data, tmp_path / "m", "--scaler", scaler, "--quiet"))
    scaled = forecasts(invoke("predict", tmp_path / "m", "--data", data))["forecast"].to_numpy()
    assert np.all(np.isfinite(scaled))
    assert scaled / magnitude == pytest.approx(unit_forecasts[scaler], rel=1e-4)


def test_huge_values_without_a_scaler_are_refused_as_divergence(tmp_path):
    data = csv_file(tmp_path, hourly(1e30 * (2 + np.sin(np.arange(STEPS) / 3))))
    user_error(train(data, tmp_path / "m", "--scaler", "none", "--quiet"), "diverged", "extreme values",
               "nothing was saved")
    assert not (tmp_path / "m").exists()


def test_a_constant_series_gets_finite_forecasts(tmp_path):
    data = csv_file(tmp_path, hourly(np.full(STEPS, 7.5)))
    ok(train(data, tmp_path / "m", "--quiet"))
    assert np.all(np.isfinite(forecasts(invoke("predict", tmp_path / "m", "--data", data))["forecast"]))


# ================================================================= settings
@pytest.mark.parametrize(("settings", "fragments"), [
    (["--hidden-size", "0"], ["--hidden-size", "positive integer", "0"]),
    (["--hidden-size", "-8"], ["--hidden-size", "-8"]),
    (["--num-layers", "0"], ["--num-layers"]),
    (["--epochs", "0"], ["--epochs", "0"]),
    (["--epochs", "-5"], ["--epochs", "-5"]),
    (["--batch-size", "0"], ["--batch-size", "0"]),
    (["--batch-size", "-1"], ["--batch-size", "-1"]),
    (["--batch-size", str(10**20)], ["--batch-size", "at most"]),
    (["--lookback", "0"], ["--lookback", "0"]),
    (["--lookback", "-2"], ["--lookback", "-2"]),
    (["--horizon", "-1"], ["--horizon", "-1"]),
    (["--season", "0"], ["--season", "0"]),
    (["--val-size", "0"], ["--val-size", "0"]),
    (["--patience", "-1"], ["--patience", "-1"]),
    (["--holdout", "-1"], ["--holdout", "-1"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--seed", str(2**64)], ["--seed", "at most"]),
    (["--dropout", "1"], ["--dropout", "[0, 1)", "1.0"]),
    (["--dropout", "-0.1"], ["--dropout", "-0.1"]),
    (["--dropout", "nan"], ["--dropout", "nan"]),
    (["--quantiles", "0,0.5"], ["--quantiles", "between 0 and 1", "0.0"]),
    (["--quantiles", "0.5,1"], ["--quantiles", "1.0"]),
    (["--quantiles", "-0.2"], ["--quantiles", "-0.2"]),
    (["--quantiles", "0.5,0.5"], ["--quantiles", "repeated"]),
    (["--quantiles", "nan"], ["--quantiles", "nan"]),
    (["--lr", "-1"], ["--lr", "-1"]),
    (["--lr", "nan"], ["--lr", "nan"]),
    (["--lr", "inf"], ["--lr", "finite", "inf"]),
    (["--weight-decay", "-1"], ["--weight-decay", "-1"]),
    (["--weight-decay", "inf"], ["--weight-decay", "inf"]),
    (["--grad-clip", "-1"], ["--grad-clip", "-1"]),
    (["--scaler", "zscore"], ["--scaler", "zscore"]),
    (["--loss", "rmse"], ["--loss", "rmse"]),
    (["--lr-schedule", "step"], ["--lr-schedule", "step"]),
    # Impossible combinations with 120 steps of data.
    (["--holdout", "100", "--val-size", "30"], ["series 'v' has 120 steps, too short", "holdout of 100", "--holdout"]),
    (["--val-size", "200"], ["too short", "(now 200)", "--val-size"]),
    (["--lookback", "500"], ["too short for lookback 500", "--lookback"]),
    (["--horizon", "200"], ["horizon 200", "--horizon"]),
])
def test_train_settings_out_of_range_exit_2_naming_the_flag(tmp_path, data_file, settings, fragments):
    user_error(train(data_file, tmp_path / "m", *settings), *fragments)
    assert not (tmp_path / "m").exists()


def test_exploding_training_is_refused_and_nothing_saved(tmp_path, data_file):
    # A learning rate this large sends the weights, and so the loss, to infinity in the first epoch.
    user_error(train(data_file, tmp_path / "m", "--lr", "1e30", "--quiet"), "diverged in the first epoch", "--lr 1e+30",
               "nothing was saved", "lower --lr")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("command", "settings", "fragments"), [
    ("predict", ["--horizon", "-1"], ["--horizon", "-1"]),
    ("predict", ["--horizon", str(HORIZON + 1)], ["--horizon", f"trained horizon {HORIZON}"]),
    ("evaluate", ["--stride", "-1"], ["--stride", "-1"]),
    ("evaluate", ["--folds", "-2"], ["--folds", "-2"]),
    ("evaluate", ["--start", "yesterday"], ["--start", "yesterday"]),
])
def test_predict_and_evaluate_settings_out_of_range_exit_2(trained, data_file, command, settings, fragments):
    user_error(invoke(command, trained, "--data", data_file, *settings, "--quiet"), *fragments)


# ========================================================= model directories
def edit_config(model: Path, change) -> None:
    path = model / "config.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def replace_weights(model: Path, content: bytes) -> None:
    """Put other bytes where the weights were, and fix the checksum as a careful forger would."""
    (model / "model.safetensors").write_bytes(content)
    edit_config(model, lambda m: m.update(weights_sha256=file_sha256(model / "model.safetensors")))


def _truncate(model: Path) -> None:
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])


def _foreign_tensors(model: Path) -> None:
    from safetensors.torch import save_file

    save_file({"embedding.weight": torch.zeros(4, 4)}, str(model / "other.safetensors"))
    replace_weights(model, (model / "other.safetensors").read_bytes())


def _series(model: Path, **changes) -> None:
    edit_config(model, lambda m: next(iter(m["series"].values())).update(changes))


DAMAGED_MODELS = {
    "empty directory": (lambda m: [p.unlink() for p in m.iterdir()], "no config.json"),
    "truncated weights": (_truncate, "checksum mismatch"),
    "truncated weights, checksum fixed": (lambda m: replace_weights(m, (m / "model.safetensors").read_bytes()[:200]),
                                          "not a readable safetensors file"),
    "weights of a foreign network": (_foreign_tensors, "do not fit together"),
    "config.json of another tool": (lambda m: (m / "config.json").write_text('{"model_type": "bert", "hidden_size": 8}'),
                                    "not a forecaster model config"),
    "config.json a JSON list": (lambda m: (m / "config.json").write_text("[1, 2, 3]"), "not a forecaster model config"),
    "config.json binary": (lambda m: (m / "config.json").write_bytes(b"\xff\xfe\x00\x01"), "not valid JSON"),
    "format version 0": (lambda m: edit_config(m, lambda c: c.update(format_version=0)), "format_version 0 is not"),
    "format version as text": (lambda m: edit_config(m, lambda c: c.update(format_version="1")), "format_version '1' is not"),
    "format version true": (lambda m: edit_config(m, lambda c: c.update(format_version=True)), "format_version True"),
    "lookback as text": (lambda m: edit_config(m, lambda c: c.update(lookback="abc")), 'lookback is "abc"'),
    "negative lookback": (lambda m: edit_config(m, lambda c: c.update(lookback=-5)), "lookback is -5"),
    "horizon unlike the network's": (lambda m: edit_config(m, lambda c: c.update(horizon=1000)),
                                     "horizon 1000 differs from the network's 3"),
    "no series": (lambda m: edit_config(m, lambda c: c.update(series={})), "series is {}"),
    "scaler center NaN": (lambda m: _series(m, scaler={"center": float("nan"), "scale": 1.0}), "series 'v' has scaler"),
    "scaler scale zero": (lambda m: _series(m, scaler={"center": 0.0, "scale": 0.0}), "a positive scale"),
    "training end not a time": (lambda m: _series(m, training_end="soon"), "training_end 'soon'"),
    "schema not an object": (lambda m: edit_config(m, lambda c: c.update(schema="wide")), 'schema is "wide"'),
    "unknown frequency": (lambda m: edit_config(m, lambda c: c["schema"].update(freq="fortnightly")),
                          "freq 'fortnightly' is not a pandas frequency"),
    "unknown setting": (lambda m: edit_config(m, lambda c: c["config"].update(colour="red")), "unknown setting(s): colour"),
    "unknown cell": (lambda m: edit_config(m, lambda c: c["network"].update(cell="transformer")), "do not fit together"),
    # Built before the weights were compared, these would take terabytes (or hours); they are refused at once.
    "network far larger than its weights": (lambda m: edit_config(m, lambda c: c["network"].update(hidden_size=10**6)),
                                            "the config describes (4000000,), the weights hold (32,)"),
    "a million layers": (lambda m: edit_config(m, lambda c: c["network"].update(num_layers=10**6)),
                         "num_layers 1000000 for"),
    "a million ensemble members": (lambda m: edit_config(m, lambda c: c["network"].update(members=10**6)),
                                   "members 1000000 for"),
    "more known-ahead channels than inputs": (lambda m: edit_config(m, lambda c: c["network"].update(known=99)),
                                              "known 99 of input_size"),
    "season changes as text": (lambda m: edit_config(m, lambda c: c["network"].update(season_changes="yes")),
                               "season_changes 'yes': must be true or false"),
    "season changes without a seasonal base": (lambda m: edit_config(m, lambda c: c["network"].update(season_changes=True)),
                                               "needs window_norm 'season'"),
    "segment as text": (lambda m: edit_config(m, lambda c: c["network"].update(segment="4")),
                        "the network's segment \"4\" does not divide"),
    "segment not dividing the lookback": (lambda m: edit_config(m, lambda c: c["network"].update(segment=10**6)),
                                          "the network's segment 1000000 does not divide lookback"),
    "a calendar the network does not take": (lambda m: edit_config(m, lambda c: c["schema"].update(calendar=["month"])),
                                             "input channels"),
    "history not a list": (lambda m: edit_config(m, lambda c: c.update(history={"epoch": 1})), "history is"),
}


@pytest.mark.parametrize("damage", list(DAMAGED_MODELS))
def test_a_damaged_or_foreign_model_exits_2_with_one_line(model_copy, data_file, tmp_path, damage):
    harm, fragment = DAMAGED_MODELS[damage]
    harm(model_copy)
    out = tmp_path / "forecast.csv"
    user_error(invoke("predict", model_copy, "--data", data_file, "--output", out), str(model_copy), fragment)
    user_error(invoke("evaluate", model_copy, "--data", data_file), str(model_copy), fragment)
    assert not out.exists()


@pytest.mark.parametrize("damage", ["config.json a JSON list", "lookback as text", "schema not an object",
                                    "history not a list", "no series"])
def test_info_on_a_damaged_model_exits_2(model_copy, damage):
    harm, fragment = DAMAGED_MODELS[damage]
    harm(model_copy)
    user_error(invoke("info", model_copy), fragment)


class _Planted:
    """A pickle that, if ever unpickled, leaves a marker file: the proof that model loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("how", ["pickle.dumps", "torch.save"])
def test_a_pickle_planted_as_weights_is_refused_and_never_run(model_copy, data_file, tmp_path, how):
    marker = tmp_path / "pwned"
    payload = io.BytesIO()
    if how == "pickle.dumps":
        payload.write(pickle.dumps(_Planted(marker)))
    else:
        torch.save({"head.weight": _Planted(marker)}, payload)
    replace_weights(model_copy, payload.getvalue())
    for command in ("predict", "evaluate"):
        user_error(invoke(command, model_copy, "--data", data_file), "not a readable safetensors file")
    assert not marker.exists()


def test_nan_weights_never_give_a_nan_forecast(model_copy, data_file, tmp_path):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(model_copy / "model.safetensors"))
    tensors["head.bias"] = torch.full_like(tensors["head.bias"], float("nan"))
    save_file(tensors, str(tmp_path / "nan.safetensors"))
    replace_weights(model_copy, (tmp_path / "nan.safetensors").read_bytes())
    out = tmp_path / "forecast.csv"
    for command in ("predict", "evaluate"):
        user_error(invoke(command, model_copy, "--data", data_file, "--output", out),
                   "NaN or infinite forecasts", "series 'v'", "nothing was written")
        assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_data_far_outside_the_training_range_is_refused_before_the_network(trained, tmp_path, command):
    # Scaled by the model's scaler (about 2 ± 0.7), 1e60 does not fit the network's float32.
    data = csv_file(tmp_path, hourly(1e60 * (2 + np.sin(np.arange(STEPS) / 3))))
    out = tmp_path / "forecast.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even numpy's overflow warning may reach the user
        result = invoke(command, trained, "--data", data, "--output", out)
    user_error(result, str(data), "series 'v' has 2e+60 at 2024-01-01 00:00:00", "far outside the values the model",
               "retrain it")
    assert not out.exists()


# ---------------------------------------------- data that does not match the model
def test_data_coarser_than_the_model_frequency_is_refused(trained, tmp_path):
    daily = hourly().iloc[::24]
    data = csv_file(tmp_path, daily)
    user_error(invoke("predict", trained, "--data", data), str(data), "no two timestamps one 'h' step apart",
               "coarser than the model's frequency 'h'")


def test_data_finer_than_the_model_frequency_is_refused(trained, tmp_path):
    data = csv_file(tmp_path, hourly(periods=STEPS).assign(date=pd.date_range("2024-01-01", periods=STEPS, freq="30min")))
    user_error(invoke("predict", trained, "--data", data), "off the 'h' grid")


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_timestamps_with_an_offset_for_a_model_trained_without_are_refused(trained, tmp_path, command):
    aware = hourly().assign(date=pd.date_range("2024-01-01", periods=STEPS, freq="h", tz="UTC"))
    data = csv_file(tmp_path, aware)
    user_error(invoke(command, trained, "--data", data), "the data's timestamps carry a UTC offset but the model's do not")


def test_a_long_model_given_wide_data_names_the_missing_column(tmp_path, data_file):
    frame = hourly()
    long = pd.DataFrame({"unique_id": "A", "ds": frame["date"], "y": frame["v"]})
    ok(train(csv_file(tmp_path, long, "long.csv"), tmp_path / "m", "--quiet"))
    user_error(invoke("predict", tmp_path / "m", "--data", data_file), "no column 'ds', 'unique_id', 'y'",
               "the columns are date, v")


# ============================================================== output paths
def test_output_in_a_folder_that_is_a_file_is_refused(trained, data_file, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    user_error(invoke("predict", trained, "--data", data_file, "--output", blocker / "f.csv"), f"{blocker} is a file")
    user_error(train(data_file, blocker / "m"), f"{blocker} is a file, not a folder", "--out")
    assert blocker.read_text() == "mine"


def test_output_in_a_missing_folder_is_refused(trained, data_file, tmp_path):
    user_error(invoke("predict", trained, "--data", data_file, "--output", tmp_path / "no" / "f.csv"),
               f"folder {tmp_path / 'no'} does not exist")


@pytest.mark.parametrize(("command", "flag"), [("predict", "--output"), ("predict", "--plot"),
                                               ("evaluate", "--output"), ("evaluate", "--plot")])
def test_a_directory_where_an_output_file_is_expected_is_refused(trained, data_file, tmp_path, command, flag):
    user_error(invoke(command, trained, "--data", data_file, flag, tmp_path), str(tmp_path), "is a directory")


def test_train_out_that_is_a_file_is_refused(data_file, tmp_path):
    (tmp_path / "m").write_text("mine")
    user_error(train(data_file, tmp_path / "m"), "exists and is not a directory")
    assert (tmp_path / "m").read_text() == "mine"


@pytest.mark.parametrize("flag", ["--output", "--plot"])
def test_evaluate_never_replaces_an_output_without_force(trained, data_file, tmp_path, flag):
    out = tmp_path / "kept"
    out.write_text("mine")
    user_error(invoke("evaluate", trained, "--data", data_file, flag, out), str(out), "--force")
    assert out.read_text() == "mine"


def test_an_input_output_error_while_reading_exits_2_naming_the_file(data_file, tmp_path, monkeypatch):
    def failing_disk(stream, path, *options):
        raise OSError(5, "Input/output error", str(path))

    monkeypatch.setattr("forecaster.data.reading._read", failing_disk)
    user_error(train(data_file, tmp_path / "m"), f"{data_file}: Input/output error", "check the path")


def test_an_unwritable_folder_is_refused_before_training(data_file, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root writes everywhere: let the system refuse as it would anyone else
        monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)
    user_error(train(data_file, locked / "m"), f"cannot write in {locked}")
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("failure", [PermissionError(13, "Permission denied"), OSError(28, "No space left on device")])
def test_a_write_refused_by_the_system_exits_2_and_leaves_nothing(trained, data_file, tmp_path, monkeypatch, failure):
    def refused(*args, **kwargs):
        raise failure

    out = tmp_path / "forecast.csv"
    monkeypatch.setattr(pd.DataFrame, "to_csv", refused)
    user_error(invoke("predict", trained, "--data", data_file, "--output", out, "--quiet"), str(out), failure.strerror)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_saving_a_model_keeps_the_old_one(model_copy, data_file, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    before = snapshot(model_copy)
    monkeypatch.setattr("safetensors.torch.save_file", full)
    user_error(train(data_file, model_copy, "--force", "--quiet"), str(model_copy), "No space left on device")
    assert snapshot(model_copy) == before
    assert leftovers(model_copy.parent) == []


def test_output_names_are_printed_as_given(trained, data_file, tmp_path):
    out = tmp_path / "[red]forecast.csv"
    result = ok(invoke("predict", trained, "--data", data_file, "--output", out))
    assert f"wrote {HORIZON} rows to {out}" in result.stderr


# ============================================================ interruptions
def test_ctrl_c_while_saving_leaves_no_model_and_exits_130(data_file, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("safetensors.torch.save_file", interrupted)
    result = train(data_file, tmp_path / "m", "--quiet")
    assert result.exit_code == 130 and result.stderr == "interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_an_output_leaves_no_file_and_exits_130(trained, data_file, tmp_path, monkeypatch):
    def interrupted(self, path, *args, **kwargs):
        Path(path).write_text("series,timestamp\nv,")  # half a file, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    result = invoke("predict", trained, "--data", data_file, "--output", tmp_path / "f.csv", "--quiet")
    assert result.exit_code == 130
    assert list(tmp_path.iterdir()) == []


def test_a_loss_that_explodes_after_the_first_epoch_keeps_the_best_weights(data_file, tmp_path, monkeypatch):
    calls = []
    validation_loss = forecaster.training.mean_loss

    def exploding_in_epoch_two(*args, **kwargs):
        calls.append(1)
        return float("nan") if len(calls) == 2 else validation_loss(*args, **kwargs)

    monkeypatch.setattr(forecaster.training, "mean_loss", exploding_in_epoch_two)
    result = ok(invoke("train", data_file, *TINY, "--epochs", "5", "--out", tmp_path / "m", "--json"))
    assert "the loss became NaN or infinite after epoch 1; saved the weights of epoch 1" in result.stderr
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["stopped"] == "diverged" and manifest["best_epoch"] == 1
    monkeypatch.undo()
    assert np.all(np.isfinite(forecasts(invoke("predict", tmp_path / "m", "--data", data_file))["forecast"]))


# A child process that saves a model (or writes an output file) and stops midway, so that the test can
# kill it with SIGKILL at a known point: no `finally` and no cleanup runs, exactly as after `kill -9`.
_SAVE_THEN_HANG = """
import sys, time
from pathlib import Path
import safetensors.torch
from forecaster import Forecaster

source, target, marker = map(Path, sys.argv[1:4])
model = Forecaster.load(source)

def stuck(tensors, filename, *args, **kwargs):
    Path(filename).write_bytes(b"half a safetensors file")
    marker.touch()
    time.sleep(300)

safetensors.torch.save_file = stuck
model.save(target, force=True)
"""

_REPLACE_THEN_HANG = """
import os, sys, time
from pathlib import Path
import forecaster.files
from forecaster import Forecaster

source, target, marker = map(Path, sys.argv[1:4])
model = Forecaster.load(source)
rename = os.replace
forecaster.files._RENAMEAT2 = None  # the two-rename fallback: with renameat2 there is no moment between renames

def stuck_after_moving_the_old_model_aside(src, dst):
    rename(src, dst)
    if Path(src) == target:
        marker.touch()
        time.sleep(300)

os.replace = stuck_after_moving_the_old_model_aside
model.save(target, force=True)
"""

_WRITE_THEN_HANG = """
import sys, time
from pathlib import Path
from forecaster.outputs import write_atomically

target, marker = map(Path, sys.argv[1:3])

def half_then_hang(path):
    path.write_text("series,timestamp,forecast\\nv,2024-01-06 00:00:00,")
    marker.touch()
    time.sleep(300)

write_atomically(target, half_then_hang, force=True)
"""


def killed_midway(script: str, *args: Path, marker: Path) -> None:
    """Run `script` in a child process and SIGKILL it once it has touched `marker`."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the child never reached the write:\n{process.communicate(timeout=10)}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL


def hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_a_save_killed_midway_leaves_no_model_and_the_next_save_cleans_up(trained, data_file, tmp_path):
    target, marker = tmp_path / "m", tmp_path / "marker"
    killed_midway(_SAVE_THEN_HANG, trained, target, marker, marker=marker)
    assert not target.exists()  # never half a model under the name the user asked for
    [staging] = hidden(tmp_path)
    assert staging.startswith(".m.") and staging.endswith(".partial")  # hidden, and named for what it is
    user_error(invoke("predict", target, "--data", data_file), "no such model directory")
    ok(train(data_file, target, "--quiet"))  # the next save of the same name removes the dead one's staging
    assert hidden(tmp_path) == []
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.safetensors"]


def test_a_forced_save_killed_midway_keeps_the_old_model(model_copy, data_file, tmp_path):
    before, marker = snapshot(model_copy), tmp_path / "marker"
    killed_midway(_SAVE_THEN_HANG, model_copy, model_copy, marker, marker=marker)
    assert snapshot(model_copy) == before
    ok(invoke("predict", model_copy, "--data", data_file))
    ok(train(data_file, model_copy, "--force", "--quiet"))
    assert leftovers(tmp_path) == []


def test_a_save_killed_between_its_renames_loses_nothing(model_copy, data_file, tmp_path):
    before, marker = snapshot(model_copy), tmp_path / "marker"
    killed_midway(_REPLACE_THEN_HANG, model_copy, model_copy, marker, marker=marker)
    # The old model was moved aside and the new one not yet in place: both commands say where it is.
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith(".model.") and p.name.endswith(".old")]
    kept = aside / model_copy.name
    user_error(invoke("predict", model_copy, "--data", data_file), "an interrupted save left the previous model",
               f"in {kept}; move it back to {model_copy}")
    user_error(train(data_file, model_copy, "--force"), str(kept), "move it back")
    assert snapshot(kept) == before  # nothing lost: the user's model, byte for byte
    kept.rename(model_copy)
    ok(invoke("predict", model_copy, "--data", data_file))
    ok(train(data_file, model_copy, "--force", "--quiet"))  # and the next save clears what is left
    assert leftovers(tmp_path) == []


def test_an_output_write_killed_midway_leaves_no_file_and_the_next_write_cleans_up(trained, data_file, tmp_path):
    out, marker = tmp_path / "forecast.csv", tmp_path / "marker"
    out.write_text("the user's old forecast\n")
    killed_midway(_WRITE_THEN_HANG, out, marker, marker=marker)
    assert out.read_text() == "the user's old forecast\n"
    [partial] = hidden(tmp_path)
    assert partial.startswith(".forecast.csv.") and partial.endswith(".partial.csv")
    ok(invoke("predict", trained, "--data", data_file, "--output", out, "--force"))
    assert hidden(tmp_path) == []
    assert len(pd.read_csv(out)) == HORIZON
