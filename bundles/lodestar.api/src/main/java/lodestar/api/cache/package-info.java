/**
 * Response cache: a service the router asks before calling a provider, and tells about
 * complete answers afterwards.
 */
@Export
@Version("1.0.0")
package lodestar.api.cache;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
