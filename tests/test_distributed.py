"""`torchrun -m forecaster train`: DistributedDataParallel over gloo on CPU, two processes."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "sensor_steps.csv"
CRASHING_WORKER = Path(__file__).parent / "helpers" / "crash_on_rank1.py"
SETTINGS = ["--hidden-size", "16", "--num-layers", "1", "--epochs", "15", "--lr", "0.005", "--quiet", "--force"]
TORCHRUN = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
# One thread per process: two processes on two cores, no oversubscription.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}

pytestmark = pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed")


def torchrun(*args, timeout: int = 180) -> subprocess.CompletedProcess:
    command = [TORCHRUN, "--standalone", "--nproc-per-node", "2", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)


def single(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forecaster", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=ENV)


def forecast(model: Path) -> np.ndarray:
    done = single("predict", model, "--data", SAMPLE, "--quiet")
    assert done.returncode == 0, done.stderr
    return pd.read_csv(__import__("io").StringIO(done.stdout))["forecast"].to_numpy()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    work = tmp_path_factory.mktemp("ddp")
    two = torchrun("-m", "forecaster", "train", SAMPLE, *SETTINGS, "--batch-size", "32", "--out", work / "two")
    assert two.returncode == 0, two.stderr
    one = single("train", SAMPLE, *SETTINGS, "--batch-size", "64", "--out", work / "one")
    assert one.returncode == 0, one.stderr
    return work


def test_two_processes_train_and_save_once(models):
    assert sorted(p.name for p in models.iterdir()) == ["one", "two"]  # no staging left behind
    manifest = json.loads((models / "two" / "config.json").read_text())
    assert len(manifest["history"]) == 15
    # Few windows read in segments: three members, all trained in one process group (one joined again would hang).
    assert manifest["network"]["members"] == 3


def test_two_processes_forecast_close_to_one_with_the_same_effective_batch(models):
    two, one = forecast(models / "two"), forecast(models / "one")
    spread = pd.read_csv(SAMPLE)["value"].std()
    assert np.all(np.isfinite(two))
    assert np.mean(np.abs(two - one)) < 0.25 * spread


def test_a_crash_in_one_process_ends_the_whole_run(tmp_path):
    done = torchrun(CRASHING_WORKER, "train", SAMPLE, *SETTINGS, "--out", tmp_path / "m", timeout=120)
    assert done.returncode != 0
    assert not (tmp_path / "m").exists()


# ------------------------------------------------ errors, interruptions and lost processes under torchrun
ANNOUNCING = Path(__file__).parent / "helpers" / "announcing_train.py"
MISBEHAVING = Path(__file__).parent / "helpers" / "rank1_misbehaves.py"
LONG = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "5000", "--patience", "0", "--levels", "none"]
OUR_FRAMES = f'File "{Path(__file__).resolve().parents[1] / "forecaster"}'  # a traceback through forecaster's code


def info(model: Path) -> dict:
    done = single("info", model, "--json")
    assert done.returncode == 0, done.stderr  # the model loads: whole, checksum and all
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    ([SAMPLE, "--horizon", "0"], "error: --horizon must be a positive integer, got 0"),
    ([Path("no-such-file.csv")], "error: no-such-file.csv: no such file"),
])
def test_a_user_error_is_one_clear_line_from_the_first_process_and_exit_2(tmp_path, args, message):
    done = torchrun("-m", "forecaster", "train", *args, "--out", tmp_path / "m", timeout=120)
    assert done.returncode != 0
    assert done.stderr.splitlines()[0].startswith(message), done.stderr
    assert done.stderr.count("error: ") == 1  # the first process says it; the others exit quietly
    assert OUR_FRAMES not in done.stderr
    assert worker_codes(done.stderr) <= {"2", "-15"} and "2" in worker_codes(done.stderr), done.stderr
    assert not (tmp_path / "m").exists()


def worker_codes(report: str) -> set[str]:
    """The exit codes of torchrun's failure report; a process still exiting when another failed gets its SIGTERM."""
    return set(re.findall(r"exitcode\s*: (-?\d+)", report))


