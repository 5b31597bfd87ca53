import pytest
import torch

from forecaster.model import NetworkShape, RecurrentForecaster, build_network


def shape(cell: str = "lstm", **changes) -> NetworkShape:
    values = dict(cell=cell, input_size=1, hidden_size=6, num_layers=2, dropout=0.1, horizon=4, outputs=3)
    return NetworkShape(**{**values, **changes})


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_maps_a_window_to_every_horizon_step_at_once(cell):
    net = RecurrentForecaster(shape(cell))
    assert net(torch.randn(5, 12, 1)).shape == (5, 4, 3)  # (B, L, C) -> (B, H, outputs)


def test_lstm_forget_gate_bias_is_one_and_other_biases_zero():
    net = RecurrentForecaster(shape("lstm"))
    hidden = 6
    for name, param in net.encoder.named_parameters():
        if name.startswith("bias_ih"):
            assert torch.all(param[hidden : 2 * hidden] == 1)
            assert torch.all(param[:hidden] == 0) and torch.all(param[2 * hidden :] == 0)
        elif name.startswith("bias_hh"):
            assert torch.all(param == 0)


def test_recurrent_weights_are_orthogonal_blocks():
    net = RecurrentForecaster(shape("rnn"))
    weight = net.encoder.weight_hh_l0  # (hidden, hidden) for a plain RNN
    assert torch.allclose(weight @ weight.T, torch.eye(6), atol=1e-5)


def test_single_layer_takes_no_inter_layer_dropout():
    net = RecurrentForecaster(shape("gru", num_layers=1, dropout=0.5))
    assert net.encoder.dropout == 0.0


def test_window_norm_makes_forecasts_follow_the_level_exactly():
    net = RecurrentForecaster(shape("gru", window_norm="last")).eval()
    x = torch.randn(3, 10, 1)
    with torch.no_grad():
        shifted = net(x + 5.0)
        assert torch.allclose(shifted, net(x) + 5.0, atol=1e-5)


