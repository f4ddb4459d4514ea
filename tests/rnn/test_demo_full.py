"""``make demo`` at its full size, as the README reports it: the numbers and the sample
the README quotes are the ones it prints, and every sample it prints is fit to print."""

import contextlib
import io
import re
from pathlib import Path

import pytest
from wordfilter import unfit_words

from rnn.demo import run_demo

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    lines = []
    samples = io.StringIO()  # train prints its samples to stdout
    with contextlib.redirect_stdout(samples):
        run_demo(tmp_path_factory.mktemp("demo"), progress=False, say=lines.append)
    return samples.getvalue(), "\n".join(lines)


def test_prints_a_sample_every_500_steps_all_fit_to_print(printed):
    samples, said = printed
    steps = [int(n) for n in re.findall(r"----- sample at step (\d+) -----", samples)]
    assert steps == [500, 1000, 1500, 2000, 2500]
    assert unfit_words(samples + said) == []


def test_the_readme_quotes_what_it_prints(printed):
    _, said = printed
    readme = re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))
    found = re.search(r"training ([\d.]+) .*validation ([\d.]+) .*unigram baseline ([\d.]+)", said)
    assert found, said
    training, validation, unigram = (float(x) for x in found.groups())
    stated = (
        f"a perplexity of {training:.1f} on the end of its training text and {validation:.1f} "
        f"on the held-out text, against {unigram:.1f} for the unigram baseline"
    )
    assert stated in readme
    sample = next(line for line in said.splitlines() if line.startswith("sample after training"))
    assert sample in README.read_text(encoding="utf-8")
