"""Checkpoints: exact round trips, atomic writes, and every kind of bad file refused."""

import fcntl
import gc
import io as std_io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.io import CheckpointError, load, qualified_name, save


class Net(nn.Module):
    def __init__(self, hidden: int = 3, dtype: Any = np.float64, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.hidden = hidden
        self.layer = nn.Linear(2, hidden, rng=rng, dtype=dtype)
        self.scale = nn.Parameter(rng.standard_normal(hidden).astype(dtype))

    def config(self) -> dict[str, Any]:
        return {"hidden": self.hidden, "sizes": (2, self.hidden)}


class Plain(nn.Module):
    """No config(): only the class, names, shapes and dtypes are checked."""

    def __init__(self, n: int, dtype: Any = np.float64) -> None:
        self.w = nn.Parameter(np.arange(n, dtype=dtype))


def params_bytes(module: nn.Module) -> dict[str, bytes]:
    return {k: p.data.tobytes() for k, p in module.named_parameters()}


def write_npz(path: Path, entries: dict[str, np.ndarray], allow_pickle: bool = False) -> None:
    """An .npz built entry by entry, so a test can put anything inside."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, array in entries.items():
            buffer = std_io.BytesIO()
            np.save(buffer, array, allow_pickle=allow_pickle)
            zf.writestr(name + ".npy", buffer.getvalue())


def metadata_entry(document: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)


VALID_DOC = {"format": "minigrad-checkpoint", "version": 1, "metadata": {}}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bitwise_exact(tmp_path: Path, dtype: Any) -> None:
    net = Net(dtype=dtype)
    net.scale.data[:] = np.array([-0.0, np.nan, np.finfo(dtype).smallest_subnormal], dtype=dtype)
    path = save(net, tmp_path / "net.npz", metadata={"step": 7, "vocab": ["a", "b"]})
    other = Net(dtype=dtype, seed=1)
    arrays_before = [p.data for p in other.parameters()]
    ckpt = load(path, into=other)
    assert params_bytes(other) == params_bytes(net)
    assert [p.data for p in other.parameters()] == arrays_before  # copied in place
    assert all(p.data.dtype == dtype for p in other.parameters())
    assert ckpt.metadata == {
        "step": 7,
        "vocab": ["a", "b"],
        "class": qualified_name(net),
        "config": {"hidden": 3, "sizes": [2, 3]},
    }
    assert ckpt.metadata["class"].endswith("Net")
    assert sorted(ckpt.arrays) == ["layer.bias", "layer.weight", "scale"]
    assert {k: v.tobytes() for k, v in ckpt.arrays.items()} == params_bytes(net)


def test_mapping_round_trip_and_plain_numpy_layout(tmp_path: Path) -> None:
    arrays = {"a": mg.Tensor([1.5, 2.5]), "b/c": np.arange(6, dtype=np.int32).reshape(2, 3)}
    save(arrays, tmp_path / "m.npz")
    ckpt = load(tmp_path / "m.npz")
    assert ckpt.metadata == {} and ckpt.extras == {}
    assert ckpt.arrays["a"].tolist() == [1.5, 2.5]
    assert ckpt.arrays["b/c"].dtype == np.int32 and ckpt.arrays["b/c"].shape == (2, 3)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["__metadata__", "params/a", "params/b/c"]
        assert json.loads(f["__metadata__"].tobytes())["version"] == 1


def test_optimizer_state_in_extras_resumes_exactly(tmp_path: Path) -> None:
    net = Net()
    opt = optim.Adam(net.parameters(), lr=0.05)
    x = mg.Tensor(np.random.default_rng(3).standard_normal((5, 2)))

    def train(model: Net, o: optim.Optimizer, steps: int) -> None:
        for _ in range(steps):
            o.zero_grad()
            ((model.layer(x).tanh() * model.scale) ** 2).sum().backward()
            o.step()

    train(net, opt, 3)
    save(net, tmp_path / "c.npz", metadata={"step": 3}, extras={"optimizer": opt.state_dict()})
    resumed = Net(seed=5)
    resumed_opt = optim.Adam(resumed.parameters(), lr=0.05)
    ckpt = load(tmp_path / "c.npz", into=resumed)
    resumed_opt.load_state_dict(ckpt.extras["optimizer"])
    train(net, opt, 4)
    train(resumed, resumed_opt, 4)
    assert params_bytes(resumed) == params_bytes(net)


def test_load_into_mapping_of_tensors(tmp_path: Path) -> None:
    save({"w": np.ones(3)}, tmp_path / "w.npz")
    target = {"w": mg.Tensor(np.zeros(3))}
    load(tmp_path / "w.npz", into=target)
    assert target["w"].data.tolist() == [1.0, 1.0, 1.0]


# --------------------------------------------------------------- atomicity
def test_interrupted_write_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = save(Net(), tmp_path / "net.npz")
    before = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def fail_on_second(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        save(Net(seed=9), path)
    assert len(calls) == 2  # the failure hit in the middle of the write
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.npz"]


def test_interrupt_before_rename_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(Net(), tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_saved_file_has_normal_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = save(Net(), tmp_path / "p.npz")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


# ----------------------------------------------------------- refused files
def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        load(tmp_path / "nope.npz")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00garbage bytes that are no checkpoint" * 10, "not a readable .npz checkpoint"),
        (b"", "not a readable .npz checkpoint"),
        (b"PK\x03\x04 truncated zip", "not a readable .npz checkpoint"),
    ],
)
def test_garbage_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.npz").write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load(tmp_path / "bad.npz")


def test_truncated_checkpoint_is_refused(tmp_path: Path) -> None:
    data = save(Net(), tmp_path / "net.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load(tmp_path / "cut.npz")


def test_single_npy_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(CheckpointError, match=r"single \.npy array, not an \.npz"):
        load(tmp_path / "a.npy")


class _RunsCode:
    """Unpickling this would run ``os.mkdir(marker)``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.mkdir, (str(self.marker),))


