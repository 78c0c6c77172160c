"""The benchmark builder's text rules, on a tiny WordNet made in tmp_path."""

import numpy as np
import pytest

from cm_zoo.data.clipart_build import catalog
from cm_zoo.data.clipart_build import giveaway
from cm_zoo.data.clipart_build import lexicon
from cm_zoo.data.clipart_build import texts
from cm_zoo.data.clipart_build import wordnet

# name -> (lemmas, hypernym names, gloss); the first "bird" is sense 1.
SYNSETS = {
    "entity": (["entity"], [], "that which exists"),
    "living": (["living_thing", "animate_thing"], ["entity"], "alive"),
    "animal": (["animal", "beast"], ["living"], "a living organism"),
    "bird": (["bird"], ["animal"], "warm-blooded egg-laying animals"),
    "dame": (["dame", "bird"], ["entity"], "informal term for a woman"),
    "eagle": (["eagle", "bird_of_Jove"], ["bird"], "large birds of prey"),
    "wing": (["wing"], ["entity"], "a limb of a bird used for flying"),
    "tux": (["tux", "tuxedo"], ["entity"], "semiformal evening dress"),
}
PARTS = {"eagle": ["wing"]}


def write_wordnet(root):
    """Writes index.noun, data.noun and noun.exc in WordNet's format."""
    offsets, lines, position = {}, [], 0
    for name in SYNSETS:  # offsets are byte positions: fixed-width lines
        offsets[name] = position
        position += len(_line(name, {n: 0 for n in SYNSETS})) + 1
    for name in SYNSETS:
        lines.append(_line(name, offsets))
    (root / "data.noun").write_text("\n".join(lines) + "\n")
    senses = {}
    for name, (lemmas, _, _) in SYNSETS.items():
        for lemma in lemmas:
            senses.setdefault(lemma.lower(), []).append(offsets[name])
    (root / "index.noun").write_text(
        "".join(
            f"{lemma} n {len(o)} 0 {len(o)} 0 "
            + " ".join(f"{x:08d}" for x in o)
            + "\n"
            for lemma, o in sorted(senses.items())
        )
    )
    (root / "noun.exc").write_text("geese goose\n")
    return wordnet.WordNet(str(root))


def _line(name, offsets):
    lemmas, hypernyms, gloss = SYNSETS[name]
    pointers = [("@", offsets[h]) for h in hypernyms]
    pointers += [("%p", offsets[p]) for p in PARTS.get(name, [])]
    fields = [f"{offsets[name]:08d}", "05", "n", f"{len(lemmas):02x}"]
    for lemma in lemmas:
        fields += [lemma, "0"]
    fields.append(f"{len(pointers):03d}")
    for symbol, target in pointers:
        fields += [symbol, f"{target:08d}", "n", "0000"]
    return " ".join(fields) + f" | {gloss}"


@pytest.fixture
def net(tmp_path):
    return write_wordnet(tmp_path)


@pytest.fixture
def bird(net):
    return giveaway.category_giveaway(net, "bird", "bird.1")


def test_giveaway_has_name_synonyms_hypernyms_and_plurals(bird):
    assert {"bird", "birds", "animal", "animals", "beast"} <= bird.words
    assert {"entity", "dame"} <= bird.words  # every sense's hypernyms
    assert {"living thing", "living things", "animate thing"} <= bird.phrases
    assert bird.stems == {"bird"}
    assert "eagle" not in bird.words  # hyponyms name members, allowed


def test_scrub_removes_forms_phrases_and_compounds(bird):
    text = "Eagle's nest: Animals and living things; a songbird, BIRD'S wing"
    assert bird.scrub(text) == "Eagle's nest and a wing"
    assert bird.is_banned("Birds'") and bird.is_banned("blackbird")
    assert not bird.is_banned("wing")


def test_description_drops_giveaways_and_keeps_item_words(net, bird):
    text = texts.describe(
        "Bird: eagle", ["animal", "tux"], ["red", "black"], net, bird
    )
    assert text == (
        "eagle. tux. eagle: large of prey. with wing. in red, black."
    )
    assert texts.spoken_text("Bird: eagle", [], bird) == "eagle"
    # Nothing left but the category: no text, never a shared fallback.
    assert texts.describe("Birds", ["animal", "bird"], [], net, bird) is None
    assert texts.spoken_text("Birds", ["animal"], bird) is None


def test_ood_phrasings_differ_and_keep_words(net, bird):
    text = texts.describe("Bird eagle", ["tux"], ["red"], net, bird)
    phrasings = {texts.rephrase(text, t) for t in range(4)}
    assert len(phrasings) == 4 and text not in phrasings
    assert all("eagle" in p.lower() for p in phrasings)


def test_colour_names_of_svg_fills():
    svg = 'style="fill:#ff0000" fill="#00f" style="stop-color:#ff1010;x"'
    assert texts.svg_colours(svg) == ["red", "blue"]
    assert texts.colour_name("202020") == "black"


def test_lexicon_entry_drops_banned_lemmas(bird):
    entry = lexicon.scrubbed_entry(
        ["eagle", "bird of Jove"], "large birds of prey", bird
    )
    assert entry == "eagle: large of prey"
    assert lexicon.scrubbed_entry(["bird"], "an animal", bird) is None


def _candidates(n, textless):
    return [
        {"path": str(i), "description": None if i < textless else f"t{i}"}
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [12, 40, 300])
def test_allocation_uses_every_svg_once_text_roles_have_text(n):
    candidates = _candidates(n, textless=n // 4)
    allocated = list(catalog.allocate(candidates, seed=3))
    paths = [c["path"] for c, _, _ in allocated]
    assert sorted(paths) == sorted(c["path"] for c in candidates)
    for candidate, role, _ in allocated:
        if role in catalog.TEXT_ROLES:
            assert candidate["description"] is not None
    roles = [role for _, role, _ in allocated]
    targets = sum(
        1 for _, r, s in allocated if r not in ("source",) and s != "ood"
    )
    assert targets <= catalog.TARGET_CAP
    if n >= 100:  # the pool is the larger where there is enough
        assert roles.count("source") >= targets
    for modality in catalog.WEAK_MODALITIES:
        if n >= 40:  # a train, a val and a test item of every modality
            splits = {s for _, r, s in allocated if r == modality}
            assert {"train", "val", "test", "ood"} <= splits
    again = list(catalog.allocate(candidates, seed=3))
    assert [(c["path"], r, s) for c, r, s in again] == [
        (c["path"], r, s) for c, r, s in allocated
    ]


def test_allocation_ood_split_is_small_and_covers_modalities():
    allocated = list(catalog.allocate(_candidates(200, 0), seed=0))
    ood = [r for _, r, s in allocated if s == "ood"]
    assert sorted(set(ood)) == sorted(catalog.WEAK_MODALITIES)
    assert len(ood) == 4 * catalog.OOD_PER_MODALITY
    assert np.all([ood.count(m) == 5 for m in catalog.WEAK_MODALITIES])


def test_text_roles_take_fresh_texts_first():
    candidates = [
        {"path": str(i), "description": "same" if i % 2 else f"t{i}"}
        for i in range(60)
    ]
    texts = [
        c["description"]
        for c, role, _ in catalog.allocate(candidates, seed=1)
        if role in catalog.TEXT_ROLES
    ]
    fresh = sum(1 for c in candidates if c["description"] != "same")
    assert len(set(texts)) == min(len(texts), fresh + 1)
