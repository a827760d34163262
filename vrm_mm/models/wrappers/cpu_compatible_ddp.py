"""mmengine's DDP wrapper, usable when the model lives on the CPU."""
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS


# The Runner looks wrappers up in mmengine's root registry, which does not
# search scoped grandchildren such as ours, so register there.
@MMENGINE_MODEL_WRAPPERS.register_module()
class CPUCompatibleDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that drops ``device_ids`` for CPU models.

    mmengine's Runner always passes ``device_ids=[LOCAL_RANK]``, which torch
    rejects for a module on the CPU (torchrun with gloo on a machine without
    GPUs). On GPUs the arguments pass through unchanged.

    ``tools/train.py`` selects it automatically when no GPU is present::

        model_wrapper_cfg = dict(type='CPUCompatibleDDP',
                                 find_unused_parameters=False)
    """

    def __init__(self, module, device_ids=None, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(
            module=module, device_ids=None if on_cpu else device_ids, **kwargs)
