FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY indexer ./indexer
COPY queries ./queries
COPY server ./server
RUN pip install --no-cache-dir '.[neo4j]'
ENTRYPOINT []
CMD ["repolens", "--help"]
