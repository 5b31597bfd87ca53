import numpy as np
import pandas as pd
import pytest
import torch

from forecaster import Forecaster
from forecaster.estimator import inference
from forecaster.errors import ConfigError, DataError, NotFittedError
from forecaster.model import RecurrentForecaster

from conftest import TINY, daily_cycle


@pytest.fixture(scope="module")
def frame():
    return daily_cycle(21 * 24, 0.2, seed=0, level=10.0, amplitude=3.0)


@pytest.fixture(scope="module")
def fitted(frame):
    return Forecaster(**TINY, holdout=48, quantiles=[0.1, 0.9]).fit(frame)


def test_init_only_stores_settings():
    model = Forecaster(cell="gru", hidden_size=5)
    assert model.config.cell == "gru" and model.config.hidden_size == 5
    assert not hasattr(model, "net_")


def test_using_an_unfitted_model_raises(frame):
    with pytest.raises(NotFittedError, match="fit"):
        Forecaster().predict(frame)


def test_automatic_choices_follow_the_frequency(fitted):
    assert fitted.season_ == 24
    assert fitted.horizon_ == 24
    assert fitted.lookback_ >= fitted.horizon_


def test_auto_window_norm_follows_the_season_where_it_dominates(fitted, frame):
    assert fitted.net_.shape.window_norm == "season"  # a clean daily cycle
    assert fitted.net_.shape.season_changes  # read over a seasonal base only
    assert fitted.schema_.calendar == []  # a clean daily cycle: the seasonal base leaves the calendar nothing
    walk = frame.assign(load=np.cumsum(np.random.default_rng(1).normal(size=len(frame))))
    model = Forecaster(**{**TINY, "epochs": 1}).fit(walk)
    assert model.state_.resolved_config().window_norm == "last" and model.schema_.calendar == []
    assert not model.net_.shape.season_changes
    assert Forecaster(**{**TINY, "epochs": 1}, calendar=True).fit(walk).schema_.calendar == ["hour", "weekday"]


def test_season_norm_needs_the_season_inside_the_lookback(frame):
    with pytest.raises(ConfigError, match="`window_norm` season"):
        Forecaster(**TINY, window_norm="season", lookback=12).fit(frame)


def test_predict_returns_the_steps_after_the_end(fitted, frame):
    forecast = fitted.predict(frame)
    # The trained 0.1 and 0.9 quantiles, calibrated as the 80 % interval, and the calibrated 95 % interval.
    assert list(forecast.columns) == ["series", "timestamp", "forecast", "q0.025", "q0.1", "q0.9", "q0.975"]
    assert len(forecast) == 24
    assert forecast["timestamp"].iloc[0] == frame["date"].iloc[-1] + pd.Timedelta(hours=1)
    assert np.isfinite(forecast.iloc[:, 2:].to_numpy()).all()
    assert (np.diff(forecast[["q0.025", "q0.1", "q0.9", "q0.975"]].to_numpy(), axis=1) >= 0).all()


def test_predict_shorter_horizon_and_refuses_a_longer_one(fitted, frame):
    assert len(fitted.predict(frame, horizon=5)) == 5
    with pytest.raises(ConfigError, match="trained horizon 24"):
        fitted.predict(frame, horizon=25)


def test_holdout_is_kept_out_of_fitting(fitted, frame):
    # The training end is the last step before the 48 held-out ones.
    assert fitted.state_.training_end("load") == frame["date"].iloc[-49]


def test_holdout_values_do_not_change_the_model(frame):
    changed = frame.copy()
    changed.loc[changed.index[-48:], "load"] = 1e6
    a = Forecaster(**TINY, holdout=48).fit(frame)
    b = Forecaster(**TINY, holdout=48).fit(changed)
    for key, value in a.net_.state_dict().items():
        assert torch.equal(value, b.net_.state_dict()[key])


def test_same_seed_gives_identical_weights_and_another_seed_does_not(frame):
    a = Forecaster(**TINY, seed=3).fit(frame).net_.state_dict()
    b = Forecaster(**TINY, seed=3).fit(frame).net_.state_dict()
    c = Forecaster(**TINY, seed=4).fit(frame).net_.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_fitting_does_not_disturb_the_callers_random_state(frame):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Forecaster(**TINY).fit(frame)
    assert torch.equal(torch.rand(3), expected)


