"""Who may call what and how often: API keys stored as salted hashes (``keys``), every
endpoint's scope checked before each request (``auth``), body size and rate limits
(``limits``) and CORS (``cors``). May import ``storage`` and the leaves."""
