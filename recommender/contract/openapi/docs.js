// Starts Swagger UI on /api/docs. A file rather than an inline script, so that the page's
// Content-Security-Policy can allow scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no badge fetched from another site
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
