/**
 * Request events: one per proxied request, published asynchronously to listeners (usage,
 * health, learning, cache); and, only for listeners that ask for it, the content of the
 * exchange.
 */
@Export
@Version("1.1.0")
package lodestar.api.event;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
