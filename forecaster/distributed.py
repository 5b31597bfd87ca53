"""Multi-process training under `torchrun`: process group, window sharding, loss reduction.

PyTorch's own machinery does the work (DistributedDataParallel, DistributedSampler,
all_reduce); this module only decides when it applies. A plain `forecaster train`
runs as one process and never touches torch.distributed. The training loop joins the
process group and leaves it (see `training.train`), so a library `fit` under torchrun
trains in parallel too.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from forecaster.errors import DataError


@dataclass(frozen=True)
class Shard:
    """This process's place among the training processes."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Only the main process reports progress and writes the model."""
        return self.rank == 0


def launched() -> bool:
    """True when torchrun (or another launcher) started several processes."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def rank() -> int:
    """This process's number among all training processes, as torchrun gives it, known before any process group."""
    return int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    """Whether this process reports and saves: rank 0."""
    return rank() == 0


def local_rank() -> int:
    """This process's index on its machine: which GPU it uses under torchrun."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def join(device: str) -> bool:
    """Join the process group torchrun set up (NCCL for CUDA, gloo on CPU); True when this call joined it.

    False when not launched by torchrun, or when the caller has already joined (and will leave) it.
    """
    if not launched() or dist.is_initialized():
        return False
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(local_rank())  # one GPU per process
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return True


def leave(together: bool) -> None:
    """Leave the process group; `together`: wait for every process first, which a lost or stuck one would never do."""
    if together:
        dist.barrier()
    dist.destroy_process_group()


def current() -> Shard:
    """The running process group's view of this process (rank 0 of 1 when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        return Shard(dist.get_rank(), dist.get_world_size())
    return Shard()


def check_same_data(fingerprint: list[int], device: torch.device) -> None:
    """Refuse to train when the processes hold different data: DDP would average unrelated gradients, or abort in gloo.

    `fingerprint`: (hash, steps, channels, training windows, validation windows, parameters), see `training.fingerprint`.
    """
    shard = current()
    if shard.world_size == 1:
        return
    mine = torch.tensor(fingerprint, dtype=torch.int64, device=device)
    gathered = [torch.empty_like(mine) for _ in range(shard.world_size)]
    dist.all_gather(gathered, mine)
    prints = [g.tolist() for g in gathered]
    if all(p == prints[0] for p in prints):
        return
    sizes = "; ".join(f"process {rank}: {p[1]:,} steps x {p[2]} channels, {p[3]:,} training and {p[4]:,} validation "
                      f"windows, {p[5]:,} parameters" for rank, p in enumerate(prints))
    same = " (the same sizes, different values)" if all(p[1:] == prints[0][1:] for p in prints) else ""
    raise DataError(f"the training processes were given different data or settings{same}: {sizes}; every process "
                    "must read the same file with the same settings")


def peer_lost(exc: BaseException) -> bool:
    """Whether `exc` is a collective failing because another training process died or stopped answering."""
    if not (dist.is_available() and dist.is_initialized()):
        return False
    # gloo reports a dead peer as a plain RuntimeError raised in its transport; NCCL as a DistError.
    return isinstance(exc, getattr(dist, "DistError", ())) or "gloo/transport" in str(exc)


def sampled_rows(count: int, shard: Shard, seed: int, epoch: int, limit: int) -> torch.Tensor:
    """This process's share of an epoch's shuffled windows: the same length on every process."""
    sampler = torch.utils.data.DistributedSampler(
        range(count), num_replicas=shard.world_size, rank=shard.rank, shuffle=True, seed=seed
    )
    sampler.set_epoch(epoch)
    per_process = math.ceil(limit / shard.world_size)
    return torch.tensor(list(sampler), dtype=torch.long)[:per_process]


def summed(values: torch.Tensor) -> torch.Tensor:
    """Element-wise sum over all processes (the tensor itself when alone)."""
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values
