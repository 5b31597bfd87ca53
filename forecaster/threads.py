"""How many CPU threads torch uses: the number asked for, or one that does not collapse on a busy machine.

torch's own default (every core) makes its threads spin and wait on each other when other programs hold
the cores; see `benchmarks/RESULTS.md` (threads) for the measurements behind `auto_threads`. A count set
in OMP_NUM_THREADS (by the user, or by torchrun for each of its processes) is the user's and is kept.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

MAX_AUTO_THREADS = 4  # a recurrent network's small matrices gain little from more threads


def usable_cores() -> int:
    """The cores this process may run on (its affinity, as under taskset, Docker or Slurm)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def auto_threads(cores: int | None = None, load: float | None = None) -> int:
    """The automatic thread count: the cores other programs leave free, at least 1 and at most MAX_AUTO_THREADS.

    Free cores are the usable ones minus the one-minute load average, rounded: threads beyond them wait
    for cores other programs hold, and on a busy 2-core machine 2 threads trained 5x slower than 1.
    """
    cores = usable_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average (Windows): assume the machine is ours
            load = 0.0
    free = math.floor(cores - load + 0.5)
    return max(1, min(free, cores, MAX_AUTO_THREADS))


def environment_threads() -> int | None:
    """The thread count OMP_NUM_THREADS sets, if it holds a positive number (as torch's own default reads it)."""
    text = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def use_threads(asked: int | None) -> int:
    """Set torch's threads for the rest of the process; returns the count.

    `asked`, else OMP_NUM_THREADS where set, else the automatic count: two processes started together on an idle
    machine both see it idle, and only the environment can tell each of them its share.
    """
    count = asked or environment_threads() or auto_threads()
    torch.set_num_threads(count)
    try:
        torch.set_num_interop_threads(count)
    except RuntimeError:  # allowed only before the first parallel work of the process
        pass
    return count


@contextmanager
def threads_limited(asked: int | None) -> Iterator[None]:
    """Within the block, torch uses `asked` threads (None: leaves them as they are); restored afterwards."""
    if asked is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(asked)
    try:
        yield
    finally:
        torch.set_num_threads(before)
