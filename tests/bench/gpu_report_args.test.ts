/** `npm run gpu-report` options (tools/gpu_report_args.ts) and the pack's run script (tools/gpu_report_pack.ts). */
import { describe, expect, it } from 'vitest';
import { GpuReportArgsError, REPORT_BENCH_MODELS, SECTIONS, parseGpuReportArgs } from '../../tools/gpu_report_args.js';
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
