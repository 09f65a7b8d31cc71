"""Turning a learner's gaps into ranked, explained baseline and specialist lists: the
request's domain types and scoring (``scoring``), candidate retrieval, filters and
diversity (``recommend``), the reasons for each item (``explain``), the free-text query
(``text_search``), a request's words' vectors and hits kept for the next (``text_cache``),
the answer a request gets (``answer``) and ranking quality on the judged set
(``evaluation``). May import ``indexing`` and everything below; never ``coverage``."""
