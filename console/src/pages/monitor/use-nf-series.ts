import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchSeries, type SeriesPoint } from '../../api/monitor.js';

/** Chart columns for one NF: x in epoch seconds, then each line's values (null where a field had no sample). */
export interface NfSeries {
  x: number[];
  cpuAvg: (number | null)[];
  cpuMax: (number | null)[];
  memAvg: (number | null)[];
  memMax: (number | null)[];
}

type Bucket = { cpu?: SeriesPoint; mem?: SeriesPoint };

/** Bucket size for a range: about 900 points whatever the range, never under a second. */
export const stepFor = (rangeS: number) => Math.max(1, Math.round(rangeS / 900));

function columns(buckets: Map<number, Bucket>): NfSeries {
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const pick = (k: number, f: 'cpu' | 'mem', v: 'avg' | 'max') => buckets.get(k)?.[f]?.[v] ?? null;
  return {
    x: keys.map((k) => k / 1000),
    cpuAvg: keys.map((k) => pick(k, 'cpu', 'avg')),
    cpuMax: keys.map((k) => pick(k, 'cpu', 'max')),
    memAvg: keys.map((k) => pick(k, 'mem', 'avg')),
    memMax: keys.map((k) => pick(k, 'mem', 'max')),
  };
}

/**
 * CPU and memory series of one NF over the last `rangeS`, kept live: the first load fetches
 * the whole range, each `tick` after that fetches only from the newest bucket on (buckets
 * are aligned to the step, so the newest one is replaced and newer ones are appended) and
 * drops buckets that slid out of the range.
 */
export function useNfSeries(nf: string, rangeS: number, tick: number): { series: NfSeries; error: string | null } {
  const buckets = useRef(new Map<number, Bucket>());
  const generation = useRef(0);
  const [series, setSeries] = useState<NfSeries>(() => columns(new Map()));
  const [error, setError] = useState<string | null>(null);
  const stepMs = stepFor(rangeS) * 1000;

  async function load(gen: number, fromMs: number) {
    const [cpu, mem] = await Promise.all([
      fetchSeries(nf, 's_cpu', fromMs, stepMs / 1000),
      fetchSeries(nf, 's_memory', fromMs, stepMs / 1000),
    ]);
    if (gen !== generation.current) return;
    const failed = cpu.error ?? mem.error;
    setError(failed ?? null);
    if (failed) return;
    const map = buckets.current;
    for (const [field, points] of [['cpu', cpu.data!], ['mem', mem.data!]] as const) {
      for (const p of points) {
        const t = Date.parse(p.t);
        map.set(t, { ...map.get(t), [field]: p });
      }
    }
    const oldest = Date.now() - rangeS * 1000 - stepMs;
    for (const t of map.keys()) if (t < oldest) map.delete(t);
    setSeries(columns(map));
  }

  // A new NF or range starts over from an empty chart.
  useEffect(() => {
    const gen = ++generation.current;
    buckets.current = new Map();
    setSeries(columns(buckets.current));
    setError(null);
    void load(gen, Math.floor((Date.now() - rangeS * 1000) / stepMs) * stepMs);
  }, [nf, rangeS]);

  // Later ticks fetch only what is new.
  useEffect(() => {
    if (tick === 0) return;
    const keys = [...buckets.current.keys()];
    const from = keys.length > 0 ? Math.max(...keys) : Math.floor((Date.now() - rangeS * 1000) / stepMs) * stepMs;
    void load(generation.current, from);
  }, [tick]);

  return { series, error };
}
