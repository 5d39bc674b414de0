# syntax=docker/dockerfile:1
# Multi-stage build: a Rust toolchain image compiles, a slim Debian image runs as a non-root user.

FROM rust:1.95-bookworm AS build
# The Rust toolchain and its C compiler are all the build needs (no cmake, nasm or pkg-config).
WORKDIR /src
# Dependencies first, so code edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY crates/loudness/Cargo.toml crates/loudness/
COPY crates/decimate/Cargo.toml crates/decimate/
RUN mkdir -p src tests/api crates/loudness/src crates/decimate/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/api/main.rs crates/loudness/src/lib.rs crates/decimate/src/lib.rs \
    && cargo build --release --locked --bin mediadesk || true
COPY . .
RUN touch src/main.rs src/lib.rs crates/loudness/src/lib.rs crates/decimate/src/lib.rs \
    && cargo build --release --locked --bin mediadesk

FROM debian:bookworm-slim AS runtime
# Unpinned on purpose: the CA bundle must follow Debian's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin mediadesk \
    && mkdir -p /data \
    && chown mediadesk:mediadesk /data
COPY --from=build /src/target/release/mediadesk /usr/local/bin/mediadesk
USER 10001
WORKDIR /data
ENV MEDIADESK_BIND=0.0.0.0:8080 \
    MEDIADESK_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["mediadesk", "healthcheck"]
STOPSIGNAL SIGTERM
CMD ["mediadesk", "serve"]
