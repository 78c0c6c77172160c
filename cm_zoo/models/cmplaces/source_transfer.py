"""Initialising a cross-modal backbone from a trained source network."""


def initialize_from_source(backbone, source, *, towers=True, upper=True):
    """Copies a source network's weights into a cross-modal backbone.

    Cross-Modal Scene Networks initialises every modality's CNN and the
    shared upper layers from Places-CNN (section 4.5). Here `source` is a
    `CrossModalBackbone` trained on the source modality alone. Every tower
    of `backbone` whose weights have the same shapes as the source tower
    gets a copy (text and sound towers differ and keep their init), and with
    `upper=True` every set of upper layers (one if shared, one per modality
    otherwise) gets the source's fc6, fc7 and classifier.

    Args:
        backbone: `CrossModalBackbone`. Updated in place.
        source: `CrossModalBackbone` with exactly one modality.
        towers: bool. Copy tower weights. Defaults to `True`.
        upper: bool. Copy fc6/fc7/classifier. Defaults to `True`.

    Returns:
        list of str: the modalities whose tower was initialised.

    Raises:
        ValueError: if `source` has more than one modality or its upper
            layers do not match.
    """
    if len(source.modalities) != 1:
        raise ValueError(
            "`source` must be a single-modality backbone. Received "
            f"modalities {list(source.modalities)}."
        )
    source_modality = source.modalities[0]
    source_tower = source.towers[source_modality]
    initialized = []
    if towers:
        for modality, tower in backbone.towers.items():
            if _same_shapes(tower.weights, source_tower.weights):
                tower.set_weights(source_tower.get_weights())
                initialized.append(modality)
    if upper:
        source_layers = source.upper_layers_for(source_modality)
        for target_layers in backbone.upper_layers.values():
            for target, layer in zip(target_layers, source_layers):
                if not _same_shapes(target.weights, layer.weights):
                    raise ValueError(
                        f"Upper layer {target.name!r} does not match the "
                        f"source's {layer.name!r}: shapes "
                        f"{[tuple(w.shape) for w in target.weights]} vs "
                        f"{[tuple(w.shape) for w in layer.weights]}."
                    )
                target.set_weights(layer.get_weights())
    return initialized


def _same_shapes(weights, other):
    return len(weights) == len(other) and all(
        tuple(a.shape) == tuple(b.shape) for a, b in zip(weights, other)
    )
