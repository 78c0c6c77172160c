"""Nouns of Debian's `wordnet-base`: senses, synsets, pointers, plurals.

Reads `index.noun` (lemma -> synset offsets, in sense order), `data.noun`
(one synset per line at its byte offset: lemmas, pointers, gloss) and
`noun.exc` (irregular plurals). Nothing else of WordNet is used.
"""

import os

HYPONYM = "~"
HYPERNYMS = ("@", "@i")  # hypernym and instance hypernym
PART_MERONYM = "%p"


class WordNet:
    """Noun lookups over one wordnet-base directory.

    Args:
        root: str. Directory holding `index.noun`, `data.noun`, `noun.exc`.
    """

    def __init__(self, root):
        self.offsets = {}
        with open(os.path.join(root, "index.noun"), encoding="utf-8") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                parts = line.split()
                count = int(parts[2])
                pointers = int(parts[3])
                self.offsets[parts[0]] = parts[6 + pointers :][:count]
        with open(os.path.join(root, "data.noun"), "rb") as f:
            self.data = f.read()
        self.plurals = {}
        with open(os.path.join(root, "noun.exc"), encoding="utf-8") as f:
            for line in f:
                plural, *lemmas = line.split()
                for lemma in lemmas:
                    self.plurals.setdefault(lemma, []).append(plural)

    def senses(self, lemma):
        """Synset offsets of a noun lemma (spaces or underscores), in order."""
        return self.offsets.get(lemma.lower().replace(" ", "_"), [])

    def synset(self, key):
        """Offset of a `"lemma.sense"` key such as `"dish.2"`."""
        lemma, sense = key.rsplit(".", 1)
        return self.senses(lemma)[int(sense) - 1]

    def read(self, offset):
        """Returns `(lemmas, gloss, pointers)` of one synset.

        `lemmas` have spaces for underscores; `gloss` is its first clause;
        `pointers` is a list of `(symbol, target offset)` to other nouns.
        """
        start = int(offset)
        line = self.data[start : self.data.index(b"\n", start)].decode()
        fields, gloss = line.split(" | ", 1)
        parts = fields.split()
        count = int(parts[3], 16)
        lemmas = [parts[4 + 2 * i].replace("_", " ") for i in range(count)]
        position = 4 + 2 * count
        pointers = []
        for i in range(int(parts[position])):
            first = position + 1 + 4 * i
            symbol, target, pos = parts[first : first + 3]
            if pos == "n":
                pointers.append((symbol, target))
        return lemmas, gloss.split(";")[0].strip(), pointers

    def gloss(self, lemma, sense=1):
        """First clause of the gloss of a noun sense, or None."""
        offsets = self.senses(lemma)
        if sense > len(offsets):
            return None
        return self.read(offsets[sense - 1])[1]

    def related(self, offset, symbols):
        """Offsets pointed at from `offset` by one of `symbols`."""
        return [t for s, t in self.read(offset)[2] if s in symbols]

    def closure(self, offsets, symbols):
        """Every synset reachable from `offsets` along `symbols`, inclusive."""
        seen = list(dict.fromkeys(offsets))
        frontier = list(seen)
        while frontier:
            found = []
            for offset in frontier:
                for target in self.related(offset, symbols):
                    if target not in seen and target not in found:
                        found.append(target)
            seen += found
            frontier = found
        return seen
