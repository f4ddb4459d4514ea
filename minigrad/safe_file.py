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
atomic), flushes and fsyncs it, checks the target again (a FIFO or device put
there meanwhile is refused, not replaced), renames the temporary file over it
with ``os.replace`` and fsyncs the directory so the rename itself survives a
power loss. The temporary name is never longer than the target's own name (or
64 bytes for a short one): NAME is cut to fit, so any valid file name can be
saved. Until the rename, the old file is untouched; on any exception, Ctrl-C
and SIGTERM included, the temporary file is removed (such a signal arriving
while the temporary file is being made is held until its name is known).
A new file gets 0o666 minus the umask.

A writer killed outright (SIGKILL, power loss) can leave its temporary file
behind: the next ``write_atomically`` of the same path, or a loader calling
``remove_abandoned_temps``, removes it. Any number of processes may save and
load one path at once, because a temporary file is locked (``fcntl.flock``)
before anyone can see it unlocked: a writer creates and locks it while holding
a shared lock on the directory, and a cleaner scans under an exclusive one, so
every unlocked temporary file a cleaner meets is abandoned. A candidate is
type-checked before it is opened, opened with ``O_NONBLOCK`` and checked again
(a FIFO named like a temporary file never blocks anything and is left alone).

``open_regular`` opens a file to read once, non-blocking, and checks on the open
descriptor that it is a regular file, so what is read and its ``os.fstat`` size
belong to one file even while another process replaces it.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # no advisory locks (Windows): temp files are never judged abandoned
    fcntl = None  # type: ignore[assignment]

TEMP_MARK = ".minigrad-save-"
_INTERRUPTS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)
)
MIN_TEMP_NAME_BYTES = 64  # a temp name may be this long even for a shorter target name
_TEMP_OVERHEAD = len(f".{TEMP_MARK}12345678.tmp")  # around NAME: mkstemp adds 8 characters
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
    owner: Owner | None = None  # checked again just before the rename
    overwrite: bool = False


def check_target(path: Path, owner: Owner, overwrite: bool) -> Target:
    """The file that saving to ``path`` replaces; raises if it must not be replaced."""
    file = Path(os.path.realpath(path)) if path.is_symlink() else path
    if not file.parent.is_dir():
        raise FileNotFoundError(f"{owner.name}: directory {file.parent} does not exist")
    mode = _replaceable_mode(file, owner, overwrite, path)
    return Target(file, mode, owner, overwrite)


def _replaceable_mode(file: Path, owner: Owner, overwrite: bool, shown: Path) -> int | None:
    """The permission bits of ``file`` (None if absent); raises if it must not be replaced."""
    try:
        info = os.stat(file)
    except FileNotFoundError:
        return None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise owner.error(f"{owner.name}: {shown} is {kind}, not a regular file; not replacing it")
    if not overwrite and not owner.wrote(file):
        raise owner.error(
            f"{owner.name}: {shown} exists and is not {owner.writes}; not replacing it "
            f"(pass {owner.overwrite} to replace it anyway)"
        )
    return stat.S_IMODE(info.st_mode)


def _kind(mode: int) -> str | None:
    """What a file that is not a regular one is ("a FIFO", ...); None for a regular file."""
    return next((kind for is_kind, kind in _NOT_REGULAR.items() if is_kind(mode)), None)


def write_atomically(target: Target, write: Callable[[BinaryIO], object]) -> None:
    """``write`` into a locked temp file beside the target, fsync, rename it over the target."""
    remove_abandoned_temps(target.file)
    f = tmp = None
    try:
        with _interrupts_held():  # until the temp's name is known here, to be removed
            f, tmp = _locked_temp(target.file)
        with f:  # locked until closed, after the rename: cleaners keep off
            write(f)
            f.flush()
            os.fsync(f.fileno())
            mode = 0o666 & ~_umask() if target.mode is None else target.mode
            if hasattr(os, "fchmod"):  # on the descriptor: whatever happens to the name
                os.fchmod(f.fileno(), mode)
            else:
                os.chmod(tmp, mode)
            if target.owner is not None:  # it may have changed during a long write
                _replaceable_mode(target.file, target.owner, target.overwrite, target.file)
            os.replace(tmp, target.file)
    except BaseException as err:
        if f is not None:
            f.close()
        if tmp is not None:
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
    with contextlib.suppress(OSError), _directory_lock(file.parent, exclusive=True) as locked:
        if not locked:  # without the lock a temp not yet locked by its writer could be live
            return
        for entry in os.scandir(file.parent):
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    _remove_if_unlocked(Path(entry.path))


def open_regular(path: Path, who: str, what: str = "file") -> io.BufferedReader:
    """``path`` opened to read, once, after checking (on the descriptor) it is a regular file.

    Raises FileNotFoundError if nothing is there, IsADirectoryError for a
    directory and OSError for a FIFO, device or socket, which is never opened
    in a way that could wait.
    """
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            kind = _kind(os.fstat(fd).st_mode)
            if kind is None:
                return os.fdopen(fd, "rb")
            os.close(fd)
    except FileNotFoundError:
        raise FileNotFoundError(f"{who}: no {what} at {path}") from None
    error = IsADirectoryError if kind == "a directory" else OSError
    raise error(f"{who}: {path} is {kind}, not a regular file")


def _locked_temp(file: Path) -> tuple[BinaryIO, Path]:
    """A new temp file beside ``file``, locked before any cleaner can see it."""
    with _directory_lock(file.parent, exclusive=False):
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=_temp_prefix(file), suffix=".tmp")
        try:
            _lock(fd, blocking=True)  # nobody else knows it yet, so this never waits
            return os.fdopen(fd, "wb"), Path(tmp)
        except BaseException:  # Ctrl-C or SIGTERM right after it was made
            os.close(fd)
            os.unlink(tmp)
            raise


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the block runs, then deliver them.

    A signal's Python handler runs between two bytecodes, even inside
    ``tempfile.mkstemp`` after the file exists and before its name is returned:
    the name would be lost and the file left behind. Held, such a signal is
    raised again once the block has ended, where the caller can clean up.
    Handlers run in the main thread only; elsewhere nothing is held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = {}
    for signum in _INTERRUPTS:
        handler = signal.getsignal(signum)
        if handler is not None:  # None: set outside Python, so it could not be put back
            previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in caught:
            signal.raise_signal(signum)  # handled now as the program asked


@contextlib.contextmanager
def _directory_lock(directory: Path, exclusive: bool) -> Iterator[bool]:
    """Writers creating temps share it, a cleaner holds it alone; True if it was taken."""
    if fcntl is None:
        yield False
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            locked = True
        except OSError:  # no locks on this filesystem: writers go on, cleaners do not clean
            locked = False
        yield locked
    finally:
        os.close(fd)


def _temp_prefix(file: Path) -> str:
    """``.NAME.minigrad-save-``, NAME cut so that the whole temp name fits (module doc)."""
    name = os.fsencode(file.name)
    room = max(len(name), MIN_TEMP_NAME_BYTES) - _TEMP_OVERHEAD
    return f".{os.fsdecode(name[:room])}{TEMP_MARK}"


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
    seen = os.lstat(tmp)
    if not stat.S_ISREG(seen.st_mode):  # a FIFO, device or link is not a temp of ours
        return
    fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        same = (info.st_dev, info.st_ino) == (seen.st_dev, seen.st_ino)
        if same and stat.S_ISREG(info.st_mode) and _lock(fd, blocking=False):
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
