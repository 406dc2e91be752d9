#!/usr/bin/python3
"""Export the model zoo: per model <out>/<name>/{model.onnx, input.npy, output.npy, meta.json}.

  /usr/bin/python3 tools/zoo/export_all.py -o zoo-out                      # CIFAR-scale + fixture members
  /usr/bin/python3 tools/zoo/export_all.py --scale all -o zoo-out          # everything (ImageNet, video too)
  /usr/bin/python3 tools/zoo/export_all.py --only resnet50,ghostnet-1.0x -o zoo-out
  /usr/bin/python3 tools/zoo/export_all.py --fixtures                      # rewrite tests/fixtures/zoo/
  /usr/bin/python3 tools/zoo/export_all.py --list

ONNX opset 13, static batch 1, BatchNormalization left unfused. Inputs are seeded (per model name); output.npy is
PyTorch's eval-mode output. A model whose output std is 0, non-finite or > 1e4 is reported as an error: random
weights must keep activations O(1) for the comparisons to mean anything.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from registry import ENTRIES, BY_NAME, ZooEntry  # noqa: E402

REPO_ROOT = os.path.dirname(common.TOOLS_DIR)
FIXTURE_DIR = os.path.join(REPO_ROOT, 'tests', 'fixtures', 'zoo')
FIXTURE_MAX_BYTES = 1_500_000


def select(args: argparse.Namespace) -> list[ZooEntry]:
    if args.only:
        names = [n for part in args.only for n in part.split(',') if n]
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            raise SystemExit(f'unknown zoo model(s): {", ".join(unknown)} (see --list)')
        return [BY_NAME[n] for n in names]
    if args.fixtures:
        return [e for e in ENTRIES if e.fixture]
    if args.scale == 'all':
        return list(ENTRIES)
    return [e for e in ENTRIES if e.scale == 'cifar' or e.fixture]


def metadata_props(entry: ZooEntry) -> dict[str, str]:
    meta = {'name': entry.name, 'paper': entry.paper, 'configuration': entry.configuration,
            'exporter': f'tessera tools/zoo/export_all.py (torch {torch.__version__})',
            'source': f'checkpoint {os.path.basename(entry.pretrained)}' if entry.pretrained
            else f'random weights (seed {entry.seed}), BN statistics calibrated on random inputs; not trained',
            'license': 'BSD-2-Clause (akamaster checkpoint)' if entry.pretrained else 'MIT (Tessera test model)'}
    if len(entry.input_shape) == 4:
        meta.update(inputSize=json.dumps(list(entry.input_shape[1:])), layout='NCHW')
    return meta


def export_entry(entry: ZooEntry, folder: str) -> dict:
    t0 = time.time()
    torch.manual_seed(entry.seed)
    model = entry.build()
    x = common.seeded_input(entry.input_shape, entry.seed)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    std = float(y.std())
    if not np.isfinite(y).all() or std == 0 or std > 1e4:
        raise RuntimeError(f'{entry.name}: output std {std} (non-finite, zero or exploding); fix the randomization')
    os.makedirs(folder, exist_ok=True)
    common.export_onnx(model, torch.from_numpy(x), os.path.join(folder, 'model.onnx'), metadata_props(entry))
    np.save(os.path.join(folder, 'input.npy'), x)
    np.save(os.path.join(folder, 'output.npy'), y)
    meta = {
        'name': entry.name, 'family': entry.family, 'paper': entry.paper, 'configuration': entry.configuration,
        'scale': entry.scale, 'fixture': entry.fixture, 'input_shape': list(entry.input_shape), 'output_shape': list(y.shape),
        'params': common.count_params(model), 'pretrained': os.path.basename(entry.pretrained) if entry.pretrained
        else None, 'seed': entry.seed, 'output_std': std, 'handles': entry.handles,
        'onnx_bytes': os.path.getsize(os.path.join(folder, 'model.onnx')), 'torch': torch.__version__,
    }
    if entry.reduced:
        meta['reduced'] = entry.reduced
    if hasattr(model, 'pruned_fraction'):
        meta['pruned_fraction'] = round(float(model.pruned_fraction), 4)
        meta['channels'] = [v for v in model.cfg if v != 'M']
    with open(os.path.join(folder, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    meta['seconds'] = round(time.time() - t0, 1)
    return meta


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('-o', '--output', default=os.path.join(REPO_ROOT, 'zoo-out'), help='output folder (default zoo-out/)')
    p.add_argument('--only', action='append', help='comma-separated model names')
    p.add_argument('--scale', choices=('cifar', 'all'), default='cifar',
                   help="cifar: CIFAR-scale models + the small CI members (default); all: every model")
    p.add_argument('--fixtures', action='store_true', help='write the CI fixture members to tests/fixtures/zoo/')
    p.add_argument('--list', action='store_true')
    args = p.parse_args(argv)
    if args.list:
        for e in ENTRIES:
            print(f'{e.name:34} {e.scale:9} {"fixture " if e.fixture else "        "}{e.family:18} {e.configuration}')
        return 0
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    root = FIXTURE_DIR if args.fixtures else args.output
    failures = 0
    for entry in select(args):
        try:
            meta = export_entry(entry, os.path.join(root, entry.name))
        except Exception as err:  # report and continue: one broken model must not hide the rest
            failures += 1
            print(f'FAIL {entry.name}: {type(err).__name__}: {err}', file=sys.stderr)
            continue
        size = meta['onnx_bytes']
        print(f'{entry.name:34} params {meta["params"]:>10,}  onnx {size / 1e6:7.2f} MB  out std {meta["output_std"]:.3g}'
              f'  {meta["seconds"]} s', flush=True)
        if args.fixtures and size > FIXTURE_MAX_BYTES:
            failures += 1
            print(f'FAIL {entry.name}: fixture model is {size} bytes (limit {FIXTURE_MAX_BYTES})', file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
