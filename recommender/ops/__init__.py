"""Running the service: liveness and readiness (``health``), the container probe
(``probe``), Prometheus metrics (``metrics``) and gunicorn's settings (``gunicorn_conf``).
On top: may import every layer below; never ``api``, ``web`` or ``cli``."""
