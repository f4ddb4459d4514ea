"""The PyTorch bridge: names, shapes, dtypes, metadata, exact round trips, refusals, safe saving.

PyTorch is not needed: its side is checked against the equations it documents
for torch.nn.RNN / LSTM / GRU and torch.nn.Linear, written out in numpy below
with its two biases per gate, reading the file through ``safetensors.numpy``.
"""

import fcntl
import json
import os
import stat

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import minigrad as mg
import rnn
from minigrad.io import CheckpointError
from rnn.__main__ import main

I, H, O = 5, 4, 6  # input, hidden, output sizes
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}  # gate blocks per cell, from PyTorch's docs
CELLS = [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", None), ("GRU", None)]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]


def make(kind, activation, dtype=np.float64, seed=0, vocab=None):
    """A model with random (non-zero) biases, so a bias mix-up shows in the logits."""
    if kind == "RNN":
        model = rnn.RNN(I, H, O, activation, dtype=dtype, seed=seed, vocab=vocab)
    else:
        model = getattr(rnn, kind)(I, H, O, dtype=dtype, seed=seed, vocab=vocab)
    gen = np.random.default_rng(seed + 100)
    for p in (model.b, model.c):
        p.data[:] = gen.normal(0, 0.5, p.shape)
    return model


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def torch_logits(t, ids, kind, nonlinearity="tanh"):
    """torch.nn.{RNN,LSTM,GRU}(one layer, batch_first=False) then nn.Linear, on one-hot ids."""
    w_ih, w_hh, b_ih, b_hh = (
        t[f"rnn.{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )
    x = np.eye(w_ih.shape[1])[ids]  # (T, B, input)
    h = c = np.zeros((ids.shape[1], w_hh.shape[1]))
    out = []
    for x_t in x:
        if kind == "RNN":
            pre = x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            h = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)
        elif kind == "LSTM":
            i, f, g, o = np.split(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            x_r, x_z, x_n = np.split(x_t @ w_ih.T + b_ih, 3, axis=1)
            h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=1)
            r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
            n = np.tanh(x_n + r * h_n)
            h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out) @ t["head.weight"].T + t["head.bias"]


SEQ = np.random.default_rng(7).integers(0, I, size=(9, 3))


def exported(tmp_path, model, name="model.safetensors"):
    path = rnn.to_pytorch(model, tmp_path / name)
    return path, safetensors.numpy.load_file(str(path))


def file_metadata(path):
    with safetensors.safe_open(str(path), framework="numpy") as f:
        return f.metadata()


def bits(array):
    return array.view(np.uint8 if array.dtype.itemsize == 1 else f"u{array.dtype.itemsize}")


# ------------------------------------------------------------------ export
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("kind", "activation"), CELLS, ids=IDS)
def test_keys_shapes_dtypes_are_pytorchs(tmp_path, kind, activation, dtype):
    _, t = exported(tmp_path, make(kind, activation, dtype))
    g = GATES[kind]
    expected = {
        "rnn.weight_ih_l0": (g * H, I),
        "rnn.weight_hh_l0": (g * H, H),
        "rnn.bias_ih_l0": (g * H,),
        "rnn.bias_hh_l0": (g * H,),
        "head.weight": (O, H),
        "head.bias": (O,),
    }
    assert {k: v.shape for k, v in t.items()} == expected
    assert {v.dtype for v in t.values()} == {np.dtype(dtype)}


@pytest.mark.parametrize(("kind", "activation"), CELLS, ids=IDS)
def test_tensors_are_the_parameters_and_the_hidden_bias_is_zero(tmp_path, kind, activation):
    model = make(kind, activation)
    _, t = exported(tmp_path, model)
    pairs = [("rnn.weight_ih_l0", model.U), ("rnn.weight_hh_l0", model.W)]
    pairs += [("rnn.bias_ih_l0", model.b), ("head.weight", model.V), ("head.bias", model.c)]
    for key, param in pairs:
        assert np.array_equal(bits(t[key]), bits(param.data)), key
    assert np.array_equal(t["rnn.bias_hh_l0"], np.zeros(GATES[kind] * H))


