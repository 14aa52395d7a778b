// Sizes and rectangles of the canvas. Step cards have a fixed size, so layout,
// group bounds and hit-testing never wait for the DOM to be measured.

export const STEP_W = 200;
export const STEP_H = 80;
/** Inner padding of a group container: its header sits in `top`. */
export const GROUP_PAD = { top: 62, right: 20, bottom: 20, left: 20 } as const;
export const GROUP_MIN = { width: 280, height: 140 } as const;

export interface Pos {
  x: number;
  y: number;
  width?: number;
  height?: number;
}
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

export function contains(r: Rect, x: number, y: number): boolean {
  return x >= r.x && x <= r.x + r.width && y >= r.y && y <= r.y + r.height;
}

export function round(n: number): number {
  return Math.round(n);
}
