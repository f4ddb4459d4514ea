"""The way on to PyTorch: a model as a safetensors file that ``torch.nn`` loads as it is.

::

    rnn.to_pytorch(model, "char_gru.safetensors")     # a minigrad RNN, LSTM or GRU
    model = rnn.from_pytorch("char_gru.safetensors")   # and back, exactly

The file holds the weights under PyTorch's names: the keys ``rnn.*`` are the
``state_dict`` of ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` with one layer,
``batch_first=False``, and the keys ``head.*`` that of ``torch.nn.Linear(hidden,
output)``. In PyTorch (``H`` hidden, ``G`` gate blocks: 1 RNN, 4 LSTM, 3 GRU)::

    net = torch.nn.ModuleDict({"rnn": torch.nn.GRU(input_size, H), "head": torch.nn.Linear(H, O)})
    net.double().load_state_dict(safetensors.torch.load_file("char_gru.safetensors"))
    out, h_n = net["rnn"](x)        # x: (T, B, input_size), one-hot rows for token ids
    logits = net["head"](out)       # (T, B, O), minigrad's model(ids)[0]

========================  ==================  =============  ==========================
PyTorch key               shape               minigrad       note
========================  ==================  =============  ==========================
``rnn.weight_ih_l0``      (G*H, input_size)   U              gate blocks in one order
``rnn.weight_hh_l0``      (G*H, H)            W              (LSTM i f g o, GRU r z n)
``rnn.bias_ih_l0``        (G*H,)              b
``rnn.bias_hh_l0``        (G*H,)              zeros          b = bias_ih + bias_hh
``head.weight``           (O, H)              V
``head.bias``             (O,)                c
========================  ==================  =============  ==========================

Both libraries stack the gate blocks in the same order, so U, W and b are
copied unchanged. The rows of U, W, b and of PyTorch's four rnn.* tensors:

=============  ======  ===  =====================================================
rows           LSTM    GRU  GRU bias: minigrad b  <-  PyTorch bias_ih, bias_hh
=============  ======  ===  =====================================================
[0, H)         i       r    b_r = b_ir + b_hr    (export: b_ir = b_r, b_hr = 0)
[H, 2H)        f       z    b_z = b_iz + b_hz    (export: b_iz = b_z, b_hz = 0)
[2H, 3H)       g       n    b_n = b_in, b_hn = 0 (b_hn != 0 is refused)
[3H, 4H)       o
=============  ======  ===  =====================================================

PyTorch has two biases per block where minigrad has one: in the RNN, the LSTM
and the GRU's r and z blocks only their sum enters the step, so the export
writes bias_hh = 0 and the import adds the two. The GRU's candidate is
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``: there b_hn sits inside the
reset gate's product, where minigrad has no bias, so ``from_pytorch`` refuses
a file whose ``rnn.bias_hh_l0[2H:3H]`` is not zero.

Token ids i are one-hot inputs e_i on the PyTorch side
(``torch.nn.functional.one_hot(ids, input_size)`` as floats): U e_i is what
minigrad looks up. The tensors keep the model's dtype (float64 by default;
``.double()`` the PyTorch modules to compute with the same numbers). The
metadata, all strings as safetensors wants, holds ``format``, ``version``,
``config`` (the model's config as JSON, vocabulary aside), ``vocab`` (a JSON
list, or ``null``) and ``torch``, the modules' constructors.

``from_pytorch`` also reads a file saved from PyTorch itself (such a
``state_dict`` through ``safetensors.torch.save_file``): without our metadata
the shapes say which cell it is, and a ``torch.nn.RNN``'s nonlinearity must be
given. More than one layer, a bidirectional or a projected (``proj_size``)
module, missing keys, wrong shapes and dtypes are refused by name.

Saving follows the checkpoints' rules (minigrad/safe_file.py): the bytes go to
a temporary file in the same directory, fsynced, then renamed over the path, so
a failed export leaves the old file and no partial one; the temporary file of
an export killed outright is removed by the next export to the same path. A
symlink is written through to its target. An existing file that ``to_pytorch``
did not write is never replaced unless ``overwrite=True``; anything but a
regular file is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from minigrad import safe_file
from minigrad.io import CheckpointError

from .model import GRU, Recurrent, build

FORMAT = "minigrad-rnn-pytorch"
VERSION = 1
GATES = {1: "RNN", 4: "LSTM", 3: "GRU"}  # gate blocks -> cell
KEYS = (
    "rnn.weight_ih_l0",
    "rnn.weight_hh_l0",
    "rnn.bias_ih_l0",
    "rnn.bias_hh_l0",
    "head.weight",
    "head.bias",
)
DTYPES = ("F32", "F64")  # float32, float64 as the safetensors header names them


# ------------------------------------------------------------------ export
def state_dict(model: Recurrent) -> dict[str, np.ndarray]:
    """The model's arrays under PyTorch's names (copies; bias_hh_l0 all zeros)."""
    if not isinstance(model, Recurrent):
        raise TypeError(f"to_pytorch: expected an rnn.RNN, LSTM or GRU, got {type(model).__name__}")
    arrays = (model.U, model.W, model.b, None, model.V, model.c)
    return {
        key: np.zeros_like(model.b.data) if p is None else np.array(p.data, order="C")
        for key, p in zip(KEYS, arrays, strict=True)
    }


def metadata(model: Recurrent) -> dict[str, str]:
    """The safetensors metadata: format, version, config and vocab (JSON), torch modules."""
    config = model.config()
    vocab = config.pop("vocab")
    kind, hidden = config["class"], config["hidden_size"]
    extra = f", nonlinearity={config['activation']!r}" if kind == "RNN" else ""
    torch = (
        f"torch.nn.{kind}({config['input_size']}, {hidden}{extra}); "
        f"torch.nn.Linear({hidden}, {config['output_size']})"
    )
    return {
        "format": FORMAT,
        "version": str(VERSION),
        "config": json.dumps(config, sort_keys=True),
        "vocab": json.dumps(vocab, ensure_ascii=False),
        "torch": torch,
    }


def to_pytorch(model: Recurrent, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``model`` as a safetensors file under PyTorch's names (see the module doc)."""
    data = safetensors.numpy.save(state_dict(model), metadata=metadata(model))
    target = safe_file.check_target(Path(path), _EXPORTER, overwrite)
    safe_file.write_atomically(target, lambda f: f.write(data))
    return Path(path)


