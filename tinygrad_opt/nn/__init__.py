"""Neural-network layers (`tinygrad_opt.nn`)."""
