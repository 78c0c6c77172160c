import keras
import numpy as np
import pytest

from cm_zoo.layers import fit_gaussian
from cm_zoo.runs import RunDirectory
from cm_zoo.runs import find_runs


def tiny_backbone():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs))


def make_run(path, method="C"):
    run = RunDirectory(path)
    run.save_backbone(tiny_backbone())
    run.write_run_config({"method": method})
    return run


def test_files_round_trip_through_their_schema(tmp_path):
    run = make_run(tmp_path / "C")
    run.write_metrics({"map": np.float32(0.5), ("a", "b"): np.nan})
    assert run.is_run() and run.has_metrics()
    assert run.read_metrics() == {"map": 0.5, "a->b": None}
    assert run.load_backbone().get_layer("d").units == 2
    assert not list(run.path.glob("*.partial*"))


def test_a_directory_without_backbone_is_not_a_run(tmp_path):
    run = RunDirectory(tmp_path)
    run.write_run_config({"method": "C"})
    assert not run.is_run()
    assert run.load_backbone_if_saved() is None
    with pytest.raises(FileNotFoundError, match="backbone.keras"):
        run.load_backbone()


def test_torn_json_is_reported_by_name(tmp_path):
    run = make_run(tmp_path)
    (tmp_path / "metrics.json").write_text('{"retrieval": ')
    with pytest.raises(ValueError, match="metrics.json"):
        run.read_metrics()


def test_runs_orders_children_and_skips_non_runs(tmp_path):
    for name in ("C", "bl_individual", "zzz"):
        make_run(tmp_path / name, name)
    (tmp_path / "source").mkdir()
    runs = find_runs([tmp_path, tmp_path / "C"], order=["bl_individual", "C"])
    assert [r.name for r in runs] == ["bl_individual", "C", "zzz"]


def test_a_directory_without_runs_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path}: neither a run"):
        find_runs([tmp_path])


def test_priors_are_saved_atomically_and_loaded_by_layer(tmp_path):
    run = RunDirectory(tmp_path)
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    run.save_prior("gaussian", "fc7", fit_gaussian(x))
    priors = run.load_priors("gaussian", ["fc6", "fc7"])
    assert list(priors) == ["fc7"]
    assert priors["fc7"].dim == 3
    assert not list((tmp_path / "priors").glob("*.partial*"))


def test_a_torn_prior_without_a_good_copy_is_left_out_to_be_refitted(
    tmp_path,
):
    run = RunDirectory(tmp_path)
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    run.save_prior("gaussian", "fc6", fit_gaussian(x))
    run.save_prior("gaussian", "fc7", fit_gaussian(x))
    torn = run.prior_path("gaussian", "fc7")
    torn.write_bytes(torn.read_bytes()[:40])
    with pytest.warns(RuntimeWarning, match="refitting the gaussian prior"):
        priors = run.load_priors("gaussian", ["fc6", "fc7"])
    assert list(priors) == ["fc6"]