def test_season_norm_starts_from_seasonal_naive_by_hand():
    net = RecurrentForecaster(shape("gru", window_norm="season", season=3, horizon=5, outputs=1, dropout=0.0)).eval()
    for param in net.head.parameters():
        torch.nn.init.zeros_(param)  # a head that adds nothing leaves the seasonal-naive base
    x = torch.tensor([[9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]).unsqueeze(-1)
    with torch.no_grad():
        assert net(x).flatten().tolist() == [4.0, 5.0, 6.0, 4.0, 5.0]  # the last season, repeated and cut to H
        shifted = net(x + 5.0)
        assert torch.allclose(shifted, net(x) + 5.0, atol=1e-5)


def test_season_changes_are_each_step_minus_the_one_a_season_before_by_hand():
    net = RecurrentForecaster(shape("gru", window_norm="season", season=3, season_changes=True)).eval()
    seen = []
    net.encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    x = torch.tensor([[9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]).unsqueeze(-1)
    with torch.no_grad():
        net(x)
    assert net.encoder.input_size == 2  # the target, then its change from a season before
    assert seen[0][0, :, 0].tolist() == [3.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0]  # level-free: minus the last value
    assert seen[0][0, :, 1].tolist() == [0.0, 0.0, 0.0, -6.0, 3.0, 3.0, 3.0]  # zero where no season came before


def test_season_changes_leave_the_known_ahead_channels_to_the_decoder():
    torch.manual_seed(0)
    net = RecurrentForecaster(shape(input_size=2, known=1, window_norm="season", season=3, season_changes=True,
                                    dropout=0.0)).eval()
    assert net.encoder.input_size == 3  # target, known-ahead channel, then the season's change
    x = torch.randn(2, 6 + 4, 2)  # lookback 6, then the 4 forecast steps
    base = net(x)
    flagged = x.clone()
    flagged[:, 6 + 1, 1] += 1.0  # the known-ahead value of step 2 moves step 2 only
    changed = (net(flagged) - base).abs().amax(dim=(0, 2))
    assert changed[1] > 0 and changed[[0, 2, 3]].max() == 0


def test_models_saved_without_season_changes_keep_one_input_per_channel():
    net = RecurrentForecaster(shape("gru", window_norm="season", season=3)).eval()
    assert net.encoder.input_size == 1
    assert net(torch.randn(2, 7, 1)).shape == (2, 4, 3)


def test_without_window_norm_the_level_is_not_added_back():
    net = RecurrentForecaster(shape("gru", window_norm="none")).eval()
    x = torch.randn(3, 10, 1)
    with torch.no_grad():
        assert not torch.allclose(net(x + 5.0), net(x) + 5.0, atol=1e-3)


def test_known_ahead_channels_reach_each_step_and_the_unknown_future_is_ignored():
    torch.manual_seed(0)
    net = RecurrentForecaster(shape(input_size=3, known=1, dropout=0.0)).eval()
    x = torch.randn(2, 5 + 4, 3)  # lookback 5, then the 4 forecast steps
    base = net(x)
    leaked = x.clone()
    leaked[:, 5:, :2] = 99.0  # the target and past covariate after the origin: never read
    torch.testing.assert_close(net(leaked), base)
    flagged = x.clone()
    flagged[:, 5 + 2, 2] += 1.0  # the known-ahead value of step 3 moves step 3 only
    changed = (net(flagged) - base).abs().amax(dim=(0, 2))
    assert changed[2] > 0 and changed[[0, 1, 3]].max() == 0


def test_median_ensemble_takes_the_middle_member_and_saves_each():
    from forecaster.model import build_network

    net = build_network(shape(members=3, dropout=0.0)).eval()
    x = torch.randn(4, 6, 1)
    outputs = torch.stack([member(x) for member in net.members])
    torch.testing.assert_close(net(x), outputs.median(dim=0).values)
    assert any(name.startswith("members.2.") for name in net.state_dict())
    pair = build_network(shape(members=2, dropout=0.0)).eval()
    torch.testing.assert_close(pair(x), (pair.members[0](x) + pair.members[1](x)) / 2)


# ------------------------------------------------- segment-wise recurrence (SegRNN)
def test_a_step_wise_network_is_the_one_before_segments():
    """Segment 1 creates the same parameters in the same order: a seeded network is the one releases before it built.

    The figures are this network's forecasts at commit cedd6e3, before `segment` existed.
    """
    torch.manual_seed(0)
    net = RecurrentForecaster(shape("lstm")).eval()
    assert net.shape.segment == 1 and not hasattr(net, "embed")
    assert [(name, tuple(value.shape)) for name, value in net.state_dict().items()] == [
        ("encoder.weight_ih_l0", (24, 1)), ("encoder.weight_hh_l0", (24, 6)), ("encoder.bias_ih_l0", (24,)),
        ("encoder.bias_hh_l0", (24,)), ("encoder.weight_ih_l1", (24, 6)), ("encoder.weight_hh_l1", (24, 6)),
        ("encoder.bias_ih_l1", (24,)), ("encoder.bias_hh_l1", (24,)), ("head.weight", (12, 6)), ("head.bias", (12,))]
    x = torch.arange(2 * 16, dtype=torch.float32).reshape(2, 16, 1).sin()[:, :12]
    with torch.no_grad():
        out = net(x)
    expected = [-1.0056209564208984, -0.9663141965866089, -0.9265834093093872, -1.0992916822433472,
                -1.0458158254623413, -0.9779331088066101]
    assert out.flatten()[:6].tolist() == expected
    assert out.sum().item() == pytest.approx(-0.15737318992614746, abs=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_segments_embed_each_w_steps_and_shorten_the_recurrence(cell):
    net = RecurrentForecaster(shape(cell, input_size=2, segment=4))
    assert net.embed[0].in_features == 4 * 2 and net.encoder.input_size == 6  # (W * C) -> hidden, read by the cell
    seen = []
    net.encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape))
    assert net(torch.randn(5, 12, 2)).shape == (5, 4, 3)  # (B, L, C) -> (B, H, outputs)
    assert seen == [(5, 3, 6)]  # L / W = 3 recurrent steps


def test_segments_are_cut_from_the_window_end_step_major():
    net = RecurrentForecaster(shape(input_size=2, segment=2, window_norm="none"))
    net.embed = torch.nn.Identity()  # to see the segments themselves
    x = torch.arange(10.0).reshape(1, 5, 2)  # 5 steps of 2 channels: the oldest step falls outside whole segments
    assert net._segments(x).tolist() == [[[2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0]]]


def test_segments_with_known_ahead_channels_quantiles_season_changes_and_members():
    torch.manual_seed(0)
    seg = shape("gru", input_size=3, known=1, segment=3, window_norm="season", season=3, season_changes=True,
                dropout=0.0, members=3)
    net = build_network(seg).eval()
    assert net.members[0].embed[0].in_features == 3 * (3 + 1)  # the season's change is read within each segment
    x = torch.randn(2, 9 + 4, 3)  # lookback 9 (3 segments), then the 4 forecast steps
    with torch.no_grad():
        base = net(x)
        assert base.shape == (2, 4, 3)  # the point forecast and two quantiles per step
        flagged = x.clone()
        flagged[:, 9 + 1, 2] += 1.0  # the known-ahead value of step 2 still moves step 2 only
        changed = (net(flagged) - base).abs().amax(dim=(0, 2))
        assert changed[1] > 0 and changed[[0, 2, 3]].max() == 0
        shifted = x.clone()
        shifted[..., 0] += 5.0  # the target's level
        assert torch.allclose(net(shifted), base + 5.0, atol=1e-4)  # window norm as before: the level is added back


# ------------------------------------------------- parallel decoding (SegRNN)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_parallel_decoding_gives_each_output_segment_one_cell_step(cell):
    net = RecurrentForecaster(shape(cell, input_size=2, segment=3, horizon=7, decoder="parallel"))
    assert net.positions.shape == (3, net.encoder.input_size)  # ceil(7 / 3) output segments, one position each
    assert net.head.out_features == 3 * 3  # W steps of 3 outputs per segment
    seen = []
    net.encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape))
    assert net(torch.randn(5, 12, 2)).shape == (5, 7, 3)  # the last segment's excess steps dropped
    assert seen == [(5, 4, 6), (5 * 3, 1, 6)]  # 12 / 3 encoder steps, then one step per (window, output segment)


