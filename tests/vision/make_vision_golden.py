#!/usr/bin/python3
"""Independent reference and golden fixtures for image classification models.

This script regenerates ``tests/vision/golden/`` next to itself, byte-identically
on every run:

    /usr/bin/python3 tests/vision/make_vision_golden.py

It needs only torch (CPU), numpy and PIL (Debian 12: torch 1.13, numpy 1.24,
PIL 9.4).  ``transformers`` is deliberately NOT used: the models and the image
processors are written out here from scratch, in plain torch/numpy/PIL,
following the Hugging Face definitions (see README.md next to this file for
the HF source files and lines that were checked).  The C++ implementation is
later compared against what this script writes.

What it writes
--------------
golden/images/
    Four PNG images made procedurally (fixed numpy seeds, no external data):
      gradient_rgb.png  37x23 (w x h) RGB  colour gradient + noise
      alpha_rgba.png    50x64 RGBA         varying alpha, also fully
                                           transparent pixels whose RGB is not 0
      gray_l.png        20x28 L            radial pattern + noise
      tiny_rgb.png      9x7   RGB          random colours; smaller than every
                                           model input, so resizing upsamples
    Every model opens an image with PIL and calls ``.convert("RGB")`` before
    its processor: alpha is dropped (not composited), L is replicated.

golden/<model>/{config.json, preprocessor_config.json, model.safetensors}
    Three tiny models in Hugging Face format, random weights:
      vit-tiny                ViTForImageClassification (16x16, patch 4,
                              hidden 32, 2 layers, 4 heads, mlp 64, exact GELU)
      resnet-tiny-basic       ResNetForImageClassification, basic layers,
                              embedding 8, hidden_sizes [8,16], depths [1,2]
      resnet-tiny-bottleneck  the same with bottleneck layers (reduction 4),
                              hidden_sizes [16,32], depths [1,1]
    The labels are {"0":"ant","1":"bee","2":"wasp"}.

golden/expected.safetensors  (all F32)
    For every model M and image I (file stem):
      M/I/pixel_values  [1,3,H,W]  the processor output
      M/I/logits        [1,3]
      M/I/cls_hidden    [1,32]     ViT only: final layernorm output at CLS
      M/I/pooled        [1,C]      ResNet only: pooler output, flattened
    and M/batch/logits [4,3]: the four images' pixel_values stacked in file
    name order and run as one batch.

golden/golden.json
    Image list, model summaries, tolerances, the float64-vs-float32 max abs
    logit difference per model and image, argmax labels and file checksums.

Random weights
--------------
Deliberately non-trivial so that mistakes show (a loader that swaps two
tensors, ignores a bias, uses batch statistics or an approximate GELU gives
clearly different logits):
    linear / conv weights   N(0, 1/fan_in)   (variance 1/fan_in, i.e. std
                                              1/sqrt(fan_in); fan_in =
                                              in_channels * kh * kw for convs)
    biases                  N(0, 0.1)        (std 0.1)
    LayerNorm / BN gains    U(0.5, 1.5)
    LayerNorm / BN biases   N(0, 0.1)
    BN running_mean         N(0, 0.2)        (std 0.2)
    BN running_var          U(0.5, 2)
    BN num_batches_tracked  int64 scalar (random, unused in eval)
    ViT cls_token and
    position_embeddings     N(0, 0.5)        (std 0.5)
Each model has its own numpy RandomState seed; the values are drawn in float64
and rounded to float32 once.  The three seeds (2069, 2372, 2054) were picked,
once, from a scan of 400 seeds per model so that the predicted label varies
between the four images (three distinct labels for vit-tiny and
resnet-tiny-bottleneck, two for resnet-tiny-basic) and the logits of any two
images differ by at least 0.3; the script asserts a top-1/top-2 margin above
1e-3 for every image, so the argmax is not at the mercy of rounding.  The float32 weights are the model; the float64
reference run uses those same float32 values upcast.

Numerics
--------
The models run in float32 on the CPU with one thread and deterministic
algorithms; they run a second time in float64 (weights and pixel_values
upcast from the stored float32 values) and the max abs logit difference is
recorded in golden.json to show that the float32 result is stable.  The
ViT softmax is computed in the working dtype (HF's eager attention computes it
in float32, which is the same thing for the float32 run).

safetensors layout
------------------
Written by hand (``safetensors_bytes`` in tests/common/golden_files.py):
8-byte little-endian header length, a compact JSON header (``__metadata__``
{"format":"pt"} first, then the tensors sorted by name, each with dtype,
shape, data_offsets), padded with spaces to a multiple of 8 bytes, then the
raw little-endian data with no gaps.  The data follows the order of
the safetensors library (and of this project's own writer): descending dtype
size, then name.  For the all-F32 files (vit-tiny, expected.safetensors) that
is plain name order; in the ResNet files the I64 ``num_batches_tracked``
scalars come first, which keeps them 8-byte aligned.
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
# The numbers-to-files helpers live in tests/common/golden_files.py.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, os.pardir, "common"))
from golden_files import json_bytes, safetensors_bytes, sha256, sig, write_bytes  # noqa: E402

OUT = os.path.join(HERE, "golden")

LABELS = ["ant", "bee", "wasp"]
RESCALE_FACTOR = 1 / 255  # 0.00392156862745098 in JSON
PIL_BILINEAR = 2  # PILImageResampling.BILINEAR == PIL.Image.BILINEAR
PIL_BICUBIC = 3  # PILImageResampling.BICUBIC == PIL.Image.BICUBIC
TOLERANCES = {"pixel_values_abs": 1e-6, "float32_compute_abs": 2e-5}

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------

def _u8(values):
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def make_images():
    """Returns [(file name, PIL mode, uint8 array)] in file name order."""
    images = []

    # gradient_rgb: 37 wide, 23 high; R along x, G along y, B along the
    # diagonal, plus Gaussian noise.
    rs = np.random.RandomState(1001)
    h, w = 23, 37
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rgb = np.stack([
        20 + 215 * x / (w - 1),
        235 - 200 * y / (h - 1),
        60 + 150 * ((x + y) / (w + h - 2)),
    ], axis=-1)
    rgb += rs.normal(0.0, 14.0, size=rgb.shape)
    images.append(("gradient_rgb.png", "RGB", _u8(rgb)))

    # alpha_rgba: 50 wide, 64 high; colour stripes and a disc, alpha ramps
    # from 0 to 255 along x with a y ripple; the left columns are fully
    # transparent but keep their (non-zero) colour, which convert("RGB")
    # must keep.
    rs = np.random.RandomState(1002)
    h, w = 64, 50
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 110 * np.sin(x / 3.1)
    g = 128 + 110 * np.cos(y / 4.7)
    disc = ((x - 30) ** 2 + (y - 22) ** 2) < 13 ** 2
    b = np.where(disc, 240.0, 30.0 + 2.0 * y)
    rgb = np.stack([r, g, b], axis=-1) + rs.normal(0.0, 6.0, size=(h, w, 3))
    alpha = 255 * np.clip((x - 6) / (w - 12), 0, 1) * (0.75 + 0.25 * np.cos(y / 5.0))
    alpha[:, :4] = 0
    alpha[:, -3:] = 255
    rgba = np.concatenate([_u8(rgb), _u8(alpha)[..., None]], axis=-1)
    images.append(("alpha_rgba.png", "RGBA", rgba))

    # gray_l: 20 wide, 28 high; radial pattern plus noise.
    rs = np.random.RandomState(1003)
    h, w = 28, 20
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rad = np.sqrt((x - 7.5) ** 2 + (y - 17.0) ** 2)
    gray = 128 + 100 * np.cos(rad / 2.2) + rs.normal(0.0, 10.0, size=(h, w))
    images.append(("gray_l.png", "L", _u8(gray)))

    # tiny_rgb: 9 wide, 7 high; random colours (hard edges everywhere, so the
    # upsampling filters' exact weights matter).
    rs = np.random.RandomState(1004)
    tiny = rs.randint(0, 256, size=(7, 9, 3)).astype(np.uint8)
    images.append(("tiny_rgb.png", "RGB", tiny))

    images.sort(key=lambda item: item[0])
    return images


def write_png(path, array, mode):
    Image.fromarray(array, mode=mode).save(path, format="PNG")


def load_rgb(path):
    """What every model does first: PIL open, then convert("RGB")."""
    with Image.open(path) as im:
        im.load()
        return im.convert("RGB")


# --------------------------------------------------------------------------
# Image processors (HF semantics, written out)
# --------------------------------------------------------------------------

def rescale(image_u8, scale):
    """image_transforms.rescale: upcast to float64, multiply, then float32."""
    return (image_u8.astype(np.float64) * scale).astype(np.float32)


def normalize(image_f32_hwc, mean, std):
    """image_transforms.normalize for a channels-last float32 image:
    mean/std become float32 arrays, then (x - mean) / std in float32."""
    mean = np.array(mean, dtype=image_f32_hwc.dtype)
    std = np.array(std, dtype=image_f32_hwc.dtype)
    return (image_f32_hwc - mean) / std


def pil_resize(image_rgb, height, width, resample):
    """image_transforms.resize on a uint8 image: goes through PIL (no rescale
    for uint8), Image.resize((width, height), resample, reducing_gap=None)."""
    out = np.array(image_rgb.resize((width, height), resample=resample, reducing_gap=None))
    assert out.dtype == np.uint8 and out.shape == (height, width, 3)
    return out


def resize_output_size_shortest_edge(height, width, size):
    """image_transforms.get_resize_output_image_size(size=int,
    default_to_square=False, max_size=None): the short side becomes `size`,
    the long side int(size * long / short); returns (height, width)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def center_crop(image_hwc, crop_height, crop_width):
    """image_transforms.center_crop: top = (h - ch) // 2, left = (w - cw) // 2;
    if the crop leaves the image, the image is first zero-padded to at least
    the crop size with ceil((new - old) / 2) before (never happens for the
    ConvNeXT path here, the resized short side is 36 > 32, but kept for
    completeness).  Returns the crop and (top, left) in the input image."""
    orig_h, orig_w = image_hwc.shape[:2]
    top = (orig_h - crop_height) // 2
    left = (orig_w - crop_width) // 2
    bottom, right = top + crop_height, left + crop_width
    if top >= 0 and bottom <= orig_h and left >= 0 and right <= orig_w:
        return image_hwc[top:bottom, left:right], (top, left)
    new_h, new_w = max(crop_height, orig_h), max(crop_width, orig_w)
    padded = np.zeros((new_h, new_w) + image_hwc.shape[2:], dtype=image_hwc.dtype)
    top_pad = math.ceil((new_h - orig_h) / 2)
    left_pad = math.ceil((new_w - orig_w) / 2)
    padded[top_pad:top_pad + orig_h, left_pad:left_pad + orig_w] = image_hwc
    top, bottom, left, right = top + top_pad, bottom + top_pad, left + left_pad, right + left_pad
    crop = padded[max(0, top):min(new_h, bottom), max(0, left):min(new_w, right)]
    return crop, (top - top_pad, left - left_pad)


