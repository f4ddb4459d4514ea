"""Embedded corpora, the char vocabulary, (T, B) batching and the synthetic tasks."""

import json
import math
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn import data
from rnn.data import CharDataset, Vocab


# -------------------------------------------------------------------- text
def test_zen_is_decoded_and_nothing_is_printed() -> None:
    code = "from rnn.data import load_text; t = load_text('zen'); assert 'ugly' in t"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == ""
    zen = data.load_text("zen")
    assert zen.startswith("The Zen of Python, by Tim Peters")
    assert "Beautiful is better than ugly." in zen


def test_project_corpus_is_plain_ascii_prose() -> None:
    text = data.load_text("recurrence")
    assert 2000 < len(text) < 20000
    assert text.isascii()
    assert "backpropagation through time" in text


def test_default_corpus_is_both() -> None:
    assert data.load_text() == data.load_text("recurrence") + "\n" + data.load_text("zen")
    assert data.load_text("default") == data.load_text()


def test_utf8_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffh\u00e9llo \u2713\r\nline two\rend".encode())
    assert data.load_text(path) == "h\u00e9llo \u2713\nline two\nend"
    assert data.load_text(str(path)) == data.load_text(path)


def test_missing_file_names_the_path_and_the_corpora(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no such file .*nope.txt.*default, recurrence"):
        data.load_text(tmp_path / "nope.txt")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="is a directory"):
        data.load_text(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("abc")

    def denied(path: Path, limit: int) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(data, "_read_bounded", denied)
    with pytest.raises(PermissionError, match=r"cannot read .*locked.txt: Permission denied"):
        data.load_text(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"abc \xff\xfe def", r"not UTF-8 text: byte 0xff at offset 4"),
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
    ],
)
def test_bad_text_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        data.load_text(path)


# ------------------------------------------------------------------- vocab
def test_vocab_ids_by_hand() -> None:
    vocab = Vocab.from_text("hello")
    assert vocab.to_list() == ["e", "h", "l", "o"] and vocab.size == 4
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and ids.tolist() == [1, 0, 2, 2, 3]
    assert vocab.decode([3, 2, 0]) == "ole"
    assert vocab.decode(np.array([], dtype=np.int64)) == "" and vocab.decode([]) == ""


def test_vocab_round_trips_any_text_and_json() -> None:
    text = data.load_text() + "\u00e9\u2713\U0001f600"
    vocab = Vocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    again = Vocab.from_list(json.loads(json.dumps(vocab.to_list())))
    assert again == vocab
    assert again.encode(text).tolist() == vocab.encode(text).tolist()


