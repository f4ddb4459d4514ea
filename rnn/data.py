"""Data for the RNN, all embedded: nothing is ever downloaded.

Text (a char-level language model reads it one character at a time)::

    text = load_text()               # the default corpus, on every machine
    data = CharDataset.from_text(text)
    data.vocab.size, data.vocab.encode("the"), data.vocab.decode([3, 1])
    xs, ys = data.sample_batch(seq_len=32, batch_size=16, rng=0)   # (T, B) int64
    for xs, ys in data.windows(seq_len=32, batch_size=16): ...   # truncated BPTT

- ``load_text(None)`` / ``"default"``: the project's short essay on recurrent
  networks (``rnn/corpus/recurrence.txt``) followed by the Zen of Python;
  ``"recurrence"`` or ``"zen"`` for one of them; anything else is a path to a
  UTF-8 text file (line endings become ``\\n``).
- ``"pydoc"``: a real corpus of about 450 000 characters, the reference
  documentation CPython ships in ``pydoc_data.topics`` (what ``help("if")``
  prints), see ``pydoc_text``. Its exact text depends on the Python version.
- ``CharDataset.split(0.1)``: a contiguous (training, validation) pair, the
  last 10 % of the text held out to measure generalisation;
  ``unigram_perplexity(train, validation)`` is the baseline to beat.
- ``Vocab``: the sorted unique characters; ``to_list()``/``from_list()`` store it
  as JSON (e.g. in a checkpoint's metadata).
- Batches are time-major, like the RNN's input: ``inputs[t, b]`` is a token id
  and ``targets[t, b]`` the id that follows it (the same window shifted by one).
  ``sample_batch`` draws windows at random positions; ``windows`` cuts the
  corpus into ``batch_size`` contiguous streams and walks them in order, so
  column b of window k+1 continues column b of window k and the hidden state
  can be carried across windows.

Synthetic tasks for long-range memory, seeded by ``rng`` (a numpy Generator or
an int seed): ``adding_problem`` and ``copy_task``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.resources
import io
import os
import re
import reprlib
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CORPORA = ("default", "recurrence", "zen", "pydoc")
MAX_TEXT_BYTES = 64 * 2**20  # a text file corpus is read whole, so it is bounded
COPY_BLANK = 0
Rng = np.random.Generator | int
Batch = tuple[np.ndarray, np.ndarray]


# -------------------------------------------------------------------- text
def load_text(name_or_path: str | os.PathLike[str] | None = None) -> str:
    """An embedded corpus by name (see ``CORPORA``) or a UTF-8 text file by path."""
    if name_or_path is None or name_or_path == "default":
        return load_text("recurrence") + "\n" + load_text("zen")
    if name_or_path == "recurrence":
        resource = importlib.resources.files("rnn") / "corpus" / "recurrence.txt"
        return resource.read_text(encoding="utf-8")
    if name_or_path == "zen":
        return zen_of_python()
    if name_or_path == "pydoc":
        return pydoc_text()
    return read_text_file(name_or_path)


def zen_of_python() -> str:
    """The Zen of Python from the standard library's ``this`` module, without printing it."""
    with contextlib.redirect_stdout(io.StringIO()):
        this = importlib.import_module("this")
    return "".join(this.d.get(c, c) for c in this.s)


# Typographic characters of the reference text and their ASCII stand-ins.
ASCII_STAND_INS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "--",
        "\u2026": "...",
        "\u00b0": " degrees",
        "\u00df": "ss",
    }
)
# A line drawn only to underline a heading or frame a table: "*****", "+---+---+".
RULE_LINE = re.compile(r"^[ *=\-+~^|]{3,}\n", flags=re.M)


@functools.cache
def pydoc_text() -> str:
    """CPython's reference documentation (``pydoc_data.topics``) as one ASCII text.

    The topics are joined in sorted order of their names, so the text is the
    same on every run of one Python version. Cleaning keeps the vocabulary
    small (about 95 characters) without changing the prose: curly quotes,
    dashes and the ellipsis become their ASCII forms, accents are dropped
    (NFKD), any other non-ASCII character is removed, and lines that only
    underline a heading or frame a table ("*****", "+---+") are left out, and
    so are the blank lines they leave behind (one blank line between paragraphs).
    """
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise FileNotFoundError(
            "load_text('pydoc'): this Python has no pydoc_data.topics (some distributions "
            "strip the documentation); install the full standard library or pass the path "
            "of a UTF-8 text file instead"
        ) from None
    joined = "\n\n".join(topics[name].strip("\n") for name in sorted(topics))
    return re.sub(r"\n{3,}", "\n\n", to_ascii(RULE_LINE.sub("", joined + "\n")))


