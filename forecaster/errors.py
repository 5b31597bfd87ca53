"""The one exception family for problems a user can fix; the CLI maps it to exit 2."""


class ForecasterError(Exception):
    """A user-facing problem: bad input, bad settings or a bad model directory.

    The message is shown to the user as is, so it names the file, column, row or
    value at fault and says what to do.
    """


class DataError(ForecasterError):
    """The data file cannot be read or does not hold usable time series."""


class ConfigError(ForecasterError):
    """A setting is out of range or settings contradict each other."""


class ModelFileError(ForecasterError):
    """A model directory is missing, damaged, foreign or from a newer version."""


class TrainingError(ForecasterError):
    """Training could not produce a usable model (for example, the loss diverged)."""


class NotFittedError(ForecasterError):
    """A forecaster was used before `fit` or `load`."""


class OutputError(ForecasterError):
    """An output file (a forecast, a backtest, a plot) cannot be written where it was asked for."""
