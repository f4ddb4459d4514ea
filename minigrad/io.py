"""Checkpoints: save and load parameters as one ``.npz`` file with JSON metadata.

::

    save(model, "ckpt.npz", metadata={"step": 1200, "vocab": vocab.to_list()},
         extras={"optimizer": opt.state_dict()})
    ckpt = load("ckpt.npz", into=model)      # checks, then copies into the parameters
    opt.load_state_dict(ckpt.extras["optimizer"])
    step = ckpt.metadata["step"]

What is saved:

- ``obj`` is a ``minigrad.nn.Module`` (its ``named_parameters()``) or a mapping
  name -> Tensor/ndarray. For a module, the metadata gets ``"class"`` (the
  qualified class name) and, if the module has a ``config()`` method returning
  its constructor arguments as a JSON-able dict, ``"config"``.
- ``metadata``: any JSON-able dict (tuples come back as lists).
- ``extras``: named groups of extra arrays, e.g. an optimizer's state, each a
  mapping key -> array; they come back as ``ckpt.extras[group][key]``.

The file layout (format version 1), readable with plain numpy: entries
``params/<name>`` for the main arrays, ``extras/<group>/<key>`` for the extras
and ``__metadata__``, a uint8 array holding the UTF-8 JSON document
``{"format": "minigrad-checkpoint", "version": 1, "metadata": {...}}``.
Only numeric arrays (bool, integer, float) are stored, so the file never
contains pickled data, and it is read with ``allow_pickle=False``.

Saving is atomic: the file is written to a temporary file in the same
directory, flushed and fsynced, then renamed over ``path``; an interrupted save
leaves the previous file intact and no partial file behind. Loading validates
everything before it changes anything, and a round trip is bitwise exact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MinigradError
from .nn import Module
from .tensor import Tensor

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 1
METADATA_ENTRY = "__metadata__"
PARAMS_PREFIX = "params/"
EXTRAS_PREFIX = "extras/"
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


class CheckpointError(MinigradError, ValueError):
    """A checkpoint that cannot be read, or does not fit the model it is loaded into."""


@dataclass
class Checkpoint:
    """What ``load`` read: the main arrays, the metadata and the extra array groups."""

    arrays: dict[str, np.ndarray]
    metadata: dict[str, Any]
    extras: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def save(
    obj: Module | Mapping[str, Tensor | np.ndarray],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    extras: Mapping[str, Mapping[str, Tensor | np.ndarray]] | None = None,
) -> Path:
    """Write ``obj``'s arrays, ``metadata`` and ``extras`` atomically to ``path``; returns it."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: directory {path.parent} does not exist")
    entries = {PARAMS_PREFIX + k: v for k, v in _arrays_of(obj, "save").items()}
    for group, arrays in (extras or {}).items():
        if not isinstance(group, str) or not group or "/" in group:
            raise ValueError(f"save: extras group names must be non-empty, without '/': {group!r}")
        entries.update(
            {f"{EXTRAS_PREFIX}{group}/{k}": v for k, v in _arrays_of(arrays, group).items()}
        )
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "metadata": _metadata(obj, metadata),
    }
    text = json.dumps(document, allow_nan=False, sort_keys=True)
    entries[METADATA_ENTRY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    _write_atomic(path, entries)
    return path


def load(
    path: str | os.PathLike[str], into: Module | Mapping[str, Tensor] | None = None
) -> Checkpoint:
    """Read and validate a checkpoint; with ``into``, check it fits and copy it in."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load: no checkpoint file at {path}")
    entries = _read_npz(path)
    metadata = _read_metadata(entries.pop(METADATA_ENTRY, None), path)
    checkpoint = Checkpoint({}, metadata)
    for name, array in entries.items():
        if name.startswith(PARAMS_PREFIX):
            checkpoint.arrays[name.removeprefix(PARAMS_PREFIX)] = array
        elif name.startswith(EXTRAS_PREFIX) and "/" in name.removeprefix(EXTRAS_PREFIX):
            group, key = name.removeprefix(EXTRAS_PREFIX).split("/", 1)
            checkpoint.extras.setdefault(group, {})[key] = array
        else:
            raise CheckpointError(f"load: {path} has an unexpected entry {name!r}")
    if into is not None:
        _copy_into(checkpoint, into, path)
    return checkpoint


def qualified_name(obj: object) -> str:
    """``module.QualName`` of ``obj``'s class, as stored in ``metadata["class"]``."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


# ------------------------------------------------------------------ saving
def _arrays_of(obj: Any, owner: str) -> dict[str, np.ndarray]:
    """name -> array of a Module's parameters or of a mapping; numeric arrays only."""
    if isinstance(obj, Module):
        items = [(name, p.data) for name, p in obj.named_parameters()]
    elif isinstance(obj, Mapping):
        items = list(obj.items())
    else:
        raise TypeError(
            f"{owner}: expected a Module or a mapping name -> array, got {type(obj).__name__}"
        )
    out = {}
    for name, value in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{owner}: array names must be non-empty strings, got {name!r}")
        array = value.data if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray | np.generic):
            raise TypeError(f"{owner}: {name!r} is a {type(value).__name__}, not a Tensor or array")
        array = np.asarray(array)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError(
                f"{owner}: {name!r} has dtype {array.dtype}; only numeric arrays are saved"
            )
        out[name] = array
    return out


