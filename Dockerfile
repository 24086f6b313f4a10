# syntax=docker/dockerfile:1
# Ferry GitHub App: Node 22, Ferry's built dist/, kubectl (for `kubectl kustomize`) and helm.
# Build: docker build -t ferry .
#        docker buildx build --platform linux/amd64,linux/arm64 -t ferry .   (both architectures)
# Run:   docker run -p 3000:3000 -e APP_ID=… -e WEBHOOK_SECRET=… -e PRIVATE_KEY_PATH=/key.pem -v $PWD/key.pem:/key.pem ferry
#
# Everything fetched is pinned: the base image by its multi-architecture index digest, the
# kubectl and helm downloads by their published SHA-256 per architecture. How to move any
# of them: docs/operations.md, "The container image".
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:f32b81066cde10a75dbac96646099533316d94bac4150c55da1636e1f0ffdc46

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are copied in only below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM ${NODE_IMAGE} AS tools
# Set by BuildKit (docker buildx, and docker build since Docker 23) to the platform being built.
ARG TARGETARCH
# kubectl v1.32.4 (bundles kustomize v5.5.0) and helm v3.17.2, from their official release downloads.
ARG KUBECTL_VERSION=v1.32.4
ARG KUBECTL_SHA256_AMD64=10d739e9af8a59c9e7a730a2445916e04bc9cbb44bc79d22ce460cd329fa076c
ARG KUBECTL_SHA256_ARM64=c6f96d0468d6976224f5f0d81b65e1a63b47195022646be83e49d38389d572c2
ARG HELM_VERSION=v3.17.2
ARG HELM_SHA256_AMD64=90c28792a1eb5fb0b50028e39ebf826531ebfcf73f599050dbd79bab2f277241
ARG HELM_SHA256_ARM64=d78d76ec7625a94991e887ac049d93f44bd70e4876200b945f813c9e1ed1df7c
# The sums are written here, not fetched beside the binary: a tampered download server
# cannot serve a matching sum too.
RUN set -eu; \
    case "${TARGETARCH}" in \
      amd64) kubectl_sha256="${KUBECTL_SHA256_AMD64}"; helm_sha256="${HELM_SHA256_AMD64}" ;; \
      arm64) kubectl_sha256="${KUBECTL_SHA256_ARM64}"; helm_sha256="${HELM_SHA256_ARM64}" ;; \
      *) echo "TARGETARCH is '${TARGETARCH}': build with BuildKit for linux/amd64 or linux/arm64" >&2; exit 1 ;; \
    esac; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl"; \
    echo "${kubectl_sha256}  /usr/local/bin/kubectl" | sha256sum -c -; \
    curl -fsSLo /tmp/helm.tgz "https://get.helm.sh/helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz"; \
    echo "${helm_sha256}  /tmp/helm.tgz" | sha256sum -c -; \
    tar -xzf /tmp/helm.tgz -C /tmp; \
    mv "/tmp/linux-${TARGETARCH}/helm" /usr/local/bin/helm; \
    chmod 0755 /usr/local/bin/kubectl /usr/local/bin/helm

FROM ${NODE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=tools /usr/local/bin/kubectl /usr/local/bin/helm /usr/local/bin/
WORKDIR /app
# The built code and what it reads at run time; no TypeScript sources, tests or dev dependencies.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY templates ./templates
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 FERRY_CACHE_DIR=/var/cache/ferry
RUN mkdir -p /var/cache/ferry && chown 1000:1000 /var/cache/ferry
# The image's `node` user, by number: Kubernetes' runAsNonRoot can only check a numeric user.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/server.js"]
