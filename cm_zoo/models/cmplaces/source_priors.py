"""Fitting StatReg priors on the source network's hidden activations."""

import os

import tensorflow as tf

from cm_zoo.layers.statreg import fit_diagonal_gmm
from cm_zoo.layers.statreg import fit_gaussian
from cm_zoo.layers.statreg import streaming_moments
from cm_zoo.models.cross_modal_backbone import SHARED_LAYERS

PRIOR_KINDS = ("gaussian", "gmm")


def fit_source_priors(
    source,
    source_inputs,
    *,
    kind="gmm",
    layers=SHARED_LAYERS,
    num_components=100,
    batch_size=128,
    seed=0,
    max_iterations=100,
    cache_file="",
    relative_floor=0.01,
    checkpoint_dir=None,
    modality=None,
    verbose=0,
):
    """Fits one prior per layer on the source network's activations.

    Method B's `P_i` (Cross-Modal Scene Networks, section 4.3): the source
    network (Places-CNN in the paper) embeds its own training data in
    inference mode, and a distribution is fitted per regularized layer. The
    activations are streamed through the fitters batch by batch from a
    `tf.data` pipeline, never held in memory as a whole. Inference mode
    means no dropout: `CrossModalClassifier` regularizes the activations
    before dropout, so the penalty and its prior see the same features.

    Args:
        source: single-modality `CrossModalBackbone`.
        source_inputs: array of raw source-modality inputs.
        kind: str. `"gmm"` (diagonal, `num_components`) or `"gaussian"`
            (one full-covariance Gaussian). Defaults to `"gmm"`.
        layers: list of str. Layers to model. Defaults to pool5, fc6, fc7.
        num_components: int. Mixture components (`"gmm"`). Defaults to
            `100` as in the paper.
        batch_size: int. Rows per pass. Defaults to `128`.
        seed: int. Seeds the EM initialisation. Defaults to `0`.
        max_iterations: int. EM iterations at most. Defaults to `100`.
        cache_file: str. Where the activations of every layer in
            `layers` are cached between EM passes (one forward pass of the
            source network serves them all, so the cache holds every
            layer's at once): `""` keeps them in memory (fine for the
            embedded data), a path spills them to disk as
            `<cache_file>_activations*` (paper-size data). Defaults to
            `""`.
        relative_floor: float. Variance floor (GMM) or diagonal loading
            (Gaussian) as a fraction of the mean per-unit variance of the
            activations. ReLU units that never fire have zero variance, and
            a tiny floor would turn their NLL gradient into a cliff.
            Defaults to `0.01`.
        checkpoint_dir: str or None. If set, the EM state of each layer is
            checkpointed in `checkpoint_dir/<layer>` after every M-step, and
            a rerun resumes from it to the same prior (`"gmm"` only; the
            Gaussian is one pass). Defaults to `None`.
        modality: str or None. The modality whose activations are
            modelled, for a backbone with several (e.g. an exported
            model's source modality). Defaults to `source`'s only one.
        verbose: int. Progress bars of the fitters. Defaults to `0`.

    Returns:
        dict `{layer: GaussianPrior or DiagonalGMMPrior}`.
    """
    if kind not in PRIOR_KINDS:
        raise ValueError(
            f"`kind` must be one of {list(PRIOR_KINDS)}. Received: "
            f"kind={kind!r}"
        )
    modality = modality or source.modalities[0]
    # One forward pass for every layer: the first layer's first pass fills
    # the cache, the other layers read their part of it.
    all_layers = _activation_dataset(
        source, modality, source_inputs, tuple(layers), batch_size
    ).cache(f"{cache_file}_activations" if cache_file else "")
    priors = {}
    for layer in layers:
        activations = all_layers.map(lambda out, layer=layer: out[layer])
        floor = relative_floor * _mean_variance(activations)
        if kind == "gmm":
            priors[layer] = fit_diagonal_gmm(
                activations,
                num_components,
                seed=seed,
                max_iterations=max_iterations,
                variance_floor=floor,
                checkpoint_dir=(
                    None
                    if checkpoint_dir is None
                    else os.path.join(str(checkpoint_dir), layer)
                ),
                verbose=verbose,
            )
        else:
            priors[layer] = fit_gaussian(activations, diagonal_loading=floor)
    return priors


def _activation_dataset(source, modality, inputs, layers, batch_size):
    @tf.function
    def activation(batch):
        out = source.encode(modality, batch, training=False)
        return {layer: tf.cast(out[layer], tf.float32) for layer in layers}

    return (
        tf.data.Dataset.from_tensor_slices(inputs)
        .batch(batch_size)
        .map(activation)
    )


def _mean_variance(activations):
    """Mean over units of the per-unit variance, in one streaming pass."""
    _, _, variance = streaming_moments(activations)
    return max(float(variance.mean()), 1e-12)
