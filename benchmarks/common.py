"""Shared benchmark plumbing: run a CLI command measuring wall time and peak memory, record results."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Runs each command in a child and reports that child's own peak RSS (ru_maxrss of its children).
_MEASURE = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "sys.stderr.write(f'\\n__PEAK_KB__={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
    "sys.exit(code)"
)


@dataclass
class Measured:
    stdout: str
    seconds: float
    peak_mb: float


def run_measured(command: list[str]) -> Measured:
    """Run a forecaster command (from this venv), failing loudly; returns stdout, wall seconds, peak MB."""
    executable = Path(sys.executable).parent / command[0]
    argv = [str(executable) if executable.exists() else command[0], *command[1:]]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    peak_kb = int(done.stderr.rsplit("__PEAK_KB__=", 1)[1].split()[0])
    return Measured(done.stdout, seconds, peak_kb / 1024)


def cpu_name() -> str:
    """The CPU model as the kernel reports it (platform.processor() is often empty on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    import torch

    return f"{cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def append_results(path: Path, title: str, body: str) -> None:
    """Append one dated section to RESULTS.md."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = f"\n## {title}\n\n_{stamp}, {machine()}_\n\n{body}\n"
    if not path.exists():
        path.write_text("# Benchmark results\n\nEach section was appended by the script and command it names.\n")
    with open(path, "a") as handle:
        handle.write(section)
    print(section)
