import math

import numpy as np
import pytest
import torch

from forecaster.config import Config
from forecaster.model import NetworkShape, RecurrentForecaster
from forecaster.training import SilentCallback, forecast_loss, mean_loss, resolve_device, train
from forecaster.windows import WindowSet, origin_starts, stacked
from forecaster.errors import ConfigError


def sine_windows(lookback=12, horizon=4):
    values = np.sin(2 * np.pi * np.arange(300) / 12)[:, None]
    data, _ = stacked([values])
    train_set = WindowSet(data, origin_starts(0, np.arange(lookback, 240 - horizon + 1), lookback), lookback, horizon)
    val_set = WindowSet(data, origin_starts(0, np.arange(240, 300 - horizon + 1), lookback), lookback, horizon)
    return train_set, val_set


def tiny_net(horizon=4, outputs=1, segment=1):
    torch.manual_seed(0)
    return RecurrentForecaster(NetworkShape("gru", 1, 8, 1, 0.0, horizon, outputs, segment=segment))


def test_pinball_term_by_hand():
    output = torch.tensor([[[1.0, 0.0, 2.0]]])  # point 1, q0.1 -> 0, q0.9 -> 2
    target = torch.tensor([[1.0]])
    # mse 0; pinball: q=0.1 error 1 -> 0.1; q=0.9 error -1 -> 0.1; mean 0.1
    assert forecast_loss(output, target, "mse", torch.tensor([0.1, 0.9])).item() == pytest.approx(0.1)


def test_training_lowers_the_validation_loss_and_restores_the_best_epoch():
    train_set, val_set = sine_windows()
    net = tiny_net()
    result = train(net, train_set, val_set, Config(epochs=8, batch_size=16, lr=1e-2, patience=0))
    losses = [r.val_loss for r in result.history]
    assert losses[-1] < losses[0]
    assert result.best_val_loss == min(losses)
    assert result.history[result.best_epoch - 1].val_loss == result.best_val_loss


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    train_set, val_set = sine_windows()
    # At this rate float32 weights cannot move, so no epoch after the first improves.
    config = Config(epochs=50, batch_size=64, lr=1e-12, weight_decay=0.0, patience=2, lr_schedule="none")
    result = train(tiny_net(), train_set, val_set, config)
    assert result.stopped == "early_stopping"
    assert len(result.history) == 3 and result.best_epoch == 1


def test_too_few_validation_windows_to_rank_epochs_train_every_epoch_and_keep_the_last():
    from forecaster.config import MIN_RANKING_WINDOWS

    train_set, _ = sine_windows()
    values = np.sin(2 * np.pi * np.arange(300) / 12)[:, None]
    data, _ = stacked([values])
    few = MIN_RANKING_WINDOWS - 1
    val_set = WindowSet(data, origin_starts(0, np.arange(240, 240 + few), 12), 12, 4)
    config = Config(epochs=6, batch_size=64, lr=1e-12, weight_decay=0.0, patience=2, lr_schedule="none")
    result = train(tiny_net(), train_set, val_set, config)  # the same weights would early-stop at epoch 3 (above)
    assert result.stopped == "max_epochs"
    assert len(result.history) == 6 and result.best_epoch == 6


def test_nan_loss_stops_training_as_diverged():
    train_set, val_set = sine_windows()
    net = tiny_net()
    with torch.no_grad():
        net.head.weight.fill_(float("nan"))
    result = train(net, train_set, val_set, Config(epochs=3))
    assert result.stopped == "diverged"
    assert result.best_epoch == 0 and result.history == []


def test_keyboard_interrupt_keeps_the_best_weights_so_far():
    class InterruptInSecondEpoch(SilentCallback):
        def on_batch_end(self, epoch, batch):
            if epoch == 2:
                raise KeyboardInterrupt

    train_set, val_set = sine_windows()
    net = tiny_net()
    result = train(net, train_set, val_set, Config(epochs=5, batch_size=16), InterruptInSecondEpoch())
    assert result.stopped == "interrupted"
    assert result.best_epoch == 1 and len(result.history) == 1