def _written_by_us(path: Path) -> bool:
    try:
        return _read(path, tensors=False)[0].get("format") == FORMAT
    except CheckpointError:
        return False


_EXPORTER = safe_file.Owner(
    "to_pytorch",
    "a file written by to_pytorch",
    _written_by_us,
    FileExistsError,
    "overwrite=True or --force",
)


# ------------------------------------------------------------------ import
def from_pytorch(path: str | os.PathLike[str], *, nonlinearity: str | None = None) -> Recurrent:
    """Read a safetensors file of ``rnn.*`` and ``head.*`` tensors back into a model.

    ``nonlinearity`` ("tanh" or "relu") is needed only for a ``torch.nn.RNN`` file
    without minigrad's metadata. Refuses, naming the tensor, what minigrad cannot
    represent exactly (module doc).
    """
    path = Path(path)
    meta, arrays = _read(path)
    config = _config(meta, arrays, arrays[KEYS[0]].dtype, nonlinearity, path)
    try:
        model = build(config)
    except (ValueError, TypeError, KeyError) as err:
        raise CheckpointError(f"from_pytorch: {path} has an invalid config: {err}") from None
    _check_shapes(arrays, model, path)
    if isinstance(model, GRU):
        _check_gru_hidden_bias(arrays["rnn.bias_hh_l0"], model.cell.hidden_size, path)
    for param, key in ((model.U, "rnn.weight_ih_l0"), (model.W, "rnn.weight_hh_l0")):
        np.copyto(param.data, arrays[key])
    np.copyto(model.b.data, _fold_biases(arrays["rnn.bias_ih_l0"], arrays["rnn.bias_hh_l0"]))
    np.copyto(model.V.data, arrays["head.weight"])
    np.copyto(model.c.data, arrays["head.bias"])
    return model


