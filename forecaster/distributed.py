"""Multi-process training under `torchrun`: process group, window sharding, loss reduction.

PyTorch's own machinery does the work (DistributedDataParallel, DistributedSampler,
all_reduce); this module only decides when it applies. A plain `forecaster train`
runs as one process and never touches torch.distributed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


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


def start(device: str) -> Shard:
    """Join the process group torchrun set up: NCCL for CUDA, gloo on CPU."""
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        # One GPU per process, chosen by torchrun's local rank.
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return current()


def current() -> Shard:
    """The running process group's view of this process (rank 0 of 1 when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        return Shard(dist.get_rank(), dist.get_world_size())
    return Shard()


def stop() -> None:
    """Leave the process group, after every process has finished its part."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


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
