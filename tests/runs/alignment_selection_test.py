import pytest

from cm_zoo.runs import alignment_selection


def point(setting, *scores):
    seeds = {str(seed): score for seed, score in enumerate(scores)}
    return {"setting": setting, "val_mean_map": seeds}


def test_best_setting_has_the_highest_mean_over_seeds():
    points = [
        point({"learning_rate": 0.1}, 0.50, 0.10),  # best one seed
        point({"learning_rate": 0.2}, 0.35, 0.35),  # best mean
        point({"learning_rate": 0.3}, 0.20, 0.40),
    ]
    assert alignment_selection.best_setting(points) == {"learning_rate": 0.2}


def test_best_setting_keeps_the_first_of_a_tie():
    points = [point({"learning_rate": r}, 0.3) for r in (0.1, 0.2)]
    assert alignment_selection.best_setting(points) == {"learning_rate": 0.1}


@pytest.mark.parametrize("method", ["A", "bl_individual"])
def test_grid_of_methods_without_statreg_varies_the_learning_rate(method):
    grid = alignment_selection.selection_grid(method)
    rates = (0.0003, 0.001, 0.003, 0.01)
    assert grid == [{"learning_rate": r} for r in rates]


@pytest.mark.parametrize("method", ["B", "C"])
def test_grid_of_statreg_methods_crosses_rate_and_weight(method):
    grid = alignment_selection.selection_grid(method)
    assert len(grid) == 16
    assert {g["statreg_weight"] for g in grid} == {0.001, 0.01, 0.1, 1.0}
    assert {g["learning_rate"] for g in grid} == {0.0003, 0.001, 0.003, 0.01}


def test_setting_is_named_and_passed_as_recipe_flags():
    setting = {"learning_rate": 0.0003, "statreg_weight": 0.1}
    assert alignment_selection.setting_name(setting) == "lr0.0003_sr0.1"
    assert alignment_selection.setting_flags(setting) == [
        "--learning-rate", "0.0003", "--statreg-weight", "0.1",
    ]  # fmt: skip


def test_selection_table_lists_every_point_and_the_chosen_one():
    grid = [
        point({"learning_rate": 0.001, "statreg_weight": 0.01}, 0.2, 0.4),
        point({"learning_rate": 0.003, "statreg_weight": 0.1}, 0.1, 0.2),
    ]
    selection = {"sound": {"C": {"chosen": grid[0]["setting"], "grid": grid}}}
    lines = alignment_selection.selection_table(selection).splitlines()
    c = "| sound | C: Tune + StatReg (GMM) |"
    assert f"{c} 0.001 | 0.01 | 0.300 (0.200, 0.400) | yes |" in lines
    assert f"{c} 0.003 | 0.1 | 0.150 (0.100, 0.200) |  |" in lines
    assert lines[-1] == f"{c} 0.001 | 0.01 | 0.300 |"
