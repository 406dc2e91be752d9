/** `npm run gpu-report` options (tools/gpu_report_args.ts) and the pack's run script (tools/gpu_report_pack.ts). */
import { describe, expect, it } from 'vitest';
import { GpuReportArgsError, REPORT_BENCH_MODELS, SECTIONS, parseGpuReportArgs, settleSpeed } from '../../tools/gpu_report_args.js';
import { RUN_SH } from '../../tools/gpu_report_pack.js';

describe('gpu-report arguments', () => {
  it('defaults: every section, the five bench models, ResNet-50 tuned and profiled', () => {
    const a = parseGpuReportArgs([]);
    expect(a.sections).toEqual([...SECTIONS]);
    expect(a.models).toEqual(REPORT_BENCH_MODELS);
    expect(a.models).toEqual(['resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121']);
    expect(a).toMatchObject({ tuneModels: ['resnet50'], rooflineModels: ['resnet50'], reps: 10 });
    expect(a.pack).toBeUndefined();
  });

  it('speed: auto until the adapter is known, quick on a software adapter, full on a GPU; --full / --quick win', () => {
    const auto = parseGpuReportArgs([]);
    expect(auto).toMatchObject({ speed: 'auto', reps: 10, maxSeconds: 30 });
    expect(settleSpeed(auto, 'software')).toBe(true);
    expect(auto).toMatchObject({ speed: 'quick', reps: 1, maxSeconds: 5, jobTimeoutSeconds: 150, compare: ['mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0'] });
    const gpu = parseGpuReportArgs([]);
    expect(settleSpeed(gpu, 'nvidia')).toBe(false);
    expect(gpu).toMatchObject({ speed: 'full', reps: 10, maxSeconds: 30, jobTimeoutSeconds: 600 });
    const full = parseGpuReportArgs(['--full']);
    expect(settleSpeed(full, 'software')).toBe(false);
    expect(full).toMatchObject({ speed: 'full', reps: 10 });
    const reps = parseGpuReportArgs(['--reps', '3']);
    settleSpeed(reps, 'software');
    expect(reps.reps).toBe(3);
    expect(() => parseGpuReportArgs(['--quick', '--full'])).toThrow(/exclude each other/);
  });

  it('--quick means one run per job unless --reps says otherwise; --only keeps the section order', () => {
    expect(parseGpuReportArgs(['--quick'])).toMatchObject({ reps: 1, maxSeconds: 5, jobTimeoutSeconds: 150, compare: ['mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0'] });
    expect(parseGpuReportArgs([]).compare).toBeUndefined(); // every bench model against ORT-web and TF.js
    expect(parseGpuReportArgs(['--quick', '--compare', 'resnet50']).compare).toEqual(['resnet50']);
    expect(parseGpuReportArgs(['--reps', '3', '--quick']).reps).toBe(3);
    expect(parseGpuReportArgs(['--only', 'bench,tuning']).sections).toEqual(['tuning', 'bench']);
    expect(parseGpuReportArgs(['--pack', '.gpu-pack']).pack).toBe('.gpu-pack');
  });

  it('rejects what it does not know, naming it', () => {
    expect(() => parseGpuReportArgs(['--only', 'bogus'])).toThrow(/unknown section 'bogus'/);
    expect(() => parseGpuReportArgs(['--models', 'Res Net'])).toThrow(GpuReportArgsError);
    expect(() => parseGpuReportArgs(['--reps', '0'])).toThrow(/positive integer/);
    expect(() => parseGpuReportArgs(['--reps'])).toThrow(/needs a value/);
    expect(() => parseGpuReportArgs(['--frobnicate'])).toThrow(/unknown argument '--frobnicate'/);
  });

  it("the pack's run script unpacks, finds Vulkan, and runs the bundled report with its bundled jobs", () => {
    expect(RUN_SH).toContain('xz -dc');
    expect(RUN_SH).toContain('tar -xJf');
    expect(RUN_SH).toContain('dpkg -x');
    expect(RUN_SH).toContain('TESSERA_NODE_JOB="$P/node_job.mjs"');
    expect(RUN_SH).toContain('TESSERA_BENCH_RUN="$P/run.mjs"');
    expect(RUN_SH).toContain('exec "$P/node" "$P/gpu_report.mjs" "$@"');
  });
});