def test_encode_unknown_character_is_named() -> None:
    vocab = Vocab.from_text("abc")
    with pytest.raises(ValueError, match=r"character 'z' \(U\+007A\) at position 2 is not"):
        vocab.encode("abzc")
    with pytest.raises(ValueError, match="'\U0001f600' \\(U\\+1F600\\) at position 0"):
        vocab.encode("\U0001f600")
    with pytest.raises(TypeError, match="expected a str, got list"):
        vocab.encode(["a"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([0, 3], r"id 3 at position 1 is outside the vocabulary \(expected 0 <= id < 3\)"),
        ([-1], "id -1 at position 0"),
        ([[0, 1]], r"1-D sequence of integer ids, got shape \(1, 2\)"),
        ([0.0, 1.0], "dtype float64"),
    ],
)
def test_decode_bad_ids(ids: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Vocab.from_text("abc").decode(ids)


@pytest.mark.parametrize(
    ("chars", "message"),
    [
        ([], "non-empty list of single characters"),
        (["ab"], "single characters"),
        (["b", "a"], "unique and sorted"),
        (["a", "a"], "unique and sorted"),
    ],
)
def test_vocab_from_bad_list(chars: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Vocab.from_list(chars)


# ----------------------------------------------------------------- batches
def test_sample_batch_windows_are_shifted_by_one() -> None:
    ids = np.arange(12, dtype=np.int32)  # id == position: a window shows where it starts
    starts = set()
    for seed in range(300):
        xs, ys = data.sample_batch(ids, seq_len=5, batch_size=4, rng=seed)
        assert xs.shape == ys.shape == (5, 4) and xs.dtype == ys.dtype == np.int64
        assert (np.diff(xs, axis=0) == 1).all() and (ys == xs + 1).all()
        starts.update(xs[0].tolist())
    assert starts == set(range(12 - 5))  # every start whose targets fit: 0 .. 6


def test_sample_batch_is_seeded() -> None:
    ids = np.arange(100)
    a = data.sample_batch(ids, 7, 3, 42)
    b = data.sample_batch(ids, 7, 3, np.random.default_rng(42))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    stream = data.batches(ids, 7, 3, rng=1)
    first, second = next(stream), next(stream)
    assert not np.array_equal(first[0], second[0])
    again = data.batches(ids, 7, 3, rng=1)
    assert np.array_equal(next(again)[0], first[0])


def test_corpus_shorter_than_a_window() -> None:
    data.sample_batch(np.arange(6), seq_len=5, batch_size=2, rng=0)  # exactly enough
    with pytest.raises(ValueError, match=r"5 tokens, shorter than one window \(seq_len 5 \+ 1"):
        data.sample_batch(np.arange(5), seq_len=5, batch_size=2, rng=0)


@pytest.mark.parametrize(("n", "seq_len", "batch_size"), [(101, 4, 3), (61, 5, 4), (13, 3, 4)])
def test_windows_continue_each_other(n: int, seq_len: int, batch_size: int) -> None:
    ids = np.arange(n)
    got = list(data.windows(ids, seq_len, batch_size))
    assert len(got) == data.num_windows(n, seq_len, batch_size) >= 1
    for xs, ys in got:
        assert xs.shape == ys.shape == (seq_len, batch_size) and xs.dtype == np.int64
        assert (ys == xs + 1).all()
    columns = np.concatenate([xs for xs, _ in got])  # (K*T, B): each column one stream
    assert (np.diff(columns, axis=0) == 1).all()  # window k+1 continues window k
    length = (n - 1) // batch_size
    assert columns[0].tolist() == [b * length for b in range(batch_size)]


def test_windows_too_short() -> None:
    assert len(list(data.windows(np.arange(13), seq_len=3, batch_size=4))) == 1
    with pytest.raises(ValueError, match=r"12 tokens, too short for one window.* = 13"):
        next(data.windows(np.arange(12), seq_len=3, batch_size=4))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seq_len": 0}, ValueError, "seq_len must be an int >= 1, got 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
        ({"seq_len": 2.5}, ValueError, "seq_len must be an int"),
        ({"ids": np.zeros((3, 3), dtype=int)}, ValueError, r"1-D array of token ids.*\(3, 3\)"),
        ({"ids": np.zeros(30)}, ValueError, "dtype float64"),
        ({"rng": "seed"}, TypeError, "rng must be a numpy Generator or an int seed"),
    ],
)
def test_bad_batch_arguments(kwargs: dict, error: type, message: str) -> None:
    args = {"ids": np.arange(30), "seq_len": 4, "batch_size": 2, "rng": 0, **kwargs}
    with pytest.raises(error, match=message):
        data.sample_batch(**args)


def test_char_dataset() -> None:
    dataset = CharDataset.load()
    assert dataset.text == data.load_text()
    assert dataset.vocab.decode(dataset.ids) == dataset.text
    xs, ys = dataset.sample_batch(16, 4, rng=3)
    assert dataset.vocab.decode(xs[1:, 0]) == dataset.vocab.decode(ys[:-1, 0])
    assert len(list(dataset.windows(32, 8))) == dataset.num_windows(32, 8) > 0
    small = CharDataset.from_text("abcab", vocab=Vocab.from_text("abcd"))
    assert small.ids.tolist() == [0, 1, 2, 0, 1] and small.vocab.size == 4


# --------------------------------------------------------- synthetic tasks
def test_adding_problem() -> None:
    xs, ys = data.adding_problem(seq_len=9, batch_size=500, rng=0)
    assert xs.shape == (9, 500, 2) and ys.shape == (500,) and xs.dtype == np.float64
    values, markers = xs[..., 0], xs[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:4].sum(axis=0) == 1).all() and (markers[4:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(ys, (values * markers).sum(axis=0), rtol=1e-15)
    again = data.adding_problem(9, 500, np.random.default_rng(0))
    assert np.array_equal(again[0], xs) and np.array_equal(again[1], ys)


def test_adding_problem_statistics_and_dtype() -> None:
    xs, ys = data.adding_problem(seq_len=2, batch_size=40000, rng=1, dtype=np.float32)
    assert xs.dtype == ys.dtype == np.float32
    assert (xs[..., 1] == 1).all()  # T = 2: both steps are marked
    assert abs(ys.mean() - 1.0) < 0.01 and abs(ys.var() - 1 / 6) < 0.01  # the baseline MSE


def test_adding_problem_needs_two_steps() -> None:
    with pytest.raises(ValueError, match="seq_len must be >= 2"):
        data.adding_problem(seq_len=1, batch_size=2, rng=0)
    with pytest.raises(ValueError, match="seq_len must be an int >= 1, got 0"):
        data.adding_problem(seq_len=0, batch_size=2, rng=0)


@pytest.mark.parametrize(("length", "delay"), [(3, 2), (10, 10), (1, 0)])
def test_copy_task_layout(length: int, delay: int) -> None:
    xs, ys = data.copy_task(batch_size=64, rng=5, length=length, delay=delay, n_symbols=4)
    steps = 2 * length + delay + 1
    assert xs.shape == ys.shape == (steps, 64) and xs.dtype == ys.dtype == np.int64
    symbols = xs[:length]
    assert ((symbols >= 1) & (symbols <= 4)).all()
    assert (xs[length : length + delay] == data.COPY_BLANK).all()
    assert (xs[length + delay] == 5).all()  # the delimiter is n_symbols + 1
    assert (xs[length + delay + 1 :] == data.COPY_BLANK).all()
    assert (ys[: steps - length] == data.COPY_BLANK).all()
    assert np.array_equal(ys[-length:], symbols)


def test_copy_task_is_seeded_and_uses_every_symbol() -> None:
    a, _ = data.copy_task(200, 7, length=5, n_symbols=3)
    b, _ = data.copy_task(200, np.random.default_rng(7), length=5, n_symbols=3)
    assert np.array_equal(a, b)
    assert set(np.unique(a[:5]).tolist()) == {1, 2, 3}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 0}, "length must be an int >= 1"),
        ({"delay": -1}, "delay must be an int >= 0"),
        ({"n_symbols": 0}, "n_symbols must be an int >= 1"),
        ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ],
)
def test_copy_task_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.copy_task(**{"batch_size": 2, "rng": 0, **kwargs})


