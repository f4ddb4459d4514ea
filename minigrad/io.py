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

Saving is atomic (``minigrad.safe_file``): the file is written to a temporary
file in the same directory (``.NAME.minigrad-save-<random>.tmp``, NAME shortened
so that any valid file name can be saved), flushed and fsynced, then renamed over
``path``; an interrupted save leaves the previous file intact. A save killed
outright (SIGKILL, power loss) can leave its temporary file behind; the next
``save`` or ``load`` of the same path removes it. Any number of processes may
save and load one path at once: a temporary file is locked before any other
process can see it, so one still being written is never touched, and a load
reads one complete file, the one it opened.

``save`` refuses to replace anything but a regular file (a directory, device,
FIFO or socket at ``path`` stays as it is), and refuses to replace a regular
file that is not a minigrad checkpoint unless ``overwrite=True``. A symlink is
written through: its target is replaced atomically and the link is kept. An
existing file keeps its permission bits; a new one gets 0o666 minus the umask.

Loading validates everything before it changes anything, and a round trip is
bitwise exact. The file is opened once (a FIFO or device is refused, never
waited on) and its size taken from the open descriptor. Every entry's declared
shape is checked against the bytes the file holds before anything is
allocated, and the entries, each stored uncompressed as ``save`` writes them,
must lie one after another without overlapping, so what is read is bounded by
the size of the file in total; the metadata is at most ``MAX_METADATA_BYTES``.
Whatever is wrong with a file is reported as a ``CheckpointError`` naming the
file and the entry or field.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import struct
import sys
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import safe_file
from .errors import MinigradError
from .nn import Module
from .tensor import Tensor

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 1
METADATA_ENTRY = "__metadata__"
PARAMS_PREFIX = "params/"
EXTRAS_PREFIX = "extras/"
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
MAX_METADATA_BYTES = 64 * 2**20
MAX_ENTRY_NAME_BYTES = 4096  # a zip entry name may be at most 65535 bytes
# what reading a malformed zip can raise (entries that are not stored plainly are
# refused before they are read, so zipfile never meets an unknown compression)
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip entry's local header; ends with the
# lengths of the name and the extra field that come before the data


class CheckpointError(MinigradError, ValueError):
    """A checkpoint that cannot be read, that does not fit the model it is loaded
    into, or a path that a checkpoint must not replace."""


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
    overwrite: bool = False,
) -> Path:
    """Write ``obj``'s arrays, ``metadata`` and ``extras`` atomically to ``path``; returns it.

    ``overwrite=True`` allows replacing a regular file that is not a checkpoint.
    """
    path = Path(path)
    target = safe_file.check_target(path, _SAVER, overwrite)
    entries = {PARAMS_PREFIX + k: v for k, v in _arrays_of(obj, "save").items()}
    for group, arrays in (extras or {}).items():
        if not isinstance(group, str) or not group or "/" in group:
            raise ValueError(f"save: extras group names must be non-empty, without '/': {group!r}")
        _check_name(group, "save")
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
    # no entry is named allow_pickle, the one keyword np.savez takes
    safe_file.write_atomically(target, lambda f: np.savez(f, **entries))  # type: ignore[arg-type]
    return path


def load(
    path: str | os.PathLike[str], into: Module | Mapping[str, Tensor] | None = None
) -> Checkpoint:
    """Read and validate a checkpoint; with ``into``, check it fits and copy it in."""
    path = Path(path)
    with safe_file.open_regular(path, "load", "checkpoint file") as f:  # one file throughout
        safe_file.remove_abandoned_temps(Path(os.path.realpath(path)))
        entries = _read_npz(f, path)
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


def check_save_path(path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Raise now what ``save(..., path, overwrite=overwrite)`` would refuse about ``path``."""
    safe_file.check_target(Path(path), _SAVER, overwrite)


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
        _check_name(name, owner)
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


def _check_name(name: Any, owner: str) -> None:
    """A name that survives as a zip entry name: UTF-8, no NUL, at most 4096 bytes."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{owner}: array names must be non-empty strings, got {name!r}")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"{owner}: array name {name!r} is not valid UTF-8 text") from None
    if "\x00" in name or size > MAX_ENTRY_NAME_BYTES:
        raise ValueError(
            f"{owner}: array name {name[:40]!r} ({size} bytes) must hold no NUL character "
            f"and be at most {MAX_ENTRY_NAME_BYTES} bytes of UTF-8"
        )


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
    except RecursionError:
        raise ValueError(
            "save: metadata is nested too deeply to write as JSON (past Python's recursion "
            f"limit of {sys.getrecursionlimit()}); flatten it"
        ) from None
    return out


def _is_checkpoint(path: Path) -> bool:
    """True if ``path`` reads as a zip whose metadata entry names the minigrad format."""
    try:
        with safe_file.open_regular(path, "save") as f, zipfile.ZipFile(f) as zf:
            info = zf.getinfo(METADATA_ENTRY + ".npy")
            _entry_name(info, path)
            _check_spans(f, [info], os.fstat(f.fileno()).st_size, path)
            _read_document(_read_entry(zf, info, METADATA_ENTRY, path), path)
    except (CheckpointError, KeyError, *_READ_ERRORS):
        return False
    return True


# save replaces, without overwrite=True, only what _is_checkpoint recognises
_SAVER = safe_file.Owner("save", "a minigrad checkpoint", _is_checkpoint, CheckpointError)


