"""Index versions: building and updating them from the database through the model
(``build``), inferred labels (``labels``, ``inferred``), capability suggestions and
near-duplicates (``suggestions``), the version a web process serves and its hot reload
(``holder``), the catalogue snapshot ranking reads (``snapshot``), index versions kept in the
database for hosts that share no file system (``mirror``, ``replicas``, ``replication``:
INDEX_STORE=database), and the per-app services that answer "which version am I serving",
the statements it was built for and the encoder (``serving``). May import ``contract`` and
everything below it."""
