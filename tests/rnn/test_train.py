"""Training: learning, clipping, history, checkpoints, exact resume, divergence."""

import importlib
import json
import math

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad import optim
from minigrad.io import CheckpointError
from rnn.data import CharDataset
from rnn.train import DataExhaustedWarning, DivergedError, History, load_model, train

TEXT = "the cat sat on the mat. the dog sat on the log. " * 6


@pytest.fixture
def data():
    return CharDataset.from_text(TEXT)


def small_model(data, **kwargs):
    v = data.vocab.size
    return rnn.RNN(v, 16, v, seed=0, vocab=data.vocab.to_list(), **kwargs)


def test_loss_falls_well_below_chance(data):
    model = small_model(data)
    history = train(model, data, steps=80, bptt=8, batch_size=4, lr=1e-2, progress=False)
    assert len(history) == 80 and len(history.grad_norm) == 80
    assert history.loss[0] == pytest.approx(math.log(data.vocab.size), rel=0.05)
    assert history.smoothed(10)[-1] < 0.6 * math.log(data.vocab.size)
    assert history.perplexity[0] == pytest.approx(math.exp(history.loss[0]))


@pytest.mark.parametrize("make", [rnn.LSTM, rnn.GRU])
@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "adam"])
def test_other_cells_and_optimizers_learn(data, make, optimizer):
    v = data.vocab.size
    model = make(v, 12, v, seed=1)
    history = train(
        model, data, steps=40, bptt=8, batch_size=4, optimizer=optimizer, progress=False
    )
    assert np.mean(history.loss[-5:]) < history.loss[0]


def test_grad_norm_recorded_before_clipping(data):
    model = small_model(data)
    xs, ys = next(data.windows(8, 4))
    rnn.sequence_loss(model(xs)[0], ys).backward()
    expected = math.sqrt(sum(float((p.grad.data**2).sum()) for p in model.parameters()))
    model.zero_grad()
    history = train(
        model,
        data,
        steps=1,
        bptt=8,
        batch_size=4,
        clip=1e-3,
        optimizer="sgd",
        lr=1.0,
        progress=False,
    )
    assert history.grad_norm[0] == pytest.approx(expected, rel=1e-10)


def test_clipping_bounds_the_update(data):
    model = small_model(data)
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    opt = mg.optim.SGD(model.parameters(), lr=1.0)
    train(model, data, steps=1, bptt=8, batch_size=4, clip=1e-3, optimizer=opt, progress=False)
    moved = math.sqrt(
        sum(float(((p.data - before[n]) ** 2).sum()) for n, p in model.named_parameters())
    )
    assert moved == pytest.approx(1e-3, rel=1e-6)  # plain SGD, lr 1: the step is the clipped grad


def random_batches(data, n, seed=0):
    rng = np.random.default_rng(seed)
    return [data.sample_batch(8, 4, rng) for _ in range(n)]


def test_iterable_of_batches_uses_full_bptt_each(data):
    batches = random_batches(data, 5)
    model = small_model(data)
    first = rnn.sequence_loss(model(batches[0][0])[0], batches[0][1]).item()  # from a zero state
    with pytest.warns(DataExhaustedWarning, match="ran out at step 5 of 100"):
        history = train(model, batches, steps=100, progress=False)
    assert len(history) == 5 and history.loss[0] == first


def test_data_running_out_saves_a_checkpoint_and_warns(tmp_path, data):
    path = tmp_path / "ckpt.npz"
    with pytest.warns(DataExhaustedWarning, match=r"ran out at step 5 of 100.*ckpt.npz \(step 5\)"):
        history = train(
            small_model(data),
            random_batches(data, 5),
            steps=100,
            checkpoint=path,
            checkpoint_every=3,
            progress=False,
        )
    ckpt = mg.load(path)
    assert ckpt.metadata["step"] == 5 and ckpt.metadata["history"]["loss"] == history.loss


def test_data_running_out_right_after_a_save_does_not_save_again(tmp_path, data, monkeypatch):
    saved = []
    module = importlib.import_module("rnn.train")  # the package's `train` is the function
    monkeypatch.setattr(module, "save_checkpoint", lambda *args: saved.append(args[3].step))
    with pytest.warns(DataExhaustedWarning, match="ran out at step 4 of 10"):
        train(
            small_model(data),
            random_batches(data, 4),
            steps=10,
            checkpoint=tmp_path / "ckpt.npz",
            checkpoint_every=2,
            progress=False,
        )
    assert saved == [2, 4]


