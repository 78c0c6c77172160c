"""The strategy and dtype policy that the recipes' scaling flags ask for
(the flags themselves: `recipes/recipe_arguments.add_scaling_flags`, parsed
before TensorFlow is imported)."""

import keras

from cm_zoo.training.strategies import make_strategy
from cm_zoo.training.strategies import per_replica_batch_size


def strategy_from_arguments(args):
    """Sets the dtype policy and returns the strategy the flags ask for.

    Raises:
        SystemExit: naming `--batch-size` when the global batch does not
            split evenly over the replicas.
    """
    keras.config.set_dtype_policy(
        "float32" if args.mixed_precision == "none" else args.mixed_precision
    )
    strategy = make_strategy(args.strategy, tpu=args.tpu)
    try:
        per_replica_batch_size(args.batch_size, strategy)
    except ValueError as error:
        raise SystemExit(f"--batch-size: {error}") from error
    return strategy
