/** Webcam input: start/stop the camera, classify one frame or every frame ("live"). */

export interface Webcam {
  stop(): void;
  readonly active: boolean;
}

export async function startWebcam(video: HTMLVideoElement): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives pages no camera access (navigator.mediaDevices is missing; it needs https or localhost)');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  if (video.readyState < 2) await new Promise((r) => video.addEventListener('loadeddata', r, { once: true }));
  return stream;
}

export function stopWebcam(video: HTMLVideoElement, stream: MediaStream | undefined): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
  video.srcObject = null;
  video.hidden = true;
}
