import numpy as np
import pytest

from forecaster.scaling import Scaler, fit_scaler

VALUES = np.array([1.0, 2.0, 3.0, 4.0, 10.0])


@pytest.mark.parametrize("kind", ["standard", "minmax", "robust", "none"])
def test_round_trip(kind):
    scaler = fit_scaler(kind, VALUES)
    assert np.allclose(scaler.inverse(scaler.transform(VALUES)), VALUES)


def test_standard_by_hand():
    scaler = fit_scaler("standard", VALUES)
    assert scaler.center == pytest.approx(4.0)
    assert scaler.scale == pytest.approx(np.std(VALUES))


def test_minmax_maps_to_unit_interval():
    scaled = fit_scaler("minmax", VALUES).transform(VALUES)
    assert scaled.min() == pytest.approx(0.0) and scaled.max() == pytest.approx(1.0)


def test_robust_uses_median_and_iqr():
    scaler = fit_scaler("robust", VALUES)
    assert scaler.center == pytest.approx(3.0)
    assert scaler.scale == pytest.approx(4.0 - 2.0)


@pytest.mark.parametrize("kind", ["standard", "minmax", "robust"])
def test_constant_series_gets_scale_one(kind):
    scaler = fit_scaler(kind, np.full(20, 7.0))
    assert scaler.scale == 1.0
    assert np.all(np.isfinite(scaler.transform(np.full(3, 7.0))))


def test_dict_round_trip():
    scaler = Scaler(2.5, 0.5)
    assert Scaler(**scaler.to_dict()) == scaler
