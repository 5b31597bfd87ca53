"""The clean series a file becomes, and the schema that reads a later file the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MinLength:
    """The steps every series must have, known before the data, and the words that refuse a shorter one."""

    steps: int
    refusal: Callable[[str, str, int], str]  # (source, series id, its steps) -> the message


@dataclass(frozen=True)
class Schema:
    """How a file maps to series; saved with the model so later files are read the same way."""

    layout: str  # "wide": one series per target column; "long": one series per id
    time_col: str | None  # None: row order is the time axis
    id_col: str | None  # long layout only
    targets: list[str]  # wide: the value columns; long: the single value column
    freq: str  # pandas offset alias, or "steps" for an integer axis
    covariates: list[str] = field(default_factory=list)  # past covariates: known up to the forecast origin
    future_covariates: list[str] = field(default_factory=list)  # known ahead: given in the forecast rows too
    calendar: list[str] = field(default_factory=list)  # calendar features of the timestamps (chosen when fitting)
    time_parts: list[str] = field(default_factory=list)  # [year], [year, quarter|month], [year, Jan..Dec] (roles.py)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Schema:
        return cls(**values)


@dataclass
class Series:
    """One clean series: a regular time index and finite values."""

    id: str
    time: pd.Index
    values: np.ndarray  # (n,) float64
    covariates: np.ndarray | None = None  # (n, past + future covariates) float64, in the schema's order
    future: np.ndarray | None = None  # (k, future covariates): the given rows after the last value

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class SeriesSet:
    """The clean series of one file, with what was done to clean them."""

    series: list[Series]
    schema: Schema
    source: str
    inserted: int = 0  # timestamps added to close gaps
    filled: int = 0  # missing values filled (inserted ones included)
    notes: list[str] = field(default_factory=list)  # other fixes made while cleaning, in words for people
    warnings: list[str] = field(default_factory=list)  # what was kept but may make poor forecasts

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.series]
