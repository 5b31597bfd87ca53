"""SIGINT and SIGTERM during `train` (issue 18, item 7): real processes, real signals, and what is on disk after.

The process runs tests/helpers/announcing_train.py, which is `forecaster` plus a marker line on stderr at
the point under test, so that each signal lands where the test means it to, not after a guessed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecaster import interrupts

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "sensor_steps.csv"
HELPER = Path(__file__).parent / "helpers" / "announcing_train.py"
EPOCHS = 10_000
TRAIN = ["train", SAMPLE, "--hidden-size", "8", "--num-layers", "1", "--batch-size", "64", "--patience", "0",
         "--levels", "none"]


def signalled(tmp_path: Path, mark: str, wait_for: str, signals: list[int], epochs: int = EPOCHS):
    """Run train until `wait_for` appears on stderr, send `signals` 0.2 s apart; (exit code, stderr, model dir)."""
    model, log = tmp_path / "m", tmp_path / "stderr.txt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "FORECASTER_TEST_MARK": mark}
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, HELPER, *map(str, TRAIN), "--epochs", str(epochs), "--out", model],
                                   stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        try:
            deadline = time.monotonic() + 60
            while f"MARK {wait_for}" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert process.poll() is None, f"training ended before the mark:\n{log.read_text()}"
            for signum in signals:
                process.send_signal(signum)
                time.sleep(0.2)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    return process.returncode, log.read_text(), model


def info(model: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "forecaster", "info", model, "--json"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # the model loads: whole, checksum and all
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "said"), [(signal.SIGINT, 130, "interrupted:"),
                                                       (signal.SIGTERM, 143, "interrupted by SIGTERM:")])
def test_a_signal_after_the_first_epoch_saves_the_best_weights(tmp_path, signum, code, said):
    exit_code, messages, model = signalled(tmp_path, "epoch", "epoch 2", [signum])
    assert exit_code == code, messages
    assert f"{said} saved the best weights so far" in messages and "Traceback" not in messages
    manifest = info(model)
    assert manifest["stopped"] == "interrupted"
    assert 2 <= len(manifest["history"]) < EPOCHS and manifest["best_epoch"] >= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "stderr.txt"]  # no staging left behind


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_before_the_first_epoch_ended_saves_nothing(tmp_path, signum, code):
    exit_code, messages, model = signalled(tmp_path, "first_epoch", "first epoch", [signum])
    assert exit_code == code, messages
    assert "before the first epoch ended: nothing was saved" in messages and "Traceback" not in messages
    assert not model.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_after_training_is_held_until_the_whole_model_is_saved(tmp_path, signum, code):
    exit_code, messages, model = signalled(tmp_path, "after_training", "after training", [signum], epochs=2)
    assert exit_code == code, messages
    assert "finishing the model and saving it" in messages
    assert "after training ended: saved the whole model" in messages and "Traceback" not in messages
    manifest = info(model)
    assert manifest["stopped"] == "max_epochs" and len(manifest["history"]) == 2


@pytest.mark.slow
def test_a_second_signal_after_training_stops_at_once_and_leaves_nothing(tmp_path):
    exit_code, messages, model = signalled(tmp_path, "after_training", "after training",
                                           [signal.SIGINT, signal.SIGINT], epochs=2)
    assert exit_code == 130, messages
    assert "again before the model was saved: nothing was saved" in messages and "Traceback" not in messages
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]


# ------------------------------------------------------------ the guard itself, in this process
def test_without_weights_a_signal_raises_naming_itself():
    with interrupts.guarded() as guard, pytest.raises(interrupts.Interrupted) as caught:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert caught.value.signum == signal.SIGTERM and guard.exit_code == 143


def test_with_weights_the_first_signal_is_held_outside_epochs_and_stops_the_next_one():
    held = []
    with interrupts.guarded(held.append) as guard:
        guard.hold()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        assert held == [signal.SIGINT] and guard.exit_code == 130
        with pytest.raises(interrupts.Interrupted):
            with guard.stoppable():
                pytest.fail("a held signal must stop the next epoch before it starts")


def test_a_repeated_sigterm_is_held_too_and_only_a_second_ctrl_c_raises():
    with interrupts.guarded() as guard:
        guard.hold()
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)  # to every process, and again through torchrun
        time.sleep(0.1)
        assert guard.exit_code == 143
        with pytest.raises(interrupts.Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)


def test_inside_an_epoch_a_signal_raises_even_with_weights():
    with interrupts.guarded() as guard:
        guard.hold()
        with pytest.raises(interrupts.Interrupted), guard.stoppable():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)


def test_the_previous_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with interrupts.guarded():
        assert signal.getsignal(signal.SIGTERM) is not before[0]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
