package dev.switchboard.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Function;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.openai.OpenAiErrors;
import reactor.core.publisher.Mono;

/**
 * The one gate of the admin API: {@code Authorization: Bearer <admin-key>}, compared in constant time; 404
 * while no admin key is set; a handler's bad query ({@link IllegalArgumentException}) becomes a 400.
 */
final class AdminAccess {
    private AdminAccess() {}

    static Mono<ServerResponse> guarded(CurrentRouteTable routes, ServerRequest request,
                                        Function<RouteTable, Mono<ServerResponse>> handler) {
        RouteTable table = routes.get();
        if (table.adminKey().isEmpty()) {
            return error(404, ErrorKind.INVALID_REQUEST, "The admin API is disabled: set admin-key in the routes file");
        }
        String authorization = request.headers().firstHeader(HttpHeaders.AUTHORIZATION);
        String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).strip() : "";
        if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), table.adminKey().getBytes(StandardCharsets.UTF_8))) {
            return error(401, ErrorKind.AUTHENTICATION, "Missing or wrong admin key");
        }
        try {
            return handler.apply(table);
        } catch (IllegalArgumentException e) {
            return error(400, ErrorKind.INVALID_REQUEST, e.getMessage());
        }
    }

    static Mono<ServerResponse> error(int status, ErrorKind kind, String message) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(OpenAiErrors.body(kind, message, null));
    }
}
