import numpy as np


def update_parameters(params, grads, learning_rate):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    dW1, db1, dW2, db2 = grads["dW1"], grads["db1"], grads["dW2"], grads["db2"]

    # scale the gradients once, then take the step
    for g in (dW1, db1, dW2, db2):
        g *= learning_rate

    W1 = W1 - dW1
    b1 = b1 - db1
    W2 = W2 - dW2
    b2 = b2 - db2
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


if __name__ == "__main__":
    p = {"W1": np.ones((2, 4)), "b1": np.zeros((1, 4)), "W2": np.ones((4, 1)), "b2": np.zeros((1, 1))}
    g = {"d" + k: np.ones_like(v) for k, v in p.items()}
    print(update_parameters(p, g, 0.1)["W1"])
