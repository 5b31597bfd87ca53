"""The training loop: AdamW, learning-rate schedule, clipping, early stopping, progress callbacks.

The loop never prints; it reports each batch and epoch to a callback that the
CLI draws as a progress bar.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import replace
from typing import Protocol

import torch
from torch import nn

from forecaster import auto, distributed, interrupts
from forecaster.config import DEVICES, MIN_RANKING_WINDOWS, Config
from forecaster.distributed import Shard
from forecaster.errors import ConfigError
from forecaster.estimator.state import EpochRecord, TrainingResult
from forecaster.windows import WindowSet

EVAL_BATCH = 4096  # windows per forward pass when no gradient is kept
CUT_SHORT = ("interrupted", "peer_lost")  # a signal, or a lost training process: the best epoch so far is kept
VAL_WINDOWS = 8192  # validation windows scored per epoch, at most: enough to rank epochs, cheap on many series
MIN_BATCHES = 16  # optimizer steps an epoch takes at the least: a few dozen windows would make one step an epoch


class TrainingCallback(Protocol):
    """Receives progress; the library's only channel to a person."""

    def on_train_start(self, epochs: int, batches_per_epoch: int) -> None: ...

    def on_batch_end(self, epoch: int, batch: int) -> None: ...

    def on_epoch_end(self, record: EpochRecord, best: bool) -> None: ...

    def on_refit_start(self, epochs: int, batches_per_epoch: int) -> None: ...


class SilentCallback:
    """A callback that reports nothing (the library default)."""

    def on_train_start(self, epochs: int, batches_per_epoch: int) -> None:
        pass

    def on_batch_end(self, epoch: int, batch: int) -> None:
        pass

    def on_epoch_end(self, record: EpochRecord, best: bool) -> None:
        pass

    def on_refit_start(self, epochs: int, batches_per_epoch: int) -> None:
        pass


