#!/usr/bin/env bash
# A python:3.11-slim-bookworm stand-in for machines that cannot reach Docker Hub: Debian bookworm
# (debootstrap, minbase) with Debian's python3.11, venv and CA certificates, imported into podman.
#
#   scripts/base-image.sh [NAME]    build NAME (default localhost/specqa-base:bookworm) unless
#                                   podman already has it; print NAME
#
# Then: podman build --build-arg PYTHON_IMAGE=NAME ... (scripts/image-test.sh does).
# Needs root and the Debian packages debootstrap and podman; reaches deb.debian.org.
# PODMAN (default "podman --storage-driver vfs") is the podman command to use.
set -euo pipefail

name="${1:-localhost/specqa-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
read -r -a podman <<<"${PODMAN:-podman --storage-driver vfs}"

if "${podman[@]}" image exists "$name"; then
  echo "$name"
  exit 0
fi
rootfs="$(mktemp -d "${TMPDIR:-/var/tmp}/specqa-rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
echo "base-image.sh: debootstrap bookworm into $rootfs" >&2
nice -n 10 debootstrap --variant=minbase --include=python3.11,python3-venv,ca-certificates \
  bookworm "$rootfs" "$mirror" >&2
chmod 0755 "$rootfs"  # mktemp made it 0700: the image's unprivileged user could not run anything
# what python:3.11-slim leaves out too: package lists, downloaded .debs, docs
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar -C "$rootfs" -c . | "${podman[@]}" import \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$name" >/dev/null
echo "$name"
