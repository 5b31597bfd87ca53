"""M4 Hourly benchmark, through the CLI, following ../shared/data/README.md.

The 414 training series become one long file with an integer time axis, then
    forecaster train   m4_hourly_long.csv --horizon 48 --season 24
    forecaster predict MODEL --data m4_hourly_long.csv --output forecast.csv
and the forecasts are scored against the test file with sMAPE, MASE and OWA
(Naive2 denominators 18.383 and 2.395). Seasonal naive, scored by the same code,
must give the published 13.912 / 1.193 (OWA 0.627): a check of the scoring.

    python benchmarks/m4_hourly.py [--train PATH] [--test PATH] [--seeds 0 1 2] [--flags "--ensemble 3"]
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

from forecaster.baselines import seasonal_naive  # noqa: E402
from forecaster.metrics import coverage, mase, msis, seasonal_naive_scale, smape  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HORIZON, SEASON = 48, 24
NAIVE2_SMAPE, NAIVE2_MASE = 18.383, 2.395


def histories(train_csv: Path) -> dict[str, np.ndarray]:
    """Each series' training values (M4 rows end in empty cells)."""
    frame = pd.read_csv(train_csv)
    return {row[0]: np.asarray(row[1:], dtype=float)[~np.isnan(np.asarray(row[1:], dtype=float))]
            for row in frame.itertuples(index=False)}


def long_csv(series: dict[str, np.ndarray], work: Path) -> Path:
    path = work / "m4_hourly_long.csv"
    frames = [pd.DataFrame({"unique_id": sid, "ds": np.arange(len(v)), "y": v}) for sid, v in series.items()]
    pd.concat(frames).to_csv(path, index=False)
    return path


def scores(series: dict[str, np.ndarray], forecast: dict[str, np.ndarray], test: pd.DataFrame) -> dict[str, float]:
    ids = list(series)
    actual = test.set_index(test.columns[0]).loc[ids].to_numpy(dtype=float)
    predicted = np.stack([forecast[sid] for sid in ids])
    scale = np.array([seasonal_naive_scale(series[sid], SEASON) for sid in ids])
    s, m = smape(actual, predicted), mase(actual, predicted, np.arange(len(ids)), scale)
    return {"sMAPE": s, "MASE": m, "OWA": 0.5 * (s / NAIVE2_SMAPE + m / NAIVE2_MASE)}


def model_forecast(path: Path, column: str = "forecast") -> dict[str, np.ndarray]:
    table = pd.read_csv(path)
    return {str(sid): rows.sort_values("timestamp")[column].to_numpy() for sid, rows in table.groupby("series")}


def interval_scores(series: dict[str, np.ndarray], path: Path, test: pd.DataFrame) -> dict[str, float]:
    """MSIS (alpha 0.05, scaled like MASE) and ACD of the 95 % interval, if predict wrote one."""
    if "q0.025" not in pd.read_csv(path, nrows=1):
        return {}
    ids = list(series)
    actual = test.set_index(test.columns[0]).loc[ids].to_numpy(dtype=float)
    lower, upper = (np.stack([model_forecast(path, c)[sid] for sid in ids]) for c in ("q0.025", "q0.975"))
    scale = np.array([seasonal_naive_scale(series[sid], SEASON) for sid in ids])
    covered = coverage(actual, lower, upper)
    return {"MSIS": msis(actual, lower, upper, 0.05, np.arange(len(ids)), scale), "coverage_95": covered,
            "ACD": abs(covered - 0.95)}


def run_seed(data: Path, work: Path, seed: int, flags: list[str]) -> dict:
    model, output = work / f"m4_s{seed}", work / f"m4_s{seed}_forecast.csv"
    train = ["forecaster", "train", str(data), "--horizon", str(HORIZON), "--season", str(SEASON), "--seed", str(seed),
             *flags, "--out", str(model), "--force", "--quiet", "--json"]
    predict = ["forecaster", "predict", str(model), "--data", str(data), "--output", str(output), "--force", "--quiet"]
    trained, predicted = run_measured(train), run_measured(predict)
    summary = json.loads(trained.stdout)
    return {"seed": seed, "output": output, "train_s": trained.seconds, "peak_mb": trained.peak_mb,
            "predict_s": predicted.seconds, "epochs": summary["epochs run"], "best_epoch": summary["best epoch"],
            "train_cmd": shlex.join(train), "predict_cmd": shlex.join(predict)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=SHARED / "m4_hourly_train.csv")
    parser.add_argument("--test", type=Path, default=SHARED / "m4_hourly_test.csv")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--flags", default="", help="extra train flags (reported)")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    series, test = histories(args.train), pd.read_csv(args.test)
    check = scores(series, {k: seasonal_naive(v, np.array([len(v)]), HORIZON, SEASON)[0] for k, v in series.items()}, test)
    data = long_csv(series, args.work)
    runs = []
    for seed in args.seeds:
        run = run_seed(data, args.work, seed, shlex.split(args.flags))
        run.update(scores(series, model_forecast(run["output"]), test))
        run.update(interval_scores(series, run["output"], test))
        print(json.dumps({k: v for k, v in run.items() if k not in ("output", "train_cmd", "predict_cmd")}), flush=True)
        runs.append(run)
    append_results(args.results, "M4 Hourly (414 series, horizon 48)", _report(runs, check, args))


def _report(runs: list[dict], check: dict[str, float], args) -> str:
    median = {k: statistics.median(r[k] for r in runs) for k in ("sMAPE", "MASE", "OWA", "train_s")}
    lines = [
        f"Command: `python benchmarks/m4_hourly.py --seeds {' '.join(map(str, args.seeds))}"
        + (f" --flags {shlex.quote(args.flags)}" if args.flags else "") + "`",
        "",
        "| forecaster | sMAPE | MASE | OWA | train s | peak MB | epochs (best) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| seed {r['seed']} | {r['sMAPE']:.3f} | {r['MASE']:.3f} | {r['OWA']:.3f} | {r['train_s']:.0f} | "
                     f"{r['peak_mb']:.0f} | {r['epochs']} ({r['best_epoch']}) |")
    lines += [
        f"| **median** | **{median['sMAPE']:.3f}** | **{median['MASE']:.3f}** | **{median['OWA']:.3f}** | {median['train_s']:.0f} | | |",
        f"| seasonal naive (scoring check; published 13.912 / 1.193 / 0.627) | {check['sMAPE']:.3f} | {check['MASE']:.3f} | "
        f"{check['OWA']:.3f} | | | |",
        "",
        "Published OWA: M4 RNN benchmark 1.036, seasonal naive 0.627, top ten 0.410-0.507 (ES-RNN 0.440).",
    ]
    if "MSIS" in runs[0]:
        lines += ["", "95 % intervals (published MSIS: ARIMA 7.538, ES-RNN 7.928, best (Card) 6.139, ETS 17.487):", "",
                  "| run | MSIS | coverage | ACD |", "|---|---|---|---|"]
        lines += [f"| seed {r['seed']} | {r['MSIS']:.3f} | {r['coverage_95']:.3f} | {r['ACD']:.3f} |" for r in runs]
    lines += ["", f"Per-run commands: `{runs[0]['train_cmd']}` then `{runs[0]['predict_cmd']}`"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