def test_metadata_holds_config_and_vocab_as_strings(tmp_path):
    vocab = ["a", "b", "ç", "\n", " ", "€"]
    model = make("RNN", "relu", vocab=vocab)
    path, _ = exported(tmp_path, model)
    meta = file_metadata(path)
    assert all(isinstance(v, str) for v in meta.values())
    assert meta["format"] == "minigrad-rnn-pytorch" and meta["version"] == "1"
    assert json.loads(meta["vocab"]) == vocab
    assert json.loads(meta["config"]) == {
        "class": "RNN",
        "activation": "relu",
        "input_size": I,
        "hidden_size": H,
        "output_size": O,
        "dtype": "float64",
    }
    assert meta["torch"] == "torch.nn.RNN(5, 4, nonlinearity='relu'); torch.nn.Linear(4, 6)"


@pytest.mark.parametrize(("kind", "activation"), CELLS, ids=IDS)
def test_pytorch_equations_on_the_file_give_minigrads_logits(tmp_path, kind, activation):
    model = make(kind, activation)
    _, t = exported(tmp_path, model)
    logits, _ = model(SEQ)
    np.testing.assert_allclose(
        torch_logits(t, SEQ, kind, activation or "tanh"), logits.data, rtol=0, atol=1e-13
    )


# ------------------------------------------------------------------ import
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("kind", "activation"), CELLS, ids=IDS)
def test_round_trip_is_bitwise_exact(tmp_path, kind, activation, dtype):
    model = make(kind, activation, dtype, vocab=list("abcdef"))
    model.b.data[0] = -0.0  # a sign that b + 0.0 would lose
    model.V.data[0, 0] = np.finfo(dtype).smallest_subnormal
    path, _ = exported(tmp_path, model)
    back = rnn.from_pytorch(path)
    assert type(back) is type(model) and back.config() == model.config()
    ours, theirs = dict(model.named_parameters()), dict(back.named_parameters())
    assert ours.keys() == theirs.keys()
    for name, p in ours.items():
        assert p.dtype == theirs[name].dtype, name
        assert np.array_equal(bits(p.data), bits(theirs[name].data)), name
    assert np.array_equal(model(SEQ)[0].data, back(SEQ)[0].data)


@pytest.mark.parametrize(("kind", "activation"), CELLS, ids=IDS)
def test_a_file_pytorch_wrote_imports_with_both_biases_folded(tmp_path, kind, activation):
    """No minigrad metadata, non-zero bias_hh (the GRU's candidate block aside)."""
    gen = np.random.default_rng(3)
    g = GATES[kind]
    t = {
        "rnn.weight_ih_l0": gen.normal(size=(g * H, I)),
        "rnn.weight_hh_l0": gen.normal(0, 0.4, size=(g * H, H)),
        "rnn.bias_ih_l0": gen.normal(size=g * H),
        "rnn.bias_hh_l0": gen.normal(size=g * H),
        "head.weight": gen.normal(size=(O, H)),
        "head.bias": gen.normal(size=O),
    }
    if kind == "GRU":
        t["rnn.bias_hh_l0"][2 * H :] = 0.0
    # safetensors.torch.save_model writes {"format": "pt"}: the shapes decide
    safetensors.numpy.save_file(t, str(tmp_path / "torch.safetensors"), metadata={"format": "pt"})
    model = rnn.from_pytorch(tmp_path / "torch.safetensors", nonlinearity=activation)
    assert type(model).__name__ == kind and model.vocab is None
    expected = torch_logits(t, SEQ, kind, activation or "tanh")
    np.testing.assert_allclose(model(SEQ)[0].data, expected, rtol=0, atol=1e-12)


def pytorch_file(tmp_path, kind="GRU", **changes):
    """A file as to_pytorch writes it, with tensors replaced (None: removed)."""
    path, t = exported(tmp_path, make(kind, "tanh"), "base.safetensors")
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            del t[key]
        else:
            t[key] = value
    out = tmp_path / "changed.safetensors"
    safetensors.numpy.save_file(t, str(out), metadata=file_metadata(path))
    return out


def candidate_bias():
    b = np.zeros(3 * H)
    b[2 * H + 1] = 0.3
    return b


