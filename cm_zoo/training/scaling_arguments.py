"""The command-line flags every training recipe shares for scaling out."""

import keras

from cm_zoo.training.strategies import STRATEGIES
from cm_zoo.training.strategies import make_strategy
from cm_zoo.training.strategies import per_replica_batch_size

PRECISIONS = ("none", "mixed_float16", "mixed_bfloat16")


def add_scaling_arguments(parser, *, jit_help):
    """Adds `--strategy`, `--tpu`, `--save-every-steps`,
    `--mixed-precision` and `--jit-compile` to an `argparse` parser.

    Args:
        parser: `argparse.ArgumentParser`.
        jit_help: str. What `--jit-compile` does in this recipe.

    Example:
    >>> import argparse
    >>> from cm_zoo.training import add_scaling_arguments
    >>> parser = argparse.ArgumentParser()
    >>> add_scaling_arguments(parser, jit_help="XLA")
    >>> parser.parse_args(["--save-every-steps", "500"]).save_every_steps
    500
    """
    parser.add_argument("--strategy", default="default", choices=STRATEGIES)
    parser.add_argument(
        "--tpu",
        default="",
        help="TPU name or grpc:// address for --strategy tpu "
        "('local' on a TPU VM)",
    )
    parser.add_argument(
        "--save-every-steps",
        type=int,
        default=None,
        help="also checkpoint every N steps (default: epoch ends)",
    )
    parser.add_argument("--mixed-precision", default="none", choices=PRECISIONS)
    parser.add_argument("--jit-compile", action="store_true", help=jit_help)


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