@pytest.mark.slow
def test_processes_given_different_data_stop_before_training_with_exit_2(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("\n".join(SAMPLE.read_text().splitlines()[:301]) + "\n")
    env = {**ENV, "FORECASTER_TEST_RANK1": "other_data", "FORECASTER_TEST_OTHER_DATA": str(other)}
    done = subprocess.run([TORCHRUN, "--standalone", "--nproc-per-node", "2", MISBEHAVING, "train", SAMPLE, *LONG,
                           "--out", tmp_path / "m"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    first = done.stderr.splitlines()[0]
    assert first.startswith("error: the training processes were given different data"), done.stderr
    assert "process 0: 400 steps" in first and "process 1: 300 steps" in first
    assert worker_codes(done.stderr) <= {"2", "-15"} and "2" in worker_codes(done.stderr), done.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_an_error_only_another_process_meets_is_said_by_that_process(tmp_path):
    # The first process waits in vain for the second to join; torchrun kills it 30 s after the second failed.
    env = {**ENV, "FORECASTER_TEST_RANK1": "other_data", "FORECASTER_TEST_OTHER_DATA": str(tmp_path / "missing.csv")}
    done = subprocess.run([TORCHRUN, "--standalone", "--nproc-per-node", "2", MISBEHAVING, "train", SAMPLE, *LONG,
                           "--out", tmp_path / "m"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    assert done.stderr.splitlines()[0] == f"error in process 1: {tmp_path / 'missing.csv'}: no such file", done.stderr
    assert "2" in worker_codes(done.stderr) and OUR_FRAMES not in done.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_ctrl_c_saves_the_best_weights_and_the_first_process_exits_130(tmp_path):
    codes, log = tmp_path / "codes.txt", tmp_path / "stderr.txt"
    env = {**ENV, "FORECASTER_TEST_MARK": "epoch", "FORECASTER_TEST_EXIT_FILE": str(codes)}
    command = [TORCHRUN, "--standalone", "--nproc-per-node", "2", ANNOUNCING, "train", SAMPLE, *LONG, "--quiet",
               "--out", tmp_path / "m"]
    with open(log, "w") as stderr:
        process = subprocess.Popen(list(map(str, command)), stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        try:
            deadline = time.monotonic() + 90
            while "MARK epoch 3" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert process.poll() is None, log.read_text()
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends torchrun, which passes it on to each process
            process.wait(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode != 0  # torchrun's own code after a signal
    assert dict(line.split() for line in codes.read_text().splitlines())["0"] == "130", log.read_text()
    manifest = info(tmp_path / "m")
    assert manifest["stopped"] == "interrupted" and 3 <= len(manifest["history"]) < 5000


@pytest.mark.slow
def test_a_killed_process_leaves_the_best_weights_of_the_others_saved(tmp_path):
    env = {**ENV, "FORECASTER_TEST_RANK1": "dies"}
    done = subprocess.run([TORCHRUN, "--standalone", "--nproc-per-node", "2", MISBEHAVING, "train", SAMPLE, *LONG,
                           "--out", tmp_path / "m"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    assert "saved the best weights so far (best epoch " in done.stderr, done.stderr
    assert "internal error" not in done.stderr and OUR_FRAMES not in done.stderr
    manifest = info(tmp_path / "m")
    # The lost process shows first as a failing collective, or as torchrun's SIGTERM: either keeps the epochs.
    assert manifest["stopped"] in ("peer_lost", "interrupted") and len(manifest["history"]) == 2
    assert manifest["best_epoch"] >= 1


@pytest.mark.slow
def test_a_library_fit_under_torchrun_trains_in_parallel_and_leaves_the_process_group():
    done = torchrun(Path(__file__).parent / "helpers" / "library_fit.py", SAMPLE, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["world", "2", "epochs", "2", "left", "True"]
