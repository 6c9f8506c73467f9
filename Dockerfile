# ChatX appliance image. Build: `docker compose build` (or `docker build -t chatx:local .`).
# See docs/docker.md.

############################ build stage ############################
FROM node:20-bookworm-slim AS build

ENV NPM_CONFIG_UPDATE_NOTIFIER=false

# Toolchain for the native module @journeyapps/sqlcipher (node-gyp; links the system libcrypto).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 make g++ libssl-dev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so the layer is reused while only the source changes.
# Install scripts are skipped for everything and then run for the one native runtime module:
# the dev-only natives (better-sqlite3, esbuild) are not needed to compile TypeScript, and skipping
# them avoids prebuilt-binary downloads and a second C++ build.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild @journeyapps/sqlcipher \
 && node -e "require('@journeyapps/sqlcipher')"

COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY views ./views
COPY public ./public
COPY migrations ./migrations
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete \
 && cd node_modules/@journeyapps/sqlcipher \
 && rm -rf build/Release/obj.target build/Release/.deps build/Release/*.a deps/sqlcipher-amalgamation \
 && cd /app \
 && node -e "require('@journeyapps/sqlcipher')"

############################ runtime stage ##########################
FROM node:20-bookworm-slim

# libssl3: libcrypto for SQLCipher; tini: PID 1 that forwards SIGTERM and reaps children.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 ca-certificates tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

# CHATX_IN_DOCKER: the login page's hint then names `docker compose exec chatx chatx …`.
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000 \
    HOST=0.0.0.0 \
    CHATX_IN_DOCKER=1

WORKDIR /app

COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/views ./views
COPY --from=build /app/public ./public
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/package.json ./package.json

# `docker compose exec chatx chatx <command>` runs the admin CLI.
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/chatx \
 && chmod 0755 /usr/local/bin/chatx \
 && mkdir -p /data \
 && chown node:node /data \
 && chmod 0700 /data

VOLUME /data
USER node
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/server.js"]
