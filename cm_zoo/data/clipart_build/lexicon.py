"""A WordNet lexicon per category: text-only items naming its members.

For each category, its WordNet noun synset (the one whose gloss the
descriptions use, `catalog.CATEGORIES`, plus `EXTRA_ROOTS`) and its
hyponyms, breadth first in WordNet's pointer order, at most `MAX_DEPTH`
levels down and `MAX_PER_ROOT` synsets per root. Each synset becomes one text,
`"<lemma names joined by ', '>: <gloss>"`. A hyponym sharing a lemma
(case-insensitive) with any synset of another category is dropped, so no
word points at two labels; the category synsets themselves are always kept
(e.g. `arrow, pointer` stays in "arrow" and the projectile `arrow` leaves
"weapon"). Deterministic: WordNet files only, no
randomness, output sorted by (label, text).
"""

import os

from cm_zoo.data.clipart_build import catalog

MAX_DEPTH = 6
MAX_PER_ROOT = 120
# More roots than the category synset, where its hyponyms miss what the
# clip art shows: music.1 is the art form (its hyponyms are genres), the
# drawings are mostly instruments (all 164 within MAX_DEPTH, saxophone is
# the 154th): root -> its own cap.
EXTRA_ROOTS = {"music": {"musical_instrument.1": 170}}
HYPONYM = "~"


class Synsets:
    """Noun synsets of wordnet-base: lemmas, gloss and hyponym pointers."""

    def __init__(self, root):
        with open(os.path.join(root, "data.noun"), "rb") as f:
            self.data = f.read()

    def read(self, offset):
        """Returns `(lemmas, gloss, hyponym offsets)` of one synset."""
        start = int(offset)
        line = self.data[start : self.data.index(b"\n", start)].decode()
        fields, gloss = line.split(" | ", 1)
        parts = fields.split()
        count = int(parts[3], 16)
        lemmas = [parts[4 + 2 * i].replace("_", " ") for i in range(count)]
        position = 4 + 2 * count
        pointers = int(parts[position])
        hyponyms = []
        for i in range(pointers):
            first = position + 1 + 4 * i
            symbol, target, pos = parts[first : first + 3]
            if symbol == HYPONYM and pos == "n":
                hyponyms.append(target)
        return lemmas, gloss.split(";")[0].strip(), hyponyms


def _unique(lemmas):
    seen = set()
    out = []
    for lemma in lemmas:
        if lemma.lower() not in seen:
            seen.add(lemma.lower())
            out.append(lemma)
    return out


def category_synsets(synsets, root_offset, cap=MAX_PER_ROOT):
    """Breadth-first hyponym closure of one synset, depth- and size-capped."""
    order = [root_offset]
    seen = {root_offset}
    frontier = [root_offset]
    for _ in range(MAX_DEPTH):
        next_frontier = []
        for offset in frontier:
            for child in synsets.read(offset)[2]:
                if child not in seen:
                    seen.add(child)
                    next_frontier.append(child)
        frontier = next_frontier
        order += frontier
        if len(order) >= cap or not frontier:
            break
    return order[:cap]


def build_lexicon(wordnet, root=catalog.WORDNET_ROOT):
    """Returns the sorted `[label, text]` lexicon of every category.

    Args:
        wordnet: `catalog.WordNet`. Maps lemmas to synset offsets.
        root: str. The wordnet-base directory.
    """
    synsets = Synsets(root)
    per_category = []
    for name, (_, gloss_key) in catalog.CATEGORIES.items():
        entries = []
        seen = set()
        roots = {gloss_key: MAX_PER_ROOT, **EXTRA_ROOTS.get(name, {})}
        for key, cap in roots.items():
            lemma, sense = key.rsplit(".", 1)
            root_offset = wordnet.offsets[lemma][int(sense) - 1]
            for offset in category_synsets(synsets, root_offset, cap):
                if offset not in seen:
                    seen.add(offset)
                    lemmas, gloss, _ = synsets.read(offset)
                    is_root = offset == root_offset
                    entries.append((_unique(lemmas), gloss, is_root))
        per_category.append(entries)
    owners = {}
    for label, entries in enumerate(per_category):
        for lemmas, _, _ in entries:
            for lemma in lemmas:
                owners.setdefault(lemma.lower(), set()).add(label)
    lexicon = set()
    for label, entries in enumerate(per_category):
        for lemmas, gloss, is_root in entries:
            ambiguous = any(len(owners[x.lower()]) > 1 for x in lemmas)
            if ambiguous and not is_root:
                continue
            lexicon.add((label, f"{', '.join(lemmas)}: {gloss}"))
    return [[label, text] for label, text in sorted(lexicon)]
