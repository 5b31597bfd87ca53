"""Training throughput with 1 and 2 processes (issue 6): plain `forecaster train` against
`torchrun --nproc-per-node 2 -m forecaster train`, on the same generated data and settings.

    python benchmarks/distributed.py [--series 40] [--length 2000] [--epochs 3]

One process uses both cores (2 threads); two processes use one thread each. The
per-process batch is halved under torchrun so that the effective batch stays 64.
Throughput = epochs x windows per epoch / training seconds (from `--json`).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results  # noqa: E402


def generated(path: Path, series: int, length: int) -> Path:
    rng = np.random.default_rng(0)
    step = np.arange(length)
    frames = [pd.DataFrame({"unique_id": f"s{i}", "ds": step,
                            "y": 10 + np.sin(2 * np.pi * step / 24 + i) + rng.normal(0, 0.2, length)})
              for i in range(series)]
    pd.concat(frames).to_csv(path, index=False)
    return path


def trained(command: list[str], threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"failed: {shlex.join(command)}\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = generated(args.work / "ddp_data.csv", args.series, args.length)
    bin_dir = Path(sys.executable).parent
    common = ["train", str(data), "--horizon", "24", "--lookback", "96", "--epochs", str(args.epochs),
              "--patience", "0", "--windows-per-epoch", "20000", "--quiet", "--json", "--force"]
    runs = {
        "1 process x 2 threads, batch 64": ([str(bin_dir / "forecaster"), *common, "--batch-size", "64",
                                             "--out", str(args.work / "ddp_one")], 2),
        "2 processes x 1 thread (torchrun, gloo), batch 32 each": (
            [str(bin_dir / "torchrun"), "--standalone", "--nproc-per-node", "2", "-m", "forecaster", *common,
             "--batch-size", "32", "--out", str(args.work / "ddp_two")], 1),
    }
    lines = [f"Command: `python benchmarks/distributed.py --series {args.series} --length {args.length} "
             f"--epochs {args.epochs}` (lookback 96, horizon 24, 20,000 windows per epoch, effective batch 64)", "",
             "| run | train s | windows/s | best val loss |", "|---|---|---|---|"]
    for name, (command, threads) in runs.items():
        summary = trained(command, threads)
        rate = args.epochs * 20000 / summary["seconds"]
        lines.append(f"| {name} | {summary['seconds']:.1f} | {rate:.0f} | {summary['best val loss']:.4f} |")
        print(lines[-1], flush=True)
    lines += ["", "Commands: " + "; ".join(f"`OMP_NUM_THREADS={t} {shlex.join(c)}`" for c, t in runs.values())]
    append_results(args.results, "Distributed training: 1 vs 2 processes on this machine", "\n".join(lines))


if __name__ == "__main__":
    main()
