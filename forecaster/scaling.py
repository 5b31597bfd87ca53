"""Per-series scalers from scikit-learn, fitted on the training part only.

scikit-learn does the fitting (including its care for constant series, which
get scale 1); what is kept is the affine map it learned, `(x - center) / scale`,
so a saved model stores two numbers per series and never a pickled object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """An affine per-series scaling: scaled = (x - center) / scale."""

    center: float = 0.0
    scale: float = 1.0

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.center) / self.scale

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale + self.center

    def to_dict(self) -> dict[str, float]:
        return {"center": self.center, "scale": self.scale}


def fit_scaler(kind: str, values: np.ndarray) -> Scaler:
    """Fit a `standard`, `minmax`, `robust` or `none` scaler to one series' training values."""
    if kind == "none":
        return Scaler()
    column = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    if np.ptp(column) == 0:
        return Scaler(float(column[0, 0]), 1.0)  # constant: nothing to scale, as scikit-learn decides too
    # scikit-learn takes a spread below ten machine epsilons for none, however small the values (an absolute
    # bound), and would flatten a series of tiny values (1e-30) into a constant. Fitting on values divided by a
    # power of two near their size is exact, so any series whose spread it sees gets the very same scaler.
    unit = 2.0 ** np.floor(np.log2(np.abs(column).max()))
    center, scale = _fitted(kind, column / unit)
    return Scaler(float(center * unit), float(scale * unit))


def _fitted(kind: str, column: np.ndarray) -> tuple[float, float]:
    """(center, scale) of a scikit-learn scaler fitted to one column."""
    from sklearn import preprocessing  # slow to import; only training needs it

    if kind == "standard":
        fitted = preprocessing.StandardScaler().fit(column)
        return float(fitted.mean_[0]), float(fitted.scale_[0])
    if kind == "minmax":
        fitted = preprocessing.MinMaxScaler().fit(column)
        # MinMaxScaler computes x * scale_ + min_; as (x - center) / scale that is:
        return float(-fitted.min_[0] / fitted.scale_[0]), float(1.0 / fitted.scale_[0])
    if kind == "robust":
        fitted = preprocessing.RobustScaler().fit(column)
        return float(fitted.center_[0]), float(fitted.scale_[0])
    raise ValueError(f"unknown scaler {kind!r}")
