"""The API's contract: request bodies and query strings validated in one place, every error
with a JSON pointer (``validation``, ``query``), conditional GETs (``etags``), how JSON answers
are encoded (``encoding``), spreadsheet CSV (``spreadsheet``), and the OpenAPI document
generated from the code with its docs page (``openapi/``). May import ``learners``,
``content``, ``access``, ``storage`` and the leaves (the document names scopes, statuses and
rating scales); never ``indexing`` or above."""
