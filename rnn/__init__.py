"""rnn: the textbook recurrent network on minigrad; BPTT is ``loss.backward()``.

``RNN`` (h_t = g1(U x_t + W h_{t-1} + b), y_t = softmax(V h_t + c)), ``LSTM`` and
``GRU`` live in model.py, their cells in cell.py; bptt.py makes backpropagation
through time visible; reference.py derives it by hand in numpy; data.py holds
the embedded corpora and tasks; diagram/ draws the folded, unrolled and
BPTT pictures; train.py the training loop, history.py its record, checkpoint.py
its checkpoints and resume rules; evaluation.py the validation loss;
demo.py the demo behind ``python -m rnn demo``.
"""

from . import bptt, data
from .diagram import DiagramError, diagram
from .evaluation import evaluate
from .export import from_pytorch, to_pytorch
from .model import GRU, LSTM, RNN, Recurrent, Unrolled, build, sequence_loss
from .train import (
    DataExhaustedWarning,
    DivergedError,
    HeldOut,
    History,
    TrainState,
    load_model,
    save_checkpoint,
    train,
)

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "DataExhaustedWarning",
    "DiagramError",
    "DivergedError",
    "HeldOut",
    "History",
    "Recurrent",
    "Unrolled",
    "bptt",
    "build",
    "data",
    "diagram",
    "evaluate",
    "from_pytorch",
    "load_model",
    "save_checkpoint",
    "sequence_loss",
    "to_pytorch",
    "TrainState",
    "train",
]
