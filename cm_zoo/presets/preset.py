"""One named preset: architecture, training defaults, description."""

import dataclasses
import types


@dataclasses.dataclass(frozen=True, kw_only=True)
class Preset:
    """A named architecture with its training defaults, as frozen data.

    Presets name architectures (`<family>_<arch>_<size>`); they ship no
    weights (trained encoders live in `saved_models/`, see `cm_zoo.export`).

    Args:
        name: str. The preset's name.
        family: str. `"cmplaces"` or `"see_hear_read"`.
        description: str. One paragraph for people.
        architecture: `CMPlacesArchitecture` or `SeeHearReadArchitecture`.
        training: `CMPlacesTraining` or `SeeHearReadTraining`. Defaults of
            the family's training recipe.
        metadata: mapping. Paper reference and the like (read-only).

    Example:
    >>> from cm_zoo import presets
    >>> preset = presets.get("cmplaces_alexnet_tiny")
    >>> preset.architecture.hidden_dim, preset.training.learning_rate
    (256, 0.01)
    >>> preset.config(num_classes=5)["num_classes"]
    5
    """

    name: str
    family: str
    description: str
    architecture: object
    training: object
    metadata: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({})
    )

    def __post_init__(self):
        object.__setattr__(
            self, "metadata", types.MappingProxyType(dict(self.metadata))
        )

    def config(self, **overrides):
        """The architecture as a fresh dict of constructor arguments.

        Args:
            **overrides: architecture fields to replace, e.g.
                `num_classes=28`, `dtype="mixed_float16"`, `augment=True`.

        Returns:
            A dict with one entry per architecture field (tuples as lists).

        Raises:
            ValueError: for a name that is not a field of the architecture,
                listing the fields.
        """
        fields = [f.name for f in dataclasses.fields(self.architecture)]
        unknown = sorted(set(overrides) - set(fields))
        if unknown:
            raise ValueError(
                f"Preset {self.name!r} has no architecture field(s) "
                f"{unknown}. Fields: {fields}"
            )
        architecture = dataclasses.replace(self.architecture, **overrides)
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(architecture).items()
        }
