// Heat maps as the viewer overlays them: the model's 0..255 map through a colour ramp,
// transparent where the model saw nothing, so the image stays readable underneath.

/** Colour stops from nothing (0) to the strongest response (1); also the colour bar. */
export const HEAT_STOPS: [number, [number, number, number]][] = [
  [0, [0, 0, 160]],
  [0.35, [0, 180, 255]],
  [0.6, [255, 230, 0]],
  [1, [230, 20, 0]],
];

function ramp(v: number): [number, number, number] {
  for (let i = 1; i < HEAT_STOPS.length; i++) {
    const [to, high] = HEAT_STOPS[i];
    const [from, low] = HEAT_STOPS[i - 1];
    if (v <= to) {
      const t = (v - from) / (to - from);
      return [0, 1, 2].map((c) => Math.round(low[c] + (high[c] - low[c]) * t)) as [number, number, number];
    }
  }
  return HEAT_STOPS[HEAT_STOPS.length - 1][1];
}

/** CSS for the colour bar beside the opacity slider. */
export const HEAT_GRADIENT = `linear-gradient(to right, ${HEAT_STOPS.map(
  ([at, [r, g, b]]) => `rgb(${r} ${g} ${b}) ${at * 100}%`,
).join(", ")})`;

/** The stored PNG as a coloured, partly transparent canvas at the model's size. */
export async function heatCanvas(png: Blob): Promise<HTMLCanvasElement> {
  const bitmap = await createImageBitmap(png);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const data = pixels.data;
  for (let i = 0; i < data.length; i += 4) {
    const v = data[i] / 255;
    const [r, g, b] = ramp(v);
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = Math.round(Math.min(1, v * 1.5) * 255);
  }
  ctx.putImageData(pixels, 0, 0);
  return canvas;
}
