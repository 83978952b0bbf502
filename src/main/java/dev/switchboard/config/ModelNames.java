package dev.switchboard.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which route serves a model name a client sends. A route's own alias first; then {@code model-names}, the
 * names and patterns a client's own model names go by ({@code claude-*}, {@code gpt-5*}), in the order the
 * file gives them; then {@code default-route}. Claude Code and Codex ask for their own models by name, and
 * this is how those names land on a team's route with no flag on the client.
 *
 * @param exact        names without a wildcard, each to its route
 * @param patterns     names with {@code *} (any run of characters) or {@code ?} (one character), in file order
 * @param defaultRoute the route of every other name, or null: an unknown name is then a 404
 */
public record ModelNames(Map<String, String> exact, List<NamePattern> patterns, String defaultRoute) {
    public static final ModelNames NONE = new ModelNames(Map.of(), List.of(), null);

    /** One pattern and the route its names go to. */
    public record NamePattern(String pattern, Pattern regex, String route) {
        public static NamePattern of(String pattern, String route) {
            StringBuilder regex = new StringBuilder();
            for (char c : pattern.toCharArray()) {
                switch (c) {
                    case '*' -> regex.append(".*");
                    case '?' -> regex.append('.');
                    default -> regex.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return new NamePattern(pattern, Pattern.compile(regex.toString()), route);
        }
    }

    static boolean isPattern(String name) {
        return name.indexOf('*') >= 0 || name.indexOf('?') >= 0;
    }

    /** The route a name goes to by this mapping (a route's own alias is not looked at here), or null. */
    public String routeOf(String name) {
        String route = exact.get(name);
        if (route != null) return route;
        for (NamePattern p : patterns) {
            if (p.regex().matcher(name).matches()) return p.route();
        }
        return defaultRoute;
    }
}
