import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.losses import model_transfer_loss


def _numpy_kl(p, logits):
    q = np.exp(logits - logits.max(1, keepdims=True))
    q /= q.sum(1, keepdims=True)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0.0)
    return terms.sum(1).mean()


def test_matches_numpy_kl_with_zero_teacher_probabilities():
    p = np.array([[0.7, 0.3, 0.0], [0.1, 0.1, 0.8]], "float32")
    logits = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]], "float32")
    got = float(model_transfer_loss(p, logits))
    np.testing.assert_allclose(got, _numpy_kl(p, logits), rtol=1e-5)


def test_zero_when_student_matches_teacher():
    logits = np.array([[1.0, 2.0, 3.0]], "float32")
    p = tf.nn.softmax(logits).numpy()
    assert abs(float(model_transfer_loss(p, logits))) < 1e-6


def test_gradient_reaches_only_the_student():
    teacher_logits = tf.Variable([[0.5, 1.0, -1.0]])
    student_logits = tf.Variable([[0.0, 0.0, 0.0]])
    with tf.GradientTape() as tape:
        loss = model_transfer_loss(
            tf.nn.softmax(teacher_logits), student_logits
        )
    teacher_grad, student_grad = tape.gradient(
        loss, [teacher_logits, student_logits]
    )
    assert teacher_grad is None
    assert float(tf.reduce_sum(tf.abs(student_grad))) > 0


def test_float64_inputs_compute_in_float32():
    out = model_transfer_loss(np.full((2, 4), 0.25), np.zeros((2, 4)))
    assert out.dtype == tf.float32


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        model_transfer_loss(np.full((2, 4), 0.25), np.zeros((2, 3)))