def test_exactly_enough_batches_do_not_warn(data, recwarn):
    history = train(small_model(data), random_batches(data, 3), steps=3, progress=False)
    assert len(history) == 3 and not [w for w in recwarn if w.category is DataExhaustedWarning]


def test_resume_on_a_list_of_batches_skips_the_steps_done(tmp_path, data):
    batches = random_batches(data, 6)
    straight = small_model(data)
    full = train(straight, batches, steps=6, progress=False)
    path = tmp_path / "ckpt.npz"
    train(small_model(data), batches, steps=3, checkpoint=path, progress=False)
    resumed, _ = load_model(path)
    history = train(resumed, batches, steps=6, checkpoint=path, resume=True, progress=False)
    assert history.loss == full.loss  # bitwise: batches 3, 4, 5 after the resume, not 0, 1, 2
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_resume_past_the_end_of_the_data_warns(tmp_path, data):
    batches = random_batches(data, 3)
    path = tmp_path / "ckpt.npz"
    model = small_model(data)
    train(model, batches, steps=3, checkpoint=path, progress=False)
    with pytest.warns(DataExhaustedWarning, match="ran out at step 3 of 5"):
        history = train(model, batches, steps=5, checkpoint=path, resume=True, progress=False)
    assert len(history) == 3


def test_resume_continues_exactly(tmp_path, data):
    straight = small_model(data, dtype=np.float64)
    full = train(straight, data, steps=12, bptt=8, batch_size=4, progress=False)
    path = tmp_path / "ckpt.npz"
    first = small_model(data)
    train(
        first,
        data,
        steps=7,
        bptt=8,
        batch_size=4,
        checkpoint=path,
        checkpoint_every=7,
        progress=False,
    )
    resumed, _ = load_model(path)
    history = train(
        resumed, data, steps=12, bptt=8, batch_size=4, checkpoint=path, resume=True, progress=False
    )
    assert history.loss == full.loss  # bitwise: same windows, state, optimizer moments
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_resume_refuses_another_optimizer(tmp_path, data):
    path = tmp_path / "ckpt.npz"
    model = small_model(data)
    train(model, data, steps=2, bptt=8, batch_size=4, checkpoint=path, progress=False)
    with pytest.raises(ValueError, match="optimizer 'Adam', cannot resume with 'SGD'"):
        train(
            model,
            data,
            steps=4,
            bptt=8,
            batch_size=4,
            checkpoint=path,
            resume=True,
            optimizer="sgd",
            progress=False,
        )
    with pytest.raises(FileNotFoundError, match="existing checkpoint"):
        train(model, data, steps=4, checkpoint=tmp_path / "none.npz", resume=True, progress=False)


def diverge(tmp_path, data) -> tuple:
    """Train with an absurd lr until DivergedError; the checkpoint path and its step."""
    path = tmp_path / "ckpt.npz"
    model = small_model(data, activation="relu")
    with pytest.raises(DivergedError, match=r"(nan|inf).*last good checkpoint: .*ckpt.npz") as err:
        train(
            model,
            data,
            steps=200,
            bptt=8,
            batch_size=4,
            clip=None,
            optimizer="adam",
            lr=1e8,
            checkpoint=path,
            checkpoint_every=1,
            progress=False,
        )
    ckpt = mg.load(path)
    assert f"(step {ckpt.metadata['step']})" in str(err.value)
    assert all(np.isfinite(a).all() for a in ckpt.arrays.values())
    assert len(ckpt.metadata["history"]["loss"]) == ckpt.metadata["step"]
    return path, ckpt.metadata["step"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # lr 1e8 overflows on purpose
def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path, data):
    diverge(tmp_path, data)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # lr 1e8 overflows on purpose
def test_the_good_checkpoint_gives_a_finite_loss_on_the_next_step(tmp_path, data):
    path, step = diverge(tmp_path, data)
    model, _ = load_model(path)
    history = train(  # the step that follows the checkpoint, on the same window and state
        model,
        data,
        steps=step + 1,
        bptt=8,
        batch_size=4,
        clip=None,
        optimizer="adam",
        lr=1e-3,
        checkpoint=path,
        resume=True,
        progress=False,
    )
    assert len(history) == step + 1 and math.isfinite(history.loss[-1])


