# Switchboard container image. Multi-stage: build with Maven on a JDK image, run on a JRE image.
#   docker build -t switchboard .
#   docker run -p 8080:8080 -e TEAM_A_KEY=... -e OPENROUTER_API_KEY=... \
#     -v "$PWD/config:/config:ro" switchboard
# Both images are build arguments, so an air-gapped host can use images it built itself.
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-25
ARG RUNTIME_IMAGE=eclipse-temurin:25-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
RUN mvn -B -q package -DskipTests

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /src/target/switchboard.jar /app/switchboard.jar
COPY config/switchboard.yaml /config/switchboard.yaml
COPY docker/healthcheck.sh /app/healthcheck.sh
COPY docker/jvm.options /app/jvm.options
# SQLite's and Netty's native libraries, unpacked from their jars at build: loaded from /app/native, they
# need no writable java.io.tmpdir, and the image runs with a read-only root file system
COPY --from=build /src/target/native /tmp/native
RUN mkdir -p /data /app/native && chown 10001:10001 /data \
    && cp "/tmp/native/org/sqlite/native/Linux/$(uname -m)/libsqlitejdbc.so" /app/native/ \
    && if [ "$(uname -m)" = x86_64 ]; then cp /tmp/native/META-INF/native/*.so /app/native/; fi \
    && rm -rf /tmp/native
# the usage ledger (SQLite), its journal and its crash-safe record log live on a volume the non-root user owns
VOLUME /data
ENV SWITCHBOARD_CONFIG=/config/switchboard.yaml \
    SWITCHBOARD_LEDGER_FILE=/data/switchboard.db \
    SWITCHBOARD_USAGE_JOURNAL=/data/usage-journal.jsonl \
    SWITCHBOARD_USAGE_RECORD_LOG=/data/usage-log \
    MALLOC_ARENA_MAX=2
# no user entry needed: a numeric non-root uid works on any base image
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/app/healthcheck.sh"]
# flags in docker/jvm.options (heap, GC, JIT), sized for 512 MB; MALLOC_ARENA_MAX keeps glibc to two arenas
ENTRYPOINT ["java", "@/app/jvm.options", "-Djava.library.path=/app/native", "-Dorg.sqlite.lib.path=/app/native", \
            "-Dorg.sqlite.lib.name=libsqlitejdbc.so", "-jar", "/app/switchboard.jar"]
