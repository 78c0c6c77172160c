import keras
import numpy as np
import pytest

from cm_zoo.losses import model_transfer_loss
from cm_zoo.losses import symmetric_cosine_ranking_loss
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models.see_hear_read import SeeHearReadModel
from cm_zoo.towers import ImageTower
from cm_zoo.towers import TextTower
from tests.export.export_fixtures import tiny_sound_tower

NUM_CLASSES = 3


def _backbone(dropout=0.0):
    image = ImageTower(
        image_size=32,
        conv_filters=[4] * 5,
        conv1_kernel_size=3,
        conv1_strides=1,
        name="clipart_tower",
    )
    sound = tiny_sound_tower()
    text = TextTower(
        16,
        num_buckets=32,
        embedding_dim=4,
        conv_filters=4,
        name="description_tower",
    )
    return CrossModalBackbone(
        {"clipart": image, "sound": sound, "description": text},
        num_classes=NUM_CLASSES,
        hidden_dim=8,
        dropout=dropout,
    )


def _teacher(num_classes=NUM_CLASSES):
    x = keras.Input((None, None, 3), dtype="uint8")
    pooled = keras.layers.GlobalAveragePooling2D()(
        keras.layers.Rescaling(1 / 255.0)(x)
    )
    return keras.Model(x, keras.layers.Dense(num_classes, name="head")(pooled))


def _batch(size=4, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (size, 32, 32, 3)).astype("uint8")
    return {
        "image_sound": {
            "clipart": images,
            "sound": rng.uniform(-1, 1, (size, 400)).astype("float32"),
        },
        "image_text": {
            "clipart": images[::-1].copy(),
            "description": np.array(
                ["red bird", "a boat", "yellow star", "green tree"][:size]
            ),
        },
    }


@pytest.fixture
def model():
    keras.utils.set_random_seed(0)
    model = SeeHearReadModel(_backbone(), _teacher())
    model.compile()
    return model


def test_three_towers_share_the_upper_layers(model):
    backbone = model.backbone
    uppers = [backbone.upper_layers_for(m) for m in backbone.modalities]
    for layer_a, layer_b in zip(uppers[0], uppers[1]):
        assert layer_a is layer_b
    assert uppers[1] == uppers[2]
    assert len({id(t) for t in backbone.towers.values()}) == 3


def test_a_sound_step_moves_the_weights_the_text_path_sees(model):
    text = np.array(["red bird", "a boat"])
    before = model.backbone.encode("description", text)["fc7"].numpy()
    text_tower = model.backbone.towers["description"].get_weights()
    sound_only = {"image_sound": _batch()["image_sound"]}
    model.train_on_batch(sound_only)
    after = model.backbone.encode("description", text)["fc7"].numpy()
    assert not np.allclose(before, after)
    for old, new in zip(
        text_tower, model.backbone.towers["description"].get_weights()
    ):
        np.testing.assert_array_equal(old, new)


