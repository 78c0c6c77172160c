"""cm_zoo: cross-modal representations learned from weakly aligned data."""
from cm_zoo import modalities

__all__ = ["modalities"]
__version__ = "0.1.0"
