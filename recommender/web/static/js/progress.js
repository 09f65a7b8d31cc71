// An index build's progress, refreshed in place while it runs. Without JavaScript the page
// offers a "Refresh" link instead. The status element carries data-progress-url (JSON from
// the curator pages) and announces changes politely (aria-live).
const FINISHED = new Set(['built', 'updated', 'unchanged', 'failed', 'not-queued']);

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
    return;
  }
  setTimeout(() => poll(element, url), 1000);
}
