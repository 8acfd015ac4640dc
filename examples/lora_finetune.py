"""LoRA fine-tuning: pretrain an MLP on MNIST digits 0-4, then adapt it to digits 5-9.

LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", 2021) freezes each
pretrained weight W and learns a low-rank change B A (rank r, scaled by alpha / r), so only a
small fraction of the parameters train. Here the hidden Linear layers are wrapped in
`nn.LoRALinear(r=8, alpha=16)`, and the classifier gets a fresh head trained in full (as
PEFT's `modules_to_save`): the old head is confidently sure every input is a 0-4 digit, and
unlearning that through the shared features would wreck them. Adapters and head are
trained with AdamW and a linear warmup followed by linear decay (Hugging Face's
`get_linear_schedule_with_warmup`).

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
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-2, help="peak lr of the adaptation")
    parser.add_argument("--limit", type=int, default=None, help="images per task")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.limit, args.batch_size = 1, args.limit or 1500, 32
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
    loader = DataLoader(TensorDataset(*old_train), batch_size=args.batch_size, shuffle=True,
                        seed=0)
    fit(model, loss.cross_entropy, optim.AdamW(model.parameters(), lr=1e-3), loader,
        epochs=args.epochs, progress=not args.quick)
    print(f"pretrained on 0-4: accuracy {accuracy(model, *old_test):.3f} on 0-4, "
          f"{accuracy(model, *new_test):.3f} on 5-9")

    # Phase 2: LoRA adapters on the hidden layers (only lora_A / lora_B train there) and a
    # new head trained in full.
    layers = [model[i] for i in range(len(model) - 1)]
    hidden = [nn.LoRALinear(m, r=args.rank, alpha=2 * args.rank) if isinstance(m, nn.Linear)
              else m for m in layers]
    adapted = nn.Sequential(*hidden, nn.Linear(128, 10))
    nn.lora.mark_only_lora_as_trainable(adapted)
    adapted[len(adapted) - 1].requires_grad_(True)
    trainable = [p for p in adapted.parameters() if p.requires_grad]
    total = count(adapted.parameters())
    print(f"trainable parameters: {count(trainable):,} of {total:,} "
          f"({100 * count(trainable) / total:.1f}%)")

    loader = DataLoader(TensorDataset(*new_train), batch_size=args.batch_size, shuffle=True,
                        seed=1)
    optimizer = optim.AdamW(trainable, lr=args.lr, weight_decay=0.0)
    steps = args.epochs * len(loader)
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    fit(adapted, loss.cross_entropy, optimizer, loader, epochs=args.epochs,
        scheduler=scheduler, progress=not args.quick)
    result = {"trainable": count(trainable), "total": total,
              "new_accuracy": accuracy(adapted, *new_test),
              "old_accuracy": accuracy(adapted, *old_test)}
    print(f"after LoRA on 5-9: accuracy {result['new_accuracy']:.3f} on 5-9, "
          f"{result['old_accuracy']:.3f} on 0-4 (the new head only ever saw 5-9)")
    for layer in adapted.modules():  # fold B A into the frozen weights for inference
        if isinstance(layer, nn.LoRALinear):
            layer.merge()
    merged = accuracy(adapted, *new_test)
    print(f"after merge(): accuracy {merged:.3f} on 5-9 (the same network, no adapter cost)")
    result["merged_accuracy"] = merged
    return result


if __name__ == "__main__":
    main()