def test_pickle_inside_npz_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = np.array([_RunsCode(marker)], dtype=object)
    entries = {"params/w": payload, "__metadata__": metadata_entry(VALID_DOC)}
    write_npz(tmp_path / "evil.npz", entries, allow_pickle=True)
    with pytest.raises(CheckpointError, match=r"entry 'params/w'.*unpickling"):
        load(tmp_path / "evil.npz")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"params/w": np.zeros(2)}, "no '__metadata__' entry"),
        ({"__metadata__": np.frombuffer(b"{not json", np.uint8)}, "not valid JSON"),
        ({"__metadata__": np.zeros(3)}, "expected 1-D uint8"),
        ({"__metadata__": metadata_entry({**VALID_DOC, "format": "x"})}, "not a minigrad-ch"),
        ({"__metadata__": metadata_entry({**VALID_DOC, "version": 2})}, "format version 2, newer"),
        ({"__metadata__": metadata_entry({**VALID_DOC, "version": "1"})}, "invalid format vers"),
        ({"__metadata__": metadata_entry({**VALID_DOC, "metadata": [1]})}, "not a JSON object"),
        (
            {"__metadata__": metadata_entry(VALID_DOC), "weights": np.zeros(2)},
            "unexpected entry 'weights'",
        ),
        (
            {"__metadata__": metadata_entry(VALID_DOC), "params/s": np.array(["a"])},
            "entry 'params/s'.* has dtype <U1",
        ),
    ],
)
def test_bad_content_is_refused(tmp_path: Path, entries: dict, message: str) -> None:
    write_npz(tmp_path / "bad.npz", entries)
    with pytest.raises(CheckpointError, match=message):
        load(tmp_path / "bad.npz")


def test_missing_and_extra_arrays_are_named(tmp_path: Path) -> None:
    save({"a": np.zeros(2), "b": np.zeros(2)}, tmp_path / "ab.npz")
    with pytest.raises(CheckpointError, match=r"missing \['c'\], unexpected \['b'\]"):
        load(tmp_path / "ab.npz", into={"a": mg.Tensor(np.zeros(2)), "c": mg.Tensor(np.zeros(2))})


def test_another_class_is_refused(tmp_path: Path) -> None:
    save(Plain(3), tmp_path / "p.npz")
    with pytest.raises(CheckpointError, match=r"holds a .*Plain, cannot load it into a .*Net"):
        load(tmp_path / "p.npz", into=Net())


def test_another_config_is_refused(tmp_path: Path) -> None:
    save(Net(hidden=3), tmp_path / "n.npz")
    message = r"another configuration: hidden: checkpoint 3, model 4; sizes: checkpoint \[2, 3\]"
    with pytest.raises(CheckpointError, match=message):
        load(tmp_path / "n.npz", into=Net(hidden=4))


def test_shape_and_dtype_mismatch_name_the_parameter(tmp_path: Path) -> None:
    save(Plain(3), tmp_path / "p.npz")
    with pytest.raises(CheckpointError, match=r"'w' expected shape \(4,\) .*got shape \(3,\)"):
        load(tmp_path / "p.npz", into=Plain(4))
    with pytest.raises(CheckpointError, match=r"'w' expected .*dtype float32, got .*float64"):
        load(tmp_path / "p.npz", into=Plain(3, dtype=np.float32))


