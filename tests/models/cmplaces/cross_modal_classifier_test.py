import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.statreg import GaussianPrior
from cm_zoo.layers.statreg import GaussianStatReg
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models.cmplaces import cross_modal_classifier
from cm_zoo.towers import DescriptionTower
from tests.models.small_models import image_tower

HIDDEN = 32


def regularizer(layer, dim, name=None):
    prior = GaussianPrior(mean=np.full(dim, 0.1), covariance=np.eye(dim))
    return GaussianStatReg.from_prior(prior, name=name or f"{layer}_statreg")


def make_task(layers=("fc6", "fc7"), dropout=0.5):
    keras.utils.set_random_seed(0)
    backbone = CrossModalBackbone(
        {m: image_tower(f"{m}_tower") for m in ("clipart", "sketch")},
        num_classes=3,
        hidden_dim=HIDDEN,
        dropout=dropout,
    )
    return CrossModalClassifier(
        backbone,
        regularizers={layer: regularizer(layer, HIDDEN) for layer in layers},
        regularized_modalities=["sketch"],
    )


def images(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (n, 24, 24, 3), dtype="uint8")


def test_statreg_sees_the_activations_before_dropout():
    task = make_task(layers=["fc7"])
    x = images()
    inference = task.backbone.encode("sketch", x, training=False)["fc7"]
    dropped = task.backbone.encode("sketch", x, training=True)["fc7"]
    assert (dropped.numpy() == 0).mean() > (inference.numpy() == 0).mean()
    task({"sketch": x}, training=True)
    (added,) = task.regularizers["fc7"].losses
    reference = regularizer("fc7", HIDDEN, name="reference")
    reference(inference, training=True)
    np.testing.assert_allclose(added, reference.losses[0], rtol=1e-6)


def test_statreg_terms_are_logged_per_layer_and_modality():
    task = make_task()
    task.compile(optimizer=keras.optimizers.SGD(0.0))
    x = {"clipart": images(seed=1), "sketch": images()}
    y = {m: np.array([0, 1, 2, 0, 1, 2, 0, 1]) for m in x}
    history = task.fit(
        x, y, epochs=1, batch_size=8, verbose=0, validation_data=(x, y)
    ).history
    assert sorted(k for k in history if "statreg" in k) == [
        "statreg_fc6_sketch",
        "statreg_fc7_sketch",
    ]
    assert "val_loss" in history
    task(x, training=True)  # pre-dropout activations: deterministic
    for layer in ("fc6", "fc7"):
        (expected,) = task.regularizers[layer].losses
        np.testing.assert_allclose(
            history[f"statreg_{layer}_sketch"][0], expected, rtol=1e-5
        )


def test_statreg_active_scales_the_terms():
    task = make_task(layers=["fc7"])
    task.compile(optimizer=keras.optimizers.SGD(0.0))
    x = {"sketch": images()}
    y = {"sketch": np.zeros(8, "int64")}
    on = task.train_on_batch(x, y, return_dict=True)
    task.statreg_active.assign(0.0)
    off = task.train_on_batch(x, y, return_dict=True)
    assert on["statreg_fc7_sketch"] > 0
    assert off["statreg_fc7_sketch"] == 0.0
    assert off["loss"] < on["loss"] - 0.9 * on["statreg_fc7_sketch"]


def test_baseline_has_no_statreg_variable_or_metric():
    keras.utils.set_random_seed(0)
    task = CrossModalClassifier(
        CrossModalBackbone({"sketch": image_tower("t")}, 3, hidden_dim=8)
    )
    assert not hasattr(task, "statreg_active")
    assert len(task.non_trainable_weights) == 0
    assert [m.name for m in task.metrics] == ["sketch_accuracy"]


def test_numpy_unicode_strings_train_and_predict():
    keras.utils.set_random_seed(0)
    tower = DescriptionTower(
        output_dim=4,
        hidden_dim=8,
        num_buckets=32,
        embedding_dim=4,
        name="description_tower",
    )
    towers = {"description": tower, "sketch": image_tower("sketch_tower")}
    task = CrossModalClassifier(CrossModalBackbone(towers, 3, hidden_dim=8))
    task.compile()
    texts = np.array(["a red bird", "boat", "", "two cats"])
    assert texts.dtype.kind == "U"
    x = {"description": texts, "sketch": images(4)}
    y = {m: np.array([0, 1, 2, 0]) for m in x}
    validation = {"description": texts.astype("S"), "sketch": images(4)}
    history = task.fit(x, y, validation_data=(validation, y), verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
    logits = task.predict(x, verbose=0)
    assert logits["description"].shape == (4, 3)
    assert set(task.evaluate(x, y, verbose=0, return_dict=True)) >= {"loss"}


def test_regularizers_must_name_a_shared_layer():
    keras.utils.set_random_seed(0)
    backbone = CrossModalBackbone({"sketch": image_tower("t")}, 3, 8)
    with pytest.raises(ValueError, match=r"keyed by \['pool5', 'fc6'"):
        CrossModalClassifier(
            backbone, regularizers={"logits": regularizer("logits", 3)}
        )


def test_statreg_terms_are_means_over_the_steps_that_had_them():
    terms = cross_modal_classifier._TermMeans(["a", "b", "c"])
    terms.update_state(["a"], np.float32([1.0]))
    terms.update_state(["b", "a"], np.float32([2.0, 3.0]))
    assert {k: float(v) for k, v in terms.result().items()} == {
        "a": 2.0,
        "b": 2.0,
        "c": 0.0,
    }
    assert len(terms.variables) == 1
    terms.reset_state()
    assert all(float(v) == 0.0 for v in terms.result().values())


def test_all_statreg_terms_cost_one_metric_variable():
    task = make_task()
    baseline = make_task(layers=())
    extra = len(task.metrics_variables) - len(baseline.metrics_variables)
    assert extra == 1


def test_a_training_call_evaluates_every_statreg_term_in_one_xla_call():
    task = make_task()
    task.regularized_modalities = ("clipart", "sketch")
    x = {"clipart": images(seed=1), "sketch": images()}

    @tf.function
    def step():
        task(x, training=True)
        return [loss for r in task.regularizers.values() for loss in r.losses]

    graph = step.get_concrete_function().graph
    calls = [
        op
        for op in graph.get_operations()
        if "losses_and_gradients" in str(op.node_def.attr.get("f"))
    ]
    assert len(calls) == 1
    task(x, training=True)
    one_by_one = make_task()
    one_by_one.regularized_modalities = ("clipart", "sketch")
    for modality in sorted(x):
        features = one_by_one.backbone.encode(
            modality, x[modality], training=True, pre_dropout=True
        )
        for layer, regularizer in one_by_one.regularizers.items():
            regularizer(features[layer], training=True)
            np.testing.assert_allclose(
                regularizer.losses[0],
                task.regularizers[layer].losses[sorted(x).index(modality)],
                rtol=1e-5,
            )