def test_a_refit_runs_one_epoch_per_rate_at_that_rate_and_keeps_the_last_weights():
    train_set, val_set = sine_windows()
    net, rates = tiny_net(), [1e-2, 5e-3, 5e-3]
    # Patience 1 and a validation loss that rises or falls: neither may stop a refit or choose its epoch.
    result = train(net, train_set, val_set, Config(epochs=50, batch_size=16, patience=1), rates=rates)
    assert [record.lr for record in result.history] == rates
    assert result.best_epoch == 3 and result.stopped == "max_epochs"
    last = mean_loss(net, val_set, "mse", torch.tensor([]))
    assert last == pytest.approx(result.history[-1].val_loss, rel=1e-6)  # the weights are the last epoch's


def test_a_refit_is_announced_as_one_and_an_older_callback_sees_a_training():
    class Counting:  # written before refits: no on_refit_start
        def __init__(self):
            self.starts = []

        def on_train_start(self, epochs, batches_per_epoch):
            self.starts.append(("train", epochs))

        def on_batch_end(self, epoch, batch):
            pass

        def on_epoch_end(self, record, best):
            pass

    class Refits(Counting):
        def on_refit_start(self, epochs, batches_per_epoch):
            self.starts.append(("refit", epochs))

    train_set, val_set = sine_windows()
    for callback, kind in ((Counting(), "train"), (Refits(), "refit")):
        train(tiny_net(), train_set, val_set, Config(epochs=5, batch_size=64), callback, rates=[1e-3, 1e-3])
        assert callback.starts == [(kind, 2)]


@pytest.mark.parametrize("schedule", ["plateau", "cosine", "none"])
def test_schedules_run_and_cosine_lowers_the_rate(schedule):
    train_set, val_set = sine_windows()
    result = train(tiny_net(), train_set, val_set, Config(epochs=3, lr_schedule=schedule, patience=0))
    rates = [r.lr for r in result.history]
    assert all(math.isfinite(r) for r in rates)
    if schedule == "cosine":
        assert rates[-1] < rates[0]
        # Each epoch's rate is cosine annealing's over the epochs: lr (1 + cos(pi e / E)) / 2 at epoch e = 0, 1, 2.
        assert rates == pytest.approx([1e-3 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)], rel=1e-12)
    elif schedule == "none":
        assert rates == [1e-3] * 3
    else:  # plateau halves the rate only after the validation loss stalls; never raises it, never below halves
        assert rates[0] == 1e-3 and all(later in (earlier, earlier / 2) for earlier, later in zip(rates, rates[1:]))


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="`device` cuda"):
            resolve_device("cuda")


def test_an_epoch_samples_at_most_windows_per_epoch_distinct_windows():
    from forecaster.distributed import Shard
    from forecaster.training import epoch_rows

    config = Config(windows_per_epoch=20)
    rows = epoch_rows(50, config, torch.Generator().manual_seed(0), Shard(), epoch=1)
    again = epoch_rows(50, config, torch.Generator().manual_seed(0), Shard(), epoch=1)
    assert len(rows) == 20 and len(set(rows.tolist())) == 20
    assert torch.equal(rows, again)


def test_an_epoch_of_few_windows_repeats_them_to_take_the_least_number_of_steps():
    from forecaster.distributed import Shard
    from forecaster.training import MIN_BATCHES, epoch_rows

    config = Config(batch_size=4)
    rows = epoch_rows(10, config, torch.Generator().manual_seed(0), Shard(), epoch=1)
    assert MIN_BATCHES == 16 and len(rows) == 64  # 16 steps of 4 windows, not 3 steps
    counts = torch.bincount(rows, minlength=10)
    assert counts.min() >= 6 and counts.max() <= 7  # every window once before any twice: 6 or 7 times each
    many = epoch_rows(1000, config, torch.Generator().manual_seed(0), Shard(), epoch=1)
    assert sorted(many.tolist()) == list(range(1000))  # enough windows: each exactly once, as before


def test_process_shards_are_disjoint_and_equally_long():
    from forecaster.distributed import Shard, sampled_rows

    shards = [sampled_rows(50, Shard(rank, 2), seed=0, epoch=3, limit=50) for rank in range(2)]
    assert len(shards[0]) == len(shards[1]) == 25
    assert set(shards[0].tolist()).isdisjoint(shards[1].tolist())
    assert sorted(shards[0].tolist() + shards[1].tolist()) == list(range(50))


def test_auto_precision_is_fp32_on_cpu_and_bf16_is_opt_in():
    from forecaster.training import autocast

    def enabled(precision):
        with autocast(torch.device("cpu"), precision):
            return torch.is_autocast_enabled("cpu")

    assert (enabled("auto"), enabled("fp32"), enabled("bf16")) == (False, False, True)


