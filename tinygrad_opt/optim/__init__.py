"""Optimizers (`tinygrad_opt.optim`)."""
