"""Scaling of hand-computed losses under `tf.distribute`."""

import tensorflow as tf


def scale_for_replicas(loss):
    """Divides a per-replica loss by the number of replicas in sync.

    Under `tf.distribute`, gradients are summed across replicas, so Keras
    scales every `keras.losses.Loss` (and `model.losses`) by
    `1 / num_replicas_in_sync`; a loss computed by hand in `compute_loss`
    must be scaled the same way. Identity with one replica.

    Args:
        loss: float scalar tensor.

    Returns:
        The scaled loss, same dtype.

    Example:
    >>> from cm_zoo.losses import scale_for_replicas
    >>> float(scale_for_replicas(np.float32(3.0)))
    3.0
    """
    loss = tf.convert_to_tensor(loss)
    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if num_replicas == 1:
        return loss
    return loss * tf.cast(1.0 / num_replicas, loss.dtype)
