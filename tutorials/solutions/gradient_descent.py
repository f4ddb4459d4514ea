"""Tutorial 5's exercise: gradient descent with momentum, written out.

The velocity starts as the first gradient (buf = g at step 1), then
buf = mu * buf + g; every step moves p by -lr * buf.
"""

import numpy as np


def momentum_descent(loss_fn, params, steps, lr, mu):
    velocity = [None] * len(params)
    losses = []
    for _ in range(steps):
        for p in params:
            p.zero_grad()
        loss = loss_fn()
        loss.backward()
        for i, p in enumerate(params):
            g = p.grad.data
            velocity[i] = g.copy() if velocity[i] is None else mu * velocity[i] + g
            p.data -= lr * velocity[i]
        losses.append(loss.item())
    return np.array(losses)