# ----------------------------------------------------------------- loading
def _read_npz(f: BinaryIO, path: Path) -> dict[str, np.ndarray]:
    """Every entry of the open .npz ``f``, all checked against the file before any is read."""
    if f.read(6) == b"\x93NUMPY":
        raise CheckpointError(f"load: {path} holds a single .npy array, not an .npz checkpoint")
    f.seek(0)
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            names = [_entry_name(info, path) for info in infos]
            _check_spans(f, infos, os.fstat(f.fileno()).st_size, path)
            for info, name in zip(infos, names, strict=True):
                if name in out:
                    raise CheckpointError(f"load: {path} holds the entry {name!r} twice")
                out[name] = _read_entry(zf, info, name, path)
    except CheckpointError:
        raise
    except _READ_ERRORS as err:
        raise CheckpointError(f"load: {path} is not a readable .npz checkpoint: {err}") from None
    return out


def _entry_name(info: zipfile.ZipInfo, path: Path) -> str:
    """The array name of a zip entry ``NAME.npy``, stored uncompressed."""
    if not info.filename.endswith(".npy"):
        raise CheckpointError(f"load: {path} has an unexpected entry {info.filename!r}")
    name = info.filename.removesuffix(".npy")
    if info.flag_bits & 0x1:
        raise CheckpointError(f"load: entry {name!r} of {path} is encrypted")
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        raise CheckpointError(
            f"load: entry {name!r} of {path} is compressed; checkpoints store arrays "
            "uncompressed (as save writes them)"
        )
    return name


def _check_spans(f: BinaryIO, infos: list[zipfile.ZipInfo], file_size: int, path: Path) -> None:
    """Each entry (local header + data) lies inside the file and no two overlap.

    So the entries together hold at most ``file_size`` bytes: nested entries,
    one inside another's data, cannot make a small file read as a large one.
    """
    spans = sorted((_span(f, info, file_size, path), info.filename) for info in infos)
    for ((_, end), first), ((start, _), second) in itertools.pairwise(spans):
        if start < end:
            raise CheckpointError(
                f"load: entries {first!r} and {second!r} of {path} overlap in the file "
                f"(bytes {start} to {end}); a checkpoint's entries are stored one after another"
            )


def _span(f: BinaryIO, info: zipfile.ZipInfo, file_size: int, path: Path) -> tuple[int, int]:
    """[start, end) of an entry's local header and data, from its header in the file."""
    f.seek(info.header_offset)
    header = f.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise CheckpointError(f"load: entry {info.filename!r} of {path} has no local header")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + info.file_size
    if end > file_size:
        raise CheckpointError(
            f"load: entry {info.filename!r} of {path} declares {info.file_size} bytes, more "
            f"than the file holds ({file_size} bytes)"
        )
    return info.header_offset, end


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, path: Path) -> np.ndarray:
    """One .npy entry: header checked, size checked against the bytes present, then read."""
    if name == METADATA_ENTRY and info.file_size > MAX_METADATA_BYTES:
        raise CheckpointError(
            f"load: the metadata of {path} is {info.file_size} bytes, over the limit of "
            f"{MAX_METADATA_BYTES} bytes"
        )
    with zf.open(info) as f:
        shape, fortran_order, dtype = _read_header(f, name, path)
        count = math.prod(shape)
        present = info.file_size - f.tell()
        if count * dtype.itemsize != present:
            raise CheckpointError(
                f"load: entry {name!r} of {path} declares shape {shape} dtype {dtype} "
                f"({count * dtype.itemsize} bytes) but holds {present} bytes"
            )
        flat = np.empty(count, dtype)
        raw = flat.view(np.uint8)
        done = 0
        while done < present:
            chunk = f.read(min(present - done, 2**24))
            if not chunk:
                raise EOFError(f"entry {name!r} ends early")
            raw[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
            done += len(chunk)
    return flat.reshape(shape, order="F" if fortran_order else "C")


def _read_header(f: Any, name: str, path: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, order and dtype an .npy header declares; only numeric dtypes."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise CheckpointError(f"load: entry {name!r} of {path} has .npy format {version}")
    if dtype.hasobject:
        raise CheckpointError(
            f"load: entry {name!r} of {path} has dtype {dtype}, which cannot be read without "
            "unpickling (refused)"
        )
    if dtype.kind not in NUMERIC_KINDS:
        raise CheckpointError(f"load: entry {name!r} of {path} has dtype {dtype}")
    if any(n < 0 for n in shape):
        raise CheckpointError(f"load: entry {name!r} of {path} declares a negative shape {shape}")
    return shape, fortran_order, dtype


def _read_metadata(entry: np.ndarray | None, path: Path) -> dict[str, Any]:
    """Decode and check the JSON document: format name, version, metadata dict."""
    if entry is None:
        raise CheckpointError(f"load: {path} has no {METADATA_ENTRY!r} entry (not written by save)")
    document = _read_document(entry, path)
    version = document.get("version")
    if type(version) is not int or version < 1:
        raise CheckpointError(f"load: {path} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"load: {path} has format version {version}, newer than this minigrad reads "
            f"(up to {FORMAT_VERSION}); upgrade minigrad"
        )
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise CheckpointError(f"load: metadata of {path} is not a JSON object")
    for key, kind in (("class", str), ("config", dict)):
        if key in metadata and not isinstance(metadata[key], kind):
            raise CheckpointError(
                f"load: metadata field {key!r} of {path} must be a {kind.__name__}, "
                f"got {type(metadata[key]).__name__}"
            )
    return metadata


def _read_document(entry: np.ndarray, path: Path) -> dict[str, Any]:
    """The JSON document of the metadata entry; NaN and infinities refused, as save does."""
    try:
        if entry.dtype != np.uint8 or entry.ndim != 1:
            raise ValueError(f"expected 1-D uint8 bytes, got {entry.dtype} {entry.shape}")
        document = json.loads(entry.tobytes().decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        raise CheckpointError(f"load: metadata of {path} is not valid JSON: {err}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise CheckpointError(f"load: {path} is not a {FORMAT_NAME} file")
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number save() writes")


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
