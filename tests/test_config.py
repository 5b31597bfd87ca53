import pytest

from forecaster.config import Config, parse_columns, parse_quantiles
from forecaster.errors import ConfigError


@pytest.mark.parametrize(
    ("settings", "flag"),
    [
        ({"horizon": 0}, "--horizon"),
        ({"lookback": -3}, "--lookback"),
        ({"epochs": 0}, "--epochs"),
        ({"batch_size": 0}, "--batch-size"),
        ({"hidden_size": -1}, "--hidden-size"),
        ({"num_layers": 0}, "--num-layers"),
        ({"dropout": 1.0}, "--dropout"),
        ({"dropout": -0.1}, "--dropout"),
        ({"lr": 0.0}, "--lr"),
        ({"quantiles": [0.0, 0.5]}, "--quantiles"),
        ({"quantiles": [0.5, 1.2]}, "--quantiles"),
        ({"quantiles": [0.5, 0.5]}, "--quantiles"),
        ({"cell": "transformer"}, "--cell"),
        ({"scaler": "log"}, "--scaler"),
        ({"lr_schedule": "step"}, "--lr-schedule"),
        ({"fill": "mean"}, "--fill"),
        ({"holdout": -1}, "--holdout"),
        ({"grad_clip": -1.0}, "--grad-clip"),
        ({"precision": "fp16"}, "--precision"),
        ({"window_norm": "mean"}, "--window-norm"),
        ({"windows_per_epoch": 0}, "--windows-per-epoch"),
    ],
)
def test_out_of_range_settings_name_their_flag(settings, flag):
    with pytest.raises(ConfigError, match=flag):
        Config(**settings)


def test_quantiles_are_sorted():
    assert Config(quantiles=[0.9, 0.1, 0.5]).quantiles == [0.1, 0.5, 0.9]


def test_dict_round_trip_and_unknown_keys_refused():
    config = Config(cell="gru", quantiles=[0.1, 0.9], target=["a"])
    assert Config.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.from_dict({"cel": "gru"})


def test_parse_helpers():
    assert parse_quantiles("0.1, 0.9") == [0.1, 0.9]
    assert parse_quantiles(None) == []
    with pytest.raises(ConfigError, match="--quantiles"):
        parse_quantiles("0.1,high")
    assert parse_columns(["a,b", "c"]) == ["a", "b", "c"]
    assert parse_columns(None) is None