def test_a_refused_load_changes_nothing(tmp_path: Path) -> None:
    save({"a": np.ones(2), "b": np.ones(2)}, tmp_path / "ab.npz")
    target = {"a": mg.Tensor(np.zeros(2)), "b": mg.Tensor(np.zeros(2, dtype=np.float32))}
    with pytest.raises(CheckpointError, match="'b'"):
        load(tmp_path / "ab.npz", into=target)
    assert target["a"].data.tolist() == [0.0, 0.0]


# ------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"metadata": {"x": object()}}, TypeError, "JSON-serialisable"),
        ({"metadata": {"x": float("nan")}}, TypeError, "JSON-serialisable"),
        ({"metadata": {"class": "Other"}}, ValueError, r"\['class'\] are set from the module"),
        ({"extras": {"a/b": {"x": np.zeros(1)}}}, ValueError, "without '/'"),
        ({"extras": {"opt": {"x": [1.0]}}}, TypeError, "'x' is a list, not a Tensor"),
    ],
)
def test_bad_save_arguments(tmp_path: Path, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        save(Net(), tmp_path / "x.npz", **kwargs)
    assert os.listdir(tmp_path) == []


def test_bad_save_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="expected a Module or a mapping"):
        save([np.zeros(2)], tmp_path / "x.npz")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"'o' has dtype object"):
        save({"o": np.array([None])}, tmp_path / "x.npz")
    with pytest.raises(ValueError, match="non-empty strings"):
        save({"": np.zeros(1)}, tmp_path / "x.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({"a": np.zeros(1)}, tmp_path / "missing" / "x.npz")


# ------------------------------------------------- what save may replace
def test_save_refuses_a_fifo_and_a_device(tmp_path: Path) -> None:
    fifo, device = tmp_path / "fifo", tmp_path / "null"
    os.mkfifo(fifo)
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # our own /dev/null twin
    with pytest.raises(CheckpointError, match="is a FIFO, not a regular file"):
        save(Net(), fifo)
    with pytest.raises(CheckpointError, match="is a character device, not a regular file"):
        save(Net(), device)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and stat.S_ISCHR(os.lstat(device).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["fifo", "null"]


def test_save_refuses_a_directory(tmp_path: Path) -> None:
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(CheckpointError, match="is a directory"):
        save(Net(), tmp_path / "d.npz")


def test_save_replaces_a_non_checkpoint_only_with_overwrite(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint.*overwrite=True"):
        save(Net(), notes)
    assert notes.read_text() == "my notes"
    save(Net(), notes, overwrite=True)
    assert params_bytes(Net()) == {k: v.tobytes() for k, v in load(notes).arrays.items()}


def test_save_replaces_an_earlier_checkpoint_without_overwrite(tmp_path: Path) -> None:
    path = save(Net(seed=1), tmp_path / "n.npz")
    save(Net(seed=2), path)
    assert {k: v.tobytes() for k, v in load(path).arrays.items()} == params_bytes(Net(seed=2))


def test_save_writes_through_a_symlink(tmp_path: Path) -> None:
    real = save(Net(seed=1), tmp_path / "real.npz")
    link = tmp_path / "link.npz"
    link.symlink_to("real.npz")
    save(Net(seed=2), link)
    assert link.is_symlink()
    assert {k: v.tobytes() for k, v in load(real).arrays.items()} == params_bytes(Net(seed=2))
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


def test_save_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    path = save(Net(), tmp_path / "private.npz")
    os.chmod(path, 0o600)
    save(Net(seed=3), path)
    assert path.stat().st_mode & 0o777 == 0o600


# ---------------------------------------------- a save killed mid-write
_SAVE_FOREVER = """
import sys
import numpy as np
from minigrad.io import save
weights = {"w": np.full(2**22, 2.0)}  # 32 MiB: the write takes a while
while True:
    save(weights, sys.argv[1])
"""


def _temps(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_a_killed_save_keeps_the_old_file_and_the_next_save_cleans_up(tmp_path: Path) -> None:
    path = save({"w": np.arange(5.0)}, tmp_path / "ckpt.npz")
    before = path.read_bytes()
    caught = False
    for _ in range(5):  # a handful of tries to kill the writer while a temp file exists
        writer = subprocess.Popen([sys.executable, "-c", _SAVE_FOREVER, str(path)])
        deadline = time.monotonic() + 60
        while not _temps(tmp_path) and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        if _temps(tmp_path) and path.read_bytes() == before:
            caught = True
            break
        path.write_bytes(before)  # the writer finished a save first: start over
    assert caught, "never killed the writer in the middle of a save"
    assert load(path).arrays["w"].tobytes() == np.arange(5.0).tobytes()
    save({"w": np.arange(3.0)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_a_temp_file_being_written_is_left_alone(tmp_path: Path) -> None:
    path = save({"w": np.zeros(2)}, tmp_path / "c.npz")
    busy = tmp_path / ".c.npz.minigrad-save-busy.tmp"
    with open(busy, "wb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # as a save in progress holds it
        save({"w": np.ones(2)}, path)
        assert busy.exists()
    load(path)
    assert not busy.exists()


# ------------------------------------------------------- hostile files
def _npy_header(shape: tuple[int, ...]) -> bytes:
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (117 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()


def test_a_tiny_file_claiming_terabytes_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.npz"
    write_npz(path, {"__metadata__": metadata_entry(VALID_DOC)})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("params/w.npy", _npy_header((2**40,)) + bytes(16))
    assert path.stat().st_size < 1000
    with pytest.raises(CheckpointError, match=r"'params/w'.*declares shape \(1099511627776,\)"):
        load(path)


def test_a_compressed_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        buffer = std_io.BytesIO()
        np.save(buffer, np.zeros(2**20))
        zf.writestr("params/w.npy", buffer.getvalue())
    assert path.stat().st_size < 2**16
    with pytest.raises(CheckpointError, match="'params/w' of .* is compressed"):
        load(path)


def test_random_bytes_get_no_pickle_hint(tmp_path: Path) -> None:
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(CheckpointError, match="not a readable .npz") as err:
        load(path)
    assert "pickle" not in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"format": "minigrad-checkpoint", "version": 1, "metadata": {"x": NaN}}', "NaN"),
        (b'{"format": "minigrad-checkpoint", "version": true, "metadata": {}}', "version True"),
        (b'{"format": "minigrad-checkpoint", "version": 1, "metadata": ' + b"[" * 10**5, "JSON"),
        (b'{"format": "minigrad-checkpoint", "version": 1, "metadata": {"class": 3}}', "'class'"),
    ],
)
def test_hostile_metadata_is_refused(tmp_path: Path, text: bytes, message: str) -> None:
    write_npz(tmp_path / "m.npz", {"__metadata__": np.frombuffer(text, np.uint8)})
    with pytest.raises(CheckpointError, match=message):
        load(tmp_path / "m.npz")


def test_oversized_metadata_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(mg.io, "MAX_METADATA_BYTES", 1000)
    save({"w": np.zeros(1)}, tmp_path / "m.npz", metadata={"notes": "x" * 2000})
    with pytest.raises(CheckpointError, match="metadata of .* over the limit of 1000 bytes"):
        load(tmp_path / "m.npz")


@pytest.mark.parametrize("name", ["a\x00b", "x" * 70_000, "\udc80"])
def test_array_names_a_zip_cannot_hold_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="array name"):
        save({name: np.zeros(1)}, tmp_path / "n.npz")
    assert os.listdir(tmp_path) == []


def _patch_central_record(path: Path, entry: bytes, offset: int, value: int) -> None:
    """Overwrite a 2-byte field of ``entry``'s record in the zip's central directory."""
    raw = bytearray(path.read_bytes())
    start = raw.find(b"PK\x01\x02")
    while start != -1:
        name_len = int.from_bytes(raw[start + 28 : start + 30], "little")
        if raw[start + 46 : start + 46 + name_len] == entry:
            raw[start + offset : start + offset + 2] = value.to_bytes(2, "little")
        start = raw.find(b"PK\x01\x02", start + 1)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [(8, 0x1, "is encrypted"), (10, 99, "is compressed")],  # flag bits; compression method
)
def test_entries_zipfile_cannot_read_plainly_are_refused(
    tmp_path: Path, offset: int, value: int, message: str
) -> None:
    path = save({"w": np.zeros(3)}, tmp_path / "c.npz")
    _patch_central_record(path, b"params/w.npy", offset, value)
    with pytest.raises(CheckpointError, match=message):
        load(path)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # zipfile's __del__
def test_an_interrupt_while_zipfile_closes_stays_an_interrupt(tmp_path: Path, monkeypatch) -> None:
    real_close = zipfile._ZipWriteFile.close  # type: ignore[attr-defined]
    calls = []

    def interrupted_close(self: Any) -> None:
        calls.append(1)
        if len(calls) == 1:  # Ctrl-C or SIGTERM lands inside the entry's close
            raise KeyboardInterrupt
        real_close(self)

    monkeypatch.setattr(zipfile._ZipWriteFile, "close", interrupted_close)  # type: ignore[attr-defined]
    with pytest.raises(KeyboardInterrupt):
        save(Net(), tmp_path / "net.npz")
    assert os.listdir(tmp_path) == []
    gc.collect()  # the half-closed ZipFile goes now, while its warning is filtered


def _local_entry(name: str, data: bytes) -> bytes:
    """A STORED zip entry: local header, name, data."""
    raw = name.encode()
    return struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 33, zlib.crc32(data), len(data), len(data),
        len(raw), 0,
    ) + raw + data  # fmt: skip


def _central_record(name: str, data: bytes, offset: int) -> bytes:
    raw = name.encode()
    return struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 33, zlib.crc32(data), len(data),
        len(data), len(raw), 0, 0, 0, 0, 0, offset,
    ) + raw  # fmt: skip


def _uint8_npy(payload: bytes) -> bytes:
    buffer = std_io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "|u1", "fortran_order": False, "shape": (len(payload),)}
    )
    return buffer.getvalue() + payload


