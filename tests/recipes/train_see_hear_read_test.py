import json

import keras
import numpy as np
import pytest

import cm_zoo
from cm_zoo.data import spoken_lexicon
from cm_zoo.runs import see_hear_read_student_data as student_data
from tests.recipes.recipe_loader import load_recipe

# One teacher epoch and a two-step student epoch, quietly.
TWO_STEPS = (
    "--epochs",
    "1",
    "--steps-per-epoch",
    "2",
    "--teacher-epochs",
    "1",
    "--batch-size",
    "8",
    "--verbose",
    "0",
)


def _recipe():
    return load_recipe("train_see_hear_read")


@pytest.mark.large
def test_two_steps_write_backbone_and_metrics(tmp_path):
    recipe = _recipe()
    out = tmp_path / "run"
    metrics = recipe.main(
        [
            "--output",
            str(out),
            *TWO_STEPS,
        ]
    )
    saved = json.loads((out / "metrics.json").read_text())
    fc7 = saved["median_rank"]["fc7"]
    assert set(fc7) == {
        "clipart->sound",
        "sound->clipart",
        "clipart->description",
        "description->clipart",
        "sound->description",
        "description->sound",
    }
    for result in fc7.values():
        assert 1 <= result["median_rank"] <= 2 * result["chance"]
    assert ("sound", "description") in metrics["classifier_transfer"][
        "accuracy"
    ]
    backbone = keras.saving.load_model(out / "backbone.keras")
    assert backbone.modalities == ("clipart", "sound", "description")
    assert (out / "teacher" / "backbone.keras").exists()
    assert (out / "logs").is_dir()
    config = json.loads((out / "run_config.json").read_text())
    assert config["args"]["loss"] == "both"


@pytest.mark.large
def test_input_flags_reach_student_and_teacher(tmp_path):
    out = tmp_path / "run"
    _recipe().main(
        ["--output", str(out), "--fit-drawing", "--wordnet-concepts"]
        + ["--speech-front-end"]
        + list(TWO_STEPS)
    )
    student = keras.saving.load_model(out / "backbone.keras")
    teacher = keras.saving.load_model(out / "teacher" / "backbone.keras")
    for backbone in (student, teacher):
        preprocess = backbone.towers["clipart"].get_layer("preprocess")
        assert preprocess.fit_drawing
    assert student.towers["description"].wordnet_concepts
    sound = student.towers["sound"]
    assert sound.get_layer("spectrogram").num_bins == 40
    assert (sound.centring, sound.pooling) == ("channel", "max")


