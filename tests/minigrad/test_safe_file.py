"""Safe file replacement: what may be replaced, atomic writes, and temp files never leaked."""

import contextlib
import fcntl
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from minigrad.safe_file import (
    TEMP_MARK,
    Owner,
    Target,
    check_target,
    remove_abandoned_temps,
    write_atomically,
)


class Refused(ValueError):
    """The error our test owner raises for a path it must not replace."""


def ours(path: Path) -> bool:
    return path.read_bytes().startswith(b"OURS")


OWNER = Owner("put", "a file of ours", ours, Refused)


def never_asked(path: Path) -> bool:
    raise AssertionError(f"read {path}, which is not a regular file")


def put(path: Path, data: bytes, overwrite: bool = False) -> None:
    write_atomically(check_target(path, OWNER, overwrite), lambda f: f.write(data))


def temps(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".tmp"))


# ------------------------------------------------------------ what is written
def test_a_new_file_gets_the_bytes_and_normal_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        put(tmp_path / "new", b"OURS 1")
    finally:
        os.umask(mask)
    assert (tmp_path / "new").read_bytes() == b"OURS 1"
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["new"]


def test_an_own_file_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "mine"
    put(path, b"OURS 1")
    os.chmod(path, 0o600)
    put(path, b"OURS 2")
    assert path.read_bytes() == b"OURS 2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_temp_file_is_beside_the_target_and_locked_while_written(tmp_path: Path) -> None:
    seen = []

    def write(f: BinaryIO) -> None:
        (name,) = temps(tmp_path)
        assert name.startswith(f".out{TEMP_MARK}")
        with open(tmp_path / name, "rb") as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        seen.append(name)
        f.write(b"OURS")

    write_atomically(check_target(tmp_path / "out", OWNER, overwrite=False), write)
    assert len(seen) == 1 and os.listdir(tmp_path) == ["out"]


# --------------------------------------------------------- what is refused
def test_a_foreign_file_is_replaced_only_with_overwrite(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"my notes")
    with pytest.raises(Refused, match=r"put: .*notes.txt exists and is not a file of ours"):
        put(notes, b"OURS")
    assert notes.read_bytes() == b"my notes"
    put(notes, b"OURS", overwrite=True)
    assert notes.read_bytes() == b"OURS"


def test_the_overwrite_hint_is_the_owners(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"theirs")
    owner = Owner("put", "a file of ours", ours, Refused, overwrite="--force")
    with pytest.raises(Refused, match=r"\(pass --force to replace it anyway\)"):
        check_target(tmp_path / "f", owner, overwrite=False)


def test_a_fifo_a_device_a_socket_and_a_directory_are_refused_even_with_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(tmp_path / "fifo")
    os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # our own /dev/null twin
    os.mkdir(tmp_path / "dir")
    monkeypatch.chdir(tmp_path)  # a relative socket name stays within AF_UNIX's length limit
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock")
        owner = Owner("put", "a file of ours", never_asked, Refused)
        for name, kind in [
            ("fifo", "a FIFO"),
            ("null", "a character device"),
            ("sock", "a socket"),
            ("dir", "a directory"),
        ]:
            for overwrite in (False, True):
                with pytest.raises(Refused, match=f"put: .*{name} is {kind}, not a regular file"):
                    check_target(tmp_path / name, owner, overwrite)
        modes = {n: os.lstat(n).st_mode for n in ("fifo", "null", "sock", "dir")}
    assert stat.S_ISFIFO(modes["fifo"]) and stat.S_ISCHR(modes["null"])
    assert stat.S_ISSOCK(modes["sock"]) and stat.S_ISDIR(modes["dir"])
    assert sorted(os.listdir(tmp_path)) == ["dir", "fifo", "null", "sock"]


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="put: directory .*missing does not exist"):
        check_target(tmp_path / "missing" / "f", OWNER, overwrite=True)


def test_a_symlink_is_written_through_and_kept(tmp_path: Path) -> None:
    put(tmp_path / "real", b"OURS 1")
    link = tmp_path / "link"
    link.symlink_to("real")
    assert check_target(link, OWNER, overwrite=False).file == tmp_path / "real"
    put(link, b"OURS 2")
    assert link.is_symlink() and os.readlink(link) == "real"
    assert (tmp_path / "real").read_bytes() == b"OURS 2"
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


