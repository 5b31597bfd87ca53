"""The recurrent network: an LSTM/GRU/RNN encoder, step- or segment-wise, and a direct multi-horizon head."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass(frozen=True)
class NetworkShape:
    """Everything needed to rebuild the network from a saved config."""

    cell: str
    input_size: int  # channels per step: the scaled target, then any covariates
    hidden_size: int
    num_layers: int
    dropout: float
    horizon: int
    outputs: int  # per step: the point forecast, then one per quantile
    window_norm: str = "last"  # last | season: forecast changes from the last value | the last season; none
    known: int = 0  # the last `known` input channels are known ahead (the future covariates)
    members: int = 1  # networks in a median ensemble (`ensemble`)
    season: int = 1  # the seasonal period, for window_norm "season"
    season_changes: bool = False  # the encoder also reads each step's change from a season before; absent in older models
    segment: int = 1  # steps per recurrent step: 1 reads the window step by step; W > 1 reads embedded W-step segments
    decoder: str = "direct"  # direct: one linear head for all H steps; parallel: one cell step per W-step output segment


class RecurrentForecaster(nn.Module):
    """Maps the last L steps to all H future steps at once (direct multi-output).

    With known-ahead channels, a small per-step decoder adds what those channels say about
    each of the H steps to the head's forecast, given the encoder's state.

    With `segment` W > 1 the encoder reads the window as SegRNN does (Lin et al. 2023): cut into L / W
    segments from its end, each segment's W steps of every channel embedded by one layer, so the cell
    runs L / W steps instead of L.
    """

    def __init__(self, shape: NetworkShape) -> None:
        super().__init__()
        self.shape = shape
        channels = shape.input_size + int(shape.season_changes)  # what the encoder reads per step
        if shape.segment > 1:  # only then: a step-wise network keeps its parameters, created in the same order
            self.embed = nn.Sequential(nn.Linear(shape.segment * channels, shape.hidden_size), nn.ReLU())
        self.encoder = _CELLS[shape.cell](
            input_size=shape.hidden_size if shape.segment > 1 else channels,
            hidden_size=shape.hidden_size,
            num_layers=shape.num_layers,
            # torch warns (and ignores it) when dropout is set on a single layer.
            dropout=shape.dropout if shape.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.dropout = nn.Dropout(shape.dropout)
        if shape.decoder == "parallel":  # SegRNN's parallel decoding: output segment k's position, one cell step
            self.positions = nn.Parameter(torch.empty(self._output_segments(), self.encoder.input_size))
            self.head = nn.Linear(shape.hidden_size, shape.segment * shape.outputs)
        else:
            self.head = nn.Linear(shape.hidden_size, shape.horizon * shape.outputs)
        if shape.known:
            self.decoder = nn.Sequential(
                nn.Linear(shape.hidden_size + shape.known, shape.hidden_size), nn.ReLU(),
                nn.Linear(shape.hidden_size, shape.outputs),
            )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier input (and segment embedding) weights, orthogonal recurrent weights, zero biases, LSTM forget bias 1."""
        for name, param in self.encoder.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(param)
            elif name.startswith("weight_hh"):
                # Orthogonal recurrent weights keep gradients from vanishing or exploding early on.
                nn.init.orthogonal_(param)
            else:
                nn.init.zeros_(param)
        if self.shape.cell == "lstm":
            hidden = self.shape.hidden_size
            for name, param in self.encoder.named_parameters():
                if name.startswith("bias_ih"):
                    # Gates are ordered (input, forget, cell, output); a forget bias of 1 lets
                    # memory flow through long windows from the first step (Jozefowicz et al. 2015).
                    param.data[hidden : 2 * hidden] = 1.0
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        if self.shape.segment > 1:
            nn.init.xavier_uniform_(self.embed[0].weight)
            nn.init.zeros_(self.embed[0].bias)
        if self.shape.decoder == "parallel":
            nn.init.normal_(self.positions, std=1.0)  # of the scale the embedded segments have (ReLU of unit variance)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C) scaled windows -> (B, H, outputs) scaled forecasts.

        A network with known-ahead channels takes (B, L + H, C): the last H rows are the forecast
        steps, of which only the known-ahead channels are read.
        """
        horizon, known = self.shape.horizon, self.shape.known
        ahead = None
        if known:
            x, ahead = x[:, :-horizon], x[:, -horizon:, -known:]  # (B, L, C), (B, H, K)
        base = None
        if self.shape.window_norm in ("last", "season"):
            # Forecast changes from the window's last value (as NLinear does): robust to level shifts
            # the training-part scaler never saw (benchmarks/RESULTS.md, "Why the defaults").
            level = x[:, -1:, :1]  # (B, 1, 1)
            x = torch.cat([x[..., :1] - level, x[..., 1:]], dim=-1)
            # "season": changes from the last season repeated (seasonal naive), where the season dominates.
            base = level if self.shape.window_norm == "last" else self._last_season(x) + level
        if self.shape.season_changes:
            x = torch.cat([x, self._season_changes(x)], dim=-1)
        if self.shape.segment > 1:
            x = self._segments(x)  # (B, L, C) -> (B, L / W, hidden)
        encoded, memory = self.encoder(x)  # (B, steps, C or hidden) -> (B, steps, hidden)
        state = self.dropout(encoded[:, -1])  # (B, hidden)
        if self.shape.decoder == "parallel":
            out = self._decoded(memory)
        else:
            out = self.head(state).view(-1, horizon, self.shape.outputs)  # (B, H * outputs) -> (B, H, outputs)
        if ahead is not None:
            steps = torch.cat([state.unsqueeze(1).expand(-1, horizon, -1), ahead], dim=-1)  # (B, H, hidden + K)
            out = out + self.decoder(steps)
        return out if base is None else out + base

    def _output_segments(self) -> int:
        """How many W-step segments cover the horizon; the last one's excess steps are dropped."""
        return -(-self.shape.horizon // self.shape.segment)

    def _decoded(self, memory: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The encoder's final state -> (B, H, outputs): every output segment decoded at once, as SegRNN does.

        Each segment's learned position embedding is the input of one cell step from the encoder's final
        state (h, and c for an LSTM, of every layer); a linear map turns that step's output into W steps.
        """
        count = len(self.positions)
        repeated = tuple(m.repeat_interleave(count, dim=1) for m in (memory if isinstance(memory, tuple) else (memory,)))
        batch = repeated[0].shape[1] // count
        steps = self.positions.repeat(batch, 1).unsqueeze(1)  # (B * count, 1, inputs): batch-major, like `repeated`
        decoded, _ = self.encoder(steps, repeated if len(repeated) == 2 else repeated[0])  # (B * count, 1, hidden)
        out = self.head(self.dropout(decoded[:, 0]))  # (B * count, W * outputs)
        return out.view(batch, count * self.shape.segment, self.shape.outputs)[:, : self.shape.horizon]

    def _segments(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C) windows -> (B, L // W, hidden): each W-step segment, counted from the window's end, embedded.

        Segments end at the origin, so the latest steps always share one; a lookback that is not a whole
        number of segments (refused by `Config`) would lose its oldest steps here.
        """
        batch, steps, channels = x.shape
        segment = self.shape.segment
        count = steps // segment
        x = x[:, steps - count * segment:].reshape(batch, count, segment * channels)  # (B, L/W, W * C), step-major
        return self.embed(x)

    def _season_changes(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C) windows -> (B, L, 1): each step's target minus the one a season before; zero over the first season.

        A recurrent cell cannot subtract the value from 24 steps ago exactly, and over a seasonal base this
        difference is what the network has to extrapolate (benchmarks/RESULTS.md, "Why the defaults").
        """
        season = self.shape.season
        changes = x[:, season:, :1] - x[:, :-season, :1]
        return torch.cat([torch.zeros_like(x[:, :season, :1]), changes], dim=1)

    def _last_season(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C) level-free windows -> (B, H, 1): the last season of the target, repeated over the horizon."""
        season, horizon = self.shape.season, self.shape.horizon
        repeats = -(-horizon // season)
        return x[:, -season:, :1].repeat(1, repeats, 1)[:, :horizon]


class MedianEnsemble(nn.Module):
    """Several networks of one shape, fitted with different seeds; forecasts the median of theirs."""

    def __init__(self, shape: NetworkShape) -> None:
        super().__init__()
        self.shape = shape
        self.members = nn.ModuleList(RecurrentForecaster(replace(shape, members=1)) for _ in range(shape.members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L[, + H], C) -> (B, H, outputs): the element-wise median over the members."""
        ranked = torch.stack([member(x) for member in self.members]).sort(dim=0).values  # (N, B, H, outputs)
        n = len(self.members)
        # The mean of the two middle values for an even count (torch.median would take the lower one).
        return (ranked[(n - 1) // 2] + ranked[n // 2]) / 2


def build_network(shape: NetworkShape) -> nn.Module:
    """The network a shape describes: one recurrent forecaster, or a median ensemble of them."""
    return MedianEnsemble(shape) if shape.members > 1 else RecurrentForecaster(shape)
