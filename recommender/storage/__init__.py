"""The service's backing stores: the SQLAlchemy engine and sessions (``db``), the models,
Alembic migrations (``migrate``, ``migrations/``), and the task queue: the Celery app the Flask
app configures, enqueueing by task name (``queue``), and a worker as a child process
(``worker_process``). The bottom layer: imports only ``config``, ``problems`` and ``logs``."""
