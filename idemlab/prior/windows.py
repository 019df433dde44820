"""Self-attention in windows: a prior trained on small crops applied to a large canvas in linear time.

A ``UNet2DModel``'s attention layers attend over every position of their feature map. At the
training size that is a few dozen tokens; on a canvas 16 times wider it is 256 times as many
tokens and 65,536 times the work — and the network never saw such long-range attention in
training. ``use_windowed_attention`` makes each attention layer attend within non-overlapping
windows of the size it had in training (the feature map of a ``sample_size`` input), padding the
outer windows and masking the padding out. At or below the training size the result is the same
as the library's own attention; above it the cost grows with the pixels.

Windows that stay put for a whole reverse diffusion leave seams: each window settles its own
colour and texture, and the sample becomes a patchwork of ``sample_size`` squares. So the sampler
shifts the grid by half a window at every other step (``shift_windows``, as Swin Transformers
alternate their windows between layers, Liu et al. 2021): every line of one grid runs through the
middle of the other's windows, and the two halves of every window talk to each other.
Book: Part II, chapter "The idempotent perceptual decoder".
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel
from diffusers.models.attention_processor import Attention


class WindowedAttention:
    """Return-type of the processors ``use_windowed_attention`` installs: self-attention of a 4-D
    feature map within ``window``×``window`` tiles."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.shifted = False  # set by ``shift_windows``: the grid moved by half a window

    def _tiles(self, t: torch.Tensor) -> torch.Tensor:
        b, h, w, c = t.shape
        s = self.window
        return t.reshape(b, h // s, s, w // s, s, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, s * s, c)

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states=None,
                 attention_mask=None, temb=None, *args, **kwargs) -> torch.Tensor:
        if hidden_states.ndim != 4 or encoder_hidden_states is not None or attention_mask is not None:
            raise ValueError("windowed attention handles self-attention over 4-D feature maps only")
        residual = hidden_states
        b, c, h, w = hidden_states.shape
        x = attn.group_norm(hidden_states) if attn.group_norm is not None else hidden_states
        x = x.permute(0, 2, 3, 1)
        s = self.window
        # the grid shifts only along a side longer than one window: at the training size it is one window
        top, left = (s // 2 if self.shifted and n > s else 0 for n in (h, w))
        pad = (0, 0, left, -(w + left) % s, top, -(h + top) % s)
        q, k, v = (F.pad(layer(x), pad) for layer in (attn.to_q, attn.to_k, attn.to_v))
        valid = F.pad(torch.ones(b, h, w, 1, dtype=torch.bool, device=x.device), pad)
        heads = attn.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            t = self._tiles(t)
            return t.reshape(t.shape[0], t.shape[1], heads, -1).transpose(1, 2)

        mask = self._tiles(valid).reshape(-1, 1, 1, s * s)
        out = F.scaled_dot_product_attention(split(q), split(k), split(v), attn_mask=mask)
        hp, wp = top + h + pad[5], left + w + pad[3]
        out = out.transpose(1, 2).reshape(b, hp // s, wp // s, s, s, -1).permute(0, 1, 3, 2, 4, 5)
        out = out.reshape(b, hp, wp, -1)[:, top: top + h, left: left + w]
        out = attn.to_out[1](attn.to_out[0](out)).permute(0, 3, 1, 2)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor


def _attention_layers(block) -> list[Attention]:
    return [layer for layer in (getattr(block, "attentions", None) or []) if layer is not None]


def use_windowed_attention(unet: UNet2DModel) -> UNet2DModel:
    """Return the network with each attention layer windowed at the size of its training feature map."""
    size = unet.config.sample_size
    size = size if isinstance(size, int) else min(size)
    deepest = len(unet.down_blocks) - 1
    levels = [(block, i) for i, block in enumerate(unet.down_blocks)]
    levels += [(unet.mid_block, deepest)] + [(block, deepest - j) for j, block in enumerate(unet.up_blocks)]
    for block, level in levels:
        for layer in _attention_layers(block):
            layer.set_processor(WindowedAttention(max(1, size >> level)))
    return unet


def shift_windows(unet: UNet2DModel, step: int) -> None:
    """Place the attention windows for a step of reverse diffusion: the training grid at even
    steps, shifted by half a window down and right at odd ones (no-op without windowed attention)."""
    for module in unet.modules():
        if isinstance(module, Attention) and isinstance(module.processor, WindowedAttention):
            module.processor.shifted = step % 2 == 1
