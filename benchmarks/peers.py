"""forecaster beside Darts and NeuralForecast on ETTh1 (issue 7, items 2 and 4), in one run.

Needs the optional extra: `pip install -e .[peers]` (darts, neuralforecast). Without it, only
forecaster runs, and the report says which peer was skipped and why.

    python benchmarks/peers.py [--data ../shared/data/ETTh1.csv] [--epochs 3] [--repeats 3]
           [--libraries forecaster darts neuralforecast] [--results benchmarks/RESULTS.md]

Protocol (../shared/data/README.md): ETTh1 `OT`, first 14,400 rows, train/val/test = 8,640/2,880/2,880,
scaled with the training rows' mean and (population) standard deviation; test MSE and MAE on that
scale over all 2,880 - 96 + 1 = 2,785 stride-1 windows, whose inputs may reach back into validation.

The same settings for all three:
    lookback 336, horizon 96, LSTM 2 layers x 64 units, dropout 0.1, batch 256, MSE loss,
    AdamW (lr 1e-3, weight decay 1e-4), constant learning rate, gradient clipping at norm 1,
    --epochs epochs with no early stopping, seed 0, torch's default thread count, CPU, fp32.
One epoch is one pass over the 8,209 training windows (33 batches of 256), followed by the
loss on the 2,785 validation windows; the seconds per epoch include both, for every library.
  - forecaster: `forecaster train` / `forecaster evaluate` (the CLI); the seconds per epoch are
    from the history saved in the model's config.json.
  - Darts BlockRNNModel (LSTM encoder, fully connected decoder from the last hidden state: the
    same shape as forecaster's network); reversible instance norm on, the nearest thing Darts
    has to forecaster's default window normalization (--window-norm last).
  - NeuralForecast LSTM (direct, recurrent=False; its default MLP decoder with 64 units and its
    default per-window robust scaler). NeuralForecast has no epochs: it trains by steps, each
    drawing 256 random windows from the series, so one "epoch" here is 33 steps, with the
    validation loss after each 33 (val_check_steps=33).
Each library trains in its own process, so its peak memory (RSS) is its own.

Item 2 (test-window forecasts, no retraining): forecaster's `backtest(model, data, stride=1)` (what
`forecaster evaluate --stride 1` runs, with its baselines, metrics and table) against Darts'
`historical_forecasts(retrain=False, stride=1, last_points_only=False)` on the same 2,785 windows,
each timed in-process, median of --repeats; NeuralForecast's `cross_validation` forecasts are
timed once (its wall time less its fit).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results, run_measured  # noqa: E402
from etth1 import DEFAULT_DATA, ROWS, TEST_ROWS, TRAIN_ROWS, VAL_ROWS, prepared_csv, standardized_scores  # noqa: E402

LOOKBACK, HORIZON, HIDDEN, LAYERS, DROPOUT = 336, 96, 64, 2, 0.1
BATCH, LR, WEIGHT_DECAY, GRAD_CLIP, SEED = 256, 1e-3, 1e-4, 1.0, 0
EVAL_BATCH = 4096  # forecaster's forward-pass batch when scoring; given to Darts' predictions too
TRAIN_WINDOWS = TRAIN_ROWS - LOOKBACK - HORIZON + 1  # 8,209
STEPS_PER_EPOCH = math.ceil(TRAIN_WINDOWS / BATCH)  # 33
TEST_WINDOWS = TEST_ROWS - HORIZON + 1  # 2,785
PEERS = {"darts": "darts", "neuralforecast": "neuralforecast"}


# ----------------------------------------------------------------------------- shared helpers

def standardized(data: Path) -> np.ndarray:
    """The OT column of the prepared file (14,400 rows), scaled by the training rows' mean and population std."""
    values = pd.read_csv(data)["OT"].to_numpy(dtype=np.float64)
    assert len(values) == ROWS, len(values)
    train = values[:TRAIN_ROWS]
    return (values - train.mean()) / train.std()