def vit_preprocess(image_rgb, cfg):
    """ViTImageProcessor.preprocess: resize to (height, width) with PIL,
    rescale, normalize, channels first.  No crop."""
    hwc = pil_resize(image_rgb, cfg["size"]["height"], cfg["size"]["width"], cfg["resample"])
    x = rescale(hwc, cfg["rescale_factor"])
    x = normalize(x, cfg["image_mean"], cfg["image_std"])
    info = {"resized_hw": [int(hwc.shape[0]), int(hwc.shape[1])], "crop_top_left": None}
    return np.ascontiguousarray(x.transpose(2, 0, 1)), info


def convnext_preprocess(image_rgb, cfg):
    """ConvNextImageProcessor.preprocess with size {"shortest_edge": s}:
    s < 384: short side to int(s / crop_pct), aspect kept, PIL resize, then
    center crop to (s, s); s >= 384: warp to (s, s).  Then rescale,
    normalize, channels first."""
    s = cfg["size"]["shortest_edge"]
    w, h = image_rgb.size
    if s < 384:
        resize_short = int(s / cfg["crop_pct"])
        rh, rw = resize_output_size_shortest_edge(h, w, resize_short)
        hwc = pil_resize(image_rgb, rh, rw, cfg["resample"])
        hwc, top_left = center_crop(hwc, s, s)
        info = {"resized_hw": [rh, rw], "crop_top_left": [int(top_left[0]), int(top_left[1])]}
    else:
        hwc = pil_resize(image_rgb, s, s, cfg["resample"])
        info = {"resized_hw": [s, s], "crop_top_left": None}
    x = rescale(hwc, cfg["rescale_factor"])
    x = normalize(x, cfg["image_mean"], cfg["image_std"])
    return np.ascontiguousarray(x.transpose(2, 0, 1)), info


