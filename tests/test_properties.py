"""Property tests (hypothesis): random well-formed and malformed data and models through the loader and the CLI.

The contract of SPEC §3, checked on frames nobody wrote by hand: the loader returns clean series or raises
DataError naming the file; the CLI exits 0 with finite forecasts, or 2 with one line naming the file at fault.
Nothing else: no other exception, no exit 1, no traceback, no NaN written. One tiny model is trained once;
the loader properties need none.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import tempfile
from datetime import timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from forecaster.config import Config
from forecaster.data import SeriesSet, load_series, series_from_frame
from forecaster.errors import DataError
from forecaster.data.timeaxis import STEPS

from conftest import invoke, ok

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLI = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HORIZON = 3
TINY = ["--hidden-size", "8", "--num-layers", "1", "--epochs", "1", "--lookback", "6", "--horizon", str(HORIZON)]




# ------------------------------------------------------------- strategies
FREQS = ["h", "D", "15min", "MS", "W-MON"]
ZONES = [None, timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]
JUNK = st.sampled_from(["", " ", "n/a", "abc", "1,5", "--", "inf", "-inf", "nan", "1e400", "1e300", "1e-300",
                        "2024-13-45", "12:00", "true", "\u00e9", "0x1F", "1_000"])


@st.composite
def values(draw, n: int) -> list[object]:
    """A series of n cells: mostly numbers of one random magnitude, with optional gaps, junk and extremes."""
    magnitude = draw(st.sampled_from([1.0, 1e-30, 1e6, 1e30, 1e120]))
    kind = draw(st.sampled_from(["wave", "constant", "random"]))
    if kind == "wave":
        cells: list[object] = list(magnitude * (2 + np.sin(np.arange(n) / 3)))
    elif kind == "constant":
        cells = [magnitude] * n
    else:
        cells = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    for _ in range(draw(st.integers(0, 3))):
        if n:
            cells[draw(st.integers(0, n - 1))] = draw(st.one_of(JUNK, st.none(), st.floats()))
    if n and draw(st.booleans()):  # many missing values
        for i in range(0, n, draw(st.integers(1, 4))):
            cells[i] = None
    return cells


@st.composite
def times(draw, n: int) -> list[object]:
    """n timestamps (or steps) on a grid, then perhaps shuffled, thinned, duplicated, zoned or damaged."""
    kind = draw(st.sampled_from(["dates", "dates", "steps", "text steps"]))
    if kind == "steps":
        step = draw(st.integers(1, 3))
        cells: list[object] = [i * step for i in range(n)]
    else:
        freq = draw(st.sampled_from(FREQS))
        grid = pd.date_range(draw(st.sampled_from(["2024-01-01", "1999-12-31 23:00", "2024-03-30"])), periods=n, freq=freq)
        zone = draw(st.sampled_from(ZONES))
        cells = [t.isoformat(sep=" ") if zone is None else t.tz_localize(zone).isoformat() for t in grid]
        if kind == "text steps":
            cells = [str(i) for i in range(n)]
    if n > 1 and draw(st.booleans()):
        cells = draw(st.permutations(cells))
    if n > 2 and draw(st.booleans()):
        cells[draw(st.integers(0, n - 1))] = cells[draw(st.integers(0, n - 1))]  # a duplicate (or no change)
    if n and draw(st.booleans()):
        cells[draw(st.integers(0, n - 1))] = draw(st.one_of(JUNK, st.none(), st.integers(-(10**16), 10**16)))
    if n > 3 and draw(st.booleans()):  # mixed offsets or naive and aware mixed
        cells[0] = pd.Timestamp("2024-01-01T00:00+02:00").isoformat() if draw(st.booleans()) else "2024-01-01 00:00"
    return cells


@st.composite
def frames(draw) -> pd.DataFrame:
    """A wide or long frame of object cells, well formed or not, as a stranger's CSV might hold."""
    layout = draw(st.sampled_from(["wide", "long", "no time"]))
    n = draw(st.integers(0, 40))
    if layout == "long":
        ids = draw(st.lists(st.sampled_from(["A", "B", "C", None, ""]), min_size=n, max_size=n))
        return pd.DataFrame({"unique_id": ids, "ds": draw(times(n)), "y": draw(values(n))}, dtype=object)
    columns = {"value": draw(values(n))}
    if draw(st.booleans()):
        columns["other"] = draw(values(n))
    if layout == "wide":
        columns = {draw(st.sampled_from(["date", "ds", "timestamp", "when"])): draw(times(n)), **columns}
    return pd.DataFrame(columns, dtype=object)


