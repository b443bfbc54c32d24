/**
 * Helpers for in-framework (osgi-test) tests: Gogo commands, polling, the HTTP endpoint. Test
 * support only: never part of the product.
 */
@Export
@Version("0.1.0")
package lodestar.test.support;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