# --------------------------------------------------------------------------
# Random parameters
# --------------------------------------------------------------------------

class ParamMaker:
    """Draws parameters in a fixed order from one numpy RandomState."""

    def __init__(self, seed):
        self.rs = np.random.RandomState(seed)
        self.params = {}  # name -> np.ndarray (float32 or int64)

    def _put(self, name, array):
        assert name not in self.params, name
        self.params[name] = array

    def weight(self, name, shape, fan_in):
        self._put(name, self.rs.normal(0.0, math.sqrt(1.0 / fan_in), size=shape).astype(np.float32))

    def bias(self, name, n):
        self._put(name, self.rs.normal(0.0, 0.1, size=(n,)).astype(np.float32))

    def normal(self, name, shape, std):
        self._put(name, self.rs.normal(0.0, std, size=shape).astype(np.float32))

    def linear(self, prefix, n_in, n_out):
        self.weight(prefix + ".weight", (n_out, n_in), n_in)
        self.bias(prefix + ".bias", n_out)

    def layer_norm(self, prefix, n):
        self._put(prefix + ".weight", self.rs.uniform(0.5, 1.5, size=(n,)).astype(np.float32))
        self.bias(prefix + ".bias", n)

    def batch_norm(self, prefix, n):
        self._put(prefix + ".weight", self.rs.uniform(0.5, 1.5, size=(n,)).astype(np.float32))
        self.bias(prefix + ".bias", n)
        self._put(prefix + ".running_mean", self.rs.normal(0.0, 0.2, size=(n,)).astype(np.float32))
        self._put(prefix + ".running_var", self.rs.uniform(0.5, 2.0, size=(n,)).astype(np.float32))
        self._put(prefix + ".num_batches_tracked",
                  np.array(self.rs.randint(1, 100000), dtype=np.int64).reshape(()))


