import pytest
import torch

from forecaster.model import NetworkShape, RecurrentForecaster


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


def test_without_window_norm_the_level_is_not_added_back():
    net = RecurrentForecaster(shape("gru", window_norm="none")).eval()
    x = torch.randn(3, 10, 1)
    with torch.no_grad():
        assert not torch.allclose(net(x + 5.0), net(x) + 5.0, atol=1e-3)
