"""Every baseline config runs the recipe of the released code, pair by pair.

``RECIPES`` is transcribed from the released configs and scripts (the
repositories are named in ``REPOS``): for each config of
``configs/baselines/<method>/`` the optimizer, lr, global batch, epochs,
lr milestones, nesterov, weight decay, the CE weight, each distillation
loss's weight and hyper-parameters, the loss warm-up, CTKD's curriculum and
CRD's negatives, with the released file and lines it was read from. The
test merges each config (``Config.fromfile``) and compares; a baseline
config without a row fails, and so does a row without a config.

Conventions of the comparison:
* the global batch is ``train_dataloader.batch_size`` x the GPUs the
  config's comment assumes: 1 on CIFAR-100, 8 on ImageNet;
* a loss hyper-parameter a config leaves out takes the loss class's
  default; dotted keys read nested dicts (``temperature_module.t_start``);
* MLKD's temperatures are compared as a sorted tuple (the released code
  lists the base temperature first: T, 3, 5, 2, 6);
* ``warmup`` is the epochs of ``DistillLossWarmupHook`` on the distillation
  loss (0: none), ``curriculum`` those of ``CTKDCurriculumHook``.

Where no released recipe exists for a config (FitNet and CTKD on an
ImageNet pair nobody published, the three ReviewKD CIFAR pairs outside the
authors' script, the DeiT experiments of the VRM paper, which has no code),
the row says which recipe is carried over and why.
"""
import glob
import inspect
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import pytest
from mmengine.config import Config

import vrm_mm.models  # noqa: F401  (registers the losses)
from vrm_mm.registry import MODELS

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
METHODS = ('ce', 'kd', 'dkd', 'dist', 'rkd', 'sp', 'pkt', 'cc', 'fitnet',
           'at', 'mlkd', 'ctkd', 'reviewkd', 'crd')