def csv_text(frame: pd.DataFrame, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows([["" if cell is None else cell for cell in row] for row in frame.itertuples(index=False)])
    return out.getvalue()


def assert_clean(data: SeriesSet) -> None:
    """What every successful read promises: finite values on a gap-free, increasing grid."""
    assert data.series
    for s in data.series:
        assert len(s) == len(s.time) >= 1
        assert np.all(np.isfinite(s.values))
        assert s.time.is_monotonic_increasing and s.time.is_unique
        if data.schema.freq == STEPS:
            assert isinstance(s.time, pd.RangeIndex)
        else:
            assert s.time.equals(pd.date_range(s.time[0], s.time[-1], freq=data.schema.freq))
    assert 0 <= data.inserted <= data.filled


# ------------------------------------------------------------ the loader
@FAST
@given(frame=frames())
def test_a_frame_gives_clean_series_or_a_data_error(frame):
    try:
        data = series_from_frame(frame.copy(), Config(), source="frame.csv")
    except DataError as exc:
        assert str(exc).startswith("frame.csv: "), exc
        event("refused")
        return
    event("read")
    assert_clean(data)


def assert_clean_or_refused(path: Path) -> None:
    """Loading `path` gives clean series, or a DataError whose message starts with the file's name."""
    try:
        data = load_series(path, Config())
    except DataError as exc:
        assert str(exc).startswith(f"{path}: "), exc
        event("refused")
        return
    event("read")
    assert_clean(data)


@FAST
@given(frame=frames(), delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_a_csv_file_gives_clean_series_or_a_data_error_naming_it(frame, delimiter):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text(csv_text(frame, delimiter), encoding="utf-8")
        assert_clean_or_refused(path)


@FAST
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8")),
                         st.text(max_size=200).map(lambda t: t.encode("utf-16"))))
def test_arbitrary_bytes_give_clean_series_or_a_data_error(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(content)
        assert_clean_or_refused(path)


# ------------------------------------------------------------------ the CLI
def long_frame(periods: int = 80, ids=("A", "B")) -> pd.DataFrame:
    time_index = pd.date_range("2024-01-01", periods=periods, freq="h")
    return pd.concat([pd.DataFrame({"unique_id": i, "ds": time_index, "y": 2 + k + np.sin(np.arange(periods) / 3)})
                      for k, i in enumerate(ids)], ignore_index=True)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A tiny long-format model of two hourly series, trained once for every example."""
    root = tmp_path_factory.mktemp("model")
    long_frame().to_csv(root / "train.csv", index=False)
    ok(invoke("train", root / "train.csv", *TINY, "--out", root / "m", "--quiet"))
    return root / "m"


@st.composite
def prediction_frames(draw) -> pd.DataFrame:
    """The kind of data the model was trained on, then damaged at random: most examples should still work."""
    frame = long_frame(periods=draw(st.integers(1, 40)), ids=draw(st.sampled_from([("A",), ("A", "B"), ("B", "Z")])))
    frame = frame.astype({"unique_id": object, "ds": str, "y": object}).astype(object)
    n = len(frame)
    for _ in range(draw(st.integers(0, 3))):
        row, column = draw(st.integers(0, n - 1)), draw(st.sampled_from(["unique_id", "ds", "y"]))
        frame.loc[row, column] = draw(st.one_of(JUNK, st.none(), st.floats(), st.integers(-(10**20), 10**20)))
    if draw(st.booleans()):
        frame = frame.sample(frac=1, random_state=draw(st.integers(0, 99)))
    if draw(st.booleans()):
        frame = frame.drop(index=draw(st.lists(st.sampled_from(list(frame.index)), max_size=n // 2, unique=True)))
    if draw(st.booleans()):
        frame["y"] = pd.to_numeric(frame["y"], errors="coerce") * draw(st.sampled_from([1e-30, 1e30, -1, 1e80]))
    return frame


def assert_one_line_naming(result, *names: object) -> None:
    assert result.exit_code == 2, f"exit {result.exit_code}\n{result.stderr}\n{result.exception!r}"
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]
    assert any(str(name) in lines[-1] for name in names), lines[-1]


@CLI
@given(frame=prediction_frames())
def test_predict_gives_finite_forecasts_or_one_line_naming_the_data(model, frame):
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data.csv"
        frame.to_csv(data, index=False)
        result = invoke("predict", model, "--data", data)
        if result.exit_code != 0:
            assert_one_line_naming(result, data)
            event("refused")
            return
    event("forecast")
    forecast = pd.read_csv(io.StringIO(result.stdout))
    assert np.all(np.isfinite(forecast["forecast"]))
    assert forecast.groupby("series").size().eq(HORIZON).all()


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


def _places(manifest: dict) -> list[tuple[str, ...]]:
    """Every key of the manifest to one level below the top, and the per-series scaler fields."""
    places = [(key,) for key in manifest]
    places += [(key, sub) for key in ("config", "network", "schema") for sub in manifest[key]]
    for series_id, info in manifest["series"].items():
        places += [("series", series_id, sub) for sub in info]
        places += [("series", series_id, "scaler", sub) for sub in info["scaler"]]
    return places


@CLI
@given(choice=st.data())
def test_a_damaged_config_gives_forecasts_or_one_line_naming_the_model(model, choice):
    manifest = json.loads((model / "config.json").read_text())
    place = choice.draw(st.sampled_from(_places(manifest)))
    *parents, key = place
    holder = manifest
    for parent in parents:
        holder = holder[parent]
    if choice.draw(st.booleans()):
        del holder[key]
    else:
        holder[key] = choice.draw(JSON_VALUES)
    with tempfile.TemporaryDirectory() as folder:
        damaged = Path(shutil.copytree(model, Path(folder) / "m"))
        (damaged / "config.json").write_text(json.dumps(manifest, allow_nan=True))
        data = Path(folder) / "data.csv"
        long_frame().to_csv(data, index=False)
        result = invoke("predict", damaged, "--data", data)
        if result.exit_code != 0:
            assert_one_line_naming(result, damaged, data)
            event("refused")
            return
    event("forecast")
    forecast = pd.read_csv(io.StringIO(result.stdout))
    assert np.all(np.isfinite(forecast["forecast"])) and len(forecast) > 0
    assert all(math.isfinite(v) for v in forecast["forecast"])