def resolve_device(name: str) -> torch.device:
    """`auto` picks CUDA, then MPS, then CPU; an explicit device must exist."""
    if name not in DEVICES:
        raise ConfigError(f"`device` must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "auto":
        if torch.cuda.is_available():
            return _cuda()
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("`device` cuda: no CUDA GPU is available to torch here; use `device` cpu or auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("`device` mps: Apple's MPS backend is not available here; use `device` cpu or auto")
    return _cuda() if name == "cuda" else torch.device(name)


def _cuda() -> torch.device:
    # Under torchrun each process of a machine has its own GPU.
    return torch.device("cuda", distributed.local_rank()) if distributed.launched() else torch.device("cuda")


def autocast(device: torch.device, precision: str):
    """The mixed-precision context for `precision` on `device` (a no-op for fp32).

    `auto` means bf16 only on a CUDA GPU that supports it. On CPUs bf16 is opt-in: faster, but less
    accurate (benchmarks/RESULTS.md, "Why the defaults").
    """
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def forecast_loss(output: torch.Tensor, target: torch.Tensor, loss: str, quantiles: torch.Tensor) -> torch.Tensor:
    """Point loss on output[..., 0] plus the mean pinball loss of the quantile outputs.

    output: (B, H, 1 + Q) scaled forecasts; target: (B, H); quantiles: (Q,).
    """
    point = output[..., 0]
    if loss == "mse":
        value = nn.functional.mse_loss(point, target)
    elif loss == "mae":
        value = nn.functional.l1_loss(point, target)
    elif loss == "huber":
        value = nn.functional.huber_loss(point, target)
    else:
        raise ConfigError(f"`loss` {loss!r} must be resolved to mse, mae or huber before training")
    if len(quantiles):
        error = target.unsqueeze(-1) - output[..., 1:]  # (B, H, Q)
        value = value + torch.maximum(quantiles * error, (quantiles - 1) * error).mean()
    return value


def train(net: nn.Module, train_set: WindowSet, val_set: WindowSet, config: Config, callback=None,
          rates: list[float] | None = None) -> TrainingResult:
    """Fit `net` in place; returns the history, with the best validation weights restored.

    With `rates`, a refit: exactly one epoch per rate, at that learning rate, keeping the last weights
    (the validation loss is only reported: the caller has put those windows into `train_set`).

    Under torchrun each process trains on its shard of every epoch's windows through
    DistributedDataParallel; losses are summed over processes, so early stopping, the
    schedule and the best weights decide alike everywhere. The process group is joined here
    (unless the caller already has) and left before returning, so what follows runs alone.
    """
    callback = callback or SilentCallback()
    config = replace(config, loss=auto.loss(config.loss, net.shape.window_norm))
    device = next(net.parameters()).device
    joined, together = distributed.join(config.device), False
    try:
        distributed.check_same_data(fingerprint(net, train_set, val_set), device)
        result, best_state = _epochs(net, train_set, val_set, config, callback, rates)
        # After an interruption or a lost process, the others may be gone or stuck mid-epoch: no barrier.
        together = result.stopped not in CUT_SHORT
    finally:
        if joined:
            distributed.leave(together)
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return result


def _epochs(net, train_set, val_set, config, callback, rates) -> tuple[TrainingResult, dict | None]:
    """The epoch loop: its result, and the best epoch's weights (None before one finished); `rates` as in `train`."""
    device = next(net.parameters()).device
    shard, guard = distributed.current(), interrupts.current()
    quantiles = torch.tensor(config.quantiles or [], dtype=torch.float32, device=device)  # None (auto) unresolved: none
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = None if rates else _scheduler(optimizer, config)
    epochs = len(rates) if rates else config.epochs
    generator = torch.Generator().manual_seed(config.seed)
    result, best_state, stale = TrainingResult(), None, 0
    # Validation sees the same windows every epoch, so its losses stay comparable for early stopping.
    val_set = val_set.spread(min(VAL_WINDOWS, config.windows_per_epoch))
    ranks = len(val_set) >= MIN_RANKING_WINDOWS and not rates
    per_epoch = math.ceil(epoch_size(len(train_set), config, shard) / shard.world_size)
    # A callback written before refits existed draws a refit as any other training.
    start = getattr(callback, "on_refit_start", callback.on_train_start) if rates else callback.on_train_start
    start(epochs, math.ceil(per_epoch / config.batch_size))
    model = _parallel(net, shard, device)
    for epoch in range(1, epochs + 1):
        try:
            with guard.stoppable():
                if rates:
                    for group in optimizer.param_groups:
                        group["lr"] = rates[epoch - 1]
                rows = epoch_rows(len(train_set), config, generator, shard, epoch)
                record = _epoch(model, net, train_set.batches(config.batch_size, rows), val_set, optimizer, config,
                                quantiles, epoch, callback)
                if record is None:
                    result.stopped = "diverged"
                    break
                improved = record.val_loss < result.best_val_loss or not ranks
                if improved:
                    # The copy is made before the counters move, so an interrupt leaves them consistent.
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                    result.best_epoch, result.best_val_loss, stale = epoch, record.val_loss, 0
                    guard.hold()  # from here on, a signal between epochs waits until these weights are saved
                else:
                    stale += 1
                result.history.append(record)
                _step_scheduler(scheduler, record.val_loss)
                callback.on_epoch_end(record, improved)
        except (KeyboardInterrupt, RuntimeError) as exc:
            # Anywhere in the epoch (batches, validation, callback): keep what the last whole epochs learned.
            result.stopped = _cut_short(exc)
            break
        if config.patience and stale >= config.patience:
            result.stopped = "early_stopping"
            break
    return result, best_state


def _cut_short(exc: BaseException) -> str:
    """Why training stops early on `exc`: "interrupted" (a signal) or "peer_lost" (another process died); else re-raised."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if distributed.peer_lost(exc):
        return "peer_lost"
    raise exc


def fingerprint(net: nn.Module, train_set: WindowSet, val_set: WindowSet) -> list[int]:
    """What every training process must agree on: a hash of the data, windows and network, and their sizes.

    (hash, steps, channels, training windows, validation windows, parameters).
    """
    digest = hashlib.sha256()
    for tensor in (train_set.data, train_set.starts, val_set.starts):
        digest.update(tensor.detach().cpu().contiguous().numpy())
    sizes = [train_set.lookback, train_set.horizon, train_set.known, *(p.numel() for p in net.parameters())]
    digest.update(str(sizes).encode())
    steps, channels = train_set.data.shape
    parameters = sum(p.numel() for p in net.parameters())
    return [int.from_bytes(digest.digest()[:8], "little", signed=True), steps, channels, len(train_set),
            len(val_set), parameters]


def epoch_size(count: int, config: Config, shard: Shard) -> int:
    """Windows an epoch trains on: all of them, at most `windows_per_epoch`, and (in one process) at least MIN_BATCHES batches."""
    least = MIN_BATCHES * config.batch_size if shard.world_size == 1 else 0
    return min(max(count, least), config.windows_per_epoch)


def epoch_rows(count: int, config: Config, generator: torch.Generator, shard: Shard, epoch: int) -> torch.Tensor:
    """The training windows of one epoch, shuffled: a seeded sample, each window once before any twice."""
    size = epoch_size(count, config, shard)
    if shard.world_size == 1:
        return torch.cat([torch.randperm(count, generator=generator) for _ in range(math.ceil(size / count))])[:size]
    return distributed.sampled_rows(count, shard, config.seed, epoch, size)


def _parallel(net: nn.Module, shard: Shard, device: torch.device) -> nn.Module:
    """The module that trains: `net` itself, or its DistributedDataParallel wrapper under torchrun."""
    if shard.world_size == 1:
        return net
    device_ids = [torch.cuda.current_device()] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(net, device_ids=device_ids)


def _epoch(model, net, batches, val_set, optimizer, config, quantiles, epoch, callback) -> EpochRecord | None:
    """One pass over the training batches and the validation loss; None if either is not finite."""
    started = time.perf_counter()
    lr = optimizer.param_groups[0]["lr"]
    train_loss = _train_epoch(model, batches, optimizer, config, quantiles, epoch, callback)
    val_loss = mean_loss(net, val_set, config.loss, quantiles, config.precision)
    if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
        return None
    return EpochRecord(epoch, train_loss, val_loss, lr, time.perf_counter() - started)


def _train_epoch(model, batches, optimizer, config, quantiles, epoch, callback) -> float:
    model.train()
    device = quantiles.device
    totals = torch.zeros(2, device=device)  # (loss sum, window count)
    for batch, (x, y) in enumerate(batches, start=1):
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, config.precision):
            output = model(x.to(device))
        loss = forecast_loss(output.float(), y.to(device), config.loss, quantiles)
        loss.backward()
        if config.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        # Summed on the device: one host sync per epoch, not per batch.
        totals += torch.stack([loss.detach() * len(y), torch.tensor(float(len(y)), device=device)])
        callback.on_batch_end(epoch, batch)
    total, seen = distributed.summed(totals).tolist()
    return total / seen


@torch.no_grad()
def mean_loss(net: nn.Module, windows: WindowSet, loss: str, quantiles: torch.Tensor,
              precision: str = "fp32") -> float:
    """The loss averaged over all windows, in evaluation mode (dropout off); each process scores its share."""
    net.eval()
    device = quantiles.device
    shard = distributed.current()
    totals = torch.zeros(2, device=device)  # (loss sum, window count)
    for x, y in windows.batches(EVAL_BATCH, torch.arange(shard.rank, len(windows), shard.world_size)):
        with autocast(device, precision):
            output = net(x.to(device))
        value = forecast_loss(output.float(), y.to(device), loss, quantiles)
        totals += torch.stack([value * len(y), torch.tensor(float(len(y)), device=device)])
    total, seen = distributed.summed(totals).tolist()
    return total / seen


def _scheduler(optimizer: torch.optim.Optimizer, config: Config):
    if config.lr_schedule == "plateau":
        # Halve the rate well before early stopping would give up on this one.
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(1, config.patience // 3))
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    return None


def _step_scheduler(scheduler, val_loss: float) -> None:
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss)
    elif scheduler is not None:
        scheduler.step()
