"""Description and spoken texts that never name the category.

Every piece of text (the SVG's title and keywords, WordNet glosses and
part names) is scrubbed with the category's `giveaway.Giveaway` before it
is used, so no word or phrase of the category's name, synonyms or
hypernyms survives (the benchmark's tests check every stored text).
A description is

    "<title>. <keywords>. <noun>: <gloss>. with <parts>. in <colours>."

from the item's own title and keywords, the WordNet gloss and part names
of the first noun of its title/keywords that WordNet knows (first sense,
skipping generic words), and the basic colour names of its SVG's fills.
An item whose title and keywords keep no content word gets no text (None):
it is left out of the text roles, never given a text shared with others.
"""

import colorsys
import re

from cm_zoo.data.clipart_build import wordnet as wordnet_lib

GENERIC_WORDS = {
    "the", "and", "with", "for", "new", "simple", "icon", "icons", "symbol",
    "holiday", "cartoon", "drawing", "black", "white", "color", "colour",
    "line", "art", "clip", "stylized", "etiquette", "nicu", "buculei",
    "clipart", "architetto", "francesco", "rollandin", "shapes", "aiga",
    "svg", "png", "remix", "openclipart", "public", "domain",
}  # fmt: skip
MAX_PARTS = 4
MAX_COLOURS = 3
SPOKEN_KEYWORDS = 3
FILL = re.compile(
    r"(?:fill|stop-color)\s*[:=]\s*[\"']?#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b"
)
# Phrasings of out-of-distribution descriptions: (title, keywords, rest).
OOD_TEMPLATES = (
    "a picture of {title}, tagged {keywords}. {rest}",
    "{keywords} / {title}",
    "{TITLE}! {rest}",
    "here you can see {title} ({keywords})",
)


def content_words(text):
    """Words of `text` a reader learns something from (not generic)."""
    return [
        w
        for w in re.findall(r"[a-z]+", text.lower())
        if len(w) > 2 and w not in GENERIC_WORDS
    ]


def colour_name(hex_colour):
    """Basic colour word of an `rrggbb` / `rgb` hex string."""
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    if saturation < 0.2 or lightness < 0.1 or lightness > 0.95:
        return (
            "black"
            if lightness < 0.25
            else ("white" if lightness > 0.85 else "grey")
        )
    hue *= 360.0
    if (hue < 45 or hue >= 330) and lightness < 0.35:
        return "brown"
    bounds = [
        (15, "red"), (45, "orange"), (70, "yellow"), (165, "green"),
        (200, "turquoise"), (260, "blue"), (290, "purple"), (330, "pink"),
        (360, "red"),
    ]  # fmt: skip
    return next(name for bound, name in bounds if hue < bound)


def svg_colours(svg_text):
    """The most used basic colours of an SVG's fills, most used first."""
    counts = {}
    for value in FILL.findall(svg_text):
        name = colour_name(value)
        counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    return ranked[:MAX_COLOURS]


def _pieces(title, keywords, giveaway):
    title = giveaway.scrub(title)
    kept = []
    for keyword in keywords:
        keyword = giveaway.scrub(keyword)
        if content_words(keyword) and keyword not in kept:
            kept.append(keyword)
    return (title if content_words(title) else ""), kept


def _noun_facts(title, keywords, wordnet, giveaway):
    """`"noun: gloss"` and part names of the item's first known noun."""
    for word in content_words(" ".join([title, *keywords])):
        senses = wordnet.senses(word)
        if not senses:
            continue
        lemmas, gloss, _ = wordnet.read(senses[0])
        parts = [
            giveaway.scrub(wordnet.read(offset)[0][0])
            for offset in wordnet.related(senses[0], wordnet_lib.PART_MERONYM)
        ]
        parts = [p for p in parts if p][:MAX_PARTS]
        return f"{word}: {giveaway.scrub(gloss)}", parts
    return "", []


def describe(title, keywords, colours, wordnet, giveaway):
    """The item's description (see the module docstring), or None."""
    title, keywords = _pieces(title, keywords, giveaway)
    if not (title or keywords):
        return None
    noun, parts = _noun_facts(title, keywords, wordnet, giveaway)
    pieces = [
        title,
        ", ".join(keywords),
        noun,
        "with " + ", ".join(parts) if parts else "",
        "in " + ", ".join(colours) if colours else "",
    ]
    return ". ".join(p for p in pieces if p) + "."


def spoken_text(title, keywords, giveaway):
    """The scrubbed title, else its first scrubbed keywords; or None."""
    title, keywords = _pieces(title, keywords, giveaway)
    return title or " ".join(keywords[:SPOKEN_KEYWORDS]) or None


def rephrase(description, template):
    """An out-of-distribution phrasing of a `describe` output.

    Args:
        description: str. `"title. keywords. rest..."` as made by
            `describe` (title or keywords may be missing).
        template: int. Index into `OOD_TEMPLATES`.
    """
    pieces = description.rstrip(".").split(". ")
    title, keywords = pieces[0], pieces[1] if len(pieces) > 1 else pieces[0]
    rest = ". ".join(pieces[2:]) or keywords
    text = OOD_TEMPLATES[template % len(OOD_TEMPLATES)].format(
        title=title.lower(), TITLE=title.upper(), keywords=keywords, rest=rest
    )
    return re.sub(r"\s+", " ", text).strip()
