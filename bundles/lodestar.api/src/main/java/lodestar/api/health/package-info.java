/**
 * Health contributors: whiteboard services whose checks are aggregated into the health
 * report.
 */
@Export
@Version("1.0.0")
package lodestar.api.health;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
