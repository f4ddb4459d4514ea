# %% [markdown]
# # 4. Checking gradients
#
# **You will learn**
#
# - how to estimate a derivative with finite differences, and why the
#   **central** difference beats the forward one;
# - why the check must run in **float64**;
# - how `mg.gradcheck` compares every derivative of a function with finite
#   differences, and what its failure report looks like;
# - how to write your own operation (softplus) as a `Function`, break its
#   backward on purpose and watch `gradcheck` catch it;
# - how to property-test an op over many random inputs with Hypothesis and
#   `minigrad.testing`.
#
# You need tutorials 1–3. This one also uses Hypothesis, installed with the
# `learn` extra (`pip install -e '.[learn]'`; `make venv` includes it).

# %%
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from hypothesis import given, settings

import minigrad as mg
from minigrad.testing import assert_grad_matches, tensors

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## Finite differences by hand
#
# The derivative is a limit: f'(x) = lim (f(x + ε) - f(x)) / ε as ε -> 0. With
# a small but finite ε we get an estimate, the **forward difference**. Taylor's
# formula says how wrong it is:
#
#     f(x + ε) = f(x) + ε f'(x) + ε²/2 f''(x) + ...
#     (f(x + ε) - f(x)) / ε = f'(x) + ε/2 f''(x) + ...        error ~ ε
#
# The **central difference** uses one point on each side. Write out both
# expansions to third order:
#
#     f(x + ε) = f(x) + ε f'(x) + ε²/2 f''(x) + ε³/6 f'''(x) + ...
#     f(x - ε) = f(x) - ε f'(x) + ε²/2 f''(x) - ε³/6 f'''(x) + ...
#
# Subtracting, the even terms (f(x) and ε² f'') cancel:
#
#     (f(x + ε) - f(x - ε)) / 2ε = f'(x) + ε²/6 f'''(x) + ...   error ~ ε²
#
# For tanh every term is known: with t = tanh(x), f' = 1 - t²,
# f'' = -2t(1 - t²) and f''' = (6t² - 2)(1 - t²). At x = 0.5 the leading
# terms predict both errors to a few percent:

# %%
x0 = 0.5
t0 = np.tanh(x0)
exact = 1 - t0**2  # f'(x0)
second = -2 * t0 * (1 - t0**2)  # f''(x0)
third = (6 * t0**2 - 2) * (1 - t0**2)  # f'''(x0)
for eps in (1e-2, 1e-3):
    forward = (np.tanh(x0 + eps) - np.tanh(x0)) / eps
    central = (np.tanh(x0 + eps) - np.tanh(x0 - eps)) / (2 * eps)
    print(f"eps={eps:g}")
    print(f"  forward error {forward - exact:+.4e}   ε/2 · f''  = {eps / 2 * second:+.4e}")
    print(f"  central error {central - exact:+.4e}   ε²/6 · f''' = {eps**2 / 6 * third:+.4e}")
    assert np.isclose(forward - exact, eps / 2 * second, rtol=0.05)
    assert np.isclose(central - exact, eps**2 / 6 * third, rtol=0.05)

# %% [markdown]
# ## Why float64
#
# Shrinking ε does not help forever. f(x + ε) and f(x) are rounded to the
# precision of the float type (about 1e-16 relative for float64, 1e-7 for
# float32), and dividing their difference by ε magnifies that rounding error
# to ~ precision / ε. The total error is smallest somewhere in between. The
# plot shows both effects. In float32 the best error is thousands of times
# worse than in float64, and at the ε = 1e-6 that gradient checks use, the
# float32 estimate is off in the second or third digit — too coarse to tell a
# correct gradient from a slightly wrong one.

# %%
epsilons = np.logspace(-12, -1, 45)
curves = {}
for dtype in (np.float64, np.float32):
    x = dtype(x0)
    for kind in ("forward", "central"):
        errors = []
        for e in epsilons:
            e = dtype(e)
            if kind == "forward":
                estimate = (np.tanh(x + e) - np.tanh(x)) / e
            else:
                estimate = (np.tanh(x + e) - np.tanh(x - e)) / (2 * e)
            errors.append(max(abs(float(estimate) - exact), 1e-17))
        curves[f"{kind}, {np.dtype(dtype).name}"] = errors

