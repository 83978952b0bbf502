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
COPY config/switchboard.yaml /config/switchboard.yaml
COPY docker/healthcheck.sh /app/healthcheck.sh
COPY docker/jvm.options /app/jvm.options
COPY --from=build /src/target/switchboard.jar /tmp/switchboard.jar
COPY --from=build /src/target/native /tmp/native
# the jar unpacked, its native libraries beside it, and the JVM's AOT cache made by starting it once
COPY docker/install-app.sh /tmp/install-app.sh
RUN sh /tmp/install-app.sh && rm /tmp/install-app.sh && chmod 755 /app/healthcheck.sh
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
ENTRYPOINT ["java", "@/app/jvm.options", "-XX:AOTCache=/app/switchboard.aot", "-Djava.library.path=/app/native", \
            "-Dorg.sqlite.lib.path=/app/native", "-Dorg.sqlite.lib.name=libsqlitejdbc.so", "-jar", "/app/switchboard.jar"]
