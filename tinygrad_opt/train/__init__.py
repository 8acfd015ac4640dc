"""The training loop, callbacks and LR finder (`tinygrad_opt.train`)."""
