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

Reading checks the whole header before it reads a tensor or builds a model:
every tensor's bytes lie inside the file and hold exactly its shape, no two
tensors overlap, and the model the metadata describes (checked field by field
by ``rnn.checkpoint.check_config``, as ``load_model`` checks a checkpoint) has
exactly the shapes the header declares. So a small file never costs more than
its own size, whatever model it claims to hold. The file is opened once,
non-blocking (a FIFO is refused, never waited on).

Saving follows the checkpoints' rules (minigrad/safe_file.py): the bytes go to
a temporary file in the same directory, fsynced, then renamed over the path, so
a failed export leaves the old file and no partial one (and any valid file name
can be written); the temporary file of an export killed outright is removed by
the next export to the same path. A
symlink is written through to its target. An existing file that ``to_pytorch``
did not write is never replaced unless ``overwrite=True``; anything but a
regular file is refused.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from minigrad import safe_file
from minigrad.io import CheckpointError

from .checkpoint import GATES, check_config
from .model import Recurrent, build

FORMAT = "minigrad-rnn-pytorch"
VERSION = 1
CELLS = {gates: cell for cell, gates in GATES.items()}  # gate blocks -> cell
KEYS = (
    "rnn.weight_ih_l0",
    "rnn.weight_hh_l0",
    "rnn.bias_ih_l0",
    "rnn.bias_hh_l0",
    "head.weight",
    "head.bias",
)
NUMPY_DTYPES = {"F32": "<f4", "F64": "<f8"}  # float32, float64 as safetensors names them
MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit


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
        with safe_file.open_regular(path, "to_pytorch") as f:
            return _read_header(f, path).metadata.get("format") == FORMAT
    except (CheckpointError, OSError):
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
    represent exactly (module doc). The header (metadata, dtypes, shapes) is
    checked in full before any tensor is read or any model built.
    """
    path = Path(path)
    with safe_file.open_regular(path, "from_pytorch", "safetensors file") as f:
        header = _read_header(f, path)
        _check_keys(set(header.tensors), path)
        _check_dtypes({key: header.tensors[key]["dtype"] for key in KEYS}, path)
        shapes = {key: tuple(header.tensors[key]["shape"]) for key in KEYS}
        dtype = np.dtype(NUMPY_DTYPES[header.tensors[KEYS[0]]["dtype"]])
        config = _config(header.metadata, shapes, dtype, nonlinearity, path)
        check_config(config, "from_pytorch", path)
        _check_shapes(shapes, config, path)
        arrays = {key: _read_tensor(f, header, key, path) for key in KEYS}
    if config["class"] == "GRU":
        _check_gru_hidden_bias(arrays["rnn.bias_hh_l0"], config["hidden_size"], path)
    model = build(config)
    for param, key in ((model.U, "rnn.weight_ih_l0"), (model.W, "rnn.weight_hh_l0")):
        np.copyto(param.data, arrays[key])
    np.copyto(model.b.data, _fold_biases(arrays["rnn.bias_ih_l0"], arrays["rnn.bias_hh_l0"]))
    np.copyto(model.V.data, arrays["head.weight"])
    np.copyto(model.c.data, arrays["head.bias"])
    return model


@dataclass
class Header:
    """A safetensors header: the string metadata and, per tensor, dtype, shape, offsets."""

    metadata: dict[str, str]
    tensors: dict[str, dict[str, Any]]
    data_start: int  # where the tensors' bytes begin: after the 8-byte length and the header


def _read_header(f: io.BufferedReader, path: Path) -> Header:
    """The header, checked against the file: every tensor's bytes inside it, none overlapping.

    The format: 8 bytes little-endian n, n bytes of JSON
    ``{"__metadata__": {str: str}, key: {"dtype", "shape", "data_offsets": [begin, end]}}``,
    then the tensors, offsets counted from the end of the header.
    """
    size = os.fstat(f.fileno()).st_size
    length = int.from_bytes(f.read(8), "little")
    if size < 8 or not 2 <= length <= min(size - 8, MAX_HEADER_BYTES):
        raise _unreadable(path, f"a header of {length} bytes in a file of {size}")
    try:
        document = json.loads(f.read(length).decode("utf-8"))
    except RecursionError:
        raise _unreadable(path, "the header is nested too deeply") from None
    except ValueError as err:
        raise _unreadable(path, f"the header is not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise _unreadable(path, "the header is not a JSON object")
    metadata = document.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _unreadable(path, "the header's __metadata__ is not a map of strings")
    header = Header(metadata, document, 8 + length)
    spans = sorted(_span(header, key, size, path) + (key,) for key in document)
    for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
        if begin < end:
            raise _unreadable(path, f"the bytes of tensors {first!r} and {second!r} overlap")
    return header


def _span(header: Header, key: str, size: int, path: Path) -> tuple[int, int]:
    """[begin, end) of a tensor's bytes in the file; they must hold exactly its shape."""
    info = header.tensors[key]
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise _unreadable(path, f"tensor {key!r} has no dtype, shape and data_offsets")
    shape, offsets, dtype = info["shape"], info["data_offsets"], info["dtype"]
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
        raise _unreadable(path, f"tensor {key!r} has the shape {reprlib.repr(shape)}")
    if not (
        isinstance(offsets, list) and len(offsets) == 2 and all(type(n) is int for n in offsets)
    ):
        raise _unreadable(path, f"tensor {key!r} has the data_offsets {reprlib.repr(offsets)}")
    if not isinstance(dtype, str):
        raise _unreadable(path, f"tensor {key!r} has the dtype {reprlib.repr(dtype)}")
    begin, end = (header.data_start + n for n in offsets)
    itemsize = np.dtype(NUMPY_DTYPES[dtype]).itemsize if dtype in NUMPY_DTYPES else None
    if not header.data_start <= begin <= end <= size or (
        itemsize is not None and end - begin != math.prod(shape) * itemsize
    ):
        raise _unreadable(
            path, f"tensor {key!r} of shape {shape} dtype {reprlib.repr(dtype)} is declared at "
            f"bytes {offsets} of the {size - header.data_start} after the header"
        )  # fmt: skip
    return begin, end


