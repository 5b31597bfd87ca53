"""ETTh1 univariate (OT) benchmark, through the CLI, following ../shared/data/README.md.

For each horizon H:
    forecaster train  ETTh1_OT.csv --target OT --lookback 336 --horizon H --holdout 2880 --val-size 2880
    forecaster evaluate MODEL --data ETTh1_OT.csv --stride 1 --output windows.csv
then MSE and MAE on the scale standardized by the training rows (0..8639), over all
2,880 - H + 1 test windows. The naive baseline from the same windows checks the protocol
(published: 0.034 at H=24, 0.069 at H=96).

    python benchmarks/etth1.py [--data ../shared/data/ETTh1.csv] [--horizons 24 96 336] [--seeds 0 1 2]
           [--flags "--cell gru"] [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results, run_measured  # noqa: E402

ROWS, TRAIN_ROWS, VAL_ROWS, TEST_ROWS = 14_400, 8_640, 2_880, 2_880
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETTh1.csv"
PUBLISHED = {96: "NLinear 0.053, PatchTST/42 0.055", 192: "NLinear 0.069, PatchTST 0.071",
             336: "NLinear 0.081, PatchTST 0.081", 720: "NLinear 0.080, PatchTST 0.087"}


def prepared_csv(source: Path, work: Path) -> Path:
    """The first 14,400 rows as `date,OT` (the protocol's span)."""
    frame = pd.read_csv(source, usecols=["date", "OT"]).iloc[:ROWS]
    path = work / "ETTh1_OT.csv"
    frame.to_csv(path, index=False)
    return path


def standardized_scores(windows: Path, train_values: np.ndarray) -> dict[str, float]:
    table = pd.read_csv(windows)
    scale = train_values.std()  # population std, as the scaler (StandardScaler) uses
    scores = {}
    for name in ("forecast", "naive"):
        error = (table["actual"] - table[name]) / scale
        scores[f"{name}_MSE"] = float(np.mean(error**2))
        scores[f"{name}_MAE"] = float(np.mean(np.abs(error)))
    scores["windows"] = int(table["origin"].nunique())
    for level, (low, high) in {80: ("q0.1", "q0.9"), 95: ("q0.025", "q0.975")}.items():
        if low in table and high in table:
            inside = (table["actual"] >= table[low]) & (table["actual"] <= table[high])
            scores[f"coverage_{level}"] = float(inside.mean())
    return scores


def run_horizon(data: Path, work: Path, horizon: int, seed: int, flags: list[str]) -> dict:
    model = work / f"etth1_H{horizon}_s{seed}"
    windows = work / f"etth1_H{horizon}_s{seed}_windows.csv"
    train = ["forecaster", "train", str(data), "--target", "OT", "--lookback", "336", "--horizon", str(horizon),
             "--holdout", str(TEST_ROWS), "--val-size", str(VAL_ROWS), "--seed", str(seed), *flags,
             "--out", str(model), "--force", "--quiet", "--json"]
    evaluate = ["forecaster", "evaluate", str(model), "--data", str(data), "--stride", "1",
                "--output", str(windows), "--force", "--quiet", "--json"]
    trained = run_measured(train)
    evaluated = run_measured(evaluate)
    summary = json.loads(trained.stdout)
    train_values = pd.read_csv(data)["OT"].to_numpy()[:TRAIN_ROWS]
    scores = standardized_scores(windows, train_values)
    return {"horizon": horizon, "seed": seed, **scores, "train_s": trained.seconds, "train_peak_mb": trained.peak_mb,
            "evaluate_s": evaluated.seconds, "epochs": summary["epochs run"], "best_epoch": summary["best epoch"],
            "train_cmd": shlex.join(train), "evaluate_cmd": shlex.join(evaluate)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="path to the public ETTh1.csv")
    parser.add_argument("--horizons", type=int, nargs="+", default=[24, 96, 336])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--flags", default="", help="extra train flags, e.g. '--cell gru' (reported)")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = prepared_csv(args.data, args.work)
    rows = []
    for horizon in args.horizons:
        runs = [run_horizon(data, args.work, horizon, seed, shlex.split(args.flags)) for seed in args.seeds]
        for run in runs:
            print(json.dumps({k: v for k, v in run.items() if not k.endswith("_cmd")}), flush=True)
        rows.append(runs)
    name = "ETTh1" if args.data == DEFAULT_DATA else args.data.stem  # ETTh2 runs through the same protocol
    append_results(args.results, f"{name} univariate (OT), lookback 336, stride-1 test windows", _report(rows, args))


def _report(rows: list[list[dict]], args) -> str:
    lines = [
        "Command: `python benchmarks/etth1.py" + ("" if args.data == DEFAULT_DATA else f" --data {args.data}")
        + f" --horizons {' '.join(map(str, args.horizons))} "
        f"--seeds {' '.join(map(str, args.seeds))}" + (f" --flags {shlex.quote(args.flags)}" if args.flags else "") + "`",
        "",
        "| H | windows | MSE (median of seeds) | MAE | MSE per seed | naive MSE | published MSE | 80 % / 95 % coverage | train s | peak MB | epochs (best) | evaluate s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for runs in rows:
        first = runs[0]
        mse = statistics.median(r["forecast_MSE"] for r in runs)
        mae = statistics.median(r["forecast_MAE"] for r in runs)
        lines.append(
            f"| {first['horizon']} | {first['windows']} | {mse:.4f} | {mae:.4f} | "
            f"{', '.join(format(r['forecast_MSE'], '.4f') for r in runs)} | {first['naive_MSE']:.4f} | "
            f"{PUBLISHED.get(first['horizon'], '-') if args.data == DEFAULT_DATA else '-'} | {_coverage(runs)} | "
            f"{statistics.median(r['train_s'] for r in runs):.0f} | "
            f"{max(r['train_peak_mb'] for r in runs):.0f} | "
            f"{', '.join(str(r['epochs']) + ' (' + str(r['best_epoch']) + ')' for r in runs)} | {first['evaluate_s']:.1f} |"
        )
    lines += ["", "Per-run commands:", ""]
    lines += [f"- `{r['train_cmd']}` then `{r['evaluate_cmd']}`" for runs in rows for r in runs[:1]]
    return "\n".join(lines)


def _coverage(runs: list[dict]) -> str:
    if "coverage_80" not in runs[0]:
        return "-"
    return " / ".join(f"{statistics.median(r[f'coverage_{level}'] for r in runs):.3f}" for level in (80, 95))


if __name__ == "__main__":
    main()
