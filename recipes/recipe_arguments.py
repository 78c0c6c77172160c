"""Command-line pieces the recipes share; standard library only.

Recipes parse their flags before importing TensorFlow, so `--help` and
argument errors answer at once: this module imports nothing heavy. Range
types make argparse reject a bad value with a one-line error naming the
flag (exit 2, no traceback).
"""

import argparse
import contextlib
import dataclasses
import importlib
import os
import sys
import tempfile


def _number(kind, minimum, description):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {description}, got {text!r}"
            ) from None
        if value < minimum or (kind is float and value != value):
            raise argparse.ArgumentTypeError(
                f"must be {description}, got {text}"
            )
        return value

    parse.__name__ = description
    return parse


positive_int = _number(int, 1, "a positive int")
non_negative_int = _number(int, 0, "an int >= 0")
non_negative_float = _number(float, 0.0, "a number >= 0")


def positive_float(text):
    value = non_negative_float(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def add_augment_flag(add):
    """`--augment {none,basic,users}` (bare: basic) of the training recipes.

    The levels are `cm_zoo.runs.input_augmentation`'s: nothing, mirror and
    shift, or the variations users' inputs have.
    """
    add(
        "--augment",
        nargs="?",
        const="basic",
        default="none",
        choices=["none", "basic", "users"],
        help="input variation of the training batches (cm_zoo.runs."
        "input_augmentation); bare --augment: basic, mirror and shift",
    )


# `--speech-front-end`: the SoundTower options that hear words, not voices.
SPEECH_FRONT_END = {
    "sound_mel_bins": 40,
    "sound_centring": "channel",
    "sound_pooling": "max",
}


def add_input_flags(add, *, sound=False):
    """Flags of what the towers make of users' inputs (not in the papers).

    `sound=True` adds `--speech-front-end`, for recipes with a sound tower.
    """
    add(
        "--wordnet-concepts",
        action="store_true",
        help="text towers: words also carry their WordNet concepts",
    )
    add(
        "--fit-drawing",
        action="store_true",
        help="image towers: frame the drawing first (any page)",
    )
    if not sound:
        return
    add(
        "--speech-front-end",
        action="store_true",
        help="sound towers: 40 mel bands, each centred over time, max "
        "over time (hears words, not voices)",
    )


def with_input_flags(training, args):
    """`training` whose architecture has the `add_input_flags` set."""
    speech = getattr(args, "speech_front_end", False)  # sound recipes only
    if not (args.wordnet_concepts or args.fit_drawing or speech):
        return training  # the preset's architecture, untouched
    architecture = dict(training.architecture)
    architecture["text_wordnet_concepts"] = args.wordnet_concepts
    architecture["fit_drawing"] = args.fit_drawing
    if speech:
        architecture.update(SPEECH_FRONT_END)
    return dataclasses.replace(training, architecture=architecture)


def add_scaling_flags(parser, *, jit_help):
    """`--strategy`, `--tpu`, `--save-every-steps`, `--mixed-precision`,
    `--jit-compile`: the flags `cm_zoo.training.strategy_from_arguments`
    reads. Choices are checked by `check_scaling_flags` once cm_zoo is
    imported."""
    parser.add_argument(
        "--strategy",
        default="default",
        help="default, mirrored, multiworker or tpu (docs/RUNBOOK.md)",
    )
    parser.add_argument(
        "--tpu",
        default="",
        help="TPU name or grpc:// address for --strategy tpu "
        "('local' on a TPU VM)",
    )
    parser.add_argument(
        "--save-every-steps",
        type=positive_int,
        default=None,
        help="also checkpoint every N steps (default: epoch ends)",
    )
    parser.add_argument(
        "--mixed-precision",
        default="none",
        choices=("none", "mixed_float16", "mixed_bfloat16"),
    )
    parser.add_argument("--jit-compile", action="store_true", help=jit_help)


def check_choice(parser, flag, value, choices):
    """`parser.error` naming `flag`, the choices and `value` unless `value`
    is one of `choices` (names known only once cm_zoo is imported)."""
    if value not in choices:
        parser.error(
            f"argument {flag}: expected one of {list(choices)}, got {value!r}"
        )


def check_scaling_flags(parser, args, strategies):
    """`parser.error` naming `--strategy`/`--tpu` when they do not fit."""
    check_choice(parser, "--strategy", args.strategy, strategies)
    if args.tpu and args.strategy != "tpu":
        parser.error("argument --tpu: only with --strategy tpu")


def check_at_most(parser, args, flag, limit_flag):
    """`parser.error` unless `--flag` <= `--limit-flag`, both read from
    `args` (the flags, or any object with those attributes, such as the
    training defaults they set)."""
    value = getattr(args, flag.lstrip("-").replace("-", "_"))
    limit = getattr(args, limit_flag.lstrip("-").replace("-", "_"))
    if value is not None and limit is not None and value > limit:
        parser.error(
            f"argument {flag}: must be at most {limit_flag} ({limit}), "
            f"got {value}"
        )


def pick(args, *names):
    """`{name: args.<name>}` of the flags `names`, as keyword arguments.

    >>> pick(argparse.Namespace(seed=1, epochs=2, verbose=0), "seed", "epochs")
    {'seed': 1, 'epochs': 2}
    """
    return {name: getattr(args, name) for name in names}


def with_flags(defaults, args):
    """A preset's training defaults (a dataclass) with the flags set.

    Each field whose flag (same name) was given replaces the default.
    """
    return dataclasses.replace(
        defaults,
        **{
            field.name: getattr(args, field.name)
            for field in dataclasses.fields(defaults)
            if getattr(args, field.name, None) is not None
        },
    )


@contextlib.contextmanager
def quiet_tensorflow_import():
    """Imports inside the block run without TensorFlow's start-up lines.

    Unless the user set `TF_CPP_MIN_LOG_LEVEL` (0 shows everything), sets
    it to 3, which also hides the C++ runtime's start-up errors on machines
    without a GPU (`failed call to cuInit`), and holds back what it writes
    to stderr while importing (lines printed before its logging is
    configured, which that variable cannot silence). Python exceptions are
    unaffected; if the import fails, the held-back text is written out.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:  # the user wants these logs
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_library(*names):
    """The modules `names` (e.g. `"cm_zoo"`, `"keras"`), imported once the
    flags are parsed, without TensorFlow's start-up lines."""
    with quiet_tensorflow_import():
        return [importlib.import_module(name) for name in names]
