"""Global switches of the engine: grad mode, name scopes and anomaly mode.

Every tensor created while recording reads these switches:

- ``no_grad()`` / ``enable_grad()`` decide whether ops record the graph;
- ``scope("t=3")`` tags the tensors created inside (nested scopes join with
  ``/``), which the renderer uses to draw one cluster per scope;
- ``detect_anomaly()`` makes the engine check every gradient for NaN/inf and
  remember where each op was created in the forward pass;
- ``arrays`` is the engine's own: while a first-order backward rule runs, the
  ops it calls take and return plain numpy arrays (``function.py``).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar, cast

_F = TypeVar("_F", bound=Callable[..., Any])


class _Mode:
    """The switches, in one place so a reader can see them all."""

    grad_enabled: bool = True
    scopes: list[str] = []
    scope_name: str = ""
    anomaly: bool = False
    arrays: bool = False  # set by the engine while a first-order backward rule runs


MODE = _Mode()


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward."""
    return MODE.grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager (and decorator) that sets grad mode and restores it."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.saved: list[bool] = []

    def __enter__(self) -> None:
        self.saved.append(MODE.grad_enabled)
        MODE.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        MODE.grad_enabled = self.saved.pop()

    def __call__(self, func: _F) -> _F:
        """Decorate ``func``; a generator function gets the mode each time it resumes."""
        if not inspect.isgeneratorfunction(func):
            return super().__call__(func)

        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            inner = func(*args, **kwargs)
            resume: Callable[[], Any] = lambda: next(inner)  # noqa: E731
            while True:
                with self:  # only while the generator's own code runs, not between yields
                    try:
                        value = resume()
                    except StopIteration as stop:
                        return stop.value
                try:
                    sent = yield value
                except GeneratorExit:
                    with self:
                        inner.close()
                    raise
                except BaseException as err:  # noqa: B036 (thrown in: passed on)
                    resume = functools.partial(inner.throw, err)
                else:
                    resume = functools.partial(inner.send, sent)

        return cast(_F, generator)


def no_grad() -> _GradMode:
    """Stop recording: ops inside return tensors without a graph.

    Use as ``with mg.no_grad(): ...`` or as a decorator ``@mg.no_grad()``.
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Record again inside a ``no_grad`` block."""
    return _GradMode(True)


class scope:  # noqa: N801 (used like a function: ``with mg.scope("t=3"):``)
    """Tag every tensor created inside with ``name`` (nested: ``outer/inner``).

    ``with mg.scope("t=3") as full_name:`` gives the joined name.
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"scope: expected a non-empty string name, got {name!r}")
        self.name = name

    def __enter__(self) -> str:
        MODE.scopes.append(self.name)
        MODE.scope_name = "/".join(MODE.scopes)
        return MODE.scope_name

    def __exit__(self, *exc: object) -> None:
        MODE.scopes.pop()
        MODE.scope_name = "/".join(MODE.scopes)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` when backward produces a NaN or inf.

    Ops created inside remember the line of the forward pass that made them,
    and the error names the op and that line.
    """
    saved = MODE.anomaly
    MODE.anomaly = True
    try:
        yield
    finally:
        MODE.anomaly = saved
