// The playground page: text in, tokens out as coloured spans (or ids in, text out). Everything runs
// in the page; the tokenizer is the package itself (../rwkvtok.mjs).

import { World } from '../rwkvtok.mjs';

const $ = (id) => document.getElementById(id);
const input = $('input');
const tokensView = $('tokens');
const idsView = $('ids');
const status = $('status');
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escapeHtml = (text) => text.replace(/[&<>]/g, (c) => escapes[c]);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

let tok;
let mode = 'text';  // 'text': the input is text; 'ids': the input is ids
let ids = new Uint32Array();
// Each token's HTML, made once per id: a token that is not valid UTF-8 on its own shows its bytes.
const tokenHtml = [];

function htmlOf(id) {
  let html = tokenHtml[id];
  if (html === undefined) {
    const bytes = tok.tokenBytes(id);
    let text = null;
    try {
      text = fatalDecoder.decode(bytes);
    } catch {
      // Part of a character: shown as its bytes.
    }
    html = text === null ? `<span class="hex">${hex(bytes)}</span>` : escapeHtml(text);
    tokenHtml[id] = html;
  }
  return html;
}

// The tokens the view shows now, and each one's colour. A token's colour depends only on its id
// and the colour before it, so that after an edit the spans before the change keep theirs and
// those after it soon agree again: only the changed stretch is rendered anew, which keeps typing
// in a long text fast.
let shownIds = new Uint32Array();
let shownColours = new Uint8Array();
let shownBreaks = [];

function colourAfter(previous, id) {
  const colour = id % 6;
  return colour === previous ? (colour + 1) % 6 : colour;
}

function renderTokens() {
  const oldIds = shownIds;
  const oldColours = shownColours;
  const limit = Math.min(oldIds.length, ids.length);
  let prefix = 0;
  while (prefix < limit && oldIds[prefix] === ids[prefix]) ++prefix;
  let suffix = 0;
  while (suffix < limit - prefix &&
         oldIds[oldIds.length - 1 - suffix] === ids[ids.length - 1 - suffix]) ++suffix;
  const colours = new Uint8Array(ids.length);
  colours.set(oldColours.subarray(0, prefix));
  let previous = prefix > 0 ? colours[prefix - 1] : 255;
  let end = ids.length - suffix;  // new tokens [prefix, end) replace old ones [prefix, oldEnd)
  for (let i = prefix; i < ids.length; ++i) {
    previous = colourAfter(previous, ids[i]);
    colours[i] = previous;
    if (i >= end) {
      const old = i - ids.length + oldIds.length;
      if (oldColours[old] === previous) {
        colours.set(oldColours.subarray(old + 1), i + 1);
        break;
      }
      end = i + 1;
    }
  }
  const oldEnd = end - ids.length + oldIds.length;
  // The view is a block per line (a line ends with a token that ends in a newline), so that an
  // edit lays out its own lines again and not the whole text. The lines before the change and
  // those after it are the same as before; the ones between are made anew.
  const oldBreaks = shownBreaks;
  const breaks = lineBreaks(ids);
  const firstOld = lineOf(oldBreaks, oldIds.length, prefix - 1);
  const lastOld = lineOf(oldBreaks, oldIds.length, oldEnd);
  const first = lineOf(breaks, ids.length, prefix - 1);
  const last = lineOf(breaks, ids.length, end);
  const lines = tokensView.children;
  if (firstOld >= 0) {
    const range = document.createRange();
    range.setStartBefore(lines[firstOld]);
    range.setEndAfter(lines[lastOld]);
    range.deleteContents();
  }
  if (first >= 0) {
    const parts = [];
    for (let line = first; line <= last; ++line) {
      parts.push('<div>');
      const lineEnd = line + 1 < breaks.length ? breaks[line + 1] : ids.length;
      for (let i = breaks[line]; i < lineEnd; ++i) {
        parts.push(`<span class="t${colours[i]}">${htmlOf(ids[i])}</span>`);
      }
      parts.push('</div>');
    }
    const html = parts.join('');
    if (first < lines.length) lines[first].insertAdjacentHTML('beforebegin', html);
    else tokensView.insertAdjacentHTML('beforeend', html);
  }
  shownIds = ids;
  shownColours = colours;
  shownBreaks = breaks;
}

