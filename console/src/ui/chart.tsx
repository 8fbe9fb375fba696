import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './chart.css';

/** One named line of a time-series chart; `values[i]` belongs to `x[i]` (null leaves a gap). */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** CSS colour; by default the next colour of a palette readable on light and dark panels. */
  color?: string;
}

/** An x range ending now (or at the newest point, if later) and `spanS` seconds long. */
function trailingWindow(spanS: number): uPlot.Range.Function {
  return (_u, _min, max) => {
    const end = Math.max(max ?? 0, Date.now() / 1000);
    return [end - spanS, end];
  };
}

/** Props shared by both chart kinds. */
interface ChartBase {
  /** Accessible name (the chart is an image to assistive technology), e.g. "CPU of amf, last hour". */
  label: string;
  /** Y axis caption, e.g. "CPU %". */
  yLabel?: string;
  /** Plot height in CSS pixels (width follows the container). */
  height?: number;
  /** Fixed y range; by default it fits the data. */
  yRange?: [number, number];
  /** Formats a y value in the legend and on the axis. */
  formatY?: (value: number) => string;
}

/** A time-series chart: `x` in epoch seconds, one line per series. */
export interface LineChartProps extends ChartBase {
  kind: 'lines';
  x: number[];
  series: ChartSeries[];
  /** Show this many seconds up to now, however few points there are (e.g. the last 15 minutes). */
  spanS?: number;
}

/** A bar chart: one bar per label (dates or names), one value each. */
export interface BarChartProps extends ChartBase {
  kind: 'bars';
  labels: string[];
  values: number[];
  /** Legend name of the bars, e.g. "Check-ins". */
  seriesLabel?: string;
  color?: string;
}

/** Either chart kind. */
export type ChartProps = LineChartProps | BarChartProps;

/** Mid-tone colours that stay readable on both the light and the dark panel. */
const PALETTE = ['#3b7bf6', '#e5484d', '#12a150', '#e0900b', '#8e4ec6', '#0e9aa7'];

function themeColors(el: Element) {
  const style = getComputedStyle(el);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return { text: read('--muted', '#5b6476'), line: read('--line', '#d9dde5') };
}

function aligned(props: ChartProps): uPlot.AlignedData {
  if (props.kind === 'bars') return [props.labels.map((_, i) => i), props.values];
  return [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData;
}

/** What forces a rebuild instead of a cheap `setData`: the kind, the series, the labels, the theme. */
function shapeKey(props: ChartProps, dark: boolean): string {
  const names = props.kind === 'bars' ? [props.seriesLabel ?? '', ...props.labels] : props.series.map((s) => `${s.label}|${s.color ?? ''}`);
  return JSON.stringify([props.kind, names, props.yLabel, props.yRange, props.height, dark]);
}

function buildOptions(props: ChartProps, width: number, el: Element): uPlot.Options {
  const { text, line } = themeColors(el);
  const formatY = props.formatY ?? ((v: number) => String(Math.round(v * 100) / 100));
  const axisFont = '12px system-ui, sans-serif';
  const yAxis: uPlot.Axis = {
    stroke: text, font: axisFont, labelFont: axisFont, label: props.yLabel, labelSize: props.yLabel ? 20 : 0,
    grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 },
    values: (_u, splits) => splits.map((v) => (v == null ? '' : formatY(v))),
    size: 50,
  };
  const scaleY: uPlot.Scale = props.yRange ? { range: props.yRange } : {};
  const base = { width, height: props.height ?? 220, cursor: { drag: { x: false, y: false } } };
  if (props.kind === 'bars') {
    const labels = props.labels;
    // One label per ~40 px: 30 day labels on a phone would overlap, so show every n-th.
    const every = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(width / 40))));
    return {
      ...base,
      scales: { x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] }, y: { ...scaleY, range: props.yRange ?? ((_u, _min, max) => [0, max > 0 ? max * 1.1 : 1]) } },
      axes: [
        {
          stroke: text, font: axisFont, grid: { show: false }, ticks: { stroke: line, width: 1 },
          splits: () => labels.map((_, i) => i).filter((i) => i % every === 0),
          values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
        },
        yAxis,
      ],
      series: [
        { label: 'Item', value: (_u, i) => (i == null ? '' : labels[i] ?? '') },
        {
          label: props.seriesLabel ?? 'Value',
          stroke: props.color ?? PALETTE[0],
          fill: `${props.color ?? PALETTE[0]}cc`,
          paths: uPlot.paths.bars!({ size: [0.7, 64] }),
          points: { show: false },
          value: (_u, v) => (v == null ? '—' : formatY(v)),
        },
      ],
    };
  }
  return {
    ...base,
    scales: { x: props.spanS ? { time: true, range: trailingWindow(props.spanS) } : { time: true }, y: scaleY },
    axes: [{ stroke: text, font: axisFont, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } }, yAxis],
    series: [
      {},
      ...props.series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? PALETTE[i % PALETTE.length],
        width: 2,
        spanGaps: false,
        points: { size: 5 },
        value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatY(v)),
      })),
    ],
  };
}

const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

/**
 * The console's one chart: a thin uPlot wrapper for time-series lines and bars. It fills its
 * container's width (ResizeObserver), is named for screen readers (`role=img` + label) and
 * carries `data-points` (the number of x values drawn) so tests and assistive tools can see
 * new samples arrive without reading the canvas.
 */
export function Chart(props: ChartProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const builtFor = useRef('');
  const latest = useRef(props);
  latest.current = props;

  // Build or update on every render; rebuild only when the chart's shape changed.
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const key = shapeKey(props, darkQuery?.matches ?? false);
    const data = aligned(props);
    if (plot.current && builtFor.current === key) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    const width = Math.max(el.clientWidth, 200);
    plot.current = new uPlot(buildOptions(props, width, el), data, el);
    builtFor.current = key;
  });

  // Follow the container's width and the colour scheme; tear down on unmount.
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      const u = plot.current;
      const width = Math.max(el.clientWidth, 200);
      if (u && Math.abs(u.width - width) > 1) u.setSize({ width, height: latest.current.height ?? 220 });
    });
    observer.observe(el);
    const onScheme = () => {
      const u = plot.current;
      if (!u) return;
      u.destroy();
      plot.current = new uPlot(buildOptions(latest.current, Math.max(el.clientWidth, 200), el), aligned(latest.current), el);
      builtFor.current = shapeKey(latest.current, darkQuery?.matches ?? false);
    };
    darkQuery?.addEventListener('change', onScheme);
    return () => {
      observer.disconnect();
      darkQuery?.removeEventListener('change', onScheme);
      plot.current?.destroy();
      plot.current = null;
      builtFor.current = '';
    };
  }, []);

  const points = props.kind === 'bars' ? props.labels.length : props.x.length;
  return <div ref={wrap} class="chart" role="img" aria-label={props.label} data-points={points} />;
}
