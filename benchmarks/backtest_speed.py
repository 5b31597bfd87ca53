"""Backtest speed (issue 7, target 2): ETTh1 H=96 stride-1 evaluation against its floor, in one run.

    python benchmarks/backtest_speed.py [--model benchmarks/out/etth1_H96_s0] [--repeats 5]

The floor is the bare batched forward pass over the same 2,785 windows (lookback 336).
Beside it, the Theta method's forecasts alone, and the model's own forecasts from those windows: the network plus the share of the
Theta method's forecast it was fitted to blend in (see `forecaster/theta.py`). `backtest` adds
the windows, the baselines, every metric overall and per step, and the table of forecasts. The model comes from `benchmarks/etth1.py --horizons 96`.
When the `peers` extra is installed, Darts' `historical_forecasts(retrain=False)` on the
same windows is timed beside it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results  # noqa: E402

from forecaster import Forecaster, backtest  # noqa: E402
from forecaster.data import load_series  # noqa: E402
from forecaster import transform  # noqa: E402
from forecaster.estimator.inference import forecast_at, scalers_for, theta_forecasts  # noqa: E402
from forecaster.training import EVAL_BATCH  # noqa: E402
from forecaster.windows import WindowSet, origin_starts, stacked  # noqa: E402


def bare_forward_seconds(model: Forecaster, data, origins: np.ndarray) -> float:
    """Only the network: scaled windows in, outputs out, in EVAL_BATCH chunks."""
    series, scaler = data.series[0], scalers_for(model.state_, data)[0]
    tensor, offsets = stacked([scaler.transform(series.values)[:, None]])
    windows = WindowSet(tensor, origin_starts(offsets[0], origins, model.lookback_), model.lookback_, model.horizon_)
    started = time.perf_counter()
    with torch.no_grad():
        for rows in torch.arange(len(windows)).split(EVAL_BATCH):
            model.net_(windows.inputs(rows))
    return time.perf_counter() - started


def theta_seconds(model: Forecaster, data, origins: np.ndarray) -> float:
    """Only the Theta method's forecasts from every origin, as the model blends them in."""
    values = transform.to_model(data, model.state_.transform)
    started = time.perf_counter()
    theta_forecasts(model.state_, values, [origins])
    return time.perf_counter() - started


def model_forecast_seconds(model: Forecaster, data, origins: np.ndarray) -> float:
    """The network and the Theta share it blends in, as every forecast of the model has them."""
    started = time.perf_counter()
    forecast_at(model.state_, data, [origins])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("benchmarks/out/etth1_H96_s0"))
    parser.add_argument("--data", type=Path, default=Path("benchmarks/out/ETTh1_OT.csv"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    model = Forecaster.load(args.model)
    data = load_series(args.data, model.config, schema=model.schema_)
    first = model.state_.fitted_length(data.series[0])
    origins = np.arange(first, len(data.series[0]) - model.horizon_ + 1)
    floor, statistical, blended, full = [], [], [], []
    for _ in range(args.repeats):
        floor.append(bare_forward_seconds(model, data, origins))
        statistical.append(theta_seconds(model, data, origins))
        blended.append(model_forecast_seconds(model, data, origins))
        started = time.perf_counter()
        result = backtest(model, data, stride=1)
        full.append(time.perf_counter() - started)
    ratio = statistics.median(full) / statistics.median(floor)
    lines = [
        f"Command: `python benchmarks/backtest_speed.py --repeats {args.repeats}` "
        f"(model `{args.model}`, {result.windows} windows, lookback {model.lookback_}, horizon {model.horizon_})",
        "",
        "| what | median s | all runs s |",
        "|---|---|---|",
        f"| bare batched forward pass (the floor) | {statistics.median(floor):.3f} | {', '.join(f'{t:.3f}' for t in floor)} |",
        f"| the Theta method's forecasts alone | {statistics.median(statistical):.3f} | "
        f"{', '.join(f'{t:.3f}' for t in statistical)} |",
        f"| the model's forecasts: network and its Theta share ({model.state_.theta_share:g}) | "
        f"{statistics.median(blended):.3f} | {', '.join(f'{t:.3f}' for t in blended)} |",
        f"| `backtest(stride=1)`: forecasts, baselines, metrics overall and per step, table | "
        f"{statistics.median(full):.3f} | {', '.join(f'{t:.3f}' for t in full)} |",
        f"| **ratio to the bare forward pass (target ≤ 1.5)** | **{ratio:.2f}** | |",
        f"| ratio to the model's forecasts | {statistics.median(full) / statistics.median(blended):.2f} | |",
        "",
        _darts_line(),
    ]
    append_results(args.results, "Backtest speed: ETTh1 H=96, stride 1, no retraining", "\n".join(lines))


def _darts_line() -> str:
    try:
        import darts  # noqa: F401
    except ImportError:
        return ("Darts is not installed here (`pip install -e .[peers]`), so its `historical_forecasts` "
                "was not timed in this run.")
    return "Darts is installed: see `benchmarks/peers.py` for the side-by-side run."


if __name__ == "__main__":
    main()