def _metadata(obj: Any, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's metadata plus, for a module, its class and config; JSON-checked."""
    out = dict(metadata or {})
    if isinstance(obj, Module):
        auto: dict[str, Any] = {"class": qualified_name(obj)}
        if callable(getattr(obj, "config", None)):
            auto["config"] = obj.config()  # type: ignore[attr-defined]
            if not isinstance(auto["config"], dict):
                raise TypeError(f"save: {auto['class']}.config() must return a dict")
        clash = sorted(auto.keys() & out.keys())
        if clash:
            raise ValueError(f"save: metadata keys {clash} are set from the module itself")
        out.update(auto)
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"save: metadata must be JSON-serialisable: {err}") from None
    return out


def _write_atomic(path: Path, entries: dict[str, np.ndarray]) -> None:
    """Temp file in the same directory, flush + fsync, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **entries)  # type: ignore[arg-type]  # no entry is named allow_pickle
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); directories cannot be opened on Windows."""
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ----------------------------------------------------------------- loading
def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every entry of the .npz, read eagerly with pickles refused."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except _READ_ERRORS as err:
        raise CheckpointError(f"load: {path} is not a readable .npz checkpoint: {err}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise CheckpointError(f"load: {path} holds a single .npy array, not an .npz checkpoint")
    out = {}
    with loaded:
        for name in loaded.files:
            try:
                array = loaded[name]
            except _READ_ERRORS as err:
                raise CheckpointError(
                    f"load: entry {name!r} of {path} cannot be read without unpickling "
                    f"or is corrupt (refused): {err}"
                ) from None
            if array.dtype.kind not in NUMERIC_KINDS:
                raise CheckpointError(f"load: entry {name!r} of {path} has dtype {array.dtype}")
            out[name] = array
    return out


def _read_metadata(entry: np.ndarray | None, path: Path) -> dict[str, Any]:
    """Decode and check the JSON document: format name, version, metadata dict."""
    if entry is None:
        raise CheckpointError(f"load: {path} has no {METADATA_ENTRY!r} entry (not written by save)")
    try:
        if entry.dtype != np.uint8 or entry.ndim != 1:
            raise ValueError(f"expected 1-D uint8 bytes, got {entry.dtype} {entry.shape}")
        document = json.loads(entry.tobytes().decode("utf-8"))
    except ValueError as err:
        raise CheckpointError(f"load: metadata of {path} is not valid JSON: {err}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise CheckpointError(f"load: {path} is not a {FORMAT_NAME} file")
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"load: {path} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"load: {path} has format version {version}, newer than this minigrad reads "
            f"(up to {FORMAT_VERSION}); upgrade minigrad"
        )
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise CheckpointError(f"load: metadata of {path} is not a JSON object")
    return metadata


def _copy_into(checkpoint: Checkpoint, into: Module | Mapping[str, Tensor], path: Path) -> None:
    """Check class, config, names, shapes and dtypes; only then copy in place."""
    targets: dict[str, Tensor]
    if isinstance(into, Module):
        _check_architecture(checkpoint.metadata, into, path)
        targets = dict(into.named_parameters())
    else:
        targets = dict(into)
    missing = sorted(targets.keys() - checkpoint.arrays.keys())
    extra = sorted(checkpoint.arrays.keys() - targets.keys())
    if missing or extra:
        raise CheckpointError(
            f"load: {path} does not match the parameters: missing {missing}, unexpected {extra}"
        )
    for name, target in targets.items():
        if not isinstance(target, Tensor):
            raise TypeError(f"load: into[{name!r}] is a {type(target).__name__}, not a Tensor")
        array = checkpoint.arrays[name]
        if array.shape != target.shape or array.dtype != target.dtype:
            raise CheckpointError(
                f"load: parameter {name!r} expected shape {target.shape} dtype {target.dtype}, "
                f"got shape {array.shape} dtype {array.dtype} in {path}"
            )
    for name, target in targets.items():
        np.copyto(target.data, checkpoint.arrays[name])


def _check_architecture(metadata: dict[str, Any], module: Module, path: Path) -> None:
    """Same class and, when the module has ``config()``, same config."""
    want = qualified_name(module)
    got = metadata.get("class")
    if got is None:  # saved from a plain mapping: names, shapes and dtypes decide
        return
    if got != want:
        raise CheckpointError(f"load: {path} holds a {got}, cannot load it into a {want}")
    if callable(getattr(module, "config", None)):
        config = json.loads(json.dumps(module.config()))  # type: ignore[attr-defined]
        stored = metadata.get("config")
        if stored != config:
            diff = _config_diff(stored if isinstance(stored, dict) else {}, config)
            raise CheckpointError(
                f"load: {path} was saved from a {want} with another configuration: {diff}"
            )


def _config_diff(stored: dict[str, Any], current: dict[str, Any]) -> str:
    keys = sorted(k for k in stored.keys() | current.keys() if stored.get(k) != current.get(k))
    return "; ".join(f"{k}: checkpoint {stored.get(k)!r}, model {current.get(k)!r}" for k in keys)
