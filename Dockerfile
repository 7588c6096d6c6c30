# syntax=docker/dockerfile:1
# Bastion as a container: MCP over Streamable HTTP on port 3000, TLS and bearer tokens required.
# Build: docker build -t bastion .   Run: docker compose up (see compose.yaml, docker/secrets/README.md, SECURITY.md).
# The runtime stage runs as a non-root user and writes only to /var/lib/bastion (audit log) and /tmp, so it runs
# with a read-only root filesystem. No credential is ever passed as a build argument or baked into a layer.

# Build stage: compile TypeScript, then drop the development dependencies.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts of dependencies are not needed to compile, and not running them narrows the supply-chain risk.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: node, the compiled code and the production dependencies; nothing else from the build.
FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOME=/tmp \
    BASTION_KEYRING=false \
    BASTION_HTTP_PORT=3000 \
    BASTION_AUDIT_LOG=/var/lib/bastion/audit.jsonl
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# npm and corepack are not used at run time: removed, they cannot be misused or flagged by scanners.
# The audit log's directory is the only one the service user owns; the code stays root-owned and read-only to it.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/bastion
VOLUME ["/var/lib/bastion"]
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/dist/healthcheck.js"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["serve", "--transport", "http", "--host", "0.0.0.0"]
