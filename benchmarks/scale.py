"""Many series through the CLI: loading, one epoch of training, and predict (issue 7, target 2).

    python benchmarks/scale.py [--series 10000] [--steps 1000] [--profile]

A long CSV (`unique_id, ds, y`: hourly, a daily cycle plus noise, each series starting at its own
hour) is written to the work folder once, then, each in a fresh process:
    load     `forecaster.data.load_series` alone (the loader every command uses; its two halves,
             read_table and series_from_frame, timed inside the process)
    train    forecaster train FILE --epochs 1 --hidden-size 64 (defaults otherwise)
    predict  forecaster predict MODEL --data FILE --output forecast.csv (every series)
with wall time and peak memory (RSS) of each. Targets: loading under 5 s, peak memory under 2 GB.
`--profile` prints cProfile's top functions of loading (by cumulative time) to stdout.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results, run_measured  # noqa: E402

# Run in a child so that its peak RSS is loading's alone; prints the seconds of reading and of cleaning.
_LOAD = """
import json, sys, time
from pathlib import Path
from forecaster.config import Config
from forecaster.data import series_from_frame
from forecaster.data.reading import read_table

path = Path(sys.argv[1])
started = time.perf_counter()
frame = read_table(path)
read = time.perf_counter()
series = series_from_frame(frame, Config(), source=str(path), from_file=True)
done = time.perf_counter()
print(json.dumps({"read_s": read - started, "clean_s": done - read, "series": len(series.series),
                  "freq": series.schema.freq}))
"""

_PROFILE = """
import cProfile, pstats, sys
from forecaster.config import Config
from forecaster.data import load_series

cProfile.run("load_series(sys.argv[1], Config())", sys.argv[2])
pstats.Stats(sys.argv[2]).sort_stats("cumulative").print_stats(25)
"""


def long_csv(work: Path, series: int, steps: int, seed: int = 0) -> Path:
    """The benchmark's long file, written once per size (a few hundred MB at 10,000 x 1,000)."""
    path = work / f"scale_{series}x{steps}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    level, amplitude = rng.uniform(10, 100, (series, 1)), rng.uniform(1, 10, (series, 1))
    phase = rng.uniform(0, 2 * np.pi, (series, 1))
    y = level + amplitude * np.sin(2 * np.pi * t / 24 + phase) + rng.normal(0, 1, (series, steps))  # (S, T)
    starts = np.datetime64("2024-01-01T00") + rng.integers(0, 24 * 30, series).astype("timedelta64[h]")
    ds = starts[:, None] + t.astype("timedelta64[h]")  # (S, T)
    frame = pd.DataFrame({"unique_id": np.repeat([f"s{i:05d}" for i in range(series)], steps),
                          "ds": ds.ravel(), "y": y.ravel().round(3)})
    partial = path.with_suffix(".partial")
    frame.to_csv(partial, index=False, date_format="%Y-%m-%d %H:%M:%S")
    partial.rename(path)
    return path


def measure(data: Path, work: Path, profile: bool) -> dict:
    model, forecast = work / "scale_model", work / "scale_forecast.csv"
    if profile:
        print(run_measured(["python", "-c", _PROFILE, str(data), str(work / "scale_load.prof")]).stdout)
    load = ["python", "-c", _LOAD, str(data)]
    train = ["forecaster", "train", str(data), "--epochs", "1", "--hidden-size", "64", "--out", str(model),
             "--force", "--quiet", "--json"]
    predict = ["forecaster", "predict", str(model), "--data", str(data), "--output", str(forecast), "--force",
               "--quiet"]
    loaded = run_measured(load)
    timing = json.loads(loaded.stdout)
    trained = run_measured(train)
    predicted = run_measured(predict)
    rows = len(pd.read_csv(forecast, usecols=["series"]))
    return {"load": loaded, "timing": timing, "train": trained, "summary": json.loads(trained.stdout),
            "predict": predicted, "forecast_rows": rows,
            # The load script is shown by name: it is this file's _LOAD.
            "commands": {"load": shlex.join(["python", "-c", "$_LOAD", str(data)]), "train": shlex.join(train),
                         "predict": shlex.join(predict)}}


def report(result: dict, args, size_mb: float) -> str:
    timing, summary = result["timing"], result["summary"]
    load, train, predict = result["load"], result["train"], result["predict"]
    lines = [
        f"Command: `python benchmarks/scale.py --series {args.series} --steps {args.steps}`",
        "",
        f"Data: {args.series:,} series x {args.steps:,} hourly steps = {args.series * args.steps:,} rows, "
        f"long CSV of {size_mb:.0f} MB; {timing['series']:,} series loaded, frequency {timing['freq']!r}.",
        "",
        "| step | wall s | peak MB | notes |",
        "|---|---|---|---|",
        f"| load (`load_series`, in its own process) | {load.seconds:.1f} | {load.peak_mb:.0f} | "
        f"read_table {timing['read_s']:.2f} s + series_from_frame (parse, validate, clean) {timing['clean_s']:.2f} s "
        f"= **{timing['read_s'] + timing['clean_s']:.2f} s** (without the interpreter and imports) |",
        f"| train, 1 epoch | {train.seconds:.1f} | {train.peak_mb:.0f} | fit {summary['seconds']:.1f} s "
        f"(epoch + validation of every series); lookback {summary['lookback']}, horizon {summary['horizon']} |",
        f"| predict, every series | {predict.seconds:.1f} | {predict.peak_mb:.0f} | "
        f"{result['forecast_rows']:,} forecast rows written |",
        "",
        "Per-step commands:",
        "",
    ]
    lines += [f"- {name}: `{command}`" for name, command in result["commands"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="print cProfile's view of loading first")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = long_csv(args.work, args.series, args.steps)
    result = measure(data, args.work, args.profile)
    size_mb = data.stat().st_size / 2**20
    append_results(args.results, f"Scale: {args.series:,} series x {args.steps:,} steps", report(result, args, size_mb))


if __name__ == "__main__":
    main()
