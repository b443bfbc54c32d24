/**
 * Canonical chat model in the shape of OpenAI Chat Completions. Unknown JSON fields are kept
 * in each record's {@code extra} map and written back unchanged, so vendor extensions survive.
 */
@Export
@Version("1.0.0")
package lodestar.api.chat;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