CONFIGS = sorted(
    osp.relpath(path, osp.join(REPO_ROOT, 'configs', 'baselines'))
    for method in METHODS for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', 'baselines', method, '*.py')))
GPUS = {'cifar100': 1, 'imagenet': 8}

REPOS = {
    'RepDistiller': 'github.com/HobbitLong/RepDistiller',
    'mdistiller': 'github.com/megvii-research/mdistiller',
    'CTKD': 'github.com/zhengli97/CTKD',
    'DIST': 'github.com/hunto/image_classification_sota (DIST_KD README)',
    'ReviewKD': 'github.com/dvlab-research/ReviewKD',
    'MLKD': 'github.com/Jin-Ying/Multi-Level-Logit-Distillation',
    'LSKD': 'github.com/sunshangquan/logit-standardization-KD',
}


@dataclass(frozen=True)
class Recipe:
    """One config's released recipe; ``source`` cites file and lines."""
    source: str
    lr: float
    batch: int
    epochs: int
    milestones: Optional[Tuple[int, ...]]
    weight_decay: float
    ce: float = 1.0
    losses: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    warmup: int = 0
    curriculum: Optional[int] = None
    negatives: Optional[int] = None
    optimizer: str = 'SGD'
    momentum: Optional[float] = 0.9
    nesterov: bool = False


# The 11 CIFAR-100 pairs: config name -> mdistiller / MLKD yaml stem.
PAIRS = {
    'resnet56_resnet20': 'res56_res20',
    'resnet110_resnet32': 'res110_res32',
    'resnet32x4_resnet8x4': 'res32x4_res8x4',
    'wrn_40_2_wrn_16_2': 'wrn40_2_wrn_16_2',
    'wrn_40_2_wrn_40_1': 'wrn40_2_wrn_40_1',
    'vgg13_vgg8': 'vgg13_vgg8',
    'resnet32x4_shufflev1': 'res32x4_shuv1',
    'resnet32x4_shufflev2': 'res32x4_shuv2',
    'wrn_40_2_shufflev1': 'wrn40_2_shuv1',
    'vgg13_mobilenetv2': 'vgg13_mv2',
    'resnet50_mobilenetv2': 'res50_mv2',
}
# RepDistiller / CTKD / DIST / mdistiller: lr 0.01 for these students
LOW_LR_STUDENTS = ('shufflev1', 'shufflev2', 'mobilenetv2')
CIFAR = dict(batch=64, epochs=240, milestones=(150, 180, 210),
             weight_decay=5e-4)
IMAGENET_512 = dict(lr=0.2, batch=512, epochs=100, milestones=(30, 60, 90),
                    weight_decay=1e-4)
IMAGENET_256 = dict(IMAGENET_512, lr=0.1, batch=256)


def _low_lr(pair: str) -> bool:
    return pair.endswith(LOW_LR_STUDENTS)


# --- RepDistiller: KD, FitNet, AT, SP, CC, RKD, PKT, CRD on CIFAR-100 -----
REPDISTILLER_SCHEDULE = (
    'RepDistiller train_student.py lines 44-54 (batch 64, 240 epochs, lr '
    '0.05, milestones, wd 5e-4, momentum 0.9), 93-94 (lr 0.01 for '
    'MobileNetV2 / ShuffleNet), 273-276 (SGD, no nesterov), 73 (-r, CE '
    'weight, default 1)')
REPDISTILLER = {
    # method: (scripts/run_cifar_distill.sh line, CE weight, losses)
    'kd': (5, 0.1, {'loss_kd': dict(temperature=4.0, loss_weight=0.9)}),
    'fitnet': (7, 1.0, {'loss_fitnet': dict(loss_weight=100.0)}),
    # p = 2: distiller_zoo/AT.py line 11
    'at': (9, 1.0, {'loss_at': dict(loss_weight=1000.0, p=2.0)}),
    'sp': (11, 1.0, {'loss_sp': dict(loss_weight=3000.0)}),
    'cc': (13, 1.0, {'loss_cc': dict(loss_weight=0.02)}),
    # w_d = 25, w_a = 50: distiller_zoo/RKD.py line 10
    'rkd': (17, 1.0, {'loss_rkd': dict(distance_weight=25.0,
                                       angle_weight=50.0, loss_weight=1.0)}),
    'pkt': (19, 1.0, {'loss_pkt': dict(loss_weight=30000.0)}),
    # feat_dim, nce_k, nce_t, nce_m: train_student.py lines 81-85
    'crd': (29, 1.0, {'loss_crd': dict(loss_weight=0.8, feat_dim=128,
                                       temperature=0.07, momentum=0.5)}),
}


def _repdistiller(method: str, pair: str) -> Recipe:
    line, ce, losses = REPDISTILLER[method]
    return Recipe(
        source=f'{REPDISTILLER_SCHEDULE}; scripts/run_cifar_distill.sh line '
        f'{line}', lr=0.01 if _low_lr(pair) else 0.05, ce=ce, losses=losses,
        negatives=16384 if method == 'crd' else None, **CIFAR)


# --- mdistiller: DKD on CIFAR-100 --------------------------------------
# configs/cifar100/dkd/<yaml> line 19 (DKD.BETA); the others: cfg.py 165
DKD_BETA = {'res56_res20': 2.0, 'res110_res32': 2.0, 'vgg13_vgg8': 6.0,
            'wrn40_2_wrn_16_2': 6.0, 'wrn40_2_wrn_40_1': 6.0,
            'vgg13_mv2': 6.0}


def _dkd(pair: str) -> Recipe:
    yaml = PAIRS[pair]
    return Recipe(
        source=f'mdistiller configs/cifar100/dkd/{yaml}.yaml lines 10-19 '
        '(solver, DKD.BETA where set); mdistiller/engine/cfg.py lines '
        '161-167 (CE 1, alpha 1, beta 8, T 4, warm-up 20); trainer.py '
        'lines 38-45 (SGD, no nesterov)',
        lr=0.01 if _low_lr(pair) else 0.05,
        losses={'loss_dkd': dict(alpha=1.0, beta=DKD_BETA.get(yaml, 8.0),
                                 temperature=4.0, loss_weight=1.0,
                                 logit_standardization=False)},
        warmup=20, **CIFAR)


# --- CTKD on CIFAR-100 --------------------------------------------------
def _ctkd(pair: str) -> Recipe:
    return Recipe(
        source='CTKD scripts/run_cifar_distill.sh lines 17-22 (-r 0.1 -a '
        '0.9, batch 64, lr 0.05, --decay_loops 10); train_student.py lines '
        '48, 56, 58-59 (240 epochs, milestones, wd 5e-4, momentum), 89-90 '
        '(t_start 1, t_end 20), 125-126 (lr 0.01 for MobileNetV2 / '
        'ShuffleNet), 379-382 (SGD, no nesterov)',
        lr=0.01 if _low_lr(pair) else 0.05, ce=0.1,
        losses={'loss_ctkd': {'loss_weight': 0.9,
                              'temperature_module.t_start': 1.0,
                              'temperature_module.t_range': 20.0,
                              'logit_standardization': False}},
        curriculum=10, **CIFAR)


# --- DIST on CIFAR-100 --------------------------------------------------
def _dist(pair: str) -> Recipe:
    return Recipe(
        source='DIST configs/strategies/distill/dist_cifar.yaml lines 5, '
        '8-10, 12, 14, 19, 27-29, 31, 34-36 (batch 64, x0.1 every 30 '
        'epochs after a constant 120-epoch warm-up = 150/180/210, 240 '
        'epochs, lr 0.05, momentum 0.9, wd 5e-4, no nesterov, CE 1, KD 2, '
        'dist_t4) and lib/models/losses/kd_loss.py lines 69-71 (DIST beta '
        '1, gamma 1, tau 4); DIST_KD README.md lines 88-90 (lr 0.01 for '
        'MobileNetV2 / ShuffleNet)',
        lr=0.01 if _low_lr(pair) else 0.05,
        losses={'loss_dist': dict(beta=1.0, gamma=1.0, tau=4.0,
                                  loss_weight=2.0)}, **CIFAR)


# --- ReviewKD on CIFAR-100: the authors' script -------------------------
REVIEWKD_WEIGHT = {  # script/reviewKD.sh: (line, --kd-loss-weight)
    'wrn_40_2_wrn_16_2': (1, 5.0), 'wrn_40_2_wrn_40_1': (3, 5.0),
    'wrn_40_2_shufflev1': (5, 5.0), 'resnet32x4_resnet8x4': (7, 5.0),
    'resnet32x4_shufflev1': (9, 5.0), 'resnet32x4_shufflev2': (11, 8.0),
    'resnet56_resnet20': (13, 0.6), 'resnet110_resnet32': (15, 1.0),
}


def _reviewkd(pair: str) -> Recipe:
    # train.py steps the lr at the end of epochs 150/180/210 (line 254,
    # util/misc.py lines 55-60): epochs 151/181/211 are the first at the
    # lower lr, i.e. mmengine milestones 151/181/211.
    source = ('ReviewKD CIFAR-100/train.py lines 23, 25, 27, 29-31, 33 '
              '(batch 128, 240 epochs, lr 0.1, steps after epochs '
              '150/180/210, wd 5e-4), 50 and 225 (HCL warm-up min(1, '
              'epoch/20) from epoch 0), 59 (CE 1), 168-169 (lr 0.02 for '
              'ShuffleNet / MobileNet), 178-179 (SGD momentum 0.9, '
              'nesterov), 254 with util/misc.py 55-60 (the steps)')
    if pair in REVIEWKD_WEIGHT:
        line, weight = REVIEWKD_WEIGHT[pair]
        source += f'; script/reviewKD.sh line {line}'
    else:
        # not in script/reviewKD.sh: train.py's default HCL weight
        weight = 1.0
        source += '; pair not in script/reviewKD.sh: HCL weight is ' \
            "train.py's default (line 48)"
    return Recipe(
        source=source, lr=0.02 if _low_lr(pair) else 0.1, batch=128,
        epochs=240, milestones=(151, 181, 211), weight_decay=5e-4,
        nesterov=True, losses={'loss_reviewkd': dict(loss_weight=weight)},
        warmup=20)


# --- MLKD on CIFAR-100 --------------------------------------------------
MLKD_SAME_FAMILY = ('resnet56_resnet20', 'resnet110_resnet32',
                    'resnet32x4_resnet8x4', 'wrn_40_2_wrn_16_2',
                    'wrn_40_2_wrn_40_1', 'vgg13_vgg8')
MLKD_EPOCHS = {'resnet32x4_shufflev1': 960, 'resnet32x4_shufflev2': 960,
               'resnet50_mobilenetv2': 480, 'vgg13_mobilenetv2': 480,
               'wrn_40_2_shufflev1': 480}


def _mlkd(pair: str) -> Recipe:
    return Recipe(
        source=f'MLKD configs/cifar100/ours/{PAIRS[pair]}.yaml lines 10-17 '
        '(batch 64, epochs, lr, milestones, wd 5e-4); mdistiller/engine/'
        'cfg.py lines 60-64 (T 4, CE 0.1, KD 0.9); mdistiller/distillers/'
        'KD_ours.py lines 114-161 (CE on both views, temperatures T, 3, 5, '
        '2, 6)',
        lr=0.025 if pair in MLKD_SAME_FAMILY else 0.01,
        batch=64, epochs=MLKD_EPOCHS.get(pair, 240),
        milestones=(150, 180, 210), weight_decay=5e-4, ce=0.1,
        losses={'loss_mlkd': dict(temperatures=(2.0, 3.0, 4.0, 5.0, 6.0),
                                  virtual_ce_weight=0.1, loss_weight=0.9,
                                  logit_standardization=False)})


# --- students alone (CIFAR-100) -----------------------------------------
def _ce(student: str) -> Recipe:
    return Recipe(
        source='RepDistiller train_teacher.py lines 31-40 (batch 64, 240 '
        'epochs, lr 0.05, milestones, wd 5e-4, momentum 0.9), 55-56 (lr '
        '0.01 for MobileNetV2 / ShuffleNet), 101-104 (SGD, no nesterov)',
        lr=0.01 if student in LOW_LR_STUDENTS else 0.05, **CIFAR)


# The VRM paper's ViT experiment (no released code): docs/vrm_method.md
# "ViT on CIFAR-100"; weight decay 0.05 is DeiT's (the paper gives none).
DEIT = dict(source='VRM paper, docs/vrm_method.md lines 103-104 (AdamW 5e-4, '
            'cosine, 300 epochs, batch 128); no released code',
            optimizer='AdamW', lr=5e-4, batch=128, epochs=300,
            milestones=None, weight_decay=0.05, momentum=None)


def _imagenet_rows() -> Dict[str, Recipe]:
    r34, r50 = 'resnet34_resnet18', 'resnet50_mobilenet_v1'
    yamls = {r34: 'r34_r18', r50: 'r50_mv1'}
    rows = {}
    for pair in (r34, r50):
        y = yamls[pair]
        rows[f'kd/kd_{pair}_100e_imagenet.py'] = Recipe(
            source=f'mdistiller configs/imagenet/{y}/kd.yaml lines 15-27',
            ce=0.5, losses={'loss_kd': dict(temperature=1.0,
                                            loss_weight=0.5)},
            **IMAGENET_512)
        rows[f'dkd/dkd_{pair}_100e_imagenet.py'] = Recipe(
            source=f'mdistiller configs/imagenet/{y}/dkd.yaml lines 15-30; '
            'mdistiller/engine/cfg.py line 164 (alpha 1)',
            losses={'loss_dkd': dict(alpha=1.0,
                                     beta=0.5 if pair == r34 else 2.0,
                                     temperature=1.0, loss_weight=1.0)},
            warmup=1, **IMAGENET_512)
        rows[f'at/at_{pair}_100e_imagenet.py'] = Recipe(
            source=f'mdistiller configs/imagenet/{y}/at.yaml lines 15-22; '
            'mdistiller/engine/cfg.py lines 67-71 (CE 1, AT 1000, p 2)',
            losses={'loss_at': dict(loss_weight=1000.0, p=2.0)},
            **IMAGENET_512)
        rows[f'crd/crd_{pair}_100e_imagenet.py'] = Recipe(
            source=f'mdistiller configs/imagenet/{y}/crd.yaml lines 15-27; '
            'mdistiller/engine/cfg.py lines 134-147 (CE 1, CRD 0.8, dim '
            '128, K 16384, momentum 0.5, tau 0.07)',
            losses={'loss_crd': dict(loss_weight=0.8, feat_dim=128,
                                     temperature=0.07, momentum=0.5)},
            negatives=16384, **IMAGENET_256)
        rows[f'fitnet/fitnet_{pair}_100e_imagenet.py'] = Recipe(
            source='no released ImageNet FitNet: mdistiller\'s ImageNet '
            'schedule (configs/imagenet/r34_r18/kd.yaml lines 15-22) with '
            'RepDistiller\'s CIFAR weights (scripts/run_cifar_distill.sh '
            'line 7: CE 1, hint 100)',
            losses={'loss_fitnet': dict(loss_weight=100.0)}, **IMAGENET_512)
        rows[f'ctkd/ctkd_{pair}_100e_imagenet.py'] = Recipe(
            source='CTKD scripts/run_imagenet_distill.sh lines 17-25 (batch '
            '256, 120 epochs, lr 0.1, milestones 30/60/90, wd 1e-4, -r 1 -a '
            '1, --decay_loops 5), written for ResNet34 -> ResNet18',
            losses={'loss_ctkd': {'loss_weight': 1.0,
                                  'temperature_module.t_start': 1.0,
                                  'temperature_module.t_range': 20.0}},
            curriculum=5, **dict(IMAGENET_256, epochs=120))
        rows[f'reviewkd/reviewkd_{pair}_100e_imagenet.py'] = Recipe(
            source='ReviewKD ImageNet/README.md lines 33-49 (4 GPUs x 64, '
            'HCL 1.0 / 8.0), imagenet_amp.py lines 46, 52-62, 173-178 (100 '
            'epochs, lr 0.1 x 256/256, milestones, momentum, wd 1e-4, SGD '
            'without nesterov), 381 and 539-554 (no warm-up)',
            losses={'loss_reviewkd': dict(
                loss_weight=1.0 if pair == r34 else 8.0)}, **IMAGENET_256)
    rows[f'mlkd/mlkd_{r34}_100e_imagenet.py'] = Recipe(
        source='MLKD configs/imagenet/r34_r18/kd_ours.yaml lines 15-28; '
        'mdistiller/distillers/KD_ours.py lines 114-161',
        ce=0.5, losses={'loss_mlkd': dict(
            temperatures=(1.0, 2.0, 3.0, 5.0, 6.0), virtual_ce_weight=0.5,
            loss_weight=0.5)}, **dict(IMAGENET_512, lr=0.1))
    rows[f'mlkd/mlkd_{r50}_100e_imagenet.py'] = Recipe(
        source='MLKD configs/imagenet/r50_mv2/kd_ours.yaml lines 15-28 (its '
        'ResNet50 pair; lr 0.2); mdistiller/distillers/KD_ours.py lines '
        '114-161',
        ce=0.5, losses={'loss_mlkd': dict(
            temperatures=(1.0, 2.0, 3.0, 5.0, 6.0), virtual_ce_weight=0.5,
            loss_weight=0.5)}, **IMAGENET_512)
    return rows


def _add_mlkd(rows: Dict[str, Recipe], pair: str, released: Recipe) -> None:
    """MLKD's released recipe under its epochs' name; where it is longer
    than the shared 240 epochs, the `_240e_` config is the like-for-like
    variant: the released recipe on the shared schedule (issue 22)."""
    rows[f'mlkd/mlkd_{pair}_{released.epochs}e_cifar100.py'] = released
    if released.epochs != 240:
        rows[f'mlkd/mlkd_{pair}_240e_cifar100.py'] = Recipe(**{
            **released.__dict__, 'epochs': 240,
            'source': 'the released recipe on the shared 240-epoch '
            f'schedule, like-for-like variant of: {released.source}'})


def _recipes() -> Dict[str, Recipe]:
    rows = {}
    for pair in PAIRS:
        for method in REPDISTILLER:
            rows[f'{method}/{method}_{pair}_240e_cifar100.py'] = \
                _repdistiller(method, pair)
        for method, build in (('dkd', _dkd), ('ctkd', _ctkd),
                              ('dist', _dist), ('reviewkd', _reviewkd)):
            rows[f'{method}/{method}_{pair}_240e_cifar100.py'] = build(pair)
        _add_mlkd(rows, pair, _mlkd(pair))
    for student in ('resnet20', 'resnet32', 'resnet8x4', 'wrn_16_2',
                    'wrn_40_1', 'vgg8', 'shufflev1', 'shufflev2',
                    'mobilenetv2'):
        rows[f'ce/ce_{student}_240e_cifar100.py'] = _ce(student)
    rows['ce/ce_deit_tiny_300e_cifar100.py'] = Recipe(**DEIT)
    rows['kd/kd_resnet56_deit_tiny_300e_cifar100.py'] = Recipe(
        **dict(DEIT, source=DEIT['source'] + '; KD as mdistiller '
               'cfg.py lines 59-64 (T 4, CE 0.1, KD 0.9)'),
        ce=0.1, losses={'loss_kd': dict(temperature=4.0, loss_weight=0.9)})
    # logit standardisation (LSKD, README.md lines 66, 74; tools/train.py
    # lines 110-121: KD weight 9 and base temperature 2; DKD's alpha and
    # beta times 9)
    rows['kd/kd_ls_resnet32x4_resnet8x4_240e_cifar100.py'] = Recipe(
        **{**rows['kd/kd_resnet32x4_resnet8x4_240e_cifar100.py'].__dict__,
           'source': 'LSKD README.md (KD + Ours command), tools/train.py '
           'lines 110-114 (KD weight 9, base temperature 2), mdistiller '
           'cfg.py line 64 (CE 0.1)',
           'losses': {'loss_kd': dict(temperature=2.0, loss_weight=9.0,
                                      logit_standardization=True)}})
    rows['dkd/dkd_ls_resnet32x4_resnet8x4_240e_cifar100.py'] = Recipe(
        source='LSKD README.md line 66, tools/train.py lines 115-118, '
        'configs/cifar100/dkd/resnet32x4_resnet8x4.yaml lines 10-17 '
        '(alpha 1 x 9, beta 8 x 9, T 2)', lr=0.05,
        losses={'loss_dkd': dict(alpha=9.0, beta=72.0, temperature=2.0,
                                 loss_weight=1.0,
                                 logit_standardization=True)},
        warmup=20, **CIFAR)
    rows['ctkd/ctkd_ls_resnet32x4_resnet8x4_240e_cifar100.py'] = Recipe(
        **{**_ctkd('resnet32x4_resnet8x4').__dict__,
           'source': 'LSKD CTKD/scripts/run_cifar_distill.sh lines 17-22 '
           '(-r 0.1 -a 9, --kd_T 2, batch 64, lr 0.05); CTKD '
           'train_student.py as the other CTKD rows',
           'losses': {'loss_ctkd': {'loss_weight': 9.0,
                                    'temperature_module.t_start': 1.0,
                                    'temperature_module.t_range': 20.0,
                                    'logit_standardization': True}}})
    _add_mlkd(rows, 'ls_resnet32x4_resnet8x4', Recipe(
        source='LSKD README.md line 74, tools/train.py lines 119-121 (KD '
        'weight 9, T 2), configs/cifar100/mlkd/resnet32x4_resnet8x4.yaml '
        'lines 10-17 (batch 64, 480 epochs, lr 0.025)',
        lr=0.025, batch=64, epochs=480, milestones=(150, 180, 210),
        weight_decay=5e-4, ce=0.1,
        losses={'loss_mlkd': dict(temperatures=(2.0, 2.0, 3.0, 5.0, 6.0),
                                  virtual_ce_weight=0.1, loss_weight=9.0,
                                  logit_standardization=True)}))
    rows.update(_imagenet_rows())
    return rows


RECIPES = _recipes()


# --- reading a merged config ---------------------------------------------
def _loss_value(loss: dict, key: str) -> Any:
    """``key`` (dotted) of a loss config, else the class's default."""
    node, cls = loss, MODELS.get(loss['type'])
    parts = key.split('.')
    for depth, part in enumerate(parts):
        if part in node:
            node = node[part]
            if depth + 1 < len(parts):
                cls = MODELS.get(node['type'])
            continue
        default = inspect.signature(cls).parameters[part].default
        assert default is not inspect.Parameter.empty, (key, loss['type'])
        return default
    return node


def _hook(cfg: Config, hook_type: str) -> Optional[dict]:
    hooks = [h for h in cfg.get('custom_hooks', []) if h.type == hook_type]
    assert len(hooks) <= 1, hooks
    return hooks[0] if hooks else None


def _actual(config: str, want: Recipe) -> Recipe:
    """The merged config's recipe, in the fields of ``want``."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'baselines', config))
    optimizer = cfg.optim_wrapper.optimizer
    scheduler = cfg.param_scheduler
    milestones = None
    if isinstance(scheduler, dict) and scheduler.type == 'MultiStepLR':
        assert scheduler.gamma == 0.1 and scheduler.by_epoch
        milestones = tuple(scheduler.milestones)
    gpus = GPUS[config.rsplit('_', 1)[1][:-len('.py')]]
    model = cfg.model
    if 'distill_losses' in model:
        ce = model.get('student_loss_weight', inspect.signature(
            MODELS.get(model.type)).parameters['student_loss_weight'].default)
    else:
        ce = model.head.loss.get('loss_weight', 1.0)
    losses = {}
    for name, keys in want.losses.items():
        loss = model.distill_losses[name]
        losses[name] = {key: _loss_value(loss, key) for key in keys}
        if 'temperatures' in losses[name]:
            losses[name]['temperatures'] = tuple(
                sorted(losses[name]['temperatures']))
    warmup = _hook(cfg, 'DistillLossWarmupHook')
    if warmup is not None:
        assert warmup.by_epoch and set(warmup.loss_names) == set(want.losses)
    curriculum = _hook(cfg, 'CTKDCurriculumHook')
    dataset = cfg.train_dataloader.dataset
    return Recipe(
        source=want.source,
        lr=optimizer.lr,
        batch=cfg.train_dataloader.batch_size * gpus,
        epochs=cfg.train_cfg.max_epochs,
        milestones=milestones,
        weight_decay=optimizer.weight_decay,
        ce=ce,
        losses=losses,
        warmup=warmup.warmup if warmup is not None else 0,
        curriculum=curriculum.epochs if curriculum is not None else None,
        negatives=dataset.get('num_negatives'),
        optimizer=optimizer.type,
        momentum=optimizer.get('momentum'),
        nesterov=optimizer.get('nesterov', False))


def test_every_baseline_config_has_a_row_and_every_row_a_config():
    assert len(CONFIGS) >= 150
    assert {c.split('/')[0] for c in CONFIGS} == set(METHODS)
    assert not sorted(set(CONFIGS) - set(RECIPES)), 'configs without a row'
    assert not sorted(set(RECIPES) - set(CONFIGS)), 'rows without a config'


@pytest.mark.parametrize('config', CONFIGS)
def test_config_runs_the_released_recipe(config):
    want = RECIPES[config]
    assert want.source
    got = _actual(config, want)
    differences = {
        name: (getattr(got, name), getattr(want, name))
        for name in want.__dataclass_fields__
        if getattr(got, name) != getattr(want, name)
    }
    assert not differences, (
        f'{config} differs from the released recipe ({want.source}); '
        f'(config, released): {differences}')


def test_the_comparison_catches_a_wrong_value():
    """A config changed in one hyper-parameter no longer matches."""
    want = RECIPES['dkd/dkd_resnet56_resnet20_240e_cifar100.py']
    wrong = Recipe(**{**want.__dict__, 'losses': {
        'loss_dkd': dict(want.losses['loss_dkd'], beta=8.0)}})
    got = _actual('dkd/dkd_resnet56_resnet20_240e_cifar100.py', want)
    assert got.losses != wrong.losses
    assert got.losses == want.losses


# torchvision's IMAGENET1K_V1 weights (converted by
# tools/convert_torchvision.py), the teachers of every published ImageNet
# number (mdistiller tools/train.py line 57, `pretrained=True`; ReviewKD
# imagenet_amp.py line 88, `--teacher-weight torchvision`)
TORCHVISION_TEACHERS = {
    'mmpretrain::_base_/models/resnet34.py':
    'work_dirs/teachers/resnet34_torchvision_imagenet.pth',
    'mmpretrain::_base_/models/resnet50.py':
    'work_dirs/teachers/resnet50_torchvision_imagenet.pth',
}
IMAGENET_CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*_imagenet.py'),
        recursive=True))


@pytest.mark.parametrize('config', IMAGENET_CONFIGS)
def test_imagenet_configs_default_to_torchvision_teachers(config):
    model = Config.fromfile(osp.join(REPO_ROOT, config)).model
    assert model.teacher_ckpt == TORCHVISION_TEACHERS[
        model.teacher.cfg_path], config
