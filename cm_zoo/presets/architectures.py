"""Typed architecture configs of the two model families, as frozen data.

An architecture holds the constructor arguments of the towers and of the
shared upper layers. `dtype` and `augment` are build options that no preset
sets: a caller passes them as overrides (`Preset.config(augment=True)`).

Example:
>>> from cm_zoo.presets import CMPlacesArchitecture
>>> arch = CMPlacesArchitecture(
...     image_size=32, conv_filters=(4, 4, 4, 4, 4), conv1_kernel_size=5,
...     conv1_strides=2, conv2_kernel_size=5, use_batch_norm=True,
...     hidden_dim=8, dropout=0.5, num_classes=3, text_hidden_dim=8,
...     text_num_buckets=64, text_embedding_dim=4,
...     text_kernel_init_stddev=None)
>>> arch.hidden_dim, arch.augment
(8, False)
"""

import dataclasses


def _check_positive_ints(config, names):
    for name in names:
        values = getattr(config, name)
        if not isinstance(values, tuple):
            values = (values,)
        if not values or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1
            for v in values
        ):
            raise ValueError(
                f"`{name}` must be positive int(s). "
                f"Received: {name}={getattr(config, name)!r}"
            )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageArchitecture:
    """AlexNet-layout image towers under shared fc6, fc7 and a classifier.

    Args:
        image_size: int. Side of the square input images.
        conv_filters: tuple of 5 ints. Filters of conv1..conv5.
        conv1_kernel_size: int. Kernel side of conv1.
        conv1_strides: int. Stride of conv1.
        conv2_kernel_size: int. Kernel side of conv2.
        use_batch_norm: bool. Batch normalisation in the towers.
        hidden_dim: int. Units of fc6 and fc7.
        dropout: float. Dropout rate of fc6 and fc7, in `[0, 1)`.
        num_classes: int. Output classes (callers override it from data).
        augment: bool. Random mirror/shift in the image towers while
            training. Defaults to `False`.
        fit_drawing: bool. Image towers frame the drawing before resizing
            (`ImagePreprocessing`); not in the paper. Defaults to `False`.
        dtype: str or None. Keras dtype policy of every layer. Defaults to
            `None` (the global policy).
    """

    image_size: int
    conv_filters: tuple
    conv1_kernel_size: int
    conv1_strides: int
    conv2_kernel_size: int
    use_batch_norm: bool
    hidden_dim: int
    dropout: float
    num_classes: int
    augment: bool = False
    fit_drawing: bool = False
    dtype: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "conv_filters", tuple(self.conv_filters))
        _check_positive_ints(self, _positive_int_fields(self))
        if len(self.conv_filters) != 5:
            raise ValueError(
                "`conv_filters` must hold 5 ints (conv1..conv5). "
                f"Received: conv_filters={self.conv_filters}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(
                f"`dropout` must be in [0, 1). Received: dropout={self.dropout}"
            )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CMPlacesArchitecture(ImageArchitecture):
    """Cross-Modal Scene Networks: image towers plus a description MLP.

    Args:
        text_hidden_dim: int. Units of each hidden layer of the description
            MLP (4800 in the paper).
        text_num_buckets: int. Hash buckets of the word embedding.
        text_embedding_dim: int. Width of the word embedding.
        text_kernel_init_stddev: float or None. Stddev of the MLP's normal
            initializer (0.1 in the paper); None for He init.
        text_wordnet_concepts: bool. Words also carry their WordNet
            concepts (`HashedWordEmbedding`); not in the paper. Defaults
            to `False`.
        Other arguments: see `ImageArchitecture`.
    """

    text_hidden_dim: int
    text_num_buckets: int
    text_embedding_dim: int
    text_kernel_init_stddev: float | None
    text_wordnet_concepts: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeeHearReadArchitecture(ImageArchitecture):
    """See, Hear, and Read: image, 1-D conv sound and conv text towers.

    Args:
        sound_num_frames: int. Spectrogram frames of one clip.
        sound_frame_length: int. STFT window in samples.
        sound_frame_step: int. STFT hop in samples.
        sound_conv_filters: tuple of 3 ints. Filters of the sound convs.
        sound_kernel_sizes: tuple of 3 ints. Kernel sizes of those convs.
        sound_pool_size: int. Temporal pooling between the convs.
        sound_mel_bins: int or None. Mel bands of the spectrogram; `None`
            keeps linear bins (the paper). Defaults to `None`.
        sound_centring: string. `"utterance"` (the paper) or `"channel"`
            (`Spectrogram`). Defaults to `"utterance"`.
        sound_pooling: string. `"flatten"` (the paper) or `"max"` over
            time (`SoundTower`). Defaults to `"flatten"`.
        text_sequence_length: int. Words per text.
        text_embedding_dim: int. Width of the word embedding.
        text_num_buckets: int. Hash buckets of the word embedding.
        text_conv_filters: int. Filters of the text convolution.
        text_wordnet_concepts: bool. Words also carry their WordNet
            concepts (`HashedWordEmbedding`); not in the paper. Defaults
            to `False`.
        Other arguments: see `ImageArchitecture`.
    """

    sound_num_frames: int
    sound_frame_length: int
    sound_frame_step: int
    sound_conv_filters: tuple
    sound_kernel_sizes: tuple
    sound_pool_size: int
    sound_mel_bins: int | None = None
    sound_centring: str = "utterance"
    sound_pooling: str = "flatten"
    text_sequence_length: int
    text_embedding_dim: int
    text_num_buckets: int
    text_conv_filters: int
    text_wordnet_concepts: bool = False

    def __post_init__(self):
        for name in ("sound_conv_filters", "sound_kernel_sizes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        super().__post_init__()


def _positive_int_fields(config):
    """Names of the fields typed `int` or `tuple` (of ints)."""
    return [
        field.name
        for field in dataclasses.fields(config)
        if field.type in (int, tuple, "int", "tuple")
    ]
