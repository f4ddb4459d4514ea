"""Tutorial 2's exercises: the chain rule by hand (hand_gradients), your own engine (Value).

Name the inner value s = a·b + a, so L = tanh(s) and dL/ds = 1 - tanh(s)².
Then ds/db = a, and ds/da = b + 1: one term from each use of a.
"""

import math

import numpy as np


def hand_gradients(a: float, b: float) -> tuple[float, float]:
    s = a * b + a
    dL_ds = 1 - np.tanh(s) ** 2
    return dL_ds * (b + 1), dL_ds * a


class Value:
    """A scalar that remembers its inputs and the local derivative towards each.

    backward() lists the graph in topological order with an explicit stack (no
    recursion, so deep chains work), then walks it in reverse, adding
    local derivative × gradient into every input's .grad.
    """

    def __init__(self, data, inputs=(), local_grads=()):
        self.data = float(data)
        self.grad = 0.0
        self.inputs = inputs
        self.local_grads = local_grads

    def __add__(self, other):
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((i, False) for i in node.inputs)
        self.grad = 1.0
        for node in reversed(order):
            for inp, local in zip(node.inputs, node.local_grads, strict=True):
                inp.grad += local * node.grad
