"""A WordNet lexicon per category: text-only items naming its members.

For each category, its WordNet noun synset (the one whose gloss the
descriptions use, `catalog.CATEGORIES`, plus `EXTRA_ROOTS`) and its
hyponyms, breadth first in WordNet's pointer order, at most `MAX_DEPTH`
levels down and `MAX_PER_ROOT` synsets per root. Each synset becomes one text,
`"<lemma names joined by ', '>: <gloss>"`, scrubbed of the category's
giveaway (`scrubbed_entry`: the category synset itself thus vanishes, and
"bird of Jove" leaves the eagle's lemmas). A hyponym sharing a lemma
(case-insensitive) with any synset of another category is dropped, so no
word points at two labels (the projectile `arrow` leaves "weapon").
Deterministic: WordNet files only, no
randomness, output sorted by (label, text).
"""

from cm_zoo.data.clipart_build import catalog
from cm_zoo.data.clipart_build import wordnet as wordnet_lib
from cm_zoo.data.clipart_build.giveaway import tokens

MAX_DEPTH = 6
MAX_PER_ROOT = 120
# More roots than the category synset, where its hyponyms miss what the
# clip art shows: music.1 is the art form (its hyponyms are genres), the
# drawings are mostly instruments (all 164 within MAX_DEPTH, saxophone is
# the 154th): root -> its own cap.
EXTRA_ROOTS = {"music": {"musical_instrument.1": 170}}


def _unique(lemmas):
    seen = set()
    out = []
    for lemma in lemmas:
        if lemma.lower() not in seen:
            seen.add(lemma.lower())
            out.append(lemma)
    return out


def category_synsets(wordnet, root_offset, cap=MAX_PER_ROOT):
    """Breadth-first hyponym closure of one synset, depth- and size-capped."""
    order = [root_offset]
    seen = {root_offset}
    frontier = [root_offset]
    for _ in range(MAX_DEPTH):
        next_frontier = []
        for offset in frontier:
            for child in wordnet.related(offset, wordnet_lib.HYPONYM):
                if child not in seen:
                    seen.add(child)
                    next_frontier.append(child)
        frontier = next_frontier
        order += frontier
        if len(order) >= cap or not frontier:
            break
    return order[:cap]


def scrubbed_entry(lemmas, gloss, giveaway):
    """`"<lemmas>: <gloss>"` without the category's giveaway, or None.

    Lemmas holding a banned word or phrase are dropped, the gloss is
    scrubbed; None when no lemma or no gloss word is left.
    """
    kept = [x for x in lemmas if giveaway.scrub(x) == " ".join(tokens(x))]
    gloss = giveaway.scrub(gloss)
    if not kept or not gloss:
        return None
    return f"{', '.join(kept)}: {gloss}"


def _category_entries(wordnet, name, gloss_key):
    entries = []
    seen = set()
    roots = {gloss_key: MAX_PER_ROOT, **EXTRA_ROOTS.get(name, {})}
    for key, cap in roots.items():
        root_offset = wordnet.synset(key)
        for offset in category_synsets(wordnet, root_offset, cap):
            if offset not in seen:
                seen.add(offset)
                lemmas, gloss, _ = wordnet.read(offset)
                is_root = offset == root_offset
                entries.append((_unique(lemmas), gloss, is_root))
    return entries


def build_lexicon(wordnet, giveaways):
    """Returns the sorted `[label, text]` lexicon of every category.

    Args:
        wordnet: `wordnet.WordNet`.
        giveaways: dict. `{category: giveaway.Giveaway}`; every text is
            scrubbed of its own category's giveaway (`scrubbed_entry`).
    """
    per_category = [
        _category_entries(wordnet, name, key)
        for name, (_, key) in catalog.CATEGORIES.items()
    ]
    owners = {}
    for label, entries in enumerate(per_category):
        for lemmas, _, _ in entries:
            for lemma in lemmas:
                owners.setdefault(lemma.lower(), set()).add(label)
    lexicon = set()
    for label, (name, entries) in enumerate(
        zip(catalog.CATEGORIES, per_category)
    ):
        for lemmas, gloss, is_root in entries:
            ambiguous = any(len(owners[x.lower()]) > 1 for x in lemmas)
            text = scrubbed_entry(lemmas, gloss, giveaways[name])
            if text and not (ambiguous and not is_root):
                lexicon.add((label, text))
    return [[label, text] for label, text in sorted(lexicon)]
