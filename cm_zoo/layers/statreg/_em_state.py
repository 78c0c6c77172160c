"""EM's resumable state for `fit_diagonal_gmm`: the variables and their
checkpoint file (`em_state.npz`, the previous copy kept beside it)."""

import math
import os
import warnings

import numpy as np
import tensorflow as tf

from cm_zoo.layers.statreg import _prior_io

EM_STATE_KIND = "diagonal_gmm_em_state"


class EMCheckpoint:
    """The EM state in `<dir>/em_state.npz`, written after every M-step.

    Written atomically with the previous state kept beside it
    (`_prior_io.save_npz`); a torn newest file falls back to that copy, and
    with no readable copy EM starts afresh, with a warning either way.
    """

    def __init__(self, directory, fingerprint):
        self.path = os.path.join(os.fspath(directory), "em_state.npz")
        self.fingerprint = fingerprint

    def restore(self, state):
        """Loads the saved state into `state`; False if there is none.

        Raises:
            ValueError: the checkpoint is of another fit.
        """
        if not os.path.exists(self.path) and not os.path.exists(
            _prior_io.previous_path(self.path)
        ):
            return False
        try:
            _, arrays = _prior_io.read_npz(self.path)
        except ValueError as error:
            warnings.warn(
                f"{error} Starting EM afresh.", RuntimeWarning, stacklevel=3
            )
            return False
        found = str(arrays["fingerprint"])
        if found != self.fingerprint:
            raise ValueError(
                f"`checkpoint_dir` {os.path.dirname(self.path)} holds a "
                f"different fit. Expected: {self.fingerprint}. "
                f"Received: {found}"
            )
        state.restore(arrays)
        return True

    def save(self, state):
        _prior_io.save_npz(
            self.path,
            EM_STATE_KIND,
            {"fingerprint": np.array(self.fingerprint), **state.arrays()},
        )


class EMState:
    """Float32 parameters (means relative to the data mean) and EM progress."""

    def __init__(self, num_components, dim, data_mean):
        self.center = tf.constant(data_mean, "float32")
        self.logits = tf.Variable(tf.zeros([num_components]))
        self.centered_means = tf.Variable(tf.zeros([num_components, dim]))
        self.variances = tf.Variable(tf.ones([num_components, dim]))
        self.iteration = tf.Variable(0, dtype="int64")
        self.previous_log_likelihood = tf.Variable(math.nan, dtype="float64")

    def arrays(self):
        """The variables' values, for `EMCheckpoint`."""
        return {
            "logits": self.logits.numpy(),
            "centered_means": self.centered_means.numpy(),
            "variances": self.variances.numpy(),
            "iteration": self.iteration.numpy(),
            "previous_log_likelihood": (self.previous_log_likelihood.numpy()),
        }

    def restore(self, arrays):
        """Sets every variable from `arrays()` of a saved state."""
        self.logits.assign(arrays["logits"])
        self.centered_means.assign(arrays["centered_means"])
        self.variances.assign(arrays["variances"])
        self.iteration.assign(arrays["iteration"])
        self.previous_log_likelihood.assign(arrays["previous_log_likelihood"])

    def assign(self, logits, centered_means, variances):
        """Sets the parameters from float64 arrays."""
        self.logits.assign(logits.astype("float32"))
        self.centered_means.assign(centered_means.astype("float32"))
        self.variances.assign(variances.astype("float32"))
