from cm_zoo.export import contract
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower

IMAGE = dict(
    image_size=32, conv_filters=[4] * 5, conv1_kernel_size=3, conv1_strides=1
)
TEXT = dict(output_dim=6, hidden_dim=4, num_buckets=32, embedding_dim=5)


def test_notes_say_what_the_towers_make_of_inputs():
    plain = contract.describe_input("clipart", ImageTower(**IMAGE))
    framed = contract.describe_input(
        "clipart", ImageTower(**IMAGE, fit_drawing=True)
    )
    assert plain["note"] == "RGB, any height and width; resized inside."
    assert "framed" in framed["note"] and "transparent PNG" in framed["note"]
    words = contract.describe_input("description", DescriptionTower(**TEXT))
    concepts = contract.describe_input(
        "description", DescriptionTower(**TEXT, wordnet_concepts=True)
    )
    assert "WordNet" not in words["note"]
    assert concepts["note"].startswith(words["note"])
    assert "WordNet concepts" in concepts["note"]
