#!/usr/bin/env bash
# Makes the Debian base image for deploy/Dockerfile without any image registry: debootstrap a minimal
# root file system of this machine's Debian release, then `docker import` it. Skips when the tag exists.
set -euo pipefail

TAG="${BASE_IMAGE:-ragqa-base:bookworm}"
SUITE="${SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
# python3 for the app, python3-venv for an isolated install, ca-certificates for TLS, curl for the health check.
PACKAGES="python3,python3-venv,ca-certificates,curl"

if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "==> base image $TAG already exists (docker rmi $TAG to rebuild it)"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }

ROOT="$(mktemp -d /tmp/ragqa-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
echo "==> debootstrap $SUITE into $ROOT (a few minutes)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 \
    || { tail -20 "$ROOT.log" >&2; exit 1; }
rm -f "$ROOT.log"
# What an image needs no copy of: package lists and caches, docs and man pages.
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/locale/*
echo "==> docker import as $TAG"
tar -C "$ROOT" -c . | docker import \
    --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$TAG"
docker image ls "$TAG"
