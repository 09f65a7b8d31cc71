// An index build's or an import job's progress, refreshed in place while it runs. Without
// JavaScript the page offers a "Refresh" link instead. The status element carries
// data-progress-url (JSON from the curator pages: status, done, total, summary) and announces
// changes politely (aria-live); with data-progress-reload the page is loaded again once the
// work is finished, to show its outcome.
const FINISHED = new Set(['built', 'updated', 'compacted', 'unchanged', 'skipped', 'failed',
  'not-queued', 'done']);

export function watchProgress(root) {
  for (const element of root.querySelectorAll('[data-progress-url]')) {
    poll(element, element.dataset.progressUrl);
  }
}

async function poll(element, url) {
  let build;
  try {
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!response.ok) return;
    build = await response.json();
  } catch {
    return;
  }
  const bar = element.querySelector('progress');
  const text = element.querySelector('[data-progress-text]');
  if (bar && build.total) {
    bar.max = build.total;
    bar.value = build.done;
  }
  if (text) text.textContent = build.summary;
  if (FINISHED.has(build.status)) {
    if (bar) bar.value = bar.max;
    element.dataset.finished = build.status;
    if ('progressReload' in element.dataset) window.location.reload();
    return;
  }
  setTimeout(() => poll(element, url), 1000);
}
