"""forecaster: time-series forecasting with recurrent neural networks, from a CSV to a trusted backtest.

The public API is imported lazily so that the CLI starts without loading torch
or pandas until a command needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Config", "Forecaster", "ForecasterError", "backtest", "load_series", "__version__"]

_LAZY = {
    "Config": "forecaster.config",
    "Forecaster": "forecaster.forecaster",
    "ForecasterError": "forecaster.errors",
    "backtest": "forecaster.backtesting",
    "load_series": "forecaster.data",
}

if TYPE_CHECKING:
    from forecaster.backtesting import backtest
    from forecaster.config import Config
    from forecaster.data import load_series
    from forecaster.errors import ForecasterError
    from forecaster.forecaster import Forecaster


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecaster' has no attribute {name!r}")
