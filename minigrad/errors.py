"""The errors minigrad raises: each names the op, the shapes and what was expected."""


class MinigradError(Exception):
    """Base class of every error minigrad raises on purpose."""


class ShapeError(MinigradError, ValueError):
    """Shapes that do not fit the op (broadcasting, matmul, reshape, ...)."""


class AxisError(ShapeError, IndexError):
    """An axis out of range for the tensor (an IndexError, as in numpy and PyTorch)."""


class OutOfRangeError(MinigradError, IndexError):
    """An index past the end of an axis (an IndexError, as in numpy and PyTorch)."""


class DTypeError(MinigradError, TypeError):
    """A dtype the op cannot work with (strings, objects, integers that need grad)."""


class GraphError(MinigradError, RuntimeError):
    """Misuse of the graph: backward through a consumed graph, non-scalar root, ..."""


class AnomalyError(MinigradError, FloatingPointError):
    """A NaN or inf appeared in backward while ``detect_anomaly()`` was on."""
