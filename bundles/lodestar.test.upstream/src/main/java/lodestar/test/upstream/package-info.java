/**
 * A fake LLM upstream for tests and benchmarks. Test support only: never part of the product.
 */
@Export
@Version("0.1.0")
package lodestar.test.upstream;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