def _nested_npz(path: Path, depth: int, leaf: int) -> int:
    """Entries params/a0 .. a{depth-1}, each one's data holding the next entry whole.

    Every CRC is right and zipfile reads every entry, but the innermost bytes
    are counted ``depth`` times; returns the bytes all entries declare together.
    """
    names = [f"params/a{k}.npy" for k in range(depth)]
    datas, entries, entry = [], [], b""
    for name in reversed(names):  # innermost first
        datas.insert(0, _uint8_npy(entry or bytes(leaf)))
        entry = _local_entry(name, datas[0])
        entries.insert(0, entry)
    offsets = [0]
    for k in range(depth - 1):  # the next entry starts after this one's headers
        offsets.append(offsets[k] + len(entries[k]) - len(entries[k + 1]))
    meta = _uint8_npy(metadata_entry(VALID_DOC).tobytes())
    body = entries[0] + _local_entry("__metadata__.npy", meta)
    records = [_central_record(n, d, o) for n, d, o in zip(names, datas, offsets, strict=True)]
    records.append(_central_record("__metadata__.npy", meta, len(entries[0])))
    directory = b"".join(records)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(records), len(records), len(directory), len(body), 0
    )
    path.write_bytes(body + directory + end)
    return sum(len(d) for d in datas)


