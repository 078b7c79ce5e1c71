# cmdb-mcp as a container image: a static Go binary on distroless, run as a
# non-root user. Build from the repository root (BuildKit, Docker 23+ or
# DOCKER_BUILDKIT=1):
#
#   docker build -t cmdb-mcp:dev --build-arg VERSION=$(git describe --tags --always) .
#
# It needs the host's /proc, /sys, /etc and Docker socket mounted to see the
# host; README.md has the `docker run` line.
#
# Base images are pinned by tag; the Go tag is the go directive of go.mod.
# Where a registry is reachable, pin them by digest as well, so that a tag
# rebuilt upstream cannot change the image silently: `docker pull IMAGE`
# prints the tag's digest ("Digest:", the multi-platform index's), then
#   docker build --build-arg GO_IMAGE=golang:1.26.8-bookworm@sha256:<digest> \
#     --build-arg RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:<digest> ...
# Pass digests as build args rather than writing them into the ARG lines
# below: CI's build check puts local stand-ins under these tags, and a
# stand-in cannot have the real image's digest.
#
# CI builds this file on every run (internal/dockerimage): every stage, with
# BuildKit, from local stand-ins under the names below (this machine's Go on
# a busybox shell; an empty runtime with the nonroot user and no shell),
# since CI reaches no registry; then it starts the image as the non-root
# user. It does not check that the real base images exist under these tags,
# nor what they contain.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The build runs on the builder's own platform and cross-compiles, which Go
# does without emulation; TARGETOS/TARGETARCH come from --platform.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS=linux
ARG TARGETARCH
# GOTOOLCHAIN=local: build with the pinned image's Go, never a downloaded one.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/cmdb-mcp ./cmd/cmdb-mcp

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532); no shell, no package manager.
FROM ${RUNTIME_IMAGE}
ARG VERSION=
LABEL org.opencontainers.image.title="cmdb-mcp" \
      org.opencontainers.image.description="MCP server that keeps a host's NetBox record in sync with the host" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/cmdb-mcp /usr/local/bin/cmdb-mcp
# Numeric, so that runtimes enforcing runAsNonRoot can check it. To read the
# Docker socket, add its group: --group-add "$(stat -c %g /var/run/docker.sock)".
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/cmdb-mcp"]
# MCP over stdio (docker run -i); `serve --transport http` for HTTP.
CMD ["serve"]
