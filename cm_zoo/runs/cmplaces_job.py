"""The description of one CMPlaces experiment: `CMPlacesJob`."""

import dataclasses

from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.presets import CMPlacesTraining


@dataclasses.dataclass(frozen=True, kw_only=True)
class CMPlacesJob:
    """What `train_cmplaces` trains, besides the methods and the data.

    Args:
        preset: str. A `cmplaces_*` preset name.
        training: `cm_zoo.presets.CMPlacesTraining`. Hyperparameters.
        holdout: tuple of int. Class labels removed from the target
            modalities' training data (zero-shot protocol).
        statreg_layers: tuple of str. Layers regularized by StatReg.
        augment: str. Input variation of the training batches, one of
            `input_augmentation.AUGMENT_LEVELS` (in the data, never in a
            tower).
        include_val: bool. Also train on the val split (and the source
            pool's), once settings are chosen.
        include_paired: bool. Also train on the See-Hear-Read pairs' items
            (unpaired use; test items stay unseen).
        include_lexicon: bool. Also train descriptions on the WordNet
            lexicon.
        eval_split: str. Split of `metrics.json` (`"test"` or `"val"`).
        seed: int. Seeds weights, data order and query draws.
        save_every_steps: int or None. Also checkpoint every N steps.
        jit_compile: bool. XLA, for tasks without the description tower.
        verbose: int. Keras verbosity.

    Example:
    >>> from cm_zoo.runs import CMPlacesJob
    >>> preset = cm_zoo.presets.get("cmplaces_alexnet_tiny")
    >>> job = CMPlacesJob(preset=preset.name, training=preset.training,
    ...                   holdout=(3, 7))
    >>> job.statreg_layers, job.eval_split, job.holdout
    (('pool5', 'fc6', 'fc7'), 'test', (3, 7))
    """

    preset: str
    training: CMPlacesTraining
    holdout: tuple = ()
    statreg_layers: tuple = RETRIEVAL_LAYERS
    augment: str = "none"
    include_val: bool = False
    include_paired: bool = False
    include_lexicon: bool = False
    eval_split: str = "test"
    seed: int = 0
    save_every_steps: int | None = None
    jit_compile: bool = False
    verbose: int = 1
