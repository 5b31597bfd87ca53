"""A torchrun worker whose second process misbehaves as FORECASTER_TEST_RANK1 says.

`dies`: it kills itself (SIGKILL) as its third epoch starts, after announcing its second epoch's end.
`other_data`: it reads FORECASTER_TEST_OTHER_DATA instead of the file on the command line.
"""

import os
import signal
import sys

import forecaster.training
from forecaster.cli import main

if os.environ.get("RANK") == "1":
    behaviour = os.environ["FORECASTER_TEST_RANK1"]
    if behaviour == "dies":
        epoch = forecaster.training._epoch

        def dying_epoch(*args, **kwargs):
            if args[7] == 3:  # the epoch number
                os.kill(os.getpid(), signal.SIGKILL)
            return epoch(*args, **kwargs)

        forecaster.training._epoch = dying_epoch
    elif behaviour == "other_data":
        sys.argv[sys.argv.index("train") + 1] = os.environ["FORECASTER_TEST_OTHER_DATA"]

sys.argv[0] = "forecaster"
main()