# --------------------------------------------------------------------------
# ViT (ViTForImageClassification)
# --------------------------------------------------------------------------

VIT_CONFIG = {
    "architectures": ["ViTForImageClassification"],
    "attention_probs_dropout_prob": 0.0,
    "encoder_stride": 16,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "hidden_size": 32,
    "id2label": {str(i): name for i, name in enumerate(LABELS)},
    "image_size": 16,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "label2id": {name: i for i, name in enumerate(LABELS)},
    "layer_norm_eps": 1e-12,
    "model_type": "vit",
    "num_attention_heads": 4,
    "num_channels": 3,
    "num_hidden_layers": 2,
    "patch_size": 4,
    "qkv_bias": True,
    "torch_dtype": "float32",
}

VIT_PREPROCESSOR = {
    "do_convert_rgb": None,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "ViTImageProcessor",
    "image_std": [0.5, 0.5, 0.5],
    "resample": PIL_BILINEAR,
    "rescale_factor": RESCALE_FACTOR,
    "size": {"height": 16, "width": 16},
}


def vit_params(cfg, seed):
    pm = ParamMaker(seed)
    d, c, p = cfg["hidden_size"], cfg["num_channels"], cfg["patch_size"]
    n_patches = (cfg["image_size"] // p) ** 2
    pm.normal("vit.embeddings.cls_token", (1, 1, d), 0.5)
    pm.normal("vit.embeddings.position_embeddings", (1, n_patches + 1, d), 0.5)
    pm.weight("vit.embeddings.patch_embeddings.projection.weight", (d, c, p, p), c * p * p)
    pm.bias("vit.embeddings.patch_embeddings.projection.bias", d)
    for i in range(cfg["num_hidden_layers"]):
        L = "vit.encoder.layer.%d." % i
        pm.layer_norm(L + "layernorm_before", d)
        for proj in ("query", "key", "value"):
            pm.linear(L + "attention.attention." + proj, d, d)
        pm.linear(L + "attention.output.dense", d, d)
        pm.layer_norm(L + "layernorm_after", d)
        pm.linear(L + "intermediate.dense", d, cfg["intermediate_size"])
        pm.linear(L + "output.dense", cfg["intermediate_size"], d)
    pm.layer_norm("vit.layernorm", d)
    pm.linear("classifier", d, len(LABELS))
    return pm.params


def vit_forward(P, cfg, pixel_values):
    """Returns (logits [B,3], cls_hidden [B,d]) in pixel_values' dtype."""
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head_dim = d // heads
    eps = cfg["layer_norm_eps"]
    B = pixel_values.shape[0]

    # ViTPatchEmbeddings: conv(kernel=stride=patch), flatten(2), transpose.
    x = F.conv2d(pixel_values, P["vit.embeddings.patch_embeddings.projection.weight"],
                 P["vit.embeddings.patch_embeddings.projection.bias"], stride=cfg["patch_size"])
    x = x.flatten(2).transpose(1, 2)
    # ViTEmbeddings: [CLS] first, then + position_embeddings (no interpolation).
    x = torch.cat([P["vit.embeddings.cls_token"].expand(B, -1, -1), x], dim=1)
    x = x + P["vit.embeddings.position_embeddings"]

    def split(t):  # [B,T,d] -> [B,heads,T,head_dim]
        return t.view(B, -1, heads, head_dim).permute(0, 2, 1, 3)

    for i in range(cfg["num_hidden_layers"]):
        L = "vit.encoder.layer.%d." % i
        # ViTLayer: pre-norm attention with residual.
        h = F.layer_norm(x, (d,), P[L + "layernorm_before.weight"], P[L + "layernorm_before.bias"], eps)
        q = split(F.linear(h, P[L + "attention.attention.query.weight"], P[L + "attention.attention.query.bias"]))
        k = split(F.linear(h, P[L + "attention.attention.key.weight"], P[L + "attention.attention.key.bias"]))
        v = split(F.linear(h, P[L + "attention.attention.value.weight"], P[L + "attention.attention.value.bias"]))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (head_dim ** -0.5)
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(B, -1, d)
        x = F.linear(ctx, P[L + "attention.output.dense.weight"], P[L + "attention.output.dense.bias"]) + x
        # pre-norm MLP (exact erf GELU) with residual.
        h = F.layer_norm(x, (d,), P[L + "layernorm_after.weight"], P[L + "layernorm_after.bias"], eps)
        h = F.gelu(F.linear(h, P[L + "intermediate.dense.weight"], P[L + "intermediate.dense.bias"]))
        x = F.linear(h, P[L + "output.dense.weight"], P[L + "output.dense.bias"]) + x

    # ViTModel final layernorm (add_pooling_layer=False), classify token 0.
    x = F.layer_norm(x, (d,), P["vit.layernorm.weight"], P["vit.layernorm.bias"], eps)
    cls = x[:, 0, :]
    logits = F.linear(cls, P["classifier.weight"], P["classifier.bias"])
    return logits, cls


# --------------------------------------------------------------------------
# ResNet (ResNetForImageClassification)
# --------------------------------------------------------------------------

def resnet_config(layer_type, hidden_sizes, depths):
    return {
        "architectures": ["ResNetForImageClassification"],
        "depths": list(depths),
        "downsample_in_bottleneck": False,
        "downsample_in_first_stage": False,
        "embedding_size": 8,
        "hidden_act": "relu",
        "hidden_sizes": list(hidden_sizes),
        "id2label": {str(i): name for i, name in enumerate(LABELS)},
        "label2id": {name: i for i, name in enumerate(LABELS)},
        "layer_type": layer_type,
        "model_type": "resnet",
        "num_channels": 3,
        "out_features": ["stage%d" % len(depths)],
        "out_indices": [len(depths)],
        "stage_names": ["stem"] + ["stage%d" % (i + 1) for i in range(len(depths))],
        "torch_dtype": "float32",
    }


RESNET_PREPROCESSOR = {
    "crop_pct": 0.875,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.485, 0.456, 0.406],
    "image_processor_type": "ConvNextImageProcessor",
    "image_std": [0.229, 0.224, 0.225],
    "resample": PIL_BICUBIC,
    "rescale_factor": RESCALE_FACTOR,
    "size": {"shortest_edge": 32},
}

