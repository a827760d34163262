"""Distillation losses; each module registers itself on import."""
from .at import ATLoss, at_loss, attention_map
from .cc import CCLoss, cc_loss, rbf_correlation
from .crd import CRDLoss, crd_nce_loss
from .ctkd import CTKDLoss, ctkd_loss
from .ctkd_temperature import (
    GlobalTemperature,
    InstanceTemperature,
    reverse_gradient,
)
from .dist import DISTLoss, dist_loss, pearson_correlation
from .dkd import DKDLoss, dkd_loss
from .fitnet import FitNetLoss, fitnet_loss
from .kd import KDLoss, kd_loss
from .mlkd import MLKDLoss, mlkd_loss
from .pkt import PKTLoss, pkt_loss
from .reviewkd import ReviewKDLoss, hcl_loss
from .rkd import RKDLoss, rkd_loss
from .sp import SPLoss, sp_loss
from .utils import (
    check_batch_size,
    check_pair,
    safe_normalize,
    standardize_logits,
)
from .vrm import VRMLoss, vrm_loss

__all__ = [
    'DISTLoss', 'DKDLoss', 'KDLoss', 'RKDLoss', 'check_pair', 'dist_loss',
    'dkd_loss', 'kd_loss', 'pearson_correlation', 'rkd_loss',
    'safe_normalize', 'standardize_logits', 'VRMLoss', 'vrm_loss',
    'CCLoss', 'cc_loss', 'rbf_correlation', 'PKTLoss', 'pkt_loss', 'SPLoss',
    'sp_loss', 'check_batch_size',
    'MLKDLoss', 'mlkd_loss', 'CTKDLoss', 'ctkd_loss', 'GlobalTemperature',
    'InstanceTemperature', 'reverse_gradient',
    'ReviewKDLoss', 'hcl_loss',
    'CRDLoss', 'crd_nce_loss',
    'FitNetLoss', 'fitnet_loss', 'ATLoss', 'at_loss', 'attention_map',
]
