"""Text descriptions to the pool5 space: sentence vector, then an MLP."""

import keras

from cm_zoo.layers.shared import HashedWordEmbedding
from cm_zoo.towers.tower import Tower

_INPUT_KINDS = ("text", "vector")


@keras.saving.register_keras_serializable(package="cm_zoo")
class DescriptionTower(Tower):
    """Maps a description to the shared pool5 space with an MLP.

    As in Cross-Modal Scene Networks (section 4.5), a description is first a
    sentence vector, then a multi-layer perceptron of `num_hidden_layers`
    ReLU layers of `hidden_dim` units, whose output layer is fully connected
    to pool5 (ReLU, like an image tower's pool5). The sentence vector is
    either computed in the graph from raw text (`input_kind="text"`: hashed
    word and character 3-gram vectors, averaged; the paper's skip-thought
    encoder is not available offline) or given precomputed
    (`input_kind="vector"`, e.g. averaged 4800-d skip-thought vectors).

    Args:
        output_dim: int. Width of pool5 (9216 in the paper).
        hidden_dim: int. Units of each hidden layer (4800 in the paper).
        num_hidden_layers: int. Hidden layers. Defaults to `2`.
        kernel_init_stddev: float or None. Std of the Gaussian
            initialisation of the MLP (0.1 in the paper, for skip-thought
            inputs); `None` uses He-normal, which suits the unit-variance
            hashed word vectors. Defaults to `0.1`.
        input_kind: str. `"text"` (raw `tf.string`) or `"vector"`.
            Defaults to `"text"`.
        num_buckets: int. Hash buckets of the word table (text input).
        embedding_dim: int. Word-vector width (text input) or sentence
            vector width (vector input).
        wordnet_concepts: bool. The sentence vector also gets the mean of
            its words' WordNet concept vectors (text input;
            `HashedWordEmbedding`; not in the paper). Defaults to `False`.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size,)` strings, or `(batch_size, embedding_dim)` floats.

    Output shape:
        `(batch_size, output_dim)`.

    Example:
    >>> from cm_zoo.towers import DescriptionTower
    >>> tower = DescriptionTower(output_dim=6, hidden_dim=4, num_buckets=32,
    ...                          embedding_dim=5)
    >>> tower(np.array(["a dog barks", "yellow boat"])).shape
    TensorShape([2, 6])
    """

    def __init__(
        self,
        output_dim,
        hidden_dim,
        num_hidden_layers=2,
        kernel_init_stddev=0.1,
        input_kind="text",
        num_buckets=2**16,
        embedding_dim=300,
        wordnet_concepts=False,
        dtype=None,
        **kwargs,
    ):
        if input_kind not in _INPUT_KINDS:
            raise ValueError(
                f"`input_kind` must be one of {list(_INPUT_KINDS)}. "
                f"Received: input_kind={input_kind!r}"
            )
        if int(num_hidden_layers) < 1:
            raise ValueError(
                "`num_hidden_layers` must be a positive int. "
                f"Received: num_hidden_layers={num_hidden_layers}"
            )

        # === Layers ===
        stages = _mlp_layers(
            [hidden_dim] * int(num_hidden_layers) + [output_dim],
            kernel_init_stddev,
            dtype,
        )

        # === Functional model ===
        if input_kind == "text":
            text = keras.Input(shape=(), dtype="string", name="text")
            x = HashedWordEmbedding(
                num_buckets,
                embedding_dim,
                embeddings_initializer=keras.initializers.RandomNormal(
                    stddev=1.0
                ),
                wordnet_concepts=wordnet_concepts,
                dtype=dtype,
                name="words",
            )(text)
        else:
            text = keras.Input(shape=(embedding_dim,), name="sentence_vector")
            x = text
        for stage in stages:
            x = stage(x)
        super().__init__(inputs=text, outputs=x, dtype=dtype, **kwargs)

        # === Config ===
        self.hidden_dim = int(hidden_dim)
        self.num_hidden_layers = int(num_hidden_layers)
        self.kernel_init_stddev = (
            None if kernel_init_stddev is None else float(kernel_init_stddev)
        )
        self.input_kind = input_kind
        self.num_buckets = int(num_buckets)
        self.embedding_dim = int(embedding_dim)
        self.wordnet_concepts = bool(wordnet_concepts)

    _config_keys = (
        "output_dim",
        "hidden_dim",
        "num_hidden_layers",
        "kernel_init_stddev",
        "input_kind",
        "num_buckets",
        "embedding_dim",
        "wordnet_concepts",
    )


def _mlp_layers(widths, kernel_init_stddev, dtype):
    """ReLU dense layers `mlp1`, `mlp2`, ... and last `to_pool5`.

    Kernels start from `N(0, kernel_init_stddev)`, or He-normal for `None`.
    """
    layers = []
    for index, units in enumerate(widths):
        last = index == len(widths) - 1
        layers.append(
            keras.layers.Dense(
                units,
                activation="relu",
                kernel_initializer=(
                    "he_normal"
                    if kernel_init_stddev is None
                    else keras.initializers.RandomNormal(
                        stddev=kernel_init_stddev
                    )
                ),
                dtype=dtype,
                name="to_pool5" if last else f"mlp{index + 1}",
            )
        )
    return layers
