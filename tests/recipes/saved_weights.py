"""Reading a run's saved Keras weights for the kill-and-resume tests."""

import h5py


def weight_arrays(path):
    """`{dataset name: array}` of every dataset in a `.weights.h5` file."""
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, item: (
                found.__setitem__(name, item[()])
                if isinstance(item, h5py.Dataset)
                else None
            )
        )
    return found
