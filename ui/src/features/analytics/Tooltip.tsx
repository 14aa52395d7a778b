// A hover card that follows the pointer. Fixed to the window, so a chart's
// scrolling, clipped container never cuts it off; it flips left or up near
// the window's edges.
import { useCallback, useLayoutEffect, useRef, useState, type ReactNode } from "react";

export interface Tip {
  x: number;
  y: number;
  content: ReactNode;
}

/** State for one hover card, shown at the pointer of a mouse event. */
export function useTip() {
  const [tip, setTip] = useState<Tip | null>(null);
  const show = useCallback((e: React.MouseEvent, content: ReactNode) => setTip({ x: e.clientX, y: e.clientY, content }), []);
  const hide = useCallback(() => setTip(null), []);
  return { tip, show, hide };
}

export function TipCard({ tip }: { tip: Tip | null }) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 250, h: 160 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && (el.offsetWidth !== size.w || el.offsetHeight !== size.h)) setSize({ w: el.offsetWidth, h: el.offsetHeight });
  }, [tip, size]);
  if (!tip) return null;
  const left = tip.x + 14 + size.w > window.innerWidth ? tip.x - 14 - size.w : tip.x + 14;
  const top = tip.y + 14 + size.h > window.innerHeight ? Math.max(4, tip.y - 10 - size.h) : tip.y + 14;
  return (
    <div ref={ref} className="an-tip" style={{ left, top }} data-testid="analytics-tip">
      {tip.content}
    </div>
  );
}