REFUSALS = {
    "gru-candidate-bias": (
        dict(rnn__bias_hh_l0=candidate_bias()),
        ["'rnn.bias_hh_l0'", "candidate", f"[{2 * H}:{3 * H}]"],
    ),
    "two-layers": (dict(rnn__weight_ih_l1=np.zeros((3 * H, H))), ["'rnn.weight_ih_l1'", "layer"]),
    "bidirectional": (
        dict(rnn__weight_ih_l0_reverse=np.zeros((3 * H, I))),
        ["'rnn.weight_ih_l0_reverse'", "bidirectional"],
    ),
    "projection": (dict(rnn__weight_hr_l0=np.zeros((2, H))), ["'rnn.weight_hr_l0'", "proj_size"]),
    "unknown-key": (dict(extra=np.zeros(2)), ["'extra'"]),
    "missing": (dict(head__bias=None), ["'head.bias'", "missing"]),
    "shape": (dict(head__weight=np.zeros((O, H + 1))), ["'head.weight'", "(6, 5)", "(6, 4)"]),
    "float16": (dict(head__bias=np.zeros(O, np.float16)), ["'head.bias'", "F16"]),
    "int": (dict(rnn__bias_ih_l0=np.zeros(3 * H, np.int64)), ["'rnn.bias_ih_l0'", "I64"]),
    "mixed-floats": (
        dict(head__bias=np.zeros(O, np.float32)),
        ["'head.bias'", "dtype F32; expected F64"],
    ),
}


