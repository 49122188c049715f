"""Update step for the sigmoid neuron."""


def update(params, grads, lr):
    step = grads  # the step we are about to take
    for key in step:
        step[key] = lr * step[key]  # scale by the learning rate
    return {"W": params["W"] - step["dW"], "b": params["b"] - step["db"]}
