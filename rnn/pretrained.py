"""A trained model ships with rnn: an LSTM that writes the words of the Python documentation.

``PYDOC_LSTM`` (rnn/models/pydoc_lstm.npz) is an LSTM with hidden size 256, in
float32, that ``make speaker`` trains on the first nine tenths of
``load_text("pydoc")``; the last tenth, what ``CharDataset.split(0.1)`` holds
out, is never trained on. Its held-out perplexity is 4.07 there, and 96 %
of the words it writes at temperature 0.5 occur in the training text::

    model, checkpoint = rnn.load_model(PYDOC_LSTM)
    print("The " + model.sample("The ", 200, temperature=0.5, seed=0))

The file holds the weights and the config (sizes, vocabulary) and no
optimizer state, so it stays small. Its metadata records the steps trained,
the held-out loss along the way (``"validation"``: [step, loss] pairs), the
Python version and the SHA-256 of the corpus: the pydoc text changes from
one Python version to the next, and so does the perplexity on its last tenth.

``python -m rnn.pretrained CHECKPOINT`` writes that file from a checkpoint of
``python -m rnn train``.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
from collections.abc import Sequence
from pathlib import Path

from minigrad import io

from .data import load_text
from .train import load_model

PYDOC_LSTM = Path(__file__).with_name("models") / "pydoc_lstm.npz"


def corpus_sha256(text: str) -> str:
    """The SHA-256 of ``text`` in UTF-8: which corpus a model was trained on."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ship(checkpoint: str | Path, out: str | Path = PYDOC_LSTM, corpus: str = "pydoc") -> Path:
    """Write the model of a training ``checkpoint`` to ``out``: weights, config, what it saw."""
    model, ckpt = load_model(checkpoint)
    history = ckpt.metadata.get("history", {})
    metadata = {
        "step": ckpt.metadata.get("step"),
        "bptt": ckpt.metadata.get("bptt"),
        "batch_size": ckpt.metadata.get("batch_size"),
        "validation": history.get("validation", []),
        "corpus": corpus,
        "corpus_sha256": corpus_sha256(load_text(corpus)),
        "python": platform.python_version(),
    }
    return io.save(model, out, metadata=metadata)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m rnn.pretrained",
        description="Write the model of a training checkpoint (no optimizer state) to ship it.",
    )
    p.add_argument("checkpoint", help="a checkpoint written by python -m rnn train")
    p.add_argument("--out", default=str(PYDOC_LSTM), help=f"file to write (default: {PYDOC_LSTM})")
    p.add_argument("--text", default="pydoc", help="the corpus it was trained on (default: pydoc)")
    args = p.parse_args(argv)
    out = ship(args.checkpoint, args.out, args.text)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
