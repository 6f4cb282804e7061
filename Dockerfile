FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY indexer ./indexer
COPY queries ./queries
COPY server ./server
RUN pip install --no-cache-dir '.[neo4j]'
# The MCP server's port when it serves over HTTP (see docker-compose.yml).
EXPOSE 8765
ENTRYPOINT []
CMD ["repolens", "--help"]
