"""The benchmark's baselines compute what they claim, and its targets table reads right."""

import sys

import numpy as np
import pytest

from bench.__main__ import CONFIGS, Config, config_env, summary
from bench.rnn import Case, _measure, floor_step
from bench.timing import Check, page_faults
from rnn import reference


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_floor_gives_the_hand_derived_loss_and_gradients(dtype: type) -> None:
    rng = np.random.default_rng(0)
    vocab, hidden, T, batch = 7, 5, 6, 3
    params = {
        "U": rng.standard_normal((hidden, vocab)),
        "W": rng.standard_normal((hidden, hidden)) * 0.5,
        "V": rng.standard_normal((vocab, hidden)),
        "b": rng.standard_normal(hidden),
        "c": rng.standard_normal(vocab),
    }
    params = {k: v.astype(dtype) for k, v in params.items()}
    xs = rng.integers(0, vocab, (T, batch))
    ys = rng.integers(0, vocab, (T, batch))
    loss, grads = floor_step(params, xs, ys)
    want_loss, want = reference.loss_and_grads(params, xs, ys)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    assert loss == pytest.approx(want_loss, rel=tol)
    for k in "UWVbc":
        np.testing.assert_allclose(grads[k], want[k], rtol=tol, atol=tol)


def test_targets_table_has_a_row_per_target_and_a_column_per_configuration() -> None:
    first, second = list(dict.fromkeys(config.label for config in CONFIGS))[:2]
    checks = {
        first: {"a <= 1.0": Check("a <= 1.0", 0.8, 1.0), "b <= 2.0": Check("b <= 2.0", 3.0, 2.0)},
        second: {"a <= 1.0": Check("a <= 1.0", 1.2, 1.0)},
    }
    lines = summary(checks).splitlines()
    assert len(lines) == 2 + 2
    assert lines[2].startswith("| a <= 1.0 | 0.80x met | 1.20x NOT met |")
    assert lines[3].startswith("| b <= 2.0 | 3.00x NOT met | - |")


def test_page_faults_count_first_touches_of_fresh_memory() -> None:
    kept = []

    def touch_fresh_memory() -> None:  # 16 MiB that stays alive: always new pages
        kept.extend(np.ones(1 << 20, dtype=np.uint8) for _ in range(16))

    faults = page_faults(touch_fresh_memory)
    if faults is None:
        pytest.skip("resource.getrusage is Unix-only")
    assert faults >= 8  # one per page; even 2 MiB huge pages give 8


def test_each_configuration_starts_without_glibc_tuning_and_with_its_own_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1")
    monkeypatch.setenv("MINIGRAD_KEEP_MEMORY", "0")
    monkeypatch.setenv("MINIGRAD_COLLECT_LESS", "0")
    plain = config_env(Config("default", "rnn"))
    assert "MALLOC_TRIM_THRESHOLD_" not in plain and "MINIGRAD_KEEP_MEMORY" not in plain
    assert "MINIGRAD_COLLECT_LESS" not in plain
    opted_out = config_env(Config("as it comes", "rnn", env=(("MINIGRAD_KEEP_MEMORY", "0"),)))
    assert opted_out["MINIGRAD_KEEP_MEMORY"] == "0"


def test_rnn_row_says_which_peers_are_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("torch", "autograd"):
        monkeypatch.setitem(sys.modules, name, None)  # makes ``import name`` fail
    tiny = Case("tiny", 2, 5, 3, 4, {"reference": 1.1})
    row, checks = _measure(tiny, np.dtype(np.float64), repeats=1, with_peers=True)
    assert row[5:8] == ["not installed"] * 3
    assert [c.target for c in checks] == ["tiny float64: time / reference <= 1.1"]
