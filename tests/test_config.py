import pytest

from forecaster.config import Config, parse_columns, parse_levels, parse_quantiles, with_flags
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
        ({"levels": [0]}, "--levels"),
        ({"levels": [100]}, "--levels"),
        ({"levels": [80, 80]}, "--levels"),
        ({"levels": "80"}, "--levels"),
        ({"segment": 0}, "--segment"),
        ({"segment": 2.5}, "--segment"),
        ({"refit": "yes"}, "--refit"),
        ({"thousands": "ab"}, "--thousands"),
        ({"thousands": ",", "decimal": ","}, "--thousands"),
    ],
)
def test_out_of_range_settings_name_the_setting_and_the_cli_its_flag(settings, flag):
    setting = flag.removeprefix("--").replace("-", "_")
    with pytest.raises(ConfigError, match=f"`{setting}`") as refused:
        Config(**settings)
    assert "--" not in str(refused.value)  # a library user never reads about flags
    assert with_flags(str(refused.value)).startswith(f"{flag} ")


def test_with_flags_renders_settings_and_arguments_and_leaves_other_quotes():
    assert with_flags("lower `val_size` or `holdout`; pass `force`, `out` m") == "lower --val-size or --holdout; pass --force, --out m"
    assert with_flags("the `known` channels and `forecaster train`") == "the `known` channels and `forecaster train`"


def test_quantiles_are_sorted():
    assert Config(quantiles=[0.9, 0.1, 0.5]).quantiles == [0.1, 0.5, 0.9]


def test_levels_default_to_80_and_95_and_are_sorted():
    assert Config().levels == [80.0, 95.0]
    assert Config(levels=[95, 50]).levels == [50.0, 95.0]


def test_parse_levels():
    assert parse_levels("80, 95") == [80.0, 95.0]
    assert parse_levels("none") == [] and parse_levels(None) is None
    with pytest.raises(ConfigError, match="`levels`.*80,95"):
        parse_levels("80%")
    with pytest.raises(ConfigError, match="`levels` must lie strictly between 0 and 100"):
        parse_levels("0.8,95.5,100")


def test_dict_round_trip_and_unknown_keys_refused():
    config = Config(cell="gru", quantiles=[0.1, 0.9], target=["a"], levels=[90])
    assert Config.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.from_dict({"cel": "gru"})


def test_parse_helpers():
    assert parse_quantiles("0.1, 0.9") == [0.1, 0.9]
    assert parse_quantiles(None) is None and parse_quantiles("auto") is None
    assert parse_quantiles("none") == []
    with pytest.raises(ConfigError, match="`quantiles`"):
        parse_quantiles("0.1,high")
    assert parse_columns(["a,b", "c"]) == ["a", "b", "c"]
    assert parse_columns(None) is None


def test_an_explicit_lookback_must_be_whole_segments():
    assert Config(lookback=48, segment=24).segment == 24
    assert Config(segment=24).lookback is None  # the automatic lookback is rounded up to whole segments
    with pytest.raises(ConfigError) as refused:
        Config(lookback=50, segment=24)
    assert str(refused.value).startswith("`lookback` 50 is not a multiple of `segment` 24")
    assert "such as 72" in str(refused.value)  # the next whole number of segments
    assert with_flags(str(refused.value)).startswith("--lookback 50 is not a multiple of --segment 24")
