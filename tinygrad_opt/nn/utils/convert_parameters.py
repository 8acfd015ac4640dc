"""torch.nn.utils.convert_parameters spelling of `parameters_to_vector` and
`vector_to_parameters` (the same objects as in `nn.utils`)."""

from ..parameter_vector import parameters_to_vector, vector_to_parameters  # noqa: F401
