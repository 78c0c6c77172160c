"""Markdown tables laid out like the papers', and JSON-safe metric dicts.

Pure functions of the result dicts returned by `retrieval`, `median_rank`,
`classifier_transfer` and `invariance`, and of per-modality accuracies: rows
are methods, columns ordered modality pairs named with
`modalities.SHORT_NAMES` (`NAT→CLP`) or modalities, a mean column where the
paper has one, and a chance row. Scores are printed as
percentages with one decimal, as in the papers; the best entry of each
column is bold.
"""

import math

import numpy as np

from cm_zoo import modalities

_RETRIEVAL_METRICS = ("map", "pr_at_k")


def pair_label(query, target):
    """`"NAT→CLP"` for `("natural", "clipart")`.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> report.pair_label("description", "sound")
    'DSC→SND'
    """
    return f"{modalities.SHORT_NAMES[query]}→{modalities.SHORT_NAMES[target]}"


def retrieval_table(results_by_method, metric="map", *, within=False):
    """CMPlaces Tables 1, 2 and 5: one row per method, one column per pair.

    Args:
        results_by_method: dict `{method name: cross_modal_retrieval
            result}`. Columns follow the first method's pairs.
        metric: str. `"map"` or `"pr_at_k"`. Defaults to `"map"`.
        within: bool. Tabulate within-modal retrieval (`NAT→NAT`, ...)
            instead of cross-modal pairs. Defaults to `False`.

    Returns:
        A markdown string; values in percent, a `Mean` column and a
        `Chance` row (taken from the first method).

    Raises:
        ValueError: on an unknown `metric` or an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> leaf = {"map": .5, "pr_at_k": .4, "chance_map": .1,
    ...         "chance_pr_at_k": .1}
    >>> result = {"pairs": {("natural", "clipart"): leaf}, "mean": leaf}
    >>> print(report.retrieval_table({"A: Tune": result}))
    | Method | NAT→CLP | Mean |
    |---|---:|---:|
    | A: Tune | **50.0** | **50.0** |
    | Chance | 10.0 | 10.0 |
    """
    _check_metric(metric)
    first = _first_result(results_by_method)
    key, mean_key = ("within", "within_mean") if within else ("pairs", "mean")
    pairs = list(first[key])

    def row(result, name):
        values = [result[key].get(pair, {}).get(name) for pair in pairs]
        return values + [result[mean_key][name]]

    return _table(
        [pair_label(*pair) for pair in pairs] + ["Mean"],
        results_by_method,
        lambda result: row(result, metric),
        extra_rows={"Chance": row(first, f"chance_{metric}")},
        scale=100.0,
    )


def layer_table(results_by_method_and_layer, metric="map"):
    """CMPlaces Table 3: mean retrieval score per method (rows) and layer.

    Args:
        results_by_method_and_layer: dict `{method: {layer name:
            cross_modal_retrieval result}}`, e.g. layers `pool5`, `fc6`,
            `fc7`. Columns follow the first method's layers.
        metric: str. `"map"` or `"pr_at_k"`. Defaults to `"map"`.

    Returns:
        A markdown string in percent, with a `Chance` row.

    Raises:
        ValueError: on an unknown `metric` or an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> mean = {"map": .02, "chance_map": .01}
    >>> print(report.layer_table({"BL": {"fc7": {"mean": mean}}}))
    | Method | fc7 |
    |---|---:|
    | BL | **2.0** |
    | Chance | 1.0 |
    """
    _check_metric(metric)
    first = _first_result(results_by_method_and_layer)
    layers = list(first)
    chance = [first[layer]["mean"][f"chance_{metric}"] for layer in layers]
    return _table(
        layers,
        results_by_method_and_layer,
        lambda by_layer: [
            by_layer.get(layer, {}).get("mean", {}).get(metric)
            for layer in layers
        ],
        extra_rows={"Chance": chance},
        scale=100.0,
    )


def accuracy_table(accuracy_by_method, *, chance=None):
    """CMPlaces Table 4 layout: accuracy per method (rows) and modality.

    Args:
        accuracy_by_method: dict `{method: {modality: accuracy}}`. Columns
            follow the first method's modalities.
        chance: optional float. Adds a `Chance` row (e.g. `1 / classes`).
            Defaults to `None`.

    Returns:
        A markdown string in percent, best of each column in bold.

    Raises:
        ValueError: on an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> print(report.accuracy_table(
    ...     {"BL": {"sketch": .2}, "C": {"sketch": .3}}, chance=.1))
    | Method | LDR |
    |---|---:|
    | BL | 20.0 |
    | C | **30.0** |
    | Chance | 10.0 |
    """
    columns = list(_first_result(accuracy_by_method))
    extra = {} if chance is None else {"Chance": [chance] * len(columns)}
    return _table(
        [modalities.SHORT_NAMES[m] for m in columns],
        accuracy_by_method,
        lambda accuracy: [accuracy.get(m) for m in columns],
        extra_rows=extra,
        scale=100.0,
    )


