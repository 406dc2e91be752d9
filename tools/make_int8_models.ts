/**
 * The demo's int8 offers: `npm run models:int8` converts each model of INT8_OF (models/ID.tessera) with
 * `tessera convert --int8` into models/ID-int8.tessera and writes its models/index.json entry right after the
 * model's own (size, SHA-256, `weights: "int8"`, `int8Of: ID`; title, preprocessing, provenance from the model's
 * entry). Run again after tools/make_default_models.ts rebuilt a model (it does so itself at the end). Only models
 * whose int8 accuracy holds are listed: ResNet-20 91.69 % int8 vs 91.73 % on the CIFAR-10 test set (docs/format.md).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INT8_OF = ['resnet20-cifar10'];

type Entry = Record<string, unknown> & { id: string; file: string; title: string };

const manifestPath = join('models', 'index.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: Entry[] };
let models = manifest.models.filter((e) => !INT8_OF.some((id) => e.id === `${id}-int8`));
for (const id of INT8_OF) {
  const base = models.find((e) => e.id === id);
  if (!base) throw new Error(`${manifestPath} has no entry '${id}' to offer in int8`);
  const file = `${id}-int8.tessera`;
  execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'convert', join('models', base.file), '--int8', '-o', join('models', file)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const bytes = readFileSync(join('models', file));
  const entry: Entry = {
    id: `${id}-int8`,
    title: `${base.title}, int8 weights`,
    file,
    dataset: base['dataset'],
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    weights: 'int8',
    binaryLayers: base['binaryLayers'],
    preprocessing: base['preprocessing'],
    source: `${String(base['source'])}, converted from ${base.file} with tessera convert --int8`,
    license: base['license'],
    int8Of: id,
  };
  const at = models.indexOf(base) + 1;
  models = [...models.slice(0, at), entry, ...models.slice(at)];
  console.log(`${file}: ${bytes.length} bytes (${base.file}: ${String(base['bytes'])})`);
}
writeFileSync(manifestPath, JSON.stringify({ models }, null, 1) + '\n');
