/**
 * Routing strategies: whiteboard services that turn a request for a virtual model into an
 * ordered list of concrete candidates, with an explanation.
 */
@Export
@Version("1.0.0")
package lodestar.api.routing;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
