"""A torchrun worker whose second process dies mid-training: the run must end, not hang."""

import os
import sys

import forecaster.training
from forecaster.cli import main

if os.environ.get("RANK") == "1":
    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash of process 1")

    forecaster.training.mean_loss = crash

sys.argv[0] = "forecaster"
main()
