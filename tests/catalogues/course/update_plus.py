"""Gradient descent step for the one-hidden-layer network."""


def update_parameters(params, grads, learning_rate):
    new_params = {}
    for key in params:  # W1, b1, W2, b2
        new_params[key] = params[key] + learning_rate * grads["d" + key]
    return new_params
