"""Atomic writing of output files (issue 18: items 4, 6, 8, 11): what --force may replace, `-` for stdout,
concurrent writers, dead writers' leftovers and a full disk. CLI cases through the real CLI."""

from __future__ import annotations

import contextlib
import fcntl
import io
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecaster.files
import forecaster.outputs
from forecaster.errors import OutputError
from forecaster.files import deferred_signals
from forecaster.outputs import write_atomically

from conftest import invoke, leftovers, ok, user_error

TINY = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--batch-size", "64", "--lookback", "6",
        "--horizon", "3", "--seed", "0"]
WRITERS, TRIALS = 4, 6


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "data.csv"
    time_index = pd.date_range("2024-01-01", periods=120, freq="h")
    pd.DataFrame({"date": time_index, "v": 2 + np.sin(np.arange(120) / 3)}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_file) -> Path:
    model = tmp_path_factory.mktemp("models") / "m"
    ok(invoke("train", data_file, *TINY, "--holdout", "6", "--out", model, "--quiet"))
    return model


def hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------ atomic writes
def test_write_atomically_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"

    def half_then_crash(path):
        path.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, half_then_crash)
    assert list(tmp_path.iterdir()) == []
    write_atomically(target, lambda p: p.write_text("whole"))
    assert target.read_text() == "whole"
    with pytest.raises(OutputError, match="`force`"):
        write_atomically(target, lambda p: p.write_text("again"))
    write_atomically(target, lambda p: p.write_text("again"), force=True)
    assert target.read_text() == "again" and os.listdir(tmp_path) == ["out.csv"]