def median_rank_table(results_by_method):
    """See-Hear-Read Tables 1-2: average median rank, lower is better.

    Args:
        results_by_method: dict `{method: cross_modal_median_rank result}`.

    Returns:
        A markdown string with a `Random` row (`(split_size + 1) / 2`).

    Raises:
        ValueError: on an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> result = {("natural", "sound"): {"median_rank": 47.5,
    ...                                  "chance": 500.5}}
    >>> print(report.median_rank_table({"Ours": result}))
    | Method | NAT→SND |
    |---|---:|
    | Ours | **47.5** |
    | Random | 500.5 |
    """
    first = _first_result(results_by_method)
    return _table(
        [pair_label(*p) for p in first],
        results_by_method,
        lambda result: [result.get(p, {}).get("median_rank") for p in first],
        extra_rows={"Random": [first[p]["chance"] for p in first]},
        scale=1.0,
        lower_is_better=True,
    )


def classifier_transfer_table(results_by_method):
    """See-Hear-Read Table 3: accuracy per (train → test) modality pair.

    Args:
        results_by_method: dict `{method: classifier_transfer_accuracy result}`.

    Returns:
        A markdown string of accuracies in percent, with a `Chance` row
        (`1 / num_classes`) under every pair.

    Raises:
        ValueError: on an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> result = {"accuracy": {("natural", "sound"): .3}, "chance": 1 / 42}
    >>> print(report.classifier_transfer_table({"Ours": result}))
    | Method | NAT→SND |
    |---|---:|
    | Ours | **30.0** |
    | Chance | 2.4 |
    """
    first = _first_result(results_by_method)
    pairs = list(first["accuracy"])
    return _table(
        [pair_label(*p) for p in pairs],
        results_by_method,
        lambda result: [result["accuracy"].get(p) for p in pairs],
        extra_rows={"Chance": [first["chance"]] * len(pairs)},
        scale=100.0,
    )


def invariance_table(results_by_method):
    """Modality-probe accuracy per method; lower means more invariant.

    Args:
        results_by_method: dict `{method: modality_invariance result}`.

    Returns:
        A markdown string with one column; the lowest accuracy is bold.

    Raises:
        ValueError: on an empty dict.

    Example:
    >>> from cm_zoo.evaluation import report
    >>> print(report.invariance_table({
    ...     "BL": {"accuracy": .9, "chance": .2},
    ...     "C: All": {"accuracy": .3, "chance": .2},
    ... }))
    | Method | Modality probe accuracy |
    |---|---:|
    | BL | 90.0 |
    | C: All | **30.0** |
    | Chance | 20.0 |
    """
    first = _first_result(results_by_method)
    return _table(
        ["Modality probe accuracy"],
        results_by_method,
        lambda result: [result["accuracy"]],
        extra_rows={"Chance": [first["chance"]]},
        scale=100.0,
        lower_is_better=True,
    )


def to_json_safe(value):
    """Recursively converts a result into plain JSON types.

    Tuple keys `(query, target)` become `"query->target"`, NumPy scalars
    and arrays become Python numbers and lists, and NaN/inf become `None`
    (JSON has no NaN).

    Example:
    >>> from cm_zoo.evaluation import report
    >>> report.to_json_safe({("natural", "sound"): np.float32(0.5),
    ...                      "x": [np.nan, np.int64(3)]})
    {'natural->sound': 0.5, 'x': [None, 3]}
    """
    if isinstance(value, dict):
        return {_json_key(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _json_key(key):
    if isinstance(key, tuple):
        return "->".join(str(k) for k in key)
    return str(key)


def _check_metric(metric):
    if metric not in _RETRIEVAL_METRICS:
        raise ValueError(
            f"`metric` must be one of {list(_RETRIEVAL_METRICS)}. "
            f"Received: metric={metric!r}"
        )


def _first_result(results_by_method):
    """The first method's result, which fixes the columns and chance row."""
    if not isinstance(results_by_method, dict) or not results_by_method:
        raise ValueError(
            "Expected a non-empty dict {method name: result}. "
            f"Received: {type(results_by_method).__name__}"
        )
    return next(iter(results_by_method.values()))


def _table(
    header,
    results_by_method,
    row,
    *,
    extra_rows,
    scale,
    lower_is_better=False,
):
    """Markdown, a row `row(result)` per method, then the `extra_rows`.

    The best value of each column over the methods (not `extra_rows`) is
    bold.
    """
    rows = {method: row(result) for method, result in results_by_method.items()}
    columns = list(zip(*rows.values()))
    best = []
    for column in columns:
        finite = [v for v in column if v is not None and math.isfinite(v)]
        best.append(
            (min(finite) if lower_is_better else max(finite))
            if finite
            else None
        )
    lines = [
        "| Method | " + " | ".join(header) + " |",
        "|---|" + "---:|" * len(header),
    ]
    for name, values in rows.items():
        cells = [
            _cell(v, scale, bold=v is not None and v == b)
            for v, b in zip(values, best)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, values in extra_rows.items():
        cells = [_cell(v, scale, bold=False) for v in values]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value, scale, bold):
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value * scale:.1f}"
    return f"**{text}**" if bold else text
