"""The framework and the catalogue as stored: loading the framework and the one cache of its
statements (``framework``), idempotent upserts with the index outbox and label provenance
(``store``), the one import path (``imports``) and import jobs (``import_jobs``,
``import_job_views``), records held for review (``held``), curation decisions
(``curation``), catalogue search and how a resource is shown (``search``, ``views``). May
import ``storage`` and the leaves; never the layers above."""