// Where each line starts: token 0, and every token after one that ends in a newline.
function lineBreaks(list) {
  const breaks = list.length ? [0] : [];
  for (let i = 0; i + 1 < list.length; ++i) {
    if (endsLine(list[i])) breaks.push(i + 1);
  }
  return breaks;
}

// The line of token `index` (clamped to the tokens there are); -1 when there are none.
function lineOf(breaks, count, index) {
  if (count === 0) return -1;
  const token = Math.min(Math.max(index, 0), count - 1);
  let low = 0;
  let high = breaks.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (breaks[middle] <= token) low = middle;
    else high = middle - 1;
  }
  return low;
}

const lineEnders = [];
function endsLine(id) {
  let ends = lineEnders[id];
  if (ends === undefined) {
    const bytes = tok.tokenBytes(id);
    ends = bytes.length > 0 && bytes[bytes.length - 1] === 0x0A;
    lineEnders[id] = ends;
  }
  return ends;
}

function render() {
  renderTokens();
  if (!idsView.hidden) idsView.textContent = ids.join(', ');
  const bytes = mode === 'text' ? new TextEncoder().encode(input.value).length : tok.decodeBytes(ids).length;
  $('token-count').textContent = ids.length.toLocaleString('en');
  $('byte-count').textContent = bytes.toLocaleString('en');
  $('bytes-per-token').textContent = ids.length ? (bytes / ids.length).toFixed(2) : '–';
}

function parseIds(text) {
  return Array.from(text.matchAll(/-?\d+(\.\d+)?/g), (m) => Number(m[0]));
}

// Re-tokenizes and re-renders, and measures it, layout included.
function update() {
  const start = performance.now();
  status.textContent = '';
  try {
    ids = mode === 'text' ? tok.encode(input.value) : Uint32Array.from(checkedIds(parseIds(input.value)));
  } catch (error) {
    status.textContent = error.message;
    ids = new Uint32Array();
  }
  render();
  void tokensView.offsetHeight;  // forces layout, so that it is counted
  const ms = performance.now() - start;
  window.rwkvtokPlayground.lastUpdateMs = ms;
  $('update-ms').textContent = ms.toFixed(1);
}

function checkedIds(list) {
  tok.decodeBytes(list);  // throws a RangeError naming the first invalid id
  return list;
}

function setMode(next) {
  if (next === mode) return;
  if (next === 'ids') input.value = ids.join(', ');
  else input.value = tok.decode(ids);
  mode = next;
  $('mode-text').setAttribute('aria-selected', String(mode === 'text'));
  $('mode-ids').setAttribute('aria-selected', String(mode === 'ids'));
  input.placeholder = mode === 'text' ? 'Type or paste text' : 'Paste ids, e.g. 33155, 45, 40213, 34';
  update();
}

function showIds(show) {
  idsView.hidden = !show;
  tokensView.hidden = show;
  $('show-ids').setAttribute('aria-pressed', String(show));
  $('show-tokens').setAttribute('aria-pressed', String(!show));
  render();
}

// Hover: the token's id and bytes, found when asked rather than stored on every span.
tokensView.addEventListener('mouseover', (event) => {
  const span = event.target.closest('.tokens > div > span');
  if (span === null || span.title) return;
  const line = Array.prototype.indexOf.call(tokensView.children, span.parentNode);
  const id = shownIds[shownBreaks[line] + Array.prototype.indexOf.call(span.parentNode.children, span)];
  span.title = `id ${id}, bytes ${hex(tok.tokenBytes(id))}`;
});

window.rwkvtokPlayground = { lastUpdateMs: null, ids: () => Array.from(ids), ready: false };
tok = await World();
input.addEventListener('input', update);
$('mode-text').addEventListener('click', () => setMode('text'));
$('mode-ids').addEventListener('click', () => setMode('ids'));
$('show-tokens').addEventListener('click', () => showIds(false));
$('show-ids').addEventListener('click', () => showIds(true));
input.value = 'Hello, world! 你好，世界。 RWKV is an RNN with transformer-level performance. 🙂';
update();
window.rwkvtokPlayground.ready = true;
