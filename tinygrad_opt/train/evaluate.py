"""`evaluate`: mean loss and accuracy of a model over a loader, in eval mode without a graph."""

from __future__ import annotations

from ..grad_mode import no_grad
from .batch import batch_size, count_correct, loss_value, split_batch


def _modules(model) -> list:
    modules = getattr(model, "modules", None)
    return list(modules()) if callable(modules) else [model]


def evaluate(model, loader, loss_fn) -> dict[str, float]:
    """Return `{"loss": ..., "accuracy": ...}` over every batch of `loader`.

    The loss is the sample-weighted mean of `loss_fn` over batches (so a short last batch
    counts for what it holds; `loss_fn` must average over its batch, reduction='mean').
    `accuracy` (a fraction in [0, 1]) is present for classification outputs (see
    `batch.count_correct`). Runs under `no_grad()` with the model in eval mode (dropout
    off, batch-norm running statistics used) and puts every submodule back in the mode it
    was in, even if an error interrupts it.
    """
    modes = [(module, getattr(module, "training", None)) for module in _modules(model)]
    if callable(getattr(model, "eval", None)):
        model.eval()
    total_loss = 0.0
    samples = 0
    correct = 0
    labelled = 0
    try:
        with no_grad():
            for batch in loader:
                inputs, target = split_batch(batch)
                output = model(*inputs)
                count = batch_size(target)
                total_loss += loss_value(loss_fn(output, target), "evaluate") * count
                samples += count
                batch_correct = count_correct(output, target)
                if batch_correct is not None:
                    correct += batch_correct
                    labelled += count
    finally:
        for module, training in modes:
            if training is not None:
                module.training = training
    if samples == 0:
        raise ValueError("evaluate: the loader yielded no batches; expected at least one")
    result = {"loss": total_loss / samples}
    if labelled:
        result["accuracy"] = correct / labelled
    return result
