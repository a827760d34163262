# VRM's virtual view on top of a base's training crop (vrm_method.md step 1:
# RandAugment, 2 ops at magnitude 10 of 10 from an increasing-strength
# policy; strength is open, "moderate is best"; our ablation kept 10).
# Used with another dataset base by the datasets/*_vrm.py files:
#   _base_ = ['./<dataset>.py', '../views/vrm_virtual_view.py']
#   dict(type='RealVirtualViews', view_transforms=..., **_base_.vrm_virtual_view)
vrm_virtual_view = dict(
    num_ops=2,
    magnitude=10,
    policies='vrm_increasing',
    # optional Cutout after RandAugment, e.g. cutout_shape=56 at 224 px (a
    # quarter of the side)
    cutout_shape=None)
