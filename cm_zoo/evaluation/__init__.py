"""Evaluation of cross-modal embeddings: retrieval, transfer, invariance.

Functions take embeddings (NumPy arrays keyed by modality), never models.
"""

from cm_zoo.evaluation.average_precision import chance_average_precision
from cm_zoo.evaluation.average_precision import query_average_precision
from cm_zoo.evaluation.classifier_transfer import classifier_transfer_accuracy
from cm_zoo.evaluation.interval_plot import plot_times_chance
from cm_zoo.evaluation.invariance import modality_invariance
from cm_zoo.evaluation.invariance import plot_tsne
from cm_zoo.evaluation.inversion_grid import draw_inversion_grid
from cm_zoo.evaluation.linear_probe import fit_linear_probe
from cm_zoo.evaluation.linear_probe import predict_linear_probe
from cm_zoo.evaluation.median_rank import average_median_rank
from cm_zoo.evaluation.median_rank import cross_modal_median_rank
from cm_zoo.evaluation.median_rank import paired_ranks
from cm_zoo.evaluation.metric_suite import RETRIEVAL_LAYERS
from cm_zoo.evaluation.metric_suite import cmplaces_metrics
from cm_zoo.evaluation.metric_suite import see_hear_read_metrics
from cm_zoo.evaluation.png_palette import quantize_png
from cm_zoo.evaluation.report import accuracy_table
from cm_zoo.evaluation.report import classifier_transfer_table
from cm_zoo.evaluation.report import invariance_table
from cm_zoo.evaluation.report import layer_table
from cm_zoo.evaluation.report import median_rank_table
from cm_zoo.evaluation.report import pair_label
from cm_zoo.evaluation.report import retrieval_table
from cm_zoo.evaluation.report import to_json_safe
from cm_zoo.evaluation.report_writer import evaluation_report
from cm_zoo.evaluation.report_writer import see_hear_read_report
from cm_zoo.evaluation.retrieval import PROTOCOLS
from cm_zoo.evaluation.retrieval import cross_modal_retrieval
from cm_zoo.evaluation.retrieval_bootstrap import retrieval_interval
from cm_zoo.evaluation.seed_statistics import intervals_disjoint
from cm_zoo.evaluation.seed_statistics import mean_confidence_interval
from cm_zoo.evaluation.seed_statistics import seed_table
from cm_zoo.evaluation.seed_statistics import t_quantile_975
from cm_zoo.evaluation.unit_selection import selective_units
from cm_zoo.evaluation.unit_visualization import distinctive_words
from cm_zoo.evaluation.unit_visualization import draw_unit_grid
from cm_zoo.evaluation.unit_visualization import top_activating_items

__all__ = [
    "PROTOCOLS",
    "RETRIEVAL_LAYERS",
    "accuracy_table",
    "average_median_rank",
    "chance_average_precision",
    "classifier_transfer_accuracy",
    "classifier_transfer_table",
    "cmplaces_metrics",
    "cross_modal_median_rank",
    "cross_modal_retrieval",
    "distinctive_words",
    "draw_inversion_grid",
    "draw_unit_grid",
    "evaluation_report",
    "fit_linear_probe",
    "intervals_disjoint",
    "invariance_table",
    "layer_table",
    "mean_confidence_interval",
    "median_rank_table",
    "modality_invariance",
    "pair_label",
    "paired_ranks",
    "plot_times_chance",
    "plot_tsne",
    "predict_linear_probe",
    "quantize_png",
    "query_average_precision",
    "retrieval_interval",
    "retrieval_table",
    "see_hear_read_metrics",
    "see_hear_read_report",
    "seed_table",
    "selective_units",
    "t_quantile_975",
    "to_json_safe",
    "top_activating_items",
]
