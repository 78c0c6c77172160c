"""Words that give a category away, and texts scrubbed of them.

CMPlaces' annotators were told not to use words that name the scene; here
the same rule is enforced by construction. A category's *giveaway* is:

- `stems`: the words of its name of 4 letters or more (e.g. "computer",
  "hardware"); any word *containing* one is banned ("songbird",
  "sailboat", "musician");
- `words`: the words of its name and of its synset's lemmas ("jigsaw",
  "puzzle", "vesture"), every one-word lemma of every noun sense of its
  name and of all their WordNet hypernyms up to `entity` (e.g. bird:
  "vertebrate", "animal", "fowl"), each with its plural forms (regular,
  WordNet's `noun.exc`, and `EXTRA_PLURALS` such as "people");
- `phrases`: the multi-word lemmas of those hypernyms ("living thing",
  "physical object"), the last word also in the plural.

A word matches with or without a possessive `'s`. `scrub` drops every
matching word or phrase and keeps the rest of the text's words.
"""

import re

from cm_zoo.data.clipart_build import wordnet as wordnet_lib

TOKEN = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?", re.IGNORECASE)
STOP_WORDS = {"of", "the", "a", "an", "and", "in", "on", "for", "to", "s"}
MIN_STEM = 4
# English plurals WordNet does not list as forms of the lemma.
EXTRA_PLURALS = {"person": ["people"]}


def tokens(text):
    """Words of `text` (letters/digits, an optional `'s`-style suffix)."""
    return TOKEN.findall(text)


def plural_forms(word, wordnet):
    """`word` and its plurals (regular, noun.exc, EXTRA_PLURALS)."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("f"):
        forms.add(word[:-1] + "ves")
    if word.endswith("fe"):
        forms.add(word[:-2] + "ves")
    forms.update(wordnet.plurals.get(word, []))
    forms.update(EXTRA_PLURALS.get(word, []))
    return forms


class Giveaway:
    """The banned vocabulary of one category (see the module docstring).

    Args:
        words: iterable of str. Banned words, every form listed.
        phrases: iterable of str. Banned multi-word phrases, every form.
        stems: iterable of str. Banned inside any word.
    """

    def __init__(self, words, phrases, stems):
        self.words = frozenset(words)
        self.phrases = frozenset(phrases)
        self.stems = frozenset(stems)
        self._phrase_tokens = sorted(
            {tuple(p.split()) for p in self.phrases}, key=len, reverse=True
        )

    def to_json(self):
        return {
            "words": sorted(self.words),
            "phrases": sorted(self.phrases),
            "stems": sorted(self.stems),
        }

    def is_banned(self, word):
        """Whether one word (any case, possibly possessive) is banned."""
        word = word.lower().replace("\u2019", "'")
        base = re.sub(r"'s$|s'$|'$", "", word)
        if word in self.words or base in self.words:
            return True
        return any(stem in word for stem in self.stems)

    def scrub(self, text):
        """`text`'s words, space-joined, without banned words or phrases."""
        found = tokens(text)
        lower = [re.sub(r"['\u2019]s$", "", w.lower()) for w in found]
        keep = [not self.is_banned(w) for w in found]
        for phrase in self._phrase_tokens:
            for start in range(len(lower) - len(phrase) + 1):
                if tuple(lower[start : start + len(phrase)]) == phrase:
                    keep[start : start + len(phrase)] = [False] * len(phrase)
        return " ".join(w for w, k in zip(found, keep) if k)


def category_giveaway(wordnet, name, synset_key):
    """Builds the `Giveaway` of one category.

    Args:
        wordnet: `wordnet.WordNet`.
        name: str. Category name, e.g. `"computer hardware"`.
        synset_key: str. Its chosen synset, `"lemma.sense"`.
    """
    chosen = wordnet.synset(synset_key)
    roots = list(dict.fromkeys([chosen, *wordnet.senses(name)]))
    stems = {w for w in tokens(name.lower()) if len(w) >= MIN_STEM}
    synonyms = set(tokens(name.lower()))
    synonyms.update(tokens(" ".join(wordnet.read(chosen)[0]).lower()))
    words = set()
    phrases = set()
    for word in synonyms - STOP_WORDS:
        words |= plural_forms(word, wordnet)
    for offset in wordnet.closure(roots, wordnet_lib.HYPERNYMS):
        for lemma in wordnet.read(offset)[0]:
            parts = tokens(lemma.lower())
            if len(parts) == 1:
                words |= plural_forms(parts[0], wordnet)
            elif parts:
                for last in plural_forms(parts[-1], wordnet):
                    phrases.add(" ".join(parts[:-1] + [last]))
    return Giveaway(words, phrases, stems)