def test_parallel_decoding_starts_every_segment_from_its_own_windows_state():
    torch.manual_seed(0)
    net = RecurrentForecaster(shape("lstm", segment=2, horizon=4, decoder="parallel", dropout=0.0)).eval()
    x = torch.randn(3, 8, 1)
    with torch.no_grad():
        together = net(x)
        alone = torch.cat([net(x[i : i + 1]) for i in range(3)])
        torch.testing.assert_close(together, alone)  # no window's state leaks into another's segments
        first, second = net._decoded(net.encoder(net._segments(x - x[:, -1:]))[1]).unbind(1)[:2]
        assert not torch.allclose(first, second)  # the positions tell the segments apart


def test_parallel_decoding_with_known_ahead_channels_and_step_wise_reading():
    torch.manual_seed(0)
    net = RecurrentForecaster(shape("gru", input_size=2, known=1, horizon=5, decoder="parallel", dropout=0.0)).eval()
    assert net.positions.shape == (5, 2)  # segment 1: one position per step, read by the cell as an input step
    x = torch.randn(2, 6 + 5, 2)
    with torch.no_grad():
        base = net(x)
        flagged = x.clone()
        flagged[:, 6 + 3, 1] += 1.0
        changed = (net(flagged) - base).abs().amax(dim=(0, 2))
    assert changed[3] > 0 and changed[[0, 1, 2, 4]].max() == 0
