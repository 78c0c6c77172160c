"""What goes into the clip-art benchmark: categories, items, roles, texts.

Reads the Debian `openclipart-svg` tree (file listing, SVG title and
keywords) and `wordnet-base` (noun glosses), and plans every item's role and
split. Deterministic: sorted listings and seeds derived from category names.
"""

import hashlib
import os
import re
import zlib

import numpy as np

SVG_ROOT = "/usr/share/openclipart/svg"
WORDNET_ROOT = "/usr/share/wordnet"
MAX_PER_CATEGORY = 150
MAX_SVG_BYTES = 1_000_000
LICENCE = "public domain (Open Clip Art Library, Debian openclipart-svg)"

# Category name -> (folders; a trailing "/**" takes subfolders too,
# WordNet noun "lemma.sense" glossing the category).
CATEGORIES = {
    "bird": (["animals/birds/**"], "bird.1"),
    "insect": (["animals/bugs/**"], "insect.1"),
    "mammal": (["animals/mammals/**"], "mammal.1"),
    "fruit": (["food/fruit/**"], "fruit.1"),
    "dessert": (["food/desserts/**"], "dessert.1"),
    "beverage": (["food/beverages/**"], "beverage.1"),
    "dish": (
        ["food", "food/meats_and_eggs/**", "food/breads_and_carbs/**"],
        "dish.2",
    ),
    "vehicle": (["transportation/vehicles/**"], "vehicle.1"),
    "boat": (["transportation/boating/**"], "boat.1"),
    "building": (["buildings", "buildings/homes/**"], "building.1"),
    "plant": (["plants/**"], "plant.2"),
    "music": (["recreation/music/**"], "music.1"),
    "sport": (["recreation/sports/**"], "sport.1"),
    "tool": (["tools"], "tool.1"),
    "weapon": (["tools/weapons/**"], "weapon.1"),
    "flag": (["signs_and_symbols/flags/**"], "flag.1"),
    "star": (["shapes/stars/**"], "star.1"),
    "arrow": (["shapes/arrows/**"], "arrow.1"),
    "playing card": (["recreation/games/cards/**"], "playing_card.1"),
    "smiley": (["people/smilies/**"], "smiley.1"),
    "person": (["people", "people/stickmen/**"], "person.1"),
    "street sign": (["transportation/roadsigns/**"], "street_sign.1"),
    "pictograph": (
        ["transportation/aiga-symbols/**", "signs_and_symbols/map_symbols"],
        "pictograph.1",
    ),
    "map": (["geography"], "map.1"),
    "pattern": (["special/patterns/**"], "pattern.6"),
    "clothing": (["people/clothing/**"], "clothing.1"),
    "computer hardware": (["computer/hardware/**"], "computer_hardware.1"),
    "jigsaw puzzle": (["shapes/jigsaw/**"], "jigsaw_puzzle.1"),
}
HOLDOUT_CATEGORIES = ["insect", "boat", "dessert", "weapon", "map"]

# Fractions of each category's items per role, then per split inside a role.
ROLE_FRACTIONS = [
    ("clipart", 0.28),
    ("sketch", 0.18),
    ("description", 0.12),
    ("sound", 0.10),
    ("paired", 0.32),
]
WEAK_SPLITS = [("train", 0.7), ("val", 0.1), ("test", 0.2)]
PAIRED_SPLITS = [
    ("image_sound", 0.3),
    ("image_text", 0.3),
    ("val", 0.12),
    ("test", 0.28),
]
HOUSEKEEPING_KEYWORDS = {
    "",
    "clip art",
    "clipart",
    "image",
    "media",
    "png",
    "svg",
    "public domain",
    "externalsource",
    "openclipart",
    "unsorted",
    "remix",
    "how i did it",
}
GENERIC_WORDS = {
    "the",
    "and",
    "with",
    "for",
    "new",
    "simple",
    "icon",
    "icons",
    "symbol",
    "animal",
    "animals",
    "holiday",
    "cartoon",
    "drawing",
    "black",
    "white",
    "color",
    "colour",
    "line",
    "art",
    "clip",
    "sign",
    "signs",
    "stylized",
    "etiquette",
    "nicu",
    "buculei",
    "clipart",
    "architetto",
    "francesco",
    "rollandin",
    "food",
    "people",
    "shape",
    "shapes",
    "aiga",
}


def list_category_files(folders):
    files = []
    for folder in folders:
        recursive = folder.endswith("/**")
        base = os.path.join(SVG_ROOT, folder.removesuffix("/**"))
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            files += [
                os.path.join(dirpath, f)
                for f in filenames
                if f.endswith(".svg")
            ]
            if not recursive:
                break
    return sorted(set(files))


