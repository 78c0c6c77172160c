"""NumPy linear classifiers on L2-normalised features: probe and SVM.

The multinomial logistic-regression probe is shared by classifier
transfer (scene classes) and the modality-invariance score (modality
classes); the one-vs-all linear SVM is See-Hear-Read's classifier (Table
3). Both are NumPy, so scikit-learn is needed only by the tests.
"""

import functools

import numpy as np

from cm_zoo.evaluation import _checks


def fit_linear_probe(embeddings, labels, *, l2=1e-3, num_iterations=300):
    """Fits softmax regression on row-L2-normalised embeddings.

    Minimises `mean cross-entropy + l2 / 2 * ||W||^2` (bias unpenalised)
    with Nesterov-accelerated full-batch gradient descent; the step is
    `1 / L`, `L = 0.5 * lambda_max(X^T X / n) + l2` being a bound on the
    Hessian (Boehning), so no learning rate is tuned. float32 matmuls.

    Args:
        embeddings: float array `[N, D]`.
        labels: int array `[N]`, any integer values.
        l2: float. Weight-decay strength, >= 0. Defaults to `1e-3`.
        num_iterations: int. Gradient steps. Defaults to `300`.

    Returns:
        A dict: `"weights"` float32 `[D, C]`, `"bias"` float32 `[C]` and
        `"classes"` int64 `[C]` (sorted unique labels).

    Raises:
        ValueError: on malformed inputs, `l2 < 0` or fewer than 2 classes.

    Example:
    >>> from cm_zoo.evaluation import linear_probe
    >>> x = np.array([[1., 0.], [.9, .1], [0., 1.], [.1, .9]])
    >>> probe = linear_probe.fit_linear_probe(x, [3, 3, 7, 7])
    >>> linear_probe.predict_linear_probe(probe, x)
    array([3, 3, 7, 7])
    """
    return _fit(embeddings, labels, l2, num_iterations, loss="softmax")


def fit_linear_svm(embeddings, labels, *, l2=1e-3, num_iterations=300):
    """Fits a one-vs-all linear SVM on row-L2-normalised embeddings.

    One binary classifier per class (targets +1 / -1) minimises, all at
    once, `mean squared hinge + l2 / 2 * ||W||^2` (bias unpenalised), the
    L2-SVM of LIBLINEAR; like `fit_linear_probe` by Nesterov-accelerated
    gradient descent with step `1 / L`, `L = 2 * lambda_max(X^T X / n) +
    l2` (no learning rate to tune). Predict with `predict_linear_probe`:
    the class of the highest score.

    Arguments, return value and errors are `fit_linear_probe`'s; `l2` is
    `1 / (C * N)` in LIBLINEAR's terms.

    Example:
    >>> from cm_zoo.evaluation import linear_probe
    >>> x = np.array([[1., 0.], [.9, .1], [0., 1.], [.1, .9], [-1., 0.]])
    >>> svm = linear_probe.fit_linear_svm(x, [3, 3, 7, 7, 5])
    >>> linear_probe.predict_linear_probe(svm, x)
    array([3, 3, 7, 7, 5])
    """
    return _fit(embeddings, labels, l2, num_iterations, loss="squared_hinge")


def predict_linear_probe(probe, embeddings):
    """Predicted labels (values of `probe["classes"]`) for `[N, D]` rows.

    Args:
        probe: dict from `fit_linear_probe`.
        embeddings: float array `[N, D]`, `D` as in training.

    Returns:
        An int64 array `[N]`.

    Raises:
        ValueError: if the embedding dimension differs from the probe's.

    Example:
    >>> from cm_zoo.evaluation import linear_probe
    >>> probe = linear_probe.fit_linear_probe(np.eye(2), [0, 1])
    >>> linear_probe.predict_linear_probe(probe, [[2., .5]])
    array([0])
    """
    x, _ = _checks.check_embeddings(embeddings, None, "embeddings")
    if x.shape[1] != probe["weights"].shape[0]:
        raise ValueError(
            "`embeddings` must have the probe's dimension "
            f"{probe['weights'].shape[0]}. Found {x.shape[1]}"
        )
    logits = normalize_rows(x) @ probe["weights"] + probe["bias"]  # [N, C]
    return probe["classes"][np.argmax(logits, axis=1)]


