import { render } from 'preact';
// The base look first, so each page's own stylesheet can override it.
import './ui/styles.css';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