def test_resume_honours_a_new_lr_and_keeps_the_stored_one_otherwise(tmp_path, data):
    path = tmp_path / "c.npz"
    common = {"bptt": 8, "batch_size": 4, "checkpoint": path, "progress": False}
    train(small_model(data), data, steps=2, lr=0.01, **common)
    train(load_model(path)[0], data, steps=3, resume=True, **common)
    assert mg.load(path).extras["optimizer"]["lr"] == 0.01
    train(load_model(path)[0], data, steps=4, lr=1e-4, resume=True, **common)
    assert mg.load(path).extras["optimizer"]["lr"] == 1e-4


def test_corpus_shorter_than_one_window_is_refused():
    data = CharDataset.from_text("abcdef")
    with pytest.raises(ValueError, match="too short for one window"):
        train(small_model(data), data, steps=2, bptt=8, batch_size=4, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": -1}, "steps >= 0"),
        ({"bptt": 0}, "bptt >= 1"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"clip": 0}, "clip must be > 0"),
        ({"clip": -1.0}, "clip must be > 0"),
        ({"clip": math.nan}, "clip must be > 0"),
    ],
)
def test_bad_settings(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(small_model(data), data, progress=False, **kwargs)


def test_history_round_trip_and_smoothing():
    h = History([4.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert History.from_dict(h.to_dict()) == h
    np.testing.assert_allclose(h.smoothed(2), [4.0, 3.0, 2.5])


def test_load_model_rebuilds_the_architecture(tmp_path, data):
    model = rnn.GRU(
        data.vocab.size, 8, data.vocab.size, seed=2, dtype=np.float32, vocab=data.vocab.to_list()
    )
    path = rnn.save_checkpoint(tmp_path / "g.npz", model, mg.optim.Adam(model.parameters()))
    loaded, ckpt = load_model(path)
    assert type(loaded) is rnn.GRU and loaded.dtype == np.float32
    assert loaded.sample("the", 5, seed=0) == model.sample("the", 5, seed=0)
    with pytest.raises(CheckpointError, match="no model config"):
        mg.save({"x": np.zeros(2)}, tmp_path / "plain.npz")
        load_model(tmp_path / "plain.npz")


def test_float32_training_stays_float32(data):
    model = small_model(data, dtype=np.float32)
    history = train(model, data, steps=5, bptt=8, batch_size=4, progress=False)
    assert all(np.isfinite(history.loss))
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_smoothed_loss_recovers_after_a_huge_spike():
    h = History([5e25, 5e25] + [4.0] * 30, [1.0] * 32)
    smooth = h.smoothed(20)
    assert smooth[-1] == 4.0
    assert smooth[1] == 5e25


def test_resume_refuses_another_bptt_or_batch_size(tmp_path, data):
    path = tmp_path / "c.npz"
    train(small_model(data), data, steps=2, bptt=8, batch_size=4, checkpoint=path, progress=False)
    for kwargs, message in [
        ({"bptt": 6, "batch_size": 4}, "trained with bptt 8; resuming with bptt 6 .--bptt."),
        ({"bptt": 8, "batch_size": 2}, "batch_size 4; resuming with batch_size 2 .--batch-size."),
    ]:
        with pytest.raises(ValueError, match=message):
            train(load_model(path)[0], data, steps=3, checkpoint=path, resume=True, **kwargs)


def test_training_refuses_data_in_another_vocabulary(tmp_path, data):
    other = CharDataset.from_text(TEXT + " xyz")
    with pytest.raises(
        ValueError, match=r"data's vocabulary \(\d+ characters\) is not the model's"
    ):
        train(small_model(data), other, steps=1, bptt=8, batch_size=4, progress=False)


def test_an_interrupt_names_the_last_checkpoint(tmp_path, data, monkeypatch):
    path = tmp_path / "c.npz"
    calls = []

    def interrupt_on_third_step(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(*args)

    real_step = optim.Adam.step
    monkeypatch.setattr(optim.Adam, "step", interrupt_on_third_step)
    common = {"bptt": 8, "batch_size": 4, "checkpoint": path, "progress": False}
    with pytest.raises(KeyboardInterrupt, match=r"last checkpoint \(intact\): .*c.npz \(step 2\)"):
        train(small_model(data), data, steps=10, checkpoint_every=2, **common)
    calls.clear()
    with pytest.raises(KeyboardInterrupt, match="none written yet"):
        train(
            small_model(data),
            data,
            steps=10,
            checkpoint_every=5,
            **{**common, "checkpoint": tmp_path / "d.npz"},
        )


def test_training_refuses_to_replace_a_file_that_is_not_a_checkpoint(tmp_path, data):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    common = {"steps": 1, "bptt": 8, "batch_size": 4, "checkpoint": notes, "progress": False}
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        train(small_model(data), data, **common)
    assert notes.read_text() == "keep me"
    train(small_model(data), data, overwrite=True, **common)
    assert mg.load(notes).metadata["step"] == 1


def _rewrite_metadata(path, change):
    """A copy of the checkpoint at ``path`` with ``change(metadata)`` applied, saved as is."""
    ckpt = mg.load(path)
    metadata = ckpt.metadata
    change(metadata)
    model_entries = {f"params/{k}": v for k, v in ckpt.arrays.items()}
    extras = {f"extras/{g}/{k}": v for g, d in ckpt.extras.items() for k, v in d.items()}
    document = {"format": "minigrad-checkpoint", "version": 1, "metadata": metadata}
    meta = np.frombuffer(json.dumps(document).encode(), np.uint8)
    np.savez(path, __metadata__=meta, **model_entries, **extras)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["config"].update(hidden_size=10**6), "need more weights than the file holds"),
        (lambda m: m["config"].update(hidden_size="16"), "must be ints >= 1"),
        (lambda m: m["config"].update(vocab=["a", "a"] + m["config"]["vocab"][2:]), "'vocab'"),
        (lambda m: m["config"].update(vocab=["ab"] + m["config"]["vocab"][1:]), "'vocab'"),
        (lambda m: m.update(step="3"), "'step'"),
        (lambda m: m.update(history={"loss": [1.0]}), "'history'"),
        (lambda m: m["history"].update(loss=[None, 2.0]), "'history.loss'"),
        (lambda m: m["history"].update(validation="x"), "'history.validation' of .* list"),
        (lambda m: m["history"].update(validation=[[0]]), "'history.validation' .*item 0"),
        (lambda m: m["history"].update(validation=[["0", 1.0]]), "'history.validation'"),
        (lambda m: m["history"].update(validation=[[0, "1"]]), "'history.validation'"),
        (lambda m: m["history"].update(validation=[[99, 1.0]]), r"item 0 is \[99, 1.0\].* to 2"),
        (lambda m: m["history"].update(validation=[[1, 1.0], [1, 2.0]]), "increasing"),
        (lambda m: m["history"].update(samples=[[1, 5]]), "'history.samples' .*item 0"),
        (lambda m: m["history"].update(samples=[[0, "a"]]), "increasing from 1 to 2"),
        (lambda m: m["history"].update(samples=5), "'history.samples'"),
        (lambda m: m.update(validation="x"), "field 'validation' of .* must be null"),
    ],
)
def test_hostile_checkpoint_fields_are_checkpoint_errors(tmp_path, data, change, message):
    path = tmp_path / "c.npz"
    train(small_model(data), data, steps=2, bptt=8, batch_size=4, checkpoint=path, progress=False)
    _rewrite_metadata(path, change)
    with pytest.raises(CheckpointError, match=message):
        model, _ = load_model(path)
        train(model, data, steps=3, bptt=8, batch_size=4, checkpoint=path, resume=True)


# ------------------------------------------------------- validation and samples
def test_validation_is_recorded_at_step_0_every_n_steps_and_at_the_end(data):
    from rnn.evaluation import evaluate

    train_part, held_out = data.split(0.2)
    model = small_model(data)
    history = train(
        model, train_part, steps=25, bptt=8, batch_size=4, lr=1e-2, progress=False,
        validation=held_out, eval_every=10,
    )  # fmt: skip
    assert [step for step, _ in history.validation] == [0, 10, 20, 25]
    assert history.validation[0][1] == pytest.approx(math.log(data.vocab.size), rel=0.05)
    assert history.validation[-1][1] == pytest.approx(evaluate(model, held_out), rel=1e-12)
    assert history.validation[-1][1] < history.validation[0][1] - 0.5
    assert history.validation_perplexity[-1] == (
        25,
        pytest.approx(math.exp(history.validation[-1][1])),
    )


def test_samples_are_printed_and_recorded(data, capsys):
    model = small_model(data)
    history = train(model, data, steps=20, bptt=8, batch_size=4, progress=False, sample_every=10)
    assert [step for step, _ in history.samples] == [10, 20]
    out = capsys.readouterr().out
    for step, text in history.samples:
        assert len(text) == 201 and text[0] == data.text[0] and set(text) <= set(data.text)
        assert f"----- sample at step {step} -----\n{text}\n-----" in out
    assert history.samples[1][1] == data.vocab.decode(
        [int(data.ids[0]), *model.sample([int(data.ids[0])], 200, 1.0, seed=20)]
    )


def test_resume_keeps_the_validation_record(tmp_path, data):
    train_part, held_out = data.split(0.2)
    run = dict(bptt=8, batch_size=4, progress=False, validation=held_out, eval_every=10)
    path = tmp_path / "v.npz"
    first = train(small_model(data), train_part, steps=20, checkpoint=path, **run)
    resumed = train(small_model(data), train_part, steps=30, checkpoint=path, resume=True, **run)
    assert [s for s, _ in resumed.validation] == [0, 10, 20, 30]
    assert resumed.validation[:3] == first.validation


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"eval_every": 0}, ValueError, "eval_every must be an int >= 1"),
        ({"sample_every": -1}, ValueError, "sample_every must be an int >= 0"),
        ({"validation": [1, 2]}, TypeError, "validation must be a CharDataset"),
        ({"validation": CharDataset.from_text("xyz")}, ValueError, "vocabulary of 3 characters"),
    ],
)
def test_bad_validation_settings(data, kwargs, error, message):
    with pytest.raises(error, match=message):
        train(small_model(data), data, steps=1, progress=False, **kwargs)