def read_metadata(data):
    text = data.decode("utf-8", errors="replace")
    work = re.search(r"<cc:Work\b.*?</cc:Work>", text, re.S)
    scope = work.group(0) if work else text
    title = re.search(r"<dc:title>([^<]*)</dc:title>", scope)
    title = title.group(1).replace("_", " ").strip() if title else ""
    if title.startswith("HASH("):
        title = ""
    subject = re.search(r"<dc:subject>(.*?)</dc:subject>", scope, re.S)
    keywords = []
    if subject:
        for word in re.findall(r"<rdf:li>([^<]*)</rdf:li>", subject.group(1)):
            word = word.replace("_", " ").strip().lower()
            if word not in HOUSEKEEPING_KEYWORDS and word not in keywords:
                keywords.append(word)
    return title, keywords


class WordNet:
    """First-sense (or chosen-sense) noun glosses from wordnet-base."""

    def __init__(self, root):
        self.offsets = {}
        with open(os.path.join(root, "index.noun"), encoding="utf-8") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                parts = line.split()
                count = int(parts[2])
                pointers = int(parts[3])
                synsets = parts[6 + pointers :]
                self.offsets[parts[0]] = synsets[:count]
        with open(os.path.join(root, "data.noun"), "rb") as f:
            self.data = f.read()

    def gloss(self, lemma, sense=1):
        offsets = self.offsets.get(lemma.lower().replace(" ", "_"))
        if not offsets or sense > len(offsets):
            return None
        start = int(offsets[sense - 1])
        line = self.data[start : self.data.index(b"\n", start)].decode()
        return line.split(" | ", 1)[1].split(";")[0].strip()


def split_counts(n, fractions):
    """Rounds `n * fraction`, giving every part at least one item if it can."""
    edges = np.round(np.cumsum([f for _, f in fractions]) * n).astype(int)
    edges[-1] = n
    counts = np.diff(np.r_[0, edges])
    if n >= len(fractions):
        for part in range(1, len(counts)):
            if counts[part] == 0:
                counts[part] = 1
                counts[np.argmax(counts)] -= 1
    return [(name, int(c)) for (name, _), c in zip(fractions, counts)]


def assign(n, fractions):
    names = []
    for name, count in split_counts(n, fractions):
        names += [name] * count
    return names


def describe(title, keywords, wordnet, category_gloss):
    """'title. keywords. gloss'; the gloss is of the item's first WordNet noun.

    Nouns are looked for in the title, then the keywords (generic words such
    as "icon" or "animal" skipped); the category gloss is the fallback.
    """
    gloss = None
    candidates = re.findall(r"[a-z]+", title.lower()) + keywords
    for word in candidates:
        if len(word) > 2 and word not in GENERIC_WORDS:
            gloss = wordnet.gloss(word)
            if gloss:
                gloss = f"{word}: {gloss}"
                break
    parts = [title, ", ".join(keywords), gloss or category_gloss]
    return ". ".join(p for p in parts if p) + "."


def spoken_text(title, keywords):
    if title:
        return title
    return " ".join(keywords[:3])


def plan_items(wordnet):
    """Lists items per category, shuffled with a name-derived seed."""
    seen = set()  # sha256 and file names: a clip copied to two folders
    items = []
    for label, (name, (folders, gloss_key)) in enumerate(CATEGORIES.items()):
        lemma, sense = gloss_key.rsplit(".", 1)
        category_gloss = f"{name}: {wordnet.gloss(lemma, int(sense))}"
        candidates = []
        for path in list_category_files(folders):
            if os.path.getsize(path) > MAX_SVG_BYTES:
                continue
            with open(path, "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).hexdigest()
            title, keywords = read_metadata(data)
            basename = os.path.basename(path)
            if seen & {digest, basename} or not (title or keywords):
                continue
            seen |= {digest, basename}
            candidates.append((path, title, keywords))
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        order = rng.permutation(len(candidates))[:MAX_PER_CATEGORY]
        chosen = [candidates[i] for i in order]
        roles = assign(len(chosen), ROLE_FRACTIONS)
        for role in dict.fromkeys(roles):
            members = [c for c, r in zip(chosen, roles) if r == role]
            splits = assign(
                len(members),
                PAIRED_SPLITS if role == "paired" else WEAK_SPLITS,
            )
            for (path, title, keywords), split in zip(members, splits):
                items.append(
                    {
                        "category": name,
                        "label": label,
                        "role": role,
                        "split": split,
                        "path": path,
                        "title": title,
                        "keywords": keywords,
                        "description": describe(
                            title, keywords, wordnet, category_gloss
                        ),
                    }
                )
    return items