def test_actuals(scaled: np.ndarray) -> np.ndarray:
    """(2785, 96): the actual values of each stride-1 test window, on the standardized scale."""
    origins = np.arange(TRAIN_ROWS + VAL_ROWS, ROWS - HORIZON + 1)
    return scaled[origins[:, None] + np.arange(HORIZON)[None, :]]


def scores(forecasts: np.ndarray, actual: np.ndarray) -> dict:
    error = forecasts - actual
    return {"test_MSE": float(np.mean(error**2)), "test_MAE": float(np.mean(np.abs(error))), "windows": len(actual)}


def epoch_timer():
    """A Lightning callback marking the start of every STEPS_PER_EPOCH training steps and the end of training.

    The marks live on the class: Darts and NeuralForecast may copy the trainer arguments they are given.
    """
    import pytorch_lightning as pl

    class EpochTimer(pl.Callback):
        marks: list[float] = []
        fit: list[float] = []

        def on_fit_start(self, trainer, pl_module):
            EpochTimer.fit.append(time.perf_counter())

        def on_fit_end(self, trainer, pl_module):
            EpochTimer.fit.append(time.perf_counter())

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            step = trainer.global_step
            if step % STEPS_PER_EPOCH == 0 and len(EpochTimer.marks) == step // STEPS_PER_EPOCH:
                EpochTimer.marks.append(time.perf_counter())

        def on_train_end(self, trainer, pl_module):
            EpochTimer.marks.append(time.perf_counter())

        @staticmethod
        def epoch_seconds() -> list[float]:
            return [b - a for a, b in zip(EpochTimer.marks, EpochTimer.marks[1:])]

    return EpochTimer


def quiet_trainer() -> dict:
    return {"accelerator": "cpu", "devices": 1, "enable_progress_bar": False, "enable_model_summary": False,
            "logger": False, "enable_checkpointing": False, "num_sanity_val_steps": 0,
            "gradient_clip_val": GRAD_CLIP}


# ----------------------------------------------------------------------------- workers (one process each)

def worker_darts(args) -> dict:
    import torch
    from darts import TimeSeries
    from darts.models import BlockRNNModel

    import darts

    scaled = standardized(args.data).astype(np.float32)
    series = TimeSeries.from_values(scaled)  # integer index 0..14,399
    train = series[:TRAIN_ROWS]
    val = series[TRAIN_ROWS - LOOKBACK: TRAIN_ROWS + VAL_ROWS]  # its windows: the 2,785 validation windows
    timer = epoch_timer()
    model = BlockRNNModel(
        input_chunk_length=LOOKBACK, output_chunk_length=HORIZON, model="LSTM", hidden_dim=HIDDEN,
        n_rnn_layers=LAYERS, dropout=DROPOUT, batch_size=BATCH, n_epochs=args.epochs,
        optimizer_cls=torch.optim.AdamW, optimizer_kwargs={"lr": LR, "weight_decay": WEIGHT_DECAY},
        use_reversible_instance_norm=True, random_state=SEED, work_dir=str(args.work / "darts_logs"),
        pl_trainer_kwargs={**quiet_trainer(), "callbacks": [timer()]},
    )
    started = time.perf_counter()
    model.fit(train, val_series=val, verbose=False)
    fit_s = time.perf_counter() - started
    epochs = timer.epoch_seconds()
    assert len(epochs) == args.epochs, (timer.marks, args.epochs)

    actual = test_actuals(scaled)
    forecast_s, result = [], None
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = model.historical_forecasts(
            series, start=TRAIN_ROWS + VAL_ROWS, forecast_horizon=HORIZON, stride=1, retrain=False,
            last_points_only=False, overlap_end=False, verbose=False,
            predict_kwargs={"batch_size": EVAL_BATCH, "verbose": False})
        forecast_s.append(time.perf_counter() - started)
    forecasts = np.stack([window.values()[:, 0] for window in result])
    assert forecasts.shape == actual.shape, forecasts.shape
    return {"library": "darts", "version": darts.__version__, "epoch_seconds": epochs, "fit_s": fit_s,
            "forecast_s": forecast_s, "forecast_call": "`historical_forecasts(retrain=False, stride=1)`",
            **scores(forecasts, actual)}