BN_EPS = 1e-5  # nn.BatchNorm2d default


def resnet_plan(cfg):
    """The layer structure of HF's ResNetEncoder, as a list of layers:
    (prefix, in_ch, out_ch, stride, has_shortcut, convs) where convs is a
    list of (kernel, in, out, stride, relu)."""
    reduction = 4
    plan = []
    ins = [cfg["embedding_size"]] + cfg["hidden_sizes"][:-1]
    for s, (cin, cout, depth) in enumerate(zip(ins, cfg["hidden_sizes"], cfg["depths"])):
        stage_stride = (2 if cfg["downsample_in_first_stage"] else 1) if s == 0 else 2
        for l in range(depth):
            lin = cin if l == 0 else cout
            stride = stage_stride if l == 0 else 1
            shortcut = lin != cout or stride != 1
            if cfg["layer_type"] == "basic":
                convs = [(3, lin, cout, stride, True), (3, cout, cout, 1, False)]
            else:
                red = cout // reduction
                # downsample_in_bottleneck only applies to a stage's first layer.
                dib = cfg["downsample_in_bottleneck"] and l == 0
                convs = [(1, lin, red, stride if dib else 1, True),
                         (3, red, red, 1 if dib else stride, True),
                         (1, red, cout, 1, False)]
            plan.append(("resnet.encoder.stages.%d.layers.%d." % (s, l), lin, cout, stride, shortcut, convs))
    return plan


