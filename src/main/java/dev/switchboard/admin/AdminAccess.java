package dev.switchboard.admin;

import java.util.function.Function;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.KeyDigest;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.openai.OpenAiErrors;
import dev.switchboard.ui.UiSessions;
import reactor.core.publisher.Mono;

/**
 * The one gate of the admin API: {@code Authorization: Bearer <admin-key>} compared in constant time, or the
 * dashboard's session cookie ({@link UiSessions}), whose changes (any method but GET and HEAD) must also carry
 * the session's CSRF token. The viewer key, and a viewer's session, may only read: a change is a 403. 404
 * while no admin key is set; a handler's bad query ({@link IllegalArgumentException}) becomes a 400.
 */
@Component
public final class AdminAccess {
    private final CurrentRouteTable routes;
    private final UiSessions sessions;

    public AdminAccess(CurrentRouteTable routes, UiSessions sessions) {
        this.routes = routes;
        this.sessions = sessions;
    }

    public Mono<ServerResponse> guarded(ServerRequest request, Function<RouteTable, Mono<ServerResponse>> handler) {
        RouteTable table = routes.get();
        if (table.adminKey().isEmpty()) {
            return error(404, ErrorKind.INVALID_REQUEST, "The admin API is disabled: set admin-key in the routes file");
        }
        boolean change = !HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method());
        String authorization = request.headers().firstHeader(HttpHeaders.AUTHORIZATION);
        if (authorization != null) {
            String presented = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).strip() : "";
            if (!KeyDigest.matches(presented, table.adminKey())) {
                if (table.viewerKey().isEmpty() || !KeyDigest.matches(presented, table.viewerKey())) {
                    return error(401, ErrorKind.AUTHENTICATION, "Missing or wrong admin key");
                }
                if (change) return readOnly();
            }
        } else {
            UiSessions.Session session = sessions.of(request, table.adminKey(), table.viewerKey());
            if (session == null) return error(401, ErrorKind.AUTHENTICATION, "Missing or wrong admin key");
            if (change && session.role() == UiSessions.Role.VIEWER) return readOnly();
            if (change && !UiSessions.csrfMatches(session, request.headers().firstHeader(UiSessions.CSRF_HEADER))) {
                return error(403, ErrorKind.PERMISSION, "Missing or wrong " + UiSessions.CSRF_HEADER + " header: reload the page");
            }
        }
        try {
            return handler.apply(table);
        } catch (IllegalArgumentException e) {
            return error(400, ErrorKind.INVALID_REQUEST, e.getMessage());
        }
    }

    private static Mono<ServerResponse> readOnly() {
        return error(403, ErrorKind.PERMISSION, "The viewer key may only read: changes need the admin key");
    }

    static Mono<ServerResponse> error(int status, ErrorKind kind, String message) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(OpenAiErrors.body(kind, message, null));
    }
}