def worker_neuralforecast(args) -> dict:
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import LSTM

    import neuralforecast

    scaled = standardized(args.data)
    frame = pd.DataFrame({"unique_id": "OT", "ds": np.arange(ROWS), "y": scaled})
    timer = epoch_timer()
    model = LSTM(
        h=HORIZON, input_size=LOOKBACK, encoder_n_layers=LAYERS, encoder_hidden_size=HIDDEN,
        encoder_dropout=DROPOUT, decoder_hidden_size=HIDDEN, loss=MSE(), valid_loss=MSE(),
        max_steps=args.epochs * STEPS_PER_EPOCH, val_check_steps=STEPS_PER_EPOCH, early_stop_patience_steps=-1,
        learning_rate=LR, optimizer=torch.optim.AdamW, optimizer_kwargs={"weight_decay": WEIGHT_DECAY},
        batch_size=1, windows_batch_size=BATCH, inference_windows_batch_size=EVAL_BATCH, random_seed=SEED,
        **quiet_trainer(), callbacks=[timer()],
    )
    forecaster = NeuralForecast(models=[model], freq=1)
    started = time.perf_counter()
    result = forecaster.cross_validation(frame, n_windows=None, val_size=VAL_ROWS, test_size=TEST_ROWS,
                                         step_size=1, refit=False)
    total_s = time.perf_counter() - started
    fit_s = timer.fit[1] - timer.fit[0]
    epochs = timer.epoch_seconds()
    assert len(epochs) == args.epochs, (timer.marks, args.epochs)
    result = result.sort_values(["cutoff", "ds"])
    forecasts = result["LSTM"].to_numpy().reshape(-1, HORIZON)
    actual = test_actuals(scaled)
    assert forecasts.shape == actual.shape, forecasts.shape
    assert np.allclose(result["y"].to_numpy().reshape(-1, HORIZON), actual)
    return {"library": "neuralforecast", "version": neuralforecast.__version__, "epoch_seconds": epochs,
            "fit_s": fit_s, "forecast_s": [total_s - fit_s],
            "forecast_call": "`cross_validation(refit=False, step_size=1)` less its fit (one run)",
            **scores(forecasts, actual)}


def worker_forecaster_backtest(args) -> dict:
    from forecaster import Forecaster, backtest
    from forecaster.data import load_series

    model = Forecaster.load(args.model)
    data = load_series(args.data, model.config, schema=model.schema_)
    seconds, result = [], None
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = backtest(model, data, stride=1)
        seconds.append(time.perf_counter() - started)
    return {"forecast_s": seconds, "windows": result.windows}


WORKERS = {"darts": worker_darts, "neuralforecast": worker_neuralforecast, "forecaster-backtest": worker_forecaster_backtest}


# ----------------------------------------------------------------------------- the run

