"""Independent PyTorch re-implementation of SAM's forward pass (image encoder, prompt encoder, mask
decoder, the public ONNX export's wrapper), used only to verify models built by the TypeScript builder.

Usage: /usr/bin/python3 check.py <dir written by export-cases.ts>
Weights are read from each .onnx file (initializers named by segment-anything's reference names);
inputs and onnxruntime outputs from the .bin files listed in manifest.json. Exit status 1 on mismatch.
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

torch.set_grad_enabled(False)
torch.set_num_threads(1)


def load_weights(path):
    model = onnx.load(path)
    return {
        t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
        for t in model.graph.initializer
        if not t.name.startswith("/")
    }


def linear(x, W, p):
    return F.linear(x, W[p + ".weight"], W[p + ".bias"])


def layer_norm(x, W, p, eps):
    return F.layer_norm(x, (x.shape[-1],), W[p + ".weight"], W[p + ".bias"], eps)


def layer_norm_2d(x, W, p, eps=1e-6):
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    x = (x - u) / torch.sqrt(s + eps)
    return W[p + ".weight"][:, None, None] * x + W[p + ".bias"][:, None, None]


def gelu(x, form):
    return F.gelu(x, approximate="tanh" if form == "tanh" else "none")


# ---------------------------------------------------------------- prompt encoder + mask decoder

def fourier(coords01, G):
    c = 2 * coords01 - 1
    c = c @ G
    c = 2 * np.pi * c
    return torch.cat([torch.sin(c), torch.cos(c)], dim=-1)


def dense_pe(cfg, G):
    s = cfg["embeddingSize"]
    grid = torch.ones((s, s), dtype=torch.float32)
    y = (grid.cumsum(dim=0) - 0.5) / s
    x = (grid.cumsum(dim=1) - 0.5) / s
    return fourier(torch.stack([x, y], dim=-1), G).permute(2, 0, 1).unsqueeze(0)


def embed_points(coords, labels, W, cfg):
    pe = "prompt_encoder."
    emb = fourier((coords + 0.5) / cfg["inputSize"], W[pe + "pe_layer.positional_encoding_gaussian_matrix"])
    pad = labels == -1
    emb[pad] = 0.0
    emb[pad] += W[pe + "not_a_point_embed.weight"][0]
    for i in range(4):
        emb[labels == i] += W[pe + f"point_embeddings.{i}.weight"][0]
    return emb


def embed_masks(mask, has_mask, W, cfg, act):
    p = "prompt_encoder.mask_downscaling."
    x = F.conv2d(mask, W[p + "0.weight"], W[p + "0.bias"], stride=2)
    x = act(layer_norm_2d(x, W, p + "1"))
    x = F.conv2d(x, W[p + "3.weight"], W[p + "3.bias"], stride=2)
    x = act(layer_norm_2d(x, W, p + "4"))
    x = F.conv2d(x, W[p + "6.weight"], W[p + "6.bias"])
    no_mask = W["prompt_encoder.no_mask_embed.weight"].reshape(1, -1, 1, 1)
    out = []
    for b in range(mask.shape[0]):
        out.append(x[b : b + 1] if has_mask[b] > 0.5 else no_mask.expand(1, -1, x.shape[2], x.shape[3]))
    return torch.cat(out, 0)


def mha(W, p, q, k, v, heads):
    q, k, v = linear(q, W, p + ".q_proj"), linear(k, W, p + ".k_proj"), linear(v, W, p + ".v_proj")

    def split(x):
        b, n, c = x.shape
        return x.reshape(b, n, heads, c // heads).transpose(1, 2)

    q, k, v = split(q), split(k), split(v)
    attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
    out = (attn @ v).transpose(1, 2)
    return linear(out.reshape(out.shape[0], out.shape[1], -1), W, p + ".out_proj")


def two_way(W, cfg, src, pos, tokens):
    h = cfg["numHeads"]
    t = "mask_decoder.transformer."
    keys = src.flatten(2).permute(0, 2, 1)
    key_pe = pos.flatten(2).permute(0, 2, 1)
    queries = tokens
    for i in range(cfg["transformerDepth"]):
        l = t + f"layers.{i}."
        if i == 0:
            queries = mha(W, l + "self_attn", queries, queries, queries, h)
        else:
            q = queries + tokens
            queries = queries + mha(W, l + "self_attn", q, q, queries, h)
        queries = layer_norm(queries, W, l + "norm1", 1e-5)
        queries = queries + mha(W, l + "cross_attn_token_to_image", queries + tokens, keys + key_pe, keys, h)
        queries = layer_norm(queries, W, l + "norm2", 1e-5)
        queries = queries + linear(F.relu(linear(queries, W, l + "mlp.lin1")), W, l + "mlp.lin2")
        queries = layer_norm(queries, W, l + "norm3", 1e-5)
        keys = keys + mha(W, l + "cross_attn_image_to_token", keys + key_pe, queries + tokens, queries, h)
        keys = layer_norm(keys, W, l + "norm4", 1e-5)
    queries = queries + mha(W, t + "final_attn_token_to_image", queries + tokens, keys + key_pe, keys, h)
    return layer_norm(queries, W, t + "norm_final_attn", 1e-5), keys


def mlp(x, W, p, layers):
    for i in range(layers):
        x = linear(x, W, f"{p}.layers.{i}")
        if i < layers - 1:
            x = F.relu(x)
    return x


def predict_masks(W, cfg, image, sparse, dense, act):
    md = "mask_decoder."
    b = sparse.shape[0]
    k = cfg["numMultimaskOutputs"] + 1
    out_tokens = torch.cat([W[md + "iou_token.weight"], W[md + "mask_tokens.weight"]], dim=0)
    tokens = torch.cat([out_tokens.unsqueeze(0).expand(b, -1, -1), sparse], dim=1)
    src = torch.repeat_interleave(image, b, dim=0) + dense
    pos = torch.repeat_interleave(dense_pe(cfg, W["prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"]), b, dim=0)
    _, c, h, w = src.shape
    hs, keys = two_way(W, cfg, src, pos, tokens)
    src = keys.transpose(1, 2).reshape(b, c, h, w)
    u = md + "output_upscaling."
    x = F.conv_transpose2d(src, W[u + "0.weight"], W[u + "0.bias"], stride=2)
    x = act(layer_norm_2d(x, W, u + "1"))
    x = act(F.conv_transpose2d(x, W[u + "3.weight"], W[u + "3.bias"], stride=2))
    hyper = torch.stack([mlp(hs[:, 1 + i, :], W, md + f"output_hypernetworks_mlps.{i}", 3) for i in range(k)], dim=1)
    bb, cc, hh, ww = x.shape
    masks = (hyper @ x.reshape(bb, cc, hh * ww)).reshape(bb, -1, hh, ww)
    iou = mlp(hs[:, 0, :], W, md + "iou_prediction_head", cfg["iouHeadDepth"])
    return masks, iou


def stability(masks, offset=1.0):
    inter = (masks > offset).sum(-1, dtype=torch.int64).sum(-1, dtype=torch.int64)
    union = (masks > -offset).sum(-1, dtype=torch.int64).sum(-1, dtype=torch.int64)
    return inter.float() / union.float()


def postprocess(masks, orig, S):
    masks = F.interpolate(masks, size=(S, S), mode="bilinear", align_corners=False)
    h, w = float(orig[0]), float(orig[1])
    scale = S / max(h, w)
    nh, nw = int(math.floor(h * scale + 0.5)), int(math.floor(w * scale + 0.5))
    masks = masks[..., :nh, :nw]
    return F.interpolate(masks, size=(int(h), int(w)), mode="bilinear", align_corners=False)


def decoder_reference(W, cfg, opts, x):
    act = lambda t: gelu(t, opts.get("gelu", "erf"))
    sparse = embed_points(x["point_coords"], x["point_labels"], W, cfg)
    dense = embed_masks(x["mask_input"], x["has_mask_input"], W, cfg, act)
    masks, iou = predict_masks(W, cfg, x["image_embeddings"], sparse, dense, act)
    if opts.get("variant") == "throughput":
        return {"iou_predictions": iou, "low_res_masks": masks}
    if opts.get("useStabilityScore"):
        iou = stability(masks)
    if opts.get("returnSingleMask"):
        n = x["point_coords"].shape[1]
        score = iou.clone()
        score[:, 0] += (n - 2.5) * 1000
        best = int(torch.argmax(score[0]))
        masks, iou = masks[:, best : best + 1], iou[:, best : best + 1]
    full = postprocess(masks, x["orig_im_size"], cfg["inputSize"])
    out = {"masks": full, "iou_predictions": iou, "low_res_masks": masks}
    if opts.get("returnExtraMetrics"):
        out["stability_scores"] = stability(full)
        out["areas"] = (full > 0).sum(-1).sum(-1)
    return out


# ---------------------------------------------------------------- image encoder

def rel_table(table, size):
    idx = torch.arange(size)[:, None] - torch.arange(size)[None, :] + (size - 1)
    return table[idx]


def vit_attention(W, p, x, heads):
    b, h, w, c = x.shape
    qkv = linear(x, W, p + ".qkv").reshape(b, h * w, 3, heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.reshape(3, b * heads, h * w, -1).unbind(0)
    hd = q.shape[-1]
    attn = (q * hd ** -0.5) @ k.transpose(-2, -1)
    rh, rw = rel_table(W[p + ".rel_pos_h"], h), rel_table(W[p + ".rel_pos_w"], w)
    rq = q.reshape(b * heads, h, w, hd)
    rel_h = torch.einsum("bhwc,hkc->bhwk", rq, rh)
    rel_w = torch.einsum("bhwc,wkc->bhwk", rq, rw)
    attn = (attn.view(b * heads, h, w, h, w) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]).view(b * heads, h * w, h * w)
    out = (attn.softmax(dim=-1) @ v).view(b, heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
    return linear(out, W, p + ".proj")


def encoder_reference(W, cfg, opts, x):
    act = lambda t: gelu(t, opts.get("gelu", "erf"))
    S = cfg["imgSize"]
    img = x["input_image"]
    if opts.get("inputForm") == "raw-hwc":
        h, w = img.shape[0], img.shape[1]
        scale = S * 1.0 / max(h, w)
        nh, nw = int(h * scale + 0.5), int(w * scale + 0.5)
        t = img.permute(2, 0, 1).unsqueeze(0)
        t = F.interpolate(t, size=(nh, nw), mode="bilinear", align_corners=False)
        mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
        std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
        img = F.pad((t - mean) / std, (0, S - nw, 0, S - nh))
    ie = "image_encoder."
    y = F.conv2d(img, W[ie + "patch_embed.proj.weight"], W[ie + "patch_embed.proj.bias"], stride=cfg["patchSize"])
    y = y.permute(0, 2, 3, 1) + W[ie + "pos_embed"]
    for i in range(cfg["depth"]):
        p = ie + f"blocks.{i}."
        shortcut = y
        z = layer_norm(y, W, p + "norm1", 1e-6)
        if i in cfg["globalAttnIndexes"]:
            z = vit_attention(W, p + "attn", z, cfg["numHeads"])
        else:
            ws = cfg["windowSize"]
            _, H, Wd, C = z.shape
            ph, pw = (ws - H % ws) % ws, (ws - Wd % ws) % ws
            z = F.pad(z, (0, 0, 0, pw, 0, ph))
            Hp, Wp = H + ph, Wd + pw
            z = z.view(1, Hp // ws, ws, Wp // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, C)
            z = vit_attention(W, p + "attn", z, cfg["numHeads"])
            z = z.view(1, Hp // ws, Wp // ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(1, Hp, Wp, C)
            z = z[:, :H, :Wd, :]
        y = shortcut + z
        y = y + linear(act(linear(layer_norm(y, W, p + "norm2", 1e-6), W, p + "mlp.lin1")), W, p + "mlp.lin2")
    y = y.permute(0, 3, 1, 2)
    y = layer_norm_2d(F.conv2d(y, W[ie + "neck.0.weight"]), W, ie + "neck.1")
    y = layer_norm_2d(F.conv2d(y, W[ie + "neck.2.weight"], padding=1), W, ie + "neck.3")
    return {"image_embeddings": y}


# ---------------------------------------------------------------- comparison

def read(d, spec):
    dtype = np.float32 if spec["dtype"] == "float32" else np.int64
    return torch.from_numpy(np.fromfile(os.path.join(d, spec["file"]), dtype=dtype).reshape(spec["shape"]))


def tolerance(case, key):
    # Tight on the tiny config's logits; the full-size decoder accumulates over 256-2048 wide products.
    if key == "areas":
        return 4  # pixels whose logit sits within float error of 0 may flip
    if key == "stability_scores" or (key == "iou_predictions" and case["options"].get("useStabilityScore")):
        return 2e-3
    return 1e-4 if case["config"].get("transformerDim", 0) <= 64 or case["kind"] == "encoder" else 5e-4


def main(d):
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    failures = 0
    for case in manifest["cases"]:
        W = load_weights(os.path.join(d, case["model"]))
        x = {k: read(d, v) for k, v in case["inputs"].items()}
        ref_fn = decoder_reference if case["kind"] == "decoder" else encoder_reference
        ref = ref_fn(W, case["config"], case["options"], x)
        for key, spec in case["outputs"].items():
            got = read(d, spec)
            want = ref[key]
            if list(got.shape) != list(want.shape):
                print(f"FAIL {case['name']}.{key}: shape {list(got.shape)} vs reference {list(want.shape)}")
                failures += 1
                continue
            diff = float((got.double() - want.double()).abs().max()) if got.numel() else 0.0
            tol = tolerance(case, key)
            status = "ok  " if diff <= tol else "FAIL"
            failures += diff > tol
            print(f"{status} {case['name']}.{key} {list(got.shape)} max|diff| {diff:.3g} (tol {tol:g})")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
