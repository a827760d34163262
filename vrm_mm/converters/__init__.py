"""Checkpoint converters: other codebases' weights as vrm_mm's networks.

``repdistiller`` (CRD/RepDistiller and mdistiller CIFAR-100 teachers) and
``torchvision_models`` (torchvision's ImageNet classifiers) rename a state
dict onto our module names with :mod:`.state_dict`; ``tools/convert_*.py``
are their command lines. A library room rather than mmpretrain's
``tools/model_converters/`` scripts, because tests, benchmarks and
``tools/demo.py`` call the conversions as functions.
"""
