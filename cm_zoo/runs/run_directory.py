"""A run directory: the files one training run owns, and their schema.

Every recipe reads and writes runs through `RunDirectory`, so the layout is
written down once:

- `backbone.keras`: the trained `CrossModalBackbone`.
- `run_config.json`: what was trained (`model_name`, `method`, `preset`,
  `class_names`, `modalities`, `data_manifest_sha256`, `args`, ...).
- `metrics.json`: the training recipe's metrics (held-out split) with its
  `history` and timings.
- `task.weights.h5`, `checkpoints/`, `logs/`: written by
  `cm_zoo.training.train_task` while training (resume state, TensorBoard).
- `priors/<kind>_<layer>.npz`: fitted StatReg priors (CMPlaces).
- `evaluation/`: `report.md`, `metrics.json` and `figures/` written by
  `recipes/evaluate.py`, never over the training output.
- child runs by name (`source/`, `teacher/`, one per method).

Files are written atomically (`cm_zoo.atomic_files`): a kill leaves the old
file or the new one. A torn or missing JSON file is reported by name.
"""

import pathlib
import warnings

import keras

from cm_zoo import atomic_files
from cm_zoo.evaluation import to_json_safe
from cm_zoo.layers import load_prior

BACKBONE = "backbone.keras"
RUN_CONFIG = "run_config.json"
METRICS = "metrics.json"
EVALUATION = "evaluation"
PRIORS = "priors"


class RunDirectory:
    """One run's directory and the files it owns.

    Args:
        path: str or `pathlib.Path`. The directory (created on first write).

    Example:
    >>> import tempfile
    >>> from cm_zoo.runs import RunDirectory
    >>> run = RunDirectory(tempfile.mkdtemp())
    >>> run.write_run_config({"method": "C"})
    >>> run.read_run_config()["method"], run.is_run()
    ('C', False)
    """

    def __init__(self, path):
        self.path = pathlib.Path(path)

    def __repr__(self):
        return f"RunDirectory({str(self.path)!r})"

    def __eq__(self, other):
        return isinstance(other, RunDirectory) and self.path == other.path

    def __hash__(self):
        return hash(self.path)

    @property
    def name(self):
        return self.path.name

    def child(self, name):
        """The run directory `name` inside this one (`source`, a method)."""
        return RunDirectory(self.path / name)

    def is_run(self):
        """True when a trained backbone and its `run_config.json` are here."""
        return (self.path / BACKBONE).is_file() and (
            self.path / RUN_CONFIG
        ).is_file()

    def has_metrics(self):
        return (self.path / METRICS).is_file()

    @property
    def evaluation_dir(self):
        """Where `recipes/evaluate.py` writes its report of this run."""
        return self.path / EVALUATION

    def write_run(self, backbone, metrics, run_config, *, report=None):
        """Writes a finished run: backbone, metrics, run config, report.

        `run_config.json` goes last, so a directory with it and the
        backbone (`is_run`) holds a complete run.
        """
        self.save_backbone(backbone)
        self.write_metrics(metrics)
        if report is not None:
            self.write_text("report.md", report)
        self.write_run_config(run_config)

    def save_backbone(self, backbone):
        """Saves `backbone` to `backbone.keras`, atomically."""
        with atomic_files.atomic_path(self.path / BACKBONE) as temporary:
            backbone.save(temporary)

    def load_backbone(self):
        """Loads `backbone.keras`.

        Raises:
            FileNotFoundError: naming the file, when it is missing.
        """
        path = self.path / BACKBONE
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: no trained backbone (expected {BACKBONE} in the "
                "run directory)."
            )
        return keras.saving.load_model(path)

    def load_backbone_if_saved(self):
        """The saved backbone, or None when this run has not saved one."""
        if (self.path / BACKBONE).is_file():
            return self.load_backbone()
        return None

    def write_run_config(self, config):
        self.write_json(RUN_CONFIG, config)

    def read_run_config(self):
        """The parsed `run_config.json`; a torn file is named."""
        return atomic_files.read_json(self.path / RUN_CONFIG)

    def write_metrics(self, metrics):
        """Writes the training metrics (NumPy values, tuple keys allowed)."""
        self.write_json(METRICS, metrics)

    def read_metrics(self):
        """The parsed `metrics.json`; a torn file is named."""
        return atomic_files.read_json(self.path / METRICS)

    def write_json(self, name, value, *, sort_keys=True):
        """Writes `value` made JSON-safe (`to_json_safe`) to `name`,
        atomically; `sort_keys=False` keeps the dict order."""
        atomic_files.atomic_write_json(
            self.path / name, to_json_safe(value), sort_keys=sort_keys
        )

    def write_text(self, name, text):
        """Writes `name` (e.g. `summary.md`) in this directory, atomically."""
        atomic_files.atomic_write_text(self.path / name, text)

    def prior_path(self, kind, layer):
        return self.path / PRIORS / f"{kind}_{layer}.npz"

    def em_checkpoint_dir(self, kind):
        """Where a GMM fit checkpoints its M-steps while running."""
        return self.path / PRIORS / f"{kind}_em"

    def load_priors(self, kind, layers):
        """`{layer: prior}` of the readable saved priors among `layers`.

        A prior whose file and previous copy are both unreadable is left
        out with a `RuntimeWarning` naming the file, so the caller refits
        it (the fit is deterministic: the same prior comes back).
        """
        priors = {}
        for layer in layers:
            path = self.prior_path(kind, layer)
            if not path.is_file():
                continue
            try:
                priors[layer] = load_prior(path)
            except ValueError as error:
                warnings.warn(
                    f"{error}; refitting the {kind} prior of {layer}.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return priors

    def save_prior(self, kind, layer, prior):
        """Saves a fitted prior to `priors/<kind>_<layer>.npz`.

        The prior's own `save` writes atomically and keeps the replaced
        copy, which `load_prior` falls back to.
        """
        path = self.prior_path(kind, layer)
        path.parent.mkdir(parents=True, exist_ok=True)
        prior.save(path)

    def runs(self, order=()):
        """This directory if it is a run, else the runs directly inside it.

        Args:
            order: sequence of str. Child names listed first, in this
                order (e.g. the paper's method order); others follow by
                name.

        Raises:
            ValueError: naming the directory when it holds no run.
        """
        if self.is_run():
            return [self]
        children = []
        if self.path.is_dir():
            children = [RunDirectory(p) for p in sorted(self.path.iterdir())]
        found = [c for c in children if c.is_run()]
        if not found:
            raise ValueError(
                f"{self.path}: neither a run directory ({BACKBONE} + "
                f"{RUN_CONFIG}) nor a directory holding any."
            )
        order = list(order)
        return sorted(
            found,
            key=lambda r: (
                order.index(r.name) if r.name in order else len(order),
                r.name,
            ),
        )


def find_runs(paths, order=()):
    """The runs under each of `paths` (see `RunDirectory.runs`), each once.

    Example:
    >>> import tempfile
    >>> from cm_zoo.runs import find_runs
    >>> try:
    ...     find_runs([tempfile.mkdtemp()])
    ... except ValueError as error:
    ...     print(str(error).split(": ", 1)[1][:23])
    neither a run directory
    """
    runs = []
    for path in paths:
        runs += RunDirectory(path).runs(order)
    return list(dict.fromkeys(runs))
