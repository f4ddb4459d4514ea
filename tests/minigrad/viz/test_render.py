"""Saving pictures: atomic, with the usual file mode, never over a device, FIFO or directory."""

import os
import stat
from pathlib import Path

import pytest

import minigrad as mg
from minigrad.viz import Flipbook, draw, flipbook


def _graph() -> mg.viz.Graph:
    x = mg.Tensor(2.0, requires_grad=True, name="x")
    return draw((x * x).tanh())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_new_picture_gets_the_usual_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    out = _graph().save(tmp_path / "g.dot")
    page = tmp_path / "page.html"
    x = mg.Tensor(2.0, requires_grad=True, name="x")
    flipbook(x * x, page)
    for path in (out, page):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "page.html"]


def test_saving_again_replaces_the_picture_and_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "g.dot"
    out.write_text("old")
    out.chmod(0o600)
    _graph().save(out)
    assert out.read_text().startswith("digraph")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_picture_name_of_255_bytes_can_be_saved(tmp_path: Path) -> None:
    out = _graph().save(tmp_path / ("g" * 251 + ".dot"))
    assert out.read_text().startswith("digraph") and os.listdir(tmp_path) == [out.name]


def test_a_fifo_or_a_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo, folder = tmp_path / "g.dot", tmp_path / "d.dot"
    os.mkfifo(fifo)
    folder.mkdir()
    for path, kind in ((fifo, "a FIFO"), (folder, "a directory")):
        with pytest.raises(FileExistsError, match=f"is {kind}, not a regular file"):
            _graph().save(path)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and folder.is_dir()


def test_a_flipbook_replaces_only_its_own_page_unless_forced(dot: str, tmp_path: Path) -> None:
    x = mg.Tensor(2.0, requires_grad=True, name="x")
    script, other = tmp_path / "train.py", tmp_path / "other.html"
    script.write_text("print('mine')")
    other.write_text("<!DOCTYPE html><p>mine</p>")
    with pytest.raises(ValueError, match=r"\*\.html"):
        flipbook(x * x, script)
    with pytest.raises(FileExistsError, match="not a flipbook page.*overwrite=True"):
        flipbook(x * x, other)
    assert x.grad is None  # refused before backward ran
    assert script.read_text() == "print('mine')" and other.read_text().endswith("mine</p>")
    book = flipbook(x * x)
    assert isinstance(book, Flipbook) and not list(tmp_path.glob("*.tmp"))
    with pytest.raises(FileExistsError):
        book.save(other)
    page = book.save(other, overwrite=True)
    assert page.read_text() == book.html
    assert flipbook(x * 3.0, page) == page  # a page it wrote: replaced freely
    assert "step 1 of 2" in page.read_text()
    with pytest.raises(ValueError, match=r"\*\.html"):
        book.save(tmp_path / "page.htm")
