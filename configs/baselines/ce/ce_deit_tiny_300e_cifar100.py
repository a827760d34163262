# DeiT-Tiny trained alone on CIFAR-100 at 224 px, from scratch: the student
# baseline of the VRM paper's ViT experiment (reference 65.08 top-1), AdamW
# 5e-4, cosine, 300 epochs, batch 128.
_base_ = [
    '../../_base_/models/vit/deit_tiny_cifar100.py',
    '../../_base_/datasets/cifar100_224px_bs128.py',
    '../../_base_/schedules/cifar100_bs128_300e_adamw.py',
    '../../_base_/default_runtime.py',
]
