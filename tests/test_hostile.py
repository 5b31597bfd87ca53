"""Hostile files through the real CLI (issue 18, items 3, 5, 6, 11): no hang, no terminal escapes, no exit 1.

A model directory or a data file may come from a stranger: a config.json that is a FIFO or a link to a
device, JSON nested a thousand deep or with a 5,000-digit number, a frequency or step numbers too large to
count, escape sequences in names and versions. Each gets exit 2 and one line on stderr (or, for names,
is shown with its control characters escaped), and leaves the model directory as it was.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer.testing

import forecaster.forecaster
from forecaster.errors import DataError
from forecaster.loading import MAX_CONFIG_BYTES
from forecaster.text import visible
from forecaster.data.timeaxis import STEPS, future_index, offset_of

from conftest import described, forecaster_process, invoke, ok, snapshot, user_error
from test_robustness import TINY, csv_file, edit_config, hourly

ESC = "\x1b"
CLEAR_SCREEN = "\x1b[2J"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4K\x07"  # OSC 52: put "rm -rf ~" on the clipboard


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    return csv_file(tmp_path_factory.mktemp("data"), hourly())


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_file) -> Path:
    model = tmp_path_factory.mktemp("models") / "m"
    ok(invoke("train", data_file, *TINY, "--out", model, "--quiet"))
    return model


@pytest.fixture
def model_copy(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "model"))


def _state(model: Path) -> dict[str, tuple[str, int]]:
    """What is in a model directory, without reading files that are not regular (a FIFO, a device)."""
    return {p.name: (oct(p.lstat().st_mode), p.lstat().st_size) for p in sorted(model.iterdir())}


def _process_error(result, *fragments: str) -> str:
    """SPEC §3 for a real process: exit 2, nothing on stdout, one line on stderr naming what is wrong."""
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# ============================================================ item 3: config.json that is not a plain file
def _fifo(config: Path) -> None:
    os.mkfifo(config)


def _link_to(device: str):
    def harm(config: Path) -> None:
        if not Path(device).exists():
            pytest.skip(f"{device} does not exist here")
        config.symlink_to(device)
    return harm


def _folder(config: Path) -> None:
    config.mkdir()


NOT_REGULAR = {"a FIFO": _fifo, "a link to /dev/zero": _link_to("/dev/zero"),
               "a link to /dev/urandom": _link_to("/dev/urandom"), "a folder": _folder}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev need a POSIX system")
@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_config_json_that_is_not_a_regular_file_is_refused_at_once(model_copy, data_file, kind):
    # Before: a FIFO hung info and predict forever, /dev/zero grew to gigabytes, /dev/urandom never ended.
    config = model_copy / "config.json"
    config.unlink()
    NOT_REGULAR[kind](config)
    before = _state(model_copy)
    for command in (["info", model_copy], ["predict", model_copy, "--data", data_file]):
        started = time.monotonic()
        result = forecaster_process(*command)  # with a timeout: a hang fails the test here
        _process_error(result, str(config), "not a regular file")
        assert time.monotonic() - started < 60  # the time of starting Python, not of reading a device
    assert _state(model_copy) == before


def test_a_config_json_over_the_size_cap_is_refused_without_reading_it(model_copy, data_file):
    config = model_copy / "config.json"
    with open(config, "r+b") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: no disk or memory spent
    before = snapshot(model_copy)
    for command in (["info", model_copy], ["predict", model_copy, "--data", data_file]):
        started = time.monotonic()
        user_error(invoke(*command), str(config), f"larger than {MAX_CONFIG_BYTES >> 20} MiB")
        assert time.monotonic() - started < 30
    assert snapshot(model_copy) == before


# ============================================================ item 6: exit 2, not 1, for input too large to parse
def _appended(text: str):
    """config.json with one more key, written as raw JSON text (json.dumps could not write these values)."""
    def harm(model: Path) -> None:
        config = model / "config.json"
        config.write_text(config.read_text().rstrip().rstrip("}") + f', "extra": {text}}}')
    return harm


def _freq(value: str):
    return lambda model: edit_config(model, lambda m: m["schema"].update(freq=value))


UNPARSABLE = {
    "JSON nested 1,000 deep": (_appended("[" * 1000 + "]" * 1000), "nested too deeply"),
    # Parses, but showing it (info --json) or comparing it recursed past the limit: exit 1 before.
    "JSON nested 900 deep": (_appended("[" * 900 + "]" * 900), "nested too deeply"),
    "a 5,000-digit integer": (_appended("9" * 5000), "not valid JSON"),
}


@pytest.mark.parametrize("damage", UNPARSABLE)
def test_a_config_json_too_large_to_parse_exits_2(model_copy, data_file, damage):
    # Before: RecursionError or ValueError, "internal error (a bug in forecaster)", exit 1.
    harm, fragment = UNPARSABLE[damage]
    harm(model_copy)
    before = snapshot(model_copy)
    line = user_error(invoke("info", model_copy), str(model_copy / "config.json"), fragment)
    assert "set_int_max_str_digits" not in line  # Python's advice to a programmer is not the user's
    user_error(invoke("info", model_copy, "--json"), fragment)
    user_error(invoke("predict", model_copy, "--data", data_file), fragment)
    user_error(invoke("evaluate", model_copy, "--data", data_file), fragment)
    assert snapshot(model_copy) == before


@pytest.mark.parametrize("freq", ["10000000000000000000000D", "1000000000D", "100000000MS"])
def test_a_saved_freq_no_calendar_can_step_by_exits_2(model_copy, data_file, tmp_path, freq):
    # Before: OverflowError / OutOfBoundsTimedelta, exit 1.
    _freq(freq)(model_copy)
    out = tmp_path / "forecast.csv"
    user_error(invoke("predict", model_copy, "--data", data_file, "--output", out), "freq", freq)
    user_error(invoke("evaluate", model_copy, "--data", data_file), "freq", freq)
    assert not out.exists()


@pytest.mark.parametrize("freq", ["10000000000000000000000D", "1000000000D"])
def test_train_with_a_freq_no_calendar_can_step_by_exits_2(data_file, tmp_path, freq):
    out = tmp_path / "m"
    user_error(invoke("train", data_file, *TINY, "--out", out, "--freq", freq), "--freq", freq)
    assert not out.exists()


def test_offset_of_refuses_steps_that_leave_the_calendar():
    assert offset_of("h") == pd.offsets.Hour()
    assert offset_of("MS") == pd.offsets.MonthBegin()
    for freq in ("10000000000000000000000D", "1000000000D", "100000000MS", "often"):
        with pytest.raises(ValueError):
            offset_of(freq)


def _steps_file(tmp_path: Path, last: int, periods: int = 120) -> Path:
    values = 2 + np.sin(np.arange(periods) / 3)
    rows = "".join(f"{last - periods + 1 + i},{v}\n" for i, v in enumerate(values))
    return csv_file(tmp_path, "time,v\n" + rows, "steps.csv")


def test_step_numbers_up_to_the_int64_limit_are_refused_at_train_time(tmp_path):
    # Before: train succeeded, and predict then died with an OverflowError (exit 1).
    data = _steps_file(tmp_path, 2**63 - 1)
    out = tmp_path / "m"
    user_error(invoke("train", data, *TINY, "--out", out), str(data), "column 'time'", "line 2", "2**62")
    assert not out.exists()


def test_step_numbers_near_the_limit_still_train_and_forecast(tmp_path):
    data = _steps_file(tmp_path, 2**62)
    ok(invoke("train", data, *TINY, "--out", tmp_path / "m", "--quiet"))
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", tmp_path / "m", "--data", data)).stdout))
    assert frame["timestamp"].tolist() == [2**62 + 1, 2**62 + 2, 2**62 + 3]
    assert np.isfinite(frame["forecast"]).all()


def test_future_steps_past_the_int64_limit_are_a_data_error():
    with pytest.raises(DataError, match="largest 64-bit step number"):
        future_index(2**62, STEPS, 3, 2**61)
    with pytest.raises(DataError, match="leave the dates"):
        future_index(pd.Timestamp("2262-04-11 20:00").as_unit("ns"), "h", 24)
    assert list(future_index(2**62, STEPS, 3, 2)) == [2**62 + 2, 2**62 + 4, 2**62 + 6]


# ============================================================ item 5: escape sequences from files
def test_info_shows_escape_sequences_from_config_json_without_obeying_them(model_copy):
    def plant(manifest: dict) -> None:
        manifest["versions"]["forecaster"] = f"1.0{CLIPBOARD}"
        manifest["series"] = {f"v{CLEAR_SCREEN}": manifest["series"]["v"]}
        manifest["schema"]["targets"] = [f"v{CLEAR_SCREEN}"]
        manifest["config"][f"note{CLEAR_SCREEN}"] = CLIPBOARD
    edit_config(model_copy, plant)
    before = snapshot(model_copy)
    for result in (invoke("info", model_copy), forecaster_process("info", model_copy)):  # Typer's path and main()'s
        stdout = getattr(result, "stdout", "")
        assert getattr(result, "exit_code", getattr(result, "returncode", None)) == 0, result
        assert ESC not in stdout + result.stderr and "\x07" not in stdout
        assert "\\x1b]52;c;" in stdout and "\\x1b[2J" in stdout  # shown, as escapes
    # --json is data: the values come back exactly (JSON escapes control characters itself).
    shown = json.loads(ok(invoke("info", model_copy, "--json")).stdout)
    assert shown["versions"]["forecaster"] == f"1.0{CLIPBOARD}" and f"v{CLEAR_SCREEN}" in shown["series"]
    assert snapshot(model_copy) == before


@pytest.fixture(scope="module")
def escaped(tmp_path_factory) -> tuple[Path, Path, typer.testing.Result]:
    """A data file whose column names carry escape sequences, one of them mostly missing, and its model."""
    folder = tmp_path_factory.mktemp("escaped")
    values = 2 + np.sin(np.arange(120) / 3)
    sparse = np.where(np.arange(120) % 5 < 3, np.nan, values)  # 60 % missing: a warning names it
    frame = hourly(None, **{f"v{CLEAR_SCREEN}": values, f"s{CLIPBOARD}": sparse})
    data = csv_file(folder, frame, f"data{CLEAR_SCREEN}.csv")
    result = ok(invoke("train", data, *TINY, "--out", folder / "m"))
    return data, folder / "m", result


def test_cleaning_messages_show_escapes_from_the_data_file_as_text(escaped):
    data, _, result = escaped
    warning = next(line for line in result.stderr.splitlines() if line.startswith("warning:"))
    assert ESC not in result.stderr and "\x07" not in result.stderr
    assert "data\\x1b[2J.csv" in warning and "s\\x1b]52;c;cm0gLXJmIH4K\\x07" in warning


def test_predict_table_at_a_terminal_shows_escapes_as_text(escaped, monkeypatch):
    data, model, _ = escaped
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    monkeypatch.setenv("TERM", "dumb")  # rich then draws no styles of its own, so any ESC would be the file's
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    result = ok(invoke("predict", model, "--data", data))
    assert "series,timestamp" not in result.stdout  # a table, not CSV
    assert ESC not in result.stdout + result.stderr and "\x07" not in result.stdout
    assert result.stdout.count("v\\x1b[2J") == 3 and result.stdout.count("2024-01-06") == 6


def test_predict_csv_keeps_the_series_ids_exactly(escaped):
    data, model, _ = escaped
    frame = pd.read_csv(io.StringIO(ok(invoke("predict", model, "--data", data)).stdout))
    assert sorted(set(frame["series"])) == sorted([f"v{CLEAR_SCREEN}", f"s{CLIPBOARD}"])  # data, unaltered


def test_an_error_quoting_a_column_name_shows_its_escapes_as_text(trained, tmp_path):
    # The model wants column v; this file names it with a terminal title sequence, which the error lists.
    frame = hourly().rename(columns={"v": f"v{CLIPBOARD}"})
    data = csv_file(tmp_path, frame)
    line = user_error(invoke("predict", trained, "--data", data), "no column 'v'")
    assert ESC not in line and "\x07" not in line and "v\\x1b]52;c;cm0gLXJmIH4K\\x07" in line


def test_visible_escapes_control_characters_only():
    assert visible(f"a{CLIPBOARD}b") == "a\\x1b]52;c;cm0gLXJmIH4K\\x07b"
    assert visible("tab\there\nline\rcr") == "tab\\there\\nline\\rcr"
    assert visible("del\x7f c1\x9b bidi\u202e") == "del\\x7f c1\\x9b bidi\\u202e"
    assert visible("café 東京 ✓ [bold] \\n") == "café 東京 ✓ [bold] \\n"


# ============================================================ item 11: memory and encodings
def test_out_of_memory_while_reading_names_the_file_not_the_network(data_file, tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(pd, "read_csv", exhausted)
    out = tmp_path / "m"
    line = user_error(invoke("train", data_file, *TINY, "--out", out), "out of memory while reading the data")
    assert "--hidden-size" not in line
    assert not out.exists()


def test_out_of_memory_while_training_names_the_network(data_file, tmp_path, monkeypatch):
    def fit(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(forecaster.forecaster.Forecaster, "fit", fit)
    out = tmp_path / "m"
    user_error(invoke("train", data_file, *TINY, "--out", out), "out of memory while training", "--hidden-size")
    assert not out.exists()


def test_out_of_memory_while_forecasting_names_no_training_flag(trained, data_file, tmp_path, monkeypatch):
    def predict(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(forecaster.forecaster.Forecaster, "predict", predict)
    out = tmp_path / "forecast.csv"
    line = user_error(invoke("predict", trained, "--data", data_file, "--output", out), "out of memory while forecasting")
    assert "--hidden-size" not in line
    assert not out.exists()
