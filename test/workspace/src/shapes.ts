// A small module to try Endless on: put the cursor at the end of a line and wait for ghost text.

export interface Point {
  x: number;
  y: number;
}

export function distance(a: Point, b: Point): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return Math.sqrt(dx * dx + dy * dy);
}

export function centroid(points: Point[]): Point {
  if (points.length === 0) {
    throw new Error('centroid of no points');
  }
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}