def run_forecaster(args, data: Path) -> dict:
    import forecaster

    model = args.work / "peers_forecaster"
    windows = args.work / "peers_forecaster_windows.csv"
    train = ["forecaster", "train", str(data), "--target", "OT", "--lookback", str(LOOKBACK), "--horizon", str(HORIZON),
             "--holdout", str(TEST_ROWS), "--val-size", str(VAL_ROWS), "--cell", "lstm", "--hidden-size", str(HIDDEN),
             "--num-layers", str(LAYERS), "--dropout", str(DROPOUT), "--batch-size", str(BATCH),
             "--epochs", str(args.epochs), "--patience", "0", "--lr", str(LR), "--weight-decay", str(WEIGHT_DECAY),
             "--lr-schedule", "none", "--grad-clip", str(GRAD_CLIP), "--loss", "mse", "--seed", str(SEED),
             "--ensemble", "1",  # one network, as the peers train (`auto` would fit three on ETTh1)
             "--device", "cpu", "--precision", "fp32", "--out", str(model), "--force", "--quiet", "--json"]
    evaluate = ["forecaster", "evaluate", str(model), "--data", str(data), "--stride", "1",
                "--output", str(windows), "--force", "--quiet", "--json"]
    trained = run_measured(train)
    evaluated = run_measured(evaluate)
    summary = json.loads(trained.stdout)
    history = json.loads((model / "config.json").read_text())["history"]
    train_values = pd.read_csv(data)["OT"].to_numpy()[:TRAIN_ROWS]
    table = standardized_scores(windows, train_values)
    backtested = run_worker("forecaster-backtest", args, data, extra=["--model", str(model)])
    assert backtested["windows"] == table["windows"] == TEST_WINDOWS, (backtested["windows"], table["windows"])
    return {"library": "forecaster", "version": forecaster.__version__, "model": "LSTM (CLI `forecaster train`)",
            "epoch_seconds": [entry["seconds"] for entry in history], "fit_s": summary["seconds"],
            "process_s": trained.seconds, "peak_mb": trained.peak_mb,
            "test_MSE": table["forecast_MSE"], "test_MAE": table["forecast_MAE"], "windows": table["windows"],
            "forecast_s": backtested["forecast_s"], "forecast_call": "`backtest(model, data, stride=1)`",
            "evaluate_cli_s": evaluated.seconds, "commands": [shlex.join(train), shlex.join(evaluate)]}


def run_worker(name: str, args, data: Path, extra: list[str] = ()) -> dict:
    out = args.work / f"peers_{name}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--data", str(data),
               "--epochs", str(args.epochs), "--repeats", str(args.repeats), "--work", str(args.work),
               "--worker-out", str(out), *extra]
    measured = run_measured(command)
    result = json.loads(out.read_text())
    result.update(process_s=measured.seconds, peak_mb=measured.peak_mb)
    return result


def run_peer(name: str, args, data: Path) -> dict:
    """A peer's result, or {'skipped': reason} when its package is missing or its run fails."""
    import importlib.util

    if importlib.util.find_spec(PEERS[name]) is None:
        return {"library": name, "skipped": f"`{PEERS[name]}` is not installed (`pip install -e .[peers]`)"}
    try:
        return run_worker(name, args, data)
    except SystemExit as failure:  # run_measured's loud failure: keep the other libraries' figures
        last = str(failure).strip().splitlines()[-1] if str(failure).strip() else "no message"
        return {"library": name, "skipped": f"its run failed: {last}"}


class LoadSampler:
    """Samples the 1-minute load average every 5 s while a library runs: the machine may be shared."""

    def __init__(self) -> None:
        self.samples: list[float] = [os.getloadavg()[0]]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.done.wait(5.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()

    def summary(self) -> tuple[float, float, float]:
        return min(self.samples), statistics.median(self.samples), max(self.samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="path to the public ETTh1.csv")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="timings of the test-window forecasts (median)")
    parser.add_argument("--libraries", nargs="+", default=["forecaster", "darts", "neuralforecast"],
                        choices=["forecaster", "darts", "neuralforecast"])
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"), help="'-' to print only")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.worker_out.write_text(json.dumps(WORKERS[args.worker](args)))
        return
    if "forecaster" not in args.libraries:
        parser.error("forecaster is the reference: keep it in --libraries")
    args.work.mkdir(parents=True, exist_ok=True)
    data = prepared_csv(args.data, args.work)
    rows = []
    for name in args.libraries:
        print(f"training {name} ...", file=sys.stderr, flush=True)
        with LoadSampler() as load:
            row = run_forecaster(args, data) if name == "forecaster" else run_peer(name, args, data)
        row["load"] = load.summary()  # how busy the (shared) machine was while this library ran
        print(json.dumps({k: v for k, v in row.items() if k != "commands"}), file=sys.stderr, flush=True)
        rows.append(row)
    body = report(rows, args)
    if str(args.results) == "-":
        print(body)
    else:
        append_results(args.results, f"forecaster vs Darts and NeuralForecast: ETTh1 OT, H={HORIZON}, lookback {LOOKBACK}", body)