def test_refit_trains_again_for_the_chosen_epochs_and_keeps_what_validation_measured(frame):
    settings = dict(TINY, epochs=4, patience=0, holdout=48, ensemble=2, seed=5, theta_share=0.0)  # the networks forecast
    early = Forecaster(**settings, refit=False).fit(frame)
    refit = Forecaster(**settings, refit=True).fit(frame)
    assert early.result_.refit_epochs == [] and len(refit.result_.refit_epochs) == 2
    assert refit.result_.refit_epochs[0] == early.result_.best_epoch  # the first member's, as its history says
    # The early-stopped networks, the same in both fits, measured the validation part: it is new to them.
    assert refit.validation_ == early.validation_ and refit.calibration_ == early.calibration_
    assert refit.theta_share_ == early.theta_share_
    assert [r.val_loss for r in refit.result_.history] == [r.val_loss for r in early.result_.history]
    # The refitted networks forecast: they have also seen the most recent (validation) steps.
    history = frame.iloc[:-48]
    assert not np.allclose(refit.predict(history)["forecast"], early.predict(history)["forecast"])


def test_the_refit_windows_run_through_the_training_and_validation_parts():
    from forecaster.estimator.fitting import _starts
    from forecaster.windows import Split

    splits, offsets = [Split(n_train=50, n_fit=70), Split(n_train=30, n_fit=40)], np.array([0, 100])
    lookback, horizon = 10, 5
    fit = _starts(offsets, splits, lookback, horizon, "fit")
    # Every window whose targets lie before the holdout: the training part's, those across the boundary
    # (whose first target is one of the last four training steps) and the validation part's.
    expected = np.concatenate([np.arange(0, 70 - 5 - 10 + 1), 100 + np.arange(0, 40 - 5 - 10 + 1)])
    np.testing.assert_array_equal(fit, expected)
    train, val = (_starts(offsets, splits, lookback, horizon, part) for part in ("train", "val"))
    assert set(train) | set(val) < set(fit)


def test_an_interrupted_refit_keeps_the_early_stopped_networks_and_says_interrupted(frame):
    from forecaster.training import SilentCallback

    class StopInRefit(SilentCallback):
        refitting = False

        def on_refit_start(self, epochs, batches_per_epoch):
            self.refitting = True

        def on_batch_end(self, epoch, batch):
            if self.refitting:
                raise KeyboardInterrupt

    settings = dict(TINY, holdout=48, seed=2, theta_share=0.0)
    stopped = Forecaster(**settings, refit=True).fit(frame, callback=StopInRefit())
    early = Forecaster(**settings, refit=False).fit(frame)
    assert stopped.result_.stopped == "interrupted" and stopped.result_.refit_epochs == []
    history = frame.iloc[:-48]
    np.testing.assert_array_equal(stopped.predict(history)["forecast"], early.predict(history)["forecast"])


