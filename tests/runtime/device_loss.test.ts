/**
 * Device loss (Chromium, SwiftShader): `device.destroy()` simulates a loss. With onDeviceLost 'recover' (default) the
 * session rebuilds on a new device and every run — including runs in flight at the loss — returns the same results
 * as before; with 'reject', and always on a caller-provided device, runs reject with WebGPUDeviceError (kind 'lost').
 * In every case each promise settles (a 20 s watchdog in the page reports 'pending' otherwise).
 */
import { describe, expect, it } from 'vitest';
import { useReliabilityPage } from './reliability_page.js';

const rel = useReliabilityPage();

describe('device loss', () => {
  it("'recover' (default): runs in flight and later runs complete with the same results on a new device", async () => {
    const r = await rel('deviceLoss', 'recover', 6);
    console.log('recover:', JSON.stringify(r));
    expect(r.cpuClose).toBe(true);
    for (const o of r.inFlight) expect(o).toEqual({ state: 'fulfilled', same: true });
    expect(r.after).toEqual({ state: 'fulfilled', same: true });
    expect(r.afterTwice).toEqual({ state: 'fulfilled', same: true });
    expect(r.recoveries).toBe(1);
    expect(r.oldLost).toBe(true);
    expect(r.newDevice).toBe(true);
    expect(r.oldLiveAfterRelease).toBe(0);
    expect(r.newLiveWhileOpen).toBeGreaterThan(0);
    expect(r.newLiveAfterRelease).toBe(0);
  });

  it("'reject': every run settles; in-flight runs either finished or rejected with WebGPUDeviceError|lost, later runs reject", async () => {
    const r = await rel('deviceLoss', 'reject', 6);
    console.log('reject:', JSON.stringify(r));
    for (const o of r.inFlight) {
      expect(o.state).not.toBe('pending');
      if (o.state === 'fulfilled') expect(o.same).toBe(true);
      else if (o.state === 'rejected') expect(o.error).toMatch(/^WebGPUDeviceError\|lost: /);
    }
    expect(r.after).toMatchObject({ state: 'rejected' });
    expect(r.after.state === 'rejected' && r.after.error).toMatch(/^WebGPUDeviceError\|lost: .*onDeviceLost is 'reject'/);
    expect(r.afterTwice.state).toBe('rejected');
    expect(r.recoveries).toBe(0);
    // release() still frees the dead device's buffers in the tracker (nothing counted as live).
    expect(r.oldLiveNow).toBe(0);
  });

  it('caller-provided device: loss is a typed error even with onDeviceLost recover; nothing stays pending', async () => {
    const r = await rel('callerDeviceLoss');
    console.log('caller device:', JSON.stringify(r));
    for (const o of r.inFlight) {
      expect(o.state).not.toBe('pending');
      if (o.state === 'rejected') expect(o.error).toMatch(/^WebGPUDeviceError\|lost: /);
    }
    expect(r.after.state).toBe('rejected');
    expect(r.after.state === 'rejected' && r.after.error).toMatch(/^WebGPUDeviceError\|lost: .*caller-provided device/);
    expect(r.recoveries).toBe(0);
  });

  it('two sessions on the shared device recover onto one new device', async () => {
    const r = await rel('twoSessionsRecover');
    expect(r.same).toBe(true);
    expect(r.shared).toBe(true);
    expect(r.recoveries).toEqual([1, 1]);
    expect(r.liveAfter).toBe(0);
  });
});
