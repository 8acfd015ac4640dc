"""Gradient clipping on the flat gradient buffers: `clip_grad_norm_`, `clip_grad_value_`."""
