"""Distillation losses; each module registers itself on import."""
from .dist import DISTLoss, dist_loss, pearson_correlation
from .dkd import DKDLoss, dkd_loss
from .kd import KDLoss, kd_loss
from .mlkd import MLKDLoss, mlkd_loss
from .rkd import RKDLoss, rkd_loss
from .utils import check_pair, safe_normalize, standardize_logits
from .vrm import VRMLoss, vrm_loss

__all__ = [
    'DISTLoss', 'DKDLoss', 'KDLoss', 'RKDLoss', 'check_pair', 'dist_loss',
    'dkd_loss', 'kd_loss', 'pearson_correlation', 'rkd_loss',
    'safe_normalize', 'standardize_logits', 'VRMLoss', 'vrm_loss',
    'MLKDLoss', 'mlkd_loss',
]
