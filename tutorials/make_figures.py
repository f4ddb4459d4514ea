"""Regenerate tutorials/figures/: run every tutorial and keep its README picture.

Each tutorial runs as a script in a temporary directory (with the Agg
backend, full training unless ``--fast``); the pictures listed in ``FIGURES``
are copied from its ``figures/`` folder into ``tutorials/figures/``.

    python tutorials/make_figures.py          # what `make figures` runs
    python tutorials/make_figures.py --fast   # quick, with MINIGRAD_FAST=1
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIGURES = {
    "01_tensors_and_graphs.py": ["01_two_layers.svg"],
    "02_backward_step_by_step.py": ["02_grads.svg", "02_moons.png"],
    "03_broadcasting_and_reductions.py": ["03_reduction_grads.png"],
    "04_checking_gradients.py": ["04_finite_differences.png"],
    "05_gradient_descent.py": ["05_descent.png"],
    "06_one_rnn_step.py": ["06_folded.svg", "06_activations.png"],
    "07_unrolling_and_bptt.py": ["07_bptt.svg", "07_contributions.png"],
    "08_vanishing_and_exploding_gradients.py": [
        "08_profiles.png",
        "08_distant.png",
        "08_heat.svg",
    ],
    "09_clipping_and_truncation.py": ["09_truncation.png"],
    "10_training_a_character_model.py": ["10_loss.png"],
    "11_lstm_and_gru.py": ["11_copy_task.png", "11_profiles.png"],
    "12_moving_on_to_pytorch.py": ["12_gate_blocks.png"],
}


def run(script: Path, fast: bool) -> Path:
    """Run one tutorial in a fresh directory; return that directory."""
    workdir = Path(tempfile.mkdtemp(prefix=script.stem + "_"))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if fast:
        env["MINIGRAD_FAST"] = "1"
    done = subprocess.run(
        [sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{script.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return workdir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="shrink training (MINIGRAD_FAST=1)")
    args = parser.parse_args(argv)
    target = HERE / "figures"
    target.mkdir(exist_ok=True)
    for name, pictures in FIGURES.items():
        workdir = run(HERE / name, args.fast)
        try:
            for picture in pictures:
                shutil.copyfile(workdir / "figures" / picture, target / picture)
                print("wrote", (target / picture).relative_to(HERE.parent))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
