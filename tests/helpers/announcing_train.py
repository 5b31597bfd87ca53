"""`forecaster` that writes a marker line to stderr at one point of training, so a test knows when to send a signal.

FORECASTER_TEST_MARK says where: `epoch` after every finished epoch, as the next one starts; `first_epoch` inside the first
epoch's validation, which then waits; `after_training` before the post-training validation, which then waits.
The waits let a signal land exactly there. With FORECASTER_TEST_EXIT_FILE, the process appends
"RANK EXIT-CODE" to that file as it exits: torchrun does not report its workers' codes after a signal.
"""

import os
import sys
import time

import forecaster.estimator.fitting
import forecaster.training
from forecaster.cli import main

MARK = os.environ["FORECASTER_TEST_MARK"]


def announce(text: str) -> None:
    os.write(2, f"MARK {text}\n".encode())


if MARK == "epoch":
    epoch = forecaster.training._epoch

    def announced_epoch(*args, **kwargs):
        # Said as the next epoch starts: the finished one is then in the history (said as it returned, a signal
        # could land before the loop recorded it, and the model held one epoch fewer than the test waited for).
        number = args[7]  # _epoch(model, net, batches, val_set, optimizer, config, quantiles, epoch, callback)
        if number > 1:
            announce(f"epoch {number - 1}")
        return epoch(*args, **kwargs)

    forecaster.training._epoch = announced_epoch
elif MARK == "first_epoch":
    mean_loss = forecaster.training.mean_loss

    def waiting_validation(*args, **kwargs):
        announce("first epoch")
        time.sleep(30)
        return mean_loss(*args, **kwargs)

    forecaster.training.mean_loss = waiting_validation
elif MARK == "after_training":
    validate = forecaster.estimator.fitting._validated

    def waiting_validate(*args, **kwargs):
        announce("after training")
        time.sleep(3)
        return validate(*args, **kwargs)

    forecaster.estimator.fitting._validated = waiting_validate

sys.argv[0] = "forecaster"
try:
    main()
except SystemExit as exc:
    if "FORECASTER_TEST_EXIT_FILE" in os.environ:
        with open(os.environ["FORECASTER_TEST_EXIT_FILE"], "a") as codes:
            codes.write(f"{os.environ.get('RANK', '0')} {exc.code}\n")
    raise
