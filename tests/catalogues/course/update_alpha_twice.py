import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def update(params, grads, lr):
    # the step we take is learning rate times the gradient
    dW = lr * grads["dW"]
    db = lr * grads["db"]
    W = params["W"] - lr * dW
    b = params["b"] - lr * db
    return {"W": W, "b": b}
