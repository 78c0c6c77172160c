"""`tf.distribute` strategies by name, chief detection, per-worker dirs."""

import os
import shutil
import tempfile

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def make_strategy(name, tpu=""):
    """Returns the `tf.distribute.Strategy` called `name`.

    `"default"` is the no-op strategy of one device; `"mirrored"` is
    `MirroredStrategy` over every local GPU (or the CPU); `"multiworker"` is
    `MultiWorkerMirroredStrategy`, whose cluster and role come from the
    `TF_CONFIG` environment variable (read by TensorFlow, not here); `"tpu"`
    is `TPUStrategy` on the TPU that `TPUClusterResolver(tpu=tpu)` finds.

    Args:
        name: str. One of `STRATEGIES`.
        tpu: str. TPU name, `grpc://` address or `"local"` (TPU VM), passed
            to `TPUClusterResolver`. Defaults to `""` (resolved from the
            environment, e.g. `TPU_NAME` on Cloud).

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: for an unknown `name`.
        RuntimeError: for `"tpu"` when no TPU can be reached; the message
            names the TPU that was asked for and the resolver's error.

    Example:
    >>> from cm_zoo.training import make_strategy
    >>> make_strategy("default").num_replicas_in_sync
    1
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"`name` must be one of {list(STRATEGIES)}. Received: name={name!r}"
        )
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        return _tpu_strategy(tpu)
    return tf.distribute.get_strategy()


def _tpu_strategy(tpu):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise RuntimeError(
            f"No TPU reachable for strategy 'tpu' (TPUClusterResolver("
            f"tpu={tpu!r}) failed: {error}). Run on a Cloud TPU VM with "
            "tpu='local', or pass the TPU name / grpc:// address."
        ) from error
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy):
    """Whether this process is the chief, the one that writes outputs.

    Single-worker strategies have one process, the chief. Under
    `MultiWorkerMirroredStrategy` the chief is the `"chief"` task, or worker
    0 when `TF_CONFIG` names no chief (TensorFlow's convention).
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type = resolver.task_type
    if task_type in (None, "chief"):
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and resolver.task_id == 0 and not has_chief


def worker_directory(directory, strategy):
    """Where this process writes: `directory` on the chief, else a temp dir.

    Non-chief workers must run the same saves as the chief (a save of
    distributed variables may need every worker), so they write to a
    private temporary directory, removed by `remove_worker_directory`; the
    TensorFlow multi-worker guide recommends the same.

    Args:
        directory: str or path. The run's output directory.
        strategy: `tf.distribute.Strategy`.

    Returns:
        str. `directory` itself on the chief.
    """
    if is_chief(strategy):
        return str(directory)
    resolver = strategy.cluster_resolver
    return tempfile.mkdtemp(prefix=f"{resolver.task_type}_{resolver.task_id}_")


def remove_worker_directory(directory, strategy):
    """Deletes a non-chief's `worker_directory`; no-op on the chief."""
    if not is_chief(strategy) and os.path.isdir(directory):
        shutil.rmtree(directory)


def per_replica_batch_size(global_batch_size, strategy):
    """`global_batch_size / num_replicas_in_sync`, checked to be whole.

    The batch size of the recipes is global: each step consumes
    `global_batch_size` items (per modality or pair set) split evenly over
    the replicas, so the loss of a step is the same whatever the number of
    devices.

    Raises:
        ValueError: when the batch does not divide evenly.

    Example:
    >>> import tensorflow as tf
    >>> from cm_zoo.training import per_replica_batch_size
    >>> per_replica_batch_size(32, tf.distribute.get_strategy())
    32
    """
    replicas = strategy.num_replicas_in_sync
    if global_batch_size <= 0 or global_batch_size % replicas:
        raise ValueError(
            f"The global batch size must be a positive multiple of the "
            f"{replicas} replicas of the strategy (each replica gets "
            f"batch / {replicas}). Received: batch_size={global_batch_size}"
        )
    return global_batch_size // replicas
