"""One stage of a CMPlaces job: its context, optimizer and resumable fit.

`train_cmplaces` trains in stages, the source network and then each
method; a `Stage` holds what they share and compiles and fits their tasks
the same way.
"""

import dataclasses
import functools

import keras

from cm_zoo import modalities
from cm_zoo.data import make_multimodal_dataset
from cm_zoo.presets import get as get_preset
from cm_zoo.runs.best_on_validation import read_state
from cm_zoo.runs.cmplaces_job import CMPlacesJob
from cm_zoo.runs.cmplaces_training_data import source_pool
from cm_zoo.runs.input_augmentation import augmented_dataset
from cm_zoo.runs.run_directory import RunDirectory
from cm_zoo.training import train_task


@dataclasses.dataclass(frozen=True)
class Stage:
    """Where and how a stage of `job` trains.

    Args:
        job: `CMPlacesJob`. What is trained.
        strategy: `tf.distribute.Strategy`. Where it is trained.
        root: `RunDirectory`. The experiment's directory, read by every
            worker (saved stages, checkpoints, early-stopping state).
        out: `RunDirectory`. Where this worker writes (the root on the
            chief).
        bench: `ClipartBenchmark`. The data.
    """

    job: CMPlacesJob
    strategy: object
    root: RunDirectory
    out: RunDirectory
    bench: object

    @property
    def config(self):
        """The architecture config: the preset's, with the job's changes."""
        return get_preset(self.job.preset).config(
            **dict(self.job.training.architecture)
        )

    @functools.cached_property
    def source_pool(self):
        """The source network's training data `(x, y)`, made once.

        The source network trains on it and its priors are fitted on it;
        rendering the embedded pool's views takes ~3 s
        (`cmplaces_training_data.source_pool`). Kept for the stage's life
        (133 MB for the tiny preset's two views).
        """
        return source_pool(self.bench, self.job)

    def compile(self, task, names):
        """Compiles `task` (towers `names`) with the job's optimizer."""
        training = self.job.training
        clip = {"global_clipnorm": training.clipnorm}
        if training.optimizer == "adam":
            optimizer = keras.optimizers.Adam(training.learning_rate, **clip)
        else:
            optimizer = keras.optimizers.SGD(
                training.learning_rate, momentum=training.momentum, **clip
            )
        task.compile(optimizer=optimizer, jit_compile=self.uses_jit(names))

    def uses_jit(self, names):
        """XLA unless a tower hashes strings (tf.strings ops XLA can't
        compile)."""
        return self.job.jit_compile and modalities.DESCRIPTION not in names

    def fit(self, task, arrays, epochs, run_dir, callbacks=(), **data):
        """Trains a compiled `task` resumably; returns its history dict.

        `data` goes to `make_multimodal_dataset` (e.g. `balance_classes`)."""
        job = self.job
        return train_task(
            task,
            augmented_dataset(
                make_multimodal_dataset(
                    arrays, job.training.batch_size, seed=job.seed, **data
                ),
                self.bench,
                job.augment,
                job.seed,
            ),
            strategy=self.strategy,
            run_dir=run_dir,
            epochs=epochs,
            steps_per_epoch=job.training.steps_per_epoch,
            callbacks=callbacks,
            save_every_steps=job.save_every_steps,
            jit_compile=self.uses_jit(list(arrays)),
            verbose=job.verbose,
        )


def epochs_left_to_run(run_dir, epochs):
    """`epochs`, or the epochs run until an early stop: a stopped run,
    resumed, restores its last checkpoint and trains no further.

    Example:
    >>> import tempfile
    >>> epochs_left_to_run(tempfile.mkdtemp(), 5)
    5
    """
    state = read_state(run_dir)
    return len(state["scores"]) if state["stopped"] else epochs
