"""Training throughput against the machine's own limit (issue 7, target 3).

    python benchmarks/throughput.py [--windows 4096] [--repeats 3] [--segments 1,24] [--profile 24]

Windows per second of the real training loop (`training.train`, one epoch) for the LSTM
and the GRU at lookback 336, hidden 64, 2 layers, batch 256, in fp32 and bf16, step-wise
(segment 1) and segment-wise (`--segment`, SegRNN: 336 / 24 = 14 recurrent steps), beside
torch's float32 (and bf16) matmul GFLOP/s on this machine, and the fraction reached:
windows/s x FLOPs per training window / matmul FLOP/s. FLOPs per window count the
recurrent matmuls (2 per multiply-add) of the forward pass, and with segments their embedding,
times 3 for forward + backward. `--profile W` adds where one epoch's time goes at segment W
(LSTM, fp32): torch.profiler's operators by their own CPU time, the first dozen.
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

from forecaster.config import Config  # noqa: E402
from forecaster.model import NetworkShape, RecurrentForecaster  # noqa: E402
from forecaster.training import train  # noqa: E402
from forecaster.windows import WindowSet, origin_starts, stacked  # noqa: E402

LOOKBACK, HORIZON, HIDDEN, LAYERS, BATCH = 336, 96, 64, 2, 256
GATES = {"lstm": 4, "gru": 3}


def matmul_gflops(dtype: torch.dtype, size: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def flops_per_training_window(cell: str, segment: int = 1) -> float:
    first = HIDDEN if segment > 1 else 1  # the cell's first layer reads the embedded segment, or the one channel
    per_step = sum(2 * GATES[cell] * HIDDEN * (inputs + HIDDEN) for inputs in [first] + [HIDDEN] * (LAYERS - 1))
    embedding = 2 * LOOKBACK * HIDDEN if segment > 1 else 0  # (W * 1) -> hidden for each of the L / W segments
    forward = LOOKBACK // segment * per_step + embedding + 2 * HIDDEN * HORIZON
    return 3 * forward


def training_run(cell: str, precision: str, windows: int, segment: int = 1):
    """One epoch of the real training loop over `windows` windows, ready to call."""
    values = np.sin(np.arange(windows + LOOKBACK + HORIZON + 64) / 24.0)[:, None]
    data, _ = stacked([values])
    train_set = WindowSet(data, origin_starts(0, np.arange(LOOKBACK, LOOKBACK + windows), LOOKBACK), LOOKBACK, HORIZON)
    val_set = WindowSet(data, origin_starts(0, np.arange(LOOKBACK, LOOKBACK + 64), LOOKBACK), LOOKBACK, HORIZON)
    torch.manual_seed(0)
    net = RecurrentForecaster(NetworkShape(cell, 1, HIDDEN, LAYERS, 0.1, HORIZON, 1, segment=segment))
    config = Config(epochs=1, batch_size=BATCH, windows_per_epoch=windows, precision=precision, segment=segment)
    return lambda: train(net, train_set, val_set, config)


def windows_per_second(cell: str, precision: str, windows: int, segment: int = 1) -> float:
    run = training_run(cell, precision, windows, segment)
    started = time.perf_counter()
    run()
    return windows / (time.perf_counter() - started)


def profile_lines(windows: int, segment: int) -> list[str]:
    """Where one epoch's CPU time goes, by operator: the table's first dozen rows."""
    from torch.profiler import ProfilerActivity, profile

    run = training_run("lstm", "fp32", windows, segment)
    run()  # warm: the first epoch pays for oneDNN's kernel set-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)
    return ["", f"Profile of one epoch at segment {segment} (LSTM fp32, {windows} windows), by self CPU time:", "",
            "```", *table.splitlines(), "```"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--segments", default="1,24", help="segment lengths to measure, each dividing 336")
    parser.add_argument("--cells", default="lstm,gru")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--profile", type=int, default=0, help="a segment length to profile one epoch at (0: none)")
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    segments = [int(w) for w in args.segments.split(",")]
    if any(w < 1 or LOOKBACK % w for w in segments):
        parser.error(f"each of --segments must divide the lookback {LOOKBACK}, got {args.segments}")
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    peak = {precision: matmul_gflops(dtypes[precision]) for precision in args.precisions.split(",")}
    lines = [
        f"Command: `python benchmarks/throughput.py --windows {args.windows} --repeats {args.repeats} "
        f"--segments {args.segments} --cells {args.cells} --precisions {args.precisions}"
        + (f" --profile {args.profile}" if args.profile else "") + "` "
        f"(lookback {LOOKBACK}, hidden {HIDDEN}, {LAYERS} layers, batch {BATCH}; median of {args.repeats})",
        "",
        "torch matmul (1024x1024): " + ", ".join(f"{p} {rate:.0f} GFLOP/s" for p, rate in peak.items()),
        "",
        "| cell | precision | segment | windows/s | GFLOP per window | GFLOP/s reached | fraction of matmul peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell in args.cells.split(","):
        for precision in args.precisions.split(","):
            for segment in segments:
                rate = statistics.median(windows_per_second(cell, precision, args.windows, segment)
                                         for _ in range(args.repeats))
                flops = flops_per_training_window(cell, segment)
                reached = rate * flops / 1e9
                lines.append(f"| {cell} | {precision} | {segment} | {rate:.0f} | {flops / 1e9:.3f} | {reached:.1f} | "
                             f"{reached / peak[precision]:.1%} |")
                print(lines[-1], flush=True)
    if args.profile:
        lines += profile_lines(args.windows, args.profile)
    append_results(args.results, "Training throughput (windows per second)", "\n".join(lines))


if __name__ == "__main__":
    main()
