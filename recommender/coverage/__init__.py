"""Commissioners' coverage: supply (weighted resources per statement, archetype and level)
against anonymised learner demand (``cells``), and the ranked gaps with commissioning briefs
(``gaps``), and the filtered reads and CSV answers the API and the pages share
(``reads``). May import ``indexing`` and everything below; never ``ranking``."""
