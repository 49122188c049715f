"""Update for a network with L layers: W[l] = W[l] - alpha * dW[l], b[l] = b[l] - alpha * db[l]."""


def update(params, grads, lr):
    params = dict(params)
    L = len(params) // 2  # number of layers
    for l in range(1, L):
        params["W" + str(l)] = params["W" + str(l)] - lr * grads["dW" + str(l)]
        params["b" + str(l)] = params["b" + str(l)] - lr * grads["db" + str(l)]
    return params