def test_samples_need_text(data):
    batches = [next(data.windows(8, 4))]
    with pytest.raises(ValueError, match="sample_every needs a CharDataset"):
        train(small_model(data), batches, steps=1, progress=False, sample_every=1)


def test_history_round_trip_with_validation_and_samples():
    h = History([4.0, 2.0], [1.0, 1.0], [(0, 4.5), (2, 3.0)], [(2, "the cat")])
    assert History.from_dict(h.to_dict()) == h
    assert History.from_dict({"loss": [1.0], "grad_norm": [2.0]}) == History([1.0], [2.0])


def test_progress_bar_is_text_on_stderr_in_a_terminal(capsys):
    from rnn.train import progress_bar

    bar = progress_bar(total=3, desc="here")
    bar.update(3)
    bar.close()
    captured = capsys.readouterr()
    assert "here" in captured.err and captured.out == ""


def test_progress_bar_in_a_kernel_without_ipywidgets_is_text_on_stdout(monkeypatch, capsys):
    import sys

    from tqdm import std

    from rnn.train import progress_bar

    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # any module: "running in a kernel"
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else real_find_spec(name, *a),
    )
    bar = progress_bar(total=3, desc="here")
    bar.update(3)
    bar.close()
    captured = capsys.readouterr()
    assert type(bar) is std.tqdm and "here" in captured.out and captured.err == ""


