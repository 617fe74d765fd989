// The timeline: expected number of nodes disrupted within the horizon, per
// risk type, over model time (one point per projection summary, the last
// 720 of each risk type as the snapshot keeps them), with the 90% interval
// as a band. Under the wall clock a summary sits at the time it was
// computed; under a manual clock (a replay, the demo) at its model time, so
// an archive replayed in minutes spreads over the years it covers; several
// projections at one model time show the last (store.js, timelineTime).
// uPlot draws it on a canvas.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { timelineTime } from './store.js';

const PALETTE = ['#b2182b', '#2166ac', '#1b7837', '#762a83', '#e08214', '#4d4d4d'];

export class Timeline {
  constructor(element, state) {
    this.element = element;
    this.state = state;
    this.plot = null;
    this.types = '';
    this.legend = document.getElementById('timeline-legend');
    new ResizeObserver(() => this.resize()).observe(element);
  }

  size() {
    return { width: Math.max(200, this.element.clientWidth), height: Math.max(120, this.element.clientHeight - 30) };
  }

  resize() {
    if (this.plot) this.plot.setSize(this.size());
  }

  // Columns aligned on the union of the summaries' times.
  data(types) {
    const step = this.state.stepSeconds();
    const x = (s) => timelineTime(s, step) / 1000;
    const times = new Set();
    for (const t of types) for (const s of this.state.history.get(t) || []) times.add(x(s));
    const xs = [...times].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const cols = [xs];
    for (const t of types) {
      const mean = new Array(xs.length).fill(null);
      const lo = new Array(xs.length).fill(null);
      const hi = new Array(xs.length).fill(null);
      for (const s of this.state.history.get(t) || []) {
        const i = at.get(x(s)); // later summaries at the same time win
        mean[i] = Number(s.expectedDisrupted || 0);
        lo[i] = Number(s.disruptedP05 || 0);
        hi[i] = Number(s.disruptedP95 || 0);
      }
      cols.push(mean, lo, hi);
    }
    return cols;
  }

  update(dirty) {
    if (!dirty.all && !dirty.summaries) return;
    const types = [...this.state.history.keys()].sort();
    const data = this.data(types);
    if (this.plot && types.join(',') === this.types) {
      this.plot.setData(data);
      return;
    }
    this.types = types.join(',');
    if (this.plot) this.plot.destroy();
    this.legend.replaceChildren(
      ...types.map((t, k) => {
        const item = document.createElement('span');
        item.className = 'legend-item';
        item.innerHTML = `<span class="swatch" style="background:${PALETTE[k % PALETTE.length]}"></span>`;
        item.append(t);
        return item;
      }),
    );
    const series = [{}];
    const bands = [];
    types.forEach((t, k) => {
      const color = PALETTE[k % PALETTE.length];
      const base = 1 + 3 * k;
      series.push({ label: `${t} expected`, stroke: color, width: 2, spanGaps: true, points: { size: 4 } });
      series.push({ label: `${t} 5%`, stroke: color, width: 0, spanGaps: true, points: { show: false } });
      series.push({ label: `${t} 95%`, stroke: color, width: 0, spanGaps: true, points: { show: false } });
      bands.push({ series: [base + 2, base + 1], fill: `${color}22` });
    });
    this.plot = new uPlot(
      {
        ...this.size(),
        series,
        bands,
        legend: { show: false },
        // One point in time (just after a start) still gets a readable axis.
        scales: { x: { time: true, range: (u, min, max) => (min === max ? [min - 300, max + 300] : [min, max]) } },
        axes: [{}, { label: 'nodes', size: 50 }],
        cursor: { drag: { x: true, y: false } },
      },
      data,
      this.element,
    );
  }
}
