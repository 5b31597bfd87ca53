"""M3 and Tourism: short business series, through the CLI, following ../shared/data/README.md.

For each of the seven sets (M3 yearly, quarterly, monthly, other; Tourism yearly, quarterly, monthly):
    forecaster train   SET_train.csv --horizon H --season S
    forecaster predict MODEL --data SET_train.csv --output forecast.csv
scored against SET_test.csv with sMAPE, MASE (period 1 yearly and M3 other, 4 quarterly, 12 monthly) and
MAPE, beside seasonal naive (scored by the same code: a check against the published sanity figures) and,
where the `peers` extra is installed, statsforecast's AutoETS and DynamicOptimizedTheta run here too.

    python benchmarks/m3_tourism.py [--sets m3_monthly tourism_quarterly ...] [--seeds 0 1 2] [--flags "..."]

A figure counts for the defaults only without --flags (those are for probes, and are reported).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results, run_measured  # noqa: E402

from forecaster.baselines import seasonal_naive  # noqa: E402
from forecaster.metrics import mase, seasonal_naive_scale, smape  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Set:
    name: str
    horizon: int
    season: int  # given to --season and used as MASE's period
    check: str  # the published seasonal-naive figure this scoring must reproduce

SETS = {s.name: s for s in (
    Set("m3_yearly", 6, 1, "MASE 3.172"),
    Set("m3_quarterly", 8, 4, "MASE 1.425"),
    Set("m3_monthly", 18, 12, "MASE 1.146"),
    Set("m3_other", 8, 1, ""),
    Set("tourism_yearly", 4, 1, "MAPE 23.61"),
    Set("tourism_quarterly", 8, 4, "MAPE 16.46, MASE 1.699"),
    Set("tourism_monthly", 24, 12, "MAPE 22.56, MASE 1.631"),
)}
# Targets of issue 17: within 5 % of the better of AutoETS and Theta in sMAPE on these sets.
CLOSE_TO_PEERS = ("m3_monthly", "tourism_monthly", "tourism_quarterly")


def histories(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each series' values in time order, by id (in the file's order)."""
    ordered = frame.sort_values(["unique_id", "ds"], kind="stable")
    return {str(sid): rows["y"].to_numpy(dtype=float) for sid, rows in ordered.groupby("unique_id", sort=False)}


def scores(history: dict[str, np.ndarray], actual: dict[str, np.ndarray], forecast: dict[str, np.ndarray],
           season: int) -> dict[str, float]:
    """sMAPE, MASE and MAPE over every series and step, as the data README defines them."""
    ids = list(actual)
    y = np.stack([actual[i] for i in ids])
    f = np.stack([forecast[i][: y.shape[1]] for i in ids])
    scale = np.array([seasonal_naive_scale(history[i], season) for i in ids])
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.abs(y - f) / np.abs(y)
    return {"sMAPE": smape(y, f), "MASE": mase(y, f, np.arange(len(ids)), scale),
            "MAPE": float(100 * np.mean(ape[np.isfinite(ape)]))}


def naive_forecast(history: dict[str, np.ndarray], spec: Set) -> dict[str, np.ndarray]:
    return {i: seasonal_naive(v, np.array([len(v)]), spec.horizon, spec.season)[0] for i, v in history.items()}


def forecaster_run(spec: Set, work: Path, seed: int, flags: list[str]) -> dict:
    """Train and predict through the CLI; the forecasts by id, with timings and the commands."""
    data = SHARED / f"{spec.name}_train.csv"
    model, output = work / f"{spec.name}_s{seed}", work / f"{spec.name}_s{seed}_forecast.csv"
    train = ["forecaster", "train", str(data), "--horizon", str(spec.horizon), "--season", str(spec.season),
             *(["--seed", str(seed)] if seed else []), *flags, "--out", str(model), "--force", "--quiet", "--json"]
    predict = ["forecaster", "predict", str(model), "--data", str(data), "--output", str(output), "--force", "--quiet"]
    trained, predicted = run_measured(train), run_measured(predict)
    summary = json.loads(trained.stdout)
    table = pd.read_csv(output)
    forecast = {str(sid): rows.sort_values("timestamp")["forecast"].to_numpy()
                for sid, rows in table.groupby("series", sort=False)}
    return {"seed": seed, "forecast": forecast, "train_s": trained.seconds, "predict_s": predicted.seconds,
            "epochs": summary["epochs run"], "best_epoch": summary["best epoch"],
            "commands": f"`{shlex.join(train)}` then `{shlex.join(predict)}`"}


