/**
 * Client keys: how bundles that serve data over HTTP (usage, metrics, dashboard data) check the
 * proxy's keys without reading the router's configuration themselves.
 */
@Export
@Version("1.0.0")
package lodestar.api.security;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