def per_epoch(row: dict) -> float:
    """Median seconds per epoch after the first (the first holds one-off warm-up); the only one if one."""
    seconds = row["epoch_seconds"]
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def report(rows: list[dict], args) -> str:
    ref = rows[0]
    ran = [r for r in rows if "skipped" not in r]
    command = f"python benchmarks/peers.py --epochs {args.epochs} --repeats {args.repeats}"
    if args.libraries != ["forecaster", "darts", "neuralforecast"]:
        command += " --libraries " + " ".join(args.libraries)
    lines = [
        f"Command: `{command}` (ETTh1 `OT`, first {ROWS:,} rows, train/val/test {TRAIN_ROWS:,}/{VAL_ROWS:,}/{TEST_ROWS:,}; "
        f"lookback {LOOKBACK}, horizon {HORIZON}, LSTM {LAYERS}x{HIDDEN}, dropout {DROPOUT}, batch {BATCH}, "
        f"AdamW lr {LR:g} wd {WEIGHT_DECAY:g}, constant lr, grad clip {GRAD_CLIP:g}, {args.epochs} epoch(s) of "
        f"{TRAIN_WINDOWS:,} training windows + {TEST_WINDOWS:,} validation windows each, no early stopping, seed {SEED}, "
        "one process per library, torch default threads)",
        "",
        "| library | version | s/epoch (median after the 1st) | each epoch s | fit s | peak MB | test MSE | test MAE | windows "
        "| forecaster faster by | MSE vs forecaster |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ran:
        lines.append(
            f"| {r['library']} | {r['version']} | {per_epoch(r):.2f} | {', '.join(f'{s:.1f}' for s in r['epoch_seconds'])} "
            f"| {r['fit_s']:.1f} | {r['peak_mb']:.0f} | {r['test_MSE']:.4f} | {r['test_MAE']:.4f} | {r['windows']} "
            f"| {per_epoch(r) / per_epoch(ref):.2f}x | {r['test_MSE'] / ref['test_MSE']:.3f} |")
    lines += ["", f"Forecasts for the {TEST_WINDOWS:,} stride-1 test windows of the trained model, no retraining (item 2):", "",
              "| library | call | median s | each run s | forecaster faster by |", "|---|---|---|---|---|"]
    for r in ran:
        median = statistics.median(r["forecast_s"])
        lines.append(f"| {r['library']} | {r['forecast_call']} | {median:.2f} | "
                     f"{', '.join(f'{s:.2f}' for s in r['forecast_s'])} | {median / statistics.median(ref['forecast_s']):.2f}x |")
    lines += ["", f"Machine load while each library ran (1-minute load average, min / median / max, on {os.cpu_count()} "
              "cores; this run itself adds about 2, so above about 2 other work shared the CPUs and inflated the seconds): "
              + "; ".join(f"{r['library']} {' / '.join(f'{v:.1f}' for v in r['load'])}" for r in rows) + "."]
    lines += ["", f"`forecaster evaluate --stride 1` as a command (process start, loading, backtest, CSV): "
                  f"{ref['evaluate_cli_s']:.1f} s.", ""]
    for r in rows:
        if "skipped" in r:
            lines.append(f"- {r['library']} skipped: {r['skipped']}")
    lines += ["- Peers: Darts `BlockRNNModel(model='LSTM')` with reversible instance norm; NeuralForecast `LSTM` "
              "(direct, MLP decoder, robust per-window scaler), trained by steps: one epoch = "
              f"{STEPS_PER_EPOCH} steps of {BATCH} random windows, validated every {STEPS_PER_EPOCH} steps.",
              f"- forecaster commands: `{ref['commands'][0]}` then `{ref['commands'][1]}`"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
