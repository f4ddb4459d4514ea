"""Tutorial 1's exercise: two_layer.

One layer is `(x @ w + b).tanh()`, exactly as above; the second layer takes
the first one's output as its input.
"""


def two_layer(x, w1, b1, w2, b2):
    hidden = (x @ w1 + b1).tanh()
    return (hidden @ w2 + b2).tanh()