@pytest.mark.parametrize(("changes", "words"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refuses_what_minigrad_cannot_hold_naming_the_tensor(tmp_path, changes, words):
    path = pytorch_file(tmp_path, **changes)
    with pytest.raises(CheckpointError) as err:
        rnn.from_pytorch(path)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_refuses_bfloat16_by_name_from_the_header(tmp_path):
    """numpy has no bfloat16: the header's dtype is read before any tensor is."""
    _, t = exported(tmp_path, make("GRU", None))
    header, offset = {}, 0
    for key, array in t.items():
        size = array.size * (2 if key == "head.weight" else 8)
        dtype = "BF16" if key == "head.weight" else "F64"
        header[key] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(offset))
    with pytest.raises(CheckpointError, match="'head.weight' .* has dtype BF16"):
        rnn.from_pytorch(path)


def test_refuses_an_lstm_file_whose_config_says_gru(tmp_path):
    path, t = exported(tmp_path, make("LSTM", None))
    meta = file_metadata(path)
    config = json.loads(meta["config"]) | {"class": "GRU"}
    safetensors.numpy.save_file(t, str(path), metadata=meta | {"config": json.dumps(config)})
    with pytest.raises(CheckpointError, match=r"'rnn.weight_ih_l0'.*\(16, 5\).*GRU.*\(12, 5\)"):
        rnn.from_pytorch(path)


@pytest.mark.parametrize(
    ("meta", "match"),
    [
        ({"version": "2"}, "version '2'"),
        ({"config": "{not json"}, "not valid JSON"),
        ({"config": "[1, 2]"}, "not a JSON object"),
        ({"config": '{"class": "Transformer"}'}, "invalid model config: field 'class'"),
        ({"vocab": "[1, 2]"}, "not a list of strings"),
    ],
)
def test_refuses_bad_metadata(tmp_path, meta, match):
    path, t = exported(tmp_path, make("GRU", None))
    safetensors.numpy.save_file(t, str(path), metadata=file_metadata(path) | meta)
    with pytest.raises(CheckpointError, match=match):
        rnn.from_pytorch(path)


def test_nonlinearity_is_needed_only_where_the_weights_do_not_say_it(tmp_path):
    path, t = exported(tmp_path, make("RNN", "relu"))
    with pytest.raises(ValueError, match="exported with nonlinearity 'relu'"):
        rnn.from_pytorch(path, nonlinearity="tanh")
    assert rnn.from_pytorch(path, nonlinearity="relu").cell.activation == "relu"
    bare = tmp_path / "bare.safetensors"
    safetensors.numpy.save_file(t, str(bare))
    with pytest.raises(ValueError, match="pass nonlinearity='tanh' or 'relu'"):
        rnn.from_pytorch(bare)
    gru_path, _ = exported(tmp_path, make("GRU", None), "gru.safetensors")
    with pytest.raises(ValueError, match="torch.nn.RNN only"):
        rnn.from_pytorch(gru_path, nonlinearity="tanh")


def test_refuses_a_hidden_weight_of_no_known_cell(tmp_path):
    t = safetensors.numpy.load_file(str(exported(tmp_path, make("GRU", None))[0]))
    t["rnn.weight_hh_l0"] = np.zeros((2 * H, H))  # two blocks: no such cell
    safetensors.numpy.save_file(t, str(tmp_path / "odd.safetensors"))
    with pytest.raises(CheckpointError, match=r"'rnn.weight_hh_l0'.*\(8, 4\)"):
        rnn.from_pytorch(tmp_path / "odd.safetensors")


def test_refuses_what_is_not_a_safetensors_file(tmp_path):
    (tmp_path / "notes.txt").write_text("not tensors")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        rnn.from_pytorch(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError):
        rnn.from_pytorch(tmp_path / "absent.safetensors")
    with pytest.raises(IsADirectoryError, match="is a directory, not a regular file"):
        rnn.from_pytorch(tmp_path)


# ------------------------------------------------------------------ saving safely
def test_never_replaces_a_file_it_did_not_write_unless_told(tmp_path):
    notes = tmp_path / "notes.safetensors"
    notes.write_text("my notes")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        rnn.to_pytorch(make("GRU", None), notes)
    assert notes.read_text() == "my notes"
    rnn.to_pytorch(make("GRU", None), notes, overwrite=True)
    assert type(rnn.from_pytorch(notes)) is rnn.GRU


def test_replaces_its_own_file_and_keeps_its_mode(tmp_path):
    path, _ = exported(tmp_path, make("GRU", None))
    os.chmod(path, 0o600)
    rnn.to_pytorch(make("LSTM", None), path)
    assert type(rnn.from_pytorch(path)) is rnn.LSTM
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("fail", ["replace", "fsync"])
def test_a_failed_export_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch, fail):
    path, _ = exported(tmp_path, make("GRU", None))
    before = path.read_bytes()

    def broken(*args):
        raise OSError(f"{fail} failed")

    monkeypatch.setattr(os, fail, broken)
    with pytest.raises(OSError, match=f"{fail} failed"):
        rnn.to_pytorch(make("LSTM", None), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_an_interrupted_export_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        rnn.to_pytorch(make("GRU", None), tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_the_next_export_removes_a_killed_exports_temp_file_only(tmp_path):
    path, _ = exported(tmp_path, make("GRU", None))
    abandoned = tmp_path / f".{path.name}.minigrad-save-dead.tmp"
    abandoned.write_bytes(b"half an export")  # its writer was killed: nobody locks it
    busy = tmp_path / f".{path.name}.minigrad-save-busy.tmp"
    with open(busy, "wb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # as an export in progress holds it
        rnn.to_pytorch(make("LSTM", None), path)
        assert sorted(p.name for p in tmp_path.iterdir()) == [busy.name, path.name]
    assert type(rnn.from_pytorch(path)) is rnn.LSTM


def test_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path):
        with pytest.raises(FileExistsError, match="not a regular file"):
            rnn.to_pytorch(make("GRU", None), target, overwrite=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rnn.to_pytorch(make("GRU", None), tmp_path / "no" / "model.safetensors")
    with pytest.raises(TypeError, match="expected an rnn.RNN, LSTM or GRU"):
        rnn.to_pytorch(mg.nn.Linear(2, 3), tmp_path / "linear.safetensors")


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target, _ = exported(tmp_path, make("GRU", None), "target.safetensors")
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    rnn.to_pytorch(make("LSTM", None), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert type(rnn.from_pytorch(target)) is rnn.LSTM


# ------------------------------------------------------------------ command line
def test_export_command_writes_what_the_checkpoint_holds(tmp_path, capsys):
    model = make("LSTM", None, vocab=list("abcdef"))
    mg.save(model, tmp_path / "ckpt.npz")
    out = tmp_path / "model.safetensors"
    assert main(["export", str(tmp_path / "ckpt.npz"), str(out)]) == 0
    assert f"wrote {out}: torch.nn.LSTM(5, 4); torch.nn.Linear(4, 6)" in capsys.readouterr().out
    back = rnn.from_pytorch(out)
    assert back.vocab == list("abcdef")
    assert np.array_equal(back(SEQ)[0].data, model(SEQ)[0].data)


def test_export_command_refuses_a_foreign_file_without_force(tmp_path, capsys):
    mg.save(make("GRU", None), tmp_path / "ckpt.npz")
    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    assert main(["export", str(tmp_path / "ckpt.npz"), str(out)]) == 1
    assert "--force" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main(["export", str(tmp_path / "ckpt.npz"), str(out), "--force"]) == 0
    assert main(["export", str(tmp_path / "absent.npz"), str(out)]) == 1


# ------------------------------------------------- the header checked before building
def _with_metadata(tmp_path, model, **meta):
    """``model`` exported, then its metadata fields replaced by ``meta`` (strings)."""
    path, t = exported(tmp_path, model)
    safetensors.numpy.save_file(t, str(path), metadata=file_metadata(path) | meta)
    return path


def _never_built(monkeypatch):
    def build(config):
        raise AssertionError(f"built a model from {str(config)[:80]} before checking the file")

    monkeypatch.setattr(rnn.export, "build", build)


@pytest.mark.parametrize("hidden", [3000, 20000])
def test_a_tiny_file_claiming_a_huge_model_is_refused_before_building(
    tmp_path, monkeypatch, hidden
):
    model = make("RNN", "tanh")
    config = json.dumps(model.config() | {"hidden_size": hidden, "vocab": None})
    path = _with_metadata(tmp_path, model, config=config)
    assert path.stat().st_size < 2000
    _never_built(monkeypatch)
    with pytest.raises(
        CheckpointError, match=rf"'rnn.weight_ih_l0' .* \(4, 5\); .*\({hidden}, 5\)"
    ):
        rnn.from_pytorch(path)


def test_a_header_declaring_more_bytes_than_the_file_holds_is_refused(tmp_path):
    header = {key: {"dtype": "F64", "shape": [20000, 20000], "data_offsets": [0, 8 * 20000**2]}
              for key in ["rnn.weight_ih_l0"]}  # fmt: skip
    text = json.dumps(header).encode()
    path = tmp_path / "claims.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(64))
    with pytest.raises(CheckpointError, match=r"'rnn.weight_ih_l0' of shape \[20000, 20000\]"):
        rnn.from_pytorch(path)


def test_overlapping_tensors_are_refused(tmp_path):
    header = {"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
              "b": {"dtype": "F64", "shape": [2], "data_offsets": [8, 24]}}  # fmt: skip
    text = json.dumps(header).encode()
    path = tmp_path / "overlap.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(24))
    with pytest.raises(CheckpointError, match="tensors 'a' and 'b' overlap"):
        rnn.from_pytorch(path)


DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_CONFIGS = {
    "deep-field": (lambda c: c | {"hidden_size": "DEEP"}, "nested too deeply"),
    "repeated-vocab": (lambda c: c | {"vocab": ["ab"] * O}, "'vocab'"),
    "empty-vocab": (lambda c: c | {"vocab": [""] * O}, "'vocab'"),
    "short-vocab": (lambda c: c | {"vocab": list("abc")}, "'vocab'"),
    "unknown-field": (lambda c: c | {"layers": 2}, "unknown fields ['layers']"),
    "dtype": (lambda c: c | {"dtype": "float16"}, "'dtype'"),
    "activation": (lambda c: c | {"activation": "gelu"}, "'activation'"),
}


@pytest.mark.parametrize(("change", "words"), HOSTILE_CONFIGS.values(), ids=HOSTILE_CONFIGS)
def test_load_model_and_from_pytorch_refuse_a_config_alike(tmp_path, monkeypatch, change, words):
    from rnn.train import load_model

    model = make("RNN", "tanh", vocab=list("abcdef"))
    config = change(model.config())
    text = json.dumps(config).replace('"DEEP"', DEEP)
    vocab = json.dumps(config.pop("vocab"))
    path = _with_metadata(tmp_path, model, config=text, vocab=vocab)
    ckpt = tmp_path / "m.npz"
    mg.save(model, ckpt)
    document = {"format": "minigrad-checkpoint", "version": 1,
                "metadata": mg.load(ckpt).metadata | {"config": "CONFIG"}}  # fmt: skip
    raw = json.dumps(document).replace('"CONFIG"', text).encode()
    arrays = {f"params/{k}": v for k, v in mg.load(ckpt).arrays.items()}
    np.savez(ckpt, __metadata__=np.frombuffer(raw, np.uint8), **arrays)
    _never_built(monkeypatch)
    with pytest.raises(CheckpointError) as by_export:
        rnn.from_pytorch(path)
    with pytest.raises(CheckpointError) as by_load:
        load_model(ckpt)
    assert words in str(by_export.value), str(by_export.value)[:300]
    if words == "nested too deeply":  # refused as JSON, before it is a config
        assert "metadata of" in str(by_load.value) and "not valid JSON" in str(by_load.value)
    else:
        why = str(by_export.value).split("invalid model config: ")[1]
        assert str(by_load.value).endswith(why.replace(str(path), str(ckpt)))


def test_a_version_of_other_digits_is_refused_by_name(tmp_path):
    path = _with_metadata(tmp_path, make("GRU", None), version="¹")
    with pytest.raises(CheckpointError, match="format version '¹'"):
        rnn.from_pytorch(path)


def test_an_rnn_config_without_activation_says_so(tmp_path):
    model = make("RNN", "relu")
    config = model.config()
    del config["activation"]
    path = _with_metadata(tmp_path, model, config=json.dumps(config))
    with pytest.raises(ValueError, match="metadata's config has no 'activation'; pass nonlin"):
        rnn.from_pytorch(path)
    assert rnn.from_pytorch(path, nonlinearity="relu").cell.activation == "relu"


def test_a_file_name_of_255_bytes_can_be_exported(tmp_path):
    path = tmp_path / ("m" * 243 + ".safetensors")
    rnn.to_pytorch(make("GRU", None), path)
    assert type(rnn.from_pytorch(path)) is rnn.GRU
    assert os.listdir(tmp_path) == [path.name]


def _raw_safetensors(path, header_text: bytes, data: bytes = bytes(16)):
    path.write_bytes(len(header_text).to_bytes(8, "little") + header_text + data)
    return path


GOOD = {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ({"a": GOOD | {"dtype": ["F64"]}}, "dtype ['F64']"),
        ({"a": GOOD | {"shape": "x"}}, "shape 'x'"),
        ({"a": GOOD | {"shape": [-2]}}, "shape [-2]"),
        ({"a": GOOD | {"data_offsets": [0]}}, "data_offsets [0]"),
        ({"a": GOOD | {"data_offsets": [8, 0]}}, "declared at bytes [8, 0]"),
        ({"a": GOOD | {"shape": [3]}}, "of shape [3] dtype 'F64' is declared at bytes [0, 16]"),
        ({"a": [1, 2]}, "tensor 'a' has no dtype"),
        ({"__metadata__": None, "a": GOOD}, "__metadata__ is not a map of strings"),
        ({"__metadata__": {"format": 1}, "a": GOOD}, "__metadata__ is not a map of strings"),
        ([GOOD], "not a JSON object"),
    ],
)
def test_a_malformed_header_is_refused_by_name(tmp_path, header, words):
    path = _raw_safetensors(tmp_path / "bad.safetensors", json.dumps(header).encode())
    with pytest.raises(CheckpointError, match="not a readable safetensors file") as err:
        rnn.from_pytorch(path)
    assert words in str(err.value)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "not valid JSON"),
        (DEEP.encode(), "nested too deeply"),
        (b"\xff\xfe{}", "not valid JSON"),
    ],
)
def test_a_header_that_is_not_json_is_refused(tmp_path, raw, words):
    path = _raw_safetensors(tmp_path / "bad.safetensors", raw)
    with pytest.raises(CheckpointError, match=words):
        rnn.from_pytorch(path)


def test_a_header_longer_than_the_file_is_refused(tmp_path):
    path = tmp_path / "short.safetensors"
    path.write_bytes((10**6).to_bytes(8, "little") + b"{}")
    with pytest.raises(CheckpointError, match="a header of 1000000 bytes in a file of 10"):
        rnn.from_pytorch(path)
