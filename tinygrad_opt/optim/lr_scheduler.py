"""Learning-rate schedulers with PyTorch semantics (`tinygrad_opt.optim.lr_scheduler`)."""
