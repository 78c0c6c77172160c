"""The See-Hear-Read run: teacher, student, metrics, run directory.

`train_see_hear_read` is what `recipes/train_see_hear_read.py` runs once
its flags are parsed: it loads or trains the teacher (clip art to class
logits), trains the student (`SeeHearReadModel`) resumably and writes the
run directory (`RunDirectory`) with median ranks, classifier transfer and
mean cross-modal mAP on val, test and OOD.
"""

import dataclasses
import time

import keras

from cm_zoo import modalities
from cm_zoo.data import make_multimodal_dataset
from cm_zoo.data import spoken_lexicon
from cm_zoo.evaluation import see_hear_read_report
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models import cmplaces
from cm_zoo.models import see_hear_read
from cm_zoo.presets import SeeHearReadTraining
from cm_zoo.presets import get as get_preset
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs.generalisation import backbone_encoder
from cm_zoo.runs.generalisation import generalisation_metrics
from cm_zoo.runs.input_augmentation import augmented_dataset
from cm_zoo.runs.run_directory import RunDirectory
from cm_zoo.runs.see_hear_read_student_data import student_dataset
from cm_zoo.training import is_chief
from cm_zoo.training import remove_worker_directory
from cm_zoo.training import train_task
from cm_zoo.training import worker_directory

# The rows of the paper's Table 1 that a job's `loss` selects: label and
# the weights of the model-transfer and ranking losses.
LOSSES = {
    "transfer": ("See-Hear-Read: model transfer", 1.0, 0.0),
    "ranking": ("See-Hear-Read: ranking", 0.0, 1.0),
    "both": ("See-Hear-Read: model transfer + ranking", 1.0, 1.0),
}
ENCODERS = (modalities.CLIPART, modalities.SOUND, modalities.DESCRIPTION)
# Splits of the run's `generalisation` metrics.
GENERALISATION_SPLITS = ("val", "test", "ood")
# Where a run directory caches its spoken-lexicon renders.
SPOKEN_CACHE = "spoken_lexicon"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeeHearReadJob:
    """What `train_see_hear_read` trains, besides the data.

    Args:
        preset: str. A `see_hear_read_*` preset name.
        training: `cm_zoo.presets.SeeHearReadTraining`. Hyperparameters.
        loss: str. A key of `LOSSES`.
        augment: str. Input variation of the training batches
            (`input_augmentation.AUGMENT_LEVELS`).
        teacher_data: str. The teacher's drawings: `"clipart"` (the
            target's items) or `"pool"` (the source pool).
        teacher_views: int. Renders per pool drawing.
        teacher_labels: str. `"categories"` or, for the pool, `"folders"`
            (openclipart sub-folders, `cm_zoo.data.teacher_labels`).
        class_pairs: bool. Also pair every weakly aligned sound and text
            with a pool drawing of its category (`class_pairs`).
        spoken_lexicon: int. Also say the training paired items'
            transcripts in this many training voices each, paired with the
            items' drawings, and with `class_pairs` the weakly aligned
            texts too, paired with pool drawings of their category
            (`cm_zoo.data.spoken_lexicon`; renders cached in the run
            directory); 0: off. Unlike the paper's regime, a training
            item's sound and text then both meet its drawing. Defaults to
            0.
        sound_text_pairs: bool. Also pair spoken texts with their
            transcripts (`SeeHearReadModel`'s `"sound_text"` set: the
            sound is ranked against the text tower's embedding of what it
            says): the training paired items' transcripts and the texts of
            `spoken_lexicon.spoken_texts` (WordNet lemmas, titles,
            transcripts of the training splits), each in the
            `spoken_lexicon` training voices (so it needs
            `spoken_lexicon >= 1`). Defaults to `False`.
        spoken_pool_titles: bool. The spoken texts (`class_pairs`,
            `sound_text_pairs`) also hold the openclipart titles of the
            source pool's drawings of the training splits (scrubbed of
            giveaway words; `spoken_texts(pool_titles=True)`): more
            words for the sound tower to hear. Defaults to `False`.
        init_from_teacher: bool. Start the student's image tower and
            shared fc6/fc7/classifier from the teacher's (`copy_teacher`;
            as the paper's image network starts from a trained one); the
            teacher must have the student's image architecture. Defaults
            to `False`.
        train_splits: str. `"train"` or `"train+val"`.
        seed: int. Seeds weights and data order.
        save_every_steps: int or None. Also checkpoint every N steps.
        verbose: int. Keras verbosity.

    Example:
    >>> from cm_zoo.runs import SeeHearReadJob
    >>> preset = cm_zoo.presets.get("see_hear_read_alexnet_tiny")
    >>> job = SeeHearReadJob(preset=preset.name, training=preset.training,
    ...                      teacher_data="pool", teacher_labels="folders")
    >>> job.loss, job.train_splits
    ('both', 'train')
    """

    preset: str
    training: SeeHearReadTraining
    loss: str = "both"
    augment: str = "none"
    teacher_data: str = "clipart"
    teacher_views: int = 1
    teacher_labels: str = "categories"
    class_pairs: bool = False
    spoken_lexicon: int = 0
    sound_text_pairs: bool = False
    spoken_pool_titles: bool = False
    init_from_teacher: bool = False
    train_splits: str = "train"
    seed: int = 0
    save_every_steps: int | None = None
    verbose: int = 1

    def __post_init__(self):
        most = len(spoken_lexicon.TRAIN_VOICES)
        if not 0 <= self.spoken_lexicon <= most:
            raise ValueError(
                f"`spoken_lexicon` (voices per text) must be in 0..{most}. "
                f"Received: spoken_lexicon={self.spoken_lexicon!r}"
            )
        for flag, what in (
            ("sound_text_pairs", "says texts in"),
            ("spoken_pool_titles", "adds texts to say in"),
        ):
            if getattr(self, flag) and not self.spoken_lexicon:
                raise ValueError(
                    f"`{flag}` {what} the `spoken_lexicon` training voices: "
                    "it needs spoken_lexicon >= 1. Received: spoken_lexicon=0"
                )


