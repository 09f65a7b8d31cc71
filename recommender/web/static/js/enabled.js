// Marks the page as scripted before it paints, as the NHS.UK page template does inline
// (kept in a file so that the Content-Security-Policy allows no inline script).
document.body.className += ' js-enabled' +
  ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