def to_ascii(text: str) -> str:
    """``text`` in printable ASCII plus newlines: stand-ins, accents dropped, tabs expanded."""
    decomposed = unicodedata.normalize("NFKD", text.translate(ASCII_STAND_INS)).expandtabs()
    return "".join(c for c in decomposed if c == "\n" or " " <= c <= "~")


def read_text_file(path: str | os.PathLike[str]) -> str:
    """The text of a UTF-8 file, with clear errors for missing, unreadable or empty files."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"load_text: no such file {path} (embedded corpora: {', '.join(CORPORA)})"
        )
    if path.is_dir():
        raise IsADirectoryError(f"load_text: {path} is a directory, expected a UTF-8 text file")
    try:
        raw = _read_bounded(path, MAX_TEXT_BYTES)
    except OSError as err:
        raise type(err)(f"load_text: cannot read {path}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"load_text: {path} is not UTF-8 text: byte 0x{raw[err.start]:02x} at offset "
            f"{err.start} cannot be decoded"
        ) from None
    if not text.strip():
        raise ValueError(f"load_text: {path} is empty; a corpus needs some text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (devices and FIFOs refused)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"load_text: {path} is not a regular file (a device, FIFO, ...)")
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"load_text: {path} is larger than {limit} bytes, the limit for a corpus")
    return raw


# ------------------------------------------------------------------- vocab
@dataclass(frozen=True)
class Vocab:
    """Characters <-> token ids: id i is the i-th character in code-point order."""

    chars: tuple[str, ...]
    _codes: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chars = self.chars
        if not chars or not all(isinstance(c, str) and len(c) == 1 for c in chars):
            raise ValueError(
                f"Vocab: expected a non-empty list of single characters, got {reprlib.repr(chars)}"
            )
        if any(a >= b for a, b in zip(chars, chars[1:], strict=False)):
            raise ValueError(
                "Vocab: characters must be unique and sorted by code point (as to_list() gives)"
            )
        object.__setattr__(self, "chars", tuple(chars))
        object.__setattr__(self, "_codes", np.array([ord(c) for c in chars], dtype=np.int64))

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """The vocabulary of every character that occurs in ``text``."""
        if not isinstance(text, str) or not text:
            raise ValueError("Vocab.from_text: expected a non-empty string")
        return cls(tuple(sorted(set(text))))

    @classmethod
    def from_list(cls, chars: Sequence[str]) -> Vocab:
        """Rebuild from ``to_list()`` output (e.g. read back from JSON)."""
        return cls(tuple(chars))

    def to_list(self) -> list[str]:
        """The characters in id order, JSON-able."""
        return list(self.chars)

    @property
    def size(self) -> int:
        """Number of distinct characters (the RNN's input and output size)."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Token ids of ``text`` as an int64 array of shape (len(text),)."""
        if not isinstance(text, str):
            raise TypeError(f"Vocab.encode: expected a str, got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ids = np.searchsorted(self._codes, codes.astype(np.int64))
        unknown = self._codes[np.minimum(ids, self.size - 1)] != codes
        if unknown.any():
            i = int(np.argmax(unknown))
            raise ValueError(
                f"Vocab.encode: character {text[i]!r} (U+{ord(text[i]):04X}) at position {i} "
                f"is not in the vocabulary of {self.size} characters"
            )
        return ids.astype(np.int64)

    def decode(self, ids: Any) -> str:
        """The text of a 1-D sequence of token ids."""
        array = np.asarray(ids)
        if array.size == 0:
            return ""
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise ValueError(
                f"Vocab.decode: expected a 1-D sequence of integer ids, "
                f"got shape {array.shape} dtype {array.dtype}"
            )
        bad = (array < 0) | (array >= self.size)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"Vocab.decode: id {array[i]} at position {i} is outside the vocabulary "
                f"(expected 0 <= id < {self.size})"
            )
        return "".join(self.chars[i] for i in array.tolist())


# ----------------------------------------------------------------- batches
def sample_batch(ids: Any, seq_len: int, batch_size: int, rng: Rng) -> Batch:
    """``batch_size`` windows at random positions: inputs and targets of shape (T, B)."""
    ids = _check_ids(ids, seq_len, batch_size, "sample_batch")
    if len(ids) < seq_len + 1:
        raise ValueError(
            f"sample_batch: the corpus has {len(ids)} tokens, shorter than one window "
            f"(seq_len {seq_len} + 1 for the shifted targets)"
        )
    starts = _rng(rng, "sample_batch").integers(0, len(ids) - seq_len, size=batch_size)
    index = np.arange(seq_len)[:, None] + starts[None, :]
    return ids[index], ids[index + 1]


def batches(ids: Any, seq_len: int, batch_size: int, rng: Rng) -> Iterator[Batch]:
    """An endless stream of ``sample_batch`` draws from one generator."""
    generator = _rng(rng, "batches")
    while True:
        yield sample_batch(ids, seq_len, batch_size, generator)


def num_windows(n_tokens: int, seq_len: int, batch_size: int) -> int:
    """How many windows ``windows`` yields for a corpus of ``n_tokens`` tokens."""
    return max(n_tokens - 1, 0) // batch_size // seq_len


def windows(ids: Any, seq_len: int, batch_size: int) -> Iterator[Batch]:
    """Contiguous (T, B) windows for truncated BPTT, in order, one pass over the corpus.

    The corpus is cut into ``batch_size`` streams of equal length L (column b
    reads tokens b*L .. b*L + L); window k holds steps k*T .. k*T + T - 1 of
    every stream, so it continues window k-1. A tail shorter than a window is
    dropped.
    """
    ids = _check_ids(ids, seq_len, batch_size, "windows")
    count = num_windows(len(ids), seq_len, batch_size)
    if count == 0:
        raise ValueError(
            f"windows: the corpus has {len(ids)} tokens, too short for one window: needs at "
            f"least batch_size * seq_len + 1 = {batch_size * seq_len + 1}"
        )
    length = (len(ids) - 1) // batch_size
    inputs = ids[: batch_size * length].reshape(batch_size, length).T
    targets = ids[1 : batch_size * length + 1].reshape(batch_size, length).T
    for k in range(count):
        step = slice(k * seq_len, (k + 1) * seq_len)
        yield np.ascontiguousarray(inputs[step]), np.ascontiguousarray(targets[step])


@dataclass(frozen=True)
class CharDataset:
    """A text, its vocabulary and its token ids, with the batching functions as methods."""

    text: str
    vocab: Vocab
    ids: np.ndarray

    @classmethod
    def from_text(cls, text: str, vocab: Vocab | None = None) -> CharDataset:
        """Encode ``text`` with ``vocab`` (default: the vocabulary of ``text`` itself)."""
        vocab = vocab or Vocab.from_text(text)
        return cls(text, vocab, vocab.encode(text))

    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str] | None = None) -> CharDataset:
        """``from_text(load_text(name_or_path))``."""
        return cls.from_text(load_text(name_or_path))

    def sample_batch(self, seq_len: int, batch_size: int, rng: Rng) -> Batch:
        return sample_batch(self.ids, seq_len, batch_size, rng)

    def batches(self, seq_len: int, batch_size: int, rng: Rng) -> Iterator[Batch]:
        return batches(self.ids, seq_len, batch_size, rng)

    def windows(self, seq_len: int, batch_size: int) -> Iterator[Batch]:
        return windows(self.ids, seq_len, batch_size)

    def num_windows(self, seq_len: int, batch_size: int) -> int:
        return num_windows(len(self.ids), seq_len, batch_size)

    def split(self, validation: float) -> tuple[CharDataset, CharDataset]:
        """Contiguous (training, validation) parts: the last ``validation`` fraction is held out.

        ``train, val = CharDataset.load("pydoc").split(0.1)``: ``train`` holds
        the first 90 % of the text, ``val`` the rest. A contiguous cut (not
        random windows) keeps the held-out text unseen, so the validation loss
        measures generalisation. Both parts keep this dataset's vocabulary, so
        an id means the same character in each.
        """
        if isinstance(validation, bool) or not isinstance(validation, float | int):
            raise TypeError(f"CharDataset.split: validation must be a fraction, got {validation!r}")
        if not 0 < validation < 1:
            raise ValueError(
                f"CharDataset.split: validation must be a fraction between 0 and 1 "
                f"(exclusive), got {validation!r}"
            )
        cut = len(self.ids) - round(validation * len(self.ids))
        if min(cut, len(self.ids) - cut) < 2:
            raise ValueError(
                f"CharDataset.split: a {validation} split of {len(self.ids)} characters leaves "
                f"{cut} for training and {len(self.ids) - cut} for validation; each part "
                f"needs at least 2 (an input and its target)"
            )
        return self._part(slice(None, cut)), self._part(slice(cut, None))

    def _part(self, where: slice) -> CharDataset:
        return CharDataset(self.text[where], self.vocab, self.ids[where])