def _special_files(tmp_path: Path) -> dict[str, Path]:
    """A symlink to a regular file, a FIFO, a directory and (where allowed) a character device."""
    mine = tmp_path / "mine.csv"
    mine.write_text("the user's file\n")
    made = {"symlink": tmp_path / "link.csv", "fifo": tmp_path / "pipe.csv", "directory": tmp_path / "folder"}
    made["symlink"].symlink_to(mine)
    os.mkfifo(made["fifo"])
    made["directory"].mkdir()
    with contextlib.suppress(PermissionError):  # root in most containers: a copy of /dev/null
        os.mknod(tmp_path / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        made["device"] = tmp_path / "null"
    return made


def _kinds(tmp_path: Path) -> dict[str, int]:
    return {p.name: stat.S_IFMT(os.lstat(p).st_mode) for p in tmp_path.iterdir()}


@pytest.mark.parametrize("force", [False, True])
def test_only_regular_files_are_ever_replaced(tmp_path, force):
    special = _special_files(tmp_path)
    before = _kinds(tmp_path)
    for kind, path in special.items():
        with pytest.raises(OutputError, match="is a directory|is a symbolic link|not a regular file"):
            write_atomically(path, lambda p: p.write_text("forecast"), force=force)
    assert _kinds(tmp_path) == before and hidden(tmp_path) == []
    assert (tmp_path / "mine.csv").read_text() == "the user's file\n"


@pytest.mark.parametrize("flag", ["--output", "--plot"])
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_force_never_replaces_a_symlink_fifo_device_or_directory(trained, data_file, tmp_path, command, flag):
    special = _special_files(tmp_path)
    before = _kinds(tmp_path)
    for kind, path in special.items():
        reason = {"symlink": "is a symbolic link", "directory": "is a directory"}.get(kind, "is not a regular file")
        user_error(invoke(command, trained, "--data", data_file, flag, path, "--force"), str(path), reason)
    assert _kinds(tmp_path) == before  # the FIFO is still a FIFO, the device still a device
    assert (tmp_path / "mine.csv").read_text() == "the user's file\n"
    assert hidden(tmp_path) == []


def test_a_swap_that_finds_a_symlink_puts_it_back(tmp_path, monkeypatch):
    # The early check passed, then a symlink took the file's place: the final swap still refuses it.
    mine, target = tmp_path / "mine.csv", tmp_path / "out.csv"
    mine.write_text("mine")
    target.write_text("old forecast")
    monkeypatch.setattr(forecaster.outputs, "check_output", lambda path, force: None)

    def swap_in_a_symlink(path):
        target.unlink()
        target.symlink_to(mine)
        path.write_text("new forecast")

    with pytest.raises(OutputError, match="is a symbolic link"):
        write_atomically(target, swap_in_a_symlink, force=True)
    assert target.is_symlink() and mine.read_text() == "mine" and hidden(tmp_path) == []


# ------------------------------------------------------------------ stdout
def test_predict_output_dash_streams_the_csv_to_stdout(trained, data_file, tmp_path):
    ok(invoke("predict", trained, "--data", data_file, "--output", tmp_path / "f.csv"))
    streamed = ok(invoke("predict", trained, "--data", data_file, "--output", "-", "--quiet"))
    frame = pd.read_csv(io.StringIO(streamed.stdout))
    pd.testing.assert_frame_equal(frame, pd.read_csv(tmp_path / "f.csv"))
    assert list(frame.columns[:3]) == ["series", "timestamp", "forecast"]
    assert frame["timestamp"].iloc[0] == "2024-01-06 00:00:00" and len(frame) == 3
    assert not (Path("-")).exists() and sorted(os.listdir(tmp_path)) == ["f.csv"]


def test_evaluate_output_dash_streams_the_csv_and_shows_the_tables_on_stderr(trained, data_file, tmp_path):
    ok(invoke("evaluate", trained, "--data", data_file, "--output", tmp_path / "e.csv"))
    streamed = ok(invoke("evaluate", trained, "--data", data_file, "--output", "-"))
    frame = pd.read_csv(io.StringIO(streamed.stdout))
    pd.testing.assert_frame_equal(frame, pd.read_csv(tmp_path / "e.csv"))
    assert list(frame.columns[:6]) == ["series", "origin", "timestamp", "step", "actual", "forecast"]
    assert "MASE" in streamed.stderr and "MASE" not in streamed.stdout


@pytest.mark.parametrize("command", [["evaluate", "--output", "-"], ["predict"]])  # predict: CSV when piped
def test_stdout_into_a_reader_that_stops_early_is_not_an_error(trained, data_file, command):
    # `forecaster predict model | head` said "error: Broken pipe; check the path, its permissions ..." and exited 2.
    process = subprocess.Popen([sys.executable, "-m", "forecaster", command[0], str(trained), "--data", str(data_file),
                                *command[1:], "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    process.stdout.close()  # `| head -0`: nobody reads what is written
    stderr = process.communicate(timeout=120)[1].decode()
    assert process.returncode == 0 and stderr == ""


def test_output_dash_with_json_is_refused(trained, data_file):
    user_error(invoke("predict", trained, "--data", data_file, "--output", "-", "--json"), "--output -", "--json")


# ------------------------------------------------------------------ concurrent writers
def _race_to_write(index: int, targets: list[str], barrier, results, without_renameat2: bool) -> None:
    if without_renameat2:
        forecaster.files._RENAMEAT2 = None  # the os.link fallback
    for trial, target in enumerate(targets):
        barrier.wait(timeout=60)
        try:
            write_atomically(Path(target), lambda p: p.write_text(f"writer {index}\n"))
            results.put((trial, index, "ok"))
        except OutputError as exc:
            results.put((trial, index, str(exc)))


def race(worker, targets: list[Path], *args) -> list[list[tuple[int, str]]]:
    """Run WRITERS processes that each write every target at once (a barrier per trial); outcomes per trial."""
    context = multiprocessing.get_context("fork")  # the parent has imported everything: children start at once
    barrier, results = context.Barrier(WRITERS), context.Queue()
    processes = [context.Process(target=worker, args=(i, list(map(str, targets)), barrier, results, *args))
                 for i in range(WRITERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(WRITERS * len(targets))]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return [[(index, outcome) for trial, index, outcome in outcomes if trial == t] for t in range(len(targets))]


@pytest.mark.parametrize("without_renameat2", [False, True], ids=["renameat2", "link"])
def test_of_writers_racing_to_a_new_file_exactly_one_wins(tmp_path, without_renameat2):
    targets = [tmp_path / f"out{trial}.csv" for trial in range(TRIALS)]
    for target, outcomes in zip(targets, race(_race_to_write, targets, without_renameat2)):
        [winner] = [index for index, outcome in outcomes if outcome == "ok"]
        assert all("already exists" in outcome and "`force`" in outcome
                   for index, outcome in outcomes if index != winner), outcomes
        assert target.read_text() == f"writer {winner}\n"
    assert sorted(os.listdir(tmp_path)) == sorted(t.name for t in targets)


# ------------------------------------------------------------------ dead writers
def test_a_dead_writers_file_is_removed_even_when_its_process_id_is_alive_again(tmp_path):
    # Process id 1 is always alive (in a container forecaster itself may be it); no process holds the lock.
    dead = tmp_path / ".out.csv.1.abcd1234.partial.csv"
    live = tmp_path / ".out.csv.999999999.efgh5678.partial.csv"
    dead.write_text("half")
    live.write_text("being written")
    held = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # a live writer holds its temporary's lock until it ends
        write_atomically(tmp_path / "out.csv", lambda p: p.write_text("whole"))
    finally:
        os.close(held)
    assert sorted(os.listdir(tmp_path)) == sorted(["out.csv", live.name])


def test_a_fifo_under_a_temporarys_name_neither_hangs_nor_is_removed(tmp_path):
    planted = tmp_path / ".out.csv.1.abcd1234.partial.csv"
    os.mkfifo(planted)
    write_atomically(tmp_path / "out.csv", lambda p: p.write_text("whole"))
    assert stat.S_ISFIFO(os.lstat(planted).st_mode) and (tmp_path / "out.csv").read_text() == "whole"


# ------------------------------------------------------------------ signals
def test_signals_in_the_critical_section_are_delivered_after_it():
    seen = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            seen.append("the block ran to its end")
    assert seen == ["the block ran to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ------------------------------------------------------------------ a full disk
@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs; skipped where this machine may not mount one (not root, or no mount permission)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip() or result.returncode})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(disk: Path) -> None:
    handle = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(handle, b"x" * 4096)
    finally:
        os.close(handle)


@pytest.mark.parametrize(("command", "flag", "name"), [
    ("predict", "--output", "f.csv"), ("predict", "--plot", "f.png"),
    ("evaluate", "--output", "e.csv"), ("evaluate", "--plot", "e.png"),
])
def test_a_full_disk_while_writing_an_output_exits_2_and_leaves_nothing(trained, data_file, small_disk,
                                                                       command, flag, name):
    fill(small_disk)
    out = small_disk / name
    user_error(invoke(command, trained, "--data", data_file, flag, out, "--quiet"), str(out),
               "No space left on device", "free some disk space")
    assert os.listdir(small_disk) == ["filler"]


def test_a_full_disk_while_safetensors_writes_exits_2_and_leaves_nothing(data_file, small_disk):
    # hidden 64: about 70 KB of weights, more than the 64 KiB disk holds; config.json is written after them
    result = invoke("train", data_file, *TINY, "--hidden-size", "64", "--out", small_disk / "m", "--quiet")
    user_error(result, str(small_disk / "m"), "could not save the model", "No space left on device",
               "free some disk space")
    assert os.listdir(small_disk) == []
