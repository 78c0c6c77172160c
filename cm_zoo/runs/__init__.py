"""Run directories and the experiments that fill them.

`RunDirectory` owns a run's files and schema (written atomically);
`train_cmplaces` runs the CMPlaces experiment into run directories and
`evaluate_run` evaluates one of them; `cmplaces_table` gathers them
over seeds into Table 1.
"""

from cm_zoo.runs import alignment_data
from cm_zoo.runs import alignment_demo
from cm_zoo.runs import alignment_export
from cm_zoo.runs import alignment_selection
from cm_zoo.runs import cmplaces_table
from cm_zoo.runs import merged_run
from cm_zoo.runs import modality_alignment
from cm_zoo.runs import see_hear_read_regime
from cm_zoo.runs.cmplaces_evaluation import EvaluationSettings
from cm_zoo.runs.cmplaces_evaluation import evaluate_run
from cm_zoo.runs.cmplaces_evaluation import report_notes
from cm_zoo.runs.cmplaces_experiment import train_cmplaces
from cm_zoo.runs.cmplaces_job import CMPlacesJob
from cm_zoo.runs.cmplaces_training_data import training_arrays
from cm_zoo.runs.cmplaces_training_data import training_items
from cm_zoo.runs.generalisation import backbone_encoder
from cm_zoo.runs.generalisation import debian_png_metrics
from cm_zoo.runs.generalisation import generalisation_metrics
from cm_zoo.runs.generalisation import transcript_ceiling
from cm_zoo.runs.input_augmentation import AUGMENT_LEVELS
from cm_zoo.runs.input_augmentation import augment_dataset
from cm_zoo.runs.input_augmentation import augmented_dataset
from cm_zoo.runs.input_augmentation import lexicon_synonyms
from cm_zoo.runs.input_augmentation import make_augmentations
from cm_zoo.runs.merged_run import merge_runs
from cm_zoo.runs.run_directory import RunDirectory
from cm_zoo.runs.run_directory import find_runs
from cm_zoo.runs.see_hear_read_experiment import class_pairs
from cm_zoo.runs.see_hear_read_experiment import evaluate_see_hear_read
from cm_zoo.runs.see_hear_read_experiment import joined_pairs
from cm_zoo.runs.see_hear_read_experiment import paired_dataset
from cm_zoo.runs.see_hear_read_experiment import teacher_items
from cm_zoo.runs.see_hear_read_experiment import training_pairs
from cm_zoo.runs.see_hear_read_training import SeeHearReadJob
from cm_zoo.runs.see_hear_read_training import train_see_hear_read

__all__ = [
    "AUGMENT_LEVELS",
    "CMPlacesJob",
    "EvaluationSettings",
    "RunDirectory",
    "SeeHearReadJob",
    "alignment_data",
    "alignment_demo",
    "alignment_export",
    "alignment_selection",
    "augment_dataset",
    "augmented_dataset",
    "backbone_encoder",
    "class_pairs",
    "cmplaces_table",
    "debian_png_metrics",
    "evaluate_run",
    "evaluate_see_hear_read",
    "find_runs",
    "generalisation_metrics",
    "transcript_ceiling",
    "joined_pairs",
    "lexicon_synonyms",
    "make_augmentations",
    "merge_runs",
    "merged_run",
    "modality_alignment",
    "paired_dataset",
    "report_notes",
    "see_hear_read_regime",
    "teacher_items",
    "train_cmplaces",
    "train_see_hear_read",
    "training_arrays",
    "training_items",
    "training_pairs",
]
