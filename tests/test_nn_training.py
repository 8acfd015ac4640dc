"""End to end: a small CNN learns generated 16x16 images (bars and crosses) to high held-out
accuracy with an optimizer from tinygrad_opt.optim; the MLP learns a nonlinear 2-D task."""

import numpy as np

from tinygrad_opt import Tensor, loss, manual_seed, models, nn, no_grad, optim


def make_images(n, seed):
    """Three classes: a horizontal bar, a vertical bar, a cross, at random places and
    widths, on noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.25, (n, 1, 16, 16)).astype(np.float32)
    y = rng.integers(0, 3, n)
    for i in range(n):
        r, c = rng.integers(3, 13, 2)
        lo, hi = rng.integers(0, 4), rng.integers(12, 16)
        if y[i] in (0, 2):
            x[i, 0, r, lo:hi] += 1.0
        if y[i] in (1, 2):
            x[i, 0, lo:hi, c] += 1.0
    return x, y


def accuracy(model, x, y):
    model.eval()
    with no_grad():
        predicted = model(Tensor(x)).data.argmax(axis=1)
    model.train()
    return (predicted == y).mean()


def test_small_cnn_learns_generated_images():
    manual_seed(0)
    x, y = make_images(512, seed=1)
    x_test, y_test = make_images(300, seed=2)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.1), nn.Linear(16 * 4 * 4, 3),
    )
    opt = optim.Adam(model.parameters(), lr=3e-3)
    order = np.random.default_rng(3)
    for _ in range(3):
        perm = order.permutation(len(x))
        for start in range(0, len(x), 32):
            batch = perm[start:start + 32]
            opt.zero_grad()
            out = loss.cross_entropy(model(Tensor(x[batch])), y[batch])
            out.backward()
            opt.step()
    assert accuracy(model, x_test, y_test) >= 0.95


def test_reference_models_shapes_and_one_sgd_step_lowers_the_loss():
    rng = np.random.default_rng(0)
    x = Tensor(rng.random((8, 1, 28, 28), dtype=np.float32))
    y = rng.integers(0, 10, 8)
    for name in models.MODELS:
        manual_seed(0)
        model = models.create(name)
        model.eval()  # no dropout noise: the loss change comes from the step alone
        opt = optim.SGD(model.parameters(), lr=0.05)
        first = loss.cross_entropy(model(x), y)
        assert model(x).shape == (8, 10)
        first.backward()
        opt.step()
        assert loss.cross_entropy(model(x), y).item() < first.item(), name
