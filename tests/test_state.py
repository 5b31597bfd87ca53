"""The fitted state: every learned field in one frozen object, written to and read from config.json by one definition."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch

from forecaster import Forecaster
from forecaster.errors import DataError, NotFittedError
from forecaster.estimator.state import EPOCH_FIELDS, EpochRecord, FittedState
from forecaster.loading import CONFIG_FILE

from conftest import TINY, daily_cycle


@pytest.fixture(scope="module")
def fitted():
    return Forecaster(**TINY, holdout=24).fit(daily_cycle(24 * 12, 0.1, seed=0))


def test_the_state_is_frozen_and_its_fields_read_as_learned_attributes(fitted):
    with pytest.raises(dataclasses.FrozenInstanceError):
        fitted.state_.horizon = 3
    for field in dataclasses.fields(FittedState):
        if field.name != "config":
            assert getattr(fitted, f"{field.name}_") is getattr(fitted.state_, field.name)
    assert not hasattr(Forecaster(), "horizon_")
    with pytest.raises(NotFittedError):
        Forecaster().predict(pd.DataFrame({"y": np.arange(10.0)}))


def test_manifest_round_trip_gives_the_same_state(fitted):
    manifest = json.loads(json.dumps(fitted.state_.to_manifest()))  # what config.json holds
    back = FittedState.from_manifest(manifest, fitted.net_.state_dict())
    for field in dataclasses.fields(FittedState):
        if field.name not in ("net", "device", "result"):
            assert getattr(back, field.name) == getattr(fitted.state_, field.name), field.name
    assert back.result.stopped == fitted.result_.stopped
    assert back.net.shape == fitted.net_.shape
    for name, tensor in fitted.net_.state_dict().items():
        assert torch.equal(back.net.state_dict()[name], tensor)


def test_an_old_format_is_upgraded_in_one_place(fitted):
    manifest = json.loads(json.dumps(fitted.state_.to_manifest()))
    for key in ("season_source", "quantiles", "transform", "validation", "calibration", "error_ratio", "theta_share",
                "stopped"):
        del manifest[key]
    old = FittedState.from_manifest(manifest, fitted.net_.state_dict())
    assert (old.season_source, old.quantiles, old.transform, old.validation, old.calibration, old.error_ratio,
            old.theta_share, old.result.stopped) == (None, [], "none", {}, {}, None, 0.0, "unknown")


def test_the_saved_history_has_the_epoch_records_fields(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    history = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())["history"]
    assert EPOCH_FIELDS == tuple(f.name for f in dataclasses.fields(EpochRecord))
    assert len(history) == len(fitted.result_.history) and all(tuple(r) == EPOCH_FIELDS for r in history)


def test_a_refit_that_fails_leaves_the_fitted_state_whole():
    model = Forecaster(**TINY, holdout=24).fit(daily_cycle(24 * 12, 0.1, seed=0))
    before = model.state_
    model.config = dataclasses.replace(model.config, lookback=10_000)  # far longer than the data
    with pytest.raises(DataError, match="too short"):
        model.fit(daily_cycle(24 * 12, 0.1, seed=0))
    assert model.state_ is before
