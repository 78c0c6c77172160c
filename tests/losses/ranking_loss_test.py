import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.losses import cosine_ranking_loss
from cm_zoo.losses import symmetric_cosine_ranking_loss


def test_hand_computed_case():
    # cos(x_i, y_j) with x = [e1, e2, (e1+e2)/sqrt2], y = [e1, e1, e2]:
    # row 0: pos 1,   negs cos(e1,e1)=1, cos(e1,e2)=0
    #        -> max(0, .5-1+1) + max(0, .5-1+0) = .5
    # row 1: pos 0,   negs cos(e2,e1)=0, cos(e2,e2)=1 -> .5 + 1.5 = 2
    # row 2: pos .707, negs .707, .707 -> .5 + .5 = 1
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]], "float32")
    y = np.array([[3.0, 0.0], [1.0, 0.0], [0.0, 0.5]], "float32")
    got = float(cosine_ranking_loss(x, y, margin=0.5))
    np.testing.assert_allclose(got, (0.5 + 2.0 + 1.0) / 3, rtol=1e-5)


def test_matches_numpy_loop_and_is_asymmetric():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).astype("float32")
    y = rng.normal(size=(5, 4)).astype("float32")

    def loop(a, b, margin):
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        total = 0.0
        for i in range(len(a)):
            for j in range(len(b)):
                if j != i:
                    total += max(0.0, margin - a[i] @ b[i] + a[i] @ b[j])
        return total / len(a)

    np.testing.assert_allclose(
        float(cosine_ranking_loss(x, y, 0.3)), loop(x, y, 0.3), rtol=1e-5
    )
    np.testing.assert_allclose(
        float(symmetric_cosine_ranking_loss(x, y, 0.3)),
        loop(x, y, 0.3) + loop(y, x, 0.3),
        rtol=1e-5,
    )


def test_separated_pairs_give_zero_and_gradients_pull_pairs_together():
    assert float(cosine_ranking_loss(np.eye(3), np.eye(3), 0.5)) == 0.0
    x = tf.Variable([[1.0, 0.2], [0.1, 1.0]])
    y = tf.constant([[0.0, 1.0], [1.0, 0.0]])
    with tf.GradientTape() as tape:
        loss = cosine_ranking_loss(x, y, 0.1)
    grad = tape.gradient(loss, x)
    # Descending the gradient moves x_0 towards y_0 = e2.
    assert float(grad[0, 1]) < 0


def test_batch_of_one_and_zero_vectors_are_finite():
    assert float(cosine_ranking_loss(np.ones((1, 3)), np.ones((1, 3)))) == 0
    out = cosine_ranking_loss(np.zeros((2, 3)), np.zeros((2, 3)), 0.2)
    np.testing.assert_allclose(float(out), 0.2)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"\[batch, dim\]"):
        cosine_ranking_loss(np.ones((2, 3)), np.ones((2, 4)))