def _read_tensor(f: io.BufferedReader, header: Header, key: str, path: Path) -> np.ndarray:
    """One tensor's bytes, little-endian as safetensors stores them (read-only)."""
    info = header.tensors[key]
    dtype = np.dtype(NUMPY_DTYPES[info["dtype"]])
    begin, end = (header.data_start + n for n in info["data_offsets"])
    f.seek(begin)
    data = f.read(end - begin)
    if len(data) != end - begin:
        raise _unreadable(path, f"tensor {key!r} ends early")
    return np.frombuffer(data, dtype).reshape(info["shape"])


def _unreadable(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"from_pytorch: {path} is not a readable safetensors file: {why}")


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
        if got not in NUMPY_DTYPES or got != first:
            raise CheckpointError(
                f"from_pytorch: tensor {key!r} of {path} has dtype {reprlib.repr(got)[1:-1]}; "
                "expected "
                f"{first if first in NUMPY_DTYPES else 'F32 (float32) or F64 (float64)'}, "
                "the same for every tensor"
            )


def _config(
    meta: dict[str, str],
    shapes: dict[str, tuple[int, ...]],
    dtype: np.dtype,
    nonlinearity: str | None,
    path: Path,
) -> dict[str, Any]:
    """The config from our metadata, or from the shapes of a file PyTorch wrote."""
    ours = meta.get("format") == FORMAT
    config = _stored_config(meta, path) if ours else _inferred_config(shapes, dtype, path)
    if config.get("class") != "RNN":
        if nonlinearity is not None:
            raise ValueError(
                f"from_pytorch: {path} holds a {reprlib.repr(config.get('class'))}; "
                "nonlinearity applies to torch.nn.RNN only"
            )
        return config
    stored = config.get("activation")
    if nonlinearity is not None and stored is not None and nonlinearity != stored:
        raise ValueError(
            f"from_pytorch: {path} was exported with nonlinearity {reprlib.repr(stored)}, "
            f"got nonlinearity={nonlinearity!r}"
        )
    if stored is None and nonlinearity is None:
        where = (
            "its metadata's config has no 'activation'"
            if ours
            else "it holds a torch.nn.RNN without minigrad's metadata, and the weights do not "
            "say the nonlinearity"
        )
        raise ValueError(f"from_pytorch: {path}: {where}; pass nonlinearity='tanh' or 'relu'")
    return {**config, "activation": stored or nonlinearity}


def _stored_config(meta: dict[str, str], path: Path) -> dict[str, Any]:
    """config + vocab from the metadata, checked for version and JSON shape."""
    version = meta.get("version", "")
    if not re.fullmatch(r"[0-9]{1,6}", version) or int(version) > VERSION:
        raise CheckpointError(
            f"from_pytorch: {path} has format version {reprlib.repr(version)}; this minigrad "
            f"reads versions 0 to {VERSION}"
        )
    try:
        config = json.loads(meta.get("config", ""))
        vocab = json.loads(meta.get("vocab", "null"))
    except RecursionError:
        raise CheckpointError(f"from_pytorch: metadata of {path} is nested too deeply") from None
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


def _inferred_config(
    shapes: dict[str, tuple[int, ...]], dtype: np.dtype, path: Path
) -> dict[str, Any]:
    """input/hidden/output sizes and the cell from weight_ih (G*H, I), weight_hh (G*H, H)."""
    for key in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"):
        if len(shapes[key]) != 2 or 0 in shapes[key]:
            raise CheckpointError(
                f"from_pytorch: tensor {key!r} of {path} must be a non-empty matrix, "
                f"got shape {shapes[key]}"
            )
    w_hh = shapes["rnn.weight_hh_l0"]
    hidden = w_hh[1]
    kind = CELLS.get(w_hh[0] // hidden) if w_hh[0] % hidden == 0 else None
    if kind is None:
        raise CheckpointError(
            f"from_pytorch: tensor 'rnn.weight_hh_l0' of {path} has shape {w_hh}; "
            f"expected (G*H, H) with G = 1 (RNN), 3 (GRU) or 4 (LSTM)"
        )
    return {
        "class": kind,
        "input_size": shapes["rnn.weight_ih_l0"][1],
        "hidden_size": hidden,
        "output_size": shapes["head.weight"][0],
        "dtype": str(dtype),
        "vocab": None,
    }


def _check_shapes(shapes: dict[str, tuple[int, ...]], config: dict[str, Any], path: Path) -> None:
    """Every tensor has the shape of the parameter it becomes in the model ``config`` describes."""
    n_in, hidden, n_out = (config[k] for k in ("input_size", "hidden_size", "output_size"))
    rows = GATES[config["class"]] * hidden
    expected = ((rows, n_in), (rows, hidden), (rows,), (rows,), (n_out, hidden), (n_out,))
    for key, want in zip(KEYS, expected, strict=True):
        if shapes[key] != want:
            raise CheckpointError(
                f"from_pytorch: tensor {key!r} of {path} has shape {shapes[key]}; the "
                f"{config['class']} (input {n_in}, hidden {hidden}, output {n_out}) needs "
                f"shape {want}"
            )


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
