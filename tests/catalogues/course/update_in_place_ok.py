"""One gradient-descent step, done in place (saves copying the arrays every iteration)."""


def update_parameters(params, grads, learning_rate):
    for name in params:
        params[name] -= learning_rate * grads["d" + name]
    return params
