"""The words under the pictures: the cell's equations and how to read the numbers."""

from __future__ import annotations

from ..cell import GRUCell, LSTMCell, RNNCell
from ..model import Recurrent
from .style import sub, sup


def kind(model: Recurrent) -> str:
    if isinstance(model.cell, LSTMCell):
        return "LSTM"
    if isinstance(model.cell, RNNCell):
        return model.cell.activation
    return "GRU" if isinstance(model.cell, GRUCell) else type(model.cell).__name__


def formula(model: Recurrent) -> list[str]:
    """The cell's equations in one or two lines."""
    name = kind(model)
    head = "yₜ = softmax(V hₜ + c)"
    if name == "LSTM":
        return [
            "gates i, f, g, o from U xₜ + W hₜ₋₁ + b (U, W, b stack the four)",
            f"cₜ = f ⊙ cₜ₋₁ + i ⊙ g,   hₜ = o ⊙ tanh(cₜ),   {head}",
        ]
    if name == "GRU":
        return [
            "gates r, z and candidate n from U xₜ + b and W hₜ₋₁ (U, W, b stack the three)",
            f"hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁,   {head}",
        ]
    return [f"hₜ = {name}(U xₜ + W hₜ₋₁ + b),   {head}"]


def loss_name(T: int, loss: str) -> str:
    """L, or L^(T) for the loss at the last step alone."""
    return "L" if loss == "all" else "L" + sup(f"({T})")


def explain(model: Recurrent, view: str, T: int, loss: str) -> list[str]:
    """The caption of the unrolled or the bptt view."""
    lstm = isinstance(model.cell, LSTMCell)
    which = (
        "L: the mean loss over all steps"
        if loss == "all"
        else f"{loss_name(T, loss)}: the loss at the last step alone, so only y{sub(T)} feeds it"
    )
    if view == "unrolled":
        return ["the same U, W, V at every step (shared weights)", which, *formula(model)]
    return [
        f"red: the gradient flowing back from {loss_name(T, loss)}; every number is a norm ‖·‖",
        "shade and width: log₁₀ of the norm, pale = small (the bar)",
        "at hₜ: ‖∂L/∂hₜ‖, the norm of the vector sum of what comes back from yₜ and hₜ₊₁:",
        "    a norm of a sum is not the sum of the norms, ‖a + b‖ ≤ ‖a‖ + ‖b‖",
        *(
            [
                "at cₜ: ‖∂L/∂cₜ‖, from hₜ and from cₜ₊₁ (through f alone: the highway)",
                "hₜ₊₁ → hₜ: what step t+1's gates (feeding hₜ₊₁ and cₜ₊₁) send back through W",
            ]
            * lstm
        ),
        "∂L/∂W|ₜ: the part of ∂L/∂W from W's use at step t; their sum is W.grad",
        which,
    ]