def test_nested_entries_cannot_make_a_file_read_as_more_than_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "nested.npz"
    declared = _nested_npz(path, depth=40, leaf=20_000)
    with zipfile.ZipFile(path) as zf:  # a valid zip: every entry reads, CRCs and all
        assert sum(len(zf.read(info)) for info in zf.infolist()) > 30 * path.stat().st_size
    assert declared > 30 * path.stat().st_size
    overlap = r"entries 'params/a0.npy' and 'params/a1.npy' of .* overlap in the file"
    with pytest.raises(CheckpointError, match=overlap):
        load(path)


def test_load_names_what_is_there_instead_of_a_checkpoint(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.npz")  # opening it to read would wait for a writer forever
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(OSError, match=r"load: .*fifo.npz is a FIFO, not a regular file"):
        load(tmp_path / "fifo.npz")
    with pytest.raises(IsADirectoryError, match=r"load: .*dir.npz is a directory"):
        load(tmp_path / "dir.npz")


def test_load_and_save_pass_a_fifo_named_like_a_temp_without_waiting(tmp_path: Path) -> None:
    path = save({"w": np.zeros(2)}, tmp_path / "c.npz")
    fifo = tmp_path / ".c.npz.minigrad-save-trap.tmp"
    os.mkfifo(fifo)
    script = (
        "import sys; from minigrad.io import load, save; p = sys.argv[1]; save(load(p).arrays, p)"
    )
    try:
        subprocess.run([sys.executable, "-c", script, str(path)], timeout=30, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("load or save waited on a FIFO named like a temp file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and load(path).arrays["w"].shape == (2,)


def test_a_checkpoint_name_of_255_bytes_can_be_saved(tmp_path: Path) -> None:
    path = tmp_path / ("c" * 251 + ".npz")
    save(Net(), path)
    assert params_bytes(Net()) == {k: v.tobytes() for k, v in load(path).arrays.items()}
    assert os.listdir(tmp_path) == [path.name]


def test_metadata_nested_past_the_recursion_limit_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(sys.getrecursionlimit() + 10):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ValueError, match="nested too deeply"):
        save({"w": mg.Tensor(np.ones(2))}, tmp_path / "deep.npz", metadata=nested)
    assert list(tmp_path.iterdir()) == []
