"""Start-up latency of the CLI: `--help`, `info`, and `predict` on a sample model (issue 7, target 1).

    python benchmarks/startup.py [--repeats 7] [--results benchmarks/RESULTS.md]

Each command runs as a fresh process; the median of the repeats is reported, with
`python -c "import torch"` alone for comparison (what predict cannot avoid).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "energy_hourly.csv"


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    cli = str(Path(sys.executable).parent / "forecaster")
    model = args.work / "startup_model"
    subprocess.run([cli, "train", str(SAMPLE), "--target", "load", "--epochs", "2", "--hidden-size", "16",
                    "--out", str(model), "--force", "--quiet"], check=True)
    commands = {
        "forecaster --help": [cli, "--help"],
        "forecaster info MODEL": [cli, "info", str(model)],
        # --debug takes Typer's full parsing (main()'s fast path skips it): what `info` cost before that path.
        "forecaster info MODEL --debug": [cli, "info", str(model), "--debug"],
        "forecaster predict MODEL --data sample": [cli, "predict", str(model), "--data", str(SAMPLE), "--quiet"],
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
        'python -c "import pandas"': [sys.executable, "-c", "import pandas"],
        "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
    }
    lines = [f"Command: `python benchmarks/startup.py --repeats {args.repeats}` (median of {args.repeats} fresh processes; "
             "the first run of each is discarded as the file-cache warm-up)", "",
             "| command | median s | min s | max s |", "|---|---|---|---|"]
    for name, command in commands.items():
        seconds(command)  # warm the OS file cache: later runs measure the program, not the disk
        times = [seconds(command) for _ in range(args.repeats)]
        lines.append(f"| `{name}` | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")
        print(lines[-1], flush=True)
    append_results(args.results, "Start-up latency", "\n".join(lines))


if __name__ == "__main__":
    main()
