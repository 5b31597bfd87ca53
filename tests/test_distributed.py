"""`torchrun -m forecaster train`: DistributedDataParallel over gloo on CPU, two processes."""

import json
import os
import shutil
import subprocess
import sys
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


def test_two_processes_forecast_close_to_one_with_the_same_effective_batch(models):
    two, one = forecast(models / "two"), forecast(models / "one")
    spread = pd.read_csv(SAMPLE)["value"].std()
    assert np.all(np.isfinite(two))
    assert np.mean(np.abs(two - one)) < 0.25 * spread


def test_a_crash_in_one_process_ends_the_whole_run(tmp_path):
    done = torchrun(CRASHING_WORKER, "train", SAMPLE, *SETTINGS, "--out", tmp_path / "m", timeout=120)
    assert done.returncode != 0
    assert not (tmp_path / "m").exists()