def _read(path: Path, tensors: bool = True) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Metadata and (``tensors``) the six tensors, read once the header's keys and dtypes fit."""
    if not path.is_file():
        raise FileNotFoundError(f"from_pytorch: no regular file at {path}")
    try:
        with safetensors.safe_open(str(path), framework="numpy") as f:
            meta = dict(f.metadata() or {})
            if not tensors:
                return meta, {}
            _check_keys(set(f.keys()), path)
            _check_dtypes({key: f.get_slice(key).get_dtype() for key in KEYS}, path)
            return meta, {key: f.get_tensor(key) for key in KEYS}
    except (safetensors.SafetensorError, OSError, ValueError) as err:
        if isinstance(err, CheckpointError):
            raise
        raise CheckpointError(
            f"from_pytorch: {path} is not a readable safetensors file: {err}"
        ) from None


def _check_keys(keys: set[str], path: Path) -> None:
    """Exactly the six keys of one-layer, one-direction modules; say why others are refused."""
    for key in sorted(keys - set(KEYS)):
        if key.endswith("_reverse"):
            why = "a bidirectional module (bidirectional=True); minigrad's cells run forwards only"
        elif key.startswith("rnn.") and not key.endswith("_l0"):
            why = "more than one layer (num_layers > 1); minigrad's models have one layer"
        elif key.startswith("rnn.weight_hr"):
            why = "an LSTM with proj_size > 0; minigrad's LSTM has no projection"
        else:
            why = "not a tensor of a one-layer torch.nn.RNN/LSTM/GRU plus a Linear head"
        raise CheckpointError(f"from_pytorch: {path} holds {key!r}: {why}")
    missing = [key for key in KEYS if key not in keys]
    if missing:
        raise CheckpointError(
            f"from_pytorch: {path} has no tensor {missing[0]!r} (missing: {missing}); "
            f"expected the keys {list(KEYS)}"
        )


def _check_dtypes(dtypes: dict[str, str], path: Path) -> None:
    """One float dtype, F32 or F64 (safetensors' names), for all six tensors."""
    first = dtypes[KEYS[0]]
    for key, got in dtypes.items():
        if got not in DTYPES or got != first:
            raise CheckpointError(
                f"from_pytorch: tensor {key!r} of {path} has dtype {got}; expected "
                f"{first if first in DTYPES else 'F32 (float32) or F64 (float64)'}, "
                "the same for every tensor"
            )


def _config(
    meta: dict[str, str],
    arrays: dict[str, np.ndarray],
    dtype: np.dtype,
    nonlinearity: str | None,
    path: Path,
) -> dict[str, Any]:
    """The config from our metadata, or from the shapes of a file PyTorch wrote."""
    if meta.get("format") == FORMAT:
        config = _stored_config(meta, path)
    else:
        config = _inferred_config(arrays, dtype, path)
    if config.get("class") != "RNN":
        if nonlinearity is not None:
            raise ValueError(
                f"from_pytorch: {path} holds a {config.get('class')}; "
                "nonlinearity applies to torch.nn.RNN only"
            )
        return config
    stored = config.get("activation")
    if nonlinearity is not None and stored is not None and nonlinearity != stored:
        raise ValueError(
            f"from_pytorch: {path} was exported with nonlinearity {stored!r}, "
            f"got nonlinearity={nonlinearity!r}"
        )
    if stored is None and nonlinearity is None:
        raise ValueError(
            f"from_pytorch: {path} holds a torch.nn.RNN without minigrad's metadata; its "
            "nonlinearity is not in the weights: pass nonlinearity='tanh' or 'relu'"
        )
    return {**config, "activation": stored or nonlinearity}