fig, ax = plt.subplots(figsize=(6.4, 4))
for label, errors in curves.items():
    ax.loglog(epsilons, errors, label=label, ls="--" if "32" in label else "-")
ax.set_xlabel("step ε")
ax.set_ylabel("|estimate - exact derivative|")
ax.set_title("finite differences of tanh at x = 0.5")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "04_finite_differences.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
at_1e6 = int(np.argmin(abs(np.log10(epsilons) + 6)))
for label, errors in curves.items():
    print(f"{label:17}: smallest error {min(errors):.0e}, at eps=1e-6 {errors[at_1e6]:.0e}")
print("saved", OUT / "04_finite_differences.png")
fig

# %% [markdown]
# ## `gradcheck`
#
# `mg.gradcheck(fn, *inputs)` does this for every element of every input that
# requires grad, and for every element of the output: it compares the
# gradient from backward with a central difference (ε = 1e-6, in float64) and
# accepts |analytic - numeric| <= atol + rtol·|numeric|. It returns True, or
# raises `mg.GradcheckError` with a table of the mismatches.

# %%
rng = np.random.default_rng(0)
x = mg.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
w = mg.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
print("tanh(x @ w):", mg.gradcheck(lambda x, w: (x @ w).tanh(), x, w))

# %% [markdown]
# ## Your own operation: softplus
#
# softplus(x) = log(1 + exp(x)) is a smooth relu. Its derivative is the
# sigmoid: d/dx log(1 + eˣ) = eˣ / (1 + eˣ) = σ(x).
#
# An operation is a subclass of `mg.Function` with two methods:
#
# - `forward(self, x)` works on numpy arrays and returns the result;
# - `backward(self, grad, out, x)` receives dL/dy (`grad`), the output `out`
#   and the op's inputs (here one, `x`), and returns a tuple with dL/dx for
#   each input, written with minigrad operations (so the gradient can itself
#   be differentiated).
#
# minigrad's own ops go one step further: in a plain `backward()` nothing
# in a rule needs recording, so the engine hands their rules `grad`, `out`
# and the inputs as numpy arrays, and the minigrad operations a rule calls
# return arrays; with `create_graph=True` they are Tensors and the rule's ops
# are recorded. The same rule serves both, and the tests check both give the
# same numbers. Your own op gets Tensors either way, unless its class sets
# `rule_on_arrays = True`: on a numpy array, `.std()` or `.repeat()` mean
# something else than on a Tensor.
#
# The first line of the docstring is the formula that `draw` and
# `backward_steps` show. `Softplus.apply(x)` runs it and records it in the
# graph. For the forward we use `np.logaddexp(0, x)` = log(e⁰ + eˣ), which
# does not overflow for large x the way `np.log(1 + np.exp(x))` would.


# %%
class Softplus(mg.Function):
    """y = log(1 + exp(x));  dy/dx = sigmoid(x)"""

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def backward(self, grad, out, x):
        return (grad * x.sigmoid(),)


def softplus(x):
    return Softplus.apply(x)


y = softplus(x)
print(y.op, "|", y.formula)
print("softplus(1000) =", softplus(mg.Tensor(1000.0)).item(), "(no overflow)")
print("gradcheck:", mg.gradcheck(softplus, x))

# %% [markdown]
# Because `backward` is written with minigrad operations, the second
# derivative comes for free; `gradgradcheck` checks it against finite
# differences of the first derivative.

# %%
print("gradgradcheck:", mg.gradgradcheck(softplus, x))

# %% [markdown]
# ## Break it on purpose
#
# A classic slip: using the output instead of the input, `grad * out.sigmoid()`.
# It runs, the shapes are right, the numbers look plausible — and they are
# wrong. `gradcheck` names the input, the element, and both values.


# %%
class BrokenSoftplus(Softplus):
    """y = log(1 + exp(x));  dy/dx = sigmoid(y)  (wrong on purpose)"""

    def backward(self, grad, out, x):
        return (grad * out.sigmoid(),)


def broken_softplus(x):
    return BrokenSoftplus.apply(x)


try:
    mg.gradcheck(broken_softplus, x)
except mg.GradcheckError as err:
    print(err)