def train_stage(job, task, dataset, epochs, *, strategy, run_dir, **kwargs):
    """Resumable training (`cm_zoo.training.train_task`); the history dict.

    `kwargs` go to `train_task` (e.g. `callbacks`)."""
    return train_task(
        task,
        dataset,
        strategy=strategy,
        run_dir=run_dir,
        epochs=epochs,
        steps_per_epoch=job.training.steps_per_epoch,
        save_every_steps=job.save_every_steps,
        verbose=job.verbose,
        **kwargs,
    )


def load_or_train_teacher(job, bench, strategy, runs, teacher_path=None):
    """A model from clip art to class logits, frozen by the task.

    Loaded from `teacher_path`, or from `runs[0]/teacher` if a run saved
    it, or trained there on `teacher_items` (and saved to
    `runs[1]/teacher`, the worker's directory); a backbone is cut to its
    clip-art encoder.
    """
    root, out = runs
    image = modalities.CLIPART
    if teacher_path:
        teacher = keras.saving.load_model(teacher_path)
    else:
        teacher = root.child("teacher").load_backbone_if_saved()
    if teacher is None:
        x, y = experiment.teacher_items(
            bench,
            job.teacher_data,
            job.train_splits,
            views=job.teacher_views,
            seed=job.seed,
            labels=job.teacher_labels,
        )
        config = architecture_config(job)
        with strategy.scope():
            teacher = cmplaces.build_source_network(
                config,
                image,
                num_classes=len(
                    experiment.teacher_class_names(bench, job.teacher_labels)
                ),
            )
            task = CrossModalClassifier(teacher, name="teacher")
            task.compile(
                optimizer=keras.optimizers.Adam(job.training.learning_rate)
            )
        dataset = augmented_dataset(
            make_multimodal_dataset(
                {image: (x, y)},
                job.training.batch_size,
                seed=job.seed,
                balance_classes=job.teacher_data == "pool",
            ),
            bench,
            job.augment,
            job.seed,
        )
        epochs = job.training.teacher_epochs
        teacher_dir = root.child("teacher").path
        train_stage(
            job, task, dataset, epochs, strategy=strategy, run_dir=teacher_dir
        )
        out.child("teacher").save_backbone(teacher)
    if isinstance(teacher, CrossModalBackbone):
        teacher = teacher.encoder(image)
    return teacher


def architecture_config(job):
    """The preset's architecture config with the job's changes."""
    return get_preset(job.preset).config(**dict(job.training.architecture))


