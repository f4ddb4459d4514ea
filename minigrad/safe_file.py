"""Replacing a file so that a save never destroys what was there and never leaks a partial file.

::

    owner = Owner("save", "a minigrad checkpoint", wrote=is_checkpoint)
    target = check_target(path, owner, overwrite=False)   # refuse before any work
    write_atomically(target, lambda f: np.savez(f, **arrays))

``check_target`` decides what may be replaced:

- only a regular file: a directory, device, FIFO or socket at ``path`` is refused
  and stays as it is (writing to ``/dev/sda`` or into a pipe is never "saving");
- a symlink is written through: its target is replaced and the link is kept;
- an existing file is replaced only if its ``Owner`` recognises it as one of its
  own (``Owner.wrote``), or with ``overwrite=True``; it keeps its permission bits.

``write_atomically`` writes the new bytes to a temporary file in the same
directory (``.NAME.minigrad-save-<random>.tmp``, same filesystem, so the rename is
atomic), flushes and fsyncs it, renames it over the target with ``os.replace``
and fsyncs the directory so the rename itself survives a power loss. Until the
rename, the old file is untouched; on any exception, Ctrl-C included, the
temporary file is removed. A writer killed outright (SIGKILL, power loss) can
leave its temporary file behind: the next ``write_atomically`` of the same path
removes it. Every temporary file is locked (``fcntl.flock``) while it is
written, so a file some other process is still writing is never touched, and
one nobody holds locked is abandoned. A new file gets 0o666 minus the umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # no advisory locks (Windows): temp files are never judged abandoned
    fcntl = None  # type: ignore[assignment]

TEMP_MARK = ".minigrad-save-"
_NOT_REGULAR = {
    stat.S_ISDIR: "a directory",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISFIFO: "a FIFO",
    stat.S_ISSOCK: "a socket",
}


@dataclass(frozen=True)
class Owner:
    """A writer of one kind of file: the files it may replace and how it says no."""

    name: str  # the function named in messages, e.g. "save"
    writes: str  # what its files are, e.g. "a minigrad checkpoint"
    wrote: Callable[[Path], bool]  # True for a file it wrote, which it replaces freely
    error: type[Exception] = FileExistsError  # raised for a path it must not replace
    overwrite: str = "overwrite=True"  # how a caller asks to replace any regular file


@dataclass(frozen=True)
class Target:
    """The regular file a save replaces (a symlink's target) and the mode it keeps."""

    file: Path
    mode: int | None  # the existing file's permission bits; None if it is new


def check_target(path: Path, owner: Owner, overwrite: bool) -> Target:
    """The file that saving to ``path`` replaces; raises if it must not be replaced."""
    file = Path(os.path.realpath(path)) if path.is_symlink() else path
    if not file.parent.is_dir():
        raise FileNotFoundError(f"{owner.name}: directory {file.parent} does not exist")
    try:
        info = os.stat(file)
    except FileNotFoundError:
        return Target(file, None)
    for is_kind, kind in _NOT_REGULAR.items():
        if is_kind(info.st_mode):
            raise owner.error(
                f"{owner.name}: {path} is {kind}, not a regular file; not replacing it"
            )
    if not overwrite and not owner.wrote(file):
        raise owner.error(
            f"{owner.name}: {path} exists and is not {owner.writes}; not replacing it "
            f"(pass {owner.overwrite} to replace it anyway)"
        )
    return Target(file, stat.S_IMODE(info.st_mode))


def write_atomically(target: Target, write: Callable[[BinaryIO], object]) -> None:
    """``write`` into a locked temp file beside the target, fsync, rename it over the target."""
    remove_abandoned_temps(target.file)
    fd, tmp = tempfile.mkstemp(
        dir=target.file.parent, prefix=_temp_prefix(target.file), suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            _lock(f.fileno(), blocking=True)  # held until the rename: cleaners keep off
            write(f)
            f.flush()
            os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~_umask() if target.mode is None else target.mode)
            os.replace(tmp, target.file)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        interrupt = _interrupt_behind(err)
        if interrupt is not None:  # zipfile turns an interrupt while closing into a ValueError
            raise interrupt from None
        raise
    _fsync_dir(target.file.parent)


def remove_abandoned_temps(file: Path) -> None:
    """Delete the temp files of ``file`` left by a killed writer: those nobody holds locked."""
    prefix = _temp_prefix(file)
    with contextlib.suppress(OSError):
        for entry in os.scandir(file.parent):
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    _remove_if_unlocked(Path(entry.path))


def _temp_prefix(file: Path) -> str:
    return f".{file.name}{TEMP_MARK}"


def _interrupt_behind(err: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt that ``err`` was raised while handling, if any."""
    while err is not None and not isinstance(err, KeyboardInterrupt):
        err = err.__context__  # type: ignore[assignment]
    return err


def _lock(fd: int, blocking: bool) -> bool:
    """An exclusive advisory lock on ``fd``; False if another process holds one."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _remove_if_unlocked(tmp: Path) -> None:
    """Unlink ``tmp`` if it is a regular file (never following a symlink) nobody locks."""
    fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode) and _lock(fd, blocking=False):
            os.unlink(tmp)
    finally:
        os.close(fd)


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
