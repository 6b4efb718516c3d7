"""ResNet-50 (v1.5, written out here so that torchvision is not needed) trained on synthetic ImageNet-shaped data:
samples/s of full training steps (forward, backward, SGD update), timed with CUDA events after synchronisation.

Checked first: on a small fixed batch at 64×64 the loss must fall over a few steps (the model learns), so a broken
backend cannot produce a figure. `--amp` trains in bf16 autocast on CUDA (tensor cores), fp32 otherwise.
"""
import argparse

import torch
from torch import nn

import fedbench_torch as fb


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )
        self.skip = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


def resnet50(classes=1000):
    layers, cin = [], 64
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for i in range(blocks):
            layers.append(Bottleneck(cin, width, stride if i == 0 else 1))  # v1.5: stride on the 3×3
            cin = width * 4
    return nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1),
        *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes),
    )


p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=64)
p.add_argument("--size", type=int, default=224)
p.add_argument("--steps", type=int, default=10, help="training steps per timed repetition")
p.add_argument("--reps", type=int, default=5)
p.add_argument("--amp", action="store_true")
p.add_argument("--device", default="auto")
args = p.parse_args()

dev = fb.device(args.device)
torch.manual_seed(42)
model = resnet50().to(dev).train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
use_amp = args.amp and dev.type == "cuda"


def step(x, y):
    opt.zero_grad(set_to_none=True)
    with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=use_amp):
        loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss


# The model must learn: a fixed small batch, the loss after a few steps below the first one (at 32×32, a few
# seconds on a CPU).
x = torch.randn(8, 3, 32, 32, device=dev)
y = torch.randint(0, 10, (8,), device=dev)
losses = [step(x, y).item() for _ in range(6)]
if not (losses[-1] < losses[0]) or not all(map(lambda v: v == v, losses)):
    raise SystemExit(f"wrong results: the training loss did not fall on {fb.describe(dev)}: {losses}")
model.load_state_dict(resnet50().to(dev).state_dict())  # fresh weights for the timed part
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

x = torch.randn(args.batch, 3, args.size, args.size, device=dev)
y = torch.randint(0, 1000, (args.batch,), device=dev)
for _ in range(3):  # warm-up: cuDNN algorithm choice, allocator
    step(x, y)
fb.synchronize(dev)
fb.begin()
for _ in range(args.reps):
    with fb.Timer(dev) as t:
        for _ in range(args.steps):
            step(x, y)
    fb.figure(dev, samples_per_s=args.batch * args.steps / t.seconds, amp=use_amp)
fb.end()