def build_task(job, teacher, strategy):
    """The compiled `SeeHearReadModel` on a new backbone of the preset,
    with as many classes as `teacher` predicts."""
    _, transfer_weight, ranking_weight = LOSSES[job.loss]
    logits = teacher.output
    logits = logits["logits"] if isinstance(logits, dict) else logits
    with strategy.scope():
        backbone = see_hear_read.build_see_hear_read_backbone(
            architecture_config(job),
            num_classes=int(logits.shape[-1]),
        )
        if job.init_from_teacher:
            copy_teacher(teacher, backbone.encoder(modalities.CLIPART))
        task = see_hear_read.SeeHearReadModel(
            backbone,
            teacher,
            transfer_weight=transfer_weight,
            ranking_weight=ranking_weight,
            margin=job.training.margin,
            name="see_hear_read",
        )
        task.compile(
            optimizer=keras.optimizers.Adam(job.training.learning_rate)
        )
    return task


def copy_teacher(teacher, student):
    """Copies the teacher encoder's weights (image tower, fc6, fc7,
    classifier) into the student's image encoder, which shares its upper
    layers with the other modalities.

    Raises:
        ValueError: when the two do not have the same weight shapes.
    """
    shapes = [tuple(w.shape) for w in teacher.weights]
    if shapes != [tuple(w.shape) for w in student.weights]:
        raise ValueError(
            "`init_from_teacher` needs a teacher of the student's image "
            f"architecture; the teacher's weights have shapes {shapes}."
        )
    student.set_weights(teacher.get_weights())


def evaluate(backbone, bench):
    """Median ranks and classifier transfer on the test triplets, and
    mean cross-modal mAP on val, test and OOD (`generalisation`)."""
    metrics = experiment.evaluate_see_hear_read(backbone, bench)
    metrics["generalisation"] = generalisation_metrics(
        backbone_encoder(backbone),
        bench,
        list(ENCODERS),
        splits=GENERALISATION_SPLITS,
    )
    return metrics


def run_config(job, bench, run_args):
    """`run_config.json` of a run: names, data manifest and settings.

    Example:
    >>> from cm_zoo.runs import SeeHearReadJob, see_hear_read_training
    >>> preset = cm_zoo.presets.get("see_hear_read_alexnet_tiny")
    >>> job = SeeHearReadJob(preset=preset.name, training=preset.training)
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> config = see_hear_read_training.run_config(job, bench, {"seed": 0})
    >>> config["model_name"], config["args"]["seed"]
    ('see_hear_read_both', 0)
    """
    return {
        "model_name": f"see_hear_read_{job.loss}",
        "method": LOSSES[job.loss][0],
        "preset": job.preset,
        "class_names": bench.class_names,
        "data_manifest_sha256": bench.manifest_sha256,
        "args": {**run_args, **dataclasses.asdict(job.training)},
    }


def train_see_hear_read(
    job, bench, *, strategy, output, run_args, teacher_path=None
):
    """Trains teacher and student into the run directory `output`.

    Resumable: rerun on the same `output`, a killed run resumes. The chief
    writes `backbone.keras`, `metrics.json`, `report.md` and
    `run_config.json` (`run_args` under `"args"`).

    Returns:
        `(metrics, report)`: the metrics dict and the markdown report; on
        other workers `({"history": ...}, None)`.
    """
    keras.utils.set_random_seed(job.seed)
    root = RunDirectory(output)
    out = RunDirectory(worker_directory(output, strategy))
    started = time.time()
    teacher = load_or_train_teacher(
        job, bench, strategy, (root, out), teacher_path
    )
    teacher_seconds = time.time() - started
    keras.utils.set_random_seed(job.seed)
    task = build_task(job, teacher, strategy)
    started = time.time()
    dataset = student_dataset(job, bench, spoken_cache=root.path / SPOKEN_CACHE)
    history = train_stage(
        job,
        task,
        dataset,
        job.training.epochs,
        strategy=strategy,
        run_dir=root.path,
    )
    train_seconds = time.time() - started
    remove_worker_directory(out.path, strategy)
    if not is_chief(strategy):
        return {"history": history}, None
    metrics = evaluate(task.backbone, bench)
    metrics.update(
        teacher_seconds=teacher_seconds,
        train_seconds=train_seconds,
        history=history,
    )
    report = see_hear_read_report(
        metrics, title="See, Hear, and Read", method=LOSSES[job.loss][0]
    )
    root.write_run(
        task.backbone,
        metrics,
        run_config(job, bench, run_args),
        report=report,
    )
    return metrics, report