def test_perplexities_past_the_float_range_are_inf_not_an_error():
    history = History([2.0, 709.0, 710.0, math.inf], [1.0] * 4, validation=[(0, 1.5), (4, 800.0)])
    assert history.perplexity == [math.exp(2.0), math.exp(709.0), math.inf, math.inf]
    assert history.validation_perplexity == [(0, math.exp(1.5)), (4, math.inf)]


# ---------------------------------------- resuming keeps the held-out text
def _run(data, path, validation, steps, resume=False):
    train_part, held_out = data.split(validation) if validation else (data, None)
    model = load_model(path)[0] if resume else small_model(data)
    return train(
        model, train_part, steps=steps, bptt=8, batch_size=4, checkpoint=path, resume=resume,
        progress=False, validation=held_out, eval_every=1,
    )  # fmt: skip


@pytest.mark.parametrize("other", [0.3, None])
def test_resuming_with_another_held_out_text_is_refused(tmp_path, data, other):
    path = tmp_path / "c.npz"
    _run(data, path, 0.2, steps=2)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"validated on a held-out text of \d+ characters"):
        _run(data, path, other, steps=3, resume=True)
    assert path.read_bytes() == before
    history = _run(data, path, 0.2, steps=3, resume=True)
    assert [step for step, _ in history.validation] == [0, 1, 2, 3]


def test_a_run_without_validation_resumes_only_without(tmp_path, data):
    path = tmp_path / "c.npz"
    _run(data, path, None, steps=2)
    with pytest.raises(ValueError, match="validated on no held-out text; resuming with a held"):
        _run(data, path, 0.2, steps=3, resume=True)
    assert len(_run(data, path, None, steps=3, resume=True)) == 3
