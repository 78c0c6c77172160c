import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo import presets
from cm_zoo.curricula import ModalityTuning
from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GaussianPrior
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models.cmplaces import METHODS
from cm_zoo.models.cmplaces import build_method
from cm_zoo.models.cmplaces import build_source_network
from cm_zoo.models.cmplaces import fit_source_priors
from tests import test_case

MODALITIES = ["clipart", "sketch", "description"]


@pytest.fixture(scope="module")
def config():
    config = presets.get("cmplaces_alexnet_tiny").config()
    config.update(
        image_size=32,
        conv_filters=[4, 4, 4, 4, 4],
        conv1_kernel_size=3,
        conv1_strides=1,
        hidden_dim=8,
        text_hidden_dim=8,
        text_num_buckets=64,
        text_embedding_dim=4,
    )
    return config


@pytest.fixture(scope="module")
def source(config):
    keras.utils.set_random_seed(0)
    return build_source_network(config, "clipart", num_classes=3)


def priors(kind, dim_by_layer):
    rng = np.random.default_rng(0)
    if kind == "gmm":
        return {
            layer: DiagonalGMMPrior(
                logits=np.zeros(2),
                means=rng.normal(size=(2, dim)),
                variances=np.ones((2, dim)),
            )
            for layer, dim in dim_by_layer.items()
        }
    return {
        layer: GaussianPrior(mean=np.zeros(dim), covariance=np.eye(dim))
        for layer, dim in dim_by_layer.items()
    }


def batch():
    rng = np.random.default_rng(0)
    return {
        "clipart": rng.integers(0, 255, (4, 32, 32, 3), dtype="uint8"),
        "sketch": rng.integers(0, 255, (4, 32, 32, 3), dtype="uint8"),
        "description": np.array(
            ["a red bird", "boat", "", "two cats"], dtype=object
        ),
    }


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_builds_as_its_table_row(name, config, source):
    spec = METHODS[name]
    kwargs = {}
    if spec.prior:
        kwargs["priors"] = priors(spec.prior, {"fc6": 8, "fc7": 8})
    task, callbacks = build_method(
        name, config, MODALITIES, num_classes=3, source=source, **kwargs
    )
    backbone = task.backbone
    assert backbone.share_upper == spec.share_upper
    assert (backbone.towers["clipart"] is backbone.towers["sketch"]) == (
        spec.share_image_tower
    )
    assert bool(callbacks) == spec.freeze_upper
    fc6 = backbone.upper_layers_for("sketch")[0].get_weights()[0]
    source_fc6 = source.upper_layers_for("clipart")[0].get_weights()[0]
    assert np.array_equal(fc6, source_fc6) == spec.init_upper
    sketch_conv = backbone.towers["sketch"].weights[0].numpy()
    source_conv = source.towers["clipart"].weights[0].numpy()
    assert np.array_equal(sketch_conv, source_conv) == spec.init_towers
    task(batch(), training=True)
    assert len(task.losses) == (2 * 2 if spec.prior else 0)


@pytest.mark.parametrize("name", ["bl_shall", "B_gaussian", "C"])
def test_methods_train_a_step(name, config, source):
    spec = METHODS[name]
    kwargs = {}
    if spec.prior:
        kwargs["priors"] = priors(spec.prior, {"fc6": 8, "fc7": 8})
    task, callbacks = build_method(
        name, config, MODALITIES, num_classes=3, source=source, **kwargs
    )
    task.compile(optimizer="sgd")
    labels = {m: np.array([0, 1, 2, 0]) for m in MODALITIES}
    history = task.fit(
        batch(), labels, epochs=1, verbose=0, callbacks=callbacks
    )
    assert np.isfinite(history.history["loss"][0])


def test_release_epoch_follows_freeze_epochs(config, source):
    _, callbacks = build_method(
        "C",
        config,
        MODALITIES,
        num_classes=3,
        source=source,
        priors=priors("gmm", {"fc7": 8}),
        freeze_epochs=3,
    )
    assert isinstance(callbacks[0], ModalityTuning)
    assert callbacks[0].release_epoch == 3
    _, callbacks = build_method(
        "A_tune", config, MODALITIES, num_classes=3, source=source
    )
    assert callbacks[0].release_epoch is None


def test_statreg_only_on_target_modalities(config, source):
    task, _ = build_method(
        "B_gmm",
        config,
        MODALITIES,
        num_classes=3,
        source=source,
        priors=priors("gmm", {"fc7": 8}),
    )
    assert task.regularized_modalities == ("sketch", "description")
    task({"clipart": batch()["clipart"]}, training=True)
    assert len(task.losses) == 0
    task({"sketch": batch()["sketch"]}, training=True)
    assert len(task.losses) == 1


def test_task_round_trip_keeps_prior(config, source, tmp_path):
    task, _ = build_method(
        "C",
        config,
        MODALITIES,
        num_classes=3,
        source=source,
        priors=priors("gmm", {"fc7": 8}),
    )
    restored = test_case.run_model_saving_test(task, batch(), tmp_path)
    original = task.regularizers["fc7"].weights
    for a, b in zip(original, restored.regularizers["fc7"].weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(restored, CrossModalClassifier)


def test_missing_requirements_are_reported(config, source):
    with pytest.raises(ValueError, match="needs a trained `source`"):
        build_method("A_tune", config, MODALITIES, num_classes=3)
    with pytest.raises(ValueError, match="needs `priors`"):
        build_method("B_gmm", config, MODALITIES, num_classes=3, source=source)
    with pytest.raises(ValueError, match="Unknown method 'D'"):
        build_method("D", config, MODALITIES, num_classes=3, source=source)


def test_targets_must_match_inputs(config, source):
    task, _ = build_method(
        "bl_shared_upper", config, MODALITIES, num_classes=3, source=source
    )
    task.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="same modalities as the inputs"):
        task.fit(
            {"sketch": batch()["sketch"]}, {"clipart": np.zeros(4)}, verbose=0
        )


def test_source_priors_fit_each_layer(source):
    images = np.random.default_rng(0).integers(
        0, 255, (40, 32, 32, 3), dtype="uint8"
    )
    fitted = fit_source_priors(
        source,
        images,
        kind="gmm",
        layers=["fc7"],
        num_components=2,
        batch_size=16,
        max_iterations=5,
    )
    assert fitted["fc7"].means.shape == (2, 8)
    gaussian = fit_source_priors(
        source, images, kind="gaussian", layers=["fc6", "fc7"]
    )
    assert set(gaussian) == {"fc6", "fc7"}
    with pytest.raises(ValueError, match="kind"):
        fit_source_priors(source, images, kind="flow")


def test_source_priors_share_one_forward_pass(source, monkeypatch):
    images = np.random.default_rng(1).integers(
        0, 255, (40, 32, 32, 3), dtype="uint8"
    )
    batches = tf.Variable(0)
    encode = source.encode

    def counting_encode(*args, **kwargs):
        batches.assign_add(1)
        return encode(*args, **kwargs)

    monkeypatch.setattr(source, "encode", counting_encode)
    fitted = fit_source_priors(
        source,
        images,
        layers=["pool5", "fc6", "fc7"],
        num_components=2,
        batch_size=16,
        max_iterations=3,
    )
    assert int(batches.numpy()) == 3  # 40 rows in batches of 16, once
    monkeypatch.undo()
    expected = source.encode("clipart", images[:5], training=False)
    for layer, prior in fitted.items():
        assert prior.means.shape[1] == expected[layer].shape[1]
