"""A library fit under torchrun, with no process group set up by the caller: prints what training saw."""

import sys

import pandas as pd
import torch.distributed as dist

from forecaster import Forecaster, distributed
from forecaster.training import SilentCallback


class Seen(SilentCallback):
    def on_train_start(self, epochs: int, batches_per_epoch: int) -> None:
        self.world_size = distributed.current().world_size


seen = Seen()
model = Forecaster(hidden_size=8, num_layers=1, epochs=2, levels=[]).fit(pd.read_csv(sys.argv[1]), callback=seen)
if distributed.is_main_process():
    print(f"world {seen.world_size} epochs {len(model.result_.history)} left {not dist.is_initialized()}")
