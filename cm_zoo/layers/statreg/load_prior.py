"""Reads a StatReg prior written by `save` of a prior."""

import os

from cm_zoo.layers.statreg import _prior_io
from cm_zoo.layers.statreg import diagonal_gmm_prior
from cm_zoo.layers.statreg import gaussian_prior

_PRIOR_CLASSES = {
    prior_class.KIND: prior_class
    for prior_class in (
        diagonal_gmm_prior.DiagonalGMMPrior,
        gaussian_prior.GaussianPrior,
    )
}


def load_prior(path):
    """Loads a prior saved with `prior.save(path)`.

    Args:
        path: str or path-like. The `.npz` file.

    Returns:
        A `DiagonalGMMPrior` or `GaussianPrior`, chosen by the file's `kind`.

    Raises:
        ValueError: if the file has no known `kind` or lacks a field.

    Example:
    >>> import os, tempfile
    >>> from cm_zoo.layers.statreg import GaussianPrior, load_prior
    >>> prior = GaussianPrior(mean=np.zeros(2), covariance=np.eye(2))
    >>> path = prior.save(os.path.join(tempfile.mkdtemp(), "fc7_prior"))
    >>> type(load_prior(path)).__name__, os.path.basename(path)
    ('GaussianPrior', 'fc7_prior.npz')
    """
    path = os.fspath(path)
    kind, arrays = _prior_io.read_npz(path)
    if kind not in _PRIOR_CLASSES:
        raise ValueError(
            f"`{path}` has an unknown prior kind. Expected one of "
            f"{sorted(_PRIOR_CLASSES)}. Received: kind={kind!r}"
        )
    return _PRIOR_CLASSES[kind].from_arrays(path, arrays)