def _stored_config(meta: dict[str, str], path: Path) -> dict[str, Any]:
    """config + vocab from the metadata, checked for version and JSON shape."""
    version = meta.get("version", "")
    if not version.isdigit() or int(version) > VERSION:
        raise CheckpointError(
            f"from_pytorch: {path} has format version {version!r}; this minigrad reads "
            f"up to {VERSION}"
        )
    try:
        config = json.loads(meta.get("config", ""))
        vocab = json.loads(meta.get("vocab", "null"))
    except ValueError as err:
        raise CheckpointError(
            f"from_pytorch: metadata of {path} is not valid JSON: {err}"
        ) from None
    if not isinstance(config, dict):
        raise CheckpointError(f"from_pytorch: metadata 'config' of {path} is not a JSON object")
    if vocab is not None and not (
        isinstance(vocab, list) and all(isinstance(t, str) for t in vocab)
    ):
        raise CheckpointError(f"from_pytorch: metadata 'vocab' of {path} is not a list of strings")
    return {**config, "vocab": vocab}


def _inferred_config(arrays: dict[str, np.ndarray], dtype: np.dtype, path: Path) -> dict[str, Any]:
    """input/hidden/output sizes and the cell from weight_ih (G*H, I), weight_hh (G*H, H)."""
    w_ih, w_hh, head = (arrays[k] for k in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"))
    for key in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"):
        if arrays[key].ndim != 2 or 0 in arrays[key].shape:
            raise CheckpointError(
                f"from_pytorch: tensor {key!r} of {path} must be a non-empty matrix, "
                f"got shape {arrays[key].shape}"
            )
    hidden = w_hh.shape[1]
    kind = GATES.get(w_hh.shape[0] // hidden) if w_hh.shape[0] % hidden == 0 else None
    if kind is None:
        raise CheckpointError(
            f"from_pytorch: tensor 'rnn.weight_hh_l0' of {path} has shape {w_hh.shape}; "
            f"expected (G*H, H) with G = 1 (RNN), 3 (GRU) or 4 (LSTM)"
        )
    return {
        "class": kind,
        "input_size": w_ih.shape[1],
        "hidden_size": hidden,
        "output_size": head.shape[0],
        "dtype": str(dtype),
        "vocab": None,
    }


def _check_shapes(arrays: dict[str, np.ndarray], model: Recurrent, path: Path) -> None:
    """Every tensor has the shape (and dtype) of the parameter it becomes."""
    params = (model.U, model.W, model.b, model.b, model.V, model.c)
    for key, param in zip(KEYS, params, strict=True):
        got = arrays[key]
        if got.shape != param.shape or got.dtype != param.dtype:
            raise CheckpointError(
                f"from_pytorch: tensor {key!r} of {path} has shape {got.shape} dtype {got.dtype}; "
                f"the {type(model).__name__} {_sizes(model)} needs shape {param.shape} "
                f"dtype {param.dtype}"
            )


def _sizes(model: Recurrent) -> str:
    cell = model.cell
    return f"(input {cell.input_size}, hidden {cell.hidden_size}, output {model.output_size})"


def _check_gru_hidden_bias(bias_hh: np.ndarray, hidden: int, path: Path) -> None:
    """b_hn is multiplied by the reset gate: minigrad's GRU has no such bias."""
    block = bias_hh[2 * hidden :]
    if np.any(block != 0):
        raise CheckpointError(
            f"from_pytorch: tensor 'rnn.bias_hh_l0' of {path} has a non-zero candidate-gate "
            f"block [{2 * hidden}:{3 * hidden}] (b_hn, max |b_hn| = {np.max(np.abs(block)):.3g}); "
            "PyTorch's GRU computes n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and "
            "minigrad's GRU has no bias inside r * (...), so it cannot hold this model exactly"
        )


def _fold_biases(bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """b = bias_ih + bias_hh; where bias_hh is 0, bias_ih itself (so -0.0 comes back as -0.0)."""
    return np.where(bias_hh == 0, bias_ih, bias_ih + bias_hh)
