"""Real and generated datasets (`tinygrad_opt.datasets`)."""
