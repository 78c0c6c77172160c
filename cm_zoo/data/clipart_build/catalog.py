"""What goes into the clip-art benchmark: categories, items, roles, texts.

Reads the Debian `openclipart-svg` tree (file listing, SVG title and
keywords) and `wordnet-base` (via `texts` and `giveaway`), and plans every
item's role and split. Each usable SVG of a category gets exactly one role:

- out of distribution (`OOD_FRACTION` of the category, one to
  `OOD_PER_MODALITY` per modality): one of clipart, sketch, description,
  sound, split `"ood"`, rendered/spoken/phrased differently by the builder;
- the targets (`TARGET_FRACTION` of the rest, within `MIN_TARGET` and
  `TARGET_CAP`): the weakly aligned modalities (each at least
  `MIN_PER_WEAK_ROLE`, one per split) and the paired See-Hear-Read set
  (`ROLE_FRACTIONS`), small as CMPlaces' target modalities are next to its
  source;
- the source pool (everything left), split train/val, for the source
  network alone.

Roles that need text take items whose scrubbed title/keywords keep a
content word. Deterministic: sorted listings, seeds from category names.
"""

import hashlib
import os
import re
import zlib

import numpy as np

from cm_zoo.data.clipart_build import giveaway as giveaway_lib
from cm_zoo.data.clipart_build import texts

SVG_ROOT = "/usr/share/openclipart/svg"
WORDNET_ROOT = "/usr/share/wordnet"
TARGET_FRACTION = 0.5
TARGET_CAP = 80
MIN_TARGET = 24
MIN_PER_WEAK_ROLE = 3
OOD_FRACTION = 0.12
OOD_PER_MODALITY = 5
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
WEAK_MODALITIES = ("clipart", "sketch", "description", "sound")
TEXT_ROLES = ("description", "sound", "paired")
WEAK_SPLITS = [("train", 0.7), ("val", 0.1), ("test", 0.2)]
PAIRED_SPLITS = [
    ("image_sound", 0.3),
    ("image_text", 0.3),
    ("val", 0.12),
    ("test", 0.28),
]
SOURCE_SPLITS = [("train", 0.9), ("val", 0.1)]
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


def read_candidates(folders, seen, wordnet, giveaway):
    """Usable SVGs of one category, with their texts (None: no text).

    Skips files over `MAX_SVG_BYTES`, without title and keywords, or whose
    bytes or file name were met before (`seen`, updated).
    """
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
        colours = texts.svg_colours(data.decode("utf-8", errors="replace"))
        candidates.append(
            {
                "path": path,
                "svg_sha256": digest,
                "title": title,
                "keywords": keywords,
                "description": texts.describe(
                    title, keywords, colours, wordnet, giveaway
                ),
                "spoken_text": texts.spoken_text(title, keywords, giveaway),
            }
        )
    return candidates


def role_counts(n):
    """`[(role, split kind, count)]` of a category with `n` usable SVGs."""
    n_ood = max(len(WEAK_MODALITIES), int(n * OOD_FRACTION))
    n_ood = min(len(WEAK_MODALITIES) * OOD_PER_MODALITY, n_ood)
    n_target = round(TARGET_FRACTION * (n - n_ood))
    n_target = min(TARGET_CAP, max(MIN_TARGET, n_target), n - n_ood)
    share = 1.0 / len(WEAK_MODALITIES)
    ood = split_counts(n_ood, [(m, share) for m in WEAK_MODALITIES])
    targets = dict(split_counts(n_target, ROLE_FRACTIONS))
    for role in WEAK_MODALITIES:  # a train, a val and a test item at least
        while targets[role] < MIN_PER_WEAK_ROLE:
            largest = max(targets, key=targets.get)
            if targets[largest] <= MIN_PER_WEAK_ROLE:
                break
            targets[largest] -= 1
            targets[role] += 1
    return [(r, "ood", c) for r, c in ood] + [
        (r, "target", c) for r, c in targets.items()
    ]


def _splits(kind, role, n):
    if kind == "ood":
        return ["ood"] * n
    if kind == "source":
        return assign(n, SOURCE_SPLITS)
    return assign(n, PAIRED_SPLITS if role == "paired" else WEAK_SPLITS)


def allocate(candidates, seed):
    """Yields `(candidate, role, split)` for every candidate, shuffled.

    Text roles take the first text-bearing candidates in shuffled order,
    those whose text no text role has yet first (openclipart repeats
    metadata); image roles take the first remaining ones, the source pool
    the rest.
    """
    order = np.random.default_rng(seed).permutation(len(candidates))
    free = [candidates[i] for i in order]
    counts = sorted(
        role_counts(len(free)),
        key=lambda slot: slot[0] not in TEXT_ROLES,
    )
    used = set()
    for role, kind, count in counts:
        usable = free
        if role in TEXT_ROLES:  # fresh texts first: few shared ones
            usable = [c for c in free if c["description"] is not None]
            usable.sort(key=lambda c: c["description"] in used)
        usable = usable[:count]
        for member in usable:
            free.remove(member)
            used.add(member["description"])
        for member, split in zip(usable, _splits(kind, role, len(usable))):
            yield member, role, split
    for member, split in zip(free, _splits("source", "source", len(free))):
        yield member, "source", split


def category_giveaways(wordnet):
    """`{category: giveaway.Giveaway}` of every category."""
    return {
        name: giveaway_lib.category_giveaway(wordnet, name, key)
        for name, (_, key) in CATEGORIES.items()
    }


def plan_items(wordnet, giveaways):
    """Every usable SVG of every category with its role, split and texts.

    Args:
        wordnet: `wordnet.WordNet`.
        giveaways: dict, as returned by `category_giveaways`.

    Returns:
        list of dict: `category`, `label`, `role`, `split`, `path`,
        `svg_sha256`, `title`, `keywords`, `description`, `spoken_text`
        and `variant` (an int from the path, choosing how an out-of-
        distribution item is rendered, spoken or phrased).
    """
    seen = set()  # sha256 and file names: a clip copied to two folders
    items = []
    for label, (name, (folders, _)) in enumerate(CATEGORIES.items()):
        candidates = read_candidates(folders, seen, wordnet, giveaways[name])
        for member, role, split in allocate(
            candidates, zlib.crc32(name.encode())
        ):
            item = dict(member, category=name, label=label, role=role)
            item.update(
                split=split, variant=zlib.crc32(member["path"].encode())
            )
            if split == "ood" and role == "description":
                item["description"] = texts.rephrase(
                    item["description"], item["variant"]
                )
            items.append(item)
    return items
