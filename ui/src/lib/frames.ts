// Frames as the engine sends them (see crates/engine/src/frame_wire.rs), and their
// painting: greyscale is windowed here, through a lookup table, with no round trip.

export interface Window {
  center: number;
  width: number;
}

export interface GrayFrame {
  kind: "gray";
  width: number;
  height: number;
  stored: Uint16Array;
  slope: number;
  intercept: number;
  invert: boolean;
  /** The window the file asks for, or one covering the frame's whole range. */
  window: Window;
  range: { min: number; max: number };
}

export interface RgbaFrame {
  kind: "rgba";
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export type Frame = GrayFrame | RgbaFrame;

const HEADER = 32;

export function parseFrame(buffer: ArrayBuffer): Frame {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "SRF1") throw new Error("not a SecondRead frame");
  const width = view.getUint32(4, true);
  const height = view.getUint32(8, true);
  const kind = view.getUint8(12);
  if (kind === 1) {
    return { kind: "rgba", width, height, rgba: new Uint8ClampedArray(buffer, HEADER, width * height * 4) };
  }
  const invert = view.getUint8(13) === 1;
  const hasWindow = view.getUint8(14) === 1;
  const slope = view.getFloat32(16, true);
  const intercept = view.getFloat32(20, true);
  const stored = new Uint16Array(buffer.slice(HEADER, HEADER + width * height * 2));
  let lo = 65535;
  let hi = 0;
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = { min: lo * slope + intercept, max: hi * slope + intercept };
  const window = hasWindow
    ? { center: view.getFloat32(24, true), width: view.getFloat32(28, true) }
    : { center: (range.min + range.max) / 2, width: Math.max(1, range.max - range.min) };
  return { kind: "gray", width, height, stored, slope, intercept, invert, window, range };
}

/** Paints a frame into `target` (width × height × 4), windowing greyscale. */
export function paint(frame: Frame, target: ImageData, window: Window, invert: boolean): void {
  const out = new Uint32Array(target.data.buffer);
  if (frame.kind === "rgba") {
    target.data.set(frame.rgba);
    return;
  }
  // One table entry per stored value: the window costs one lookup per pixel.
  const lut = new Uint32Array(65536);
  const low = window.center - window.width / 2;
  const scale = 255 / Math.max(window.width, 1e-6);
  const flip = invert !== frame.invert;
  for (let s = 0; s < 65536; s++) {
    let g = ((s * frame.slope + frame.intercept - low) * scale) | 0;
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    if (flip) g = 255 - g;
    lut[s] = 0xff000000 | (g << 16) | (g << 8) | g;
  }
  const stored = frame.stored;
  for (let i = 0; i < stored.length; i++) out[i] = lut[stored[i]];
}

/** Window presets for CT in Hounsfield units, and the file's own. */
export const PRESETS: { name: string; window: Window | null }[] = [
  { name: "Default", window: null },
  { name: "Soft tissue", window: { center: 40, width: 400 } },
  { name: "Lung", window: { center: -600, width: 1500 } },
  { name: "Bone", window: { center: 400, width: 1800 } },
  { name: "Brain", window: { center: 40, width: 80 } },
];