def resnet_params(cfg, seed):
    pm = ParamMaker(seed)
    c, e = cfg["num_channels"], cfg["embedding_size"]
    pm.weight("resnet.embedder.embedder.convolution.weight", (e, c, 7, 7), c * 49)
    pm.batch_norm("resnet.embedder.embedder.normalization", e)
    for prefix, lin, cout, stride, shortcut, convs in resnet_plan(cfg):
        if shortcut:
            pm.weight(prefix + "shortcut.convolution.weight", (cout, lin, 1, 1), lin)
            pm.batch_norm(prefix + "shortcut.normalization", cout)
        for k, (ks, ci, co, st, relu) in enumerate(convs):
            pm.weight(prefix + "layer.%d.convolution.weight" % k, (co, ci, ks, ks), ci * ks * ks)
            pm.batch_norm(prefix + "layer.%d.normalization" % k, co)
    pm.linear("classifier.1", cfg["hidden_sizes"][-1], len(LABELS))
    return pm.params


def _conv_bn(P, prefix, x, stride, padding):
    x = F.conv2d(x, P[prefix + "convolution.weight"], None, stride=stride, padding=padding)
    return F.batch_norm(x, P[prefix + "normalization.running_mean"], P[prefix + "normalization.running_var"],
                        P[prefix + "normalization.weight"], P[prefix + "normalization.bias"],
                        training=False, momentum=0.0, eps=BN_EPS)


