/**
 * GPU probe: the state of the GPUs that serve the local models.
 */
@Export
@Version("1.0.0")
package lodestar.api.gpu;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
