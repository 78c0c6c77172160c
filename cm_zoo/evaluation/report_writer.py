"""A markdown evaluation report from per-method result dicts and figure paths.

Assembles the CMPlaces tables (Tables 1-5 laid out as in the paper: rows
are methods, columns modality pairs or modalities), within-modal retrieval,
classification accuracy and modality invariance, and embeds the figures
(t-SNE, unit grids, feature inversions) with relative links. Pure
formatting: every number comes from the result dicts given.
"""

from cm_zoo import modalities
from cm_zoo.evaluation import report


def evaluation_report(results_by_method, *, title, notes=(), chance=None):
    """The full markdown report of one or more evaluated methods.

    Each method's result is a dict with `"retrieval"` (`{layer:
    cross_modal_retrieval result}`, paper protocol, fc7 among the layers),
    `"retrieval_full"` (`{"fc7": result}`, full protocol), `"accuracy"`
    (`{modality: test accuracy}`), `"invariance"` (a `modality_invariance`
    result) and optionally `"zero_shot_retrieval"`, `"zero_shot_accuracy"`
    (Tables 5 and 4; their sections appear only if some method has them),
    `"units"` (`{"units": [int], "words": [[str]]}`), `"inversion"`
    (`{"losses": [float], "target": modality}`) and `"figures"` (`{"tsne"
    | "units" | "inversion": path relative to the report}`).

    Args:
        results_by_method: dict `{method label: result}`, in row order.
        title: str. The report's first heading.
        notes: sequence of str. Paragraphs under the title. Defaults to
            `()`.
        chance: optional float. Chance classification accuracy (`1 /
            num_classes`) for the accuracy tables. Defaults to `None`.

    Returns:
        A markdown string ending with a newline.

    Raises:
        ValueError: on an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report_writer
    >>> leaf = {"map": .5, "pr_at_k": .4, "chance_map": .1,
    ...         "chance_pr_at_k": .1}
    >>> result = {"pairs": {("sketch", "clipart"): leaf}, "mean": leaf,
    ...           "within": {("sketch", "sketch"): leaf}, "within_mean": leaf,
    ...           "protocol": "paper", "k": 10}
    >>> method = {"retrieval": {"fc7": result},
    ...           "retrieval_full": {"fc7": result},
    ...           "accuracy": {"sketch": .3},
    ...           "invariance": {"accuracy": .9, "chance": .5}}
    >>> text = report_writer.evaluation_report({"C": method}, title="R")
    >>> text.splitlines()[0], "## Table 4" in text
    ('# R', False)
    """
    report._first_result(results_by_method)
    results = results_by_method
    k = next(iter(results.values()))["retrieval"]["fc7"]["k"]
    fc7 = {m: r["retrieval"]["fc7"] for m, r in results.items()}
    full = {m: r["retrieval_full"]["fc7"] for m, r in results.items()}
    sections = [f"# {title}", *notes]
    sections += [
        "## Table 1: cross-modal retrieval mAP (fc7)",
        "Paper protocol: up to 1000 random queries per query modality "
        "rank every item of the target modality by cosine similarity; "
        "class-level AP, mean over queries. Columns are query→target.",
        report.retrieval_table(fc7, "map"),
        "Full protocol: every test item is a query.",
        report.retrieval_table(full, "map"),
        f"## Table 2: cross-modal retrieval PR@{k} (fc7)",
        "Paper protocol.",
        report.retrieval_table(fc7, "pr_at_k"),
        "## Table 3: mean cross-modal mAP across layers",
        "Paper protocol, mean over all ordered modality pairs.",
        report.layer_table({m: r["retrieval"] for m, r in results.items()}),
        "## Within-modal retrieval mAP (fc7)",
        "Each modality queries itself, the query left out of its ranking.",
        report.retrieval_table(fc7, "map", within=True),
        "## Scene classification accuracy (test)",
        report.accuracy_table(
            {m: r["accuracy"] for m, r in results.items()}, chance=chance
        ),
    ]
    sections += _zero_shot_sections(results, chance)
    sections += _invariance_sections(results)
    sections += _unit_sections(results)
    sections += _inversion_sections(results)
    return "\n\n".join(sections) + "\n"


