# syntax=docker/dockerfile:1
#
# docker build --build-arg VERSION=v1.2.3 -t hirebridge:v1.2.3 .
#
# Base images are pinned by digest so a rebuild of an old commit gets the same
# toolchain and runtime; the tag beside each digest is there for people and
# for update bots. The Go version matches the go line of go.mod, so the build
# never downloads another toolchain.

FROM golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/hirebridge ./cmd/hirebridge
# The final image has no shell to create the data directory with, so it is
# made here and copied with the nonroot owner.
RUN mkdir -p /out/data

# distroless static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532), and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
ARG VERSION=dev
LABEL org.opencontainers.image.title="hirebridge" \
      org.opencontainers.image.description="Hirempire webhooks to NATS JetStream or Kafka" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/hirebridge /usr/local/bin/hirebridge
COPY --from=build --chown=65532:65532 /out/data /data
# The embedded NATS server (used when no broker URL is set) stores here; a
# volume keeps the store out of the container's writable layer.
ENV HIREBRIDGE_DATA_DIR=/data \
    HIREBRIDGE_HTTP_ADDR=:8080 \
    HIREBRIDGE_ADMIN_ADDR=:9090
VOLUME ["/data"]
# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 8080: webhooks (public). 9090: /livez /readyz /metrics (keep private).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/hirebridge"]
CMD ["serve"]
