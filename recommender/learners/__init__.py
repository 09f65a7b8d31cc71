"""Learners' side of the service: the self-assessment rules (confidence scale, expected
proficiency, gaps, the level a gap is best served at; ``rules``), stored assessments with
their roll-ups and progress (``assessments``), and learners' feedback. May import
``content``, ``storage`` and the leaves."""
