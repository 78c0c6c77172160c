import json
import pathlib

from cm_zoo.export import render_model_card

SHIPPED = pathlib.Path(__file__).parents[2] / "saved_models"


def _manifest():
    model_dir = sorted(p for p in SHIPPED.iterdir() if p.is_dir())[0]
    return json.loads((model_dir / "manifest.json").read_text())


def test_card_shows_in_distribution_vs_ood_when_measured():
    manifest = _manifest()
    split = {"map": 0.3, "chance_map": 0.12, "times_chance": 2.5}
    manifest["metrics"] = {
        "generalisation": {
            "test": split,
            "ood": {
                **split,
                "map": 0.24,
                "times_chance": 2.0,
                "interval": {"map": [0.2, 0.28], "times_chance": [1.7, 2.3]},
            },
            "ood_over_test": 0.8,
        }
    }
    card = render_model_card(manifest)
    assert "## In distribution vs out of distribution" in card
    assert "| test | 0.300 | 0.120 | 2.50 | - |" in card
    assert "| ood | 0.240 | 0.120 | 2.00 | 1.70-2.30 |" in card
    assert "OOD / test mAP: 0.80." in card


def test_card_without_generalisation_has_no_such_section():
    manifest = _manifest()
    manifest["metrics"] = {}
    assert "out of distribution" not in render_model_card(manifest)
