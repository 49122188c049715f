import numpy as np


def forward(X, params):
    Z1 = np.einsum("mn,nh->mh", X, params["W1"]) + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.einsum("mh,ho->mo", A1, params["W2"]) + params["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.einsum("mh,mo->ho", A1, dZ2) / m
    db2 = np.einsum("mo->o", dZ2)[None, :] / m
    dA1 = np.einsum("mo,ho->mh", dZ2, params["W2"])
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = np.einsum("mn,mh->nh", X, dZ1) / m
    db1 = np.einsum("mh->h", dZ1)[None, :] / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