def test_kl_gradient_reaches_only_the_student():
    keras.utils.set_random_seed(0)
    model = SeeHearReadModel(_backbone(), _teacher(), ranking_weight=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    teacher_weights = [w.copy() for w in model.teacher.get_weights()]
    sound_tower = model.backbone.towers["sound"]
    sound_before = [w.copy() for w in sound_tower.get_weights()]
    assert not any(
        v is w for v in model.trainable_variables for w in model.teacher.weights
    )
    for _ in range(2):
        model.train_on_batch({"image_sound": _batch()["image_sound"]})
    for old, new in zip(teacher_weights, model.teacher.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert any(
        not np.array_equal(old, new)
        for old, new in zip(sound_before, sound_tower.get_weights())
    )


def test_loss_is_the_weighted_sum_of_transfer_and_ranking():
    keras.utils.set_random_seed(0)
    model = SeeHearReadModel(
        _backbone(),
        _teacher(),
        transfer_weight=2.0,
        ranking_weight=0.5,
        margin=0.2,
        ranking_layers=["fc6", "fc7"],
    )
    model.compile()
    batch = _batch()
    y_pred = model(batch, training=False)
    expected_kl, expected_rank = 0.0, 0.0
    for pair_set, other in (
        ("image_sound", "sound"),
        ("image_text", "description"),
    ):
        out = y_pred[pair_set]
        probs = keras.ops.softmax(model.teacher(batch[pair_set]["clipart"]))
        np.testing.assert_allclose(out["teacher_probs"], probs, atol=1e-6)
        for modality in (other, "clipart"):
            expected_kl += float(
                model_transfer_loss(probs, out[modality]["logits"])
            )
        for layer in ("fc6", "fc7"):
            expected_rank += float(
                symmetric_cosine_ranking_loss(
                    out["clipart"][layer], out[other][layer], 0.2
                )
            )
    loss = float(model.compute_loss(y_pred=y_pred))
    np.testing.assert_allclose(
        loss, 2.0 * expected_kl + 0.5 * expected_rank, rtol=1e-5
    )
    assert expected_rank > 0 and expected_kl > 0


def _sound_text(size=4, seed=1):
    rng = np.random.default_rng(seed)
    return {
        "sound": rng.uniform(-1, 1, (size, 400)).astype("float32"),
        "description": np.array(["kestrel", "oak", "sloop", "comet"][:size]),
    }


def _gradients(model, batch):
    """`{modality: [gradients]}` of the loss of `batch` for each tower."""
    import tensorflow as tf

    towers = model.backbone.towers
    with tf.GradientTape() as tape:
        loss = model.compute_loss(y_pred=model(batch, training=True))
    variables = [towers[m].trainable_variables for m in towers]
    grads = tape.gradient(loss, variables)
    return dict(zip(towers, grads))


def _nonzero(grads):
    return any(g is not None and np.any(g.numpy() != 0) for g in grads)


def test_sound_text_loss_is_the_ranking_of_sound_against_text():
    keras.utils.set_random_seed(0)
    model = SeeHearReadModel(
        _backbone(), _teacher(), ranking_weight=0.5, margin=0.2
    )
    batch = {"sound_text": _sound_text()}
    out = model(batch, training=False)["sound_text"]
    assert sorted(out) == ["description", "sound"]
    expected = sum(
        float(
            symmetric_cosine_ranking_loss(
                out["sound"][layer], out["description"][layer], 0.2
            )
        )
        for layer in ("pool5", "fc6", "fc7")
    )
    loss = float(model.compute_loss(y_pred={"sound_text": out}))
    assert np.isfinite(loss) and expected > 0
    np.testing.assert_allclose(loss, 0.5 * expected, rtol=1e-5)


def test_sound_text_gradient_reaches_the_sound_tower_only():
    keras.utils.set_random_seed(0)
    model = SeeHearReadModel(_backbone(), _teacher())
    grads = _gradients(model, {"sound_text": _sound_text()})
    assert _nonzero(grads["sound"])
    assert not _nonzero(grads["description"])
    assert not _nonzero(grads["clipart"])
    text_only = {"image_text": _batch()["image_text"]}
    grads = _gradients(model, text_only)
    assert not _nonzero(grads["sound"])
    grads = _gradients(model, {**text_only, "sound_text": _sound_text()})
    assert _nonzero(grads["sound"])


def test_sound_text_leaves_the_paper_batches_unchanged():
    keras.utils.set_random_seed(0)
    model = SeeHearReadModel(_backbone(), _teacher())
    batch = _batch()
    with_sound_text = model({**batch, "sound_text": _sound_text()})
    paper = model(batch)
    for pair_set in batch:
        for key, value in paper[pair_set].items():
            for got, want in zip(
                keras.tree.flatten(with_sound_text[pair_set][key]),
                keras.tree.flatten(value),
            ):
                np.testing.assert_array_equal(got, want)
    assert "teacher_probs" not in with_sound_text["sound_text"]


def test_fit_reports_kl_and_ranking_metrics(model):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensors(_batch()).repeat(2)
    history = model.fit(dataset, epochs=1, verbose=0)
    assert {"loss", "kl", "ranking"} <= set(history.history)


def test_bad_batches_and_configs_raise(model):
    with pytest.raises(ValueError, match="subset of.*image_sound"):
        model({"text_text": {}})
    with pytest.raises(ValueError, match="'sound_text' needs a 'sound'"):
        model({"sound_text": {"description": np.array(["a boat"])}})
    with pytest.raises(ValueError, match="'image_text' needs a 'description'"):
        model({"image_text": {"clipart": _batch()["image_sound"]["clipart"]}})
    with pytest.raises(ValueError, match="Modality 'sound'"):
        model(
            {
                "image_sound": {
                    "clipart": np.zeros((2, 32, 32, 3), "uint8"),
                    "sound": np.zeros((2, 400, 2), "float32"),
                }
            }
        )
    with pytest.raises(ValueError, match="teacher predicts 5 classes"):
        SeeHearReadModel(_backbone(), _teacher(num_classes=5))
    with pytest.raises(ValueError, match="`ranking_layers` must be among"):
        SeeHearReadModel(_backbone(), _teacher(), ranking_layers=["logits"])


def test_keras_save_round_trip(model, tmp_path):
    batch = _batch()
    model.train_on_batch(batch)
    path = tmp_path / "shr.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, SeeHearReadModel)
    assert loaded.teacher.trainable is False
    for pair_set, other in (
        ("image_sound", "sound"),
        ("image_text", "description"),
    ):
        got = loaded(batch, training=False)[pair_set]
        want = model(batch, training=False)[pair_set]
        np.testing.assert_allclose(
            got[other]["fc7"], want[other]["fc7"], atol=1e-5
        )
        np.testing.assert_allclose(
            got["teacher_probs"], want["teacher_probs"], atol=1e-6
        )
