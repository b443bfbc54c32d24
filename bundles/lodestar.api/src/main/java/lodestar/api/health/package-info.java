/**
 * Health: contributors (whiteboard services whose checks are aggregated into the health
 * report), alerts and the sinks that deliver them, and the availability verdicts the router
 * consults before it picks a target.
 */
@Export
@Version("1.1.0")
package lodestar.api.health;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