@pytest.mark.parametrize("segment", [1, 4])
def test_bf16_training_runs_and_keeps_float32_weights(segment):
    train_set, val_set = sine_windows()
    net = tiny_net(segment=segment)
    result = train(net, train_set, val_set, Config(epochs=2, precision="bf16"))
    assert result.best_epoch >= 1 and math.isfinite(result.best_val_loss)
    assert all(p.dtype == torch.float32 for p in net.parameters())




def test_the_fingerprint_that_processes_compare_changes_with_any_value_window_or_weight_shape():
    from forecaster.training import fingerprint

    train_set, val_set = sine_windows()
    base = fingerprint(tiny_net(), train_set, val_set)
    assert fingerprint(tiny_net(), *sine_windows()) == base  # the same data and network: the same print
    assert base[1:] == [300, 1, len(train_set), len(val_set), sum(p.numel() for p in tiny_net().parameters())]
    nudged = WindowSet(train_set.data.clone(), train_set.starts.numpy(), 12, 4)
    nudged.data[150, 0] += 1e-6
    assert fingerprint(tiny_net(), nudged, val_set)[0] != base[0]
    assert fingerprint(tiny_net(), train_set, val_set.spread(10))[0] != base[0]
    assert fingerprint(tiny_net(horizon=4, outputs=3), train_set, val_set)[0] != base[0]


def test_a_signal_during_an_epoch_stops_training_with_the_best_epoch_so_far():
    import os
    import signal

    from forecaster import interrupts

    class TermInSecondEpoch(SilentCallback):
        def on_batch_end(self, epoch, batch):
            if epoch == 2 and batch == 1:
                os.kill(os.getpid(), signal.SIGTERM)

    train_set, val_set = sine_windows()
    with interrupts.guarded() as guard:
        result = train(tiny_net(), train_set, val_set, Config(epochs=5, batch_size=16), TermInSecondEpoch())
    assert result.stopped == "interrupted" and guard.exit_code == 143
    assert result.best_epoch == 1 and len(result.history) == 1


def test_a_short_rising_trend_is_continued_not_flattened(tmp_path):
    import pandas as pd

    from test_cli import invoke, ok

    rng = np.random.default_rng(0)
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    sales = 100 + 2.0 * np.arange(60) + rng.normal(0, 1.5, 60)
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": sales}).to_csv(tmp_path / "trend.csv", index=False)
    trained = ok(invoke("train", tmp_path / "trend.csv", "--hidden-size", "16", "--num-layers", "1", "--epochs", "30",
                        "--out", tmp_path / "m"))
    # One validation window (12 months) ranked epochs by noise and kept a flat first epoch (slope 1.5 of 2).
    assert "theta share: 0 (too few validation windows to choose)" in trained.stderr
    assert "fewer than 8 validation windows cannot rank epochs" in trained.stderr
    ok(invoke("predict", tmp_path / "m", "--data", tmp_path / "trend.csv", "--output", tmp_path / "f.csv"))
    forecast = pd.read_csv(tmp_path / "f.csv")
    assert forecast["timestamp"].iloc[0] == "2024-01-01"
    slope = np.polyfit(np.arange(12), forecast["forecast"], 1)[0]
    assert 1.6 < slope < 2.4 and forecast["forecast"].iloc[0] > sales[-3:].mean()


def test_without_intervals_the_few_windows_warning_and_the_summary_still_say_why(tmp_path):
    import json

    import pandas as pd

    from test_cli import invoke, ok

    months = pd.date_range("2019-01-01", periods=60, freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"month": months, "sales": 100 + 2.0 * np.arange(60)}).to_csv(tmp_path / "trend.csv", index=False)
    trained = ok(invoke("train", tmp_path / "trend.csv", "--levels", "none", "--hidden-size", "8", "--num-layers", "1",
                        "--epochs", "2", "--out", tmp_path / "m", "--json"))
    assert "fewer than 8 validation windows cannot rank epochs" in trained.stderr  # no calibration to read it from
    assert json.loads(trained.stdout)["theta share"] == "0 (too few validation windows to choose)"
    manifest = json.loads((tmp_path / "m" / "config.json").read_text())
    assert manifest["validation"]["windows"] == 1  # 60 months: 12 validate, one 12-month window
