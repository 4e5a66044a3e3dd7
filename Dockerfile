# docent: API and worker image. Assets and models come from registries at build time;
# nothing is downloaded when the container runs.
FROM node:20-bookworm-slim AS graphiql
WORKDIR /build
COPY scripts/fetch_graphiql_assets.py scripts/downloads.py ./
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
    && python3 fetch_graphiql_assets.py /build/graphiql

FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr poppler-utils libmagic1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 docent
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir --no-deps -r requirements/no-deps.txt
# The package's own files only, named one by one: never the working tree's .env (keys),
# data/ (uploaded documents), .git or virtual environments.
COPY pyproject.toml README.md schema.graphql *.py ./
COPY api/ api/
COPY cli/ cli/
COPY ingestion/ ingestion/
COPY search/ search/
COPY answering/ answering/
COPY providers/ providers/
COPY evaluation/ evaluation/
COPY --from=graphiql /build/graphiql api/static/graphiql
RUN pip install --no-cache-dir . \
    && mkdir -p /data && chown docent /data
USER docent
ENV DOCENT_DATA_DIR=/data HF_HUB_OFFLINE=1 DO_NOT_TRACK=true
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["docent", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]