def test_loss_flag_and_unknown_teacher(tmp_path, capsys):
    recipe = _recipe()
    _, args = recipe.parse_args(["--loss", "ranking"])
    losses = cm_zoo.runs.see_hear_read_training.LOSSES
    assert losses[args.loss][1:] == (0.0, 1.0)
    choices = next(
        a for a in recipe.parse_args([])[0]._actions if a.dest == "loss"
    ).choices
    assert choices == list(losses)
    with pytest.raises(SystemExit):
        recipe.parse_args(["--loss", "nope"])
    with pytest.raises(SystemExit) as exit_info:
        recipe.main(
            [
                "--output",
                str(tmp_path),
                "--teacher",
                str(tmp_path / "missing.keras"),
            ]
        )
    assert exit_info.value.code == 2
    assert "--teacher: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [
        ["--epochs", "0"],
        ["--steps-per-epoch", "-1"],
        ["--margin", "-0.1"],
        ["--teacher-labels", "folders"],
    ],
)
def test_bad_values_are_refused_naming_the_flag(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _recipe().parse_args(flags)
    assert exit_info.value.code == 2
    assert f"argument {flags[0]}" in capsys.readouterr().err


@pytest.mark.large
def test_users_augmentation_flags_train_and_report_ood(tmp_path):
    recipe = _recipe()
    out = tmp_path / "run"
    metrics = recipe.main(
        [
            "--output",
            str(out),
            "--augment",
            "users",
            "--teacher-data",
            "pool",
            "--class-pairs",
            "--train-splits",
            "train+val",
            *TWO_STEPS,
        ]
    )
    scores = metrics["generalisation"]
    assert set(scores) >= {"val", "test", "ood", "ood_over_test"}
    assert set(scores["ood"]["num_items"]) == {
        "clipart",
        "sound",
        "description",
    }
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["generalisation"]["ood"]["map"] == scores["ood"]["map"]
    backbone = keras.saving.load_model(out / "backbone.keras")
    layers = [
        type(layer).__name__
        for modality in backbone.modalities
        for layer in backbone.encoder(modality)._flatten_layers()
    ]
    assert not [name for name in layers if "Augmentation" in name]
    config = json.loads((out / "run_config.json").read_text())
    assert config["args"]["augment"] == "users"


@pytest.mark.large
def test_spoken_lexicon_flag_trains_on_cached_voices(tmp_path, capsys):
    recipe = _recipe()
    out = tmp_path / "run"
    with pytest.raises(SystemExit):
        recipe.main(["--output", str(out), "--spoken-lexicon", "7"])
    assert "argument --spoken-lexicon" in capsys.readouterr().err
    assert not out.exists()
    recipe.main(["--output", str(out), "--spoken-lexicon", "1", *TWO_STEPS])
    bench = cm_zoo.data.clipart_benchmark.load()
    items = bench.paired_triplets()
    transcripts = spoken_lexicon.paired_transcripts(bench)
    said = set(transcripts[items["split"] == "train"])
    assert len(list((out / "spoken_lexicon").rglob("*.npy"))) == len(said)
    config = json.loads((out / "run_config.json").read_text())
    assert config["args"]["spoken_lexicon"] == 1
    assert (out / "backbone.keras").exists()


@pytest.mark.large
def test_sound_text_pairs_flag_pairs_training_speech_with_its_text(
    tmp_path, capsys, monkeypatch
):
    recipe = _recipe()
    out = tmp_path / "run"
    with pytest.raises(SystemExit):
        recipe.main(["--output", str(out), "--sound-text-pairs"])
    assert "argument --sound-text-pairs" in capsys.readouterr().err
    lexicon = (np.array(["kestrel", "oak"], dtype=object), np.array([0, 10]))
    asked = []
    monkeypatch.setattr(
        spoken_lexicon,
        "spoken_texts",
        lambda bench, splits, pool_titles: asked.append(pool_titles) or lexicon,
    )
    built = []
    real = student_data._sound_text_pairs
    monkeypatch.setattr(
        student_data,
        "_sound_text_pairs",
        lambda *args: built.append(real(*args)) or built[-1],
    )
    flags = ["--spoken-lexicon", "2", "--sound-text-pairs", *TWO_STEPS]
    recipe.main(["--output", str(out), *flags, "--spoken-pool-titles"])
    assert asked == [True]
    bench = cm_zoo.data.clipart_benchmark.load()
    items = bench.paired_triplets()
    train = items["split"] == "train"
    transcripts = spoken_lexicon.paired_transcripts(bench)[train]
    (pairs,) = built
    said = np.concatenate([transcripts, lexicon[0]])
    np.testing.assert_array_equal(pairs["description"], np.repeat(said, 2))
    np.testing.assert_array_equal(
        pairs["label"],
        np.repeat(np.concatenate([items["label"][train], lexicon[1]]), 2),
    )
    assert pairs["sound"].shape == (
        2 * len(said),
        bench.arrays("sound", "train")[0].shape[1],
    )
    assert np.abs(pairs["sound"]).max(axis=1).min() > 0.1
    assert len(list((out / "spoken_lexicon").rglob("*.npy"))) == 2 * len(
        set(said)
    )
    config = json.loads((out / "run_config.json").read_text())
    assert config["args"]["sound_text_pairs"] is True
