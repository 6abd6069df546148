# syntax=docker/dockerfile:1
# authstream: compiled once at image build, run as the unprivileged `node` user with production dependencies only.
#   docker build -t authstream .
#   docker run authstream                  # `authstream start`: API + relay + emails in one process (embedded store in /data)
#   docker run authstream start api        # HTTP only       (needs EVENTSTORE_URL and AMQP_URL)
#   docker run authstream start worker     # relay + emails  (needs EVENTSTORE_URL and AMQP_URL)
#   docker run -it authstream createsuperuser, … import-django /dumps/users.json, … config check: any CLI command
#
# Node 24 is the current LTS line. One base image for both stages, so the native modules (argon2, bcrypt: prebuilt
# N-API binaries inside their npm packages, nothing is compiled) match the runtime's libc.
# Pin the digest too for reproducible builds (and bump tag and digest together):
#   docker buildx imagetools inspect node:24.18.0-bookworm-slim --format '{{json .Manifest.Digest}}'
#   # at the time of writing, published as sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
#   # (not checked from the machine this file was written on: no Docker there), then:
#   # ARG NODE_IMAGE=node:24.18.0-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24.18.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# UV_THREADPOOL_SIZE: libuv's pool (4 threads by default) runs the argon2 hashes and the embedded log's file I/O;
# 16 lets hashing use up to 15 cores while a thread stays free for the log (src/crypto/passwords.ts).
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=16 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
# A clean production install from the lockfile rather than a pruned copy of the build's node_modules: nothing of the
# dev toolchain can linger. The application files stay owned by root, so the service cannot rewrite its own code.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The email templates are found relative to package.json (templates/email), in src/ and dist/ layouts alike.
COPY templates ./templates
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
# The API and the worker both answer GET /health/ready on PORT (503 until their dependencies are reachable).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The `authstream` CLI (no build or tsc at start: the image already holds dist/); the default command is the service.
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
