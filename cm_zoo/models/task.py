"""The base of the zoo's tasks: a backbone, its losses, a default compile."""

import inspect

import keras
import numpy as np
import tensorflow as tf

from cm_zoo.losses import scale_for_replicas
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone


class Task(keras.Model):
    """A `CrossModalBackbone` with the losses of one training objective.

    As keras-hub's `Task`: a subclass owns its loss (`compute_loss`), its
    metrics (Keras metrics tracked as attributes, reported by `fit` next to
    `loss` and reset every epoch), a default `compile()` and its config;
    the backbone is a constructor argument, and `from_preset(name)` builds
    the task on an untrained backbone of a named preset.

    One replica-scaling convention for every task: `compute_loss` returns
    the replica's share of the global loss. Every term is a mean over the
    replica's batch divided by `num_replicas_in_sync`, so the gradients
    summed across replicas equal the single-device gradient of the mean
    over the global batch. `keras.losses.Loss` objects scale themselves;
    terms computed by hand and the losses that layers add (`self.losses`,
    e.g. StatReg) go through `scaled`. Metrics get the unscaled values.

    Numpy arrays of strings (`<U` unicode or `S` bytes) anywhere in the
    inputs of `fit` (validation data too), `evaluate`, `predict` and
    `train_on_batch` are fed as `tf.string` tensors (Keras refuses those
    numpy dtypes).

    Args:
        backbone: `cm_zoo.models.CrossModalBackbone`.
        **kwargs: `keras.Model` arguments (`name`, ...).
    """

    # Constructor arguments that are Keras objects, or dicts of them.
    _layer_arguments = ("backbone",)
    _layer_dict_arguments = ()

    def __init__(self, backbone, **kwargs):
        if not isinstance(backbone, CrossModalBackbone):
            raise TypeError(
                f"`backbone` of {type(self).__name__} must be a "
                "`cm_zoo.models.CrossModalBackbone`. Received: "
                f"{type(backbone).__name__}"
            )
        super().__init__(**kwargs)
        self.backbone = backbone

    def default_optimizer(self):
        """The optimizer `compile()` uses unless told otherwise."""
        raise NotImplementedError(
            f"{type(self).__name__} has no default optimizer; pass one."
        )

    def compile(self, optimizer="auto", jit_compile=False, **kwargs):
        """Compiles with `default_optimizer()` unless told otherwise.

        XLA is off by default: text towers hash strings in the graph.
        """
        if optimizer == "auto":
            optimizer = self.default_optimizer()
        super().compile(optimizer=optimizer, jit_compile=jit_compile, **kwargs)

    def compile_from_config(self, config):
        """Recompiles a loaded task as it was saved, optimizer state too."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    @staticmethod
    def scaled(loss):
        """A loss term in float32, divided by the replicas in sync."""
        return scale_for_replicas(keras.ops.cast(loss, "float32"))

    def fit(self, x=None, y=None, *args, **kwargs):
        if kwargs.get("validation_data") is not None:
            kwargs["validation_data"] = _strings_as_tensors(
                kwargs["validation_data"]
            )
        return super().fit(_strings_as_tensors(x), y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        return super().evaluate(_strings_as_tensors(x), y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(_strings_as_tensors(x), *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        return super().train_on_batch(
            _strings_as_tensors(x), y, *args, **kwargs
        )

    def get_config(self):
        config = super().get_config()
        for name in self._layer_arguments:
            config[name] = keras.layers.serialize(getattr(self, name))
        for name in self._layer_dict_arguments:
            config[name] = {
                key: keras.layers.serialize(layer)
                for key, layer in getattr(self, name).items()
            }
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls._layer_arguments:
            config[name] = keras.layers.deserialize(config[name])
        for name in cls._layer_dict_arguments:
            config[name] = {
                key: keras.layers.deserialize(layer)
                for key, layer in config[name].items()
            }
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """The task on an untrained backbone of the named preset.

        Args:
            preset: str. One of `cm_zoo.presets.names()`.
            **kwargs: Arguments of the task's constructor (and `name`) go
                to the task, every other one to
                `CrossModalBackbone.from_preset` (`modalities`,
                `num_classes`, architecture overrides...).

        Raises:
            ValueError: for an unknown preset, listing the available ones.
        """
        task_kwargs, backbone_kwargs = cls._split_preset_kwargs(kwargs)
        backbone = CrossModalBackbone.from_preset(preset, **backbone_kwargs)
        return cls(backbone, **task_kwargs)

    @classmethod
    def _split_preset_kwargs(cls, kwargs):
        """`(task kwargs, backbone kwargs)` by the constructor's signature."""
        names = set(inspect.signature(cls.__init__).parameters) | {"name"}
        task = {k: v for k, v in kwargs.items() if k in names}
        backbone = {k: v for k, v in kwargs.items() if k not in names}
        return task, backbone


def _strings_as_tensors(x):
    """Numpy string arrays in `x` as `tf.string` tensors, which Keras takes."""

    def convert(value):
        if isinstance(value, np.ndarray) and value.dtype.kind in "US":
            return tf.constant(value, dtype=tf.string)
        return value

    return keras.tree.map_structure(convert, x)
