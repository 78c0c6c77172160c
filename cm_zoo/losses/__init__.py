"""Losses of the cross-modal methods: pure functions of tensors."""

from cm_zoo.losses.model_transfer_loss import model_transfer_loss
from cm_zoo.losses.ranking_loss import cosine_ranking_loss
from cm_zoo.losses.ranking_loss import symmetric_cosine_ranking_loss
from cm_zoo.losses.replicas import scale_for_replicas

__all__ = [
    "cosine_ranking_loss",
    "model_transfer_loss",
    "scale_for_replicas",
    "symmetric_cosine_ranking_loss",
]
