/** Webcam mode: a getUserMedia stream in a <video>, detected frame after frame until stopped. */
export class Camera {
  private stream: MediaStream | undefined;

  constructor(private readonly video: HTMLVideoElement) {}

  static get supported(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
  }

  get running(): boolean {
    return this.stream !== undefined;
  }

  async start(): Promise<void> {
    if (!Camera.supported) throw new Error('this browser gives no camera access (navigator.mediaDevices is missing; it needs https or localhost)');
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    this.video.srcObject = this.stream;
    await this.video.play();
    if (this.video.readyState < 2) await new Promise((resolve) => this.video.addEventListener('loadeddata', resolve, { once: true }));
  }

  stop(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.video.srcObject = null;
  }
}
