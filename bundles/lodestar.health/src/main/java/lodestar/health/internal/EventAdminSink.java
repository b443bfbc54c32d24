package lodestar.health.internal;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import lodestar.api.health.Alert;
import lodestar.api.health.AlertSink;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Posts every alert as an OSGi event on topic {@code lodestar/health/alert/<SEVERITY>}
 * ({@code CRITICAL}, {@code WARNING}, {@code INFO}), asynchronously. Active only while an
 * Event Admin is present.
 */
@Component(service = AlertSink.class)
public final class EventAdminSink implements AlertSink {

    /** Topic prefix of alert events. */
    static final String TOPIC = "lodestar/health/alert/";

    private final EventAdmin events;

    /**
     * Activates.
     *
     * @param events the event admin
     */
    @Activate
    public EventAdminSink(@Reference final EventAdmin events) {
        this.events = events;
    }

    @Override
    public void deliver(final Alert alert) {
        final Map<String, Object> properties = new HashMap<>();
        properties.put("key", alert.key());
        properties.put("severity", alert.severity().name());
        properties.put("message", alert.message());
        properties.put("recovery", alert.recovery());
        properties.put("timestamp", alert.raisedAt().toEpochMilli());
        events.postEvent(new Event(TOPIC + alert.severity().name().toUpperCase(Locale.ROOT),
                properties));
    }
}
