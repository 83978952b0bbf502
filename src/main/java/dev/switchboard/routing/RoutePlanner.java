package dev.switchboard.routing;

import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.Route;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;

/**
 * Turns an alias into the ordered targets to try. For now: the route's targets in the order written,
 * leaving out disabled upstreams and those speaking another protocol than the client (no translation yet).
 */
@Component
public class RoutePlanner {

    public RoutePlan plan(RouteTable table, String alias, Protocol clientProtocol) {
        Route route = table.routes().get(alias);
        if (route == null) return new RoutePlan.UnknownAlias(alias);
        List<Target> usable = new ArrayList<>(route.targets().size());
        int disabled = 0;
        for (Target t : route.targets()) {
            if (!t.upstream().enabled()) disabled++;
            else if (t.upstream().protocol() == clientProtocol) usable.add(t);
        }
        if (!usable.isEmpty()) return new RoutePlan.Attempts(route, List.copyOf(usable));
        String reason = disabled == route.targets().size()
                ? "every upstream of model '" + alias + "' is disabled (no API key configured)"
                : "no enabled upstream of model '" + alias + "' speaks the " + clientProtocol.displayName()
                        + " protocol, and translation between protocols is not available yet";
        return new RoutePlan.NoTarget(route, reason);
    }
}
