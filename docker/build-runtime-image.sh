#!/usr/bin/env bash
# Builds a Java 25 runtime base image from Debian packages alone, for hosts that reach no image registry
# (air-gapped sites, this project's CI): debootstrap a minimal Debian trixie, add openjdk-25-jre-headless,
# and `docker import` the tree.
#
#   docker/build-runtime-image.sh [image-name]      (default: switchboard-runtime:trixie-jre25)
#
# Needs root, debootstrap and a Docker engine. Skips the work when the image already exists
# (FORCE=1 rebuilds). Then build the gateway on it from a jar built on the host:
#   mvn -B package -DskipTests
#   docker build -f docker/Dockerfile.prebuilt --build-arg RUNTIME_IMAGE=switchboard-runtime:trixie-jre25 -t switchboard .
set -euo pipefail
image="${1:-switchboard-runtime:trixie-jre25}"

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "build-runtime-image: $image already exists"
  exit 0
fi

root="$(mktemp -d /tmp/switchboard-rootfs.XXXXXX)"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

debootstrap --variant=minbase trixie "$root"
# the JRE's maintainer scripts need /proc while apt configures them
mount -t proc proc "$root/proc"
chroot "$root" apt-get update
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y --no-install-recommends openjdk-25-jre-headless ca-certificates
chroot "$root" apt-get clean
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/*

tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV JAVA_HOME=/usr/lib/jvm/java-25-openjdk-amd64' \
  --change 'CMD ["bash"]' \
  - "$image"
echo "build-runtime-image: built $image"