def test_a_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to("fifo")
    with pytest.raises(Refused, match="is a FIFO"):
        check_target(tmp_path / "link", Owner("put", "ours", never_asked, Refused), True)


# ------------------------------------------------------- failures leak nothing
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "f"
    put(path, b"OURS old")

    def half_then_fail(f: BinaryIO) -> None:
        f.write(b"OURS half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(check_target(path, OWNER, overwrite=False), half_then_fail)
    assert path.read_bytes() == b"OURS old"
    assert os.listdir(tmp_path) == ["f"]


def test_an_interrupt_before_the_rename_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        put(tmp_path / "new", b"OURS")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_temp_is_made_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    def interrupt(received: int, frame: object) -> None:
        raise KeyboardInterrupt  # as `python -m rnn train` handles SIGTERM

    made = tempfile.mkstemp

    def signalled_once_made(**kwargs: object) -> tuple[int, str]:
        fd, name = made(**kwargs)
        signal.raise_signal(signum)  # its handler runs here, before the name is returned
        return fd, name

    put(tmp_path / "f", b"OURS old")
    previous = signal.signal(signum, interrupt)
    monkeypatch.setattr(tempfile, "mkstemp", signalled_once_made)
    try:
        with pytest.raises(KeyboardInterrupt):
            put(tmp_path / "f", b"OURS new")
    finally:
        signal.signal(signum, previous)
    assert signal.getsignal(signum) is previous
    assert os.listdir(tmp_path) == ["f"]
    assert (tmp_path / "f").read_bytes() == b"OURS old"


def test_an_interrupt_turned_into_another_error_stays_an_interrupt(tmp_path: Path) -> None:
    def interrupt_then_fail_while_cleaning_up(f: BinaryIO) -> None:
        try:
            raise KeyboardInterrupt
        finally:
            raise ValueError("I/O operation on closed file")  # as zipfile's close does

    with pytest.raises(KeyboardInterrupt):
        write_atomically(Target(tmp_path / "new", None), interrupt_then_fail_while_cleaning_up)
    assert os.listdir(tmp_path) == []


# -------------------------------------------------- temps of a killed writer
def test_an_abandoned_temp_is_removed_by_the_next_write(tmp_path: Path) -> None:
    put(tmp_path / "f", b"OURS")
    abandoned = tmp_path / f".f{TEMP_MARK}dead.tmp"
    abandoned.write_bytes(b"half a file")  # nobody holds it locked: its writer was killed
    put(tmp_path / "f", b"OURS 2")
    assert os.listdir(tmp_path) == ["f"]


def test_a_temp_being_written_and_other_files_temps_are_left_alone(tmp_path: Path) -> None:
    busy = tmp_path / f".f{TEMP_MARK}busy.tmp"
    other = tmp_path / f".g{TEMP_MARK}dead.tmp"
    other.write_bytes(b"g's")
    with open(busy, "wb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # as a write in progress holds it
        put(tmp_path / "f", b"OURS")
        assert busy.exists() and other.exists()
    put(tmp_path / "f", b"OURS 2")
    assert not busy.exists() and other.exists()


def test_a_symlink_named_like_a_temp_is_not_followed(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.write_bytes(b"keep")
    trap = tmp_path / f".f{TEMP_MARK}trap.tmp"
    trap.symlink_to(precious)
    put(tmp_path / "f", b"OURS")
    assert trap.is_symlink() and precious.read_bytes() == b"keep"


def _returns_within(seconds: float, fifo: Path, run: Callable[[], object]) -> bool:
    """True if ``run()`` returns in time; if it hangs on ``fifo``, a writer end frees it."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (run(), done.set()), daemon=True)
    thread.start()
    returned = done.wait(seconds)
    if not returned:
        with contextlib.suppress(OSError):  # a reader blocked in open() now gets EOF
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(seconds)
    return returned


def test_a_fifo_named_like_a_temp_blocks_nothing_and_is_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / f".f{TEMP_MARK}trap.tmp"
    os.mkfifo(fifo)
    assert _returns_within(5, fifo, lambda: put(tmp_path / "f", b"OURS"))
    assert _returns_within(5, fifo, lambda: remove_abandoned_temps(tmp_path / "f"))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert (tmp_path / "f").read_bytes() == b"OURS"


# ------------------------------------------------------------ long names
@pytest.mark.parametrize("length", [225, 240, 255])
def test_a_name_of_up_to_255_bytes_can_be_saved(tmp_path: Path, length: int) -> None:
    path = tmp_path / ("é" * (length // 2) + "x" * (length % 2))  # two bytes per é
    assert len(os.fsencode(path.name)) == length
    seen = []
    write_atomically(
        check_target(path, OWNER, False), lambda f: (seen.extend(temps(tmp_path)), f.write(b"OURS"))
    )
    assert path.read_bytes() == b"OURS" and os.listdir(tmp_path) == [path.name]
    assert len(os.fsencode(seen[0])) <= length  # the temp name is never longer than the target's


def test_an_abandoned_temp_of_a_long_name_is_removed(tmp_path: Path) -> None:
    path = tmp_path / ("n" * 250)
    put(path, b"OURS")
    written: list[str] = []
    write_atomically(
        check_target(path, OWNER, False),
        lambda f: (written.extend(temps(tmp_path)), f.write(b"OURS")),
    )
    abandoned = tmp_path / written[0].replace(written[0][-12:-4], "deadbeef")
    abandoned.write_bytes(b"half a file")
    put(path, b"OURS 2")
    assert os.listdir(tmp_path) == [path.name]


# ----------------------------------------- the target checked again before the rename
@pytest.mark.parametrize("swap", ["fifo", "foreign file"])
def test_what_appears_at_the_target_during_a_write_is_not_replaced(
    tmp_path: Path, swap: str
) -> None:
    path = tmp_path / "f"
    put(path, b"OURS")
    target = check_target(path, OWNER, overwrite=False)

    def slow_write(f: BinaryIO) -> None:  # meanwhile someone puts something else there
        path.unlink()
        if swap == "fifo":
            os.mkfifo(path)
        else:
            path.write_bytes(b"their work")
        f.write(b"OURS 2")

    with pytest.raises(Refused, match="is a FIFO" if swap == "fifo" else "is not a file of ours"):
        write_atomically(target, slow_write)
    if swap == "fifo":
        assert stat.S_ISFIFO(os.lstat(path).st_mode)
    else:
        assert path.read_bytes() == b"their work"
    assert os.listdir(tmp_path) == ["f"]


# ---------------------------------------------- many savers and loaders at once
_SAVE_AND_LOAD = """
import sys, time
import numpy as np
from minigrad.io import load, save
path, role, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
done = failed = 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        if role.startswith("saver"):
            n = 1 + (done * 7919) % 5000  # every save another size, as a growing history makes
            save({"w": np.full(n, float(n))}, path, metadata={"n": n, "log": "x" * n})
        else:
            ckpt = load(path)
            n = ckpt.metadata["n"]
            assert ckpt.arrays["w"].shape == (n,) and (ckpt.arrays["w"] == n).all()
            assert ckpt.metadata["log"] == "x" * n
        done += 1
    except Exception as err:
        failed += 1
        print(f"{role}: {type(err).__name__}: {err}", file=sys.stderr)
print(done, failed)
"""


def test_concurrent_savers_and_loaders_never_fail_and_leave_one_whole_file(
    tmp_path: Path,
) -> None:
    import numpy as np

    from minigrad.io import load, save

    path = tmp_path / "ckpt.npz"
    save({"w": np.full(1, 1.0)}, path, metadata={"n": 1, "log": "x"})
    roles = ["saver 1", "saver 2", "saver 3", "loader 1", "loader 2"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SAVE_AND_LOAD, str(path), role, "3"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in roles
    ]
    results = [p.communicate(timeout=120) for p in procs]
    errors = [err for _, err in results if err]
    counts = [tuple(map(int, out.split())) for out, _ in results]
    assert errors == [], errors[0][:2000]
    assert all(failed == 0 for _, failed in counts) and all(done > 0 for done, _ in counts)
    n = load(path).metadata["n"]
    assert (load(path).arrays["w"] == n).all()
    assert temps(tmp_path) == []
