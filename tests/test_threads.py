"""CPU threads: the automatic count, and `--threads` reaching torch in train, predict and evaluate."""

from __future__ import annotations

import json

import pytest
import torch

import forecaster.estimator.fitting
import forecaster.threads
from forecaster import Forecaster
from forecaster.config import Config, parse_threads
from forecaster.errors import ConfigError
from forecaster.threads import MAX_AUTO_THREADS, auto_threads, threads_limited, use_threads

from conftest import TINY, daily_cycle
from conftest import invoke, ok, user_error
from test_cli import ENERGY, train_tiny


@pytest.fixture(autouse=True)
def restore_threads():
    """Every test here changes torch's threads; the others run on one."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("cores", "load", "expected"),
    [
        (2, 0.0, 2),  # an idle machine: every core
        (2, 0.4, 2),
        (2, 0.6, 1),  # about one core taken: the other one
        (2, 8.0, 1),  # a busy machine: one thread, never none
        (4, 2.2, 2),
        (16, 3.0, MAX_AUTO_THREADS),  # many free cores: a recurrent network gains little past a few
        (1, 0.0, 1),
    ],
)
def test_auto_threads_takes_the_free_cores(cores, load, expected):
    assert auto_threads(cores, load) == expected


def test_auto_threads_reads_the_affinity_and_the_load(monkeypatch):
    monkeypatch.setattr(forecaster.threads.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setattr(forecaster.threads.os, "getloadavg", lambda: (1.0, 0.5, 0.5))
    assert auto_threads() == 2
    monkeypatch.setattr(forecaster.threads.os, "getloadavg", lambda: (3.0, 3.0, 3.0))
    assert auto_threads() == 1


def test_use_threads_sets_torch_and_auto_uses_the_rule(monkeypatch):
    assert use_threads(1) == 1 and torch.get_num_threads() == 1
    assert use_threads(2) == 2 and torch.get_num_threads() == 2
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(forecaster.threads, "auto_threads", lambda: 1)
    assert use_threads(None) == 1 and torch.get_num_threads() == 1


@pytest.mark.parametrize("value, expected", [("1", 1), (" 2 ", 2), ("0", 3), ("four", 3), ("", 3)])
def test_auto_keeps_the_count_omp_num_threads_sets(monkeypatch, value, expected):
    # Two processes started at once on an idle machine would each take every core; the environment tells each its share.
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    monkeypatch.setattr(forecaster.threads, "auto_threads", lambda: 3)
    assert use_threads(None) == expected and torch.get_num_threads() == expected
    assert use_threads(2) == 2  # a count asked for outranks the environment


def test_threads_limited_sets_and_restores():
    torch.set_num_threads(2)
    with threads_limited(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with threads_limited(None):  # None leaves the process as it is
        assert torch.get_num_threads() == 2


def test_a_library_fit_runs_with_its_threads_and_gives_them_back(monkeypatch):
    seen = []
    train = forecaster.estimator.fitting.train

    def spying(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return train(*args, **kwargs)

    monkeypatch.setattr(forecaster.estimator.fitting, "train", spying)
    torch.set_num_threads(2)
    model = Forecaster(**{**TINY, "epochs": 1}, threads=1).fit(daily_cycle(24 * 10, 0.2, seed=0))
    assert seen and set(seen) == {1} and torch.get_num_threads() == 2  # every member's training
    assert model.state_.resolved_config().threads is None  # a refit runs as the process that makes it


@pytest.mark.parametrize("text", ["0", "-1", "two"])
def test_bad_thread_counts_are_refused(text):
    with pytest.raises(ConfigError, match="`threads`"):
        Config(threads=parse_threads(text))


def test_parse_threads():
    assert parse_threads("auto") is None and parse_threads("AUTO") is None and parse_threads("3") == 3


# ------------------------------------------------------------------ through the CLI


def test_train_threads_one_sets_torch_and_the_summary(tmp_path):
    torch.set_num_threads(2)
    result = ok(invoke("train", ENERGY, "--target", "load", "--hidden-size", "8", "--num-layers", "1", "--epochs", "1",
                       "--threads", "1", "--out", tmp_path / "m", "--json"))
    assert torch.get_num_threads() == 1  # CliRunner runs the command in this process
    assert json.loads(result.stdout)["threads"] == 1
    assert json.loads((tmp_path / "m" / "config.json").read_text())["config"]["threads"] == 1


def test_train_auto_threads_follow_the_rule(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(forecaster.threads, "auto_threads", lambda: 2)
    result = ok(invoke("train", ENERGY, "--target", "load", "--hidden-size", "8", "--num-layers", "1", "--epochs", "1",
                       "--out", tmp_path / "m", "--json"))
    assert json.loads(result.stdout)["threads"] == 2 and torch.get_num_threads() == 2
    assert json.loads((tmp_path / "m" / "config.json").read_text())["config"]["threads"] is None


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_take_threads(tmp_path, command):
    train_tiny(ENERGY, tmp_path / "m", "--target", "load", "--holdout", "48")
    torch.set_num_threads(2)
    ok(invoke(command, tmp_path / "m", "--data", ENERGY, "--threads", "1", "--json"))
    assert torch.get_num_threads() == 1


def test_a_bad_thread_count_is_refused_by_the_cli(tmp_path):
    user_error(invoke("train", ENERGY, "--threads", "0", "--out", tmp_path / "m"), "--threads")
    assert not (tmp_path / "m").exists()


def test_a_model_saved_before_threads_existed_loads(tmp_path):
    train_tiny(ENERGY, tmp_path / "m", "--target", "load")
    path = tmp_path / "m" / "config.json"
    stored = json.loads(path.read_text())
    del stored["config"]["threads"]
    path.write_text(json.dumps(stored))
    assert Forecaster.load(tmp_path / "m").config.threads is None
    ok(invoke("predict", tmp_path / "m", "--data", ENERGY))
