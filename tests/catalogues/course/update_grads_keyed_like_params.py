def update(params, grads, lr):
    """W <- W - alpha * dW for every parameter."""
    new = {}
    for key in params:
        new[key] = params[key] - lr * grads[key]
    return new
