"""CPU threads on an idle and on a busy machine: train, predict and evaluate with `--threads 1 | 2 | auto`.

    python benchmarks/threads.py [--data ../shared/data/ETTh2.csv] [--rows 4000] [--repeats 3]

Each measured command runs as a fresh process. "busy" means a second training (two threads, as
torch takes by default here, looping) runs beside it the whole time; "idle" means nothing else
of ours runs. Reported: the median wall seconds of the repeats, and each busy/idle slowdown.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
THREADS = ("1", "2", "auto")


def cli() -> str:
    return str(Path(sys.executable).parent / "forecaster")


def sliced(source: Path, rows: int, work: Path) -> Path:
    """The first `rows` rows of `source`'s date and OT columns (a file of a few thousand points)."""
    import pandas as pd

    path = work / f"{source.stem}_OT_{rows}.csv"
    pd.read_csv(source, usecols=["date", "OT"], nrows=rows).to_csv(path, index=False)
    return path


def train_args(data: Path, out: Path, threads: str, epochs: int = 3) -> list[str]:
    return [cli(), "train", str(data), "--target", "OT", "--lookback", "96", "--horizon", "24", "--holdout", "240",
            "--epochs", str(epochs), "--patience", "0", "--threads", threads, "--out", str(out), "--force", "--quiet"]


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


@contextlib.contextmanager
def busy(data: Path, work: Path) -> Iterator[None]:
    """A second training on two threads, restarted until the block ends."""
    # Two threads, as torch's default takes on this machine: the load an ordinary torch program makes.
    command = " ".join(train_args(data, work / "load_model", "2", epochs=1000))
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    loop = f"while true; do {command}; done"
    load = subprocess.Popen(["bash", "-c", loop], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(10)  # past its start-up, into training
    try:
        yield
    finally:
        os.killpg(load.pid, 15)
        load.wait()


def measure(data: Path, work: Path, repeats: int) -> dict[tuple[str, str], float]:
    """Median seconds of each (command, threads) pair."""
    model = work / "threads_model"
    subprocess.run(train_args(data, model, "1"), check=True, capture_output=True)
    commands = {
        "train": lambda t: train_args(data, work / f"threads_{t}", t),
        "predict": lambda t: [cli(), "predict", str(model), "--data", str(data), "--threads", t, "--quiet"],
        "evaluate": lambda t: [cli(), "evaluate", str(model), "--data", str(data), "--stride", "1", "--threads", t,
                               "--quiet", "--json"],
    }
    medians = {}
    for name, command in commands.items():
        for threads in THREADS:
            times = [seconds(command(threads)) for _ in range(repeats)]
            medians[name, threads] = statistics.median(times)
            print(f"{name} --threads {threads}: {medians[name, threads]:.2f} s", flush=True)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ETTh2.csv")
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = sliced(args.data, args.rows, args.work)
    print("idle", flush=True)
    idle = measure(data, args.work, args.repeats)
    print("busy", flush=True)
    with busy(data, args.work):
        loaded = measure(data, args.work, args.repeats)
    lines = [f"Command: `python benchmarks/threads.py --rows {args.rows} --repeats {args.repeats}` "
             f"({data.name}: train `--lookback 96 --horizon 24 --epochs 3 --patience 0`, predict, evaluate `--stride 1`; "
             f"median wall seconds of {args.repeats} fresh processes; busy = a second training with torch's default "
             "threads running beside it)", "",
             "| command | threads | idle s | busy s | busy / idle |", "|---|---|---|---|---|"]
    for (name, threads), quiet in idle.items():
        lines.append(f"| {name} | {threads} | {quiet:.2f} | {loaded[name, threads]:.2f} | "
                     f"{loaded[name, threads] / quiet:.2f} |")
    append_results(args.results, "CPU threads on an idle and a busy machine", "\n".join(lines))


if __name__ == "__main__":
    main()