def peer_forecasts(train: pd.DataFrame, spec: Set) -> dict[str, tuple[dict[str, np.ndarray], float]]:
    """AutoETS and DynamicOptimizedTheta by id, each with its fitting seconds; empty without statsforecast."""
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, DynamicOptimizedTheta
    except ImportError:
        return {}
    frame = train.assign(unique_id=train["unique_id"].astype(str))
    result = {}
    for model in (AutoETS(season_length=spec.season), DynamicOptimizedTheta(season_length=spec.season)):
        started = time.perf_counter()
        out = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=frame, h=spec.horizon)
        seconds = time.perf_counter() - started
        out = out.reset_index() if "unique_id" not in out.columns else out
        column = [c for c in out.columns if c not in ("unique_id", "ds")][0]
        result[column] = ({str(sid): rows.sort_values("ds")[column].to_numpy()
                           for sid, rows in out.groupby("unique_id", sort=False)}, seconds)
    return result


def run_set(spec: Set, work: Path, seeds: list[int], flags: list[str]) -> dict:
    train, test = pd.read_csv(SHARED / f"{spec.name}_train.csv"), pd.read_csv(SHARED / f"{spec.name}_test.csv")
    history, actual = histories(train), histories(test)
    row = {"set": spec, "series": len(actual), "naive": scores(history, actual, naive_forecast(history, spec), spec.season)}
    runs = []
    for seed in seeds:
        run = forecaster_run(spec, work, seed, flags)
        run.update(scores(history, actual, run.pop("forecast"), spec.season))
        print(json.dumps({"set": spec.name, **{k: v for k, v in run.items() if k != "commands"}}), flush=True)
        runs.append(run)
    row["runs"] = runs
    row["forecaster"] = {k: statistics.median(r[k] for r in runs) for k in ("sMAPE", "MASE", "MAPE", "train_s")}
    row["peers"] = {name: {**scores(history, actual, forecast, spec.season), "seconds": seconds}
                    for name, (forecast, seconds) in peer_forecasts(train, spec).items()}
    return row


def report(rows: list[dict], args: argparse.Namespace) -> str:
    seeds = " ".join(map(str, args.seeds))
    lines = [
        f"Command: `python benchmarks/m3_tourism.py --sets {' '.join(r['set'].name for r in rows)} --seeds {seeds}"
        + (f" --flags {shlex.quote(args.flags)}" if args.flags else "") + "`"
        + ("" if len(args.seeds) == 1 else f" (forecaster: median of {len(args.seeds)} seeds)"),
        "",
        "| set | series | H | forecaster sMAPE | MASE | MAPE | train s | seasonal naive sMAPE / MASE / MAPE | "
        "AutoETS sMAPE / MASE (s) | Theta sMAPE / MASE (s) | beats naive | within 5 % of best peer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        spec, ours, naive, peers = row["set"], row["forecaster"], row["naive"], row["peers"]
        cells = [f"{p['sMAPE']:.2f} / {p['MASE']:.3f} ({p['seconds']:.0f})" if p else "not run"
                 for p in (peers.get("AutoETS"), peers.get("DynamicOptimizedTheta"))]
        beats = ours["sMAPE"] < naive["sMAPE"] and ours["MASE"] < naive["MASE"]
        best = min((p["sMAPE"] for p in peers.values()), default=None)
        close = "" if best is None else (f"{'yes' if ours['sMAPE'] <= 1.05 * best else 'no'} "
                                         f"({ours['sMAPE'] / best - 1:+.1%})")
        lines.append(
            f"| {spec.name} | {row['series']} | {spec.horizon} | {ours['sMAPE']:.2f} | {ours['MASE']:.3f} | "
            f"{ours['MAPE']:.2f} | {ours['train_s']:.0f} | {naive['sMAPE']:.2f} / {naive['MASE']:.3f} / "
            f"{naive['MAPE']:.2f} | {cells[0]} | {cells[1]} | {'yes' if beats else 'no'} | "
            f"{close if spec.name in CLOSE_TO_PEERS else '(not a target) ' + close} |")
    checks = "; ".join(f"{r['set'].name} {r['set'].check}" for r in rows if r["set"].check)
    lines += ["", f"Published seasonal-naive figures (scoring check): {checks}.", "",
              "Per-set commands: " + "; ".join(r["runs"][0]["commands"] for r in rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--flags", default="", help="extra train flags, for probes (reported)")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = [run_set(SETS[name], args.work, args.seeds, shlex.split(args.flags)) for name in args.sets]
    append_results(args.results, "M3 and Tourism (short business series)", report(rows, args))


if __name__ == "__main__":
    main()
