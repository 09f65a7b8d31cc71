"""Learning plans: a learner's gaps become a sequenced, time-budgeted plan. Which resources are
taken (``choose``: a budgeted, weighted set cover over curated and confidently suggested
mappings), in which order and week (``schedule``), a plan made and stored from the catalogue
(``make``), and read back with the learner's progress, as JSON, iCalendar and xAPI
(``view``, ``exports``). May import ``learners``, ``content``, ``storage`` and the leaves."""
