#!/usr/bin/python3
"""Write docs/zoo.md from the registry: one row per model (paper, configuration, params, what the runtime must handle).

  /usr/bin/python3 tools/zoo/make_docs.py            # parameter counts from the PyTorch modules themselves
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from registry import ENTRIES, ZooEntry  # noqa: E402

DOC = os.path.join(os.path.dirname(common.TOOLS_DIR), 'docs', 'zoo.md')

INTRO = """# Model zoo

Every architecture family of the model-zoo issue (except XNOR-Net/BWN, which the binary-network work covers) as a
PyTorch definition in `tools/zoo/` (own code written from the papers, or `torchvision.models`), exported to ONNX
(opset 13, static batch 1, BatchNormalization left unfused so Tessera's passes fold it) and converted to `.tessera`.
Weights are seeded random with BatchNorm statistics calibrated on random inputs and then jittered (so BN folding is
exercised and activations stay O(1)); ResNet-20/56 use the pretrained akamaster CIFAR-10 checkpoints.

```bash
npm run zoo                          # CIFAR-scale + CI members: export, convert (f32, f16), CPU check table
npm run zoo -- --scale all           # also ImageNet and video models (slow on the CPU reference)
npm run zoo -- --only resnet50       # one model
/usr/bin/python3 tools/zoo/export_all.py --fixtures   # rewrite the CI fixtures in tests/fixtures/zoo/
/usr/bin/python3 tools/zoo/make_docs.py               # rewrite this file
```

Output per model in `zoo-out/<name>/`: `model.onnx`, `input.npy` (seeded), `output.npy` (PyTorch), `meta.json`,
`model.f32.tessera`, `model.f16.tessera`; `zoo-out/cpu-check.json` holds the CPU table. CI runs the rows marked
*CI* (reduced configurations, committed under `tests/fixtures/zoo/`, see its README) in `tests/zoo/cpu.test.ts`;
the ResNet family's CI member is the pretrained ResNet-20 of `tests/fixtures/resnet20/`.
Interpretations where a paper leaves freedom (Min-Net units, MGIC V-cycle, G-Ghost mix branch, ThreshNet links,
RKCNN tableaus) are documented in the module docstrings of `tools/zoo/nets_*.py`.

| model | family | paper | configuration | input | params | runtime must handle |
|---|---|---|---|---|---:|---|
"""


def params_of(entry: ZooEntry) -> int:
    model = entry.custom_build(entry.seed) if entry.custom_build else entry.constructor()
    return common.count_params(model)


def main() -> int:
    rows = []
    for e in ENTRIES:
        shape = 'x'.join(str(d) for d in e.input_shape[1:])
        tag = ' (CI; reduced: ' + e.reduced + ')' if e.fixture and e.reduced else (' (CI)' if e.fixture else '')
        source = f'; pretrained: {os.path.basename(e.pretrained)}' if e.pretrained else ''
        rows.append(f'| `{e.name}`{tag} | {e.family} | {e.paper} | {e.configuration}{source} | {shape} | '
                    f'{params_of(e):,} | {e.handles} |')
    with open(DOC, 'w', encoding='utf-8') as f:
        f.write(INTRO + '\n'.join(rows) + '\n')
    print(f'wrote {DOC} ({len(rows)} models)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
