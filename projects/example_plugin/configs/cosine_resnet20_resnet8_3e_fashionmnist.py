# Example plugin: the demo's ResNet20 teacher -> ResNet8 student on
# Fashion-MNIST, distilled with CosineLogitLoss, a loss registered by the
# package example_plugin outside vrm_mm (see ../README.md), in place of the
# demo's VRM loss. Data, networks, teacher checkpoint and schedule are the
# demo VRM config's; the loss reads the real view only (the virtual view
# the demo's pipeline still makes is not run through the networks).
# From the repository root, with the plugin's folder on PYTHONPATH:
#   PYTHONPATH=projects/example_plugin python tools/train.py CONFIG
_base_ = ['../../../configs/demo/vrm_resnet20_resnet8_3e_fashionmnist.py']

# import the plugin before anything is built: it registers CosineLogitLoss
custom_imports = dict(imports=['example_plugin'], allow_failed_imports=False)

model = dict(
    distill_losses=dict(
        # replace the base's losses instead of merging into them
        _delete_=True,
        loss_cos=dict(
            type='CosineLogitLoss',
            loss_weight=1.0,
            inputs=dict(preds_S='student.logits',
                        preds_T='teacher.logits'))))
