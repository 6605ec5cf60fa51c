// Charts: a tiny SVG sparkline and gauge (decorative shapes, with the numbers also in text) and
// the trend chart drawn by uPlot (loaded as vendor/uPlot.iife.min.js).
import { score } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function sparkline(points, { width = 96, height = 24 } = {}) {
  const values = points.filter((p) => p !== null && p !== undefined);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img" });
  const label = values.length ? `Posture score trend: ${values.map(score).join(", ")}` : "No trend yet";
  root.setAttribute("aria-label", label);
  if (values.length < 2) return root;
  const step = width / (values.length - 1);
  const y = (v) => height - 2 - (v / 100) * (height - 4);
  const d = values.map((v, i) => `${i ? "L" : "M"}${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  root.append(svg("path", { d, fill: "none", stroke: "currentColor", "stroke-width": 1.5 }));
  return root;
}

export function gauge(value, { size = 140 } = {}) {
  const r = size / 2 - 10;
  const c = 2 * Math.PI * r;
  const shown = value === null || value === undefined ? 0 : Math.max(0, Math.min(100, value));
  const root = svg("svg", { width: size, height: size, viewBox: `0 0 ${size} ${size}`, class: "gauge", role: "img" });
  root.setAttribute("aria-label", value === null || value === undefined ? "No posture score yet" : `Posture score ${score(value)} of 100`);
  const centre = { cx: size / 2, cy: size / 2, r, fill: "none", "stroke-width": 12 };
  root.append(svg("circle", { ...centre, class: "gauge-track" }));
  const arc = svg("circle", {
    ...centre,
    class: `gauge-value ${shown >= 80 ? "good" : shown >= 50 ? "fair" : "poor"}`,
    "stroke-dasharray": `${(c * shown) / 100} ${c}`,
    transform: `rotate(-90 ${size / 2} ${size / 2})`,
  });
  root.append(arc);
  const text = svg("text", { x: "50%", y: "54%", "text-anchor": "middle", class: "gauge-text" });
  text.textContent = score(value);
  root.append(text);
  return root;
}

// The score over the last scans. uPlot draws on a canvas, so a text summary goes alongside.
export function trendChart(container, trend) {
  const points = trend.filter((p) => p.score !== null && p.score !== undefined);
  if (points.length < 2 || !window.uPlot) {
    container.textContent = points.length ? "One scan so far: the trend appears after the next." : "No scans yet.";
    return null;
  }
  const xs = points.map((p) => new Date(p.at).getTime() / 1000);
  const ys = points.map((p) => p.score);
  const width = Math.max(280, Math.min(container.clientWidth || 560, 720));
  return new window.uPlot(
    {
      width,
      height: 200,
      scales: { y: { range: [0, 100] } },
      legend: { show: false },
      series: [{}, { label: "Posture score", stroke: "#1f5fbf", width: 2, points: { show: true } }],
    },
    [xs, ys],
    container,
  );
}