# %% [markdown]
# ## Property tests with Hypothesis
#
# One input is one example. A property test checks a statement on many
# generated inputs, and on failure shrinks to a small counterexample.
# `minigrad.testing` provides strategies (`tensors(shape=...)` draws leaf
# tensors with values in [-3, 3]) and `assert_grad_matches(fn, *inputs)`,
# gradcheck as an assertion (`second_order=True` checks the gradient of the
# gradient too, like `gradgradcheck`). `@given` runs the function on drawn
# inputs; `@settings` sets how many.


# %%
@settings(max_examples=25, deadline=None)
@given(tensors(shape=(2, 3)))
def test_softplus_gradient(x):
    assert_grad_matches(softplus, x, second_order=True)


test_softplus_gradient()
print("softplus: gradient matches finite differences on 25 random inputs")

# %% [markdown]
# The broken version fails everywhere, so the very first input fails. A bug
# that hides in one region shows what Hypothesis does with a failure. Say a
# "fast path" uses dy/dx = 1 for large x, where softplus(x) ≈ x, but starts
# it far too early, at x > 1. Hypothesis finds an input with an element above
# 1, then *shrinks* it: it tries simpler inputs (zeros, numbers closer to 0)
# for as long as the test still fails, and reports the simplest. The test
# records every input it is called with; Hypothesis calls it once more with
# the shrunk input at the end, to report it.


# %%
class FastPathSoftplus(Softplus):
    """y = log(1 + exp(x));  dy/dx = 1 for x > 1 (too early), else sigmoid(x)"""

    def backward(self, grad, out, x):
        fast = (x.data > 1.0).astype(float)
        return (grad * (x.sigmoid() * (1 - fast) + fast),)


def fast_path_softplus(x):
    return FastPathSoftplus.apply(x)


tried = []


@settings(max_examples=50, deadline=None, database=None, derandomize=True)
@given(tensors(shape=(3,)))
def test_fast_path(x):
    tried.append(x.data.copy())
    assert_grad_matches(fast_path_softplus, x)


try:
    test_fast_path()
except AssertionError as err:
    print("caught:", str(err).splitlines()[0])
first_failure = next(x for x in tried if (x > 1).any())
print(f"{len(tried)} inputs tried; first failing {first_failure}; shrunk to {tried[-1]}")
assert (tried[-1] > 1).any() and np.abs(tried[-1]).sum() <= np.abs(first_failure).sum()

# %% [markdown]
# The shrunk input says it all: zeros everywhere except one element just past
# the bug's threshold (Hypothesis prefers whole numbers, so "just past 1" is
# 2). That is the example to debug with, instead of the random one it first
# stumbled on.

# %% [markdown]
# ## Exercise: your own op, checked
#
# Write `LogCosh`, an op computing y = log(cosh(x)) (a smooth version of |x|
# used as a robust loss), and `log_cosh(x)` that applies it. Work out its
# derivative, write `forward` on numpy arrays and `backward` with minigrad
# operations. The check verifies the values against numpy, makes sure a large
# input does not overflow, and checks the gradient (and its gradient) with
# `gradcheck`, `gradgradcheck` and a Hypothesis property.
#
# Hint: d/dx log(cosh x) = sinh x / cosh x. For the forward, log(cosh x) =
# |x| + log(1 + e^(-2|x|)) - log 2 never overflows.


# %%
def check_log_cosh(log_cosh):
    log_cosh = answer_or_solution(log_cosh, "checking_gradients", "log_cosh")
    report = Report("check_log_cosh: your op against numpy, gradcheck and Hypothesis")
    z = mg.Tensor(np.linspace(-4, 4, 9), requires_grad=True)
    report.compare("log_cosh(z), z = -4 ... 4", log_cosh(z).data, np.log(np.cosh(z.data)))
    report.compare(
        "log_cosh(1000), no overflow", log_cosh(mg.Tensor(1000.0)).data, 1000 - np.log(2)
    )
    report.runs("gradcheck: dy/dz", lambda: mg.gradcheck(log_cosh, z))
    report.runs("gradgradcheck: d²y/dz²", lambda: mg.gradgradcheck(log_cosh, z))

    @settings(max_examples=25, deadline=None)
    @given(tensors(shape=(3,)))
    def gradient_matches(x):
        assert_grad_matches(log_cosh, x, second_order=True)

    report.runs("Hypothesis: 25 random inputs", gradient_matches)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/checking_gradients.py`) instead.

# %%
log_cosh = None  # your answer here

# %%
check_log_cosh(log_cosh)
