"""Every tutorial, opened as a notebook, runs in a Jupyter kernel and shows its pictures.

Each ``tutorials/NN_*.py`` is converted with jupytext and executed with
nbclient in this environment's ipykernel, in a fresh temporary directory,
with ``MINIGRAD_FAST=1`` and no ``MPLBACKEND`` (the kernel's own inline backend,
as a learner gets it). A *picture cell* is a code cell that writes a ``.svg``
or ``.png`` file; the cell ends with the Graph or Figure it saved, so its
output must hold an ``image/svg+xml`` or ``image/png``. No cell may raise or
write to stderr (Jupyter shows stderr as a red box: warnings, a text progress
bar).
"""

import re
import sys
from pathlib import Path
from typing import Any

import pytest

jupytext = pytest.importorskip("jupytext", reason="needs the dev extra: pip install -e '.[dev]'")
nbclient = pytest.importorskip("nbclient", reason="needs the dev extra")
nbformat = pytest.importorskip("nbformat", reason="needs the dev extra")

TUTORIALS = Path(__file__).resolve().parents[2] / "tutorials"
SCRIPTS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
IMAGES = ("image/svg+xml", "image/png")
WRITES_A_PICTURE = re.compile(r"""\.(svg|png)["']""")

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment a learner's kernel starts in (it inherits this process's)."""
    monkeypatch.setenv("MINIGRAD_FAST", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    return tmp_path


def execute(nb: Any, cwd: Path) -> Any:
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


def images(cell: Any) -> list[str]:
    return [
        kind for out in cell.get("outputs", []) for kind in out.get("data", {}) if kind in IMAGES
    ]


def problems(cell: Any) -> list[str]:
    """Errors and stderr text a learner would see under the cell."""
    found = []
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            found.append(f"{out.ename}: {out.evalue}")
        elif out.output_type == "stream" and out.name == "stderr":
            found.append(f"stderr: {out.text[:300]!r}")
    return found


def notebook(*sources: str) -> Any:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_the_kernel_is_this_environment(kernel_env: Path) -> None:
    nb = execute(notebook("import sys\nprint(sys.prefix)"), kernel_env)
    assert nb.cells[0].outputs[0].text.strip() == sys.prefix


def test_library_pictures_and_progress_in_a_kernel(kernel_env: Path) -> None:
    """A plot or a graph at the end of a cell shows once; training writes no stderr."""
    nb = execute(
        notebook(
            "import rnn\nfrom rnn import plots\nfrom rnn.data import CharDataset",
            "plots.loss_curve([3.0, 2.0, 1.5], 'loss.png', 20, validation=[(0, 3.1), (3, 2.0)])",
            "from minigrad.viz import draw\nimport minigrad as mg\n"
            "x = mg.Tensor([1.0, 2.0], requires_grad=True, name='x')\ndraw((x * x).sum())",
            "data, held_out = CharDataset.from_text('the cat sat on the mat. ' * 20).split(0.2)\n"
            "model = rnn.RNN(data.vocab.size, 8, data.vocab.size, seed=0)\n"
            "history = rnn.train(model, data, steps=12, bptt=8, batch_size=2,\n"
            "                    validation=held_out, eval_every=5, sample_every=6)",
        ),
        kernel_env,
    )
    assert images(nb.cells[1]) == ["image/png"]  # once: closed in pyplot, shown as the result
    assert images(nb.cells[2]) == ["image/svg+xml"]
    assert (kernel_env / "loss.png").stat().st_size > 0
    training = "".join(out.get("text", "") for out in nb.cells[3].outputs)
    assert "sample at step 12" in training and "12/12" in training  # the bar, on stdout
    assert [p for cell in nb.cells for p in problems(cell)] == []


def test_every_tutorial_is_found() -> None:
    assert len(SCRIPTS) >= 9, [p.name for p in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_tutorial_as_a_notebook_shows_every_picture(script: Path, kernel_env: Path) -> None:
    nb = execute(jupytext.read(script), kernel_env)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    pictures = [cell for cell in code if WRITES_A_PICTURE.search(cell.source)]
    assert pictures, f"{script.name}: no cell writes a picture"
    failures = [
        f"picture cell {i} shows no image (it ends in {cell.source.strip().splitlines()[-1]!r})"
        for i, cell in enumerate(code)
        if cell in pictures and not images(cell)
    ]
    failures += [f"code cell {i}: {p}" for i, cell in enumerate(code) for p in problems(cell)]
    assert not failures, f"{script.name}:\n" + "\n".join(failures)
    shown_images = sum(len(images(cell)) for cell in code)
    print(f"{script.name}: {len(pictures)} picture cells, {shown_images} images shown")  # -rP


def test_make_notebooks_names_this_environments_kernel(checkout: Path, shell: Any) -> None:
    """JupyterLab opens a converted notebook without asking for a kernel: it names one that
    exists here, and nbclient, given no kernel name, starts this environment's Python."""
    assert shell("make -q .venv/.installed", checkout).returncode == 0, "run `make venv` first"
    done = shell("make notebooks", checkout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    converted = sorted((checkout / "build" / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in converted] == [p.stem for p in SCRIPTS]
    for path in converted:
        kernelspec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
        assert kernelspec.get("name") == "python3", (path.name, kernelspec)
        assert kernelspec.get("language") == "python", (path.name, kernelspec)
    from jupyter_client.kernelspec import KernelSpecManager

    assert Path(KernelSpecManager().get_kernel_spec("python3").resource_dir).is_relative_to(
        sys.prefix
    )
    nb = nbformat.read(converted[0], as_version=4)
    nb.cells = [nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)")]
    nbclient.NotebookClient(nb, timeout=120).execute()
    assert nb.cells[0].outputs[0].text.strip() == sys.prefix
