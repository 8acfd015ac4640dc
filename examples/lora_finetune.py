"""LoRA fine-tuning: pretrain an MLP on MNIST digits 0-4, then adapt it to digits 5-9.

LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", 2021) freezes each
pretrained weight W and learns a low-rank change B A (rank r, scaled by alpha / r), so only a
small fraction of the parameters train. Here every Linear layer is wrapped in
`nn.LoRALinear(r=8, alpha=16)` and the adapters are trained with AdamW and a linear warmup
followed by linear decay (Hugging Face's `get_linear_schedule_with_warmup`).

    python examples/lora_finetune.py             # 2 + 2 epochs on the full digit subsets
    python examples/lora_finetune.py --quick     # 1,500 images per task, for tests

MNIST is read from --data-root / $TINYGRAD_OPT_DATA; without the files the example says how
to download them (`tinygrad-opt download mnist`) and exits cleanly.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import loss, nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.datasets import load_mnist
from tinygrad_opt.optim.lr_scheduler import get_linear_schedule_with_warmup
from tinygrad_opt.train import fit


def digits(x: np.ndarray, y: np.ndarray, wanted: range, limit: int | None):
    keep = np.isin(y, list(wanted))
    x, y = x[keep], y[keep]
    return (x[:limit], y[:limit]) if limit else (x, y)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with tg.no_grad():
        logits = model(tg.Tensor(x)).numpy()
    model.train()
    return float((logits.argmax(axis=1) == y).mean())


def count(parameters) -> int:
    return int(sum(p.size for p in parameters))


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs for each phase")
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--limit", type=int, default=None, help="images per task")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.limit = 1, args.limit or 1500
    try:
        train_x, train_y = load_mnist(root=args.data_root, train=True)
        test_x, test_y = load_mnist(root=args.data_root, train=False)
    except (OSError, ValueError) as error:
        print(f"MNIST is not available ({error}).\nDownload it with "
              "`tinygrad-opt download mnist` or set TINYGRAD_OPT_DATA; skipping.")
        return None
    old_train = digits(train_x, train_y, range(0, 5), args.limit)
    new_train = digits(train_x, train_y, range(5, 10), args.limit)
    old_test = digits(test_x, test_y, range(0, 5), args.limit)
    new_test = digits(test_x, test_y, range(5, 10), args.limit)

    # Phase 1: ordinary training of the whole network on digits 0-4.
    tg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                          nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    loader = DataLoader(TensorDataset(*old_train), batch_size=128, shuffle=True, seed=0)
    fit(model, loss.cross_entropy, optim.AdamW(model.parameters(), lr=1e-3), loader,
        epochs=args.epochs, progress=not args.quick)
    print(f"pretrained on 0-4: accuracy {accuracy(model, *old_test):.3f} on 0-4, "
          f"{accuracy(model, *new_test):.3f} on 5-9")

    # Phase 2: wrap every Linear in a LoRA adapter; only lora_A / lora_B train.
    layers = [model[i] for i in range(len(model))]
    adapted = nn.Sequential(*[nn.LoRALinear(m, r=args.rank, alpha=2 * args.rank)
                              if isinstance(m, nn.Linear) else m for m in layers])
    nn.lora.mark_only_lora_as_trainable(adapted)
    trainable = [p for p in adapted.parameters() if p.requires_grad]
    total = count(adapted.parameters())
    print(f"trainable parameters: {count(trainable):,} of {total:,} "
          f"({100 * count(trainable) / total:.1f}%)")

    loader = DataLoader(TensorDataset(*new_train), batch_size=128, shuffle=True, seed=1)
    optimizer = optim.AdamW(trainable, lr=5e-3, weight_decay=0.0)
    steps = args.epochs * len(loader)
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    fit(adapted, loss.cross_entropy, optimizer, loader, epochs=args.epochs,
        scheduler=scheduler, progress=not args.quick)
    result = {"trainable": count(trainable), "total": total,
              "new_accuracy": accuracy(adapted, *new_test),
              "old_accuracy": accuracy(adapted, *old_test)}
    print(f"after LoRA on 5-9: accuracy {result['new_accuracy']:.3f} on 5-9, "
          f"{result['old_accuracy']:.3f} on 0-4 (the frozen base still holds the old task; "
          "merge() folds the adapters into the weights)")
    return result


if __name__ == "__main__":
    main()
