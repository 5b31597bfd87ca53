"""Small files with the defaults: the training time a file of a few thousand points takes, and a trend's slope.

Three seeded files, written here, each trained through the CLI with no flags but --out:
    trend.csv       60 months rising by 2.0 a month plus noise (does the forecast keep rising?)
    halfhourly.csv  4,000 half-hourly points, a daily and a weekly cycle
    weekly.csv      2,284 weeks with a yearly cycle
then `forecaster predict` of the trend, whose forecast's least-squares slope should be near 2.0.

    python benchmarks/small_files.py [--seeds 0 1 2] [--work benchmarks/out/small] [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results, run_measured  # noqa: E402

TRUE_SLOPE = 2.0


def write_files(work: Path) -> dict[str, Path]:
    """The three files, the same on every run."""
    rng = np.random.default_rng(0)
    t = np.arange(60)
    trend = pd.DataFrame({"month": pd.date_range("2019-01-01", periods=60, freq="MS").strftime("%Y-%m-%d"),
                          "sales": 100 + TRUE_SLOPE * t + rng.normal(0, 1.5, 60)})
    t = np.arange(4000)
    demand = (20 + 5 * np.sin(2 * np.pi * t / 48) + 2 * np.sin(2 * np.pi * t / 336)
              + np.cumsum(rng.normal(0, 0.05, 4000)) + rng.normal(0, 0.5, 4000))
    halfhourly = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=4000, freq="30min"), "demand": demand})
    t = np.arange(2284)
    value = 50 + 10 * np.sin(2 * np.pi * t / 52.18) + np.cumsum(rng.normal(0, 0.3, 2284)) + rng.normal(0, 1, 2284)
    weekly = pd.DataFrame({"week": pd.date_range("1980-01-06", periods=2284, freq="W-SUN"), "value": value})
    paths = {}
    for name, frame in (("trend", trend), ("halfhourly", halfhourly), ("weekly", weekly)):
        paths[name] = work / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def run(name: str, data: Path, work: Path, seed: int) -> dict:
    model = work / f"{name}_s{seed}"
    train = ["forecaster", "train", str(data), *(["--seed", str(seed)] if seed else []), "--out", str(model),
             "--force", "--quiet", "--json"]
    trained = run_measured(train)
    summary = json.loads(trained.stdout)
    row = {"file": name, "seed": seed, "train_s": trained.seconds, "epochs": summary["epochs run"],
           "lookback": summary["lookback"], "command": " ".join(train)}
    if name == "trend":
        output = work / f"{name}_s{seed}_forecast.csv"
        run_measured(["forecaster", "predict", str(model), "--data", str(data), "--output", str(output), "--force",
                      "--quiet"])
        forecast = pd.read_csv(output)["forecast"].to_numpy()
        row["slope"] = float(np.polyfit(np.arange(len(forecast)), forecast, 1)[0])
    return row


def report(rows: list[dict], seeds: list[int]) -> str:
    lines = [f"Command: `python benchmarks/small_files.py --seeds {' '.join(map(str, seeds))}`", "",
             "| file | points | lookback | train s (median, min-max) | epochs | forecast slope (true 2.0) |",
             "|---|---|---|---|---|---|"]
    points = {"trend": 60, "halfhourly": 4000, "weekly": 2284}
    for name in points:
        runs = [r for r in rows if r["file"] == name]
        times = [r["train_s"] for r in runs]
        slopes = [r["slope"] for r in runs if "slope" in r]
        slope = (f"{statistics.median(slopes):.2f} ({min(slopes):.2f}-{max(slopes):.2f})" if slopes else "")
        lines.append(f"| {name} | {points[name]:,} | {runs[0]['lookback']} | {statistics.median(times):.1f} "
                     f"({min(times):.1f}-{max(times):.1f}) | {', '.join(str(r['epochs']) for r in runs)} | {slope} |")
    lines += ["", "Per-run command: `" + rows[0]["command"].replace(str(rows[0]["file"]), "FILE") + "`"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/small"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    paths = write_files(args.work)
    rows = []
    for seed in args.seeds:
        for name, data in paths.items():
            rows.append(run(name, data, args.work, seed))
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "command"}), flush=True)
    append_results(args.results, "Small files with the defaults: training time and a trend's slope", report(rows, args.seeds))


if __name__ == "__main__":
    main()
