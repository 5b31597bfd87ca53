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
    from sklearn import preprocessing  # slow to import; only training needs it

    column = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    if kind == "standard":
        fitted = preprocessing.StandardScaler().fit(column)
        return Scaler(float(fitted.mean_[0]), float(fitted.scale_[0]))
    if kind == "minmax":
        fitted = preprocessing.MinMaxScaler().fit(column)
        # MinMaxScaler computes x * scale_ + min_; as (x - center) / scale that is:
        return Scaler(float(-fitted.min_[0] / fitted.scale_[0]), float(1.0 / fitted.scale_[0]))
    if kind == "robust":
        fitted = preprocessing.RobustScaler().fit(column)
        return Scaler(float(fitted.center_[0]), float(fitted.scale_[0]))
    raise ValueError(f"unknown scaler {kind!r}")
