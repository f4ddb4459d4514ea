"""rnn: the textbook recurrent network on minigrad; BPTT is ``loss.backward()``.

``RNN`` (h_t = g1(U x_t + W h_{t-1} + b), y_t = softmax(V h_t + c)), ``LSTM`` and
``GRU`` live in model.py, their cells in cell.py; bptt.py makes backpropagation
through time visible; reference.py derives it by hand in numpy.
"""

from . import bptt
from .model import GRU, LSTM, RNN, Recurrent, Unrolled, build, sequence_loss

__all__ = ["GRU", "LSTM", "RNN", "Recurrent", "Unrolled", "bptt", "build", "sequence_loss"]
