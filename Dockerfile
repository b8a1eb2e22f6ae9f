# KVPortal: a static binary in an empty image, run as a non-root user.
# With DATABASE_URL set (see compose.yaml) it needs nothing else.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/portal ./cmd/portal \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kvportal ./cmd/kvportal \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/portal /portal
# The command-line client, for a pipeline step run from the same image.
COPY --from=build /out/kvportal /kvportal
COPY --from=build --chown=65532:65532 /out/data /data
ENV PORTAL_ADDR=0.0.0.0:8080 \
    PORTAL_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/portal"]
CMD ["serve"]
