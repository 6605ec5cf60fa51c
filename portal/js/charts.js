// Charts: a tiny SVG sparkline and gauge (decorative shapes, with the numbers also in text) and
// the trend chart drawn by uPlot (loaded as vendor/uPlot.iife.min.js).
import { score, scoreBand } from "./ui.js";

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
  const step = (width - 4) / (values.length - 1);
  // Scaled to the scores shown (at least 10 points tall), so a change of a few points is visible.
  const low = Math.max(0, Math.min(...values) - 5);
  const span = Math.max(Math.min(100, Math.max(...values) + 5) - low, 10);
  const y = (v) => height - 3 - ((v - low) / span) * (height - 6);
  const d = values.map((v, i) => `${i ? "L" : "M"}${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  root.append(svg("path", { d, fill: "none", stroke: "currentColor", "stroke-width": 1.5 }));
  const last = values.length - 1;
  root.append(svg("circle", { cx: (last * step).toFixed(1), cy: y(values[last]).toFixed(1), r: 2, fill: "currentColor" }));
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
    class: `gauge-value ${scoreBand(value)?.band || ""}`,
    "stroke-dasharray": `${(c * shown) / 100} ${c}`,
    transform: `rotate(-90 ${size / 2} ${size / 2})`,
  });
  root.append(arc);
  const text = svg("text", { x: "50%", y: "54%", "text-anchor": "middle", class: "gauge-text" });
  text.textContent = score(value);
  root.append(text);
  return root;
}

// How many customers score 0-9.9, 10-19.9, ... 90-100 (`counts`, one per 10-point bucket): bars
// coloured by the band each bucket starts in, the numbers in the label for screen readers.
export function distributionChart(counts, { width = 320, height = 132 } = {}) {
  const size = 100 / counts.length;
  const ranges = counts.map((_, i) => `${i * size}–${i === counts.length - 1 ? 100 : ((i + 1) * size - 0.1).toFixed(1)}`);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "distribution", role: "img" });
  const total = counts.reduce((a, b) => a + b, 0);
  root.setAttribute("aria-label", total
    ? `Customers by score: ${counts.map((n, i) => `${ranges[i]}: ${n}`).join(", ")}`
    : "No scored customers yet");
  const top = Math.max(1, ...counts);
  const slot = width / counts.length;
  const base = height - 18; // room for the axis labels below, and the counts above each bar
  counts.forEach((n, i) => {
    const barHeight = Math.round(((base - 16) * n) / top);
    const x = i * slot + 3;
    root.append(svg("rect", { x, y: base - barHeight, width: slot - 6, height: Math.max(barHeight, n ? 2 : 0),
      class: `bar band-${scoreBand(i * size)?.band || "none"}` }));
    const count = svg("text", { x: x + (slot - 6) / 2, y: base - barHeight - 4, "text-anchor": "middle", class: "bar-count" });
    count.textContent = n ? String(n) : "";
    const tick = svg("text", { x: x + (slot - 6) / 2, y: height - 4, "text-anchor": "middle", class: "bar-tick" });
    tick.textContent = String(i * size);
    root.append(count, tick);
  });
  root.append(svg("line", { x1: 0, x2: width, y1: base + 0.5, y2: base + 0.5, class: "bar-axis" }));
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
