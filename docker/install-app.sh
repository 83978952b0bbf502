#!/bin/sh
# Installs the gateway into an image, at its build (Dockerfile and docker/Dockerfile.prebuilt), from the jar at
# /tmp/switchboard.jar and the native libraries mvn package unpacked, at /tmp/native; /app holds jvm.options.
set -eu

# the jar unpacked: the application in /app/switchboard.jar, its libraries in /app/lib. The JVM's AOT cache
# (below) holds classes from jars on the class path, not from jars inside a jar
java -Djarmode=tools -jar /tmp/switchboard.jar extract --destination /app --force

# SQLite's and Netty's native libraries: loaded from /app/native, they need no writable java.io.tmpdir, and the
# image runs with a read-only root file system
mkdir -p /data /app/native
chown 10001:10001 /data
cp "/tmp/native/org/sqlite/native/Linux/$(uname -m)/libsqlitejdbc.so" /app/native/
if [ "$(uname -m)" = x86_64 ]; then cp /tmp/native/META-INF/native/*.so /app/native/; fi

# An AOT cache (JDK 25) of the classes the gateway loads and links as it starts, made by starting it once,
# as far as its Spring context (spring.context.exit=onRefresh), with the flags the image runs it with. It then
# starts in a little over half the time, and its young collections are shorter: the cached classes' metadata and
# interned strings are no longer among the roots every collection walks (docs/benchmark.md).
mkdir /tmp/training
SWITCHBOARD_CONFIG=/config/switchboard.yaml SWITCHBOARD_LEDGER_FILE=/tmp/training/switchboard.db \
SWITCHBOARD_USAGE_JOURNAL=/tmp/training/usage-journal.jsonl SWITCHBOARD_USAGE_RECORD_LOG=/tmp/training/usage-log \
  java @/app/jvm.options -Djava.library.path=/app/native -Dorg.sqlite.lib.path=/app/native -Dorg.sqlite.lib.name=libsqlitejdbc.so \
    -XX:AOTCacheOutput=/app/switchboard.aot -Xlog:aot=error -Dspring.context.exit=onRefresh -jar /app/switchboard.jar

rm -rf /tmp/training /tmp/native /tmp/switchboard.jar
