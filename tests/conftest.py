"""Shared fixtures and helpers: the reference data beside the repository, tiny synthetic series, and the CLI's
runners and assertions (SPEC §3's contract for a user error)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.config import Config
from forecaster.data import load_series
from forecaster.errors import DataError

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and on a busy machine torch's spinning threads cost minutes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"reference data not found at {SHARED_DATA}; CI places ../shared beside the repository")
    return SHARED_DATA


def daily_cycle(n: int, noise: float, seed: int, level: float = 5.0, amplitude: float = 1.0) -> pd.DataFrame:
    """n hours of a daily sine cycle plus Gaussian noise of known size, as a `date, load` frame."""
    rng = np.random.default_rng(seed)
    time = pd.date_range("2024-01-01", periods=n, freq="h")
    values = level + amplitude * np.sin(2 * np.pi * np.arange(n) / 24) + rng.normal(0, noise, n)
    return pd.DataFrame({"date": time, "load": values})


@pytest.fixture
def hourly_frame() -> pd.DataFrame:
    """Three weeks of a noisy daily cycle, hourly: a series a small network can learn quickly."""
    return daily_cycle(21 * 24, 0.2, seed=0, level=10.0, amplitude=3.0)


TINY = dict(hidden_size=8, num_layers=1, epochs=3, batch_size=32, dropout=0.0)


# --- reading files: shared by the tests of data and timestamps ---


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path, text: str, **settings):
    return load_series(write(tmp_path, text), Config(**settings))


def refusal(tmp_path, text: str, **settings) -> str:
    with pytest.raises(DataError) as caught:
        load(tmp_path, text, **settings)
    return str(caught.value)


def days(*dates: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(d) for d in dates]


# ------------------------------------------------------------------ the CLI
def invoke(*args, **kwargs):
    return CliRunner().invoke(app, [str(a) for a in args], **kwargs)


def forecaster_process(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forecaster", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kwargs)


def described(result) -> str:
    return f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception!r}"


def ok(result):
    """Assert success and return the result, showing both streams on failure."""
    assert result.exit_code == 0, described(result)
    return result


def user_error(result, *fragments: str, only_line: bool = True) -> str:
    """Assert SPEC §3's bad-input contract and return the error line: exit 2, one line, no traceback."""
    assert result.exit_code == 2, described(result)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    if only_line:
        assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def leftovers(directory: Path) -> list[str]:
    """Temporary files or directories of an atomic write that were not cleaned up."""
    return [p.name for p in directory.iterdir() if p.name.endswith((".partial", ".old")) or ".partial." in p.name]