def resnet_forward(P, cfg, pixel_values):
    """Returns (logits [B,3], pooled [B,C]) in pixel_values' dtype."""
    # ResNetEmbeddings: conv7x7/2 pad 3 (no bias) + BN + ReLU, maxpool 3/2 pad 1.
    x = F.relu(_conv_bn(P, "resnet.embedder.embedder.", pixel_values, 2, 3))
    x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
    for prefix, lin, cout, stride, shortcut, convs in resnet_plan(cfg):
        residual = _conv_bn(P, prefix + "shortcut.", x, stride, 0) if shortcut else x
        h = x
        for k, (ks, ci, co, st, relu) in enumerate(convs):
            h = _conv_bn(P, prefix + "layer.%d." % k, h, st, ks // 2)
            if relu:
                h = F.relu(h)
        x = F.relu(h + residual)
    pooled = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
    logits = F.linear(pooled, P["classifier.1.weight"], P["classifier.1.bias"])
    return logits, pooled


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

MODELS = [
    {
        "name": "vit-tiny",
        "config": VIT_CONFIG,
        "preprocessor": VIT_PREPROCESSOR,
        "seed": 2069,
        "make_params": vit_params,
        "forward": vit_forward,
        "preprocess": vit_preprocess,
        "extra": "cls_hidden",
        "processor_summary": (
            "ViTImageProcessor: PIL Image.resize((16, 16), BILINEAR) of the uint8 RGB image; "
            "rescale: uint8 -> float64 * (1/255) -> float32; normalize in float32: "
            "(x - float32(mean)) / float32(std) with mean = std = [0.5, 0.5, 0.5]; "
            "channels first [3, 16, 16]; no crop."),
    },
    {
        "name": "resnet-tiny-basic",
        "config": resnet_config("basic", [8, 16], [1, 2]),
        "preprocessor": RESNET_PREPROCESSOR,
        "seed": 2372,
        "make_params": resnet_params,
        "forward": resnet_forward,
        "preprocess": convnext_preprocess,
        "extra": "pooled",
    },
    {
        "name": "resnet-tiny-bottleneck",
        "config": resnet_config("bottleneck", [16, 32], [1, 1]),
        "preprocessor": RESNET_PREPROCESSOR,
        "seed": 2054,
        "make_params": resnet_params,
        "forward": resnet_forward,
        "preprocess": convnext_preprocess,
        "extra": "pooled",
    },
]

CONVNEXT_SUMMARY = (
    "ConvNextImageProcessor, shortest_edge 32 < 384: resize_shortest_edge = int(32 / 0.875) = 36; "
    "output size as get_resize_output_image_size(size=36, default_to_square=False): the short side "
    "becomes 36, the long side int(36 * long / short) (width <= height counts as width short); "
    "PIL Image.resize((w, h), BICUBIC) of the uint8 RGB image; center_crop to 32x32 with "
    "top = (h - 32) // 2, left = (w - 32) // 2 (zero padding only if the image is smaller than the "
    "crop, never the case here); rescale: uint8 -> float64 * (1/255) -> float32; normalize in float32: "
    "(x - float32(mean)) / float32(std), ImageNet mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]; "
    "channels first [3, 32, 32].")


def to_torch(params, dtype):
    out = {}
    for name, array in params.items():
        t = torch.from_numpy(array.copy())
        out[name] = t.to(dtype) if t.is_floating_point() else t
    return out


def main():
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)

    # Images: write, then read back exactly as a consumer would.
    image_entries, rgb_images = [], []
    for fname, mode, array in make_images():
        path = os.path.join(OUT, "images", fname)
        write_png(path, array, mode)
        with Image.open(path) as im:
            im.load()
            assert im.mode == mode and np.array_equal(np.array(im), array), fname
            image_entries.append({"file": "images/" + fname, "mode": im.mode,
                                  "width": im.size[0], "height": im.size[1]})
        rgb_images.append((os.path.splitext(fname)[0], load_rgb(path)))
    stems = [stem for stem, _ in rgb_images]

    expected = {}
    golden_models = {}
    all_logits = {}
    for m in MODELS:
        name, cfg = m["name"], m["config"]
        folder = os.path.join(OUT, name)
        params = m["make_params"](cfg, m["seed"])
        write_bytes(os.path.join(folder, "config.json"), json_bytes(cfg))
        write_bytes(os.path.join(folder, "preprocessor_config.json"), json_bytes(m["preprocessor"]))
        write_bytes(os.path.join(folder, "model.safetensors"), safetensors_bytes(params))

        P32, P64 = to_torch(params, torch.float32), to_torch(params, torch.float64)
        per_image, batch_inputs = {}, []
        for stem, rgb in rgb_images:
            pv, info = m["preprocess"](rgb, m["preprocessor"])
            assert pv.dtype == np.float32
            x32 = torch.from_numpy(pv).unsqueeze(0)
            with torch.no_grad():
                logits32, extra32 = m["forward"](P32, cfg, x32)
                logits64, extra64 = m["forward"](P64, cfg, x32.to(torch.float64))
            diff = float((logits32.double() - logits64).abs().max())
            extra_diff = float((extra32.double() - extra64).abs().max())
            assert diff < 1e-5 and extra_diff < 1e-5, (name, stem, diff, extra_diff)
            top2 = np.sort(logits32.numpy()[0])[::-1][:2]
            margin = float(top2[0] - top2[1])
            assert margin > 1e-3, (name, stem, margin)
            key = "%s/%s/" % (name, stem)
            expected[key + "pixel_values"] = x32.numpy()
            expected[key + "logits"] = logits32.numpy()
            expected[key + m["extra"]] = extra32.numpy()
            batch_inputs.append(x32)
            all_logits[(name, stem)] = logits32.numpy()[0]
            per_image[stem] = {
                "pixel_values_shape": list(x32.shape),
                "resized_hw": info["resized_hw"],
                "crop_top_left": info["crop_top_left"],
                "logits": [float(v) for v in logits32.numpy()[0]],
                "argmax_label": LABELS[int(logits32.argmax())],
                "top1_top2_logit_margin": sig(margin),
                "float64_vs_float32_max_abs_logit_diff": sig(diff),
                "float64_vs_float32_max_abs_%s_diff" % m["extra"]: sig(extra_diff),
            }
        batch = torch.cat(batch_inputs, dim=0)
        with torch.no_grad():
            blog32, _ = m["forward"](P32, cfg, batch)
            blog64, _ = m["forward"](P64, cfg, batch.to(torch.float64))
        expected["%s/batch/logits" % name] = blog32.numpy()
        single = np.stack([all_logits[(name, s)] for s in stems])
        batch_vs_single = float(np.abs(blog32.numpy() - single).max())
        bdiff = float((blog32.double() - blog64).abs().max())
        assert bdiff < 1e-5 and batch_vs_single < 1e-5, (name, bdiff, batch_vs_single)

        n_params = sum(int(np.prod(a.shape)) for a in params.values() if a.dtype == np.float32)
        golden_models[name] = {
            "folder": name,
            "architecture": cfg["architectures"][0],
            "processor": m.get("processor_summary", CONVNEXT_SUMMARY),
            "num_float_parameters": n_params,
            "num_tensors": len(params),
            "expected_keys_per_image": ["pixel_values", "logits", m["extra"]],
            "images": per_image,
            "batch": {
                "key": "%s/batch/logits" % name,
                "order": stems,
                "float64_vs_float32_max_abs_logit_diff": sig(bdiff),
                "batch_vs_single_max_abs_logit_diff": sig(batch_vs_single),
            },
        }

    # Sanity: logits differ clearly between images and between models.
    keys = sorted(all_logits)
    min_gap = min(float(np.abs(all_logits[a] - all_logits[b]).max())
                  for i, a in enumerate(keys) for b in keys[i + 1:])
    assert min_gap > 1e-2, min_gap

    exp_path = os.path.join(OUT, "expected.safetensors")
    write_bytes(exp_path, safetensors_bytes(expected))

    files = [e["file"] for e in image_entries]
    for m in MODELS:
        files += ["%s/%s" % (m["name"], f) for f in ("config.json", "preprocessor_config.json", "model.safetensors")]
    files.append("expected.safetensors")

    golden = {
        "format_version": 1,
        "about": (
            "Golden fixtures for image classification (ViT, ResNet basic and bottleneck) made by "
            "tests/vision/make_vision_golden.py with an independent torch/numpy/PIL reimplementation of "
            "Hugging Face's ViTForImageClassification, ResNetForImageClassification, ViTImageProcessor and "
            "ConvNextImageProcessor (transformers itself not used). Every image is opened with PIL and "
            "converted with .convert('RGB') (alpha dropped, not composited; L replicated) before the "
            "processor. expected.safetensors holds, per model M and image stem I, M/I/pixel_values [1,3,H,W], "
            "M/I/logits [1,3], M/I/cls_hidden [1,32] (ViT) or M/I/pooled [1,C] (ResNet), and M/batch/logits "
            "[4,3] for the four images stacked in file name order. Models run in float32 (CPU, one thread); "
            "a float64 run of the same float32 weights shows the float32 result is stable. "
            "Regenerate with /usr/bin/python3 tests/vision/make_vision_golden.py; see tests/vision/README.md."),
        "generator": {
            "script": "tests/vision/make_vision_golden.py",
            "python": "%d.%d" % sys.version_info[:2],
            "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__,
            "pillow": Image.__version__,
        },
        "labels": {str(i): name for i, name in enumerate(LABELS)},
        "images": image_entries,
        "image_loading": "PIL Image.open(path).convert('RGB'): alpha dropped (not composited), L replicated to RGB",
        "tolerances": TOLERANCES,
        "tolerance_notes": {
            "pixel_values_abs": "processor output vs M/I/pixel_values; the uint8 resize must match PIL exactly",
            "float32_compute_abs": "logits, cls_hidden and pooled computed in float32 from the stored pixel_values",
        },
        "models": golden_models,
        "min_max_abs_logit_gap_between_any_two_model_image_pairs": sig(min_gap),
        "sha256": {f: sha256(os.path.join(OUT, f)) for f in files},
    }
    write_bytes(os.path.join(OUT, "golden.json"), json_bytes(golden))

    print("wrote %s" % OUT)
    for f in files + ["golden.json"]:
        print("  %-45s %8d bytes" % (f, os.path.getsize(os.path.join(OUT, f))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