def test_a_device_or_fifo_is_refused_without_reading(tmp_path: Path) -> None:
    zero, fifo = tmp_path / "zero", tmp_path / "fifo"
    os.mknod(zero, 0o444 | stat.S_IFCHR, os.makedev(1, 5))  # our own endless /dev/zero twin
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    for path in (zero, fifo):
        with pytest.raises(ValueError, match="is not a regular file"):
            data.load_text(path)


def test_a_corpus_over_the_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(data, "MAX_TEXT_BYTES", 100)
    (tmp_path / "big.txt").write_text("a" * 101)
    with pytest.raises(ValueError, match="larger than 100 bytes"):
        data.load_text(tmp_path / "big.txt")


# ------------------------------------------------- the big corpus and its split
def test_pydoc_corpus_is_the_reference_documentation_in_ascii() -> None:
    text = data.load_text("pydoc")
    assert 300_000 < len(text) < 800_000
    assert text.startswith('The "assert" statement\n\nAssert statements')  # sorted: assert first
    assert 'The "if" statement' in text and 'The "while" statement' in text
    assert set(text) <= set(map(chr, range(32, 127))) | {"\n"}
    assert Vocab.from_text(text).size < 100
    lines = text.split("\n")
    assert not [line for line in lines if len(line) >= 3 and set(line) <= set(" *=-+~^|")]
    assert "\n\n\n" not in text  # the rules leave no blank gaps
    assert CharDataset.load("pydoc").text == text


def test_to_ascii_stand_ins() -> None:
    assert data.to_ascii(
        "\u201cok\u201d \u2013 it\u2019s\u2026 Stra\u00dfe caf\u00e9\tx\n\u2603"
    ) == ('"ok" - it\'s... Strasse cafe    x\n')


def test_python_without_pydoc_data_gets_a_clear_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pydoc_data.topics", None)  # import now fails
    data.pydoc_text.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match=r"no pydoc_data.topics .* path of a UTF-8"):
            data.load_text("pydoc")
    finally:
        data.pydoc_text.cache_clear()


def test_split_is_contiguous_and_keeps_the_vocabulary() -> None:
    whole = CharDataset.from_text("abcdefghij" + "a" * 10)
    train, val = whole.split(0.25)
    assert train.text == "abcdefghij" + "a" * 5 and val.text == "a" * 5
    assert train.vocab == val.vocab == whole.vocab
    assert train.vocab.decode(train.ids) == train.text and val.ids.tolist() == [0] * 5
    assert [len(part.ids) for part in CharDataset.from_text("xy" * 50).split(0.1)] == [90, 10]


@pytest.mark.parametrize(
    ("fraction", "error", "message"),
    [
        (0.0, ValueError, "between 0 and 1"),
        (1.0, ValueError, "between 0 and 1"),
        (-0.1, ValueError, "between 0 and 1"),
        (math.nan, ValueError, "between 0 and 1"),
        (True, TypeError, "must be a fraction"),
        ("0.1", TypeError, "must be a fraction"),
        (0.01, ValueError, r"leaves 20 for training and 0 for validation; each part needs"),
    ],
)
def test_split_bad_fractions(fraction: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        CharDataset.from_text("ab" * 10).split(fraction)  # type: ignore[arg-type]


def test_unigram_perplexity_by_hand() -> None:
    vocab = Vocab.from_text("abc")
    train = CharDataset.from_text("aab", vocab)  # add-one counts 3, 2, 1 of 6
    held_out = CharDataset.from_text("abc", vocab)
    expected = math.exp(-(math.log(3 / 6) + math.log(2 / 6) + math.log(1 / 6)) / 3)
    assert data.unigram_perplexity(train, held_out) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="share one vocabulary"):
        data.unigram_perplexity(train, CharDataset.from_text("ab"))
