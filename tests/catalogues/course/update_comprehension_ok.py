def update(params, grads, lr):
    """W <- W - alpha dW for every parameter (W, b)."""
    return {name: value - lr * grads["d" + name] for name, value in params.items()}