def _zero_shot_sections(results, chance):
    zero_shot = {m: r for m, r in results.items() if "zero_shot_retrieval" in r}
    if not zero_shot:
        return []
    categories = next(iter(zero_shot.values()))["zero_shot_retrieval"][
        "classes"
    ]
    sections = [
        "## Table 4: zero-shot scene classification (held-out categories)",
        f"Accuracy on the test items of the {len(categories)} categories "
        "held out of the target modalities' training data, argmax over "
        "every class.",
        report.accuracy_table(
            {m: r["zero_shot_accuracy"] for m, r in zero_shot.items()},
            chance=chance,
        ),
    ]
    among = _having(zero_shot, "zero_shot_accuracy_among_held_out")
    if among:
        sections += [
            "Argmax over the held-out classes only (chance "
            f"{100 / len(categories):.1f}).",
            report.accuracy_table(among, chance=1.0 / len(categories)),
        ]
    sections += [
        "## Table 5: zero-shot cross-modal retrieval mAP (fc7)",
        "Queries and targets restricted to the held-out categories.",
        report.retrieval_table(
            {m: r["zero_shot_retrieval"] for m, r in zero_shot.items()}
        ),
    ]
    without = _having(zero_shot, "zero_shot_retrieval_without_source")
    if without:
        sections += [
            "Without the source modality, which saw the held-out "
            "categories in training: target modalities only.",
            report.retrieval_table(without),
        ]
    return sections


def _having(results, key):
    return {m: r[key] for m, r in results.items() if key in r}


def _invariance_sections(results):
    sections = [
        "## Modality invariance (fc7)",
        "Cross-validated accuracy of a linear probe predicting an item's "
        "modality from its fc7 features: lower is more invariant, chance "
        "is the floor. The t-SNE plots (section 5.4, Figure 7) colour the "
        "same features by modality and by category.",
        report.invariance_table(
            {m: r["invariance"] for m, r in results.items()}
        ),
    ]
    for method, result in results.items():
        path = result.get("figures", {}).get("tsne")
        if path:
            sections += [f"### {method}", f"![t-SNE of fc7, {method}]({path})"]
    return sections


def _unit_sections(results):
    with_units = {m: r for m, r in results.items() if "units" in r}
    if not with_units:
        return []
    sections = [
        "## Unit visualisation (fc7)",
        "For each chosen fc7 unit, the test items of every modality that "
        "activate it most (section 5.3, Figure 6), and the most "
        "distinctive words of its top descriptions by tf-idf.",
    ]
    for method, result in with_units.items():
        units = result["units"]
        lines = ["| Unit | Distinctive words |", "|---:|---|"]
        for unit, words in zip(units["units"], units["words"]):
            lines.append(f"| {unit} | {', '.join(words) or '–'} |")
        sections += [f"### {method}", "\n".join(lines)]
        path = result.get("figures", {}).get("units")
        if path:
            sections.append(f"![fc7 units, {method}]({path})")
    return sections


def _inversion_sections(results):
    with_inversion = {m: r for m, r in results.items() if "inversion" in r}
    if not with_inversion:
        return []
    first = next(iter(with_inversion.values()))["inversion"]
    target = modalities.SHORT_NAMES[first["target"]]
    sections = [
        "## Feature inversion (pool5)",
        "A decoder of up-convolutions (section 5.5, after Dosovitskiy & "
        f"Brox) is trained to map {target} pool5 features to downsampled "
        f"{target} images, then decodes the pool5 of test items of every "
        "modality. Each column is one category; rows alternate inputs and "
        "their reconstructions.",
    ]
    for method, result in with_inversion.items():
        losses = result["inversion"]["losses"]
        sections += [
            f"### {method}",
            f"Decoder training MSE: {losses[0]:.4f} (first epoch) → "
            f"{losses[-1]:.4f} (epoch {len(losses)}).",
        ]
        path = result.get("figures", {}).get("inversion")
        if path:
            sections.append(f"![feature inversion, {method}]({path})")
    return sections


def see_hear_read_report(metrics, *, title, method):
    """The markdown report of one See-Hear-Read run (Tables 1-3).

    Args:
        metrics: dict. A `see_hear_read_metrics` result (tuple keys).
        title: str. The report's first heading.
        method: str. Row label of the run.

    Returns:
        A markdown string ending with a newline.

    Example:
    >>> from cm_zoo.evaluation import report_writer
    >>> rank = {("clipart", "sound"): {"median_rank": 3.0, "chance": 5.0}}
    >>> metrics = {"median_rank": {"fc7": rank},
    ...            "classifier_transfer": {"accuracy": {
    ...                ("clipart", "sound"): .5}, "chance": .25}}
    >>> text = report_writer.see_hear_read_report(
    ...     metrics, title="SHR", method="ranking")
    >>> "| ranking | **3.0** |" in text
    True
    """
    sections = [f"# {title}"]
    for layer, ranks in metrics["median_rank"].items():
        sections += [
            f"## Median rank of paired retrieval ({layer}), lower is better",
            report.median_rank_table({method: ranks}),
        ]
    sections += [
        "## Classifier transfer (fc7): train on one modality, test on another",
        report.classifier_transfer_table(
            {method: metrics["classifier_transfer"]}
        ),
    ]
    return "\n\n".join(sections) + "\n"
