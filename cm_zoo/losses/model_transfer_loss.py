"""Model transfer: KL divergence from a frozen teacher to a student."""

import keras
import tensorflow as tf


def model_transfer_loss(teacher_probs, student_logits):
    """Mean over the batch of `KL(teacher || softmax(student_logits))`.

    See, Hear, and Read, eq. 1: a student in one modality learns to predict
    the class distribution a teacher gives the paired item of another
    modality. The teacher side is wrapped in `stop_gradient`, so gradients
    reach only the student. Computed in float32 with `xlogy` (a zero teacher
    probability contributes 0) and `log_softmax` of the student logits.
    The paper sums over the batch; the mean keeps the scale independent of
    the batch size.

    Args:
        teacher_probs: float tensor `[batch, num_classes]`, rows summing
            to 1.
        student_logits: float tensor `[batch, num_classes]`, unnormalised.

    Returns:
        A float32 scalar.

    Raises:
        ValueError: if the two shapes differ.

    Example:
    >>> from cm_zoo.losses import model_transfer_loss
    >>> p = np.array([[0.5, 0.5, 0.0]], "float32")
    >>> round(float(model_transfer_loss(p, np.zeros((1, 3)))), 4)
    0.4055
    """
    teacher_probs = keras.ops.convert_to_tensor(teacher_probs, "float32")
    student_logits = keras.ops.cast(student_logits, "float32")
    if not _compatible(teacher_probs.shape, student_logits.shape):
        raise ValueError(
            "`teacher_probs` and `student_logits` must have the same shape "
            f"[batch, num_classes]. Received: {tuple(teacher_probs.shape)} "
            f"and {tuple(student_logits.shape)}"
        )
    teacher_probs = keras.ops.stop_gradient(teacher_probs)
    log_student = keras.ops.log_softmax(student_logits, axis=-1)  # [B, K]
    per_class = tf.math.xlogy(teacher_probs, teacher_probs) - (
        teacher_probs * log_student
    )  # [B, K]
    return keras.ops.mean(keras.ops.sum(per_class, axis=-1))


def _compatible(shape_a, shape_b):
    """Same rank, and equal sizes wherever both are known."""
    return len(shape_a) == len(shape_b) and all(
        a is None or b is None or a == b for a, b in zip(shape_a, shape_b)
    )