def normalize_rows(x):
    """Float32 rows scaled to unit L2 norm (all-zero rows stay zero)."""
    return x * _checks.inverse_norms(x)[:, None]


def _fit(embeddings, labels, l2, num_iterations, *, loss):
    """Fits `[W; b]` for `loss` from zeros with `_nesterov`, step `1 / L`.

    `L` bounds the Hessian: `0.5 * lambda_max` for softmax (Boehning),
    `2 * lambda_max` for the squared hinge, plus `l2`."""
    x, labels = _checks.check_embeddings(embeddings, labels, "embeddings")
    num_iterations = _checks.check_positive_int(
        num_iterations, "num_iterations"
    )
    if not l2 >= 0:
        raise ValueError(f"`l2` must be >= 0. Received: l2={l2!r}")
    classes, y = np.unique(labels, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            "A linear classifier needs at least 2 classes. "
            f"Found labels: {classes.tolist()}"
        )
    x = normalize_rows(x)  # [N, D]
    onehot = np.zeros((x.shape[0], classes.shape[0]), np.float32)  # [N, C]
    onehot[np.arange(x.shape[0]), y] = 1.0
    if loss == "softmax":
        curvature = 0.5
        gradient = functools.partial(_gradient, x=x, onehot=onehot, l2=l2)
    else:
        curvature = 2.0
        signs = 2.0 * onehot - 1.0  # [N, C]
        gradient = functools.partial(_hinge_gradient, x=x, signs=signs, l2=l2)
    params = _nesterov(
        gradient,
        np.zeros((x.shape[1] + 1, classes.shape[0]), np.float32),
        step=1.0 / (curvature * _top_eigenvalue(x) + l2),
        num_iterations=num_iterations,
    )
    return {"weights": params[:-1], "bias": params[-1], "classes": classes}


def _nesterov(gradient, params, *, step, num_iterations):
    """Nesterov-accelerated gradient descent from `params`, fixed step."""
    step = np.float32(step)
    previous = params
    momentum_t = 1.0
    for _ in range(num_iterations):
        next_t = (1.0 + np.sqrt(1.0 + 4.0 * momentum_t**2)) / 2.0
        lookahead = params + np.float32((momentum_t - 1.0) / next_t) * (
            params - previous
        )
        previous = params
        params = lookahead - step * gradient(lookahead)
        momentum_t = next_t
    return params


def _hinge_gradient(params, x, signs, l2):
    """Gradient of the penalised mean squared hinge, every class. [D + 1, C]"""
    scores = x @ params[:-1] + params[-1]  # [N, C]
    slack = np.maximum(0.0, 1.0 - signs * scores)  # [N, C]
    residual = -2.0 * signs * slack / np.float32(x.shape[0])  # [N, C]
    grad_weights = x.T @ residual + np.float32(l2) * params[:-1]  # [D, C]
    grad_bias = residual.sum(axis=0, keepdims=True)  # [1, C]
    return np.concatenate([grad_weights, grad_bias], axis=0)


def _gradient(params, x, onehot, l2):
    """Gradient of the penalised mean cross-entropy. [D + 1, C]"""
    logits = x @ params[:-1] + params[-1]  # [N, C]
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    residual = (probs - onehot) / np.float32(x.shape[0])  # [N, C]
    grad_weights = x.T @ residual + np.float32(l2) * params[:-1]  # [D, C]
    grad_bias = residual.sum(axis=0, keepdims=True)  # [1, C]
    return np.concatenate([grad_weights, grad_bias], axis=0)


def _top_eigenvalue(x, num_steps=30):
    """Largest eigenvalue of `[x, 1]^T [x, 1] / n` by power iteration.

    Returns an upper-leaning estimate (x 1.1); the exact bound `2` (unit
    rows plus the bias column) caps it.
    """
    n = x.shape[0]
    vector = np.full(x.shape[1] + 1, (x.shape[1] + 1) ** -0.5, np.float32)
    value = 2.0
    for _ in range(num_steps):
        projected = x @ vector[:-1] + vector[-1]  # [N]
        product = np.append(x.T @ projected, projected.sum()) / n  # [D + 1]
        value = float(np.linalg.norm(product))
        if value == 0.0:
            return 2.0
        vector = product / value
    return min(1.1 * value, 2.0)
