#!/usr/bin/env bash
# Container health: the gateway's readiness endpoint answers 200. Plain bash (no curl in a minimal image).
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-8080}" || exit 1
printf 'GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 3 status_line <&3 || exit 1
case "$status_line" in
  *" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
