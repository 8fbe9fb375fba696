import { useEffect, useState } from 'preact/hooks';
import { formatDuration, parseStudyTime, showStudyTime, type Study } from '../../api/study.js';

/** The running clock of the open session (or a prompt to start one) with the start/stop button. */
export function StudyTimer(props: { open: Study | null; busy: boolean; ready: boolean; onStart: () => void; onStop: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!props.open) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [props.open?.id]);

  const elapsed = props.open ? (now - parseStudyTime(props.open.start_time)) / 1000 : 0;
  return (
    <section class="card study-timer" aria-labelledby="study-timer-h">
      <h2 id="study-timer-h">{props.open ? 'Studying now' : 'Not studying'}</h2>
      <div class="study-clock" role="timer" aria-label="Time in this session">
        {formatDuration(elapsed)}
      </div>
      <p class="muted">
        {props.open ? `Started ${showStudyTime(props.open.start_time)}` : 'Start the timer when you sit down; stop it when you leave.'}
      </p>
      {props.open ? (
        <button type="button" class="danger wide" disabled={props.busy} onClick={props.onStop}>
          {props.busy ? 'Stopping…' : 'Stop'}
        </button>
      ) : (
        <button type="button" class="wide" disabled={props.busy || !props.ready} onClick={props.onStart}>
          {props.busy ? 'Starting…' : 'Start studying'}
        </button>
      )}
    </section>
  );
}
