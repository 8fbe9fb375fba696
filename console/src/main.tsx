import { render } from 'preact';
import { App } from './app.js';
import './ui/styles.css';

render(<App />, document.getElementById('app')!);
