/**
 * Request events: one per proxied request, published asynchronously to listeners (usage,
 * health, learning, cache).
 */
@Export
@Version("1.0.0")
package lodestar.api.event;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