def test_save_load_gives_identical_forecasts(fitted, frame, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(fitted.predict(frame), loaded.predict(frame))
    assert loaded.lookback_ == fitted.lookback_ and loaded.config == fitted.config


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_every_cell_trains_and_predicts(cell, frame):
    forecast = Forecaster(**{**TINY, "epochs": 1}, cell=cell).fit(frame).predict(frame)
    assert np.isfinite(forecast["forecast"]).all()


def test_constant_series_trains_and_forecasts_the_constant(frame):
    constant = frame.assign(load=5.0)
    forecast = Forecaster(**{**TINY, "epochs": 2}).fit(constant).predict(constant)
    assert np.isfinite(forecast["forecast"]).all()
    assert np.allclose(forecast["forecast"], 5.0, atol=2.0)


def test_learns_a_daily_cycle_better_than_the_mean(frame):
    model = Forecaster(hidden_size=16, num_layers=1, epochs=25, batch_size=32, lr=5e-3, holdout=24, seed=0).fit(frame)
    forecast = model.predict(frame.iloc[:-24])["forecast"].to_numpy()
    actual = frame["load"].iloc[-24:].to_numpy()
    assert np.mean(np.abs(forecast - actual)) < 0.5 * np.mean(np.abs(actual - actual.mean()))


def test_several_series_train_one_global_model_with_their_own_scalers():
    time = pd.date_range("2024-01-01", periods=200, freq="D")
    step = np.arange(200)
    frame = pd.DataFrame({"date": time, "small": np.sin(step / 3), "large": 1000 + 50 * np.sin(step / 3)})
    model = Forecaster(**TINY).fit(frame)
    forecast = model.predict(frame)
    assert set(forecast["series"]) == {"small", "large"}
    assert model.series_["large"]["scaler"]["center"] == pytest.approx(1000, abs=10)
    large = forecast.loc[forecast["series"] == "large", "forecast"]
    assert large.between(900, 1100).all()


def test_a_series_too_short_is_refused_with_the_fix():
    frame = pd.DataFrame({"value": np.arange(20.0)})
    with pytest.raises(DataError, match="too short.*lower `lookback`"):
        Forecaster(**TINY, lookback=15, horizon=5).fit(frame)


def test_predict_needs_a_lookback_of_history(fitted, frame):
    with pytest.raises(DataError, match="lookback"):
        fitted.predict(frame.iloc[:10])


def test_data_without_the_trained_column_is_refused(fitted, frame):
    other = frame.rename(columns={"load": "other"})
    with pytest.raises(DataError, match="no column 'load'"):
        fitted.predict(other)


def test_an_unseen_series_is_forecast_from_its_own_history():
    step = np.arange(150)
    long = pd.concat([
        pd.DataFrame({"unique_id": "a", "ds": step, "y": np.sin(step / 3)}),
        pd.DataFrame({"unique_id": "b", "ds": step, "y": 2 + np.sin(step / 3)}),
    ])
    model = Forecaster(**TINY).fit(long)
    new = pd.DataFrame({"unique_id": "c", "ds": step, "y": 500 + 10 * np.sin(step / 3)})
    forecast = model.predict(new)
    assert set(forecast["series"]) == {"c"}
    assert forecast["timestamp"].tolist() == list(range(150, 150 + model.horizon_))
    assert forecast["forecast"].between(450, 550).all()


def test_the_library_never_returns_a_non_finite_forecast(frame):
    from forecaster.errors import TrainingError

    model = Forecaster(**TINY).fit(frame)
    with torch.no_grad():
        for member in model.net_.modules():  # the network, or every member of an ensemble
            if isinstance(member, RecurrentForecaster):
                member.head.bias.fill_(float("inf"))
    with pytest.raises(TrainingError, match="NaN or infinite forecasts"):
        model.predict(frame)


def test_values_beyond_what_float32_holds_after_scaling_are_refused(frame):
    model = Forecaster(**TINY, transform="none").fit(frame)  # the log would bring 1e60 down to 138
    wild = frame.copy()
    wild.loc[wild.index[-1], "load"] = 1e60
    with pytest.raises(DataError, match="far outside the values the model was trained on"):
        model.predict(wild)


def test_validation_sample_spreads_over_every_series():
    from forecaster.estimator.fitting import spread as _spread

    origins = [np.arange(100), np.arange(10), np.arange(0)]
    assert _spread(origins, 1000) is origins
    picked = _spread(origins, 11)
    assert [len(o) for o in picked] == [10, 1, 0]
    assert picked[0][0] == 0 and picked[0][-1] == 99  # evenly spaced, both ends kept


@pytest.fixture(scope="module")
def several():
    """Three hourly series that start and end at different hours, and a model fitted on them."""
    rng = np.random.default_rng(2)
    frames = []
    for i, (start, n) in enumerate([("2024-01-01 00:00", 120), ("2024-01-01 05:00", 100), ("2024-01-02 03:00", 90)]):
        time = pd.date_range(start, periods=n, freq="h")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": time,
                                    "y": 10 * i + np.sin(2 * np.pi * np.arange(n) / 24) + rng.normal(0, 0.1, n)}))
    frame = pd.concat(frames, ignore_index=True)
    # The calendar asked for: each series' forecast steps need their own hours.
    return frame, Forecaster(**{**TINY, "epochs": 1}, lookback=30, quantiles=[0.1, 0.9], calendar=True).fit(frame)


def test_predict_builds_the_frame_each_series_would_give_alone(several):
    from forecaster.data.timeaxis import future_index

    frame, model = several
    data = model.series_set(frame)
    assert model.schema_.calendar == ["hour"]
    point, columns = inference.quantiles_at(model.state_, data, [np.array([len(s)]) for s in data.series])
    expected = pd.concat([pd.DataFrame({"series": s.id, "timestamp": future_index(s.time[-1], "h", 5),
                                        "forecast": point[i, :5], **{f"q{q:g}": v[i, :5] for q, v in columns.items()}})
                          for i, s in enumerate(data.series)], ignore_index=True)
    pd.testing.assert_frame_equal(model.predict(frame, horizon=5), expected, check_exact=True)


def test_forecasts_from_an_origin_do_not_depend_on_the_other_origins_asked(several):
    # Only the rows the windows read are built, from a lookback before the first origin: asking for
    # one origin alone or among others must read the same rows.
    frame, model = several
    data = model.series_set(frame)
    origins = [np.array([30, 61, 96]), np.array([], dtype=np.int64), np.array([45, 90])]
    together = inference.forecast_at(model.state_, data, origins)
    alone = [inference.forecast_at(model.state_, data, [o[k:k + 1] if i == j else np.array([], dtype=np.int64)
                                      for j in range(len(origins))])
             for i, o in enumerate(origins) for k in range(len(o))]
    # Batches of different sizes may round differently (1e-8 here), so values near zero need an absolute bound.
    np.testing.assert_allclose(together, np.concatenate(alone), rtol=1e-6, atol=1e-6)