def unigram_perplexity(train: CharDataset, evaluated_on: CharDataset) -> float:
    """Perplexity of the best context-free guess: character frequencies counted on ``train``.

    p(c) = (count_train(c) + 1) / (N + V), add-one smoothing so a character never
    seen in training costs a finite amount; the result is
    exp(-mean over ``evaluated_on`` of log p(c)). A model that beats it has
    learnt something from the context.
    """
    if train.vocab != evaluated_on.vocab:
        raise ValueError(
            "unigram_perplexity: both datasets must share one vocabulary "
            "(use the two parts of CharDataset.split)"
        )
    counts = np.bincount(train.ids, minlength=train.vocab.size) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(np.exp(-log_p[evaluated_on.ids].mean()))


# ---------------------------------------------------------- synthetic tasks
def adding_problem(
    seq_len: int, batch_size: int, rng: Rng, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: add the two marked numbers of a long sequence.

    inputs (T, B, 2): channel 0 holds values ~ U(0, 1); channel 1 is a marker,
    1 at exactly two steps (one in [0, T//2), one in [T//2, T)) and 0 elsewhere.
    targets (B,): the sum of the two marked values. Always answering 1 gives a
    mean squared error of 1/6, the baseline a model must beat.
    """
    _positive_int(seq_len, "seq_len", "adding_problem")
    _positive_int(batch_size, "batch_size", "adding_problem")
    if seq_len < 2:
        raise ValueError(f"adding_problem: seq_len must be >= 2 (two markers), got {seq_len}")
    gen = _rng(rng, "adding_problem")
    values = gen.uniform(0.0, 1.0, size=(seq_len, batch_size))
    half = seq_len // 2
    first = gen.integers(0, half, size=batch_size)
    second = gen.integers(half, seq_len, size=batch_size)
    columns = np.arange(batch_size)
    markers = np.zeros((seq_len, batch_size))
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    targets = values[first, columns] + values[second, columns]
    return np.stack([values, markers], axis=-1).astype(dtype), targets.astype(dtype)


def copy_task(
    batch_size: int, rng: Rng, length: int = 10, delay: int = 10, n_symbols: int = 8
) -> Batch:
    """The copy (memory) task: read ``length`` symbols, wait, then write them back.

    Ids: 0 = blank (``COPY_BLANK``), 1..n_symbols = symbols, n_symbols + 1 =
    the delimiter; the vocabulary size is n_symbols + 2. With L = length and
    T = 2 L + delay + 1, both of shape (T, B), int64:

        inputs : s_1 .. s_L | blank x delay | delimiter | blank x L
        targets: blank x (L + delay + 1)                | s_1 .. s_L

    The model must output blanks until the delimiter, then the symbols. A model
    without memory at best scores a mean cross-entropy of L ln(n_symbols) / T
    over all steps; ``targets[-length:]`` are the recall steps alone.
    """
    for value, name in ((batch_size, "batch_size"), (length, "length"), (n_symbols, "n_symbols")):
        _positive_int(value, name, "copy_task")
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise ValueError(f"copy_task: delay must be an int >= 0, got {delay!r}")
    symbols = _rng(rng, "copy_task").integers(1, n_symbols + 1, size=(length, batch_size))
    steps = 2 * length + delay + 1
    inputs = np.full((steps, batch_size), COPY_BLANK, dtype=np.int64)
    targets = np.full((steps, batch_size), COPY_BLANK, dtype=np.int64)
    inputs[:length] = symbols
    inputs[length + delay] = n_symbols + 1
    targets[-length:] = symbols
    return inputs, targets


# ----------------------------------------------------------------- checks
def _rng(rng: Rng, owner: str) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise TypeError(f"{owner}: rng must be a numpy Generator or an int seed, got {rng!r}")


def _positive_int(value: Any, name: str, owner: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{owner}: {name} must be an int >= 1, got {value!r}")


def _check_ids(ids: Any, seq_len: int, batch_size: int, owner: str) -> np.ndarray:
    """Token ids as a 1-D int64 array, and the window sizes checked."""
    _positive_int(seq_len, "seq_len", owner)
    _positive_int(batch_size, "batch_size", owner)
    array = np.asarray(ids)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(
            f"{owner}: expected a 1-D array of token ids, got shape {array.shape} "
            f"dtype {array.dtype}"
        )
    return array.astype(np.int64)
